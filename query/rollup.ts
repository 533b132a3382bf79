/**
 * Range-vector functions (`rate(x[5m])`, `*_over_time`, …): kernels that reduce
 * one series' window of points to one value, with the arithmetic of Prometheus's
 * `promql/functions.go`. The evaluator slides the window over a series' typed
 * arrays and calls the kernel once per step; kernels never allocate on the
 * common paths.
 *
 * A kernel sees points `[lo, hi)` (at least one, stale markers already removed)
 * and returns whether it produced a value; the value is left in `c.out`.
 */
import { executionError } from './eval_errors.js';
import { kahan, kahanInc } from './kahan_sum.js';
import { quantile } from './quantile.js';

/** Per-step inputs of a kernel. Times are ms. */
export interface RollupCtx {
  /** The step's evaluation timestamp (Prometheus's `enh.Ts`). */
  stepT: number;
  /** Window bounds: points are in `(rangeStart, rangeEnd]`. */
  rangeStart: number;
  rangeEnd: number;
  /** The selector's range (ms). */
  rangeMs: number;
  /** Scalar parameters at this step (quantile φ, predict_linear's duration, smoothing factors). */
  p0: number;
  p1: number;
  /** The result. */
  out: number;
  /** Scratch buffer for kernels that sort (grown on demand). */
  scratch: Float64Array;
  /** Optional prefix counts of decreases (`resets[i]` = decreases in points 1..i) of the current series. */
  resets: Int32Array | null;
}

export type RollupKernel = (ts: Float64Array, vs: Float64Array, lo: number, hi: number, c: RollupCtx) => boolean;

export function newRollupCtx(): RollupCtx {
  return { stepT: 0, rangeStart: 0, rangeEnd: 0, rangeMs: 0, p0: 0, p1: 0, out: 0, scratch: new Float64Array(64), resets: null };
}

function extrapolatedRate(ts: Float64Array, vs: Float64Array, lo: number, hi: number, c: RollupCtx, isCounter: boolean, isRate: boolean): boolean {
  const nMinusOne = hi - lo - 1;
  if (nMinusOne === 0) return false;
  const firstT = ts[lo]!;
  const lastT = ts[hi - 1]!;
  const firstV = vs[lo]!;
  let result = vs[hi - 1]! - firstV;
  // `resets` (when given) counts decreases up to each index, so windows without a
  // counter reset skip the scan; with resets, the corrections are added in order.
  if (isCounter && (c.resets === null || c.resets[hi - 1] !== c.resets[lo])) {
    let prev = firstV;
    for (let i = lo + 1; i < hi; i++) {
      const cur = vs[i]!;
      if (cur < prev) result += prev;
      prev = cur;
    }
  }
  let durationToStart = (firstT - c.rangeStart) / 1000;
  let durationToEnd = (c.rangeEnd - lastT) / 1000;
  const sampledInterval = (lastT - firstT) / 1000;
  const avgBetween = sampledInterval / nMinusOne;
  const threshold = avgBetween * 1.1;
  if (durationToStart >= threshold) durationToStart = avgBetween / 2;
  if (isCounter) {
    // Never extrapolate a counter below zero.
    let durationToZero = durationToStart;
    if (result > 0 && firstV >= 0) durationToZero = sampledInterval * (firstV / result);
    if (durationToZero < durationToStart) durationToStart = durationToZero;
  }
  if (durationToEnd >= threshold) durationToEnd = avgBetween / 2;
  let factor = 1;
  if (sampledInterval !== 0) factor = (sampledInterval + durationToStart + durationToEnd) / sampledInterval;
  if (isRate) factor /= c.rangeMs / 1000;
  c.out = result * factor;
  return true;
}

function instantValue(ts: Float64Array, vs: Float64Array, lo: number, hi: number, c: RollupCtx, isRate: boolean): boolean {
  if (hi - lo < 2) return false;
  const t0 = ts[hi - 2]!;
  const t1 = ts[hi - 1]!;
  const v0 = vs[hi - 2]!;
  const v1 = vs[hi - 1]!;
  const interval = t1 - t0;
  if (interval === 0) return false;
  let r = v1;
  if (!isRate || !(v1 < v0)) r = v1 - v0;
  if (isRate) r /= interval / 1000;
  c.out = r;
  return true;
}

/** Least-squares slope and intercept of the points, x in seconds relative to `interceptT`. */
const regression = { slope: 0, intercept: 0 };
function linearRegression(ts: Float64Array, vs: Float64Array, lo: number, hi: number, interceptT: number): void {
  let n = 0;
  let sumX = 0;
  let cX = 0;
  let sumY = 0;
  let cY = 0;
  let sumXY = 0;
  let cXY = 0;
  let sumX2 = 0;
  let cX2 = 0;
  const initY = vs[lo]!;
  let constY = true;
  for (let i = lo; i < hi; i++) {
    const y = vs[i]!;
    if (constY && i > lo && y !== initY) constY = false;
    n += 1;
    const x = (ts[i]! - interceptT) / 1e3;
    kahanInc(x, sumX, cX);
    sumX = kahan.sum;
    cX = kahan.c;
    kahanInc(y, sumY, cY);
    sumY = kahan.sum;
    cY = kahan.c;
    kahanInc(x * y, sumXY, cXY);
    sumXY = kahan.sum;
    cXY = kahan.c;
    kahanInc(x * x, sumX2, cX2);
    sumX2 = kahan.sum;
    cX2 = kahan.c;
  }
  if (constY) {
    if (!Number.isFinite(initY) && !Number.isNaN(initY)) {
      regression.slope = Number.NaN;
      regression.intercept = Number.NaN;
    } else {
      regression.slope = 0;
      regression.intercept = initY;
    }
    return;
  }
  sumX += cX;
  sumY += cY;
  sumXY += cXY;
  sumX2 += cX2;
  const covXY = sumXY - (sumX * sumY) / n;
  const varX = sumX2 - (sumX * sumX) / n;
  regression.slope = covXY / varX;
  regression.intercept = sumY / n - (regression.slope * sumX) / n;
}

function avgOverTime(vs: Float64Array, lo: number, hi: number): number {
  let sum = vs[lo]!;
  let count = 1;
  let mean = 0;
  let kc = 0;
  let incremental = false;
  for (let i = lo + 1; i < hi; i++) {
    const f = vs[i]!;
    count = i - lo + 1;
    if (!incremental) {
      kahanInc(f, sum, kc);
      if (!(kahan.sum === Number.POSITIVE_INFINITY || kahan.sum === Number.NEGATIVE_INFINITY)) {
        sum = kahan.sum;
        kc = kahan.c;
        continue;
      }
      // The sum would overflow: switch to an incremental mean.
      incremental = true;
      mean = sum / (count - 1);
      kc /= count - 1;
    }
    const q = (count - 1) / count;
    kahanInc(f / count, q * mean, q * kc);
    mean = kahan.sum;
    kc = kahan.c;
  }
  if (incremental) return mean + kc;
  return sum / count + kc / count;
}

function variance(vs: Float64Array, lo: number, hi: number): number {
  let count = 0;
  let mean = 0;
  let cMean = 0;
  let aux = 0;
  let cAux = 0;
  for (let i = lo; i < hi; i++) {
    const f = vs[i]!;
    count++;
    const delta = f - (mean + cMean);
    kahanInc(delta / count, mean, cMean);
    mean = kahan.sum;
    cMean = kahan.c;
    kahanInc(delta * (f - (mean + cMean)), aux, cAux);
    aux = kahan.sum;
    cAux = kahan.c;
  }
  return (aux + cAux) / count;
}

function scratchCopy(c: RollupCtx, vs: Float64Array, lo: number, hi: number): Float64Array {
  const n = hi - lo;
  if (c.scratch.length < n) c.scratch = new Float64Array(Math.max(n, c.scratch.length * 2));
  c.scratch.set(vs.subarray(lo, hi));
  return c.scratch;
}

function compareOverTime(ts: Float64Array, vs: Float64Array, lo: number, hi: number, c: RollupCtx, mode: 'max' | 'min' | 'tsmax' | 'tsmin'): boolean {
  let best = vs[lo]!;
  let bestT = ts[lo]!;
  for (let i = lo; i < hi; i++) {
    const f = vs[i]!;
    let take: boolean;
    switch (mode) {
      case 'max':
        take = f > best || Number.isNaN(best);
        break;
      case 'min':
        take = f < best || Number.isNaN(best);
        break;
      case 'tsmax':
        take = f >= best || Number.isNaN(best);
        break;
      default:
        take = f <= best || Number.isNaN(best);
    }
    if (take) {
      best = f;
      bestT = ts[i]!;
    }
  }
  c.out = mode === 'max' || mode === 'min' ? best : bestT / 1000;
  return true;
}

function checkSmoothingFactor(v: number, what: string): void {
  if (v <= 0 || v >= 1) throw executionError(`invalid ${what} factor. Expected: 0 < ${what === 'smoothing' ? 'sf' : 'tf'} < 1, got: ${v.toFixed(6)}`);
}

/** The kernels by function name. */
export const ROLLUPS: ReadonlyMap<string, RollupKernel> = new Map<string, RollupKernel>([
  ['rate', (ts, vs, lo, hi, c) => extrapolatedRate(ts, vs, lo, hi, c, true, true)],
  ['increase', (ts, vs, lo, hi, c) => extrapolatedRate(ts, vs, lo, hi, c, true, false)],
  ['delta', (ts, vs, lo, hi, c) => extrapolatedRate(ts, vs, lo, hi, c, false, false)],
  ['irate', (ts, vs, lo, hi, c) => instantValue(ts, vs, lo, hi, c, true)],
  ['idelta', (ts, vs, lo, hi, c) => instantValue(ts, vs, lo, hi, c, false)],
  [
    'deriv',
    (ts, vs, lo, hi, c) => {
      if (hi - lo < 2) return false;
      linearRegression(ts, vs, lo, hi, ts[lo]!);
      c.out = regression.slope;
      return true;
    },
  ],
  [
    'predict_linear',
    (ts, vs, lo, hi, c) => {
      if (hi - lo < 2) return false;
      linearRegression(ts, vs, lo, hi, c.stepT);
      c.out = regression.slope * c.p0 + regression.intercept;
      return true;
    },
  ],
  [
    'double_exponential_smoothing',
    (_ts, vs, lo, hi, c) => {
      const sf = c.p0;
      const tf = c.p1;
      checkSmoothingFactor(sf, 'smoothing');
      checkSmoothingFactor(tf, 'trend');
      const l = hi - lo;
      if (l < 2) return false;
      let s0 = 0;
      let s1 = vs[lo]!;
      let b = vs[lo + 1]! - vs[lo]!;
      for (let i = 1; i < l; i++) {
        const x = sf * vs[lo + i]!;
        // Trend value: the initial trend for the first step, then smoothed.
        if (i - 1 !== 0) b = tf * (s1 - s0) + (1 - tf) * b;
        const y = (1 - sf) * (s1 + b);
        s0 = s1;
        s1 = x + y;
      }
      c.out = s1;
      return true;
    },
  ],
  [
    'avg_over_time',
    (_ts, vs, lo, hi, c) => {
      c.out = avgOverTime(vs, lo, hi);
      return true;
    },
  ],
  [
    'sum_over_time',
    (_ts, vs, lo, hi, c) => {
      let sum = 0;
      let kc = 0;
      for (let i = lo; i < hi; i++) {
        kahanInc(vs[i]!, sum, kc);
        sum = kahan.sum;
        kc = kahan.c;
      }
      c.out = sum === Number.POSITIVE_INFINITY || sum === Number.NEGATIVE_INFINITY ? sum : sum + kc;
      return true;
    },
  ],
  [
    'count_over_time',
    (_ts, _vs, lo, hi, c) => {
      c.out = hi - lo;
      return true;
    },
  ],
  ['max_over_time', (ts, vs, lo, hi, c) => compareOverTime(ts, vs, lo, hi, c, 'max')],
  ['min_over_time', (ts, vs, lo, hi, c) => compareOverTime(ts, vs, lo, hi, c, 'min')],
  ['ts_of_max_over_time', (ts, vs, lo, hi, c) => compareOverTime(ts, vs, lo, hi, c, 'tsmax')],
  ['ts_of_min_over_time', (ts, vs, lo, hi, c) => compareOverTime(ts, vs, lo, hi, c, 'tsmin')],
  [
    'stddev_over_time',
    (_ts, vs, lo, hi, c) => {
      c.out = Math.sqrt(variance(vs, lo, hi));
      return true;
    },
  ],
  [
    'stdvar_over_time',
    (_ts, vs, lo, hi, c) => {
      c.out = variance(vs, lo, hi);
      return true;
    },
  ],
  [
    'quantile_over_time',
    (_ts, vs, lo, hi, c) => {
      c.out = quantile(c.p0, scratchCopy(c, vs, lo, hi), hi - lo);
      return true;
    },
  ],
  [
    'mad_over_time',
    (_ts, vs, lo, hi, c) => {
      const n = hi - lo;
      for (let i = lo; i < hi; i++) {
        if (Number.isNaN(vs[i]!)) {
          c.out = Number.NaN;
          return true;
        }
      }
      const buf = scratchCopy(c, vs, lo, hi);
      const median = quantile(0.5, buf, n);
      for (let i = 0; i < n; i++) buf[i] = Math.abs(buf[i]! - median);
      c.out = quantile(0.5, buf, n);
      return true;
    },
  ],
  [
    'last_over_time',
    (_ts, vs, _lo, hi, c) => {
      c.out = vs[hi - 1]!;
      return true;
    },
  ],
  [
    'first_over_time',
    (_ts, vs, lo, _hi, c) => {
      c.out = vs[lo]!;
      return true;
    },
  ],
  [
    'ts_of_last_over_time',
    (ts, _vs, _lo, hi, c) => {
      c.out = ts[hi - 1]! / 1000;
      return true;
    },
  ],
  [
    'ts_of_first_over_time',
    (ts, _vs, lo, _hi, c) => {
      c.out = ts[lo]! / 1000;
      return true;
    },
  ],
  [
    'present_over_time',
    (_ts, _vs, _lo, _hi, c) => {
      c.out = 1;
      return true;
    },
  ],
  [
    'absent_over_time',
    (_ts, _vs, _lo, _hi, c) => {
      c.out = 1;
      return true;
    },
  ],
  [
    'changes',
    (_ts, vs, lo, hi, c) => {
      let changes = 0;
      let prev = vs[lo]!;
      for (let i = lo + 1; i < hi; i++) {
        const cur = vs[i]!;
        if (cur !== prev && !(Number.isNaN(cur) && Number.isNaN(prev))) changes++;
        prev = cur;
      }
      c.out = changes;
      return true;
    },
  ],
  [
    'resets',
    (_ts, vs, lo, hi, c) => {
      let resets = 0;
      let prev = vs[lo]!;
      for (let i = lo + 1; i < hi; i++) {
        const cur = vs[i]!;
        if (cur < prev) resets++;
        prev = cur;
      }
      c.out = resets;
      return true;
    },
  ],
]);

/**
 * `rate`/`increase`/`delta` of one series at every step of a grid, in one pass
 * (the hot path of range queries; same arithmetic as the per-step kernel).
 * Window at step k: `(t_k − offset − range, t_k − offset]`. Writes the produced
 * points to `outT`/`outV` from index 0 and returns their count.
 */
export function extrapolatedRateSeries(
  ts: Float64Array,
  vs: Float64Array,
  n: number,
  start: number,
  interval: number,
  numSteps: number,
  rangeMs: number,
  offset: number,
  isCounter: boolean,
  isRate: boolean,
  resets: Int32Array | null,
  outT: Float64Array,
  outV: Float64Array,
): number {
  let lo = 0;
  let hi = 0;
  let m = 0;
  const rangeSecs = rangeMs / 1000;
  for (let k = 0; k < numSteps; k++) {
    const t = start + k * interval;
    const rangeEnd = t - offset;
    const rangeStart = rangeEnd - rangeMs;
    while (hi < n && ts[hi]! <= rangeEnd) hi++;
    while (lo < hi && ts[lo]! <= rangeStart) lo++;
    const nMinusOne = hi - lo - 1;
    if (nMinusOne <= 0) continue;
    const firstT = ts[lo]!;
    const lastT = ts[hi - 1]!;
    const firstV = vs[lo]!;
    let result = vs[hi - 1]! - firstV;
    if (isCounter && (resets === null || resets[hi - 1] !== resets[lo])) {
      let prev = firstV;
      for (let i = lo + 1; i < hi; i++) {
        const cur = vs[i]!;
        if (cur < prev) result += prev;
        prev = cur;
      }
    }
    let durationToStart = (firstT - rangeStart) / 1000;
    let durationToEnd = (rangeEnd - lastT) / 1000;
    const sampledInterval = (lastT - firstT) / 1000;
    const avgBetween = sampledInterval / nMinusOne;
    const threshold = avgBetween * 1.1;
    if (durationToStart >= threshold) durationToStart = avgBetween / 2;
    if (isCounter) {
      let durationToZero = durationToStart;
      if (result > 0 && firstV >= 0) durationToZero = sampledInterval * (firstV / result);
      if (durationToZero < durationToStart) durationToStart = durationToZero;
    }
    if (durationToEnd >= threshold) durationToEnd = avgBetween / 2;
    let factor = 1;
    if (sampledInterval !== 0) factor = (sampledInterval + durationToStart + durationToEnd) / sampledInterval;
    if (isRate) factor /= rangeSecs;
    outT[m] = t;
    outV[m] = result * factor;
    m++;
  }
  return m;
}

/** Prefix counts of value decreases of `vs[0..n)`, for `RollupCtx.resets`. */
export function resetPrefix(vs: Float64Array, n: number, buf: Int32Array | null): Int32Array {
  const out = buf !== null && buf.length >= n ? buf : new Int32Array(Math.max(n, 64));
  let count = 0;
  if (n > 0) out[0] = 0;
  for (let i = 1; i < n; i++) {
    if (vs[i]! < vs[i - 1]!) count++;
    out[i] = count;
  }
  return out;
}

/** Range functions that keep the metric name (they act like an offset). */
export function rollupKeepsName(name: string): boolean {
  return name === 'last_over_time' || name === 'first_over_time';
}
