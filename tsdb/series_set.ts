/**
 * Small building blocks for implementations of the storage contract:
 * a series set over an array, an empty one, and an iterator over typed arrays.
 */
import type { SampleBuffer } from './sample_buffer.js';
import { type SampleIterator, type Series, type SeriesSet, ValueType } from './storage.js';

/** A `SeriesSet` over an array of series (in the order given). */
export class ListSeriesSet implements SeriesSet {
  private readonly series: readonly Series[];
  private readonly warns: readonly string[];
  private i: number;

  constructor(series: readonly Series[], warnings: readonly string[] = []) {
    this.series = series;
    this.warns = warnings;
    this.i = -1;
  }

  next(): boolean {
    if (this.i < this.series.length) this.i++;
    return this.i < this.series.length;
  }

  at(): Series {
    const s = this.series[this.i];
    if (s === undefined) throw new RangeError('SeriesSet.at() called without a successful next()');
    return s;
  }

  err(): Error | null {
    return null;
  }

  warnings(): readonly string[] {
    return this.warns;
  }
}

/** A `SeriesSet` that holds nothing, optionally carrying an error or warnings. */
export class EmptySeriesSet implements SeriesSet {
  private readonly error: Error | null;
  private readonly warns: readonly string[];

  constructor(error: Error | null = null, warnings: readonly string[] = []) {
    this.error = error;
    this.warns = warnings;
  }

  next(): boolean {
    return false;
  }

  at(): Series {
    throw new RangeError('EmptySeriesSet has no series');
  }

  err(): Error | null {
    return this.error;
  }

  warnings(): readonly string[] {
    return this.warns;
  }
}

/** Iterates `n` samples held in parallel typed arrays (timestamps ascending). */
export class ArraySampleIterator implements SampleIterator {
  private ts: Float64Array;
  private vs: Float64Array;
  private n: number;
  private i: number;

  constructor(ts: Float64Array, vs: Float64Array, n: number) {
    this.ts = ts;
    this.vs = vs;
    this.n = n;
    this.i = -1;
  }

  /** Points the iterator at new arrays, before the first sample. */
  reset(ts: Float64Array, vs: Float64Array, n: number): this {
    this.ts = ts;
    this.vs = vs;
    this.n = n;
    this.i = -1;
    return this;
  }

  next(): ValueType {
    if (this.i < this.n) this.i++;
    return this.i < this.n ? ValueType.Float : ValueType.None;
  }

  /** Appends the remaining samples to `buf` (two block copies; value bits exact). */
  drainInto(buf: SampleBuffer): void {
    const from = this.i + 1;
    if (from < this.n) {
      const k = this.n - from;
      buf.ensure(k);
      buf.ts.set(this.ts.subarray(from, this.n), buf.n);
      buf.vs.set(this.vs.subarray(from, this.n), buf.n);
      buf.n += k;
    }
    this.i = this.n;
  }

  seek(t: number): ValueType {
    if (this.i < 0) this.i = 0;
    if (this.i >= this.n) return ValueType.None;
    if (this.ts[this.i]! >= t) return ValueType.Float;
    // Binary search the remainder.
    let lo = this.i + 1;
    let hi = this.n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.ts[mid]! < t) lo = mid + 1;
      else hi = mid;
    }
    this.i = lo;
    return this.i < this.n ? ValueType.Float : ValueType.None;
  }

  atT(): number {
    return this.ts[this.i]!;
  }

  atV(): number {
    return this.vs[this.i]!;
  }

  err(): Error | null {
    return null;
  }
}
