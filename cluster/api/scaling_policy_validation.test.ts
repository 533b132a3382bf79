import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyDefaults } from './defaults.js';
import { RESOURCES } from './resources.js';
import { expandQuery } from './scaling_policy_validation.js';
import { validateObject } from './validation.js';

const SP = RESOURCES.find((r) => r.kind === 'ScalingPolicy')!;

function check(spec: Record<string, unknown>): string[] {
  const o = { apiVersion: 'autoscaling.vigil.dev/v1', kind: 'ScalingPolicy', metadata: { name: 'web', namespace: 'default' }, spec: structuredClone(spec) };
  applyDefaults('ScalingPolicy', o);
  return validateObject(SP, o, true).map((e) => `${e.field}: ${e.detail}`);
}

const OK = { target: 'web', maxReplicas: 5, query: 'sum(rate(x{namespace="$namespace"}[1m]))', targetPerReplica: 2.5 };

test('scaling policy validation: a minimal spec is valid after defaults', () => {
  assert.deepEqual(check(OK), []);
});

test('scaling policy validation: each bad field is named with what was expected', () => {
  assert.deepEqual(check({ ...OK, minReplicas: 6 }), ['spec.maxReplicas: must be greater than or equal to minReplicas (6)']);
  assert.deepEqual(check({ ...OK, minReplicas: 0 }), ['spec.minReplicas: must be at least 1 (scaling to zero is not supported)']);
  assert.deepEqual(check({ ...OK, targetPerReplica: 0 }), ['spec.targetPerReplica: must be greater than 0']);
  assert.deepEqual(check({ ...OK, tolerance: 1 }), ['spec.tolerance: must be at least 0 and less than 1']);
  assert.deepEqual(check({ ...OK, scaleUp: { tolerance: -0.1, maxPods: 0 } }), ['spec.scaleUp.tolerance: must be at least 0 and less than 1', 'spec.scaleUp.maxPods: must be greater than or equal to 1']);
  assert.deepEqual(check({ ...OK, scaleDown: { stabilizationWindowSeconds: 29 } }), ['spec.scaleDown.stabilizationWindowSeconds: must be greater than or equal to 30']);
  assert.deepEqual(check({ ...OK, targetPerReplica: '3' }), ['spec.targetPerReplica: must be a finite number']);
  const q = check({ ...OK, query: 'sum(rate(x[1m])' });
  assert.equal(q.length, 1);
  assert.match(q[0]!, /^spec\.query: not a valid PromQL expression: 1:\d+: /);
  assert.deepEqual(check({ target: 'web' }), ['spec.maxReplicas: ', 'spec.query: ', 'spec.targetPerReplica: ']);
});

test('scaling policy validation: the down tolerance defaults to the policy tolerance, the window to 300 s', () => {
  const o = { kind: 'ScalingPolicy', spec: { ...structuredClone(OK), tolerance: 0.2, scaleUp: { tolerance: 0 } } } as Record<string, unknown>;
  applyDefaults('ScalingPolicy', o);
  const spec = o.spec as { scaleUp: Record<string, number>; scaleDown: Record<string, number>; minReplicas: number };
  assert.equal(spec.minReplicas, 1);
  assert.deepEqual(spec.scaleUp, { tolerance: 0, maxPercent: 100, maxPods: 4, periodSeconds: 15 });
  assert.deepEqual(spec.scaleDown, { tolerance: 0.2, stabilizationWindowSeconds: 300 });
});

test('scaling policy query placeholders: $name and the braced form; other $ text untouched', () => {
  const braced = ['$', '{target}'].join('');
  const v = { namespace: 'shop', target: 'web', policy: 'web-rps', replicas: '3' };
  assert.equal(expandQuery(`x{namespace="$namespace",deployment="${braced}"} / $replicas`, v), 'x{namespace="shop",deployment="web"} / 3');
  assert.equal(expandQuery('label_replace(x, "a", "$1", "b", "(.*)") + $policyx + $policy', v), 'label_replace(x, "a", "$1", "b", "(.*)") + $policyx + web-rps');
});
