import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { PolicyRule } from '../api/objects.js';
import { apiGroupOf, type RequestAttributes, ruleAllows, subjectMatches } from './rbac_rules.js';

const req = (verb: string, resource: string, name = '', namespace = 'default'): RequestAttributes => ({ verb, apiGroup: apiGroupOf(resource), resource, namespace, name });

test('rbac rules: verbs, groups and resources match exactly or by *', () => {
  const r: PolicyRule = { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list'] };
  assert.equal(ruleAllows(r, req('get', 'pods', 'p')), true);
  assert.equal(ruleAllows(r, req('list', 'pods')), true);
  assert.equal(ruleAllows(r, req('delete', 'pods', 'p')), false);
  assert.equal(ruleAllows(r, req('get', 'secrets', 's')), false);
  assert.equal(ruleAllows(r, req('get', 'deployments', 'd')), false, 'deployments are in apps, not the core group');
  assert.equal(ruleAllows({ ...r, apiGroups: undefined }, req('get', 'pods', 'p')), false, 'a rule without apiGroups matches no group');
  const all: PolicyRule = { apiGroups: ['*'], resources: ['*'], verbs: ['*'] };
  assert.equal(ruleAllows(all, req('delete', 'deployments', 'd')), true);
  assert.equal(ruleAllows(all, req('create', 'pods/status', 'p')), true);
});

test('rbac rules: subresources need their own entry, pods/* or */status', () => {
  const pods: PolicyRule = { apiGroups: [''], resources: ['pods'], verbs: ['*'] };
  assert.equal(ruleAllows(pods, req('update', 'pods/status', 'p')), false, 'pods does not include pods/status');
  assert.equal(ruleAllows({ ...pods, resources: ['pods/status'] }, req('update', 'pods/status', 'p')), true);
  assert.equal(ruleAllows({ ...pods, resources: ['pods/*'] }, req('update', 'pods/status', 'p')), true);
  assert.equal(ruleAllows({ ...pods, resources: ['*/status'] }, req('update', 'pods/status', 'p')), true);
  assert.equal(ruleAllows({ ...pods, resources: ['*/status'] }, req('update', 'pods', 'p')), false);
});

test('rbac rules: resourceNames restrict to named requests (never list or watch)', () => {
  const r: PolicyRule = { apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list'], resourceNames: ['app-config'] };
  assert.equal(ruleAllows(r, req('get', 'configmaps', 'app-config')), true);
  assert.equal(ruleAllows(r, req('get', 'configmaps', 'other')), false);
  assert.equal(ruleAllows(r, req('list', 'configmaps')), false);
});

test('rbac rules: pseudo-resources have their group', () => {
  assert.equal(apiGroupOf('alerts'), 'vigil.dev');
  assert.equal(apiGroupOf('deployments/status'), 'apps');
  assert.equal(apiGroupOf('clusterroles'), 'rbac.authorization.k8s.io');
});

test('rbac subjects: users, groups and service accounts (namespace defaults to the binding)', () => {
  const u = { name: 'alice', groups: ['dev'] };
  assert.equal(subjectMatches({ kind: 'User', name: 'alice' }, u, ''), true);
  assert.equal(subjectMatches({ kind: 'User', name: 'bob' }, u, ''), false);
  assert.equal(subjectMatches({ kind: 'Group', name: 'dev' }, u, ''), true);
  assert.equal(subjectMatches({ kind: 'Group', name: 'alice' }, u, ''), false, 'a group subject does not match a user name');
  const sa = { name: 'system:serviceaccount:team-a:builder', groups: [] };
  assert.equal(subjectMatches({ kind: 'ServiceAccount', name: 'builder' }, sa, 'team-a'), true);
  assert.equal(subjectMatches({ kind: 'ServiceAccount', name: 'builder' }, sa, 'team-b'), false);
  assert.equal(subjectMatches({ kind: 'ServiceAccount', name: 'builder', namespace: 'team-a' }, sa, ''), true);
  assert.equal(subjectMatches({ kind: 'ServiceAccount', name: 'builder' }, sa, ''), false, 'no namespace at all matches nobody');
});
