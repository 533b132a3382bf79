import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseCommandArgs } from '../../cmd/cli.js';
import { SERVER_FLAGS, serverFlagsFrom } from '../../cmd/flags.js';
import { StructuredLogger } from '../../cmd/logger.js';
import { startServer } from '../../cmd/server.js';
import { queryPart } from '../../query/query_part.js';
import { actionsPart, WEBHOOK_PATH } from '../actions/actions_part.js';
import type { Deployment, ScalingPolicy } from '../api/objects.js';
import { clusterPart } from '../cluster_part.js';
import { DEPLOYMENTS } from '../controllers/resources.js';
import { autoscalePart } from './autoscale_part.js';
import { SCALING_POLICIES } from './autoscaler.js';
import { explainPath, type ScalingExplanation } from './explain_http.js';
import { tlsFetch } from '../pki/tls_fetch.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('autoscale part: ticks on evaluation_interval (re-read on reload), queries the server engine, logs alert actions, serves explain', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-autoscale-part-'));
  t.after(() => rmSync(dir, { recursive: true, force: true, maxRetries: 10 }));
  const cfg = join(dir, 'vigil.yml');
  writeFileSync(cfg, 'global:\n  evaluation_interval: 200ms\n');
  const flags = serverFlagsFrom(parseCommandArgs(['--web.listen-address=127.0.0.1:0', `--config.file=${cfg}`, `--storage.tsdb.path=${join(dir, 'data')}`], SERVER_FLAGS, { min: 0, max: 0 }));
  const cluster = clusterPart({ noControllers: true, localAgent: false });
  let leading = true;
  const autoscale = autoscalePart({ registry: () => cluster.api()?.registry ?? null, isLeading: () => leading, addTlsRoutes: (r) => cluster.addTlsRoutes(r) });
  const actions = actionsPart({ registry: () => cluster.api()?.registry ?? null, tickMs: 0, onOutcome: autoscale.recordAction });
  const s = await startServer(flags, { logger: new StructuredLogger({ level: 'error', caller: false, sink: { write: () => {} } }), baseParts: [queryPart, cluster, actions, autoscale] });
  t.after(() => s.close());
  const registry = cluster.api()!.registry;
  await registry.create(DEPLOYMENTS, 'default', {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web' },
    spec: { replicas: 2, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'app', image: 'node app.js' }] } } },
  });
  // A query the server's engine answers without any stored data: 2 replicas × 35 / 10 → 7.
  const p: ScalingPolicy = {
    apiVersion: 'autoscaling.vigil.dev/v1',
    kind: 'ScalingPolicy',
    metadata: { name: 'web' },
    spec: { target: 'web', maxReplicas: 6, query: 'vector(35 * $replicas / 2)', targetPerReplica: 10 },
  };
  await registry.create(SCALING_POLICIES, 'default', p);
  const a = autoscale.autoscaler()!;
  const start = a.ticks;
  await sleep(1100);
  assert.ok(a.ticks - start >= 3, `ticked ${a.ticks - start} times in 1.1 s at 200ms`);
  assert.equal(((await registry.get(DEPLOYMENTS, 'default', 'web')) as Deployment).spec.replicas, 6, 'scaled up from the engine value, clamped to max 6');

  // A reload with a long interval: ticks stop.
  writeFileSync(cfg, 'global:\n  evaluation_interval: 1h\n');
  assert.equal((await s.reload()).ok, true);
  const after = a.ticks;
  await sleep(600);
  assert.ok(a.ticks - after <= 1, 'no more ticks after the interval became 1h');

  // Not leading: a tick does nothing.
  leading = false;
  const n = a.ticks;
  await a.tick();
  assert.equal(a.ticks, n);

  // An alert action on the same Deployment lands in the same log (via the webhook here).
  const labels = { alertname: 'Overload', namespace: 'default' };
  const headers = { authorization: `Bearer ${cluster.auth()!.issueToken({ name: 'test-admin', groups: ['system:masters'] })}` };
  const r = await s.app.inject({ method: 'POST', url: WEBHOOK_PATH, headers, payload: { alerts: [{ status: 'firing', labels, annotations: { action: 'scale deployment/default/web -1' }, startsAt: '2026-01-01T00:00:00Z' }] } });
  assert.equal(r.statusCode, 200, r.body);
  await actions.executor()!.idle();
  // Guarded like the cluster API: a token without bindings is refused; the UI's anonymous read (on by default) passes.
  const nobody = { authorization: `Bearer ${cluster.auth()!.issueToken({ name: 'nobody', groups: [] })}` };
  assert.equal((await s.app.inject({ method: 'GET', url: explainPath('default', 'web'), headers: nobody })).statusCode, 403);
  assert.equal((await s.app.inject({ method: 'GET', url: explainPath('default', 'web'), headers: { authorization: 'Bearer forged' } })).statusCode, 401);
  const ex = await s.app.inject({ method: 'GET', url: explainPath('default', 'web') });
  assert.equal(ex.statusCode, 200, ex.body);
  // Also on the cluster API's TLS listener (where ctl connects): tokens only, no anonymous UI reads there.
  const tls = cluster.tls()!;
  const overTls = tlsFetch({ ca: tls.caCertPem });
  assert.equal((await overTls(`${tls.url}${explainPath('default', 'web')}`)).status, 401);
  const admin = `Bearer ${cluster.auth()!.issueToken({ name: 'test-admin', groups: ['system:masters'] })}`;
  const tlsEx = await overTls(`${tls.url}${explainPath('default', 'web')}`, { headers: { authorization: admin } });
  assert.equal(tlsEx.status, 200);
  assert.equal(((await tlsEx.json()) as ScalingExplanation).target.name, 'web');
  const body = ex.json() as ScalingExplanation;
  assert.equal(body.decisions[0]?.reason, 'scale_up');
  assert.equal(body.decisions[0]?.value, 35);
  assert.equal(body.decisions[0]?.action, 'vector(35 * 2 / 2)', 'the expanded query');
  const last = body.decisions.at(-1);
  assert.equal(last?.source, 'alert');
  assert.equal(last?.by, 'Overload');
  assert.match(last?.message ?? '', /replicas 6 → 5/);
  const m = await (await fetch(`${s.url}/metrics`)).text();
  assert.match(m, /vigil_autoscaler_decisions_total\{namespace="default",scalingpolicy="web",reason="scale_up"\} 1/);
});
