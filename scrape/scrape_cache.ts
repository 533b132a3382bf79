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
 * - order: the entries in the order the last successful scrape exposed them. Targets
 *   expose their series in the same order every time, so `predict` first compares the
 *   next expected entry's bytes with the body: a hit needs neither a hash nor a map lookup;
 * - metadata: TYPE/HELP/UNIT per metric family, for `/api/v1/targets/metadata`; each
 *   metadata line is remembered by its bytes too, so an unchanged line costs a hash and a
 *   byte comparison, and no string is decoded.
 * Entries not seen in the latest successful scrape are evicted after it (a scrape that saw
 * every entry skips the sweep).
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
  /** Index of this entry in the order of the pass that last saw it (a hint for `predict`). */
  pos: number;
  /** The exposition format whose parser accepted `key` (set by the scrape loop; '' = unknown). */
  format: string;

  constructor(key: Uint8Array, hash: number, labels: Labels, dropped: boolean, iter: number) {
    this.ref = NO_REF;
    this.labels = labels;
    this.dropped = dropped;
    this.key = key;
    this.hash = hash;
    this.next = null;
    this.lastIter = iter;
    this.trackedGen = -1;
    this.pos = -1;
    this.format = '';
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

/** A TYPE/HELP/UNIT line as exposed (from the family name to the end of the line), and the family it set. */
class MetaLine {
  readonly kind: number;
  readonly raw: Uint8Array;
  readonly meta: MetricMetadata;
  lastIter: number;
  next: MetaLine | null;
  /** Index in the order of the pass that last saw it (a hint for the prediction). */
  pos: number;
  constructor(kind: number, raw: Uint8Array, meta: MetricMetadata, iter: number) {
    this.kind = kind;
    this.raw = raw;
    this.meta = meta;
    this.lastIter = iter;
    this.next = null;
    this.pos = -1;
  }
}

/** Whether `k` equals `body[start, end)`. */
function bytesMatch(k: Uint8Array, body: Uint8Array, start: number, end: number): boolean {
  const n = k.length;
  if (n !== end - start) return false;
  for (let i = 0; i < n; i++) if (k[i] !== body[start + i]) return false;
  return true;
}

/** FNV-1a (32 bit) of `body[start, end)`. */
function hashBytes(body: Uint8Array, start: number, end: number): number {
  let h = 0x811c9dc5;
  for (let i = start; i < end; i++) h = Math.imul(h ^ body[i]!, 0x01000193);
  return h >>> 0;
}

/**
 * A list refilled every scrape. Clearing resets the count instead of the array's length
 * (`length = 0` would release the backing store, so every scrape regrew it, and the
 * arrays, live across a scrape, were promoted and collected as old garbage). Slots past
 * the count are cleared so evicted entries are not kept alive.
 */
class ReusedList<T> {
  private readonly items: (T | undefined)[];
  /** Slots written by earlier fills that may still hold entries. */
  private filled: number;
  length: number;

  constructor() {
    this.items = [];
    this.filled = 0;
    this.length = 0;
  }

  push(x: T): void {
    this.items[this.length++] = x;
  }

  /** The entry at `i`, or undefined past the end. */
  at(i: number): T | undefined {
    return i < this.length ? this.items[i] : undefined;
  }

  clear(): void {
    const items = this.items;
    for (let i = this.length; i < this.filled; i++) items[i] = undefined;
    this.filled = this.length;
    this.length = 0;
  }
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
  private seriesPrev: ReusedList<CacheEntry>;
  private seriesCur: ReusedList<CacheEntry>;
  /** Entries in exposition order: of the last successful scrape, and of this one. */
  private order: ReusedList<CacheEntry>;
  private orderCur: ReusedList<CacheEntry>;
  /** Index in `order` of the entry expected next. */
  private cursor: number;
  /** Distinct entries seen in this scrape: when it equals `count`, nothing is to be evicted. */
  private seen: number;
  /** Metadata lines by the hash of their bytes. */
  private readonly metaLines: Map<number, MetaLine>;
  /** Metadata lines in exposition order (last successful scrape, this one), and the index of the next expected. */
  private metaOrder: ReusedList<MetaLine>;
  private metaOrderCur: ReusedList<MetaLine>;
  private metaCursor: number;

  constructor() {
    this.iter = 0;
    this.series = new Map();
    this.count = 0;
    this.gen = 0;
    this.seriesPrev = new ReusedList();
    this.seriesCur = new ReusedList();
    this.order = new ReusedList();
    this.orderCur = new ReusedList();
    this.cursor = 0;
    this.seen = 0;
    this.metaLines = new Map();
    this.metaOrder = new ReusedList();
    this.metaOrderCur = new ReusedList();
    this.metaCursor = 0;
    this.meta = new Map();
    this.successfulCount = 0;
  }

  /** Called at the start of each append: staleness tracking restarts for this scrape. */
  beginIter(): void {
    this.gen++;
    this.seriesCur.clear();
    this.orderCur.clear();
    this.cursor = 0;
    this.seen = 0;
    this.metaOrderCur.clear();
    this.metaCursor = 0;
  }

  /** Marks `e` as seen in this scrape, at the next position of its order. */
  private see(e: CacheEntry): void {
    if (e.lastIter !== this.iter) {
      e.lastIter = this.iter;
      this.seen++;
    }
    e.pos = this.orderCur.length;
    this.orderCur.push(e);
  }

  /**
   * The entry for `body[start, end)` if it is the one expected next (the series that followed
   * the previous one in the last successful scrape), marked as seen; else undefined, and the
   * caller looks it up with `get`. Costs one byte comparison, no hash.
   */
  predict(body: Uint8Array, start: number, end: number): CacheEntry | undefined {
    const e = this.order.at(this.cursor);
    if (e === undefined || !e.matches(body, start, end)) return undefined;
    this.cursor++;
    this.see(e);
    return e;
  }

  /**
   * The exposed text of the entry expected next, if a parser of `format` accepted it (for the
   * parser's `expect` hint), else null.
   */
  expectedKey(format: string): Uint8Array | null {
    const e = this.order.at(this.cursor);
    return e !== undefined && e.format === format ? e.key : null;
  }

  /** The entry expected next, marked as seen: the parser found exactly its `expectedKey`. */
  takeExpected(): CacheEntry {
    const e = this.order.at(this.cursor++)!;
    this.see(e);
    return e;
  }

  /** The entry for the exposed text `body[start, end)` with hash `hash`, marked as seen. */
  get(body: Uint8Array, start: number, end: number, hash: number): CacheEntry | undefined {
    for (let e: CacheEntry | null = this.series.get(hash) ?? null; e !== null; e = e.next) {
      if (e.matches(body, start, end)) {
        // Predict its successor next (its position in the last successful scrape's order).
        const at = e.pos;
        if (at >= 0 && this.order.at(at) === e) this.cursor = at + 1;
        this.see(e);
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
    this.seen++;
    e.pos = this.orderCur.length;
    this.orderCur.push(e);
    return e;
  }

  /**
   * Whether the metadata line `body[start, end)` of `kind` (a parser `Entry`, see the parser's
   * `metaStart`/`metaEnd`) is one already applied: then its family is marked as seen and there
   * is nothing to decode. Otherwise the caller sets the metadata and calls `rememberMeta`.
   */
  metaUnchanged(body: Uint8Array, start: number, end: number, kind: number): boolean {
    // Usually the line that followed the previous one last time: one comparison, no hash.
    let l: MetaLine | null = this.metaOrder.at(this.metaCursor) ?? null;
    if (l !== null && l.kind === kind && bytesMatch(l.raw, body, start, end)) this.metaCursor++;
    else {
      for (l = this.metaLines.get(hashBytes(body, start, end)) ?? null; l !== null; l = l.next) {
        if (l.kind === kind && bytesMatch(l.raw, body, start, end)) break;
      }
      if (l === null) return false;
      if (l.pos >= 0 && this.metaOrder.at(l.pos) === l) this.metaCursor = l.pos + 1;
    }
    // A live line's family is live too: both are evicted by the same sweep, and a hit
    // refreshes both.
    l.lastIter = this.iter;
    l.meta.lastIter = this.iter;
    l.pos = this.metaOrderCur.length;
    this.metaOrderCur.push(l);
    return true;
  }

  /** Remembers the metadata line `body[start, end)` of `kind`, which set the metadata of family `name`. */
  rememberMeta(body: Uint8Array, start: number, end: number, kind: number, name: string): void {
    const h = hashBytes(body, start, end);
    const l = new MetaLine(kind, body.slice(start, end), this.metaEntry(name), this.iter);
    const head = this.metaLines.get(h);
    if (head !== undefined) l.next = head;
    this.metaLines.set(h, l);
    l.pos = this.metaOrderCur.length;
    this.metaOrderCur.push(l);
  }

  /** Records that the series of `e` got a sample in this scrape (without an explicit timestamp). */
  trackStaleness(e: CacheEntry): void {
    if (e.trackedGen === this.gen) return;
    e.trackedGen = this.gen;
    this.seriesCur.push(e);
  }

  /** Calls `fn` for every series of the previous scrape that is absent from this one. */
  forEachStale(fn: (labels: Labels) => void): void {
    const prev = this.seriesPrev;
    for (let i = 0; i < prev.length; i++) {
      const e = prev.at(i)!;
      if (e.trackedGen !== this.gen) fn(e.labels);
    }
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
    if (flush && this.seen !== this.count) {
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
    }
    if (flush) {
      for (const [k, m] of this.meta) if (m.lastIter !== this.iter) this.meta.delete(k);
      for (const [h, head] of this.metaLines) {
        let first: MetaLine | null = null;
        let last: MetaLine | null = null;
        for (let l: MetaLine | null = head; l !== null; l = l.next) {
          if (l.lastIter !== this.iter) continue;
          if (last === null) first = l;
          else last.next = l;
          last = l;
        }
        if (last !== null) last.next = null;
        if (first === null) this.metaLines.delete(h);
        else if (first !== head) this.metaLines.set(h, first);
      }
      // The order of a successful scrape predicts the next one.
      const o = this.order;
      this.order = this.orderCur;
      this.orderCur = o;
      const mo = this.metaOrder;
      this.metaOrder = this.metaOrderCur;
      this.metaOrderCur = mo;
    }
    this.orderCur.clear();
    this.metaOrderCur.clear();
    this.seen = 0;
    const prev = this.seriesPrev;
    this.seriesPrev = this.seriesCur;
    this.seriesCur = prev;
    this.seriesCur.clear();
    this.iter++;
  }
}
