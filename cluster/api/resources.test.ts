import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  apiVersionOf,
  lookupResource,
  qualifiedKind,
  qualifiedResource,
  RESOURCES,
  resolveResourceName,
  resourceForKind,
  storeKey,
  storePrefix,
} from './resources.js';

test('resources resolve from what users type: plural, singular, kind, short name, qualified name', () => {
  const cases: [string, string][] = [
    ['pods', 'Pod'],
    ['pod', 'Pod'],
    ['po', 'Pod'],
    ['Pod', 'Pod'],
    ['deploy', 'Deployment'],
    ['deployments.apps', 'Deployment'],
    ['svc', 'Service'],
    ['quota', 'ResourceQuota'],
    ['ns', 'Namespace'],
    ['rs', 'ReplicaSet'],
    ['ev', 'Event'],
  ];
  for (const [typed, kind] of cases) assert.equal(resolveResourceName(typed)?.kind, kind, typed);
  assert.equal(resolveResourceName('widgets'), undefined);
});

test('resources: names, API versions, and store keys that one prefix lists per namespace', () => {
  const dep = resourceForKind('apps/v1', 'Deployment')!;
  assert.equal(apiVersionOf(dep), 'apps/v1');
  assert.equal(qualifiedResource(dep), 'deployments.apps');
  assert.equal(qualifiedKind(dep), 'Deployment.apps');
  assert.equal(lookupResource('apps', 'v1', 'deployments'), dep);
  assert.equal(lookupResource('', 'v1', 'deployments'), undefined, 'deployments are not in the core group');
  assert.equal(resourceForKind('v1', 'Deployment'), undefined);
  const pods = lookupResource('', 'v1', 'pods')!;
  assert.equal(storeKey(pods, 'default', 'web'), '/registry/pods/default/web');
  assert.ok(storeKey(pods, 'default', 'web').startsWith(storePrefix(pods, 'default')));
  assert.ok(!storeKey(pods, 'default2', 'web').startsWith(storePrefix(pods, 'default')), 'namespace prefixes do not overlap');
  assert.equal(storePrefix(pods, ''), '/registry/pods/');
  const nodes = lookupResource('', 'v1', 'nodes')!;
  assert.equal(storeKey(nodes, 'ignored', 'n1'), '/registry/nodes/n1');
  assert.equal(new Set(RESOURCES.map((r) => r.resource)).size, RESOURCES.length, 'plural names are unique across groups');
});
