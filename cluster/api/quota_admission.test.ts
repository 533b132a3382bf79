import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { SqliteStore } from '../store/sqlite_store.js';
import { ApiError } from './api_error.js';
import type { Pod, ResourceQuota } from './objects.js';
import { Registry } from './registry.js';
import { RESOURCES } from './resources.js';

const pods = RESOURCES.find((r) => r.resource === 'pods')!;
const quotas = RESOURCES.find((r) => r.resource === 'resourcequotas')!;

const pod = (name: string, cpu = '100m'): unknown => ({
  metadata: { name },
  spec: { containers: [{ name: 'app', image: 'x', resources: { requests: { cpu, memory: '10Mi' } } }] },
});

async function twoServers(t: TestContext) {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-quota-'));
  const path = join(dir, 'c.db');
  const sa = new SqliteStore(path, { pollIntervalMs: 0, leaseSweepIntervalMs: 0 });
  const sb = new SqliteStore(path, { pollIntervalMs: 0, leaseSweepIntervalMs: 0 });
  t.after(async () => {
    await sa.close();
    await sb.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const a = new Registry(sa);
  const b = new Registry(sb);
  await a.ensureSystemNamespaces();
  return { a, b };
}

const used = async (r: Registry) => ((await r.get(quotas, 'default', 'q')) as ResourceQuota).status?.used;

test('quota admission: two API servers on one store never overshoot a quota together', async (t) => {
  const { a, b } = await twoServers(t);
  await a.create(quotas, 'default', { metadata: { name: 'q' }, spec: { hard: { pods: '5', cpu: '10' } } });
  const results = await Promise.allSettled(Array.from({ length: 12 }, (_, i) => (i % 2 === 0 ? a : b).create(pods, 'default', pod(`p${i}`))));
  const ok = results.filter((r) => r.status === 'fulfilled').length;
  assert.equal(ok, 5);
  for (const r of results) if (r.status === 'rejected') assert.ok(r.reason instanceof ApiError && /exceeded quota: q/.test(r.reason.message), String(r.reason));
  assert.equal((await a.list(pods, 'default')).items.length, 5);
  assert.deepEqual(await used(b), { pods: '5', cpu: '500m' });
});

test('quota admission: failed writes refund, terminal and deleted pods release, recount repairs drift', async (t) => {
  const { a } = await twoServers(t);
  await a.create(quotas, 'default', { metadata: { name: 'q' }, spec: { hard: { pods: '2' } } });
  await a.create(pods, 'default', pod('p1'));
  await assert.rejects(a.create(pods, 'default', pod('p1')), /already exists/);
  assert.deepEqual(await used(a), { pods: '1' }, 'the failed create was refunded');
  await a.create(pods, 'default', pod('p2'));
  await assert.rejects(a.create(pods, 'default', pod('p3')), /exceeded quota/);
  // p1 finishes: a terminal pod no longer counts.
  const p1 = (await a.get(pods, 'default', 'p1')) as Pod;
  p1.status = { phase: 'Succeeded' };
  await a.update(pods, 'default', 'p1', p1, { subresource: 'status' });
  assert.deepEqual(await used(a), { pods: '1' });
  await a.create(pods, 'default', pod('p3'));
  await a.delete(pods, 'default', 'p2');
  assert.deepEqual(await used(a), { pods: '1' });
  // Drift (e.g. a crash between charge and write) is repaired by a recount.
  const q = (await a.get(quotas, 'default', 'q')) as ResourceQuota;
  q.status = { hard: q.spec.hard, used: { pods: '2' } };
  await a.update(quotas, 'default', 'q', q, { subresource: 'status' });
  await assert.rejects(a.create(pods, 'default', pod('p4')), /used: pods=2/);
  await a.quota.recountAll();
  assert.deepEqual(await used(a), { pods: '1' });
  await a.create(pods, 'default', pod('p4'));
});
