/**
 * Binary operators over step-aligned series: scalar/scalar, vector/scalar and
 * vector/vector with vector matching (`on`, `ignoring`, `group_left`,
 * `group_right`, experimental `fill*`), set operators, and Prometheus's errors
 * for ambiguous matches. Semantics follow `VectorBinop`, `VectorscalarBinop`,
 * `VectorAnd/Or/Unless` and `resultMetric` of Prometheus's engine, including
 * delayed `__name__` removal (arithmetic drops the name at once; `bool`
 * comparisons mark it for removal at the end).
 */
import { type Labels, LabelsBuilder, METRIC_NAME } from '../tsdb/labels.js';
import type { BinaryOp, VectorMatching } from './ast.js';
import { isComparisonOp } from './ast.js';
import type { StepGrid } from './aggregation.js';
import { executionError } from './eval_errors.js';
import { EvalSeries, METADATA_LABELS, SeriesCollector } from './eval_series.js';

/** Go's `math.Pow`, which differs from `**` for a few special cases. */
export function goPow(x: number, y: number): number {
  if (y === 0 || x === 1) return 1;
  if ((x === -1 || x === 1) && (y === Number.POSITIVE_INFINITY || y === Number.NEGATIVE_INFINITY)) return 1;
  return x ** y;
}

/** Arithmetic of two floats (`+ - * / % ^ atan2`). */
export function arith(op: BinaryOp, l: number, r: number): number {
  switch (op) {
    case '+':
      return l + r;
    case '-':
      return l - r;
    case '*':
      return l * r;
    case '/':
      return l / r;
    case '%':
      return l % r;
    case '^':
      return goPow(l, r);
    case 'atan2':
      return Math.atan2(l, r);
    default:
      throw executionError(`BUG: operator ${op} is not arithmetic`);
  }
}

/** A comparison of two floats. */
export function compare(op: BinaryOp, l: number, r: number): boolean {
  switch (op) {
    case '==':
      return l === r;
    case '!=':
      return l !== r;
    case '>':
      return l > r;
    case '<':
      return l < r;
    case '>=':
      return l >= r;
    case '<=':
      return l <= r;
    default:
      throw executionError(`BUG: operator ${op} is not a comparison`);
  }
}

/** Whether the operator changes what the metric means, so its name is dropped at once. */
export function changesMetricSchema(op: BinaryOp): boolean {
  return op === '+' || op === '-' || op === '*' || op === '/' || op === '%' || op === '^' || op === 'atan2';
}

/** scalar op scalar: one output value per step (comparisons are always `bool` here). */
export function scalarScalar(op: BinaryOp, l: EvalSeries, r: EvalSeries, grid: StepGrid, lbl: Labels): EvalSeries {
  const out = new EvalSeries(lbl, false, grid.numSteps);
  for (let k = 0; k < grid.numSteps; k++) {
    const a = l.vs[k]!;
    const b = r.vs[k]!;
    out.push(l.ts[k]!, isComparisonOp(op) ? (compare(op, a, b) ? 1 : 0) : arith(op, a, b));
  }
  return out;
}

/**
 * vector op scalar (or scalar op vector when `swap`). `scalar` has a point at every
 * step. Output series correspond one to one to input series (filtered points).
 */
export function vectorScalar(
  op: BinaryOp,
  vec: readonly EvalSeries[],
  scalar: EvalSeries,
  swap: boolean,
  returnBool: boolean,
  grid: StepGrid,
): EvalSeries[] {
  const out: EvalSeries[] = [];
  const cmp = isComparisonOp(op);
  const dropName = changesMetricSchema(op) || returnBool;
  for (const s of vec) {
    const o = new EvalSeries(s.labels, dropName || s.dropName, s.n);
    for (let i = 0; i < s.n; i++) {
      const t = s.ts[i]!;
      const sv = scalar.vs[(t - grid.start) / grid.interval]!;
      const v = s.vs[i]!;
      const l = swap ? sv : v;
      const r = swap ? v : sv;
      if (cmp) {
        const keep = compare(op, l, r);
        if (returnBool) o.push(t, keep ? 1 : 0);
        else if (keep) o.push(t, v);
      } else o.push(t, arith(op, l, r));
    }
    if (o.n > 0) out.push(o);
  }
  return out;
}

/** Labels restricted to the matching labels (`on`) or without them and the name (`ignoring`). */
function matchLabels(l: Labels, m: VectorMatching, lb: LabelsBuilder): Labels {
  lb.reset(l);
  if (m.on) lb.keep(...m.matchingLabels);
  else lb.del(...m.matchingLabels, METRIC_NAME);
  return lb.labels();
}

/** Computes each series' join signature ordinal (shared across both sides). */
function signatures(lhs: readonly EvalSeries[], rhs: readonly EvalSeries[], m: VectorMatching): { l: Int32Array; r: Int32Array; n: number } {
  const lb = new LabelsBuilder();
  const byKey = new Map<string, number>();
  const sig = (side: readonly EvalSeries[]): Int32Array => {
    const out = new Int32Array(side.length);
    for (let i = 0; i < side.length; i++) {
      const key = matchLabels(side[i]!.labels, m, lb).key();
      let o = byKey.get(key);
      if (o === undefined) {
        o = byKey.size;
        byKey.set(key, o);
      }
      out[i] = o;
    }
    return out;
  };
  const l = sig(lhs);
  const r = sig(rhs);
  return { l, r, n: byKey.size };
}

/** Indices of the series having a point at `t`, advancing their cursors; values into `vals`. */
function gather(m: readonly EvalSeries[], cur: Int32Array, t: number, idx: Int32Array, vals: Float64Array): number {
  let n = 0;
  for (let i = 0; i < m.length; i++) {
    const s = m[i]!;
    const c = cur[i]!;
    if (c < s.n && s.ts[c] === t) {
      cur[i] = c + 1;
      idx[n] = i;
      vals[n] = s.vs[c]!;
      n++;
    }
  }
  return n;
}

/** `and`, `or`, `unless` between two vectors (many-to-many on the join signature). */
export function setOp(op: BinaryOp, lhs: readonly EvalSeries[], rhs: readonly EvalSeries[], m: VectorMatching, grid: StepGrid): EvalSeries[] {
  const sigs = signatures(lhs, rhs, m);
  const collector = new SeriesCollector(grid.numSteps);
  const lc = new Int32Array(lhs.length);
  const rc = new Int32Array(rhs.length);
  const li = new Int32Array(lhs.length);
  const lv = new Float64Array(lhs.length);
  const ri = new Int32Array(rhs.length);
  const rv = new Float64Array(rhs.length);
  const present = new Uint8Array(sigs.n);
  for (let k = 0; k < grid.numSteps; k++) {
    const t = grid.start + k * grid.interval;
    const nl = gather(lhs, lc, t, li, lv);
    const nr = gather(rhs, rc, t, ri, rv);
    present.fill(0);
    if (op === 'and') {
      if (nl === 0 || nr === 0) continue;
      for (let j = 0; j < nr; j++) present[sigs.r[ri[j]!]!] = 1;
      for (let j = 0; j < nl; j++) {
        const s = lhs[li[j]!]!;
        if (present[sigs.l[li[j]!]!] === 1) collector.add(s.labels, s.dropName, t, lv[j]!);
      }
    } else if (op === 'or') {
      for (let j = 0; j < nl; j++) {
        const s = lhs[li[j]!]!;
        present[sigs.l[li[j]!]!] = 1;
        collector.add(s.labels, s.dropName, t, lv[j]!);
      }
      for (let j = 0; j < nr; j++) {
        const s = rhs[ri[j]!]!;
        if (nl === 0 || present[sigs.r[ri[j]!]!] === 0) collector.add(s.labels, s.dropName, t, rv[j]!);
      }
    } else {
      if (nr > 0) for (let j = 0; j < nr; j++) present[sigs.r[ri[j]!]!] = 1;
      for (let j = 0; j < nl; j++) {
        const s = lhs[li[j]!]!;
        if (nr === 0 || present[sigs.l[li[j]!]!] === 0) collector.add(s.labels, s.dropName, t, lv[j]!);
      }
    }
  }
  return collector.result();
}

/** The output labels of a matched pair (Prometheus's `resultMetric`). */
function resultMetric(l: Labels, r: Labels, op: BinaryOp, m: VectorMatching, lb: LabelsBuilder): Labels {
  lb.reset(l);
  if (changesMetricSchema(op)) lb.del(...METADATA_LABELS);
  if (m.card === 'one-to-one') {
    if (m.on) lb.keep(...m.matchingLabels);
    else lb.del(...m.matchingLabels);
  }
  for (const name of m.include) {
    const v = r.get(name);
    if (v !== '') lb.set(name, v);
    else lb.del(name);
  }
  return lb.labels();
}

/** Arithmetic and comparison between two vectors with one-to-one or many-to-one/one-to-many matching. */
export function vectorVector(
  op: BinaryOp,
  lhsIn: readonly EvalSeries[],
  rhsIn: readonly EvalSeries[],
  m: VectorMatching,
  returnBool: boolean,
  grid: StepGrid,
): EvalSeries[] {
  const swapped = m.card === 'one-to-many';
  const lhs = swapped ? rhsIn : lhsIn;
  const rhs = swapped ? lhsIn : rhsIn;
  const sigs = signatures(lhs, rhs, m);
  const collector = new SeriesCollector(grid.numSteps);
  const lb = new LabelsBuilder();
  const lc = new Int32Array(lhs.length);
  const rc = new Int32Array(rhs.length);
  const li = new Int32Array(lhs.length);
  const lv = new Float64Array(lhs.length);
  const ri = new Int32Array(rhs.length);
  const rv = new Float64Array(rhs.length);
  const rightAt = new Int32Array(sigs.n).fill(-1);
  const rightVal = new Float64Array(sigs.n);
  const matched = new Uint8Array(sigs.n);
  const inserted: (Set<string> | undefined)[] = [];
  const metricCache = new Map<number, Labels>();
  const cmp = isComparisonOp(op);
  const fillL = m.fillValues.lhs;
  const fillR = m.fillValues.rhs;
  const oneSide = swapped ? 'left' : 'right';

  const emit = (t: number, lLabels: Labels, rLabels: Labels, cacheKey: number, sig: number, fl: number, fr: number): void => {
    // Values go back to their written sides before computing.
    const a = swapped ? fr : fl;
    const b = swapped ? fl : fr;
    let value: number;
    let keep = true;
    if (cmp) {
      keep = compare(op, a, b);
      value = a;
    } else value = arith(op, a, b);
    if (returnBool) value = keep ? 1 : 0;
    let metric = cacheKey >= 0 ? metricCache.get(cacheKey) : undefined;
    if (metric === undefined) {
      metric = resultMetric(lLabels, rLabels, op, m, lb);
      if (cacheKey >= 0) metricCache.set(cacheKey, metric);
    }
    if (m.card === 'one-to-one') {
      if (matched[sig] === 1) throw executionError('multiple matches for labels: many-to-one matching must be explicit (group_left/group_right)');
      matched[sig] = 1;
    } else {
      let set = inserted[sig];
      if (set === undefined) inserted[sig] = set = new Set();
      const key = metric.key();
      if (set.has(key)) throw executionError('multiple matches for labels: grouping labels must ensure unique matches');
      set.add(key);
    }
    if (!keep && !returnBool) return;
    collector.add(metric, returnBool, t, value);
  };

  for (let k = 0; k < grid.numSteps; k++) {
    const t = grid.start + k * grid.interval;
    const nl = gather(lhs, lc, t, li, lv);
    const nr = gather(rhs, rc, t, ri, rv);
    if ((nl === 0 && nr === 0) || ((nl === 0 || nr === 0) && fillL === null && fillR === null)) continue;
    rightAt.fill(-1);
    matched.fill(0);
    inserted.length = 0;
    for (let j = 0; j < nr; j++) {
      const si = ri[j]!;
      const sig = sigs.r[si]!;
      const prev = rightAt[sig]!;
      if (prev >= 0) {
        const a = rhs[si]!.labels.toString();
        const b = rhs[prev]!.labels.toString();
        const [d1, d2] = a > b ? [b, a] : [a, b];
        const ml = matchLabels(rhs[si]!.labels, m, lb).toString();
        throw executionError(
          `found duplicate series for the match group ${ml} on the ${oneSide} hand-side of the operation: [${d1}, ${d2}];many-to-many matching not allowed: matching labels must be unique on one side`,
        );
      }
      rightAt[sig] = si;
      rightVal[sig] = rv[j]!;
    }
    for (let j = 0; j < nl; j++) {
      const si = li[j]!;
      const sig = sigs.l[si]!;
      const r = rightAt[sig]!;
      const ls = lhs[si]!;
      if (r >= 0) emit(t, ls.labels, rhs[r]!.labels, si * (rhs.length + 1) + r, sig, lv[j]!, rightVal[sig]!);
      else if (fillR !== null) {
        const synth = matchLabels(ls.labels, m, lb);
        emit(t, ls.labels, synth, -1, sig, lv[j]!, fillR);
      }
    }
    if (fillL !== null) {
      for (let j = 0; j < nr; j++) {
        const si = ri[j]!;
        const sig = sigs.r[si]!;
        const done = m.card === 'one-to-one' ? matched[sig] === 1 : (inserted[sig]?.size ?? 0) > 0;
        if (done) continue;
        const synth = matchLabels(rhs[si]!.labels, m, lb);
        emit(t, synth, rhs[si]!.labels, -1, sig, fillL, rv[j]!);
      }
    }
  }
  return collector.result();
}
