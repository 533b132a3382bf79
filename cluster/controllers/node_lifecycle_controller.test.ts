import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Event, Lease, Node } from '../api/objects.js';
import { EventRecorder } from './event_recorder.js';
import { NodeLifecycleController } from './node_lifecycle_controller.js';
import { EVENTS, LEASES, NODES } from './resources.js';
import { type TestCluster, testCluster } from './test_env.js';

async function renew(c: TestCluster, node: string): Promise<void> {
  const spec = { holderIdentity: node, leaseDurationSeconds: 10, renewTime: new Date(c.now()).toISOString() };
  try {
    const l = (await c.registry.get(LEASES, 'kube-node-lease', node)) as Lease;
    await c.registry.update(LEASES, 'kube-node-lease', node, { ...l, spec });
  } catch {
    await c.registry.create(LEASES, 'kube-node-lease', { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: node }, spec });
  }
}

const readyOf = async (c: TestCluster, name: string) => ((await c.registry.get(NODES, '', name)) as Node).status?.conditions?.find((x) => x.type === 'Ready');

test('a node whose lease stops being renewed is marked Ready=Unknown after the grace period, with an Event', async (t) => {
  const c = await testCluster(t);
  const nlc = new NodeLifecycleController(c.registry, { now: c.now, gracePeriodMs: 40_000, events: new EventRecorder(c.registry, 'node-controller', { now: c.now }) });
  await c.addNode('alive');
  await c.addNode('dying');
  // Both renew every 2 s for 10 s; then 'dying' stops.
  for (let s = 0; s <= 10; s += 2) {
    await renew(c, 'alive');
    await renew(c, 'dying');
    assert.deepEqual(await nlc.monitor(), []);
    c.advance(2000);
  }
  let silentFor = 0;
  let marked: string[] = [];
  while (marked.length === 0 && silentFor < 60_000) {
    await renew(c, 'alive');
    marked = await nlc.monitor();
    c.advance(2000);
    silentFor += 2000;
  }
  assert.deepEqual(marked, ['dying']);
  // Marked after the grace period (observed up to one renew interval later), not before.
  assert.ok(silentFor >= 40_000 && silentFor <= 44_000, `marked after ${silentFor} ms of silence`);
  const r = await readyOf(c, 'dying');
  assert.equal(r?.status, 'Unknown');
  assert.equal(r?.reason, 'NodeStatusUnknown');
  assert.equal((await readyOf(c, 'alive'))?.status, 'True');
  const evs = (await c.registry.list(EVENTS, 'default')).items as Event[];
  assert.ok(evs.some((e) => e.reason === 'NodeNotReady' && e.involvedObject.name === 'dying'));
  // Marking is done once; further rounds do not rewrite it.
  const rv = ((await c.registry.get(NODES, '', 'dying')) as Node).metadata.resourceVersion;
  c.advance(10_000);
  assert.deepEqual(await nlc.monitor(), []);
  assert.equal(((await c.registry.get(NODES, '', 'dying')) as Node).metadata.resourceVersion, rv);
  // The agent comes back and reports Ready: an Event records it, and silence is timed anew.
  const n = (await c.registry.get(NODES, '', 'dying')) as Node;
  const ts = new Date(c.now()).toISOString();
  await c.registry.update(NODES, '', 'dying', { ...n, status: { ...n.status, conditions: [{ type: 'Ready', status: 'True', lastHeartbeatTime: ts, lastTransitionTime: ts }] } }, { subresource: 'status' });
  await renew(c, 'dying');
  await renew(c, 'alive');
  assert.deepEqual(await nlc.monitor(), []);
  const evs2 = (await c.registry.list(EVENTS, 'default')).items as Event[];
  assert.ok(evs2.some((e) => e.reason === 'NodeReady' && e.involvedObject.name === 'dying'));
});

test('a node first seen gets the full grace period; the period is configurable', async (t) => {
  const c = await testCluster(t);
  const nlc = new NodeLifecycleController(c.registry, { now: c.now, gracePeriodMs: 6000 });
  await c.addNode('quiet');
  assert.deepEqual(await nlc.monitor(), []);
  c.advance(5999);
  assert.deepEqual(await nlc.monitor(), []);
  c.advance(1);
  assert.deepEqual(await nlc.monitor(), ['quiet']);
});
