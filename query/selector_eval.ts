/**
 * Evaluation of selectors over loaded raw series: instant selection with the
 * lookback delta and staleness markers (for every step of a grid), and range
 * selection (left-open windows, stale markers dropped). Pure functions over
 * typed arrays; the caller accounts the produced samples through a sink.
 */
import type { StepGrid } from './aggregation.js';
import type { MatrixSelector, VectorSelector } from './ast.js';
import { EvalSeries } from './eval_series.js';

/** Progress and accounting hooks of the evaluator. */
export interface SelectSink {
  /** Throws on timeout or cancellation. */
  check(): void;
  /** Accounts `n` samples now held; throws when over the limit. */
  addSamples(n: number): void;
}

const STALE_HI = 0x7ff00000;
const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);

/** Whether `v` is the staleness marker (word order of a little-endian Float64Array view). */
export function isStale(v: number): boolean {
  if (!Number.isNaN(v)) return false;
  f64[0] = v;
  return u32[1] === STALE_HI && u32[0] === 2;
}

/** First index with ts[i] > t. */
export function upperBound(ts: Float64Array, n: number, t: number): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ts[mid]! <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Index of the sample an instant selection at `ref` picks (newest in `(ref − lookback, ref]`, not stale), or −1. */
export function lookupIndex(s: EvalSeries, ref: number, lookback: number): number {
  const c = upperBound(s.ts, s.n, ref) - 1;
  if (c < 0 || s.ts[c]! <= ref - lookback) return -1;
  if (isStale(s.vs[c]!)) return -1;
  return c;
}

/**
 * Instant selection at every step: for step time t the newest sample in
 * `(t − offset − lookback, t − offset]` (or at the `@` time), unless it is a stale
 * marker. With `timestamps`, yields the selected samples' timestamps in seconds
 * (for `timestamp()`) and marks the series to lose their name.
 */
export function selectInstant(
  raw: readonly EvalSeries[],
  sel: VectorSelector,
  g: StepGrid,
  lookback: number,
  timestamps: boolean,
  sink: SelectSink,
): EvalSeries[] {
  const out: EvalSeries[] = [];
  for (let si = 0; si < raw.length; si++) {
    if ((si & 255) === 255) sink.check();
    const s = raw[si]!;
    const o = new EvalSeries(s.labels, timestamps, Math.min(g.numSteps, s.n + 1));
    if (sel.timestamp !== null) {
      const j = lookupIndex(s, sel.timestamp - sel.offset, lookback);
      if (j >= 0) {
        const v = timestamps ? s.ts[j]! / 1000 : s.vs[j]!;
        for (let k = 0; k < g.numSteps; k++) o.push(g.start + k * g.interval, v);
      }
    } else {
      // Step times only grow, so one cursor walks each series once.
      let j = 0;
      for (let k = 0; k < g.numSteps; k++) {
        const t = g.start + k * g.interval;
        const ref = t - sel.offset;
        while (j < s.n && s.ts[j]! <= ref) j++;
        const c = j - 1;
        if (c < 0 || s.ts[c]! <= ref - lookback) continue;
        const v = s.vs[c]!;
        if (isStale(v)) continue;
        o.push(t, timestamps ? s.ts[c]! / 1000 : v);
      }
    }
    if (o.n > 0) {
      sink.addSamples(o.n);
      out.push(o);
    }
  }
  return out;
}

/** A range selector at evaluation time `t` (or its `@` time): raw points in `(ref − range, ref]`, stale markers dropped. */
export function selectRange(raw: readonly EvalSeries[], ms: MatrixSelector, t: number, sink: SelectSink): EvalSeries[] {
  const sel = ms.vectorSelector;
  const ref = (sel.timestamp ?? t) - sel.offset;
  const out: EvalSeries[] = [];
  for (const s of raw) {
    const lo = upperBound(s.ts, s.n, ref - ms.range);
    const hi = upperBound(s.ts, s.n, ref);
    const o = new EvalSeries(s.labels, false, hi - lo);
    for (let i = lo; i < hi; i++) if (!isStale(s.vs[i]!)) o.push(s.ts[i]!, s.vs[i]!);
    if (o.n > 0) {
      sink.addSamples(o.n);
      out.push(o);
    }
  }
  return out;
}

/** The series with staleness markers removed (range windows never contain them). */
export function withoutStale(raw: readonly EvalSeries[]): EvalSeries[] {
  const out: EvalSeries[] = [];
  for (const s of raw) {
    let stale = 0;
    for (let i = 0; i < s.n; i++) if (isStale(s.vs[i]!)) stale++;
    if (stale === 0) {
      out.push(s);
      continue;
    }
    const o = new EvalSeries(s.labels, s.dropName, s.n - stale);
    for (let i = 0; i < s.n; i++) if (!isStale(s.vs[i]!)) o.push(s.ts[i]!, s.vs[i]!);
    out.push(o);
  }
  return out;
}
