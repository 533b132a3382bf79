/**
 * Bulk reading of samples, a fast path beside the pull-style `SampleIterator`
 * contract: an iterator that also implements `BulkSampleIterator` can append all
 * its remaining samples to a `SampleBuffer` in one call, decoding chunks in a
 * tight loop instead of one virtual `next`/`atT`/`atV` round per sample.
 *
 * The contract of `drainInto` is exactly "what `next` would still yield": the
 * same samples in the same order, stale markers included bit for bit (values
 * are written as raw 64-bit words through `words`, never through a JS number
 * that could canonicalise a NaN payload). Afterwards the iterator is exhausted
 * and `err()` reports a failure, as after a `next` loop.
 */
import { type SampleIterator, ValueType } from './storage.js';

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
/** Index of the high / low 32-bit word of a float64 inside a `Uint32Array` view. */
export const WORD_HI = LITTLE_ENDIAN ? 1 : 0;
export const WORD_LO = LITTLE_ENDIAN ? 0 : 1;

/** Growable columns of samples: timestamps (ms) and values, `n` of them valid. */
export class SampleBuffer {
  ts: Float64Array;
  vs: Float64Array;
  /** `vs` viewed as 32-bit words (two per value, see `WORD_HI`/`WORD_LO`). */
  words: Uint32Array;
  n: number;
  /**
   * Called with the capacity needed before the buffer grows; may throw to bound
   * memory (a hostile selector over a long range).
   */
  beforeGrow: (needed: number) => void;

  constructor(capacity = 1024) {
    this.ts = new Float64Array(Math.max(1, capacity));
    this.vs = new Float64Array(this.ts.length);
    this.words = new Uint32Array(this.vs.buffer);
    this.n = 0;
    this.beforeGrow = noop;
  }

  /** Makes room for `extra` more samples. */
  ensure(extra: number): void {
    const need = this.n + extra;
    if (need > this.ts.length) this.grow(need);
  }

  private grow(need: number): void {
    this.beforeGrow(need);
    const cap = Math.max(need, this.ts.length * 2);
    const ts = new Float64Array(cap);
    ts.set(this.ts.subarray(0, this.n));
    const vs = new Float64Array(cap);
    vs.set(this.vs.subarray(0, this.n));
    this.ts = ts;
    this.vs = vs;
    this.words = new Uint32Array(vs.buffer);
  }

  /** Appends one sample whose value bits are `hi:lo`. */
  pushBits(t: number, hi: number, lo: number): void {
    if (this.n === this.ts.length) this.grow(this.n + 1);
    const n = this.n;
    this.ts[n] = t;
    this.words[2 * n + WORD_HI] = hi;
    this.words[2 * n + WORD_LO] = lo;
    this.n = n + 1;
  }
}

function noop(): void {}

/** An iterator that can hand over all its remaining samples at once. */
export interface BulkSampleIterator extends SampleIterator {
  /** Appends every sample `next` would still yield to `buf`; the iterator is exhausted afterwards. */
  drainInto(buf: SampleBuffer): void;
}

/**
 * A series that can give its newest sample without decoding (the head knows the
 * last sample it appended). What an instant selector needs: the newest sample at
 * or before the evaluation time.
 */
export interface LatestSampleSource {
  /**
   * Appends the series' newest sample with timestamp in `[mint, maxt]` to `buf`
   * and returns true, or returns false (appending nothing) when that is not known
   * without iterating; then the caller iterates.
   */
  latestInto(mint: number, maxt: number, buf: SampleBuffer): boolean;
}

/** Whether `s` implements `LatestSampleSource`. */
export function hasLatest(s: object): s is LatestSampleSource {
  return typeof (s as Partial<LatestSampleSource>).latestInto === 'function';
}

/** Whether `it` supports `drainInto`. */
export function canDrain(it: SampleIterator): it is BulkSampleIterator {
  return typeof (it as Partial<BulkSampleIterator>).drainInto === 'function';
}

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);

/** Drains any iterator into `buf`: the bulk path when it has one, else `next` one sample at a time. */
export function drainInto(it: SampleIterator, buf: SampleBuffer): void {
  if (canDrain(it)) {
    it.drainInto(buf);
    return;
  }
  while (it.next() !== ValueType.None) {
    // Through a typed array, never a plain JS value: the NaN payload of a stale marker survives.
    f64[0] = it.atV();
    buf.pushBits(it.atT(), u32[WORD_HI]!, u32[WORD_LO]!);
  }
}

let mergeT = new Float64Array(1024);
let mergeW = new Uint32Array(2048);

/**
 * Merges the sorted runs `buf[bounds[i], bounds[i+1])` in place by timestamp,
 * dropping samples whose timestamp an earlier run (lower index) already holds,
 * as `ChainSampleIterator` does. `bounds` has one entry more than there are runs.
 */
export function mergeRuns(buf: SampleBuffer, bounds: readonly number[]): void {
  const k = bounds.length - 1;
  const start = bounds[0]!;
  const total = bounds[k]! - start;
  if (k <= 1 || total === 0) return;
  if (mergeT.length < total) {
    mergeT = new Float64Array(total);
    mergeW = new Uint32Array(2 * total);
  }
  const ts = buf.ts;
  const words = buf.words;
  const pos = bounds.slice(0, k);
  let o = 0;
  for (;;) {
    let best = -1;
    let bt = Number.POSITIVE_INFINITY;
    for (let i = 0; i < k; i++) {
      const p = pos[i]!;
      if (p < bounds[i + 1]! && ts[p]! < bt) {
        bt = ts[p]!;
        best = i;
      }
    }
    if (best < 0) break;
    // Word copies keep the value bits exact.
    const b = pos[best]!;
    mergeT[o] = bt;
    mergeW[2 * o] = words[2 * b]!;
    mergeW[2 * o + 1] = words[2 * b + 1]!;
    o++;
    // Every run sitting on this timestamp moves on: the earliest run's sample won.
    for (let i = 0; i < k; i++) {
      const p = pos[i]!;
      if (p < bounds[i + 1]! && ts[p] === bt) pos[i] = p + 1;
    }
  }
  ts.set(mergeT.subarray(0, o), start);
  words.set(mergeW.subarray(0, 2 * o), 2 * start);
  buf.n = start + o;
}
