import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Pod } from '../api/objects.js';
import { FAILOVER_AFTER_ANNOTATION, fenceAfterMs, nodeFailoverAfterMs, nodeHealth, parseFailoverAfter, podFailoverAfterMs } from './failover_after.js';

const pod = (annotation?: string): Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'p', namespace: 'default', ...(annotation !== undefined ? { annotations: { [FAILOVER_AFTER_ANNOTATION]: annotation } } : {}) },
  spec: { containers: [{ name: 'c', image: 'x' }] },
});

test('failoverAfter: a pod annotation overrides the default, 0 means never, invalid text falls back', () => {
  assert.equal(podFailoverAfterMs(pod(), 10_000), 10_000);
  assert.equal(podFailoverAfterMs(pod('30s'), 10_000), 30_000);
  assert.equal(podFailoverAfterMs(pod('1m30s'), 10_000), 90_000);
  assert.equal(podFailoverAfterMs(pod('0'), 10_000), 0);
  assert.equal(podFailoverAfterMs(pod('0s'), 10_000), 0);
  assert.equal(podFailoverAfterMs(pod('soon'), 10_000), 10_000);
  assert.equal(parseFailoverAfter('-5s'), null);
  assert.equal(parseFailoverAfter(undefined), null);
});

test("a node's failoverAfter is the earliest non-zero of its pods and the default; 0 when nothing ever fails over", () => {
  assert.equal(nodeFailoverAfterMs([], 10_000), 10_000);
  assert.equal(nodeFailoverAfterMs([pod('30s'), pod()], 10_000), 10_000);
  assert.equal(nodeFailoverAfterMs([pod('30s'), pod('5s')], 10_000), 5000);
  assert.equal(nodeFailoverAfterMs([pod('0')], 10_000), 10_000, 'a pinned pod does not stop the node itself from being marked');
  assert.equal(nodeFailoverAfterMs([pod('0'), pod()], 0), 0, 'default 0 and no override: never');
  assert.equal(nodeFailoverAfterMs([pod('0'), pod('45s')], 0), 45_000);
});

test('node health: suspect after 3 missed 2 s renewals, failed at failoverAfter, never failed with 0', () => {
  assert.equal(nodeHealth(0, 10_000), 'alive');
  assert.equal(nodeHealth(6000, 10_000), 'alive');
  assert.equal(nodeHealth(6001, 10_000), 'suspect');
  assert.equal(nodeHealth(9999, 10_000), 'suspect');
  assert.equal(nodeHealth(10_000, 10_000), 'failed');
  assert.equal(nodeHealth(3_600_000, 0), 'suspect');
  assert.equal(nodeHealth(7000, 30_000, 1000), 'suspect', 'a shorter renew period makes a node suspect sooner');
  assert.equal(nodeHealth(5000, 4000), 'failed', 'a short failoverAfter can fail a node before it is suspect');
});

test('the fence comes 3 s before failoverAfter, at least 1 s in, never with 0', () => {
  assert.equal(fenceAfterMs(10_000), 7000);
  assert.equal(fenceAfterMs(60_000), 57_000);
  assert.equal(fenceAfterMs(3500), 1000);
  assert.equal(fenceAfterMs(800), 800);
  assert.equal(fenceAfterMs(0), Number.POSITIVE_INFINITY);
});
