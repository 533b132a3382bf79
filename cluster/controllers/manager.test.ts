import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Deployment, Endpoints, Pod, ReplicaSet } from '../api/objects.js';
import { Registry } from '../api/registry.js';
import { SqliteStore } from '../store/sqlite_store.js';
import { ControllerManager } from './manager.js';
import { isPodActive, isPodReady } from './pod_state.js';
import { DEPLOYMENTS, ENDPOINTS, PODS, REPLICASETS, SERVICES } from './resources.js';
import { testCluster } from './test_env.js';

async function until(what: string, cond: () => Promise<boolean>, ms = 8000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.fail(`timed out waiting for ${what}`);
}

test('two controller managers on one store: only the leader acts; the other takes over when it stops', async (t) => {
  const c = await testCluster(t);
  // A second "server": its own store handle on the same SQLite file, seeing the first one's writes by polling.
  const storeB = new SqliteStore(join(c.dir, 'c.db'), { pollIntervalMs: 10, leaseSweepIntervalMs: 0 });
  const regB = new Registry(storeB, { now: c.now });
  const a = new ControllerManager(c.registry, { identity: 'server-a', now: c.now, resyncMs: 0 });
  const b = new ControllerManager(regB, { identity: 'server-b', now: c.now, resyncMs: 0 });
  t.after(async () => {
    await a.stop();
    await b.stop();
    await storeB.close();
  });
  assert.equal(await a.electOnce(), true);
  assert.equal(await b.electOnce(), false);
  assert.equal(a.isLeading(), true);
  assert.equal(b.isLeading(), false);
  await c.addNode('n1');
  await c.registry.create(DEPLOYMENTS, 'default', {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web' },
    spec: { replicas: 2, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'app', image: 'node app.js' }] } } },
  });
  const boundPods = async (n: number) => (await c.pods()).filter((p: Pod) => isPodActive(p) && p.spec.nodeName === 'n1').length === n;
  await until('two pods created and scheduled by the leader', () => boundPods(2));
  assert.ok(a.deployments.syncs > 0 && a.replicaSets.syncs > 0 && a.scheduler.syncs > 0);
  // B has seen the objects (its informers run) but none of its controllers ran.
  await until('B informer caught up', async () => b.informers.pods.list().length === 2);
  assert.deepEqual([b.deployments.syncs, b.replicaSets.syncs, b.scheduler.syncs, b.endpoints.syncs], [0, 0, 0, 0]);
  // A renews within the lease; B still cannot take over.
  c.advance(5000);
  assert.equal(await a.electOnce(), true);
  assert.equal(await b.electOnce(), false);
  // A stops (releasing the lease): B takes over at its next round and acts on the next change.
  await a.stop();
  const aSyncs = a.deployments.syncs + a.replicaSets.syncs + a.scheduler.syncs;
  assert.equal(await b.electOnce(), true);
  assert.equal(b.isLeading(), true);
  const d = (await c.registry.get(DEPLOYMENTS, 'default', 'web')) as Deployment;
  await c.registry.update(DEPLOYMENTS, 'default', 'web', { ...d, spec: { ...d.spec, replicas: 3 } });
  await until('the third pod created and scheduled by B', () => boundPods(3));
  assert.ok(b.deployments.syncs > 0 && b.scheduler.syncs > 0);
  assert.equal(a.deployments.syncs + a.replicaSets.syncs + a.scheduler.syncs, aSyncs, 'A acts no more');
});

test('a leader that cannot renew steps down before another may take over', async (t) => {
  const c = await testCluster(t);
  const a = new ControllerManager(c.registry, { identity: 'a', now: c.now, resyncMs: 0 });
  const b = new ControllerManager(new Registry(c.store, { now: c.now }), { identity: 'b', now: c.now, resyncMs: 0 });
  t.after(async () => {
    await a.stop();
    await b.stop();
  });
  assert.equal(await a.electOnce(), true);
  assert.equal(await b.electOnce(), false);
  // A goes silent; after the lease duration (15 s) B acquires. A's renew deadline (10 s) passed earlier.
  c.advance(10_000);
  assert.equal(a.elector.isLeader(), false, 'A no longer considers itself leader after the renew deadline');
  c.advance(5_000);
  assert.equal(await b.electOnce(), true);
  // A's next round sees B's record and stops its controllers.
  assert.equal(await a.electOnce(), false);
  assert.equal(a.isLeading(), false);
  assert.equal(b.isLeading(), true);
});

test('under the manager, a rolling update keeps its bounds and the Endpoints list only Ready, non-terminating pods', async (t) => {
  const c = await testCluster(t);
  const m = new ControllerManager(c.registry, { identity: 'solo', resyncMs: 0 });
  let agentOn = true;
  let agentLoop: Promise<void> = Promise.resolve();
  t.after(async () => {
    agentOn = false;
    await agentLoop;
    await m.stop();
  });
  await m.electOnce();
  for (const n of ['n1', 'n2', 'n3']) await c.addNode(n);
  await c.registry.create(SERVICES, 'default', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] } });
  await c.registry.create(DEPLOYMENTS, 'default', {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web' },
    spec: { replicas: 4, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'app', image: 'node v1.js', ports: [{ name: 'http' }] }] } } },
  });
  const readyEndpoints = async () => {
    const ep = (await c.registry.get(ENDPOINTS, 'default', 'web').catch(() => null)) as Endpoints | null;
    return (ep?.subsets ?? []).flatMap((s) => (s.addresses ?? []).map((a) => a.targetRef?.name ?? ''));
  };
  // A stand-in for the node agents: publish ports, report bound pods Ready, finish graceful deletions
  // (only once the pod has left the Endpoints — the grace period a real agent's SIGTERM would give).
  let nextPort = 30000;
  const agentStep = async () => {
    const listed = new Set(await readyEndpoints());
    for (const p of await c.pods()) {
      if (!p.spec.nodeName) continue;
      if (p.metadata.deletionTimestamp !== undefined) {
        if (!listed.has(p.metadata.name)) await c.registry.delete(PODS, 'default', p.metadata.name, { gracePeriodSeconds: 0 }).catch(() => {});
        continue;
      }
      if (isPodReady(p)) continue;
      const withPort = (await c.registry.update(PODS, 'default', p.metadata.name, { ...p, metadata: { ...p.metadata, annotations: { 'vigil.dev/host-ports': JSON.stringify({ http: nextPort++ }) } } }).catch(() => null)) as Pod | null;
      if (withPort !== null) await c.setPodReady(withPort, true).catch(() => {});
    }
  };
  const violations: string[] = [];
  let sawFour = false;
  const check = async () => {
    const pods = await c.pods();
    // Kubernetes' guarantees: the ReplicaSets' replicas sum to at most replicas + maxSurge, and the
    // Ready pods never drop below replicas - maxUnavailable (pods here never fail once Ready).
    const rss = (await c.registry.list(REPLICASETS, 'default')).items as ReplicaSet[];
    const specSum = rss.reduce((n, r) => n + (r.spec.replicas ?? 0), 0);
    if (specSum > 5) violations.push(`replica sets want ${specSum} pods > 4 + 1`);
    const ready = pods.filter((p) => isPodActive(p) && isPodReady(p)).length;
    if (sawFour && ready < 3) violations.push(`${ready} ready pods < 4 - 1`);
    const ep = (await c.registry.get(ENDPOINTS, 'default', 'web').catch(() => null)) as Endpoints | null;
    for (const s of ep?.subsets ?? []) {
      for (const a of s.addresses ?? []) {
        const p = pods.find((x) => x.metadata.name === a.targetRef?.name);
        // Pods leave the Endpoints before they are gone (the agent above waits for that).
        if (p === undefined) violations.push(`endpoint ${a.targetRef?.name} has no pod`);
      }
    }
  };
  agentLoop = (async () => {
    while (agentOn) {
      await agentStep();
      await check();
      await new Promise((r) => setTimeout(r, 5));
    }
  })();
  const podsAt = async (image: string) => (await c.pods()).filter((p) => isPodActive(p) && isPodReady(p) && p.spec.containers[0]?.image === image).map((p) => p.metadata.name).sort();
  await until('4 ready v1 pods in the Endpoints', async () => (await podsAt('node v1.js')).length === 4 && (await readyEndpoints()).sort().join() === (await podsAt('node v1.js')).join());
  sawFour = true;
  const d = (await c.registry.get(DEPLOYMENTS, 'default', 'web')) as Deployment;
  await c.registry.update(DEPLOYMENTS, 'default', 'web', { ...d, spec: { ...d.spec, template: { ...d.spec.template, spec: { containers: [{ name: 'app', image: 'node v2.js', ports: [{ name: 'http' }] }] } } } });
  await until('rollout to v2 done and reflected in the Endpoints', async () => {
    const v2 = await podsAt('node v2.js');
    return v2.length === 4 && (await c.pods()).length === 4 && (await readyEndpoints()).sort().join() === v2.join();
  }, 15_000);
  assert.deepEqual(violations, []);
  const spread = new Map<string, number>();
  for (const p of await c.pods()) spread.set(p.spec.nodeName ?? '', (spread.get(p.spec.nodeName ?? '') ?? 0) + 1);
  assert.ok(Math.max(...spread.values()) <= 2, `replicas spread over the nodes: ${JSON.stringify([...spread])}`);
});
