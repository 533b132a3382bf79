/**
 * A simple in-memory `Storage`: every series keeps its samples in growable
 * Float64Arrays. It is the reference implementation of the contract (it passes
 * the conformance suite), the storage of tests that need no disk, and the
 * server's storage until the TSDB is wired in. No compression, no persistence.
 */
import { Labels, METRIC_NAME } from './labels.js';
import { MatchType, type Matcher } from './matcher.js';
import { StorageError, duplicateSampleForTimestamp, invalidSeries, outOfOrderSample } from './errors.js';
import type {
  Appender,
  LabelHints,
  Querier,
  SampleIterator,
  SelectHints,
  Series,
  SeriesRef,
  SeriesSet,
  Storage,
} from './storage.js';
import { ArraySampleIterator, ListSeriesSet } from './series_set.js';

class MemSeries {
  readonly ref: SeriesRef;
  readonly labels: Labels;
  ts: Float64Array;
  vs: Float64Array;
  n: number;

  constructor(ref: SeriesRef, labels: Labels) {
    this.ref = ref;
    this.labels = labels;
    this.ts = new Float64Array(16);
    this.vs = new Float64Array(16);
    this.n = 0;
  }

  lastT(): number {
    return this.n === 0 ? Number.NEGATIVE_INFINITY : this.ts[this.n - 1]!;
  }

  push(t: number, v: number): void {
    if (this.n === this.ts.length) {
      this.ts = doubled(this.ts);
      this.vs = doubled(this.vs);
    }
    this.ts[this.n] = t;
    this.vs[this.n] = v;
    this.n++;
  }
}

/** A copy of `a` in an array twice its length (growth of the append buffers). */
function doubled(a: Float64Array): Float64Array {
  const out = new Float64Array(a.length * 2);
  out.set(a);
  return out;
}

const f64 = new Float64Array(2);
const u32 = new Uint32Array(f64.buffer);

/** Same float64 bits (so a NaN equals the same NaN, and the stale marker differs from other NaNs). */
function sameBits(a: number, b: number): boolean {
  f64[0] = a;
  f64[1] = b;
  return u32[0] === u32[2] && u32[1] === u32[3];
}

export class MemoryStorage implements Storage {
  private readonly byKey: Map<string, MemSeries>;
  private readonly byRef: MemSeries[];
  /** Series by metric name (creation order), so a selector with `__name__="x"` scans only those. */
  private readonly byName: Map<string, MemSeries[]>;
  private closed: boolean;

  constructor() {
    this.byKey = new Map();
    this.byRef = [];
    this.byName = new Map();
    this.closed = false;
  }

  appender(): Appender {
    this.checkOpen();
    return new MemoryAppender(this);
  }

  async querier(mint: number, maxt: number): Promise<Querier> {
    this.checkOpen();
    return new MemoryQuerier(this, mint, maxt);
  }

  async startTime(): Promise<number> {
    let min = Number.MAX_SAFE_INTEGER;
    for (const s of this.byRef) if (s.n > 0 && s.ts[0]! < min) min = s.ts[0]!;
    return min;
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  /** @internal */
  checkOpen(): void {
    if (this.closed) throw new StorageError('storage_closed', 'storage is closed');
  }

  /** @internal Finds or creates the series for `labels`. */
  getOrCreate(labels: Labels): MemSeries {
    const key = labels.key();
    let s = this.byKey.get(key);
    if (s === undefined) {
      s = new MemSeries((this.byRef.length + 1) as SeriesRef, labels);
      this.byKey.set(key, s);
      this.byRef.push(s);
      const name = labels.get(METRIC_NAME);
      const list = this.byName.get(name);
      if (list === undefined) this.byName.set(name, [s]);
      else list.push(s);
    }
    return s;
  }

  /** @internal The series a selector can match: those of its metric name when it fixes one, else all. */
  candidates(matchers: readonly Matcher[]): readonly MemSeries[] {
    for (const m of matchers) {
      if (m.name === METRIC_NAME && m.type === MatchType.Equal && m.value !== '') return this.byName.get(m.value) ?? [];
    }
    return this.byRef;
  }

  /** @internal */
  seriesByRef(ref: SeriesRef): MemSeries | undefined {
    return this.byRef[ref - 1];
  }

  /** @internal All series, in creation order. */
  allSeries(): readonly MemSeries[] {
    return this.byRef;
  }
}

// Pending samples are kept columnar, values in a Float64Array: a plain number[]
// may canonicalise NaN payloads in V8 and so lose the staleness marker.
class MemoryAppender implements Appender {
  private readonly db: MemoryStorage;
  private refs: SeriesRef[];
  private ts: Float64Array;
  private vs: Float64Array;
  private n: number;
  private done: boolean;
  /** Index of each series' newest pending sample, so checks stay O(1) per append. */
  private readonly lastPending: Map<SeriesRef, number>;

  constructor(db: MemoryStorage) {
    this.db = db;
    this.lastPending = new Map();
    this.refs = [];
    this.ts = new Float64Array(64);
    this.vs = new Float64Array(64);
    this.n = 0;
    this.done = false;
  }

  append(ref: SeriesRef, labels: Labels, t: number, v: number): SeriesRef {
    if (this.done) throw new StorageError('invalid_sample', 'appender used after commit or rollback');
    this.db.checkOpen();
    let s = ref !== 0 ? this.db.seriesByRef(ref) : undefined;
    if (s === undefined || !s.labels.equals(labels)) {
      if (labels.isEmpty()) throw invalidSeries(labels, 'empty label set');
      s = this.db.getOrCreate(labels);
    }
    if (!Number.isFinite(t) || !Number.isInteger(t)) {
      throw new StorageError('invalid_sample', `invalid timestamp ${t} for ${labels.toString()}: expected integer milliseconds`);
    }
    // Check against committed data and against this transaction's pending samples for the series.
    let last = s.lastT();
    let lastV = s.n > 0 ? s.vs[s.n - 1]! : 0;
    const pending = this.lastPending.get(s.ref);
    if (pending !== undefined) {
      last = this.ts[pending]!;
      lastV = this.vs[pending]!;
    }
    if (t < last) throw outOfOrderSample(s.labels, t, last);
    if (t === last) {
      if (sameBits(v, lastV)) return s.ref; // Prometheus: an identical duplicate is silently ignored.
      throw duplicateSampleForTimestamp(s.labels, t);
    }
    if (this.n === this.ts.length) {
      this.ts = doubled(this.ts);
      this.vs = doubled(this.vs);
    }
    this.refs.push(s.ref);
    this.lastPending.set(s.ref, this.n);
    this.ts[this.n] = t;
    this.vs[this.n] = v;
    this.n++;
    return s.ref;
  }

  async commit(): Promise<void> {
    if (this.done) return;
    this.done = true;
    for (let i = 0; i < this.n; i++) {
      const s = this.db.seriesByRef(this.refs[i]!)!;
      s.push(this.ts[i]!, this.vs[i]!);
    }
    this.refs = [];
    this.lastPending.clear();
    this.n = 0;
  }

  async rollback(): Promise<void> {
    this.done = true;
    this.refs = [];
    this.lastPending.clear();
    this.n = 0;
  }
}

class MemoryQuerier implements Querier {
  private readonly db: MemoryStorage;
  private readonly mint: number;
  private readonly maxt: number;

  constructor(db: MemoryStorage, mint: number, maxt: number) {
    this.db = db;
    this.mint = mint;
    this.maxt = maxt;
  }

  /** Series matching all matchers with at least one sample in range, as [series, from, to) index ranges. */
  private matching(matchers: readonly Matcher[]): { s: MemSeries; from: number; to: number }[] {
    const out: { s: MemSeries; from: number; to: number }[] = [];
    for (const s of this.db.candidates(matchers)) {
      let ok = true;
      for (const m of matchers) {
        if (!m.matches(s.labels.get(m.name))) {
          ok = false;
          break;
        }
      }
      if (!ok) continue;
      const from = lowerBound(s.ts, s.n, this.mint);
      const to = lowerBound(s.ts, s.n, this.maxt + 1);
      if (to > from) out.push({ s, from, to });
    }
    return out;
  }

  async select(sortSeries: boolean, hints: SelectHints | null, matchers: readonly Matcher[]): Promise<SeriesSet> {
    const found = this.matching(matchers);
    if (sortSeries) found.sort((a, b) => Labels.compare(a.s.labels, b.s.labels));
    const limit = hints?.limit ?? 0;
    const picked = limit > 0 ? found.slice(0, limit) : found;
    const series: Series[] = picked.map(
      // Views, not copies: a series' buffers are append-only (growth reallocates), so the
      // samples in [from, to) never change and samples committed later stay out of view.
      ({ s, from, to }) => new ArraySeries(s.labels, s.ts.subarray(from, to), s.vs.subarray(from, to)),
    );
    return new ListSeriesSet(series);
  }

  async labelNames(matchers: readonly Matcher[], hints?: LabelHints): Promise<string[]> {
    const names = new Set<string>();
    for (const { s } of this.matching(matchers)) s.labels.forEach((n) => {
        names.add(n);
      });
    return limitSorted(names, hints);
  }

  async labelValues(name: string, matchers: readonly Matcher[], hints?: LabelHints): Promise<string[]> {
    const values = new Set<string>();
    for (const { s } of this.matching(matchers)) {
      const v = s.labels.get(name);
      if (v !== '') values.add(v);
    }
    return limitSorted(values, hints);
  }

  async close(): Promise<void> {}
}

function limitSorted(set: Set<string>, hints: LabelHints | undefined): string[] {
  const out = [...set].sort();
  return hints !== undefined && hints.limit > 0 ? out.slice(0, hints.limit) : out;
}

/** First index in ts[0..n) with ts[i] >= t. */
function lowerBound(ts: Float64Array, n: number, t: number): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ts[mid]! < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** A series whose samples are held in two typed arrays. */
export class ArraySeries implements Series {
  readonly labels: Labels;
  private readonly ts: Float64Array;
  private readonly vs: Float64Array;

  constructor(labels: Labels, ts: Float64Array, vs: Float64Array) {
    this.labels = labels;
    this.ts = ts;
    this.vs = vs;
  }

  iterator(reuse?: SampleIterator): SampleIterator {
    if (reuse instanceof ArraySampleIterator) return reuse.reset(this.ts, this.vs, this.ts.length);
    return new ArraySampleIterator(this.ts, this.vs, this.ts.length);
  }
}
