import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LeaseTracker } from './lease_tracker.js';

test('lease age grows on our clock while the signature stays, and restarts when it changes', () => {
  const t = new LeaseTracker();
  assert.equal(t.observe('a', 'r1', 1000), 0, 'first sighting counts as alive now');
  assert.equal(t.observe('a', 'r1', 3500), 2500);
  assert.equal(t.observe('a', 'r2', 4000), 0);
  assert.equal(t.observe('a', 'r2', 14_000), 10_000);
  assert.equal(t.silentSince('a'), 4000);
  assert.equal(t.silentSince('b'), undefined);
});

test('the renewal time written by the node is never read as a time: clock offsets do not matter', () => {
  const t = new LeaseTracker();
  // The node's clock is a day ahead; only the change is used.
  t.observe('a', '2026-03-05T00:00:00Z', 1000);
  assert.equal(t.observe('a', '2026-03-05T00:00:02Z', 3000), 0);
  assert.equal(t.observe('a', '2026-03-05T00:00:02Z', 9000), 6000);
});

test('a first sighting is not a change: changedSince is only true for a renewal seen after t', () => {
  const t = new LeaseTracker();
  t.observe('a', 'r1', 5000);
  assert.equal(t.changedSince('a', 1000), false, 'a control plane restart must not read an old dead node as back');
  t.observe('a', 'r1', 8000);
  assert.equal(t.changedSince('a', 1000), false);
  t.observe('a', 'r2', 9000);
  assert.equal(t.changedSince('a', 8500), true);
  assert.equal(t.changedSince('a', 9000), false);
});

test('retain forgets removed nodes; clear forgets all', () => {
  const t = new LeaseTracker();
  t.observe('a', 'x', 0);
  t.observe('b', 'x', 0);
  assert.deepEqual(t.retain(new Set(['a'])), ['b']);
  assert.deepEqual(t.nodes(), ['a']);
  t.clear();
  assert.deepEqual(t.nodes(), []);
  assert.equal(t.observe('a', 'x', 50), 0);
});
