/**
 * Implementations of PromQL functions over instant vectors and scalars (the
 * range-vector functions are in rollup.ts, `label_*` in label_functions.ts).
 * Arithmetic follows Prometheus's `promql/functions.go`; outputs that change a
 * series' meaning set `dropName` (delayed `__name__` removal).
 *
 * Each implementation receives its evaluated arguments: series arrays for
 * vectors and scalars (a scalar is one series with a point at every step) and
 * plain strings for string arguments.
 */
import { Labels, LabelsBuilder, METRIC_NAME } from '../tsdb/labels.js';
import { MatchType } from '../tsdb/matcher.js';
import type { StepGrid } from './aggregation.js';
import type { Annotations } from './annotations.js';
import { badBucketLabelMsg, forcedMonotonicityMsg, invalidQuantileMsg } from './annotations.js';
import type { Call, Expr } from './ast.js';
import { EvalSeries, SeriesCollector } from './eval_series.js';
import { Buckets, bucketFraction, bucketQuantile, bucketQuantileInfo } from './quantile.js';

export type FnArg = EvalSeries[] | string;

export interface FnContext {
  readonly grid: StepGrid;
  readonly annotations: Annotations;
  /** Whether this is an instant evaluation (one step), where result order matters. */
  readonly instant: boolean;
  readonly call: Call;
}

export type InstantFn = (args: readonly FnArg[], c: FnContext) => EvalSeries[];

function vec(a: FnArg | undefined): EvalSeries[] {
  if (a === undefined || typeof a === 'string') return [];
  return a;
}

/** The value of scalar argument `a` at step `k`. */
function scalarAt(a: FnArg | undefined, k: number): number {
  if (a === undefined || typeof a === 'string') return Number.NaN;
  return a[0]?.vs[k] ?? Number.NaN;
}

function stepIndex(g: StepGrid, t: number): number {
  return (t - g.start) / g.interval;
}

/** Applies `f` to every point; output series correspond one to one (name dropped). */
function mapValues(input: readonly EvalSeries[], f: (v: number) => number): EvalSeries[] {
  const out: EvalSeries[] = [];
  for (const s of input) {
    const vs = new Float64Array(s.n);
    for (let i = 0; i < s.n; i++) vs[i] = f(s.vs[i]!);
    out.push(s.withValues(vs, true));
  }
  return out;
}

function simple(f: (v: number) => number): InstantFn {
  return (args) => mapValues(vec(args[0]), f);
}

function clampFn(input: readonly EvalSeries[], grid: StepGrid, minAt: (k: number) => number, maxAt: (k: number) => number): EvalSeries[] {
  const out: EvalSeries[] = [];
  for (const s of input) {
    const o = new EvalSeries(s.labels, true, s.n);
    for (let i = 0; i < s.n; i++) {
      const k = stepIndex(grid, s.ts[i]!);
      const lo = minAt(k);
      const hi = maxAt(k);
      if (hi < lo) continue;
      o.push(s.ts[i]!, Math.max(lo, Math.min(hi, s.vs[i]!)));
    }
    if (o.n > 0) out.push(o);
  }
  return out;
}

/** A date function: of each sample's value as Unix seconds, or of the step time without an argument. */
function dateFn(f: (d: Date) => number): InstantFn {
  return (args, c) => {
    if (args.length === 0) {
      const o = new EvalSeries(Labels.EMPTY, false, c.grid.numSteps);
      for (let k = 0; k < c.grid.numSteps; k++) {
        const t = c.grid.start + k * c.grid.interval;
        o.push(t, f(new Date(Math.trunc(t / 1000) * 1000)));
      }
      return [o];
    }
    return mapValues(vec(args[0]), (v) => {
      const secs = Math.trunc(v);
      if (!Number.isFinite(secs)) return Number.NaN;
      return f(new Date(secs * 1000));
    });
  };
}

function scalarSeries(grid: StepGrid, f: (t: number, k: number) => number): EvalSeries[] {
  const o = new EvalSeries(Labels.EMPTY, false, grid.numSteps);
  for (let k = 0; k < grid.numSteps; k++) {
    const t = grid.start + k * grid.interval;
    o.push(t, f(t, k));
  }
  return [o];
}

/** Labels for `absent`/`absent_over_time` from the argument's equality matchers. */
export function absentLabels(arg: Expr): Labels {
  let sel = arg;
  if (sel.type === 'MatrixSelector') sel = sel.vectorSelector;
  if (sel.type !== 'VectorSelector') return Labels.EMPTY;
  const lb = new LabelsBuilder();
  const has = new Set<string>();
  for (const m of sel.matchers) {
    if (m.name === METRIC_NAME) continue;
    if (m.type === MatchType.Equal && !has.has(m.name)) {
      lb.set(m.name, m.value);
      has.add(m.name);
    } else lb.del(m.name);
  }
  return lb.labels();
}

/** Natural-order comparison of label values (as Prometheus's natsort): digit runs compare numerically. */
function natLess(a: string, b: string): boolean {
  const re = /(\d+|\D+)/g;
  const pa = a.match(re) ?? [];
  const pb = b.match(re) ?? [];
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
    const x = pa[i]!;
    const y = pb[i]!;
    if (x === y) continue;
    const dx = /^\d/.test(x);
    const dy = /^\d/.test(y);
    if (dx && dy) {
      const nx = x.replace(/^0+/, '');
      const ny = y.replace(/^0+/, '');
      if (nx.length !== ny.length) return nx.length < ny.length;
      if (nx !== ny) return nx < ny;
      return x.length < y.length;
    }
    return x < y;
  }
  return pa.length < pb.length;
}

/** Sorting functions reorder an instant result; range results are sorted by labels anyway. */
function sortFn(kind: 'asc' | 'desc' | 'label' | 'label_desc'): InstantFn {
  return (args, c) => {
    const input = vec(args[0]);
    if (!c.instant) return input;
    const labelsArg = args.slice(1).filter((a): a is string => typeof a === 'string');
    const out = input.slice();
    if (kind === 'asc' || kind === 'desc') {
      // Go: sort.Sort(sort.Reverse(heap)) with NaN ordered as in the value heaps; stable here.
      out.sort((x, y) => {
        const a = x.vs[0]!;
        const b = y.vs[0]!;
        if (kind === 'asc') {
          // Reverse of "NaN first, then descending": ascending with NaN last.
          const less = (p: number, q: number): boolean => Number.isNaN(p) || p > q;
          return less(b, a) ? -1 : less(a, b) ? 1 : 0;
        }
        const less = (p: number, q: number): boolean => Number.isNaN(p) || p < q;
        return less(b, a) ? -1 : less(a, b) ? 1 : 0;
      });
      return out;
    }
    const desc = kind === 'label_desc';
    out.sort((x, y) => {
      for (const l of labelsArg) {
        const a = x.labels.get(l);
        const b = y.labels.get(l);
        if (a === b) continue;
        const r = natLess(a, b) ? -1 : 1;
        return desc ? -r : r;
      }
      const r = Labels.compare(x.labels, y.labels);
      return desc ? -r : r;
    });
    return out;
  };
}

/** Per-step grouping of classic histogram buckets by labels without `le`. */
function classicHistogram(
  input: readonly EvalSeries[],
  c: FnContext,
  posArg: Expr,
  compute: (b: Buckets, k: number, groupLabels: Labels) => number,
): EvalSeries[] {
  // Per series: its group and upper bound, computed once.
  const groupOf = new Int32Array(input.length).fill(-1);
  const upper = new Float64Array(input.length);
  const groups: Labels[] = [];
  const byKey = new Map<string, number>();
  const lb = new LabelsBuilder();
  for (let i = 0; i < input.length; i++) {
    const s = input[i]!;
    const le = s.labels.get('le');
    const u = parseGoFloat(le);
    if (Number.isNaN(u) && !/^[+-]?nan$/i.test(le)) continue;
    upper[i] = u;
    lb.reset(s.labels);
    lb.del('le');
    const g = lb.labels();
    const key = g.key();
    let ord = byKey.get(key);
    if (ord === undefined) {
      ord = groups.length;
      byKey.set(key, ord);
      groups.push(g);
    }
    groupOf[i] = ord;
  }
  const buckets = groups.map(() => new Buckets());
  const collector = new SeriesCollector(c.grid.numSteps);
  const cur = new Int32Array(input.length);
  for (let k = 0; k < c.grid.numSteps; k++) {
    const t = c.grid.start + k * c.grid.interval;
    for (const b of buckets) b.n = 0;
    const touched: number[] = [];
    for (let i = 0; i < input.length; i++) {
      const s = input[i]!;
      const p = cur[i]!;
      if (p >= s.n || s.ts[p] !== t) continue;
      cur[i] = p + 1;
      const g = groupOf[i]!;
      if (g < 0) {
        c.annotations.warn(badBucketLabelMsg(s.labels.get(METRIC_NAME), s.labels.get('le')), posArg.posRange);
        continue;
      }
      const b = buckets[g]!;
      if (b.n === 0) touched.push(g);
      b.push(upper[i]!, s.vs[p]!);
    }
    for (const g of touched) collector.add(groups[g]!, true, t, compute(buckets[g]!, k, groups[g]!));
  }
  return collector.result();
}

/** Go's strconv.ParseFloat for bucket bounds: NaN when malformed. */
export function parseGoFloat(s: string): number {
  const t = s.trim();
  if (t === '' || t !== s) return Number.NaN;
  if (/^[+-]?inf(inity)?$/i.test(t)) return t.startsWith('-') ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  if (/^[+-]?nan$/i.test(t)) return Number.NaN;
  if (/^0x/i.test(t.replace(/^[+-]/, ''))) {
    const neg = t.startsWith('-');
    const v = Number.parseInt(t.replace(/^[+-]?0x/i, ''), 16);
    return neg ? -v : v;
  }
  // Go accepts neither underscores nor 0b/0o prefixes in decimal floats.
  if (/[_]|^[+-]?0[bo]/i.test(t)) return Number.NaN;
  return Number(t);
}

const ISO_DAY = 86_400_000;

export const INSTANT_FUNCTIONS: ReadonlyMap<string, InstantFn> = new Map<string, InstantFn>([
  ['abs', simple(Math.abs)],
  ['ceil', simple(Math.ceil)],
  ['floor', simple(Math.floor)],
  ['exp', simple(Math.exp)],
  ['sqrt', simple(Math.sqrt)],
  ['ln', simple(Math.log)],
  ['log2', simple(Math.log2)],
  ['log10', simple(Math.log10)],
  ['sin', simple(Math.sin)],
  ['cos', simple(Math.cos)],
  ['tan', simple(Math.tan)],
  ['asin', simple(Math.asin)],
  ['acos', simple(Math.acos)],
  ['atan', simple(Math.atan)],
  ['sinh', simple(Math.sinh)],
  ['cosh', simple(Math.cosh)],
  ['tanh', simple(Math.tanh)],
  ['asinh', simple(Math.asinh)],
  ['acosh', simple(Math.acosh)],
  ['atanh', simple(Math.atanh)],
  ['deg', simple((v) => (v * 180) / Math.PI)],
  ['rad', simple((v) => (v * Math.PI) / 180)],
  ['sgn', simple((v) => (v < 0 ? -1 : v > 0 ? 1 : v))],
  [
    'round',
    (args, c) => {
      const input = vec(args[0]);
      const out: EvalSeries[] = [];
      for (const s of input) {
        const vs = new Float64Array(s.n);
        for (let i = 0; i < s.n; i++) {
          const toNearest = args.length >= 2 ? scalarAt(args[1], stepIndex(c.grid, s.ts[i]!)) : 1;
          const inv = 1 / toNearest;
          vs[i] = Math.floor(s.vs[i]! * inv + 0.5) / inv;
        }
        out.push(s.withValues(vs, true));
      }
      return out;
    },
  ],
  [
    'clamp',
    (args, c) =>
      clampFn(
        vec(args[0]),
        c.grid,
        (k) => scalarAt(args[1], k),
        (k) => scalarAt(args[2], k),
      ),
  ],
  ['clamp_min', (args, c) => clampFn(vec(args[0]), c.grid, (k) => scalarAt(args[1], k), () => Number.POSITIVE_INFINITY)],
  ['clamp_max', (args, c) => clampFn(vec(args[0]), c.grid, () => Number.NEGATIVE_INFINITY, (k) => scalarAt(args[1], k))],
  ['pi', (_args, c) => scalarSeries(c.grid, () => Math.PI)],
  ['time', (_args, c) => scalarSeries(c.grid, (t) => t / 1000)],
  ['vector', (args, c) => scalarSeries(c.grid, (_t, k) => scalarAt(args[0], k))],
  [
    'scalar',
    (args, c) => {
      const input = vec(args[0]);
      const counts = new Int32Array(c.grid.numSteps);
      const vals = new Float64Array(c.grid.numSteps);
      for (const s of input) {
        for (let i = 0; i < s.n; i++) {
          const k = stepIndex(c.grid, s.ts[i]!);
          counts[k]!++;
          vals[k] = s.vs[i]!;
        }
      }
      return scalarSeries(c.grid, (_t, k) => (counts[k] === 1 ? vals[k]! : Number.NaN));
    },
  ],
  [
    'timestamp',
    (args) => {
      const out: EvalSeries[] = [];
      for (const s of vec(args[0])) {
        const vs = new Float64Array(s.n);
        for (let i = 0; i < s.n; i++) vs[i] = s.ts[i]! / 1000;
        out.push(s.withValues(vs, true));
      }
      return out;
    },
  ],
  ['sort', sortFn('asc')],
  ['sort_desc', sortFn('desc')],
  ['sort_by_label', sortFn('label')],
  ['sort_by_label_desc', sortFn('label_desc')],
  [
    'absent',
    (args, c) => {
      const present = new Uint8Array(c.grid.numSteps);
      for (const s of vec(args[0])) for (let i = 0; i < s.n; i++) present[stepIndex(c.grid, s.ts[i]!)] = 1;
      const o = new EvalSeries(absentLabels(c.call.args[0]!), false, 4);
      for (let k = 0; k < c.grid.numSteps; k++) if (present[k] === 0) o.push(c.grid.start + k * c.grid.interval, 1);
      return o.n > 0 ? [o] : [];
    },
  ],
  [
    'histogram_quantile',
    (args, c) => {
      for (let k = 0; k < c.grid.numSteps; k++) {
        const q = scalarAt(args[0], k);
        if (Number.isNaN(q) || q < 0 || q > 1) c.annotations.warn(invalidQuantileMsg(q), c.call.args[0]!.posRange);
      }
      return classicHistogram(vec(args[1]), c, c.call.args[1]!, (b, k, g) => {
        const v = bucketQuantile(scalarAt(args[0], k), b);
        const info = bucketQuantileInfo;
        if (info.forcedMonotonic) {
          const t = c.grid.start + k * c.grid.interval;
          c.annotations.monotonicity(forcedMonotonicityMsg(g.get(METRIC_NAME)), c.call.args[1]!.posRange, t, info.minBucket, info.maxBucket, info.maxDiff);
        }
        return v;
      });
    },
  ],
  [
    'histogram_fraction',
    (args, c) => classicHistogram(vec(args[2]), c, c.call.args[2]!, (b, k) => bucketFraction(scalarAt(args[0], k), scalarAt(args[1], k), b)),
  ],
  // Native-histogram accessors ignore float samples.
  ['histogram_count', () => []],
  ['histogram_sum', () => []],
  ['histogram_avg', () => []],
  ['histogram_stddev', () => []],
  ['histogram_stdvar', () => []],
  ['minute', dateFn((d) => d.getUTCMinutes())],
  ['hour', dateFn((d) => d.getUTCHours())],
  ['day_of_week', dateFn((d) => d.getUTCDay())],
  ['day_of_month', dateFn((d) => d.getUTCDate())],
  [
    'day_of_year',
    dateFn((d) => Math.floor((d.getTime() - Date.UTC(d.getUTCFullYear(), 0, 1)) / ISO_DAY) + 1),
  ],
  ['days_in_month', dateFn((d) => new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0)).getUTCDate())],
  ['month', dateFn((d) => d.getUTCMonth() + 1)],
  ['year', dateFn((d) => d.getUTCFullYear())],
  ['min_of', (args, c) => scalarSeries(c.grid, (_t, k) => Math.min(scalarAt(args[0], k), scalarAt(args[1], k)))],
  ['max_of', (args, c) => scalarSeries(c.grid, (_t, k) => Math.max(scalarAt(args[0], k), scalarAt(args[1], k)))],
]);
