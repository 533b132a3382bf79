/**
 * The storage contract: the one seam where every part meets the data.
 *
 * Only `tsdb/` implements it (the in-memory store, the TSDB, remote read, fanout);
 * scrape and rules see an `Appendable`, PromQL a `Queryable`. Conventions:
 * - Timestamps are milliseconds since the Unix epoch (Prometheus's int64 ms, held
 *   in a JS number: exact up to 2^53). Time ranges are inclusive at both ends.
 * - Values are float64. The Prometheus staleness marker is the NaN with bits
 *   0x7ff0000000000002 (see `STALE_NAN`); it must survive storage bit for bit.
 * - Await at the series-set boundary, never per sample: `select` does its I/O
 *   and then hands out a `SeriesSet` that is iterated synchronously.
 * - Iterators are pull-style and allocate nothing per sample: `next()` advances,
 *   `atT()`/`atV()` read the current sample.
 */
import type { Labels } from './labels.js';
import type { Matcher } from './matcher.js';

/** A reference to a series inside one storage, handed back by `append` as a hint for the next append. */
export type SeriesRef = number & { readonly __brand: 'SeriesRef' };

/** The "no reference known" value for `Appender.append`. */
export const NO_REF = 0 as SeriesRef;

/** What an iterator is positioned on. `None` is 0, so `while (it.next())` reads naturally. */
export enum ValueType {
  None = 0,
  Float = 1,
}

/**
 * A forward-only cursor over one series' samples in increasing time order.
 * Not safe for concurrent use; valid until the `Querier` it came from is closed.
 */
export interface SampleIterator {
  /** Advances to the next sample; returns `ValueType.None` when exhausted. */
  next(): ValueType;
  /**
   * Advances to the first sample with timestamp >= `t` (never moves backwards: if
   * the current sample already satisfies it, stays). Returns `ValueType.None` when
   * no such sample exists.
   */
  seek(t: number): ValueType;
  /** Timestamp (ms) of the current sample. Undefined before `next`/`seek` succeeds. */
  atT(): number;
  /** Value of the current sample. */
  atV(): number;
  /** The error that ended iteration early, if any. */
  err(): Error | null;
}

/** One series: its labels and a way to iterate its samples. */
export interface Series {
  readonly labels: Labels;
  /**
   * A fresh iterator, or `reuse` reset to this series when the implementation can
   * recycle it (callers pass their previous iterator to avoid allocation).
   */
  iterator(reuse?: SampleIterator): SampleIterator;
}

/** A forward-only cursor over series, sorted by labels when asked for. */
export interface SeriesSet {
  /** Advances to the next series; false when exhausted (then check `err`). */
  next(): boolean;
  /** The current series. */
  at(): Series;
  /** The error that ended iteration early, if any. */
  err(): Error | null;
  /** Non-fatal problems (e.g. a remote-read endpoint that failed). */
  warnings(): readonly string[];
}

/**
 * Hints that let an implementation read less. They never change the result: a
 * querier may ignore them and return everything in `[mint, maxt]` of the querier.
 */
export interface SelectHints {
  /** Start of the data needed (ms, inclusive). */
  readonly start: number;
  /** End of the data needed (ms, inclusive). */
  readonly end: number;
  /** Query step (ms), 0 for instant queries. */
  readonly step: number;
  /** Surrounding function name (`rate`, `series` for metadata-only…), or ''. */
  readonly func: string;
  /** Range of the range selector (ms), 0 if none. */
  readonly range: number;
  /** Grouping labels of the surrounding aggregation. */
  readonly grouping: readonly string[];
  /** Whether `grouping` is a `by` (true) or `without` (false) list. */
  readonly by: boolean;
  /** Upper bound on series returned; 0 means no limit. */
  readonly limit: number;
}

/** Options for the metadata calls `labelNames` and `labelValues`. */
export interface LabelHints {
  /** Upper bound on names/values returned; 0 means no limit. */
  readonly limit: number;
}

/**
 * A read view of storage over `[mint, maxt]` (ms, inclusive), obtained from a
 * `Queryable`. Close it when done; series and iterators from it stay valid until then.
 */
export interface Querier {
  /**
   * Series matching all `matchers`, restricted to samples in the querier's range.
   * `sortSeries` asks for series in `Labels.compare` order (required for merging).
   * Series with no samples in range are omitted.
   */
  select(sortSeries: boolean, hints: SelectHints | null, matchers: readonly Matcher[]): Promise<SeriesSet>;
  /** Sorted, unique label names of series matching `matchers` (all series if empty) in range. */
  labelNames(matchers: readonly Matcher[], hints?: LabelHints): Promise<string[]>;
  /** Sorted, unique values of label `name` across series matching `matchers` in range. */
  labelValues(name: string, matchers: readonly Matcher[], hints?: LabelHints): Promise<string[]>;
  /** Releases resources; iterators from this querier are invalid afterwards. */
  close(): Promise<void>;
}

/** Something that can hand out queriers. */
export interface Queryable {
  /** A querier over `[mint, maxt]` (ms, inclusive). */
  querier(mint: number, maxt: number): Promise<Querier>;
}

/**
 * A write transaction. Samples appended are invisible to queriers until `commit`
 * resolves; `rollback` discards them. An appender is used by one writer at a time
 * and must not be reused after commit or rollback.
 */
export interface Appender {
  /**
   * Adds a float sample at `t` (ms) for the series `labels`. `ref` is the value a
   * previous `append` returned for the same labels, or `NO_REF`; it is only a hint.
   * Returns the series' reference. Throws a `StorageError` (see errors.ts) when the
   * sample is rejected (out of order, duplicate, out of bounds); the transaction
   * stays usable and earlier samples are kept.
   */
  append(ref: SeriesRef, labels: Labels, t: number, v: number): SeriesRef;
  /** Makes the appended samples durable (as the implementation defines) and visible. */
  commit(): Promise<void>;
  /** Discards the appended samples. */
  rollback(): Promise<void>;
}

/** Something that can hand out appenders. */
export interface Appendable {
  appender(): Appender;
}

/** A complete storage: read, write, lifecycle. */
export interface Storage extends Queryable, Appendable {
  /** The oldest timestamp (ms) that may be present, or `Number.MAX_SAFE_INTEGER` if empty. */
  startTime(): Promise<number>;
  /** Flushes and releases everything; no calls are allowed afterwards. */
  close(): Promise<void>;
}

/** The staleness marker value (a NaN with bits 0x7ff0000000000002). */
export const STALE_NAN: number = (() => {
  const dv = new DataView(new ArrayBuffer(8));
  dv.setUint32(0, 0x7ff00000);
  dv.setUint32(4, 0x00000002);
  return dv.getFloat64(0);
})();

const scratch = new DataView(new ArrayBuffer(8));

/** Whether `v` is the staleness marker, by its exact bits (not just any NaN). */
export function isStaleNaN(v: number): boolean {
  if (!Number.isNaN(v)) return false;
  scratch.setFloat64(0, v);
  return scratch.getUint32(0) === 0x7ff00000 && scratch.getUint32(4) === 0x00000002;
}
