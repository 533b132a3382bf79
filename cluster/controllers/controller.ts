/**
 * The reconcile-loop skeleton every controller (and the scheduler) shares: a
 * work queue of object keys fed by informer handlers, and `workers` loops that
 * take a key, call `sync(key)` and either forget it (success; `sync` may ask
 * for a later look by returning a delay in ms) or retry it with backoff (a
 * thrown error, logged with the key).
 *
 * `sync` is level-triggered: it reads the current state and moves the world one
 * step towards the desired one; it must be safe to call any number of times.
 * Tests call `sync` directly with an injected clock.
 */
import { WorkQueue, type WorkQueueOptions } from './work_queue.js';

export interface ControllerLogger {
  info(msg: string, fields?: Readonly<Record<string, unknown>>): void;
  warn(msg: string, fields?: Readonly<Record<string, unknown>>): void;
}

/** What `sync` returns: nothing, or `{ requeueAfterMs }` to look at the key again later. */
export type SyncResult = undefined | { requeueAfterMs: number };

export abstract class Controller {
  abstract readonly name: string;
  /** The current queue; replaced by a fresh one when workers start again after `stopWorkers()`. */
  queue: WorkQueue;
  protected readonly log: ControllerLogger | undefined;
  private readonly queueOpts: WorkQueueOptions | undefined;
  private running: Promise<void>[] = [];
  /** Syncs run by the workers (successful or not), for metrics and tests. */
  syncs = 0;

  constructor(logger?: ControllerLogger, queueOpts?: WorkQueueOptions) {
    this.log = logger;
    this.queueOpts = queueOpts;
    this.queue = new WorkQueue(queueOpts);
  }

  /** One reconcile of `key`. */
  abstract sync(key: string): Promise<SyncResult>;

  /** Starts `workers` loops (default 1). */
  runWorkers(workers = 1): void {
    if (this.queue.isShutDown()) this.queue = new WorkQueue(this.queueOpts);
    const q = this.queue;
    for (let i = 0; i < workers; i++) this.running.push(this.loop(q));
  }

  private async loop(q: WorkQueue): Promise<void> {
    for (;;) {
      const key = await q.get();
      if (key === null) return;
      this.syncs++;
      try {
        const r = await this.sync(key);
        q.forget(key);
        if (r !== undefined) q.addAfter(key, r.requeueAfterMs);
      } catch (e) {
        const delay = q.addRateLimited(key);
        this.log?.warn('sync failed; retrying', { controller: this.name, key, retryInMs: delay, err: e instanceof Error ? e.message : String(e) });
      } finally {
        q.done(key);
      }
    }
  }

  /** Stops the workers after their current key; keys added until the next `runWorkers` are dropped. */
  async stopWorkers(): Promise<void> {
    this.queue.shutDown();
    await Promise.all(this.running);
    this.running = [];
  }
}
