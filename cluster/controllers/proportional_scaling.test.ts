import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ReplicaSet } from '../api/objects.js';
import { DESIRED_REPLICAS_ANNOTATION, isScalingEvent, proportionalSizes } from './proportional_scaling.js';

const rs = (name: string, replicas: number, revision: number, desired?: number): ReplicaSet => ({
  apiVersion: 'apps/v1',
  kind: 'ReplicaSet',
  metadata: { name, annotations: { rev: String(revision), ...(desired !== undefined ? { [DESIRED_REPLICAS_ANNOTATION]: String(desired) } : {}) } },
  spec: { replicas, selector: {}, template: { spec: { containers: [] } } },
});
const rev = (r: ReplicaSet) => Number(r.metadata.annotations?.rev);

test('proportional sizes keep the ratio and give the remainder to the largest (newest among equals)', () => {
  // 6 old + 4 new = 10, scaled to 15: +3 and +2.
  assert.deepEqual([...proportionalSizes([rs('old', 6, 1), rs('new', 4, 2)], 15, rev)].sort(), [['new', 6], ['old', 9]]);
  // 3 + 3 scaled to 7: +0 each by truncation, the remainder 1 to the newer of the equals.
  assert.deepEqual([...proportionalSizes([rs('old', 3, 1), rs('new', 3, 2)], 7, rev)].sort(), [['new', 4], ['old', 3]]);
  // Scaling down: 6 + 4 to 5.
  const down = proportionalSizes([rs('old', 6, 1), rs('new', 4, 2)], 5, rev);
  assert.equal((down.get('old') ?? 0) + (down.get('new') ?? 0), 5);
  assert.deepEqual([down.get('old'), down.get('new')], [3, 2]);
  // Never below zero.
  const zero = proportionalSizes([rs('a', 1, 1), rs('b', 1, 2)], 0, rev);
  assert.deepEqual([zero.get('a'), zero.get('b')], [0, 0]);
});

test('a scaling event is an active ReplicaSet last scaled for another replica count', () => {
  assert.equal(isScalingEvent([rs('a', 2, 1, 4), rs('b', 2, 2, 4)], 4), false);
  assert.equal(isScalingEvent([rs('a', 2, 1, 4), rs('b', 2, 2, 4)], 8), true);
  assert.equal(isScalingEvent([rs('a', 2, 1)], 8), false, 'unannotated: not ours to judge');
});
