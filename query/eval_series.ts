/**
 * The evaluator's internal, columnar value: a series is its labels plus points
 * held in two growable Float64Arrays (timestamps in ms, values). Every PromQL
 * value except strings is evaluated to an array of these, as Prometheus's engine
 * evaluates everything to a `Matrix`:
 * - an instant vector over a range query has at most one point per step;
 * - a scalar is one series with no labels and a point at every step;
 * - a range vector (matrix selector, subquery) holds the raw points of the window.
 *
 * `dropName` implements Prometheus 3's delayed `__name__` removal: operations
 * that would drop the metric name set the flag, and the name is removed only
 * when the final result is produced (so `label_replace` can still see it).
 */
import { Labels, METRIC_NAME } from '../tsdb/labels.js';
import { executionError } from './eval_errors.js';

/**
 * The labels that describe what a metric is (name, and Prometheus 3's `__type__`
 * and `__unit__`); an operation that changes the meaning of a value drops all of them.
 */
export const METADATA_LABELS: readonly string[] = [METRIC_NAME, '__type__', '__unit__'];

/** `l` without the metadata labels (Prometheus's `DropReserved(IsMetadataLabel)`). */
export function dropMetadata(l: Labels): Labels {
  if (!l.has(METRIC_NAME) && !l.has('__type__') && !l.has('__unit__')) return l;
  // Storage hands out the same Labels objects query after query; remembering the
  // stripped set spares rebuilding (and rehashing) it for every dashboard refresh.
  const cached = withoutMetadata.get(l);
  if (cached !== undefined) return cached;
  const stripped = buildWithoutMetadata(l);
  withoutMetadata.set(l, stripped);
  return stripped;
}

const withoutMetadata = new WeakMap<Labels, Labels>();

function buildWithoutMetadata(l: Labels): Labels {
  const nv: string[] = [];
  for (let i = 0; i < l.length; i++) {
    const n = l.name(i);
    if (n === METRIC_NAME || n === '__type__' || n === '__unit__') continue;
    nv.push(n, l.value(i));
  }
  return Labels.fromStrings(...nv);
}

const NO_POINTS = new Float64Array(0);

export class EvalSeries {
  labels: Labels;
  dropName: boolean;
  ts: Float64Array;
  vs: Float64Array;
  n: number;

  /** An empty series with room for `capacity` points (0 allocates nothing until the first push). */
  constructor(labels: Labels, dropName: boolean, capacity: number) {
    this.labels = labels;
    this.dropName = dropName;
    this.ts = capacity > 0 ? new Float64Array(capacity) : NO_POINTS;
    this.vs = capacity > 0 ? new Float64Array(capacity) : NO_POINTS;
    this.n = 0;
  }

  /** A series over existing arrays (not copied); `n` points are valid. */
  static wrap(labels: Labels, dropName: boolean, ts: Float64Array, vs: Float64Array, n: number): EvalSeries {
    const s = new EvalSeries(labels, dropName, 0);
    s.ts = ts;
    s.vs = vs;
    s.n = n;
    return s;
  }

  /** Appends a point; timestamps must be pushed in increasing order. */
  push(t: number, v: number): void {
    if (this.n === this.ts.length) {
      const cap = Math.max(8, this.n * 2);
      const ts = new Float64Array(cap);
      ts.set(this.ts);
      const vs = new Float64Array(cap);
      vs.set(this.vs);
      this.ts = ts;
      this.vs = vs;
    }
    this.ts[this.n] = t;
    this.vs[this.n] = v;
    this.n++;
  }

  /** Same labels and flag, values replaced by `vs` (same length as the points), timestamps shared. */
  withValues(vs: Float64Array, dropName: boolean): EvalSeries {
    return EvalSeries.wrap(this.labels, dropName, this.ts, vs, this.n);
  }
}

/** Total number of points held by `m` (what `--query.max-samples` limits). */
export function totalPoints(m: readonly EvalSeries[]): number {
  let n = 0;
  for (const s of m) n += s.n;
  return n;
}

/**
 * Collects the per-step output of an operation into series keyed by label set,
 * as Prometheus's `rangeEval` does. A second sample for the same label set at the
 * same step is the error "vector cannot contain metrics with the same labelset".
 * Series come out in first-seen order (the order of an instant query's result).
 */
export class SeriesCollector {
  private readonly byRef: Map<Labels, EvalSeries>;
  private readonly byKey: Map<string, EvalSeries>;
  private readonly out: EvalSeries[];
  private readonly capacity: number;

  constructor(numSteps: number) {
    this.byRef = new Map();
    this.byKey = new Map();
    this.out = [];
    this.capacity = Math.min(numSteps, 64);
  }

  add(labels: Labels, dropName: boolean, t: number, v: number): void {
    let s = this.byRef.get(labels);
    if (s === undefined) {
      const key = labels.key();
      s = this.byKey.get(key);
      if (s === undefined) {
        s = new EvalSeries(labels, dropName, this.capacity);
        this.byKey.set(key, s);
        this.out.push(s);
      }
      this.byRef.set(labels, s);
    }
    if (s.n > 0 && s.ts[s.n - 1] === t) throw executionError('vector cannot contain metrics with the same labelset');
    s.push(t, v);
  }

  result(): EvalSeries[] {
    return this.out;
  }
}

/** Whether two series share a label set (hash first; equality only on a hash match). */
export function hasDuplicateLabels(m: readonly EvalSeries[]): boolean {
  const byHash = new Map<number, Labels>();
  for (const s of m) {
    const h = s.labels.hash();
    const prev = byHash.get(h);
    if (prev === undefined) byHash.set(h, s.labels);
    else if (prev.equals(s.labels)) return true;
    else {
      // A hash collision: fall back to exact keys for this rare case.
      const keys = new Set<string>();
      for (const x of m) {
        const k = x.labels.key();
        if (keys.has(k)) return true;
        keys.add(k);
      }
      return false;
    }
  }
  return false;
}

/**
 * Merges series whose label sets became equal (after `__name__` removal or
 * `label_replace`), as Prometheus's `mergeSeriesWithSameLabelset`: their points
 * must not share a timestamp.
 */
export function mergeSameLabelsets(m: EvalSeries[]): EvalSeries[] {
  if (m.length <= 1) return m;
  if (!hasDuplicateLabels(m)) return m;
  const byKey = new Map<string, EvalSeries[]>();
  let dup = false;
  for (const s of m) {
    const k = s.labels.key();
    const g = byKey.get(k);
    if (g === undefined) byKey.set(k, [s]);
    else {
      g.push(s);
      dup = true;
    }
  }
  if (!dup) return m;
  const out: EvalSeries[] = [];
  for (const g of byKey.values()) {
    if (g.length === 1) {
      out.push(g[0]!);
      continue;
    }
    let n = 0;
    for (const s of g) n += s.n;
    const idx: number[] = [];
    const ts = new Float64Array(n);
    const vs = new Float64Array(n);
    let o = 0;
    for (const s of g) {
      ts.set(s.ts.subarray(0, s.n), o);
      vs.set(s.vs.subarray(0, s.n), o);
      o += s.n;
    }
    for (let i = 0; i < n; i++) idx.push(i);
    idx.sort((a, b) => ts[a]! - ts[b]!);
    const merged = new EvalSeries(g[0]!.labels, g[0]!.dropName, n);
    for (let i = 0; i < n; i++) {
      const j = idx[i]!;
      if (i > 0 && ts[j] === merged.ts[merged.n - 1]) throw executionError('vector cannot contain metrics with the same labelset');
      merged.push(ts[j]!, vs[j]!);
    }
    out.push(merged);
  }
  return out;
}
