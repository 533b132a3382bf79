/**
 * `Compactor`: drops old store history on a schedule, the way the Kubernetes
 * apiserver compacts etcd: at every tick it compacts to the revision it saw at
 * the previous tick, so a watcher always has at least one interval (default
 * 5 minutes) to resume before its resourceVersion becomes "too old" (410).
 * Without it the SQLite table (and etcd's history) would grow with every
 * write forever — node lease renewals alone add one revision per node every 2 s.
 *
 * Running it on several servers sharing one etcd is harmless (compacting to an
 * older revision is a no-op), and it is bounded: one compaction per tick.
 */
import type { Store } from './store.js';

export interface CompactorLogger {
  info(msg: string, fields?: Readonly<Record<string, unknown>>): void;
  warn(msg: string, fields?: Readonly<Record<string, unknown>>): void;
}

export interface CompactorOptions {
  /** Time between ticks. Default 300 000 ms (the apiserver's default). 0 = no timer (call `tick()`). */
  intervalMs?: number;
  logger?: CompactorLogger;
}

export class Compactor {
  private readonly store: Store;
  private readonly logger: CompactorLogger | undefined;
  private readonly timer: NodeJS.Timeout | null;
  /** The revision seen at the previous tick; compacted to at the next. */
  private pending = 0;
  private running = false;

  constructor(store: Store, opts: CompactorOptions = {}) {
    this.store = store;
    this.logger = opts.logger;
    const interval = opts.intervalMs ?? 300_000;
    this.timer = interval > 0 ? setInterval(() => void this.tick(), interval).unref() : null;
  }

  /**
   * One round: compacts to the revision remembered last time (if any) and remembers the
   * current one. Returns the revision compacted to, or 0 when nothing was done.
   */
  async tick(): Promise<number> {
    if (this.running) return 0;
    this.running = true;
    try {
      const target = this.pending;
      this.pending = await this.store.currentRevision();
      if (target > 0 && target > (await this.store.compactRevision())) {
        await this.store.compact(target);
        this.logger?.info('compacted cluster store history', { revision: target });
        return target;
      }
      return 0;
    } catch (e) {
      this.logger?.warn('compacting the cluster store failed', { err: e instanceof Error ? e.message : String(e) });
      return 0;
    } finally {
      this.running = false;
    }
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
  }
}
