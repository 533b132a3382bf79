/**
 * Aggregation operators (`sum avg min max count group stddev stdvar quantile`,
 * `topk bottomk limitk limit_ratio`, `count_values`) over step-aligned series,
 * with Prometheus's arithmetic (Neumaier sums, incremental mean on overflow,
 * Welford variance) and its output order for instant queries.
 *
 * Columnar: each input series is assigned to its output group once; then every
 * step walks the series with a cursor and accumulates into typed per-group state.
 */
import { Labels, LabelsBuilder, METRIC_NAME } from '../tsdb/labels.js';
import type { AggregateOp } from './ast.js';
import { executionError, tooManySamplesError } from './eval_errors.js';
import { EvalSeries, SeriesCollector, totalPoints } from './eval_series.js';
import { formatGoF, formatGoG } from './go_float.js';
import { kahan, kahanInc } from './kahan_sum.js';
import { quantile } from './quantile.js';
import { prometheusLabelsHash } from './xxhash64.js';

/** The step grid of an evaluation: `numSteps` timestamps `start + k·interval`. */
export interface StepGrid {
  readonly start: number;
  readonly interval: number;
  readonly numSteps: number;
}

/** The labels of the output group of `m` (Prometheus's `generateGroupingLabels`). */
export function groupingLabels(m: Labels, grouping: readonly string[], without: boolean, lb: LabelsBuilder): Labels {
  if (without) {
    lb.reset(m);
    lb.del(...grouping, METRIC_NAME);
    return lb.labels();
  }
  if (grouping.length === 0) return Labels.EMPTY;
  lb.reset(m);
  lb.keep(...grouping);
  return lb.labels();
}

/** The last grouping computed for a label set: grouping signature, group labels and their key. */
const groupOf = new WeakMap<Labels, { sig: string; labels: Labels; key: string }>();

/** Assigns every input series to a group; returns group ordinals and the groups' labels in first-seen order. */
function assignGroups(input: readonly EvalSeries[], grouping: readonly string[], without: boolean): { of: Int32Array; labels: Labels[] } {
  const of = new Int32Array(input.length);
  const byKey = new Map<string, number>();
  const labels: Labels[] = [];
  const lb = new LabelsBuilder();
  const sig = `${without ? '-' : '+'}${grouping.join('\xff')}`;
  for (let i = 0; i < input.length; i++) {
    // Storage hands out the same label sets query after query: remember each one's group.
    const m = input[i]!.labels;
    let c = groupOf.get(m);
    if (c === undefined || c.sig !== sig) {
      const gl = groupingLabels(m, grouping, without, lb);
      c = { sig, labels: gl, key: gl.key() };
      groupOf.set(m, c);
    }
    const g = c.labels;
    const key = c.key;
    let ord = byKey.get(key);
    if (ord === undefined) {
      ord = labels.length;
      byKey.set(key, ord);
      labels.push(g);
    }
    of[i] = ord;
  }
  return { of, labels };
}

/**
 * `sum avg min max count group stddev stdvar quantile`. `param` holds φ per step
 * for `quantile` (else unused). Output series carry the group labels.
 *
 * Walks the input series-major (each series' points once, in order) and keeps
 * one accumulator per (step, group): samples still reach each accumulator in
 * input-series order, as in Prometheus, so sums round identically.
 */
export function aggregateSimple(
  op: AggregateOp,
  input: readonly EvalSeries[],
  grouping: readonly string[],
  without: boolean,
  param: Float64Array | null,
  grid: StepGrid,
  maxSamples: number = Number.POSITIVE_INFINITY,
): EvalSeries[] {
  const { of, labels } = assignGroups(input, grouping, without);
  const G = labels.length;
  const N = grid.numSteps * G;
  // The dense (step × group) accumulators must fit: their size bounds the output.
  if (N > maxSamples && N > totalPoints(input)) throw tooManySamplesError();
  const seen = new Uint8Array(N);
  const val = new Float64Array(N);
  const mean = new Float64Array(N);
  const comp = new Float64Array(N);
  const count = new Float64Array(N);
  const incr = new Uint8Array(N);
  const drop = new Uint8Array(N);
  const lists: number[][] | null = op === 'quantile' ? [] : null;
  if (op === 'sum') sumSeriesMajor(input, of, G, grid, seen, val, comp, drop);
  else for (let si = 0; si < input.length; si++) {
    const s = input[si]!;
    const g = of[si]!;
    for (let i = 0; i < s.n; i++) {
      const k = (s.ts[i]! - grid.start) / grid.interval;
      const x = k * G + g;
      const f = s.vs[i]!;
      if (seen[x] === 0) {
        seen[x] = 1;
        val[x] = f;
        mean[x] = f;
        count[x] = 1;
        if (s.dropName) drop[x] = 1;
        if (op === 'stddev' || op === 'stdvar') val[x] = Number.isFinite(f) ? 0 : Number.NaN;
        else if (op === 'group') val[x] = 1;
        else if (lists !== null) lists[x] = [f];
        continue;
      }
      if (s.dropName) drop[x] = 1;
      switch (op) {
        case 'avg': {
          const n = ++count[x]!;
          if (incr[x] === 0) {
            kahanInc(f, val[x]!, comp[x]!);
            if (kahan.sum !== Number.POSITIVE_INFINITY && kahan.sum !== Number.NEGATIVE_INFINITY) {
              val[x] = kahan.sum;
              comp[x] = kahan.c;
              break;
            }
            // The sum would overflow: continue with an incremental mean.
            incr[x] = 1;
            mean[x] = val[x]! / (n - 1);
            comp[x] = comp[x]! / (n - 1);
          }
          const q = (n - 1) / n;
          kahanInc(f / n, q * mean[x]!, q * comp[x]!);
          mean[x] = kahan.sum;
          comp[x] = kahan.c;
          break;
        }
        case 'max':
          if (val[x]! < f || Number.isNaN(val[x]!)) val[x] = f;
          break;
        case 'min':
          if (val[x]! > f || Number.isNaN(val[x]!)) val[x] = f;
          break;
        case 'count':
          count[x]!++;
          break;
        case 'stddev':
        case 'stdvar': {
          const n = ++count[x]!;
          const delta = f - mean[x]!;
          mean[x] = mean[x]! + delta / n;
          val[x] = val[x]! + delta * (f - mean[x]!);
          break;
        }
        case 'quantile':
          lists![x]!.push(f);
          break;
        default:
          break;
      }
    }
  }
  const out: EvalSeries[] = [];
  for (let g = 0; g < G; g++) {
    const o = new EvalSeries(labels[g]!, false, 8);
    for (let k = 0; k < grid.numSteps; k++) {
      const x = k * G + g;
      if (seen[x] === 0) continue;
      let v = val[x]!;
      switch (op) {
        case 'avg':
          v = incr[x] === 1 ? mean[x]! + comp[x]! : val[x]! / count[x]! + comp[x]! / count[x]!;
          break;
        case 'count':
          v = count[x]!;
          break;
        case 'stdvar':
          v = val[x]! / count[x]!;
          break;
        case 'stddev':
          v = Math.sqrt(val[x]! / count[x]!);
          break;
        case 'quantile': {
          const l = lists![x]!;
          v = quantile(param === null ? Number.NaN : param[k]!, Float64Array.from(l), l.length);
          break;
        }
        case 'sum':
          v = val[x]! + comp[x]!;
          break;
        default:
          break;
      }
      o.push(grid.start + k * grid.interval, v);
      // As in Prometheus, the flag of the last step with a sample wins.
      o.dropName = drop[x] === 1;
    }
    if (o.n > 0) out.push(o);
  }
  return out;
}

/** The `sum` accumulation of `aggregateSimple`, without per-sample dispatch (its hot path). */
function sumSeriesMajor(
  input: readonly EvalSeries[],
  of: Int32Array,
  G: number,
  grid: StepGrid,
  seen: Uint8Array,
  val: Float64Array,
  comp: Float64Array,
  drop: Uint8Array,
): void {
  const start = grid.start;
  const interval = grid.interval;
  for (let si = 0; si < input.length; si++) {
    const s = input[si]!;
    const g = of[si]!;
    const ts = s.ts;
    const vs = s.vs;
    const dn = s.dropName;
    for (let i = 0; i < s.n; i++) {
      const x = ((ts[i]! - start) / interval) * G + g;
      const f = vs[i]!;
      if (dn) drop[x] = 1;
      if (seen[x] === 0) {
        seen[x] = 1;
        val[x] = f;
        continue;
      }
      // Neumaier step, inlined (see kahan_sum.ts).
      const sum = val[x]!;
      const t = sum + f;
      let c = comp[x]!;
      if (t > Number.MAX_VALUE || t < -Number.MAX_VALUE) c = 0;
      else if (Math.abs(sum) >= Math.abs(f)) c += sum - t + f;
      else c += f - t + sum;
      val[x] = t;
      comp[x] = c;
    }
  }
}

// A binary heap of input-series indices with Go's container/heap algorithms, so
// that ties and NaNs select the same series as Prometheus.
class IndexHeap {
  idx: number[];
  vals: number[];
  /** true: min-heap with NaN smallest (topk); false: max-heap with NaN "smallest" (bottomk). */
  private readonly asc: boolean;

  constructor(asc: boolean) {
    this.idx = [];
    this.vals = [];
    this.asc = asc;
  }

  less(i: number, j: number): boolean {
    const a = this.vals[i]!;
    if (Number.isNaN(a)) return true;
    return this.asc ? a < this.vals[j]! : a > this.vals[j]!;
  }

  private swap(i: number, j: number): void {
    const ti = this.idx[i]!;
    this.idx[i] = this.idx[j]!;
    this.idx[j] = ti;
    const tv = this.vals[i]!;
    this.vals[i] = this.vals[j]!;
    this.vals[j] = tv;
  }

  private up(j: number): void {
    for (;;) {
      const i = (j - 1) >> 1;
      if (j <= 0 || i === j || !this.less(j, i)) break;
      this.swap(i, j);
      j = i;
    }
  }

  private down(i0: number, n: number): boolean {
    let i = i0;
    for (;;) {
      const j1 = 2 * i + 1;
      if (j1 >= n || j1 < 0) break;
      let j = j1;
      const j2 = j1 + 1;
      if (j2 < n && this.less(j2, j1)) j = j2;
      if (!this.less(j, i)) break;
      this.swap(i, j);
      i = j;
    }
    return i > i0;
  }

  push(si: number, v: number): void {
    this.idx.push(si);
    this.vals.push(v);
    this.up(this.idx.length - 1);
  }

  replaceTop(si: number, v: number): void {
    this.idx[0] = si;
    this.vals[0] = v;
    if (!this.down(0, this.idx.length)) this.up(0);
  }

  /** Entries in the order of Go's `sort.Sort(sort.Reverse(heap))` (stable here). */
  sortedReverse(): number[] {
    const order = this.idx.map((_, i) => i);
    order.sort((a, b) => (this.less(b, a) ? -1 : this.less(a, b) ? 1 : 0));
    return order.map((i) => this.idx[i]!);
  }
}

/** A label set's position in [0, 1], the sampling offset of `limit_ratio` (as Prometheus computes it). */
function ratioOffset(l: Labels): number {
  return Number(prometheusLabelsHash(l)) / 2 ** 64;
}

/**
 * `topk bottomk limitk limit_ratio`: output series are input series (labels and
 * `dropName` kept). `param` holds k or the ratio per step.
 */
export function aggregateK(
  op: AggregateOp,
  input: readonly EvalSeries[],
  grouping: readonly string[],
  without: boolean,
  param: Float64Array,
  grid: StepGrid,
): EvalSeries[] {
  const { of, labels } = assignGroups(input, grouping, without);
  const G = labels.length;
  const collector = new SeriesCollector(grid.numSteps);
  const cur = new Int32Array(input.length);
  const heaps: IndexHeap[] = labels.map(() => new IndexHeap(op !== 'bottomk'));
  const seen = new Uint8Array(G);
  const complete = new Uint8Array(G);
  for (let k = 0; k < grid.numSteps; k++) {
    const t = grid.start + k * grid.interval;
    const p = param[k]!;
    let kk = 0;
    let r = 0;
    let skipStep = false;
    if (op === 'limit_ratio') {
      if (p === 0) skipStep = true;
      r = p < -1 ? -1 : Math.min(p, 1);
    } else {
      kk = Math.min(Math.trunc(p), input.length);
      if (kk < 1) skipStep = true;
    }
    seen.fill(0);
    complete.fill(0);
    let groupsRemaining = G;
    for (let si = 0; si < input.length; si++) {
      const s = input[si]!;
      const c = cur[si]!;
      if (c >= s.n || s.ts[c] !== t) continue;
      cur[si] = c + 1;
      if (skipStep || groupsRemaining === 0) continue;
      const f = s.vs[c]!;
      const g = of[si]!;
      const h = heaps[g]!;
      if (seen[g] === 0) {
        seen[g] = 1;
        h.idx.length = 0;
        h.vals.length = 0;
        if (op === 'limit_ratio') {
          if (ratioSelected(r, input[si]!.labels)) h.push(si, f);
        } else h.push(si, f);
        continue;
      }
      switch (op) {
        case 'topk':
          if (h.idx.length < kk) h.push(si, f);
          else if (h.vals[0]! < f || (Number.isNaN(h.vals[0]!) && !Number.isNaN(f))) h.replaceTop(si, f);
          break;
        case 'bottomk':
          if (h.idx.length < kk) h.push(si, f);
          else if (h.vals[0]! > f || (Number.isNaN(h.vals[0]!) && !Number.isNaN(f))) h.replaceTop(si, f);
          break;
        case 'limitk':
          if (h.idx.length < kk) h.push(si, f);
          if (complete[g] === 0 && h.idx.length === kk) {
            complete[g] = 1;
            groupsRemaining--;
          }
          break;
        case 'limit_ratio':
          if (ratioSelected(r, input[si]!.labels)) h.push(si, f);
          break;
        default:
          break;
      }
    }
    if (skipStep) continue;
    for (let g = 0; g < G; g++) {
      if (seen[g] === 0) continue;
      const h = heaps[g]!;
      const order = op === 'topk' || op === 'bottomk' ? h.sortedReverse() : h.idx;
      for (const si of order) {
        const s = input[si]!;
        collector.add(s.labels, s.dropName, t, valueAt(s, t));
      }
    }
  }
  return collector.result();
}

function ratioSelected(r: number, l: Labels): boolean {
  const off = ratioOffset(l);
  return (r >= 0 && off < r) || (r < 0 && off >= 1 + r);
}

/** The value of step-aligned series `s` at `t` (binary search; the point must exist). */
function valueAt(s: EvalSeries, t: number): number {
  let lo = 0;
  let hi = s.n - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (s.ts[mid]! < t) lo = mid + 1;
    else hi = mid;
  }
  return s.vs[lo]!;
}

/** Checks of the k parameter across all steps, as Prometheus does before evaluating. */
export function checkKParams(op: AggregateOp, param: Float64Array): 'empty' | 'ok' {
  let max = Number.NEGATIVE_INFINITY;
  let min = Number.POSITIVE_INFINITY;
  let nan = false;
  for (let i = 0; i < param.length; i++) {
    const p = param[i]!;
    if (Number.isNaN(p)) nan = true;
    else {
      if (p > max) max = p;
      if (p < min) min = p;
    }
  }
  if (op === 'limit_ratio') {
    if (!nan && max === 0 && min === 0) return 'empty';
    if (nan) throw executionError('Ratio value is NaN');
    return 'ok';
  }
  if (!nan && max < 1) return 'empty';
  if (nan) throw executionError('Parameter value is NaN');
  if (min <= -(2 ** 63)) throw executionError(`Scalar value ${formatGoG(min)} underflows int64`);
  if (max >= 2 ** 63) throw executionError(`Scalar value ${formatGoG(max)} overflows int64`);
  return 'ok';
}

/** `count_values("label", v)`: one output series per distinct value per group. */
export function aggregateCountValues(
  input: readonly EvalSeries[],
  grouping: readonly string[],
  without: boolean,
  valueLabel: string,
  grid: StepGrid,
): EvalSeries[] {
  const collector = new SeriesCollector(grid.numSteps);
  const cur = new Int32Array(input.length);
  const lb = new LabelsBuilder();
  const lb2 = new LabelsBuilder();
  const groupingWithValue = without ? grouping : [...grouping, valueLabel].sort();
  for (let k = 0; k < grid.numSteps; k++) {
    const t = grid.start + k * grid.interval;
    const counts = new Map<string, { labels: Labels; n: number }>();
    for (let si = 0; si < input.length; si++) {
      const s = input[si]!;
      const c = cur[si]!;
      if (c >= s.n || s.ts[c] !== t) continue;
      cur[si] = c + 1;
      lb.reset(s.labels);
      lb.set(valueLabel, formatGoF(s.vs[c]!));
      const g = groupingLabels(lb.labels(), groupingWithValue, without, lb2);
      const key = g.key();
      const e = counts.get(key);
      if (e === undefined) counts.set(key, { labels: g, n: 1 });
      else e.n++;
    }
    for (const e of counts.values()) collector.add(e.labels, false, t, e.n);
  }
  return collector.result();
}
