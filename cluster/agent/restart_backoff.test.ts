import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RestartBackoff } from './restart_backoff.js';

test('restart backoff: Kubernetes defaults are immediate, then 10 s doubling to a 5 min cap', () => {
  const b = new RestartBackoff();
  let t = 0;
  const delays: number[] = [];
  for (let i = 0; i < 8; i++) {
    const d = b.next(t, t + 1000); // each run lasts 1 s
    delays.push(d);
    t += 1000 + d;
  }
  assert.deepEqual(delays, [0, 10_000, 20_000, 40_000, 80_000, 160_000, 300_000, 300_000]);
});

test('restart backoff: a run of 10 minutes or more resets the sequence; a shorter one does not', () => {
  const b = new RestartBackoff({ initialMs: 100, maxMs: 1000, resetAfterMs: 5000 });
  assert.equal(b.next(0, 10), 0);
  assert.equal(b.next(10, 20), 100);
  assert.equal(b.next(20, 4999 + 20), 200);
  assert.equal(b.next(0, 5000), 0);
  assert.equal(b.next(0, 1), 100);
  b.reset();
  assert.equal(b.next(0, 1), 0);
});
