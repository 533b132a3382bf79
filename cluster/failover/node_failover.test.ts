import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Registry as PromRegistry } from 'prom-client';
import type { Event, Lease, Node, Pod, ReplicaSet } from '../api/objects.js';
import { NODE_LEASE_NAMESPACE } from '../api/objects.js';
import { EventRecorder } from '../controllers/event_recorder.js';
import { EVENTS, LEASES, NODES, PODS, REPLICASETS } from '../controllers/resources.js';
import { testCluster, type TestCluster } from '../controllers/test_env.js';
import { FAILOVER_AFTER_ANNOTATION } from './failover_after.js';
import { FAILED_TAINT_KEY, NodeLeaseMonitor } from './lease_monitor.js';
import { NodeFailover } from './node_failover.js';
import { ActionExecutor, type ActionOutcome } from '../actions/action_executor.js';

async function rs(c: TestCluster, name: string, replicas: number): Promise<ReplicaSet> {
  return (await c.registry.create(REPLICASETS, 'default', {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name, namespace: 'default' },
    spec: { replicas, selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image: 'sleep 1' }] } } },
  } as ReplicaSet)) as ReplicaSet;
}

async function pod(c: TestCluster, name: string, node: string, owner: ReplicaSet, failoverAfter?: string): Promise<Pod> {
  return (await c.registry.create(PODS, 'default', {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: 'default',
      labels: { app: owner.metadata.name },
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: owner.metadata.name, uid: owner.metadata.uid ?? '', controller: true }],
      ...(failoverAfter !== undefined ? { annotations: { [FAILOVER_AFTER_ANNOTATION]: failoverAfter } } : {}),
    },
    spec: { nodeName: node, containers: [{ name: 'c', image: 'sleep 1' }] },
  } as Pod)) as Pod;
}

async function setup(t: Parameters<typeof testCluster>[0]) {
  const c = await testCluster(t);
  await c.addNode('n1');
  await c.addNode('n2');
  const lease: Lease = { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'n1', namespace: NODE_LEASE_NAMESPACE }, spec: { holderIdentity: 'n1', renewTime: new Date(c.now()).toISOString() } };
  await c.registry.create(LEASES, NODE_LEASE_NAMESPACE, lease);
  const web = await rs(c, 'web', 2);
  const slow = await rs(c, 'slow', 1);
  const db = await rs(c, 'db', 1);
  await pod(c, 'web-1', 'n1', web);
  await pod(c, 'web-2', 'n2', web);
  await pod(c, 'slow-1', 'n1', slow, '30s');
  await pod(c, 'db-1', 'n1', db, '0');
  const metrics = new PromRegistry();
  const f = new NodeFailover({ registry: c.registry, now: c.now, metrics, events: new EventRecorder(c.registry, 'node-failover', { now: c.now }), replacementPollMs: 5 });
  t.after(() => f.close());
  const names = async () => ((await c.registry.list(PODS, 'default')).items as Pod[]).map((p) => p.metadata.name).sort();
  const tainted = async () => (((await c.registry.get(NODES, '', 'n1')) as Node).spec.taints ?? []).some((x) => x.key === FAILED_TAINT_KEY);
  return { c, f, metrics, names, tainted, web };
}

test('failover before the node reached its failoverAfter changes nothing', async (t) => {
  const { c, f, names, tainted } = await setup(t);
  c.advance(5000);
  const r = await f.run('n1', false);
  assert.equal(r.noop, true);
  assert.match(r.change, /node renewed its lease 5\.0s ago, before its failoverAfter 10\.0s; 2 pod\(s\) wait for their failoverAfter; 1 pod\(s\) stay \(failoverAfter 0\)/);
  assert.deepEqual(await names(), ['db-1', 'slow-1', 'web-1', 'web-2']);
  assert.equal(await tainted(), false);
});

test('failover moves each pod when the silence reaches its own failoverAfter; 0 stays; dry run changes nothing', async (t) => {
  const { c, f, metrics, names, tainted, web } = await setup(t);
  c.advance(11_000);
  const dry = await f.run('n1', true);
  assert.equal(dry.noop, false);
  assert.match(dry.change, /node marked failed \(silent 11\.0s\); 1 pod\(s\) deleted for rescheduling: default\/web-1/);
  assert.deepEqual(await names(), ['db-1', 'slow-1', 'web-1', 'web-2']);
  assert.equal(await tainted(), false);

  const r = await f.run('n1', false);
  assert.equal(r.change, 'node marked failed (silent 11.0s); 1 pod(s) deleted for rescheduling: default/web-1; 1 pod(s) wait for their failoverAfter; 1 pod(s) stay (failoverAfter 0)');
  assert.deepEqual(await names(), ['db-1', 'slow-1', 'web-2'], 'deleted at once (grace 0): the agent fenced it');
  assert.equal(await tainted(), true);
  // The ReplicaSet's replacement appears on a healthy node: the duration is observed.
  await pod(c, 'web-3', 'n2', web);
  await f.idle();
  const text = await metrics.metrics();
  assert.match(text, /^vigil_failover_duration_seconds_count 1$/m);
  assert.match(text, /^vigil_failover_duration_seconds_sum 11$/m);
  assert.match(text, /^vigil_failovers_total\{result="replaced"\} 1$/m);
  assert.match(text, /^vigil_failover_pods_total 1$/m);

  c.advance(10_000);
  const early = await f.run('n1', false);
  assert.equal(early.noop, true, 'at 21 s the 30 s pod still waits');
  c.advance(10_000);
  const late = await f.run('n1', false);
  assert.equal(late.change, 'node silent 31.0s; 1 pod(s) deleted for rescheduling: default/slow-1; 1 pod(s) stay (failoverAfter 0)');
  assert.deepEqual(await names(), ['db-1', 'web-2', 'web-3']);
  const again = await f.run('n1', false);
  assert.deepEqual(again, { change: 'node already marked failed, no pod left to move; 1 pod(s) stay (failoverAfter 0)', noop: true });
  const events = ((await c.registry.list(EVENTS, 'default')).items as Event[]).filter((e) => e.reason === 'NodeFailover');
  assert.equal(events.length, 3, 'dry run, first and second move each recorded');
  assert.ok(events.every((e) => e.involvedObject.name === 'n1' && e.type === 'Warning'));
});

test("the lease monitor's view (our clock) wins over the Lease's renewTime written by the node", async (t) => {
  const { c, names } = await setup(t);
  // The node's clock runs 1 h behind: its renewTime looks ancient, but the monitor saw it renew just now.
  await c.registry.patch(LEASES, NODE_LEASE_NAMESPACE, 'n1', { spec: { renewTime: new Date(c.now() - 3_600_000).toISOString() } }, 'merge');
  const monitor = new NodeLeaseMonitor({ registry: c.registry, appendable: () => null, now: c.now });
  await monitor.tick();
  c.advance(3000);
  await monitor.tick();
  const f = new NodeFailover({ registry: c.registry, monitor, now: c.now });
  const r = await f.run('n1', false);
  assert.equal(r.noop, true);
  assert.match(r.change, /renewed its lease 3\.0s ago/);
  assert.deepEqual(await names(), ['db-1', 'slow-1', 'web-1', 'web-2']);
});

test('the action executor runs `failover node/NAME` through NodeFailover (with dry run per rule)', async (t) => {
  const { c, f, names } = await setup(t);
  const outcomes: ActionOutcome[] = [];
  const ex = new ActionExecutor({ registry: () => c.registry, now: c.now, failover: (node, dry) => f.run(node, dry), onOutcome: (o) => outcomes.push(o) });
  c.advance(12_000);
  const base = { alertName: 'NodeDown', labels: { alertname: 'NodeDown', node: 'n1' }, source: 'rules' as const };
  ex.submit({ ...base, fingerprint: 'dry', activeAtMs: 1, annotations: { action: 'failover node/n1', action_dry_run: 'true' } });
  ex.submit({ ...base, fingerprint: 'real', activeAtMs: 1, annotations: { action: 'failover node/n1' } });
  await ex.idle();
  assert.deepEqual(outcomes.map((o) => [o.verb, o.result]), [['failover', 'dry_run'], ['failover', 'ok']]);
  assert.match(outcomes[1]!.detail, /^node marked failed \(silent 12\.0s\); 1 pod\(s\) deleted for rescheduling: default\/web-1/);
  assert.deepEqual(await names(), ['db-1', 'slow-1', 'web-2']);
});
