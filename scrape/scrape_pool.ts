/**
 * The targets of one scrape job (Prometheus's `scrapePool`): runs the job's discoverers,
 * turns their groups into targets, and keeps one `ScrapeLoop` per distinct target.
 *
 * `sync` starts loops for new targets, leaves unchanged ones running, and stops vanished
 * ones with end-of-run staleness markers. `target_limit`: when more targets are
 * discovered than allowed, every loop keeps running but each scrape fails with
 * `target_limit exceeded (...)` (so `up` is 0), as Prometheus does. A config change
 * (`reload`) replaces every loop with one on the new config, handing over its scrape
 * cache so staleness tracking continues; nothing is lost in between because the old
 * loops keep scraping until the new discovery reports.
 */
import type { Labels } from '../tsdb/labels.js';
import type { Appendable } from '../tsdb/storage.js';
import { type ScrapeConfig, scrapeConfigFingerprint } from './config.js';
import { DiscoverySet } from './discovery/discovery_set.js';
import { discoverersFor } from './discovery/discoverers.js';
import type { Discoverer, TargetGroup } from './discovery/target_group.js';
import { ScrapeLoop, type ScrapeLoopOptions, type ScrapeLoopStats, type Timers } from './scrape_loop.js';
import { type DroppedTarget, type Target, targetsFromGroup } from './target.js';

export interface ScrapePoolOptions {
  timers?: Timers;
  /** Shared counters for the manager's metrics. */
  stats?: ScrapeLoopStats;
  /** Delay coalescing discovery updates (ms). */
  discoveryCoalesceMs?: number;
  /** Builds the discoverers of a job; default `discoverersFor(cfg)`. */
  discoverers?: (cfg: ScrapeConfig) => Discoverer[];
  /** Builds loop options per target (tests inject scrapers). */
  loopOptions?: (t: Target) => ScrapeLoopOptions;
  /** Log sink for discovery, target and storage errors. */
  onError?: (msg: string, fields: Record<string, string>) => void;
  /** Called once per failed discovery refresh, with the mechanism (`file`, `http`, ...). */
  onDiscoveryFailure?: (mechanism: string) => void;
}

export class ScrapePool {
  cfg: ScrapeConfig;
  fingerprint: string;
  private readonly appendable: Appendable;
  private readonly opts: ScrapePoolOptions;
  private readonly loops: Map<string, ScrapeLoop>;
  private dropped: DroppedTarget[];
  private discovery: DiscoverySet | null;
  /** Whether the loops run on an older config than `cfg` (set by `reload`, cleared by `sync`). */
  private stale: boolean;
  /** Number of targets the discoverers reported at the last sync, before dedup and relabeling. */
  discoveredCount: number;
  private limitError: Error | null;
  private stopped: boolean;

  constructor(cfg: ScrapeConfig, appendable: Appendable, opts: ScrapePoolOptions = {}) {
    this.cfg = cfg;
    this.fingerprint = scrapeConfigFingerprint(cfg);
    this.appendable = appendable;
    this.opts = opts;
    this.loops = new Map();
    this.dropped = [];
    this.discovery = null;
    this.stale = false;
    this.discoveredCount = 0;
    this.limitError = null;
    this.stopped = false;
  }

  /** Starts discovery; targets start scraping when it first reports. */
  start(): void {
    this.startDiscovery();
  }

  private startDiscovery(): void {
    const make = this.opts.discoverers ?? discoverersFor;
    const ds = new DiscoverySet(make(this.cfg), (groups) => this.sync(groups), {
      coalesceMs: this.opts.discoveryCoalesceMs ?? 500,
      onError: (mechanism, err) => {
        this.opts.onDiscoveryFailure?.(mechanism);
        this.opts.onError?.('Service discovery failed; keeping the last good targets', { scrape_pool: this.cfg.jobName, mechanism, err: err.message });
      },
    });
    this.discovery = ds;
    ds.start();
  }

  /** Applies a changed job configuration (same job name). */
  reload(cfg: ScrapeConfig): void {
    this.discovery?.stop();
    this.cfg = cfg;
    this.fingerprint = scrapeConfigFingerprint(cfg);
    this.stale = true;
    this.startDiscovery();
  }

  /** Replaces the pool's targets with those of `groups`. */
  sync(groups: readonly TargetGroup[]): void {
    if (this.stopped) return;
    const next = new Map<string, Target>();
    const dropped: DroppedTarget[] = [];
    let discovered = 0;
    for (const g of groups) {
      discovered += g.targets.length;
      const r = targetsFromGroup(g, this.cfg);
      for (const t of r.active) if (!next.has(t.key)) next.set(t.key, t);
      const keep = this.cfg.keepDroppedTargets;
      for (const d of r.dropped) if (keep === 0 || dropped.length < keep) dropped.push(d);
      for (const e of r.errors) this.opts.onError?.('Creating target failed', { scrape_pool: this.cfg.jobName, err: e.message });
    }
    this.discoveredCount = discovered;
    this.dropped = dropped;
    const limit = this.cfg.targetLimit;
    this.limitError = limit > 0 && next.size > limit ? new Error(`target_limit exceeded (number of targets: ${next.size}, limit: ${limit})`) : null;

    for (const [key, loop] of [...this.loops]) {
      if (next.has(key) && !this.stale) continue;
      this.loops.delete(key);
      // A target that survives a reload is replaced without staleness markers; a vanished one gets them.
      loop.stop(!next.has(key));
      if (next.has(key)) this.startLoop(next.get(key)!, loop);
    }
    for (const [key, t] of next) if (!this.loops.has(key)) this.startLoop(t, null);
    for (const loop of this.loops.values()) loop.forcedError = this.limitError;
    this.stale = false;
  }

  private startLoop(t: Target, previous: ScrapeLoop | null): void {
    const base = this.opts.loopOptions?.(t) ?? {};
    const lo: ScrapeLoopOptions = { ...base };
    if (this.opts.timers !== undefined) lo.timers = this.opts.timers;
    if (this.opts.stats !== undefined) lo.stats = this.opts.stats;
    if (previous !== null) lo.cache = previous.cache;
    lo.onAppendError = (err) => this.opts.onError?.('Appending scrape results failed', { scrape_pool: this.cfg.jobName, target: t.url, err: err.message });
    const loop = new ScrapeLoop(t, this.cfg, this.appendable, lo);
    if (previous !== null) {
      loop.health = previous.health;
      loop.lastError = previous.lastError;
      loop.lastScrape = previous.lastScrape;
      loop.lastScrapeDuration = previous.lastScrapeDuration;
    }
    loop.forcedError = this.limitError;
    this.loops.set(t.key, loop);
    loop.start();
  }

  /**
   * Stops discovery and every loop. `markStale` (the job was removed from the
   * configuration) writes end-of-run staleness markers; a shutdown does not.
   */
  stop(markStale: boolean): Promise<void> {
    this.stopped = true;
    this.discovery?.stop();
    const done: Promise<void>[] = [];
    for (const loop of this.loops.values()) {
      loop.stop(markStale);
      done.push(loop.staleDone);
    }
    this.loops.clear();
    return Promise.all(done).then(() => {});
  }

  /** The active targets' loops, in a stable order (by URL). */
  activeLoops(): ScrapeLoop[] {
    return [...this.loops.values()].sort((a, b) => (a.target.url < b.target.url ? -1 : a.target.url > b.target.url ? 1 : 0));
  }

  droppedTargets(): readonly DroppedTarget[] {
    return this.dropped;
  }

  /** The loop of the target with these labels, if active. */
  loopFor(labels: Labels): ScrapeLoop | undefined {
    for (const l of this.loops.values()) if (l.target.labels.equals(labels)) return l;
    return undefined;
  }
}
