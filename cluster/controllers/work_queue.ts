/**
 * `WorkQueue`: client-go's rate-limited work queue, small. Keys (`ns/name`)
 * are deduplicated: a key added while queued is queued once; a key added while
 * being processed is queued again after `done(key)` (never processed twice at
 * once). `addRateLimited` delays a key by per-key exponential backoff
 * (`baseDelayMs` · 2^failures, capped at `maxDelayMs`) until `forget(key)`.
 *
 * Consumers call `get()` (resolves with the next key, or null after
 * `shutDown()`), process, then `done(key)`. Delays use real timers; tests that
 * inject clocks call the controllers' `sync` directly instead.
 */

export interface WorkQueueOptions {
  /** First retry delay. Default 5 ms (client-go's). */
  baseDelayMs?: number;
  /** Longest retry delay. Default 60 000 ms (client-go caps at 1000 s; a small control plane wants faster recovery). */
  maxDelayMs?: number;
}

export class WorkQueue {
  private readonly queue: string[] = [];
  private readonly queued = new Set<string>();
  private readonly processing = new Set<string>();
  /** Keys added while processing: re-queued on `done`. */
  private readonly dirty = new Set<string>();
  private readonly failures = new Map<string, number>();
  private readonly timers = new Map<string, { timer: NodeJS.Timeout; due: number }>();
  private readonly waiters: Array<(key: string | null) => void> = [];
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private closed = false;

  constructor(opts: WorkQueueOptions = {}) {
    this.baseDelayMs = opts.baseDelayMs ?? 5;
    this.maxDelayMs = opts.maxDelayMs ?? 60_000;
  }

  /** Number of keys waiting (not counting delayed or in-process ones). */
  get length(): number {
    return this.queue.length;
  }

  /** Whether `shutDown()` was called. */
  isShutDown(): boolean {
    return this.closed;
  }

  /** Queues `key` now (deduplicated). Ignored after shutDown. */
  add(key: string): void {
    if (this.closed) return;
    if (this.processing.has(key)) {
      this.dirty.add(key);
      return;
    }
    if (this.queued.has(key)) return;
    const w = this.waiters.shift();
    if (w !== undefined) {
      this.processing.add(key);
      w(key);
      return;
    }
    this.queued.add(key);
    this.queue.push(key);
  }

  /** Queues `key` after `ms` (an earlier pending delay for the key is kept if sooner). */
  addAfter(key: string, ms: number): void {
    if (this.closed) return;
    if (ms <= 0) {
      this.add(key);
      return;
    }
    const due = Date.now() + ms;
    const pending = this.timers.get(key);
    if (pending !== undefined) {
      if (pending.due <= due) return;
      clearTimeout(pending.timer);
    }
    const timer = setTimeout(() => {
      this.timers.delete(key);
      this.add(key);
    }, ms);
    timer.unref();
    this.timers.set(key, { timer, due });
  }

  /** Queues `key` after its backoff delay and counts a failure. Returns the delay used (ms). */
  addRateLimited(key: string): number {
    const n = this.failures.get(key) ?? 0;
    this.failures.set(key, n + 1);
    const delay = Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** Math.min(n, 40));
    this.addAfter(key, delay);
    return delay;
  }

  /** How many times `key` failed since the last `forget`. */
  numRequeues(key: string): number {
    return this.failures.get(key) ?? 0;
  }

  /** Resets `key`'s backoff. */
  forget(key: string): void {
    this.failures.delete(key);
  }

  /** The next key (marked in process), or null once shut down. */
  get(): Promise<string | null> {
    const key = this.queue.shift();
    if (key !== undefined) {
      this.queued.delete(key);
      this.processing.add(key);
      return Promise.resolve(key);
    }
    if (this.closed) return Promise.resolve(null);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Marks `key` processed; re-queues it when it was added meanwhile. */
  done(key: string): void {
    this.processing.delete(key);
    if (this.dirty.delete(key)) this.add(key);
  }

  /** Stops handing out keys; pending `get()`s resolve null; delayed keys are dropped. */
  shutDown(): void {
    this.closed = true;
    for (const t of this.timers.values()) clearTimeout(t.timer);
    this.timers.clear();
    for (const w of this.waiters.splice(0)) w(null);
  }
}
