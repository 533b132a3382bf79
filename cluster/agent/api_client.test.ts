import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import Fastify from 'fastify';
import { clusterApi } from '../api/http.js';
import type { ConfigMap } from '../api/objects.js';
import { Registry } from '../api/registry.js';
import { SqliteStore } from '../store/sqlite_store.js';
import { ApiClient, ApiClientError, CONFIGMAPS, type WatchEvent } from './api_client.js';

async function server(t: TestContext): Promise<{ url: string; store: SqliteStore; headers: string[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-client-'));
  const store = new SqliteStore(join(dir, 'c.db'), { pollIntervalMs: 0, leaseSweepIntervalMs: 0 });
  const registry = new Registry(store);
  await registry.ensureSystemNamespaces();
  const headers: string[] = [];
  const app = Fastify();
  await app.register(clusterApi, {
    registry,
    authenticate: (req) => {
      headers.push(String(req.headers.authorization ?? ''));
      return { name: 'agent', groups: [] };
    },
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  t.after(async () => {
    app.server.closeAllConnections();
    await app.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const a = app.server.address();
  return { url: `http://127.0.0.1:${typeof a === 'object' && a !== null ? a.port : 0}`, store, headers };
}

const cm = (name: string, v: string): ConfigMap => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'default' }, data: { v } });

test('api client: create, get, update, list, delete; failures carry the HTTP status and Kubernetes reason; the header hook is sent', async (t) => {
  const s = await server(t);
  const c = new ApiClient(s.url, { headers: () => ({ authorization: 'Bearer t0k3n' }) });
  const created = await c.create(CONFIGMAPS('default'), cm('a', '1'));
  assert.ok(created.metadata.uid);
  assert.equal((await c.get<ConfigMap>(CONFIGMAPS('default'), 'a')).data?.v, '1');
  const updated = await c.update<ConfigMap>(CONFIGMAPS('default'), { ...created, data: { v: '2' } });
  assert.equal(updated.data?.v, '2');
  // A stale resourceVersion is a conflict.
  await assert.rejects(c.update(CONFIGMAPS('default'), { ...created, data: { v: '3' } }), (e: unknown) => e instanceof ApiClientError && e.status === 409 && e.reason === 'Conflict');
  await assert.rejects(c.create(CONFIGMAPS('default'), cm('a', '1')), (e: unknown) => e instanceof ApiClientError && e.status === 409 && e.reason === 'AlreadyExists');
  assert.deepEqual((await c.list<ConfigMap>(CONFIGMAPS('default'))).items.map((x) => x.metadata.name), ['a']);
  await c.delete(CONFIGMAPS('default'), 'a');
  assert.equal(await c.tryGet(CONFIGMAPS('default'), 'a'), null);
  await assert.rejects(c.get(CONFIGMAPS('default'), 'a'), (e: unknown) => e instanceof ApiClientError && e.status === 404 && /configmaps "a" not found/.test(e.message));
  assert.ok(s.headers.length > 0 && s.headers.every((h) => h === 'Bearer t0k3n'));
  const down = new ApiClient('http://127.0.0.1:1', { timeoutMs: 500 });
  await assert.rejects(down.get(CONFIGMAPS('default'), 'a'), (e: unknown) => e instanceof ApiClientError && e.status === 0 && e.reason === 'ConnectionError');
});

/** Collects events of a watch until `stop` returns true for the list so far. */
async function collect(it: AsyncGenerator<WatchEvent<ConfigMap>>, stop: (evs: WatchEvent<ConfigMap>[]) => boolean, evs: WatchEvent<ConfigMap>[] = []): Promise<WatchEvent<ConfigMap>[]> {
  // next() by hand: leaving a for-await loop would close the generator.
  while (!stop(evs)) {
    const r = await it.next();
    if (r.done === true) break;
    evs.push(r.value);
  }
  return evs;
}

const names = (evs: WatchEvent<ConfigMap>[]) => evs.map((e) => (e.type === 'SYNC' ? `SYNC[${e.items.map((i) => i.metadata.name).join(',')}]` : `${e.type} ${e.object?.metadata.name}`));

test('api client watch: lists first, then streams changes, and resumes after the server ends the stream without losing or repeating events', async (t) => {
  const s = await server(t);
  const c = new ApiClient(s.url, { retryDelayMs: 20 });
  await c.create(CONFIGMAPS('default'), cm('a', '1'));
  const ac = new AbortController();
  t.after(() => ac.abort());
  // timeoutSeconds 1: the server ends each watch after a second, the client re-watches from its last resourceVersion.
  const it = c.watch<ConfigMap>(CONFIGMAPS('default'), { timeoutSeconds: 1, signal: ac.signal });
  const evs = await collect(it, (e) => e.length >= 1);
  await c.create(CONFIGMAPS('default'), cm('b', '1'));
  await collect(it, (e) => e.length >= 2, evs);
  await new Promise((r) => setTimeout(r, 1300)); // the first stream has ended by now
  await c.create(CONFIGMAPS('default'), cm('c', '1'));
  await c.delete(CONFIGMAPS('default'), 'a');
  await collect(it, (e) => e.length >= 4, evs);
  assert.deepEqual(names(evs), ['SYNC[a]', 'ADDED b', 'ADDED c', 'DELETED a']);
  ac.abort();
});

test('api client watch: relists (SYNC) when its resourceVersion was compacted away (410 Gone)', async (t) => {
  const s = await server(t);
  let partitioned = false;
  const fetchImpl: typeof fetch = (input, init) => {
    if (partitioned && String(input).includes('watch=true')) return Promise.reject(new TypeError('fetch failed (simulated partition)'));
    return fetch(input, init);
  };
  const c = new ApiClient(s.url, { retryDelayMs: 20, fetchImpl });
  await c.create(CONFIGMAPS('default'), cm('a', '1'));
  const ac = new AbortController();
  t.after(() => ac.abort());
  const it = c.watch<ConfigMap>(CONFIGMAPS('default'), { timeoutSeconds: 1, signal: ac.signal });
  const evs = await collect(it, (e) => e.length >= 1);
  partitioned = true; // the running stream ends within a second; re-watches fail meanwhile
  await new Promise((r) => setTimeout(r, 1200));
  await c.create(CONFIGMAPS('default'), cm('b', '1'));
  await c.create(CONFIGMAPS('default'), cm('c', '1'));
  await s.store.compact(await s.store.currentRevision());
  partitioned = false;
  await collect(it, (e) => e.length >= 2, evs);
  assert.deepEqual(names(evs), ['SYNC[a]', 'SYNC[a,b,c]']);
  await c.delete(CONFIGMAPS('default'), 'b');
  await collect(it, (e) => e.length >= 3, evs);
  assert.deepEqual(names(evs).slice(2), ['DELETED b']);
  ac.abort();
});
