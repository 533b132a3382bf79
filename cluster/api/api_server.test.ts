import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import Fastify from 'fastify';
import { defaultStoreUrl } from '../store/open_store.js';
import { openClusterApi } from './api_server.js';

test('openClusterApi serves the API from a sqlite store and keeps data across a restart', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-cluster-api-'));
  t.after(() => rmSync(dir, { recursive: true, force: true, maxRetries: 10 }));
  const url = defaultStoreUrl(dir);
  const opts = { store: { sqlite: { pollIntervalMs: 0, leaseSweepIntervalMs: 0 } } };
  const api = await openClusterApi(url, opts);
  const app = Fastify();
  await api.register(app);
  const ns = (await app.inject({ method: 'GET', url: '/api/v1/namespaces' })).json();
  assert.deepEqual(
    ns.items.map((n: { metadata: { name: string } }) => n.metadata.name),
    ['default', 'kube-node-lease', 'kube-system'],
  );
  const c = await app.inject({ method: 'POST', url: '/api/v1/namespaces/default/configmaps', payload: { metadata: { name: 'kept' }, data: { a: '1' } } });
  assert.equal(c.statusCode, 201);
  await app.close();
  await api.close();

  const again = await openClusterApi(url, opts);
  t.after(() => again.close());
  const app2 = Fastify();
  await again.register(app2);
  t.after(() => app2.close());
  const got = await app2.inject({ method: 'GET', url: '/api/v1/namespaces/default/configmaps/kept' });
  assert.equal(got.statusCode, 200);
  assert.deepEqual(got.json().data, { a: '1' });
  assert.equal(got.json().metadata.uid, c.json().metadata.uid);
});
