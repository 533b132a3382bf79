/**
 * Per-target scrape state that survives between scrapes (Prometheus's `scrapeCache`):
 * - series: exposed series text (`ExpositionParser.seriesKey()`) → final labels and the
 *   storage's `SeriesRef`, so an unchanged series skips label decoding and relabeling;
 * - dropped: exposed text of series that metric relabeling dropped;
 * - staleness: the series appended in the previous and the current scrape, so series
 *   that vanish get a staleness marker (tracked on the cache entries themselves: a
 *   generation number per append pass and two arrays, no per-sample map operations);
 * - metadata: TYPE/HELP/UNIT per metric family, for `/api/v1/targets/metadata`.
 * Entries not seen in the latest successful scrape are evicted after it.
 */
import type { Labels } from '../tsdb/labels.js';
import { NO_REF, type SeriesRef } from '../tsdb/storage.js';
import type { MetricType } from './parser/parser.js';

/** A cached series: final labels and the storage reference. */
export class CacheEntry {
  ref: SeriesRef;
  readonly labels: Labels;
  lastIter: number;
  /** The append pass (`ScrapeCache.gen`) in which this series last got a tracked sample. */
  trackedGen: number;

  constructor(labels: Labels, iter: number) {
    this.ref = NO_REF;
    this.labels = labels;
    this.lastIter = iter;
    this.trackedGen = -1;
  }
}

/** Metadata of one metric family as last exposed. */
export interface MetricMetadata {
  type: MetricType;
  help: string;
  unit: string;
  lastIter: number;
}

export class ScrapeCache {
  /** Incremented after every scrape. */
  iter: number;
  private readonly series: Map<string, CacheEntry>;
  private readonly dropped: Map<string, number>;
  /** Incremented by every append pass (`beginIter`), failed ones included. */
  private gen: number;
  private seriesPrev: CacheEntry[];
  private seriesCur: CacheEntry[];
  private readonly meta: Map<string, MetricMetadata>;
  /** Entries of the last successful scrape, to force a flush when failed scrapes keep adding. */
  private successfulCount: number;

  constructor() {
    this.iter = 0;
    this.series = new Map();
    this.dropped = new Map();
    this.gen = 0;
    this.seriesPrev = [];
    this.seriesCur = [];
    this.meta = new Map();
    this.successfulCount = 0;
  }

  /** Called at the start of each append: staleness tracking restarts for this scrape. */
  beginIter(): void {
    this.gen++;
    this.seriesCur.length = 0;
  }

  get(key: string): CacheEntry | undefined {
    const e = this.series.get(key);
    if (e !== undefined) e.lastIter = this.iter;
    return e;
  }

  add(key: string, labels: Labels): CacheEntry {
    const e = new CacheEntry(labels, this.iter);
    this.series.set(key, e);
    return e;
  }

  /** Whether metric relabeling dropped this exposed series before (and marks it seen). */
  isDropped(key: string): boolean {
    if (!this.dropped.has(key)) return false;
    this.dropped.set(key, this.iter);
    return true;
  }

  addDropped(key: string): void {
    this.dropped.set(key, this.iter);
  }

  /** Records that the series of `e` got a sample in this scrape (without an explicit timestamp). */
  trackStaleness(e: CacheEntry): void {
    if (e.trackedGen === this.gen) return;
    e.trackedGen = this.gen;
    this.seriesCur.push(e);
  }

  /** Calls `fn` for every series of the previous scrape that is absent from this one. */
  forEachStale(fn: (labels: Labels) => void): void {
    for (const e of this.seriesPrev) if (e.trackedGen !== this.gen) fn(e.labels);
  }

  setType(name: string, type: MetricType): void {
    this.metaEntry(name).type = type;
  }

  setHelp(name: string, help: string): void {
    this.metaEntry(name).help = help;
  }

  setUnit(name: string, unit: string): void {
    this.metaEntry(name).unit = unit;
  }

  private metaEntry(name: string): MetricMetadata {
    let m = this.meta.get(name);
    if (m === undefined) {
      m = { type: 'unknown', help: '', unit: '', lastIter: this.iter };
      this.meta.set(name, m);
    }
    m.lastIter = this.iter;
    return m;
  }

  /** Metadata of every family seen recently, by family name. */
  metadata(): ReadonlyMap<string, Readonly<MetricMetadata>> {
    return this.meta;
  }

  /** Number of cached series (for tests and metrics). */
  size(): number {
    return this.series.size;
  }

  /**
   * Ends a scrape. `flush` (a non-empty successful scrape) evicts entries not seen in it;
   * then the current series become the previous ones.
   */
  iterDone(flush: boolean): void {
    const count = this.series.size + this.dropped.size + this.meta.size;
    if (flush) this.successfulCount = count;
    else if (count > this.successfulCount * 2 + 1000) flush = true;
    if (flush) {
      for (const [k, e] of this.series) if (e.lastIter !== this.iter) this.series.delete(k);
      for (const [k, it] of this.dropped) if (it !== this.iter) this.dropped.delete(k);
      for (const [k, m] of this.meta) if (m.lastIter !== this.iter) this.meta.delete(k);
    }
    const prev = this.seriesPrev;
    this.seriesPrev = this.seriesCur;
    this.seriesCur = prev;
    this.seriesCur.length = 0;
    this.iter++;
  }
}
