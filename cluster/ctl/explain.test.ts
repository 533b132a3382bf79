import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import Fastify from 'fastify';
import { openClusterApi } from '../api/api_server.js';
import { ActionExecutor } from '../actions/action_executor.js';
import { Autoscaler } from '../autoscale/autoscaler.js';
import { alertEntry, DecisionLog } from '../autoscale/decision_log.js';
import { explainPlugin } from '../autoscale/explain_http.js';
import { runCtl } from './ctl_command.js';
import { explainTarget } from './explain.js';

const MANIFEST = `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: app, image: sleep 1000}]}
---
apiVersion: autoscaling.vigil.dev/v1
kind: ScalingPolicy
metadata: {name: web-rps, namespace: shop}
spec:
  target: web
  maxReplicas: 8
  query: sum(rate(app_requests_total{namespace="$namespace",app="$target"}[30s])) / $replicas
  targetPerReplica: 10
  scaleDown: {stabilizationWindowSeconds: 30}
`;

test('ctl explain: target forms', () => {
  assert.deepEqual(explainTarget(['deployment/shop/web']), { namespace: 'shop', name: 'web' });
  assert.deepEqual(explainTarget(['deploy/web']), { namespace: '', name: 'web' });
  assert.deepEqual(explainTarget(['deployment', 'web']), { namespace: '', name: 'web' });
  assert.throws(() => explainTarget(['pod/shop/web']), /only deployments/);
  assert.throws(() => explainTarget(['deployment/']), /expected deployment\/NAMESPACE\/NAME/);
});

test('ctl: apply/get/describe scalingpolicies and explain a Deployment with policy and alert decisions', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-explain-'));
  const api = await openClusterApi(`sqlite://${join(dir, 'cluster.db')}`, { store: { sqlite: { pollIntervalMs: 0, leaseSweepIntervalMs: 0 } }, compactIntervalMs: 0, quotaResyncMs: 0 });
  const log = new DecisionLog();
  const app = Fastify();
  await api.register(app);
  await app.register(async (s) => explainPlugin(s, { registry: () => api.registry, log }));
  await app.listen({ host: '127.0.0.1', port: 0 });
  t.after(async () => {
    app.server.closeAllConnections();
    await app.close();
    await api.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const addr = app.server.address();
  assert.ok(addr !== null && typeof addr === 'object');
  const url = `http://127.0.0.1:${addr.port}`;
  writeFileSync(join(dir, 'm.yaml'), MANIFEST);
  const ctl = async (words: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runCtl([...words, `--server=${url}`], { log: (s) => out.push(s), err: (s) => err.push(s) }, { env: { VIGIL_CONFIG: join(dir, 'config'), HOME: dir } });
    return { code, out: out.join('\n'), err: err.join('\n') };
  };
  await ctl(['create', 'namespace', 'shop']);
  const applied = await ctl(['apply', '-f', join(dir, 'm.yaml')]);
  assert.equal(applied.code, 0, applied.err);
  assert.match(applied.out, /scalingpolicy\.autoscaling\.vigil\.dev\/web-rps created/);

  let clock = Date.parse('2026-11-27T10:00:00Z');
  let value = 25;
  const a = new Autoscaler({ registry: () => api.registry, query: async () => [{ v: value }], isLeading: () => true, log, now: () => clock });
  await a.tick(); // 2 → 5
  clock += 1000;
  value = 5; // 5 × 0.5 → propose 3, held by the window
  await a.tick();
  // An alert action on the same Deployment, through the executor's outcome hook.
  const ex = new ActionExecutor({
    registry: () => api.registry,
    now: () => clock,
    onOutcome: (o) => log.add(alertEntry(clock, { namespace: 'shop', deployment: 'web', alert: o.alert, action: o.action, result: o.result, detail: o.detail })),
  });
  ex.submit({ alertName: 'HighLatency', fingerprint: 'f1', activeAtMs: clock, labels: {}, annotations: { action: 'scale deployment/shop/web +1' }, source: 'rules' });
  await ex.idle();

  const got = await ctl(['get', 'sp', '-n', 'shop']);
  assert.equal(got.code, 0, got.err);
  assert.match(got.out, /^NAME\s+REFERENCE\s+TARGETS\s+MINPODS\s+MAXPODS\s+REPLICAS\s+AGE\nweb-rps\s+Deployment\/web\s+5\/10\s+1\s+8\s+5\s+/);
  const desc = await ctl(['describe', 'scalingpolicy', 'web-rps', '-n', 'shop']);
  assert.equal(desc.code, 0, desc.err);
  assert.match(desc.out, /lastReason: held_by_stabilization/);

  const r = await ctl(['explain', 'deployment/shop/web']);
  assert.equal(r.code, 0, r.err);
  const lines = r.out.split('\n');
  assert.equal(lines[0], 'Deployment shop/web: 6 replicas (0 ready)');
  assert.match(r.out, /ScalingPolicy web-rps: 10 per replica of .*replicas \[1, 8\], tolerance 0\.1, scale-down window 30s/);
  const header = lines.findIndex((l) => l.startsWith('TIME'));
  assert.ok(header > 0, r.out);
  const rows = lines.slice(header + 1);
  assert.equal(rows.length, 3, r.out);
  assert.match(rows[0]!, /^10:00:00\s+policy\s+web-rps\s+scale_up\s+2→5\s+25\s+2\.5\s+5\s+\+0\.1\/-0\.1\s+30s\s+≤6\s+applied\s+ceil\(2 × 25 \/ 10\) = 5: scale up 2 → 5/);
  assert.match(rows[1]!, /^10:00:01\s+policy\s+web-rps\s+held_by_stabilization\s+5\s+5\s+0\.5\s+3\s+\+0\.1\/-0\.1\s+30s max 5\s+-\s+held\s+/);
  assert.match(rows[2]!, /^10:00:01\s+alert\s+HighLatency\s+alert_action\s+-.*ok\s+scale deployment\/shop\/web \+1: replicas 5 → 6/);

  const json = await ctl(['explain', 'deployment/web', '-n', 'shop', '-o', 'json', '--tail', '1']);
  assert.equal(json.code, 0, json.err);
  const body = JSON.parse(json.out) as { decisions: { by: string }[] };
  assert.deepEqual(
    body.decisions.map((d) => d.by),
    ['HighLatency'],
  );
  const missing = await ctl(['explain', 'deployment/shop/nope']);
  assert.equal(missing.code, 1);
  assert.match(missing.err, /NotFound/);
});
