import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Event, Lease, Node, Pod } from '../api/objects.js';
import { NODE_LEASE_NAMESPACE } from '../api/objects.js';
import { testCluster, type TestCluster } from '../controllers/test_env.js';
import { EVENTS, LEASES, NODES, PODS } from '../controllers/resources.js';
import { EventRecorder } from '../controllers/event_recorder.js';
import { MemoryStorage } from '../../tsdb/memory_storage.js';
import { Matcher, MatchType } from '../../tsdb/matcher.js';
import { isStaleNaN, ValueType } from '../../tsdb/storage.js';
import { FAILOVER_AFTER_ANNOTATION } from './failover_after.js';
import { FAILED_AT_ANNOTATION, FAILED_TAINT_KEY, NodeLeaseMonitor } from './lease_monitor.js';

const iso = (ms: number) => new Date(ms).toISOString();

async function renew(c: TestCluster, node: string): Promise<void> {
  const spec = { holderIdentity: node, leaseDurationSeconds: 10, renewTime: iso(c.now()) };
  try {
    await c.registry.patch(LEASES, NODE_LEASE_NAMESPACE, node, { spec }, 'merge');
  } catch {
    const l: Lease = { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: node, namespace: NODE_LEASE_NAMESPACE }, spec };
    await c.registry.create(LEASES, NODE_LEASE_NAMESPACE, l);
  }
}

async function addPod(c: TestCluster, name: string, node: string, failoverAfter?: string): Promise<void> {
  const p: Pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', ...(failoverAfter !== undefined ? { annotations: { [FAILOVER_AFTER_ANNOTATION]: failoverAfter } } : {}) },
    spec: { nodeName: node, containers: [{ name: 'c', image: 'sleep 1' }] },
  };
  await c.registry.create(PODS, 'default', p);
}

/** Every sample of `metric{node}`: [t, v] with staleness markers as 'stale'. */
async function samples(s: MemoryStorage, metric: string, node: string): Promise<[number, number | 'stale'][]> {
  const q = await s.querier(0, Number.MAX_SAFE_INTEGER);
  const set = await q.select(false, null, [new Matcher(MatchType.Equal, '__name__', metric), new Matcher(MatchType.Equal, 'node', node)]);
  const out: [number, number | 'stale'][] = [];
  while (set.next()) {
    const it = set.at().iterator();
    while (it.next() !== ValueType.None) out.push([it.atT(), isStaleNaN(it.atV()) ? 'stale' : it.atV()]);
  }
  await q.close();
  return out;
}

async function setup(t: Parameters<typeof testCluster>[0]) {
  const c = await testCluster(t);
  const storage = new MemoryStorage();
  let leading = true;
  const monitor = new NodeLeaseMonitor({
    registry: c.registry,
    appendable: () => storage,
    isLeading: () => leading,
    now: c.now,
    events: new EventRecorder(c.registry, 'node-lease-monitor', { now: c.now }),
  });
  return { c, storage, monitor, setLeading: (v: boolean) => (leading = v) };
}

test('lease monitor appends lease age (our clock) and failoverAfter per node every tick', async (t) => {
  const { c, storage, monitor } = await setup(t);
  await c.addNode('n1');
  await c.addNode('n2');
  await renew(c, 'n1');
  await renew(c, 'n2');
  await addPod(c, 'slow', 'n1', '30s');
  await addPod(c, 'fast', 'n2', '4s');
  await addPod(c, 'pinned', 'n2', '0');
  const t0 = c.now();
  await monitor.tick();
  c.advance(1000);
  await renew(c, 'n1');
  await monitor.tick();
  c.advance(9000);
  await monitor.tick();
  assert.deepEqual(await samples(storage, 'vigil_node_lease_age_seconds', 'n1'), [
    [t0, 0],
    [t0 + 1000, 0],
    [t0 + 10_000, 9],
  ]);
  assert.deepEqual(await samples(storage, 'vigil_node_lease_age_seconds', 'n2'), [
    [t0, 0],
    [t0 + 1000, 1],
    [t0 + 10_000, 10],
  ]);
  assert.deepEqual((await samples(storage, 'vigil_node_failover_after_seconds', 'n1')).map(([, v]) => v), [10, 10, 10], 'the default comes before the 30 s pod');
  assert.deepEqual((await samples(storage, 'vigil_node_failover_after_seconds', 'n2')).map(([, v]) => v), [4, 4, 4], 'the 4 s pod comes first');
  assert.deepEqual(monitor.state('n2'), { ageMs: 10_000, failoverAfterMs: 4000 });
  // A renewal seen through the watch counts from that moment, not from the next tick.
  c.advance(300);
  await renew(c, 'n2');
  monitor.observeLease((await c.registry.get(LEASES, NODE_LEASE_NAMESPACE, 'n2')) as Lease);
  c.advance(700);
  await monitor.tick();
  assert.deepEqual(monitor.state('n2'), { ageMs: 700, failoverAfterMs: 4000 });
  // Agents learn the cluster default from their Node.
  for (const n of ['n1', 'n2']) assert.equal(((await c.registry.get(NODES, '', n)) as Node).metadata.annotations?.['vigil.dev/failover-after'], '10s');
});

test('a failed node that renews again rejoins (taint off, NodeRejoined Event); a restarted monitor does not mistake a dead one for back', async (t) => {
  const { c, monitor } = await setup(t);
  await c.addNode('n1');
  await renew(c, 'n1');
  await monitor.tick();
  c.advance(12_000);
  await monitor.tick();
  const failedAt = c.now();
  await c.registry.patch(NODES, '', 'n1', { metadata: { annotations: { [FAILED_AT_ANNOTATION]: iso(failedAt) } }, spec: { taints: [{ key: FAILED_TAINT_KEY, effect: 'NoExecute' }] } }, 'merge');
  const tainted = async () => (((await c.registry.get(NODES, '', 'n1')) as Node).spec.taints ?? []).some((x) => x.key === FAILED_TAINT_KEY);
  c.advance(1000);
  await monitor.tick();
  assert.equal(await tainted(), true, 'still silent: stays failed');
  // A new control plane (e.g. after a restart) first sees the node as it is: not a sign of life.
  const fresh = new NodeLeaseMonitor({ registry: c.registry, appendable: () => null, now: c.now });
  await fresh.tick();
  c.advance(1000);
  await fresh.tick();
  assert.equal(await tainted(), true);
  c.advance(1000);
  await renew(c, 'n1');
  await monitor.tick();
  assert.equal(await tainted(), false, 'renewed after the failover: rejoined');
  const n = (await c.registry.get(NODES, '', 'n1')) as Node;
  assert.equal(n.metadata.annotations?.[FAILED_AT_ANNOTATION], undefined);
  const events = (await c.registry.list(EVENTS, 'default')).items as Event[];
  assert.deepEqual(events.map((e) => [e.reason, e.involvedObject.name]), [['NodeRejoined', 'n1']]);
});

test('only the leader appends; losing leadership or a node marks its series stale', async (t) => {
  const { c, storage, monitor, setLeading } = await setup(t);
  await c.addNode('n1');
  await c.addNode('n2');
  await monitor.tick();
  c.advance(1000);
  await c.registry.delete(NODES, '', 'n2');
  await monitor.tick();
  assert.deepEqual((await samples(storage, 'vigil_node_lease_age_seconds', 'n2')).map(([, v]) => v), [0, 'stale']);
  c.advance(1000);
  setLeading(false);
  await monitor.tick();
  c.advance(1000);
  await monitor.tick();
  assert.deepEqual((await samples(storage, 'vigil_node_lease_age_seconds', 'n1')).map(([, v]) => v), [0, 1, 'stale'], 'one staleness marker, then nothing');
  assert.deepEqual((await samples(storage, 'vigil_node_failover_after_seconds', 'n1')).map(([, v]) => v), [10, 10, 'stale']);
  setLeading(true);
  c.advance(1000);
  await monitor.tick();
  assert.deepEqual((await samples(storage, 'vigil_node_lease_age_seconds', 'n1')).slice(-1).map(([, v]) => v), [0], 'a new term starts every node afresh');
});
