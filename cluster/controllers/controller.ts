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
  readonly queue: WorkQueue;
  protected readonly log: ControllerLogger | undefined;
  private running: Promise<void>[] = [];

  constructor(logger?: ControllerLogger, queueOpts?: WorkQueueOptions) {
    this.log = logger;
    this.queue = new WorkQueue(queueOpts);
  }

  /** One reconcile of `key`. */
  abstract sync(key: string): Promise<SyncResult>;

  /** Starts `workers` loops (default 1). */
  runWorkers(workers = 1): void {
    for (let i = 0; i < workers; i++) this.running.push(this.loop());
  }

  private async loop(): Promise<void> {
    for (;;) {
      const key = await this.queue.get();
      if (key === null) return;
      try {
        const r = await this.sync(key);
        this.queue.forget(key);
        if (r !== undefined) this.queue.addAfter(key, r.requeueAfterMs);
      } catch (e) {
        const delay = this.queue.addRateLimited(key);
        this.log?.warn('sync failed; retrying', { controller: this.name, key, retryInMs: delay, err: e instanceof Error ? e.message : String(e) });
      } finally {
        this.queue.done(key);
      }
    }
  }

  /** Stops the workers after their current key. */
  async stopWorkers(): Promise<void> {
    this.queue.shutDown();
    await Promise.all(this.running);
    this.running = [];
  }
}
