import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Pod, ReplicaSet } from '../api/objects.js';
import { compareForDeletion, podsToDelete } from './pod_deletion_order.js';
import { isPodActive } from './pod_state.js';
import { ReplicaSetController } from './replicaset_controller.js';
import { PODS, REPLICASETS } from './resources.js';
import { testCluster } from './test_env.js';

function rs(replicas: number): unknown {
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name: 'web-abc' },
    spec: { replicas, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'app', image: 'node app.js' }] } } },
  };
}

test('replica set controller creates owned pods up to replicas, in bursts, and reports status', async (t) => {
  const c = await testCluster(t);
  const rc = new ReplicaSetController(c.registry, { now: c.now, burst: 2 });
  await c.registry.create(REPLICASETS, 'default', rs(3));
  const r = await rc.sync('default/web-abc');
  assert.deepEqual(r, { requeueAfterMs: 0 }, 'more to do after a burst');
  assert.equal((await c.pods()).length, 2);
  await rc.sync('default/web-abc');
  const pods = await c.pods();
  assert.equal(pods.length, 3);
  const owner = (await c.registry.get(REPLICASETS, 'default', 'web-abc')) as ReplicaSet;
  for (const p of pods) {
    assert.match(p.metadata.name, /^web-abc-[a-z0-9]{5}$/);
    assert.equal(p.metadata.labels?.app, 'web');
    assert.equal(p.metadata.ownerReferences?.[0]?.uid, owner.metadata.uid);
    assert.equal(p.metadata.ownerReferences?.[0]?.controller, true);
  }
  await c.setPodReady(pods[0]!, true);
  await rc.sync('default/web-abc');
  const st = ((await c.registry.get(REPLICASETS, 'default', 'web-abc')) as ReplicaSet).status;
  assert.deepEqual({ replicas: st?.replicas, ready: st?.readyReplicas, available: st?.availableReplicas }, { replicas: 3, ready: 1, available: 1 });
  // A pod deleted by someone else is replaced.
  await c.registry.delete(PODS, 'default', pods[1]!.metadata.name);
  await rc.sync('default/web-abc');
  assert.equal((await c.pods()).filter(isPodActive).length, 3);
});

test('scaling down deletes unscheduled, then pending, then not-ready pods before ready ones', async (t) => {
  const c = await testCluster(t);
  const rc = new ReplicaSetController(c.registry, { now: c.now });
  await c.registry.create(REPLICASETS, 'default', rs(4));
  await rc.sync('default/web-abc');
  const pods = await c.pods();
  // pods[0]: stays unscheduled; [1] bound, Pending; [2] bound, Running not Ready; [3] bound, Ready.
  const bind = async (p: Pod) => {
    const cur = (await c.registry.get(PODS, 'default', p.metadata.name)) as Pod;
    return (await c.registry.update(PODS, 'default', p.metadata.name, { ...cur, spec: { ...cur.spec, nodeName: 'n1' } })) as Pod;
  };
  for (const p of pods.slice(1)) await bind(p);
  await c.setPodReady(pods[2]!, false);
  await c.setPodReady(pods[3]!, true);
  const order: string[] = [];
  const cur = async () => (await c.pods()).filter(isPodActive);
  for (const replicas of [3, 2, 1]) {
    const r = (await c.registry.get(REPLICASETS, 'default', 'web-abc')) as ReplicaSet;
    await c.registry.update(REPLICASETS, 'default', 'web-abc', { ...r, spec: { ...r.spec, replicas } });
    const before = new Set((await cur()).map((p) => p.metadata.name));
    await rc.sync('default/web-abc');
    const after = new Set((await cur()).map((p) => p.metadata.name));
    order.push(...[...before].filter((n) => !after.has(n)));
  }
  assert.deepEqual(order, [pods[0]!.metadata.name, pods[1]!.metadata.name, pods[2]!.metadata.name]);
  assert.deepEqual((await cur()).map((p) => p.metadata.name), [pods[3]!.metadata.name]);
});

test('deletion order among Ready pods: more pods on the node first, then shorter-Ready, more restarts, newer', () => {
  const mk = (name: string, node: string, readySince: string, restarts: number, created: string): Pod => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, creationTimestamp: created },
    spec: { nodeName: node, containers: [{ name: 'app', image: 'x' }] },
    status: {
      phase: 'Running',
      conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: readySince }],
      containerStatuses: [{ name: 'app', ready: true, restartCount: restarts, state: {} }],
    },
  });
  const a = mk('a', 'n1', '2026-01-01T00:00:00Z', 0, '2026-01-01T00:00:00Z');
  const b = mk('b', 'n1', '2026-01-01T00:00:00Z', 0, '2026-01-01T00:00:00Z');
  const lone = mk('lone', 'n2', '2026-01-01T00:00:00Z', 0, '2026-01-01T00:00:00Z');
  assert.equal(podsToDelete([lone, a, b], 1, 0)[0]?.spec.nodeName, 'n1', 'a pod from the fuller node goes first');
  const per = new Map<string, number>([['n1', 1], ['n2', 1]]);
  const young = mk('young', 'n1', '2026-01-01T01:00:00Z', 0, '2026-01-01T00:00:00Z');
  const old = mk('old', 'n2', '2026-01-01T00:00:00Z', 0, '2026-01-01T00:00:00Z');
  assert.ok(compareForDeletion(young, old, per, 0) < 0, 'Ready for a shorter time goes first');
  const crashy = mk('crashy', 'n1', '2026-01-01T00:00:00Z', 5, '2026-01-01T00:00:00Z');
  assert.ok(compareForDeletion(crashy, old, per, 0) < 0, 'more restarts go first');
  const newer = mk('newer', 'n1', '2026-01-01T00:00:00Z', 0, '2026-01-02T00:00:00Z');
  assert.ok(compareForDeletion(newer, old, per, 0) < 0, 'newer goes first');
});
