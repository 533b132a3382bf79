import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { Registry as PromRegistry } from 'prom-client';
import type { AlertStateChange } from '../../alert/receivers.js';
import { parseCommandArgs } from '../../cmd/cli.js';
import { SERVER_FLAGS, serverFlagsFrom } from '../../cmd/flags.js';
import { StructuredLogger } from '../../cmd/logger.js';
import { startServer } from '../../cmd/server.js';
import { Labels } from '../../tsdb/labels.js';
import { ApiError } from '../api/api_error.js';
import type { Deployment, Event, Pod, PodTemplateSpec, ReplicaSet } from '../api/objects.js';
import { POD_TEMPLATE_HASH_LABEL, REVISION_ANNOTATION } from '../api/objects.js';
import { podTemplateHash } from '../api/pod_template_hash.js';
import { clusterPart } from '../cluster_part.js';
import { DeploymentController, ROLLBACK_ANNOTATION } from '../controllers/deployment_controller.js';
import { EventRecorder } from '../controllers/event_recorder.js';
import { isPodActive, isPodReady } from '../controllers/pod_state.js';
import { ReplicaSetController } from '../controllers/replicaset_controller.js';
import { DEPLOYMENTS, EVENTS, REPLICASETS } from '../controllers/resources.js';
import { type TestCluster, testCluster } from '../controllers/test_env.js';
import { actionsPart, WEBHOOK_PATH } from './actions_part.js';
import { AutoRollback, type AutoRollbackOutcome } from './auto_rollback.js';
import { autoRollbackPart } from './auto_rollback_part.js';
import { AUTO_ROLLBACK_TO_ANNOTATION } from './rollback_match.js';

function deployment(image: string, extra: Partial<Deployment['spec']> = {}): unknown {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web' },
    spec: {
      replicas: 3,
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'app', image }] } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
      rollbackOn: ['HighErrorRate'],
      ...extra,
    },
  };
}

async function setup(t: TestContext, dryRun = false) {
  const c = await testCluster(t);
  const events = new EventRecorder(c.registry, 'deployment-controller', { now: c.now });
  const dc = new DeploymentController(c.registry, { now: c.now, events });
  const rc = new ReplicaSetController(c.registry, { now: c.now });
  const metrics = new PromRegistry();
  const outcomes: AutoRollbackOutcome[] = [];
  const audit: string[] = [];
  const logger = { info: (m: string) => audit.push(`info ${m}`), warn: (m: string, f?: Readonly<Record<string, unknown>>) => audit.push(`warn ${m} ${JSON.stringify(f)}`) };
  const ar = new AutoRollback({ registry: () => c.registry, now: c.now, metrics, logger, dryRun, onOutcome: (o) => outcomes.push(o) });
  return { c, dc, rc, ar, metrics, outcomes, audit };
}
type Setup = Awaited<ReturnType<typeof setup>>;

const getD = async (c: TestCluster): Promise<Deployment> => (await c.registry.get(DEPLOYMENTS, 'default', 'web')) as Deployment;
const replicaSets = async (c: TestCluster): Promise<ReplicaSet[]> => (await c.registry.list(REPLICASETS, 'default')).items as ReplicaSet[];
const hashOf = (rs: ReplicaSet): string => rs.metadata.labels?.[POD_TEMPLATE_HASH_LABEL] ?? '';

/** One control-plane round, then pods reported Ready, `rounds` times (the clock moves 1 s per round). */
async function rounds(s: Setup, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    await s.dc.sync('default/web');
    for (const rs of await replicaSets(s.c)) await s.rc.sync(`default/${rs.metadata.name}`);
    for (const p of await s.c.pods()) if (isPodActive(p) && !isPodReady(p)) await s.c.setPodReady(p, true);
    s.c.advance(1000);
  }
}

async function counter(m: PromRegistry, name: string, labels: Record<string, string>): Promise<number> {
  const v = await m.getSingleMetric(name)?.get();
  return v?.values.find((x) => Object.entries(labels).every(([k, want]) => x.labels[k] === want))?.value ?? 0;
}

/** v1 settled, then the template changed to v2 and one rollout step taken: v2 has one pod, v1 still serves. */
async function midRollout(s: Setup): Promise<{ h1: string; h2: string }> {
  await s.c.registry.create(DEPLOYMENTS, 'default', deployment('app v1'));
  await rounds(s, 6);
  const [v1] = await replicaSets(s.c);
  assert.ok(v1 !== undefined);
  await s.c.registry.patch(DEPLOYMENTS, 'default', 'web', { spec: { template: { spec: { containers: [{ name: 'app', image: 'app v2' }] } } } }, 'merge');
  await rounds(s, 1);
  const v2 = (await replicaSets(s.c)).find((rs) => rs.metadata.uid !== v1.metadata.uid);
  assert.ok(v2 !== undefined, 'the v2 ReplicaSet exists');
  assert.ok((v1.spec.replicas ?? 0) > 0);
  return { h1: hashOf(v1), h2: hashOf(v2) };
}

test('auto-rollback: HighErrorRate for the new revision mid-rollout restores v1; Event, condition, audit line and counters record it', async (t) => {
  const s = await setup(t);
  const { h1, h2 } = await midRollout(s);
  s.ar.observe({ alertName: 'HighErrorRate', status: 'firing', labels: { alertname: 'HighErrorRate', namespace: 'default', pod_template_hash: h2 }, source: 'rules' });
  await s.ar.idle();
  assert.deepEqual(s.outcomes.map((o) => [o.result, o.deployment]), [['rolled_back', 'default/web']]);
  const d = await getD(s.c);
  assert.equal(d.metadata.annotations?.[ROLLBACK_ANNOTATION], '1', 'rollback to revision 1 requested');
  assert.equal(d.metadata.annotations?.[AUTO_ROLLBACK_TO_ANNOTATION], h1);
  const ev = ((await s.c.registry.list(EVENTS, 'default')).items as Event[]).filter((e) => e.reason === 'AutoRollback');
  assert.equal(ev.length, 1);
  assert.equal(ev[0]!.type, 'Warning');
  assert.match(ev[0]!.message, new RegExp(`alert HighErrorRate fired for revision 2 \\(pod_template_hash="${h2}"\\) during its rollout; rolled back to revision 1`));
  assert.equal(await counter(s.metrics, 'vigil_deployment_auto_rollbacks_total', { namespace: 'default', deployment: 'web', alertname: 'HighErrorRate' }), 1);
  assert.equal(await counter(s.metrics, 'vigil_cluster_actions_total', { verb: 'rollback', result: 'ok' }), 1);
  assert.ok(s.audit.some((l) => l.startsWith('warn deployment auto rollback') && l.includes('rolled_back')), s.audit.join('\n'));

  // The controller restores v1: the template, v1's ReplicaSet as the newest revision, only v1 pods.
  await rounds(s, 12);
  const after = await getD(s.c);
  assert.equal(after.spec.template.spec.containers[0]?.image, 'app v1');
  assert.equal(after.metadata.annotations?.[ROLLBACK_ANNOTATION], undefined);
  const rss = await replicaSets(s.c);
  const v1 = rss.find((rs) => hashOf(rs) === h1)!;
  const v2 = rss.find((rs) => hashOf(rs) === h2)!;
  assert.equal(v1.metadata.annotations?.[REVISION_ANNOTATION], '3', 'v1 came back as revision 3');
  assert.equal(v1.spec.replicas, 3);
  assert.equal(v2.spec.replicas, 0);
  const pods = (await s.c.pods()).filter(isPodActive);
  assert.deepEqual(pods.map((p: Pod) => p.metadata.labels?.[POD_TEMPLATE_HASH_LABEL]), [h1, h1, h1]);
  const cond = after.status?.conditions?.find((c) => c.type === 'RolledBack');
  assert.equal(cond?.status, 'True', 'the RolledBack condition survives the controller status writes');
  assert.equal(cond?.reason, 'AutoRollback');
  assert.match(cond?.message ?? '', /alert HighErrorRate/);
  assert.equal(after.status?.conditions?.find((c) => c.type === 'Progressing')?.reason, 'NewReplicaSetAvailable');

  // The bad revision's alert keeps firing for a while: now an old revision, ignored. The restored one is never undone.
  s.ar.observe({ alertName: 'HighErrorRate', status: 'firing', labels: { namespace: 'default', pod_template_hash: h2 }, source: 'rules' });
  s.ar.observe({ alertName: 'HighErrorRate', status: 'firing', labels: { namespace: 'default', pod_template_hash: h1 }, source: 'webhook' });
  await s.ar.idle();
  assert.deepEqual(s.outcomes.slice(1).map((o) => `${o.result}:${o.reason}`), ['ignored:old_revision', 'ignored:is_auto_rollback']);
  assert.equal(await counter(s.metrics, 'vigil_deployment_auto_rollbacks_total', { deployment: 'web' }), 1);

  // A fresh rollout (v3) clears the condition and is guarded again.
  await s.c.registry.patch(DEPLOYMENTS, 'default', 'web', { spec: { template: { spec: { containers: [{ name: 'app', image: 'app v3' }] } } } }, 'merge');
  await rounds(s, 1);
  assert.equal((await getD(s.c)).status?.conditions?.find((c) => c.type === 'RolledBack'), undefined);
});

test('auto-rollback: alerts for other deployments, unlisted alerts and resolved alerts change nothing; settled rollouts are left alone', async (t) => {
  const s = await setup(t);
  const { h2 } = await midRollout(s);
  const fire = (labels: Record<string, string>, alertName = 'HighErrorRate', status: 'firing' | 'resolved' = 'firing') => s.ar.observe({ alertName, status, labels, source: 'rules' });
  fire({ namespace: 'default', pod_template_hash: h2 }, 'HighErrorRate', 'resolved');
  fire({ namespace: 'default', pod_template_hash: h2 }, 'DiskFull');
  fire({ pod_template_hash: h2 });
  fire({ namespace: 'default', deployment: 'api', pod_template_hash: h2 });
  await s.ar.idle();
  assert.deepEqual(s.outcomes.map((o) => `${o.result}:${o.reason}`), ['ignored:other_deployment'], 'resolved, unlisted and namespace-less alerts are not even looked at');
  // Complete the rollout, then wait out the 30 s settle window.
  await rounds(s, 12);
  assert.equal((await getD(s.c)).status?.conditions?.find((c) => c.type === 'Progressing')?.reason, 'NewReplicaSetAvailable');
  s.c.advance(31_000);
  fire({ namespace: 'default', pod_template_hash: h2 });
  await s.ar.idle();
  assert.equal(s.outcomes.at(-1)?.reason, 'settled');
  const d = await getD(s.c);
  assert.equal(d.spec.template.spec.containers[0]?.image, 'app v2');
  assert.equal(d.metadata.annotations?.[ROLLBACK_ANNOTATION], undefined);
});

test('auto-rollback dry run (global or per alert label) records an Event and the metric but changes nothing', async (t) => {
  for (const [global, labels] of [
    [true, {}],
    [false, { action_dry_run: 'true' }],
  ] as const) {
    const s = await setup(t, global);
    const { h2 } = await midRollout(s);
    s.ar.observe({ alertName: 'HighErrorRate', status: 'firing', labels: { namespace: 'default', pod_template_hash: h2, ...labels }, source: 'rules' });
    await s.ar.idle();
    assert.deepEqual(s.outcomes.map((o) => o.result), ['dry_run']);
    const d = await getD(s.c);
    assert.equal(d.metadata.annotations?.[ROLLBACK_ANNOTATION], undefined);
    assert.equal(d.spec.template.spec.containers[0]?.image, 'app v2');
    const ev = ((await s.c.registry.list(EVENTS, 'default')).items as Event[]).filter((e) => e.reason === 'AutoRollback');
    assert.match(ev[0]?.message ?? '', /^\[dry-run\] alert HighErrorRate/);
    assert.equal(await counter(s.metrics, 'vigil_cluster_actions_total', { verb: 'rollback', result: 'dry_run' }), 1);
    assert.equal(await counter(s.metrics, 'vigil_deployment_auto_rollbacks_total', {}), 0);
  }
});

test('spec.rollbackOn is validated: strings, non-empty, unique, at most 32', async (t) => {
  const c = await testCluster(t);
  const create = async (rollbackOn: unknown): Promise<string> => {
    try {
      await c.registry.create(DEPLOYMENTS, 'default', { ...(deployment('app v1') as object), spec: { ...(deployment('app v1') as { spec: object }).spec, rollbackOn } });
      return 'ok';
    } catch (e) {
      assert.ok(e instanceof ApiError, String(e));
      return e.message;
    }
  };
  assert.match(await create(['A', 'A']), /spec\.rollbackOn\[1\]: Duplicate value: "A"/);
  assert.match(await create(['']), /spec\.rollbackOn\[0\]: Required value/);
  assert.match(await create([7]), /spec\.rollbackOn\[0\]: Invalid value: 7/);
  assert.match(await create('HighErrorRate'), /spec\.rollbackOn/);
  assert.match(await create(['bad\nname']), /spec\.rollbackOn\[0\].*control characters/);
  assert.match(await create(Array.from({ length: 33 }, (_, i) => `A${i}`)), /spec\.rollbackOn: Too long: must have at most 32 items/);
  assert.equal(await create(['HighErrorRate', 'PodCrashLooping']), 'ok');
});

async function server(t: TestContext) {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-auto-rollback-'));
  t.after(() => rmSync(dir, { recursive: true, force: true, maxRetries: 10 }));
  const cfg = join(dir, 'vigil.yml');
  writeFileSync(cfg, 'global:\n  scrape_interval: 15s\n');
  const flags = serverFlagsFrom(parseCommandArgs(['--web.listen-address=127.0.0.1:0', `--config.file=${cfg}`, `--storage.tsdb.path=${join(dir, 'data')}`], SERVER_FLAGS, { min: 0, max: 0 }));
  const cluster = clusterPart({ noControllers: true });
  const outcomes: AutoRollbackOutcome[] = [];
  const auto = autoRollbackPart({ registry: () => cluster.api()?.registry ?? null, onOutcome: (o) => outcomes.push(o) });
  const actions = actionsPart({ registry: () => cluster.api()?.registry ?? null, tickMs: 0, webhookListeners: [auto.webhookListener] });
  const s = await startServer(flags, { logger: new StructuredLogger({ level: 'error', caller: false, sink: { write: () => {} } }), baseParts: [cluster, actions, auto] });
  t.after(() => s.close());
  const registry = cluster.api()!.registry;
  // What the deployment controller would have written mid-rollout: v1 (revision 1) still serving, v2 (revision 2) starting.
  const d = (await registry.create(DEPLOYMENTS, 'default', deployment('app v2'))) as Deployment;
  const owner = [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: d.metadata.uid ?? '', controller: true }];
  // Templates as stored (after defaulting), so the hashes are the ones the controller computes.
  const tplOf = (image: string): PodTemplateSpec => {
    const t = structuredClone(d.spec.template);
    t.spec.containers[0]!.image = image;
    return t;
  };
  const h2 = podTemplateHash(d.spec.template);
  for (const [image, rev, n] of [['app v1', 1, 3], ['app v2', 2, 1]] as const) {
    const tpl = tplOf(image);
    const h = podTemplateHash(tpl);
    const labels = { app: 'web', [POD_TEMPLATE_HASH_LABEL]: h };
    await registry.create(REPLICASETS, 'default', {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: { name: `web-${h}`, labels, annotations: { [REVISION_ANNOTATION]: String(rev) }, ownerReferences: owner },
      spec: { replicas: n, selector: { matchLabels: labels }, template: { ...tpl, metadata: { labels } } },
    });
  }
  // The webhook is a cluster API write: an admin token (group system:masters).
  const headers = { authorization: `Bearer ${cluster.auth()!.issueToken({ name: 'test-admin', groups: ['system:masters'] })}` };
  return { s, auto, outcomes, registry, h2, headers };
}

test('auto-rollback part: fed by the alert receiver and by POST /api/v1/cluster/alerts (Alertmanager webhook)', async (t) => {
  const a = await server(t);
  const post = (labels: Record<string, string>) =>
    a.s.app.inject({ method: 'POST', url: WEBHOOK_PATH, headers: a.headers, payload: { alerts: [{ status: 'firing', labels, annotations: {}, startsAt: '2026-01-01T00:00:00Z' }] } });
  // Webhook: an alert for another namespace first (ignored silently), then one for the new revision.
  assert.equal((await post({ alertname: 'HighErrorRate', namespace: 'other', pod_template_hash: a.h2 })).statusCode, 200);
  const r = await post({ alertname: 'HighErrorRate', namespace: 'default', pod_template_hash: a.h2 });
  assert.equal(r.statusCode, 200, r.body);
  await a.auto.engine()!.idle();
  assert.deepEqual(a.outcomes.map((o) => o.result), ['rolled_back']);
  const d = (await a.registry.get(DEPLOYMENTS, 'default', 'web')) as Deployment;
  assert.equal(d.metadata.annotations?.[ROLLBACK_ANNOTATION], '1');
  const m = await a.s.app.inject({ method: 'GET', url: '/metrics' });
  assert.match(m.body, /vigil_deployment_auto_rollbacks_total\{namespace="default",deployment="web",alertname="HighErrorRate"\} 1/);

  // Receiver: a rule alert going pending → firing is observed (no controller runs here, so the
  // rollback is still pending and the decision says so); other transitions are not.
  const alert = { state: 'firing' as const, labels: Labels.from({ alertname: 'HighErrorRate', namespace: 'default', pod_template_hash: a.h2 }), annotations: Labels.EMPTY, value: 1, activeAtMs: 5000, firedAtMs: 5000, resolvedAtMs: 0, lastSentAtMs: 0, sent: false, validUntilMs: 0, keepFiringSinceMs: 0 };
  const change = (from: AlertStateChange['from'], to: AlertStateChange['to']): AlertStateChange => ({ rule: 'HighErrorRate', group: 'g', file: 'f.yml', from, to, alert: { ...alert, state: to }, ts: 5000 });
  a.auto.receiver(change('inactive', 'pending'));
  a.auto.receiver(change('firing', 'inactive'));
  a.auto.receiver(change('pending', 'firing'));
  await a.auto.engine()!.idle();
  assert.deepEqual(a.outcomes.map((o) => `${o.result}:${o.reason}`), ['rolled_back:', 'ignored:rollback_pending']);
});
