import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RESOURCES } from '../api/resources.js';
import { validateObject } from '../api/validation.js';

const info = (resource: string) => RESOURCES.find((r) => r.resource === resource)!;
const fields = (resource: string, o: unknown) => validateObject(info(resource), o, true).map((e) => `${e.field}: ${e.type}`);

test('rbac validation: names may hold colons; rules need verbs and resources; nonResourceURLs are refused', () => {
  assert.deepEqual(fields('clusterroles', { metadata: { name: 'vigil:ui-view' }, rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get'] }] }), []);
  assert.deepEqual(fields('clusterroles', { metadata: { name: 'a/b' }, rules: [] }), ['metadata.name: Invalid']);
  assert.deepEqual(fields('roles', { metadata: { name: 'r' }, rules: [{ apiGroups: [''], resources: ['pods'], verbs: [] }] }), ['rules[0].verbs: Required']);
  assert.deepEqual(fields('roles', { metadata: { name: 'r' }, rules: [{ apiGroups: [''], verbs: ['get'] }] }), ['rules[0].resources: Required']);
  assert.deepEqual(fields('roles', { metadata: { name: 'r' }, rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get', 7] }] }), ['rules[0].verbs[1]: Invalid']);
  assert.deepEqual(fields('clusterroles', { metadata: { name: 'r' }, rules: [{ resources: ['x'], verbs: ['get'], nonResourceURLs: ['/healthz'] }] }), ['rules[0].nonResourceURLs: Forbidden']);
  const many = Array.from({ length: 300 }, () => ({ apiGroups: [''], resources: ['pods'], verbs: ['get'] }));
  assert.deepEqual(fields('roles', { metadata: { name: 'r' }, rules: many }), ['rules: Invalid']);
});

test('rbac validation: bindings need a roleRef of the right kind and well-formed subjects', () => {
  const ref = { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' };
  assert.deepEqual(fields('rolebindings', { metadata: { name: 'b' }, subjects: [{ kind: 'ServiceAccount', name: 'default' }], roleRef: ref }), []);
  assert.deepEqual(fields('clusterrolebindings', { metadata: { name: 'b' }, subjects: [{ kind: 'ServiceAccount', name: 'default' }], roleRef: ref }), ['subjects[0].namespace: Required']);
  assert.deepEqual(fields('clusterrolebindings', { metadata: { name: 'b' }, subjects: [], roleRef: { ...ref, kind: 'Role' } }), ['roleRef.kind: Unsupported']);
  assert.deepEqual(fields('rolebindings', { metadata: { name: 'b' }, subjects: [{ kind: 'Robot', name: 'r2' }], roleRef: ref }), ['subjects[0].kind: Unsupported']);
  assert.deepEqual(fields('rolebindings', { metadata: { name: 'b' }, roleRef: { ...ref, apiGroup: 'x' } }), ['roleRef.apiGroup: Unsupported']);
  assert.deepEqual(fields('rolebindings', { metadata: { name: 'b' } }), ['roleRef: Required']);
});
