import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type ScalingParams, ScalingState } from './scaling_math.js';

const P: ScalingParams = {
  minReplicas: 1,
  maxReplicas: 20,
  targetPerReplica: 10,
  upTolerance: 0.1,
  downTolerance: 0.1,
  upMaxPercent: 100,
  upMaxPods: 4,
  upPeriodMs: 15_000,
  downWindowMs: 300_000,
};
const T0 = 1_700_000_000_000;

test('scaling math: desired = ceil(current × value / target)', () => {
  const s = new ScalingState();
  const d = s.decide(T0, 3, 25, P);
  assert.equal(d.reason, 'scale_up');
  assert.equal(d.computedReplicas, 8); // ceil(3 × 2.5) = 8 (7.5 rounds up)
  assert.equal(d.desiredReplicas, 7, 'step limit: base 3 → max(6, 3 + 4) = 7');
  assert.equal(d.stepLimit, 7);
  assert.match(d.message, /ceil\(3 × 25 \/ 10\) = 8: scale up 3 → 7 \(step limit 7/);
});

test('scaling math: tolerance band holds; just outside it scales', () => {
  const s = new ScalingState();
  assert.equal(s.decide(T0, 4, 10.9, P).reason, 'within_tolerance', 'ratio 1.09 ≤ 1.1');
  assert.equal(s.decide(T0 + 1000, 4, 9.1, P).reason, 'within_tolerance', 'ratio 0.91 ≥ 0.9');
  const up = s.decide(T0 + 2000, 4, 11.1, P);
  assert.equal(up.reason, 'scale_up');
  assert.equal(up.desiredReplicas, 5, 'ceil(4 × 1.11) = 5');
});

test('scaling math: separate up and down tolerances make a hysteresis band', () => {
  const s = new ScalingState();
  const p = { ...P, upTolerance: 0, downTolerance: 0.5, downWindowMs: 30_000 };
  // 2 replicas at 4/replica: ratio 0.4 < 0.5 → down to ceil(0.8) = 1 (after the window).
  assert.equal(s.decide(T0, 2, 6, p).reason, 'within_tolerance', 'ratio 0.6 is inside [0.5, 1]');
  assert.equal(s.decide(T0 + 31_000, 2, 4, p).desiredReplicas, 1);
  // With the default symmetric tolerance the same 0.6 would scale down.
  assert.equal(new ScalingState().decide(T0, 2, 6, { ...P, downWindowMs: 30_000 }).computedReplicas, 2, 'ceil(1.2) = 2');
});

test('scaling math: scale-down waits for the highest proposal in the window', () => {
  const s = new ScalingState();
  const p = { ...P, downWindowMs: 30_000 };
  // A spike proposes 8 at T0 (applied), then load falls.
  const first = s.decide(T0, 4, 20, p);
  assert.equal(first.desiredReplicas, 8);
  s.recordScale(T0, 4, 8);
  const d1 = s.decide(T0 + 10_000, 8, 5, p); // proposes 4, window max is 8
  assert.equal(d1.reason, 'held_by_stabilization');
  assert.equal(d1.windowMax, 8);
  assert.equal(d1.desiredReplicas, 8);
  const d2 = s.decide(T0 + 20_000, 8, 7.5, p); // proposes 6
  assert.equal(d2.reason, 'held_by_stabilization');
  // At T0+30s the 8 has left the window (strictly older than 30 s is out; exactly 30 s is out too).
  const d3 = s.decide(T0 + 30_000, 8, 5, p); // proposes 4; window holds 4, 6, 4 → max 6
  assert.equal(d3.reason, 'scale_down');
  assert.equal(d3.windowMax, 6);
  assert.equal(d3.desiredReplicas, 6, 'down only to the highest recent proposal');
  const d4 = s.decide(T0 + 50_001, 6, 5, p); // window (T0+20.001s, …]: 4 and now 3 → max 4
  assert.equal(d4.desiredReplicas, 4);
});

test('scaling math: within-tolerance holds count as proposals of the current size', () => {
  const s = new ScalingState();
  const p = { ...P, downWindowMs: 30_000 };
  s.decide(T0, 5, 10, p); // within tolerance: proposal 5
  const d = s.decide(T0 + 29_000, 5, 2, p); // proposes 1; 5 still in the window
  assert.equal(d.reason, 'held_by_stabilization');
  assert.equal(s.decide(T0 + 30_500, 5, 2, p).desiredReplicas, 1);
});

test('scaling math: scale-up limit counts what the period already added', () => {
  const s = new ScalingState();
  const d1 = s.decide(T0, 1, 1000, P);
  assert.equal(d1.desiredReplicas, 5, 'from 1: max(2, 1 + 4) = 5');
  s.recordScale(T0, 1, 5);
  const d2 = s.decide(T0 + 5000, 5, 1000, P);
  assert.equal(d2.reason, 'held_by_cooldown', 'the period started at 1 replica: its budget (5) is used up');
  assert.equal(d2.desiredReplicas, 5);
  assert.equal(d2.stepLimit, 5);
  const d3 = s.decide(T0 + 15_000, 5, 1000, P);
  assert.equal(d3.desiredReplicas, 10, 'a new period from 5: max(10, 9) = 10');
  s.recordScale(T0 + 15_000, 5, 10);
  assert.equal(s.decide(T0 + 30_000, 10, 1000, P).desiredReplicas, 20, 'then 20 = maxReplicas');
});

test('scaling math: clamps to min and max and says so', () => {
  const s = new ScalingState();
  const p = { ...P, minReplicas: 2, maxReplicas: 6, downWindowMs: 30_000 };
  const hi = s.decide(T0, 6, 100, p);
  assert.equal(hi.reason, 'at_max');
  assert.equal(hi.desiredReplicas, 6);
  const lo = new ScalingState().decide(T0, 2, 0, p);
  assert.equal(lo.reason, 'at_min');
  assert.equal(lo.computedReplicas, 0);
  assert.equal(lo.desiredReplicas, 2);
  const capped = new ScalingState().decide(T0, 5, 100, p);
  assert.equal(capped.desiredReplicas, 6, 'scale up stops at max');
  assert.equal(new ScalingState().decide(T0, 9, 10, p).reason, 'above_max');
  assert.equal(new ScalingState().decide(T0, 9, 10, p).desiredReplicas, 6);
  assert.equal(new ScalingState().decide(T0, 1, null, p).desiredReplicas, 2, 'below min is fixed even without data');
  assert.equal(new ScalingState().decide(T0, 0, 100, p).reason, 'scaled_to_zero');
  assert.equal(new ScalingState().decide(T0, 0, 100, p).desiredReplicas, 0);
});

test('scaling math: missing data holds, never reads as zero, and delays the next scale-down', () => {
  const s = new ScalingState();
  const p = { ...P, downWindowMs: 30_000 };
  for (const v of [null, Number.NaN, Number.POSITIVE_INFINITY, -1]) {
    const d = s.decide(T0, 8, v, p);
    assert.equal(d.reason, 'metrics_missing', String(v));
    assert.equal(d.desiredReplicas, 8);
    assert.equal(d.value, null);
  }
  // Data comes back low: the held 8s are proposals within the window.
  assert.equal(s.decide(T0 + 10_000, 8, 1, p).reason, 'held_by_stabilization');
  assert.equal(s.decide(T0 + 30_001, 8, 1, p).desiredReplicas, 1);
});

test('scaling math: a zero value scales down to min (zero is data)', () => {
  const s = new ScalingState();
  const d = s.decide(T0, 3, 0, { ...P, downWindowMs: 30_000 });
  assert.equal(d.reason, 'held_by_stabilization', 'the first proposal still waits for the window');
  assert.equal(s.decide(T0 + 30_000, 3, 0, { ...P, downWindowMs: 30_000 }).desiredReplicas, 1);
});
