import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { AlertStateChange } from '../../alert/receivers.js';
import { parseCommandArgs } from '../../cmd/cli.js';
import { SERVER_FLAGS, serverFlagsFrom } from '../../cmd/flags.js';
import { StructuredLogger } from '../../cmd/logger.js';
import { startServer } from '../../cmd/server.js';
import { Labels } from '../../tsdb/labels.js';
import type { Deployment, Event } from '../api/objects.js';
import { clusterPart } from '../cluster_part.js';
import { DEPLOYMENTS, EVENTS } from '../controllers/resources.js';
import { RESOURCES } from '../api/resources.js';

const CLUSTER_ROLE_BINDINGS = RESOURCES.find((r) => r.resource === 'clusterrolebindings')!;
import type { ActionOutcome } from './action_executor.js';
import { actionsPart, labelsFingerprint, parseWebhook, WEBHOOK_PATH, WebhookError } from './actions_part.js';

async function server(t: { after(fn: () => unknown): void }, extraFlags: string[] = []) {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-actions-part-'));
  t.after(() => rmSync(dir, { recursive: true, force: true, maxRetries: 10 }));
  const cfg = join(dir, 'vigil.yml');
  writeFileSync(cfg, 'global:\n  scrape_interval: 15s\n');
  const flags = serverFlagsFrom(
    parseCommandArgs(['--web.listen-address=127.0.0.1:0', `--config.file=${cfg}`, `--storage.tsdb.path=${join(dir, 'data')}`, ...extraFlags], SERVER_FLAGS, { min: 0, max: 0 }),
  );
  const cluster = clusterPart({ noControllers: true });
  const outcomes: ActionOutcome[] = [];
  const actions = actionsPart({ registry: () => cluster.api()?.registry ?? null, tickMs: 0, onOutcome: (o) => outcomes.push(o) });
  const s = await startServer(flags, { logger: new StructuredLogger({ level: 'error', caller: false, sink: { write: () => {} } }), baseParts: [cluster, actions] });
  t.after(() => s.close());
  const registry = cluster.api()!.registry;
  await registry.create(DEPLOYMENTS, 'default', {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', annotations: { 'vigil.dev/max-replicas': '4' } },
    spec: { replicas: 2, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'app', image: 'node app.js' }] } } },
  });
  const replicas = async () => ((await registry.get(DEPLOYMENTS, 'default', 'web')) as Deployment).spec.replicas;
  // Alertmanager's token: a user bound to vigil:alert-sender.
  await registry.create(CLUSTER_ROLE_BINDINGS, '', {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name: 'alertmanager' },
    subjects: [{ kind: 'User', name: 'alertmanager' }],
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'vigil:alert-sender' },
  });
  cluster.auth()!.rbac.invalidate();
  const token = cluster.auth()!.issueToken({ name: 'alertmanager', groups: [] });
  const headers = { authorization: `Bearer ${token}` };
  return { s, actions, outcomes, registry, replicas, headers, cluster };
}

function amAlert(status: string, action: string, startsAt = '2026-01-01T00:00:00Z', labels: Record<string, string> = { alertname: 'HighLoad', namespace: 'default' }) {
  return { status, labels, annotations: { action }, startsAt, fingerprint: labelsFingerprint(labels) };
}

test('the Alertmanager webhook runs actions once per firing episode and shows in /metrics', async (t) => {
  const { s, actions, outcomes, registry, replicas, headers } = await server(t);
  const post = (payload: unknown) => s.app.inject({ method: 'POST', url: WEBHOOK_PATH, headers, payload: payload as Record<string, unknown> });
  const body = { version: '4', status: 'firing', receiver: 'vigil', alerts: [amAlert('firing', 'scale deployment/default/web *2')] };
  const r = await post(body);
  assert.equal(r.statusCode, 200, r.body);
  assert.deepEqual(r.json(), { status: 'success', data: { received: 1, submitted: 1 } });
  await actions.executor()!.idle();
  assert.equal(await replicas(), 4);
  // Alertmanager repeats the notification: same episode, no cooldown → nothing more.
  await post(body);
  await actions.executor()!.idle();
  assert.equal(await replicas(), 4);
  assert.equal(outcomes.length, 1);
  // Resolved, then a new episode: runs again (clamped at max 4 → noop).
  await post({ alerts: [amAlert('resolved', 'scale deployment/default/web *2')] });
  await post({ alerts: [amAlert('firing', 'scale deployment/default/web =1', '2026-01-01T01:00:00Z')] });
  await actions.executor()!.idle();
  assert.equal(await replicas(), 1);
  const ev = ((await registry.list(EVENTS, 'default')).items as Event[]).filter((e) => e.reason === 'AlertAction');
  assert.equal(ev.length, 2);
  const m = await s.app.inject({ method: 'GET', url: '/metrics' });
  assert.match(m.body, /vigil_cluster_actions_total\{verb="scale",result="ok"\} 2/);

  const bad = await post({ alerts: [{ status: 'firing', labels: { a: 1 }, startsAt: 'x' }] });
  assert.equal(bad.statusCode, 400);
  assert.match(bad.json().error, /alerts\[0\]\.labels\.a: expected a string/);
  assert.equal((await post({ nope: true })).statusCode, 400);
});

test('the alert receiver submits on firing and ends the episode on resolve', async (t) => {
  const { actions, replicas } = await server(t);
  const labels = Labels.from({ alertname: 'HighLoad', namespace: 'default' });
  const alert = { state: 'firing' as const, labels, annotations: Labels.from({ action: 'scale deployment/default/web +1' }), value: 1, activeAtMs: 5000, firedAtMs: 6000, resolvedAtMs: 0, lastSentAtMs: 0, sent: false, validUntilMs: 0, keepFiringSinceMs: 0 };
  const change = (from: AlertStateChange['from'], to: AlertStateChange['to'], activeAtMs: number): AlertStateChange => ({ rule: 'HighLoad', group: 'g', file: 'f.yml', from, to, alert: { ...alert, state: to, activeAtMs }, ts: 6000 });
  actions.receiver(change('pending', 'firing', 5000));
  await actions.executor()!.idle();
  assert.equal(await replicas(), 3);
  actions.receiver(change('inactive', 'pending', 5000));
  actions.receiver(change('firing', 'inactive', 5000));
  actions.receiver(change('pending', 'firing', 5000));
  await actions.executor()!.idle();
  assert.equal(await replicas(), 4, 'after resolve the same alert acts again');
});

test('--cluster.actions.dry-run records without changing', async (t) => {
  const { s, actions, outcomes, replicas, headers } = await server(t, ['--cluster.actions.dry-run']);
  await s.app.inject({ method: 'POST', url: WEBHOOK_PATH, headers, payload: { alerts: [amAlert('firing', 'scale deployment/default/web +1')] } });
  await actions.executor()!.idle();
  assert.equal(await replicas(), 2);
  assert.deepEqual(outcomes.map((o) => o.result), ['dry_run']);
});

test('the webhook needs a token allowed to create alerts.vigil.dev (401, 403) and every call is audited', async (t) => {
  const { s, actions, replicas, headers, cluster } = await server(t);
  const body = { alerts: [amAlert('firing', 'scale deployment/default/web +1')] };
  const post = (h: Record<string, string>) => s.app.inject({ method: 'POST', url: WEBHOOK_PATH, headers: h, payload: body });
  assert.equal((await post({})).statusCode, 401, 'no credentials (the UI read access does not cover writes)');
  assert.equal((await post({ authorization: 'Bearer vigil1.forged.token' })).statusCode, 401);
  const nobody = cluster.auth()!.issueToken({ name: 'nobody', groups: [] });
  const r = await post({ authorization: `Bearer ${nobody}` });
  assert.equal(r.statusCode, 403);
  assert.match(r.json().message, /User "nobody" cannot create resource "alerts" in API group "vigil.dev"/);
  await actions.executor()!.idle();
  assert.equal(await replicas(), 2, 'refused calls change nothing');
  assert.equal((await post(headers)).statusCode, 200);
  const audit = cluster.auth()!.auditLog!;
  await audit.flush();
  const lines = readFileSync(audit.path, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { user: string; resource: string; code: number; verb: string });
  const hooks = lines.filter((l) => l.resource === 'alerts');
  assert.deepEqual(hooks.map((l) => [l.user, l.verb, l.code]), [['system:anonymous-ui', 'create', 401], ['', 'create', 401], ['nobody', 'create', 403], ['alertmanager', 'create', 200]]);
});

test('parseWebhook bounds and names bad fields', () => {
  assert.throws(() => parseWebhook({ alerts: new Array(1001).fill({}) }), (e: unknown) => e instanceof WebhookError && /at most 1000/.test(e.message));
  assert.throws(() => parseWebhook({ alerts: [{ status: 'firing', startsAt: 'soon' }] }), /alerts\[0\]\.startsAt/);
  assert.throws(() => parseWebhook({ alerts: [{ status: 'odd' }] }), /alerts\[0\]\.status/);
  const [a] = parseWebhook({ alerts: [{ status: 'firing', labels: { b: '2', a: '1' }, startsAt: '2026-01-01T00:00:00Z' }] });
  assert.equal(a?.fingerprint, labelsFingerprint({ a: '1', b: '2' }));
  assert.notEqual(labelsFingerprint({ a: '1' }), labelsFingerprint({ a: '2' }));
});
