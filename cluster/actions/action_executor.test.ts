import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Registry as PromRegistry } from 'prom-client';
import type { Deployment, Event, Node, Pod } from '../api/objects.js';
import { ROLLBACK_ANNOTATION } from '../controllers/deployment_controller.js';
import { DEPLOYMENTS, EVENTS, NODES, PODS } from '../controllers/resources.js';
import { type TestCluster, testCluster } from '../controllers/test_env.js';
import { ActionExecutor, type ActionOutcome, type ActionRequest } from './action_executor.js';

async function addDeployment(c: TestCluster, name: string, replicas: number, annotations: Record<string, string> = {}): Promise<void> {
  await c.registry.create(DEPLOYMENTS, 'default', {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, annotations },
    spec: { replicas, selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'app', image: 'sleep 100' }] } } },
  });
}

async function replicas(c: TestCluster, name: string): Promise<number | undefined> {
  return ((await c.registry.get(DEPLOYMENTS, 'default', name)) as Deployment).spec.replicas;
}

function req(action: string, o: Partial<ActionRequest> & { extra?: Record<string, string> } = {}): ActionRequest {
  return {
    alertName: o.alertName ?? 'HighLoad',
    fingerprint: o.fingerprint ?? 'fp1',
    activeAtMs: o.activeAtMs ?? 1000,
    labels: o.labels ?? { alertname: 'HighLoad' },
    annotations: o.annotations ?? { action, ...(o.extra ?? {}) },
    source: o.source ?? 'rules',
  };
}

async function setup(t: Parameters<typeof testCluster>[0], dryRun = false) {
  const c = await testCluster(t);
  const metrics = new PromRegistry();
  const outcomes: ActionOutcome[] = [];
  const audit: { msg: string; fields: Readonly<Record<string, unknown>> | undefined }[] = [];
  const logger = { info: (msg: string, fields?: Readonly<Record<string, unknown>>) => audit.push({ msg, fields }), warn: (msg: string, fields?: Readonly<Record<string, unknown>>) => audit.push({ msg, fields }) };
  const ex = new ActionExecutor({ registry: () => c.registry, now: c.now, metrics, logger, dryRun, onOutcome: (o) => outcomes.push(o) });
  return { c, ex, metrics, outcomes, audit };
}

async function counter(metrics: PromRegistry, verb: string, result: string): Promise<number> {
  const m = await metrics.getSingleMetric('vigil_cluster_actions_total')?.get();
  return m?.values.find((v) => v.labels.verb === verb && v.labels.result === result)?.value ?? 0;
}

test('scale +1, *2 and =N, clamped by the Deployment bounds; Event, audit and metric recorded', async (t) => {
  const { c, ex, metrics, outcomes, audit } = await setup(t);
  await addDeployment(c, 'web', 2, { 'vigil.dev/min-replicas': '1', 'vigil.dev/max-replicas': '5' });
  ex.submit(req('scale deployment/default/web +1', { fingerprint: 'a' }));
  await ex.idle();
  assert.equal(await replicas(c, 'web'), 3);
  ex.submit(req('scale deployment/default/web *2', { fingerprint: 'b' }));
  await ex.idle();
  assert.equal(await replicas(c, 'web'), 5, '3*2=6 clamped to max 5');
  assert.match(outcomes[1]!.detail, /3 → 5 \(wanted 6, clamped to \[1, 5\]\)/);
  ex.submit(req('scale deployment/default/web =0', { fingerprint: 'c' }));
  await ex.idle();
  assert.equal(await replicas(c, 'web'), 1, '=0 clamped to min 1');
  ex.submit(req('scale deployment/default/web -5', { fingerprint: 'd' }));
  await ex.idle();
  assert.equal(await replicas(c, 'web'), 1);
  assert.equal(outcomes[3]!.result, 'noop');
  assert.deepEqual(outcomes.map((o) => o.result), ['ok', 'ok', 'ok', 'noop']);
  assert.equal(await counter(metrics, 'scale', 'ok'), 3);
  assert.equal(await counter(metrics, 'scale', 'noop'), 1);
  const events = (await c.registry.list(EVENTS, 'default')).items as Event[];
  const mine = events.filter((e) => e.reason === 'AlertAction' && e.involvedObject.name === 'web');
  assert.equal(mine.length, 4);
  assert.ok(mine.some((e) => e.message === 'alert HighLoad: scale deployment/default/web +1: replicas 2 → 3'));
  assert.equal(audit.length, 4);
  assert.equal(audit[0]!.msg, 'cluster action');
  assert.equal(audit[0]!.fields?.action, 'scale deployment/default/web +1');
});

test('default bounds are [0, 100]', async (t) => {
  const { c, ex } = await setup(t);
  await addDeployment(c, 'big', 90);
  ex.submit(req('scale deployment/default/big *3'));
  await ex.idle();
  assert.equal(await replicas(c, 'big'), 100);
});

test('idempotent per firing episode; cooldown repeats while firing; resolve starts a new episode', async (t) => {
  const { c, ex } = await setup(t);
  await addDeployment(c, 'web', 1);
  const r = req('scale deployment/default/web +1', { extra: { action_cooldown: '5m' } });
  ex.submit(r);
  ex.submit(r);
  await ex.idle();
  assert.equal(await replicas(c, 'web'), 2, 'same episode twice runs once');
  c.advance(60_000);
  ex.tick();
  ex.submit(r);
  await ex.idle();
  assert.equal(await replicas(c, 'web'), 2, 'within the cooldown nothing runs');
  c.advance(240_000);
  ex.tick();
  await ex.idle();
  assert.equal(await replicas(c, 'web'), 3, 'after 5m of firing it runs again');
  ex.resolve('fp1');
  ex.tick();
  await ex.idle();
  assert.equal(await replicas(c, 'web'), 3, 'a resolved alert does not repeat');
  ex.submit({ ...r, activeAtMs: c.now() });
  await ex.idle();
  assert.equal(await replicas(c, 'web'), 4, 'a new episode runs at once');
});

test('without a cooldown an action runs once per episode', async (t) => {
  const { c, ex } = await setup(t);
  await addDeployment(c, 'web', 1);
  const r = req('scale deployment/default/web +1');
  ex.submit(r);
  c.advance(3_600_000);
  ex.tick();
  ex.submit(r);
  await ex.idle();
  assert.equal(await replicas(c, 'web'), 2);
  ex.submit({ ...r, activeAtMs: 99_000 });
  await ex.idle();
  assert.equal(await replicas(c, 'web'), 3);
});

test('dry run (global, group label, rule annotation) records but does not change', async (t) => {
  const g = await setup(t, true);
  await addDeployment(g.c, 'web', 2);
  g.ex.submit(req('scale deployment/default/web +1'));
  await g.ex.idle();
  assert.equal(await replicas(g.c, 'web'), 2);
  assert.equal(g.outcomes[0]!.result, 'dry_run');
  assert.equal(await counter(g.metrics, 'scale', 'dry_run'), 1);
  const ev = ((await g.c.registry.list(EVENTS, 'default')).items as Event[]).find((e) => e.reason === 'AlertAction');
  assert.equal(ev?.message, '[dry-run] alert HighLoad: scale deployment/default/web +1: replicas 2 → 3');

  const { c, ex, outcomes } = await setup(t, false);
  await addDeployment(c, 'web', 2);
  ex.submit(req('scale deployment/default/web +1', { fingerprint: 'g', labels: { alertname: 'HighLoad', action_dry_run: 'true' } }));
  ex.submit(req('scale deployment/default/web +1', { fingerprint: 'r', extra: { action_dry_run: 'true' } }));
  await ex.idle();
  assert.equal(await replicas(c, 'web'), 2);
  assert.deepEqual(outcomes.map((o) => o.result), ['dry_run', 'dry_run']);
  ex.submit(req('scale deployment/default/web +1', { fingerprint: 'real' }));
  await ex.idle();
  assert.equal(await replicas(c, 'web'), 3);
});

test('rollback sets the rollback annotation; cordon sets spec.unschedulable', async (t) => {
  const { c, ex, metrics } = await setup(t);
  await addDeployment(c, 'api', 1);
  await c.addNode('n1');
  ex.submit(req('rollback deployment/default/api', { fingerprint: 'x' }));
  ex.submit(req('cordon node/n1', { fingerprint: 'y' }));
  await ex.idle();
  const d = (await c.registry.get(DEPLOYMENTS, 'default', 'api')) as Deployment;
  assert.equal(d.metadata.annotations?.[ROLLBACK_ANNOTATION], '0');
  assert.equal(((await c.registry.get(NODES, '', 'n1')) as Node).spec?.unschedulable, true);
  assert.equal(await counter(metrics, 'rollback', 'ok'), 1);
  assert.equal(await counter(metrics, 'cordon', 'ok'), 1);
});

test('failover cordons the node and deletes its pods only; restart deletes one pod', async (t) => {
  const { c, ex, outcomes } = await setup(t);
  await c.addNode('n1');
  await c.addNode('n2');
  const pod = (name: string, node: string, ns = 'default') => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: ns }, spec: { nodeName: node, containers: [{ name: 'c', image: 'sleep 1' }] } });
  await c.registry.create(PODS, 'default', pod('a', 'n1'));
  await c.registry.create(PODS, 'kube-system', pod('b', 'n1', 'kube-system'));
  await c.registry.create(PODS, 'default', pod('c', 'n2'));
  await c.registry.create(PODS, 'default', pod('d', 'n2'));
  ex.submit(req('failover node/n1', { fingerprint: 'f' }));
  ex.submit(req('restart pod/default/d', { fingerprint: 'r' }));
  await ex.idle();
  assert.deepEqual(outcomes.map((o) => [o.verb, o.result]), [['failover', 'ok'], ['restart', 'ok']]);
  assert.match(outcomes[0]!.detail, /2 pod\(s\) deleted/);
  const left = [...((await c.registry.list(PODS, '')).items as Pod[])].filter((p) => p.metadata.deletionTimestamp === undefined).map((p) => p.metadata.name);
  assert.deepEqual(left.sort(), ['c']);
  assert.equal(((await c.registry.get(NODES, '', 'n1')) as Node).spec?.unschedulable, true);
});

test('invalid actions and missing targets are counted and logged, never thrown', async (t) => {
  const { ex, outcomes, metrics, audit } = await setup(t);
  ex.submit(req('explode node/n1', { fingerprint: 'a' }));
  ex.submit(req('scale deployment/default/nope +1', { fingerprint: 'b' }));
  ex.submit(req('', { fingerprint: 'c', annotations: { summary: 'no action' } }));
  await ex.idle();
  assert.deepEqual(outcomes.map((o) => o.result), ['invalid', 'error']);
  assert.match(outcomes[0]!.detail, /unknown action verb "explode"/);
  assert.match(outcomes[1]!.detail, /deployment\/default\/nope not found/);
  assert.equal(await counter(metrics, 'unknown', 'invalid'), 1);
  assert.equal(await counter(metrics, 'scale', 'error'), 1);
  assert.equal(audit.length, 2);
});
