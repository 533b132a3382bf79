/**
 * The scrape manager (Prometheus's `scrape.Manager`): one `ScrapePool` per job of the
 * configuration, all appending to one `Appendable`.
 *
 * `applyConfig` compares each job's fingerprint with the running pool's: an unchanged
 * job keeps running untouched (its loops are not restarted and keep their schedule),
 * a changed job is reloaded in place, a new job gets a pool, a removed job is stopped
 * with staleness markers. `stop` (shutdown) writes no staleness markers, as Prometheus.
 */
import type { Appendable } from '../tsdb/storage.js';
import { type ScrapeConfig, scrapeConfigFingerprint } from './config.js';
import { newScrapeLoopStats, type ScrapeLoopStats } from './scrape_loop.js';
import { ScrapePool, type ScrapePoolOptions } from './scrape_pool.js';

export interface ScrapeManagerOptions extends Omit<ScrapePoolOptions, 'stats'> {}

export class ScrapeManager {
  private readonly appendable: Appendable;
  private readonly opts: ScrapeManagerOptions;
  private readonly pools: Map<string, ScrapePool>;
  /** Counters summed over every loop the manager ever ran. */
  readonly stats: ScrapeLoopStats;
  /** Number of pool reloads (changed jobs). */
  reloads: number;
  /** Failed discovery refreshes by mechanism (`file`, `http`, ...). */
  readonly discoveryFailures: Map<string, number>;

  constructor(appendable: Appendable, opts: ScrapeManagerOptions = {}) {
    this.appendable = appendable;
    this.opts = opts;
    this.pools = new Map();
    this.stats = newScrapeLoopStats();
    this.reloads = 0;
    this.discoveryFailures = new Map();
  }

  /** Brings the running pools in line with `configs` (job names are unique). */
  applyConfig(configs: readonly ScrapeConfig[]): void {
    const wanted = new Map(configs.map((c) => [c.jobName, c]));
    for (const [name, pool] of this.pools) {
      if (wanted.has(name)) continue;
      this.pools.delete(name);
      void pool.stop(true);
    }
    for (const cfg of configs) {
      const pool = this.pools.get(cfg.jobName);
      if (pool === undefined) {
        const p = new ScrapePool(cfg, this.appendable, {
          ...this.opts,
          stats: this.stats,
          onDiscoveryFailure: (m) => this.discoveryFailures.set(m, (this.discoveryFailures.get(m) ?? 0) + 1),
        });
        this.pools.set(cfg.jobName, p);
        p.start();
      } else if (pool.fingerprint !== scrapeConfigFingerprint(cfg)) {
        this.reloads++;
        pool.reload(cfg);
      }
    }
  }

  /** The pools by job name, in configuration order of their creation. */
  scrapePools(): ScrapePool[] {
    return [...this.pools.values()];
  }

  pool(jobName: string): ScrapePool | undefined {
    return this.pools.get(jobName);
  }

  /** Stops everything without staleness markers (shutdown). */
  async stop(): Promise<void> {
    const all = [...this.pools.values()];
    this.pools.clear();
    await Promise.all(all.map((p) => p.stop(false)));
  }
}
