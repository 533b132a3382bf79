import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fenceDecision, KILL_MARGIN_MS, LeaseFence } from './fencing.js';

test('fence decision: nothing before failoverAfter − 3 s, then a SIGTERM grace that ends before the deadline', () => {
  assert.deepEqual(fenceDecision(0, 10_000, 30), { fence: false });
  assert.deepEqual(fenceDecision(6999, 10_000, 30), { fence: false });
  assert.deepEqual(fenceDecision(7000, 10_000, 30), { fence: true, graceSeconds: 1 });
  assert.deepEqual(fenceDecision(8600, 10_000, 30), { fence: true, graceSeconds: 0 }, 'late checks kill at once');
  assert.deepEqual(fenceDecision(7000, 10_000, 0), { fence: true, graceSeconds: 0 }, 'never more than the pod grace');
  assert.deepEqual(fenceDecision(57_000, 60_000, 30), { fence: true, graceSeconds: 1 });
  assert.deepEqual(fenceDecision(20_000, 60_000, 30), { fence: false }, 'a longer per-Deployment failoverAfter fences later');
  assert.deepEqual(fenceDecision(3_600_000, 0, 30), { fence: false }, 'failoverAfter 0 is never fenced');
  for (let silent = 7000; silent < 10_000; silent += 250) {
    const d = fenceDecision(silent, 10_000, 30);
    assert.ok(d.fence && silent + d.graceSeconds * 1000 <= Math.max(silent, 10_000 - KILL_MARGIN_MS), `at ${silent} ms the SIGKILL comes ${KILL_MARGIN_MS} ms before the deadline, or at once when already later`);
  }
});

test('lease fence: silence counts from the last successful renewal; the renewal after a fence reports its end once', () => {
  let now = 1000;
  const f = new LeaseFence(now);
  now += 1500;
  assert.equal(f.silentMs(now), 1500);
  assert.equal(f.renewed(now), false);
  now += 8000;
  assert.equal(f.silentMs(now), 8000);
  f.markFenced();
  assert.equal(f.isFenced(), true);
  assert.equal(f.renewed(now), true, 'first renewal after the fence: relist');
  assert.equal(f.renewed(now + 2000), false);
  assert.equal(f.silentMs(now + 2500), 500);
  assert.equal(f.renewed(now), false);
  assert.equal(f.silentMs(now + 2500), 500, 'a late-arriving older success does not move the clock back');
});
