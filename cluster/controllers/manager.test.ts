import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Deployment, Pod } from '../api/objects.js';
import { Registry } from '../api/registry.js';
import { SqliteStore } from '../store/sqlite_store.js';
import { ControllerManager } from './manager.js';
import { isPodActive } from './pod_state.js';
import { DEPLOYMENTS } from './resources.js';
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
