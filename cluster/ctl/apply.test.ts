import assert from 'node:assert/strict';
import { test } from 'node:test';
import { covers, threeWayPatch } from './apply.js';

test('covers ignores fields only the live object has (server defaults) but not different values', () => {
  assert.equal(covers({ a: 1, b: { c: [{ x: 1 }] } }, { a: 1, z: 2, b: { c: [{ x: 1, protocol: 'TCP' }] } }), true);
  assert.equal(covers({ a: [1, 2] }, { a: [1, 2, 3] }), false);
  assert.equal(covers({ a: 1 }, { a: '1' }), false);
});

test('threeWayPatch sets what changed, deletes what the last apply had and this one dropped, keeps the rest', () => {
  const original = { metadata: { labels: { app: 'a', tier: 'x' } }, spec: { replicas: 2 } };
  const modified = { metadata: { labels: { app: 'a' } }, spec: { replicas: 3 } };
  const live = { metadata: { labels: { app: 'a', tier: 'x', added: 'by-hand' } }, spec: { replicas: 2, paused: false } };
  assert.deepEqual(threeWayPatch(original, modified, live), { metadata: { labels: { tier: null } }, spec: { replicas: 3 } });
});

test('threeWayPatch is null when the live object already matches the manifest', () => {
  const m = { spec: { template: { containers: [{ name: 'a', image: 'x' }] } } };
  assert.equal(threeWayPatch(m, m, { spec: { template: { containers: [{ name: 'a', image: 'x', ports: [] }] }, extra: 1 } }), null);
});

test('threeWayPatch replaces a changed list whole (merge-patch semantics)', () => {
  const live = { spec: { ports: [{ port: 80 }, { port: 81 }] } };
  assert.deepEqual(threeWayPatch({}, { spec: { ports: [{ port: 80 }] } }, live), { spec: { ports: [{ port: 80 }] } });
});
