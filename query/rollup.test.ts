import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ROLLUPS, newRollupCtx } from './rollup.js';

function run(name: string, ts: number[], vs: number[], rangeStart: number, rangeEnd: number, p0 = 0): number | null {
  const c = newRollupCtx();
  c.rangeStart = rangeStart;
  c.rangeEnd = rangeEnd;
  c.rangeMs = rangeEnd - rangeStart;
  c.stepT = rangeEnd;
  c.p0 = p0;
  const k = ROLLUPS.get(name)!;
  return k(Float64Array.from(ts), Float64Array.from(vs), 0, ts.length, c) ? c.out : null;
}

test('increase extrapolates to the window edges by at most half an interval', () => {
  // Samples at 10s..50s in (0, 60s]: 4 intervals of 10s, 10 per interval.
  // Start gap 10s >= 1.1*avg? no (11s threshold) -> extrapolate fully; same at the end.
  const v = run('increase', [10_000, 20_000, 30_000, 40_000, 50_000], [10, 20, 30, 40, 50], 0, 60_000);
  // sampled 40s, extended by 10s + 10s -> 60s, but the counter must not go below zero:
  // durationToZero = 40 * (10 / 40) = 10s, equal to the start gap, so factor = 60/40.
  assert.equal(v, 40 * (60 / 40));
});

test('rate handles counter resets and divides by the range', () => {
  const v = run('rate', [0, 15_000, 30_000, 45_000], [5, 10, 2, 7], -1, 59_999);
  // Increase with reset: (7 - 5) + 10 = 12 over 45s sampled; extrapolated to the edges.
  const sampled = 45;
  const toStart = Math.min(1 / 1000, sampled * (5 / 12));
  const toEnd = 14.999;
  const expected = (12 * ((sampled + toStart + toEnd) / sampled)) / 60;
  assert.ok(Math.abs(v! - expected) < 1e-12, `${v} vs ${expected}`);
});

test('irate uses the last two samples; a reset takes the last value', () => {
  assert.equal(run('irate', [0, 10_000, 20_000], [1, 5, 9], 0, 30_000), 0.4);
  assert.equal(run('irate', [0, 10_000, 20_000], [1, 5, 2], 0, 30_000), 0.2);
  assert.equal(run('irate', [10_000], [1], 0, 30_000), null);
});

test('deriv and predict_linear fit a least-squares line', () => {
  assert.equal(run('deriv', [0, 10_000, 20_000], [0, 10, 20], 0, 20_000), 1);
  // y = t/1000; predicted 30s after the evaluation time 20s -> 50.
  assert.equal(run('predict_linear', [0, 10_000, 20_000], [0, 10, 20], 0, 20_000, 30), 50);
});

test('over_time aggregations', () => {
  const ts = [1000, 2000, 3000, 4000];
  const vs = [4, 1, 3, 2];
  assert.equal(run('avg_over_time', ts, vs, 0, 5000), 2.5);
  assert.equal(run('max_over_time', ts, vs, 0, 5000), 4);
  assert.equal(run('min_over_time', ts, vs, 0, 5000), 1);
  assert.equal(run('count_over_time', ts, vs, 0, 5000), 4);
  assert.equal(run('quantile_over_time', ts, vs, 0, 5000, 0.5), 2.5);
  assert.equal(run('stdvar_over_time', ts, vs, 0, 5000), 1.25);
  assert.equal(run('changes', ts, vs, 0, 5000), 3);
  assert.equal(run('resets', ts, vs, 0, 5000), 2);
  assert.equal(run('ts_of_max_over_time', ts, vs, 0, 5000), 1);
  assert.equal(run('last_over_time', ts, vs, 0, 5000), 2);
});

test('double_exponential_smoothing rejects factors outside (0, 1)', () => {
  const c = newRollupCtx();
  c.p0 = 1;
  c.p1 = 0.5;
  const k = ROLLUPS.get('double_exponential_smoothing')!;
  assert.throws(() => k(Float64Array.of(0, 1), Float64Array.of(0, 1), 0, 2, c), /invalid smoothing factor. Expected: 0 < sf < 1, got: 1.000000/);
});
