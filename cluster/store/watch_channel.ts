/**
 * `WatchChannel`: the bounded queue between a store's change feed and one
 * watcher's `for await` loop. Producers `push` events (never blocking); the
 * consumer pulls. When more than `capacity` events wait unread the channel
 * fails with `watch_overflow` (as kine drops slow watchers), so a stuck client
 * cannot grow the server's memory without bound; the client resumes from the
 * last revision it saw.
 */
import { StoreError } from './errors.js';
import type { WatchEvent, WatchStream } from './store.js';

/** Default number of unread events a watcher may have before it is closed. */
export const DEFAULT_WATCH_CAPACITY = 10_000;

export class WatchChannel implements WatchStream {
  private readonly queue: WatchEvent[] = [];
  private head = 0;
  private waiter: ((r: IteratorResult<WatchEvent>) => void) | null = null;
  private waiterReject: ((e: unknown) => void) | null = null;
  private failure: StoreError | null = null;
  private closed = false;
  private readonly capacity: number;
  private readonly onClose: () => void;
  /** Events at or below this revision are dropped (the watch's start); producers may raise it before the first push. */
  floorRevision: number;
  /** Revision of the last event pushed (0 before the first). */
  lastRevision = 0;

  /**
   * @param fromRevision events at or below it are never delivered
   * @param onClose called once when the channel closes or fails (to unregister the watcher)
   */
  constructor(fromRevision: number, onClose: () => void, capacity = DEFAULT_WATCH_CAPACITY) {
    this.floorRevision = fromRevision;
    this.onClose = onClose;
    this.capacity = capacity;
  }

  /** Whether the channel still accepts events. */
  get open(): boolean {
    return !this.closed && this.failure === null;
  }

  /**
   * Delivers an event. Events at or below the floor are dropped, and so are events older than the
   * last one delivered; several events may share a revision (etcd deletes all keys of a lease in one).
   */
  push(ev: WatchEvent): void {
    if (!this.open || ev.revision <= this.floorRevision || ev.revision < this.lastRevision) return;
    this.lastRevision = ev.revision;
    if (this.waiter !== null) {
      const w = this.waiter;
      this.waiter = null;
      this.waiterReject = null;
      w({ value: ev, done: false });
      return;
    }
    if (this.queue.length - this.head >= this.capacity) {
      this.fail(
        new StoreError(
          'watch_overflow',
          '',
          `watcher fell more than ${this.capacity} events behind and was closed; resume from the last revision received`,
        ),
      );
      return;
    }
    this.queue.push(ev);
  }

  /** Ends the stream with an error; the consumer's next `next()` throws it. */
  fail(err: StoreError): void {
    if (!this.open) return;
    this.failure = err;
    if (this.waiterReject !== null) {
      const r = this.waiterReject;
      this.waiter = null;
      this.waiterReject = null;
      r(err);
    }
    this.onClose();
  }

  close(): void {
    if (!this.open) return;
    this.closed = true;
    this.queue.length = 0;
    this.head = 0;
    if (this.waiter !== null) {
      const w = this.waiter;
      this.waiter = null;
      this.waiterReject = null;
      w({ value: undefined, done: true });
    }
    this.onClose();
  }

  private next(): Promise<IteratorResult<WatchEvent>> {
    if (this.head < this.queue.length) {
      const ev = this.queue[this.head++]!;
      if (this.head > 1024 && this.head * 2 > this.queue.length) {
        this.queue.splice(0, this.head);
        this.head = 0;
      }
      return Promise.resolve({ value: ev, done: false });
    }
    if (this.failure !== null) return Promise.reject(this.failure);
    if (this.closed) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => {
      this.waiter = resolve;
      this.waiterReject = reject;
    });
  }

  [Symbol.asyncIterator](): AsyncIterator<WatchEvent> {
    return {
      next: () => this.next(),
      return: () => {
        this.close();
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }
}
