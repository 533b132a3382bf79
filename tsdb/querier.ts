/**
 * Merging reads over several queriers (head and blocks, or several blocks):
 *
 * - `MergeQuerier` runs `select` on every querier (all sorted), merges label names
 *   and values, closes them all.
 * - `MergeSeriesSet` is a k-way merge of sorted series sets by `Labels.compare`;
 *   series with identical labels in several sets become one series.
 * - `ChainSampleIterator` merges the sample iterators of such a series by time;
 *   samples with the same timestamp are de-duplicated, the earliest input winning
 *   (so pass the most authoritative querier first).
 *
 * k is small (the head plus a handful of blocks), so the merges scan their inputs
 * linearly instead of keeping a heap; nothing is allocated per sample.
 */
import { compareUtf8 } from './index/utf8_order.js';
import { Labels } from './labels.js';
import type { Matcher } from './matcher.js';
import { type SampleBuffer, WORD_HI, WORD_LO, drainInto, mergeRuns } from './sample_buffer.js';
import {
  type LabelHints,
  type Querier,
  type SampleIterator,
  type SelectHints,
  type Series,
  type SeriesSet,
  ValueType,
} from './storage.js';

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);

/** Merges the samples of several iterators over one series by timestamp, dropping duplicates. */
export class ChainSampleIterator implements SampleIterator {
  private its: SampleIterator[];
  /** Current timestamp of each input; +Infinity once exhausted. */
  private ts: Float64Array;
  private started: boolean;
  private cur: number;
  private t: number;
  /** Smallest current timestamp among the inputs other than `cur`. */
  private second: number;
  private error: Error | null;

  constructor(its: SampleIterator[]) {
    this.its = its;
    this.ts = new Float64Array(its.length);
    this.started = false;
    this.cur = -1;
    this.t = Number.NEGATIVE_INFINITY;
    this.second = Number.POSITIVE_INFINITY;
    this.error = null;
  }

  /** Restarts over new inputs. */
  reset(its: SampleIterator[]): void {
    this.its = its;
    if (this.ts.length < its.length) this.ts = new Float64Array(its.length);
    this.started = false;
    this.cur = -1;
    this.t = Number.NEGATIVE_INFINITY;
    this.second = Number.POSITIVE_INFINITY;
    this.error = null;
  }

  private adv(i: number, r: ValueType): void {
    const it = this.its[i]!;
    if (r === ValueType.None) {
      this.ts[i] = Number.POSITIVE_INFINITY;
      const e = it.err();
      if (e !== null && this.error === null) this.error = e;
    } else this.ts[i] = it.atT();
  }

  private pick(): ValueType {
    let best = -1;
    let bt = Number.POSITIVE_INFINITY;
    let second = Number.POSITIVE_INFINITY;
    for (let i = 0; i < this.its.length; i++) {
      const t = this.ts[i]!;
      if (t < bt) {
        second = bt;
        bt = t;
        best = i;
      } else if (t < second) second = t;
    }
    this.second = second;
    if (best < 0 || this.error !== null) {
      this.cur = -1;
      return ValueType.None;
    }
    this.cur = best;
    this.t = bt;
    return ValueType.Float;
  }

  next(): ValueType {
    const n = this.its.length;
    if (!this.started) {
      this.started = true;
      for (let i = 0; i < n; i++) this.adv(i, this.its[i]!.next());
    } else {
      if (this.cur < 0) return ValueType.None;
      const t = this.t;
      // Fast path: no other input sits at or before the current sample (blocks that
      // do not overlap), so only the current input moves and no rescan is needed.
      if (this.second > t) {
        const c = this.cur;
        this.adv(c, this.its[c]!.next());
        const nt = this.ts[c]!;
        if (nt < this.second && this.error === null) {
          this.t = nt;
          return ValueType.Float;
        }
        return this.pick();
      }
      // Advance every input sitting on the sample just returned (that drops duplicates).
      for (let i = 0; i < n; i++) if (this.ts[i] === t) this.adv(i, this.its[i]!.next());
    }
    return this.pick();
  }

  /**
   * Appends every remaining sample to `buf`: untouched inputs are drained one
   * after the other and their runs merged by time (earliest input winning ties);
   * once iteration has begun, the per-sample path finishes the job.
   */
  drainInto(buf: SampleBuffer): void {
    if (this.started) {
      if (this.cur < 0) return;
      // The current sample was already returned; hand over the rest one by one.
      while (this.next() !== ValueType.None) {
        f64[0] = this.atV();
        buf.pushBits(this.t, u32[WORD_HI]!, u32[WORD_LO]!);
      }
      return;
    }
    this.started = true;
    this.cur = -1;
    const bounds: number[] = [buf.n];
    for (const it of this.its) {
      drainInto(it, buf);
      const e = it.err();
      if (e !== null && this.error === null) this.error = e;
      bounds.push(buf.n);
    }
    mergeRuns(buf, bounds);
  }

  seek(t: number): ValueType {
    if (this.started && this.cur >= 0 && this.t >= t) return ValueType.Float;
    if (this.started && this.cur < 0) return ValueType.None;
    this.started = true;
    for (let i = 0; i < this.its.length; i++) {
      if (this.ts[i]! >= t && this.cur >= 0) continue;
      this.adv(i, this.its[i]!.seek(t));
    }
    return this.pick();
  }

  atT(): number {
    return this.t;
  }

  atV(): number {
    return this.its[this.cur]!.atV();
  }

  err(): Error | null {
    return this.error;
  }
}

/** One series present in several inputs. */
class MergedSeries implements Series {
  readonly labels: Labels;
  private readonly parts: Series[];
  constructor(labels: Labels, parts: Series[]) {
    this.labels = labels;
    this.parts = parts;
  }
  iterator(reuse?: SampleIterator): SampleIterator {
    const its = this.parts.map((p) => p.iterator());
    if (reuse instanceof ChainSampleIterator) {
      reuse.reset(its);
      return reuse;
    }
    return new ChainSampleIterator(its);
  }
}

/** k-way merge of series sets sorted by `Labels.compare`. */
export class MergeSeriesSet implements SeriesSet {
  private readonly sets: SeriesSet[];
  private readonly heads: (Series | null)[];
  private started: boolean;
  private cur: Series | null;
  private error: Error | null;

  constructor(sets: SeriesSet[]) {
    this.sets = sets;
    this.heads = sets.map(() => null);
    this.started = false;
    this.cur = null;
    this.error = null;
  }

  private advance(i: number): void {
    const s = this.sets[i]!;
    if (s.next()) this.heads[i] = s.at();
    else {
      this.heads[i] = null;
      const e = s.err();
      if (e !== null && this.error === null) this.error = e;
    }
  }

  next(): boolean {
    if (!this.started) {
      this.started = true;
      for (let i = 0; i < this.sets.length; i++) this.advance(i);
    }
    if (this.error !== null) return false;
    let min: Labels | null = null;
    for (const h of this.heads) if (h !== null && (min === null || Labels.compare(h.labels, min) < 0)) min = h.labels;
    if (min === null) return false;
    let first: Series | null = null;
    let many: Series[] | null = null;
    for (let i = 0; i < this.heads.length; i++) {
      const h = this.heads[i];
      if (h === null || h === undefined || !h.labels.equals(min)) continue;
      if (first === null) first = h;
      else {
        many ??= [first];
        many.push(h);
      }
      this.advance(i);
    }
    this.cur = many === null ? first : new MergedSeries(min, many);
    return this.error === null;
  }

  at(): Series {
    return this.cur!;
  }

  err(): Error | null {
    return this.error;
  }

  warnings(): readonly string[] {
    const out: string[] = [];
    for (const s of this.sets) out.push(...s.warnings());
    return out;
  }
}

/** Stops after `limit` series (the `limit` select hint, applied after merging). */
class LimitSeriesSet implements SeriesSet {
  private readonly inner: SeriesSet;
  private left: number;
  constructor(inner: SeriesSet, limit: number) {
    this.inner = inner;
    this.left = limit;
  }
  next(): boolean {
    if (this.left <= 0) return false;
    this.left--;
    return this.inner.next();
  }
  at(): Series {
    return this.inner.at();
  }
  err(): Error | null {
    return this.inner.err();
  }
  warnings(): readonly string[] {
    return this.inner.warnings();
  }
}

/** Merges several sorted series sets; a single set is returned as is. */
export function mergeSeriesSets(sets: SeriesSet[]): SeriesSet {
  return sets.length === 1 ? sets[0]! : new MergeSeriesSet(sets);
}

/**
 * A querier over several queriers (e.g. blocks and head) covering the same range.
 * Earlier queriers win when two hold a sample at the same timestamp.
 */
export class MergeQuerier implements Querier {
  private readonly qs: Querier[];

  constructor(queriers: Querier[]) {
    this.qs = queriers;
  }

  async select(_sortSeries: boolean, hints: SelectHints | null, matchers: readonly Matcher[]): Promise<SeriesSet> {
    // Merging needs sorted inputs, whatever the caller asked for.
    const sets = await Promise.all(this.qs.map((q) => q.select(true, hints, matchers)));
    const merged = mergeSeriesSets(sets);
    const limit = hints?.limit ?? 0;
    return limit > 0 ? new LimitSeriesSet(merged, limit) : merged;
  }

  async labelNames(matchers: readonly Matcher[], hints?: LabelHints): Promise<string[]> {
    const lists = await Promise.all(this.qs.map((q) => q.labelNames(matchers, hints)));
    return mergeStrings(lists, hints?.limit ?? 0);
  }

  async labelValues(name: string, matchers: readonly Matcher[], hints?: LabelHints): Promise<string[]> {
    const lists = await Promise.all(this.qs.map((q) => q.labelValues(name, matchers, hints)));
    return mergeStrings(lists, hints?.limit ?? 0);
  }

  async close(): Promise<void> {
    await Promise.all(this.qs.map((q) => q.close()));
  }
}

/** Sorted union of string lists, cut to `limit` entries when `limit > 0`. */
function mergeStrings(lists: string[][], limit: number): string[] {
  const s = new Set<string>();
  for (const l of lists) for (const x of l) s.add(x);
  const out = [...s].sort(compareUtf8);
  return limit > 0 && out.length > limit ? out.slice(0, limit) : out;
}
