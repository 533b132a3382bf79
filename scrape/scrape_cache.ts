/**
 * Per-target scrape state that survives between scrapes (Prometheus's `scrapeCache`):
 * - series: exposed series text → final labels and the storage's `SeriesRef`, so an
 *   unchanged series skips label decoding and relabeling. Looked up by the parser's
 *   `seriesHash()` and compared byte by byte with the body, so a cache hit creates no
 *   string at all (equal text ⇔ same entry, exactly as keying by `seriesKey()`);
 * - dropped: the same entries, flagged, for series that metric relabeling dropped;
 * - staleness: the series appended in the previous and the current scrape, so series
 *   that vanish get a staleness marker (tracked on the cache entries themselves: a
 *   generation number per append pass and two arrays, no per-sample map operations);
 * - metadata: TYPE/HELP/UNIT per metric family, for `/api/v1/targets/metadata`.
 * Entries not seen in the latest successful scrape are evicted after it.
 */
import { Labels } from '../tsdb/labels.js';
import { NO_REF, type SeriesRef } from '../tsdb/storage.js';
import type { MetricType } from './parser/parser.js';

/**
 * A cached exposed series: its exposed text (bytes), final labels and storage reference.
 * Entries with the same text hash are chained through `next`.
 */
export class CacheEntry {
  ref: SeriesRef;
  /** Final labels; `Labels.EMPTY` for a series that metric relabeling dropped. */
  readonly labels: Labels;
  /** Whether metric relabeling dropped this series. */
  readonly dropped: boolean;
  /** The exposed series text (`name{labels}`), copied out of the body. */
  readonly key: Uint8Array;
  readonly hash: number;
  next: CacheEntry | null;
  lastIter: number;
  /** The append pass (`ScrapeCache.gen`) in which this series last got a tracked sample. */
  trackedGen: number;

  constructor(key: Uint8Array, hash: number, labels: Labels, dropped: boolean, iter: number) {
    this.ref = NO_REF;
    this.labels = labels;
    this.dropped = dropped;
    this.key = key;
    this.hash = hash;
    this.next = null;
    this.lastIter = iter;
    this.trackedGen = -1;
  }

  /** Whether the entry's text equals `body[start, end)`. */
  matches(body: Uint8Array, start: number, end: number): boolean {
    const k = this.key;
    if (k.length !== end - start) return false;
    for (let i = 0; i < k.length; i++) if (k[i] !== body[start + i]) return false;
    return true;
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
  /** Text hash → first entry of the chain. */
  private readonly series: Map<number, CacheEntry>;
  private count: number;
  private readonly meta: Map<string, MetricMetadata>;
  /** Entries of the last successful scrape, to force a flush when failed scrapes keep adding. */
  private successfulCount: number;
  /** Incremented by every append pass (`beginIter`), failed ones included. */
  private gen: number;
  private seriesPrev: CacheEntry[];
  private seriesCur: CacheEntry[];

  constructor() {
    this.iter = 0;
    this.series = new Map();
    this.count = 0;
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

  /** The entry for the exposed text `body[start, end)` with hash `hash`, marked as seen. */
  get(body: Uint8Array, start: number, end: number, hash: number): CacheEntry | undefined {
    for (let e: CacheEntry | null = this.series.get(hash) ?? null; e !== null; e = e.next) {
      if (e.matches(body, start, end)) {
        e.lastIter = this.iter;
        return e;
      }
    }
    return undefined;
  }

  /** Adds an entry for the exposed text `body[start, end)` (`labels` null: dropped by relabeling). */
  add(body: Uint8Array, start: number, end: number, hash: number, labels: Labels | null): CacheEntry {
    const e = new CacheEntry(body.slice(start, end), hash, labels ?? Labels.EMPTY, labels === null, this.iter);
    const head = this.series.get(hash);
    if (head !== undefined) e.next = head;
    this.series.set(hash, e);
    this.count++;
    return e;
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

  /** Number of cached exposed series, dropped ones included (for tests and metrics). */
  size(): number {
    return this.count;
  }

  /**
   * Ends a scrape. `flush` (a non-empty successful scrape) evicts entries not seen in it;
   * then the current series become the previous ones.
   */
  iterDone(flush: boolean): void {
    const count = this.count + this.meta.size;
    if (flush) this.successfulCount = count;
    else if (count > this.successfulCount * 2 + 1000) flush = true;
    if (flush) {
      for (const [h, head] of this.series) {
        let first: CacheEntry | null = null;
        let last: CacheEntry | null = null;
        for (let e: CacheEntry | null = head; e !== null; e = e.next) {
          if (e.lastIter !== this.iter) {
            this.count--;
            continue;
          }
          if (last === null) first = e;
          else last.next = e;
          last = e;
        }
        if (last !== null) last.next = null;
        if (first === null) this.series.delete(h);
        else if (first !== head) this.series.set(h, first);
      }
      for (const [k, m] of this.meta) if (m.lastIter !== this.iter) this.meta.delete(k);
    }
    const prev = this.seriesPrev;
    this.seriesPrev = this.seriesCur;
    this.seriesCur = prev;
    this.seriesCur.length = 0;
    this.iter++;
  }
}
