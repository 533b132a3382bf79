// The registry's store-dependent behaviour on a real etcd (the rest is store-agnostic and
// covered on SQLite in registry.test.ts): conflicts, selector watches using etcd's previous
// values, quota across two API servers, event leases and compaction.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { EtcdStore } from '../store/etcd_store.js';
import { type EtcdProcess, startEtcd } from '../store/etcd_test_server.js';
import { ApiError } from './api_error.js';
import { parseSelector } from './label_selector.js';
import type { ApiObject, Deployment } from './objects.js';
import { Registry, type WatchEventOut } from './registry.js';
import { RESOURCES, storeKey } from './resources.js';

const R = (name: string) => RESOURCES.find((r) => r.resource === name)!;
let etcd: EtcdProcess;
let sa: EtcdStore;
let sb: EtcdStore;
let a: Registry;
let b: Registry;

before(async () => {
  etcd = await startEtcd();
  sa = new EtcdStore(etcd.endpoint);
  sb = new EtcdStore(etcd.endpoint);
  a = new Registry(sa);
  b = new Registry(sb);
  await a.ensureSystemNamespaces();
  await b.ensureSystemNamespaces();
});
after(async () => {
  await sa.close();
  await sb.close();
  await etcd.stop();
});

const pod = (name: string, labels: Record<string, string> = {}) => ({ metadata: { name, labels }, spec: { containers: [{ name: 'app', image: 'x' }] } });

async function take(w: AsyncIterable<WatchEventOut>, n: number): Promise<WatchEventOut[]> {
  const out: WatchEventOut[] = [];
  for await (const ev of w) {
    out.push(ev);
    if (out.length >= n) break;
  }
  return out;
}

test('registry on etcd: optimistic concurrency across two API servers', async () => {
  const d = {
    metadata: { name: 'web' },
    spec: { replicas: 1, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'w', image: 'x' }] } } },
  };
  const created = (await a.create(R('deployments'), 'default', d)) as Deployment;
  const fromB = structuredClone(created);
  fromB.spec.replicas = 2;
  await b.update(R('deployments'), 'default', 'web', fromB);
  const fromA = structuredClone(created);
  fromA.spec.replicas = 3;
  await assert.rejects(a.update(R('deployments'), 'default', 'web', fromA), (e: unknown) => e instanceof ApiError && e.code === 409);
  assert.equal(((await a.get(R('deployments'), 'default', 'web')) as Deployment).spec.replicas, 2);
});

test('registry on etcd: selector watches see objects enter and leave the selection', async () => {
  const ns = 'default';
  const start = (await a.list(R('pods'), ns)).metadata.resourceVersion;
  const w = b.watch(R('pods'), ns, { resourceVersion: start, labelSelector: parseSelector('role=db') });
  await a.create(R('pods'), ns, pod('db-0', { role: 'cache' }));
  await a.patch(R('pods'), ns, 'db-0', { metadata: { labels: { role: 'db' } } }, 'merge');
  await a.patch(R('pods'), ns, 'db-0', { metadata: { labels: { role: 'cache' } } }, 'merge');
  const evs = await take(w, 2);
  w.close();
  assert.deepEqual(
    evs.map((e) => `${e.type} ${JSON.stringify((e.object as ApiObject).metadata.labels)}`),
    ['ADDED {"role":"db"}', 'DELETED {"role":"db"}'],
  );
});

test('registry on etcd: quota is never overshot by two API servers', async () => {
  await a.create(R('namespaces'), '', { metadata: { name: 'quota-ns' } });
  await a.create(R('resourcequotas'), 'quota-ns', { metadata: { name: 'q' }, spec: { hard: { pods: '3' } } });
  const results = await Promise.allSettled(Array.from({ length: 8 }, (_, i) => (i % 2 ? a : b).create(R('pods'), 'quota-ns', pod(`p${i}`))));
  assert.equal(results.filter((r) => r.status === 'fulfilled').length, 3);
  assert.equal((await b.list(R('pods'), 'quota-ns')).items.length, 3);
});

test('registry on etcd: events are attached to an etcd lease; compaction gives 410 to old watches', async () => {
  const e = await a.create(R('events'), 'default', { metadata: { name: 'ev1' }, involvedObject: { kind: 'Pod', name: 'x' }, reason: 'Test', message: 'm' });
  const kv = await sa.get(storeKey(R('events'), 'default', 'ev1'));
  assert.ok(kv !== null && kv.lease > 0, 'the event key has a lease');
  await a.create(R('configmaps'), 'default', { metadata: { name: 'after' } });
  await sa.compact(await sa.currentRevision());
  const w = b.watch(R('events'), 'default', { resourceVersion: e.metadata.resourceVersion! });
  const evs = await take(w, 1);
  w.close();
  assert.equal(evs.length, 1);
  assert.equal(evs[0]!.type, 'ERROR');
  assert.equal((evs[0]!.object as { code: number }).code, 410);
});
