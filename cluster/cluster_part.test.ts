import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseCommandArgs } from '../cmd/cli.js';
import { SERVER_FLAGS, serverFlagsFrom } from '../cmd/flags.js';
import { StructuredLogger } from '../cmd/logger.js';
import { startServer } from '../cmd/server.js';
import type { Pod } from './api/objects.js';
import { clusterPart } from './cluster_part.js';

test('the cluster part serves the API, runs the controllers on the default SQLite store and exports cluster-state metrics', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-cluster-part-'));
  t.after(() => rmSync(dir, { recursive: true, force: true, maxRetries: 10 }));
  const cfg = join(dir, 'vigil.yml');
  writeFileSync(cfg, 'global:\n  scrape_interval: 15s\n');
  const flags = serverFlagsFrom(
    parseCommandArgs(['--web.listen-address=127.0.0.1:0', `--config.file=${cfg}`, `--storage.tsdb.path=${join(dir, 'data')}`], SERVER_FLAGS, { min: 0, max: 0 }),
  );
  const part = clusterPart({ localAgent: false });
  const s = await startServer(flags, { logger: new StructuredLogger({ level: 'error', caller: false, sink: { write: () => {} } }), baseParts: [part] });
  t.after(() => s.close());
  assert.ok(existsSync(join(dir, 'data', 'cluster.db')), 'SQLite store next to the TSDB by default');
  // The admin credential is created on first start, readable by the owner only.
  const tokenFile = join(dir, 'data', 'cluster', 'admin.token');
  assert.equal(statSync(tokenFile).mode & 0o777, 0o600);
  const headers = { authorization: `Bearer ${readFileSync(tokenFile, 'utf8').trim()}` };
  assert.equal((await s.app.inject({ method: 'POST', url: '/api/v1/nodes', payload: { apiVersion: 'v1', kind: 'Node', metadata: { name: 'x' } } })).statusCode, 401);
  const req = async (method: 'GET' | 'POST' | 'PUT', url: string, body?: unknown) => {
    const r = await s.app.inject({ method, url, headers, ...(body !== undefined ? { payload: body as Record<string, unknown> } : {}) });
    assert.ok(r.statusCode < 300, `${method} ${url}: ${r.statusCode} ${r.body}`);
    return r.json() as Record<string, unknown>;
  };
  const node = await req('POST', '/api/v1/nodes', { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1' }, spec: {} });
  await req('PUT', '/api/v1/nodes/n1/status', { ...node, status: { allocatable: { cpu: '2', memory: '1Gi', pods: '10' }, conditions: [{ type: 'Ready', status: 'True' }] } });
  await req('POST', '/apis/apps/v1/namespaces/default/deployments', {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web' },
    spec: { replicas: 2, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'app', image: 'node app.js' }] } } },
  });
  const end = Date.now() + 8000;
  let bound = 0;
  while (Date.now() < end) {
    const pods = (await req('GET', '/api/v1/namespaces/default/pods')).items as Pod[];
    bound = pods.filter((p) => p.spec.nodeName === 'n1').length;
    if (bound === 2) break;
    await new Promise((r) => setTimeout(r, 25));
  }
  assert.equal(bound, 2, 'the deployment became two pods bound to n1');
  assert.equal(part.manager()?.isLeading(), true);
  let text = '';
  for (let i = 0; i < 100 && !text.includes('vigil_deployment_spec_replicas{namespace="default",deployment="web"} 2'); i++) {
    text = await part.metrics.metrics();
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.match(text, /vigil_deployment_spec_replicas\{namespace="default",deployment="web"\} 2/);
  assert.match(text, /vigil_node_status_condition\{node="n1",condition="Ready",status="true"\} 1/);
  assert.match(text, /vigil_cluster_leader\{identity="[^"]+"\} 1/);
  assert.match(text, /vigil_cluster_controller_syncs_total\{controller="scheduler"\} [1-9]/);
  assert.match(text, /vigil_scheduler_pending_unschedulable_pods 0/);
  await s.close();
  assert.equal(part.manager()?.isLeading(), false, 'closing the server stops the controllers');
});
