import assert from 'node:assert/strict';
import { type TestContext, test } from 'node:test';
import type { Event, Node, Pod } from '../api/objects.js';
import { EventRecorder } from '../controllers/event_recorder.js';
import { Informer } from '../controllers/informer.js';
import { EVENTS, NODES, PODS } from '../controllers/resources.js';
import { type TestCluster, testCluster } from '../controllers/test_env.js';
import { Scheduler } from './scheduler.js';

async function setup(t: TestContext) {
  const c = await testCluster(t);
  const sched = new Scheduler(c.registry, { now: c.now, events: new EventRecorder(c.registry, 'scheduler', { now: c.now }) });
  return { c, sched };
}

function pod(name: string, o: { cpu?: string; memory?: string; labels?: Record<string, string>; nodeSelector?: Record<string, string>; tolerations?: Pod['spec']['tolerations']; hostPort?: number } = {}): unknown {
  const requests: Record<string, string> = {};
  if (o.cpu) requests.cpu = o.cpu;
  if (o.memory) requests.memory = o.memory;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels: o.labels ?? {} },
    spec: {
      containers: [{ name: 'app', image: 'node app.js', resources: { requests }, ...(o.hostPort ? { ports: [{ containerPort: o.hostPort, hostPort: o.hostPort }] } : {}) }],
      ...(o.nodeSelector ? { nodeSelector: o.nodeSelector } : {}),
      ...(o.tolerations ? { tolerations: o.tolerations } : {}),
    },
  };
}

async function place(c: TestCluster, sched: Scheduler, name: string, body: unknown): Promise<string | undefined> {
  await c.registry.create(PODS, 'default', body);
  await sched.sync(`default/${name}`);
  return ((await c.registry.get(PODS, 'default', name)) as Pod).spec.nodeName;
}

test('scheduler fits cpu and memory requests into allocatable minus what bound pods request', async (t) => {
  const { c, sched } = await setup(t);
  await c.addNode('small', { cpu: '1', memory: '1Gi' });
  await c.addNode('big', { cpu: '2', memory: '1Gi' });
  assert.equal(await place(c, sched, 'a', pod('a', { cpu: '1500m' })), 'big');
  // 'big' has 500m left, 'small' 1 core.
  assert.equal(await place(c, sched, 'b', pod('b', { cpu: '800m' })), 'small');
  assert.equal(await place(c, sched, 'c', pod('c', { cpu: '400m' })), 'big');
  assert.equal(await place(c, sched, 'd', pod('d', { cpu: '300m' })), undefined);
  const p = (await c.registry.get(PODS, 'default', 'd')) as Pod;
  const cond = p.status?.conditions?.find((x) => x.type === 'PodScheduled');
  assert.equal(cond?.status, 'False');
  assert.equal(cond?.reason, 'Unschedulable');
  assert.equal(cond?.message, '0/2 nodes are available: 2 Insufficient cpu.');
  assert.equal(await place(c, sched, 'm', pod('m', { memory: '2Gi' })), undefined);
  const evs = (await c.registry.list(EVENTS, 'default')).items as Event[];
  assert.ok(evs.some((e) => e.reason === 'FailedScheduling' && e.message === '0/2 nodes are available: 2 Insufficient memory.' && e.involvedObject.name === 'm'));
});

test('finished pods free their requests; an unschedulable pod is retried with growing backoff', async (t) => {
  const { c, sched } = await setup(t);
  await c.addNode('n1', { cpu: '1' });
  assert.equal(await place(c, sched, 'a', pod('a', { cpu: '1' })), 'n1');
  await c.registry.create(PODS, 'default', pod('b', { cpu: '1' }));
  const r1 = await sched.sync('default/b');
  const r2 = await sched.sync('default/b');
  assert.deepEqual([r1?.requeueAfterMs, r2?.requeueAfterMs], [1000, 2000]);
  const a = (await c.registry.get(PODS, 'default', 'a')) as Pod;
  await c.registry.update(PODS, 'default', 'a', { ...a, status: { phase: 'Succeeded' } }, { subresource: 'status' });
  assert.equal(await sched.sync('default/b'), undefined);
  assert.equal(((await c.registry.get(PODS, 'default', 'b')) as Pod).spec.nodeName, 'n1');
  const evs = (await c.registry.list(EVENTS, 'default')).items as Event[];
  const failed = evs.find((e) => e.reason === 'FailedScheduling');
  assert.equal(failed?.count, 2, 'repeated FailedScheduling events fold into one');
});

test('nodeSelector, taints and tolerations, host ports, cordoned and NotReady nodes are filtered, with Kubernetes reasons', async (t) => {
  const { c, sched } = await setup(t);
  await c.addNode('ssd', { labels: { disk: 'ssd' } });
  await c.addNode('tainted', { labels: { disk: 'ssd' }, spec: { taints: [{ key: 'dedicated', value: 'db', effect: 'NoSchedule' }] } });
  await c.addNode('cordoned', { labels: { disk: 'ssd' }, spec: { unschedulable: true } });
  await c.addNode('down', { labels: { disk: 'ssd' }, ready: false });
  assert.equal(await place(c, sched, 'sel', pod('sel', { nodeSelector: { disk: 'hdd' } })), undefined);
  assert.equal(
    ((await c.registry.get(PODS, 'default', 'sel')) as Pod).status?.conditions?.[0]?.message,
    "0/4 nodes are available: 1 node(s) didn't match Pod's node affinity/selector, 1 node(s) had untolerated taint {dedicated: db}, 1 node(s) had untolerated taint {node.kubernetes.io/not-ready: }, 1 node(s) were unschedulable.",
  );
  // Only 'ssd' is open to an ordinary pod.
  assert.equal(await place(c, sched, 'p1', pod('p1', { hostPort: 8080 })), 'ssd');
  // The same host port is taken there now.
  assert.equal(await place(c, sched, 'p2', pod('p2', { hostPort: 8080 })), undefined);
  assert.match(((await c.registry.get(PODS, 'default', 'p2')) as Pod).status?.conditions?.[0]?.message ?? '', /1 node\(s\) didn't have free ports for the requested pod ports/);
  // A toleration opens the tainted node (Equal and Exists forms).
  assert.equal(await place(c, sched, 'p3', pod('p3', { hostPort: 8080, tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'db', effect: 'NoSchedule' }] })), 'tainted');
  assert.equal(await place(c, sched, 'p4', pod('p4', { hostPort: 9090, tolerations: [{ key: 'dedicated', operator: 'Exists' }], nodeSelector: { disk: 'ssd' } })) !== undefined, true);
  // A wrong toleration value does not.
  assert.equal(await place(c, sched, 'p5', pod('p5', { hostPort: 8080, tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'web' }] })), undefined);
  // Uncordoning the node makes room; the next attempt binds there.
  const n = await c.registry.get(NODES, '', 'cordoned');
  await c.registry.update(NODES, '', 'cordoned', { ...n, spec: {} });
  await sched.sync('default/p5');
  assert.equal(((await c.registry.get(PODS, 'default', 'p5')) as Pod).spec.nodeName, 'cordoned');
});

test("a Deployment's replicas spread across nodes, also across its two ReplicaSets during a rollout", async (t) => {
  const { c, sched } = await setup(t);
  for (const n of ['n1', 'n2', 'n3']) await c.addNode(n);
  const placed: string[] = [];
  for (let i = 0; i < 6; i++) {
    const labels = { app: 'web', 'pod-template-hash': i < 3 ? 'aaa' : 'bbb' };
    placed.push((await place(c, sched, `web-${i}`, pod(`web-${i}`, { labels, cpu: '100m' }))) ?? '');
  }
  const per = new Map<string, number>();
  for (const n of placed) per.set(n, (per.get(n) ?? 0) + 1);
  assert.deepEqual([...per.values()], [2, 2, 2], `placement ${placed.join(',')}`);
  // Another workload on a loaded node still goes to the least-allocated node.
  await place(c, sched, 'big', pod('big', { cpu: '3' }));
  const bigNode = ((await c.registry.get(PODS, 'default', 'big')) as Pod).spec.nodeName;
  const other = await place(c, sched, 'other', pod('other', { labels: { app: 'other' }, cpu: '100m' }));
  assert.notEqual(other, bigNode);
});

test('binding uses the pod resourceVersion as read: a pod bound meanwhile is not rebound', async (t) => {
  const { c, sched } = await setup(t);
  await c.addNode('n1');
  await c.addNode('n2');
  await c.registry.create(PODS, 'default', pod('x'));
  const p = (await c.registry.get(PODS, 'default', 'x')) as Pod;
  await c.registry.update(PODS, 'default', 'x', { ...p, spec: { ...p.spec, nodeName: 'n2' } });
  assert.deepEqual(await sched.scheduleOne('default/x'), { skipped: 'already bound' });
  // A stale read cannot overwrite: the API refuses a second binding.
  await assert.rejects(c.registry.update(PODS, 'default', 'x', { ...p, spec: { ...p.spec, nodeName: 'n1' } }), (e: Error & { code?: number }) => e.code === 409 || e.code === 422);
});

test('with informer caches, back-to-back decisions count bindings the cache may not show yet', async (t) => {
  const { c, sched } = await setup(t);
  await c.addNode('n1', { cpu: '1' });
  const pods = new Informer<Pod>(c.registry, PODS);
  const nodes = new Informer<Node>(c.registry, NODES);
  sched.watch(pods, nodes);
  await Promise.all([pods.start(), nodes.start()]);
  t.after(() => {
    pods.stop();
    nodes.stop();
  });
  sched.queue.shutDown();
  await c.registry.create(PODS, 'default', pod('a', { cpu: '600m' }));
  await c.registry.create(PODS, 'default', pod('b', { cpu: '600m' }));
  assert.deepEqual(await sched.scheduleOne('default/a'), { bound: 'n1' });
  assert.deepEqual(await sched.scheduleOne('default/b'), { unschedulable: '0/1 nodes are available: 1 Insufficient cpu.' });
});
