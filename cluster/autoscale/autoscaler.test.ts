import assert from 'node:assert/strict';
import { test } from 'node:test';
import Fastify from 'fastify';
import { Registry as PromRegistry } from 'prom-client';
import type { Deployment, Event, ScalingPolicy } from '../api/objects.js';
import { testCluster } from '../controllers/test_env.js';
import { DEPLOYMENTS, EVENTS } from '../controllers/resources.js';
import { Autoscaler, SCALING_POLICIES } from './autoscaler.js';
import { AutoscalerMetrics } from './autoscaler_metrics.js';
import { DecisionLog } from './decision_log.js';
import { explainPath, explainPlugin, type ScalingExplanation } from './explain_http.js';

function deployment(name: string, replicas: number): Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: 'default' },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'app', image: 'sleep 1000' }] } },
    },
  };
}

function policy(name: string, target: string, extra: Partial<ScalingPolicy['spec']> = {}): ScalingPolicy {
  return {
    apiVersion: 'autoscaling.vigil.dev/v1',
    kind: 'ScalingPolicy',
    metadata: { name, namespace: 'default' },
    spec: { target, maxReplicas: 10, query: 'sum(rate(app_requests_total{namespace="$namespace",app="$target"}[30s])) / $replicas', targetPerReplica: 10, ...extra },
  };
}

async function setup(t: Parameters<typeof testCluster>[0], opts: { leading?: () => boolean; dryRun?: boolean } = {}) {
  const c = await testCluster(t);
  let value: number | null = 10;
  let fail = '';
  const seen: string[] = [];
  const log = new DecisionLog();
  const prom = new PromRegistry();
  const a = new Autoscaler({
    registry: () => c.registry,
    query: async (expr) => {
      seen.push(expr);
      if (fail !== '') throw new Error(fail);
      return value === null ? [] : [{ v: value }];
    },
    isLeading: opts.leading ?? (() => true),
    log,
    metrics: new AutoscalerMetrics(prom),
    now: c.now,
    ...(opts.dryRun ? { dryRun: true } : {}),
  });
  return {
    c,
    a,
    log,
    prom,
    seen,
    set: (v: number | null) => {
      value = v;
    },
    failWith: (m: string) => {
      fail = m;
    },
    replicas: async (name = 'web') => ((await c.registry.get(DEPLOYMENTS, 'default', name)) as Deployment).spec.replicas,
    events: async () => ((await c.registry.list(EVENTS, 'default')).items as Event[]).map((e) => `${e.type} ${e.reason} ${e.message}`),
  };
}

test('autoscaler: a stored policy gets its defaults; a bad one is refused with field paths', async (t) => {
  const { c } = await setup(t);
  const p = (await c.registry.create(SCALING_POLICIES, 'default', policy('web', 'web'))) as ScalingPolicy;
  assert.equal(p.spec.minReplicas, 1);
  assert.equal(p.spec.tolerance, 0.1);
  assert.deepEqual(p.spec.scaleUp, { tolerance: 0.1, maxPercent: 100, maxPods: 4, periodSeconds: 15 });
  assert.deepEqual(p.spec.scaleDown, { tolerance: 0.1, stabilizationWindowSeconds: 300 });
  const bad = { ...policy('bad', 'Web_1', { maxReplicas: 0, targetPerReplica: -1, query: 'sum(rate(x[5m])', scaleDown: { stabilizationWindowSeconds: 5 } }) };
  await assert.rejects(c.registry.create(SCALING_POLICIES, 'default', bad), (e: Error) => {
    for (const f of ['spec.target', 'spec.maxReplicas', 'spec.targetPerReplica', 'spec.query', 'spec.scaleDown.stabilizationWindowSeconds']) assert.match(e.message, new RegExp(f.replaceAll('.', '\\.')), f);
    assert.match(e.message, /greater than or equal to 30/);
    return true;
  });
});

test('autoscaler: scales the Deployment up from the query value, logs, records an Event and metrics', async (t) => {
  const s = await setup(t);
  await s.c.registry.create(DEPLOYMENTS, 'default', deployment('web', 2));
  await s.c.registry.create(SCALING_POLICIES, 'default', policy('web', 'web'));
  s.set(25); // 2.5 × target per replica
  await s.a.tick();
  assert.equal(s.seen[0], 'sum(rate(app_requests_total{namespace="default",app="web"}[30s])) / 2', 'placeholders expanded');
  assert.equal(await s.replicas(), 5, 'ceil(2 × 25 / 10) = 5');
  const st = ((await s.c.registry.get(SCALING_POLICIES, 'default', 'web')) as ScalingPolicy).status;
  assert.equal(st?.currentReplicas, 2);
  assert.equal(st?.desiredReplicas, 5);
  assert.equal(st?.lastValue, 25);
  assert.equal(st?.lastReason, 'scale_up');
  assert.ok(st?.lastScaleTime);
  assert.ok((await s.events()).some((e) => /^Normal SuccessfulRescale ScalingPolicy web: New size: 5; reason: scale_up/.test(e)));
  const entries = s.log.list('default', 'web');
  assert.equal(entries.length, 1);
  assert.equal(entries[0]?.result, 'applied');
  assert.equal(entries[0]?.computedReplicas, 5);
  const text = await s.prom.metrics();
  assert.match(text, /vigil_autoscaler_desired_replicas\{namespace="default",scalingpolicy="web",deployment="web"\} 5/);
  assert.match(text, /vigil_autoscaler_current_replicas\{namespace="default",scalingpolicy="web",deployment="web"\} 2/);
  assert.match(text, /vigil_autoscaler_metric_value\{namespace="default",scalingpolicy="web",deployment="web"\} 25/);
  assert.match(text, /vigil_autoscaler_decisions_total\{namespace="default",scalingpolicy="web",reason="scale_up"\} 1/);
  assert.match(text, /vigil_autoscaler_metrics_missing\{namespace="default",scalingpolicy="web"\} 0/);
});

test('autoscaler: missing data or a failing query holds the count, sets the gauge and warns once', async (t) => {
  const s = await setup(t);
  await s.c.registry.create(DEPLOYMENTS, 'default', deployment('web', 4));
  await s.c.registry.create(SCALING_POLICIES, 'default', policy('web', 'web'));
  s.set(null);
  await s.a.tick();
  s.c.advance(1000);
  s.failWith('query timed out');
  await s.a.tick();
  assert.equal(await s.replicas(), 4, 'held, not scaled to min');
  const entries = s.log.list('default', 'web');
  assert.deepEqual(
    entries.map((e) => e.reason),
    ['metrics_missing', 'metrics_missing'],
  );
  assert.match(entries[1]?.message ?? '', /query timed out: holding 4 replicas/);
  const text = await s.prom.metrics();
  assert.match(text, /vigil_autoscaler_metrics_missing\{namespace="default",scalingpolicy="web"\} 1/);
  assert.doesNotMatch(text, /vigil_autoscaler_metric_value\{/, 'no value while missing');
  assert.equal((await s.events()).filter((e) => e.startsWith('Warning MetricsMissing')).length, 1);
  const st = ((await s.c.registry.get(SCALING_POLICIES, 'default', 'web')) as ScalingPolicy).status;
  assert.equal(st?.conditions?.find((x) => x.type === 'MetricsAvailable')?.status, 'False');
  // Data back and high: scale-up is immediate (step limit from 4: max(8, 4 + 4) = 8).
  s.failWith('');
  s.set(50);
  await s.a.tick();
  assert.equal(await s.replicas(), 8);
  assert.match(await s.prom.metrics(), /vigil_autoscaler_metrics_missing\{namespace="default",scalingpolicy="web"\} 0/);
});

test('autoscaler: not leading → does nothing; dry run → records but does not change', async (t) => {
  const s = await setup(t, { leading: () => false });
  await s.c.registry.create(DEPLOYMENTS, 'default', deployment('web', 1));
  await s.c.registry.create(SCALING_POLICIES, 'default', policy('web', 'web'));
  s.set(100);
  await s.a.tick();
  assert.equal(await s.replicas(), 1);
  assert.equal(s.log.list('default', 'web').length, 0);
  assert.equal(s.seen.length, 0, 'no query either');

  const d = await setup(t, { dryRun: true });
  await d.c.registry.create(DEPLOYMENTS, 'default', deployment('web', 1));
  await d.c.registry.create(SCALING_POLICIES, 'default', policy('web', 'web'));
  d.set(100);
  await d.a.tick();
  assert.equal(await d.replicas(), 1);
  assert.equal(d.log.list('default', 'web')[0]?.result, 'dry_run');
  assert.ok((await d.events()).some((e) => e.includes('[dry-run] ScalingPolicy web: New size: 5')));
});

test('autoscaler: explain API serves the policy and its decisions; 404 for unknown targets', async (t) => {
  const s = await setup(t);
  await s.c.registry.create(DEPLOYMENTS, 'default', deployment('web', 2));
  await s.c.registry.create(SCALING_POLICIES, 'default', policy('web', 'web', { scaleDown: { stabilizationWindowSeconds: 30 } }));
  s.set(10);
  await s.a.tick();
  s.c.advance(1000);
  s.set(2);
  await s.a.tick();
  const app = Fastify();
  t.after(() => app.close());
  await app.register(async (scoped) => explainPlugin(scoped, { registry: () => s.c.registry, log: s.log }));
  const r = await app.inject({ method: 'GET', url: explainPath('default', 'web') });
  assert.equal(r.statusCode, 200, r.body);
  const body = r.json() as ScalingExplanation;
  assert.equal(body.target.replicas, 2);
  assert.equal(body.policies[0]?.name, 'web');
  assert.equal(body.policies[0]?.stabilizationWindowSeconds, 30);
  assert.deepEqual(
    body.decisions.map((x) => x.reason),
    ['within_tolerance', 'held_by_stabilization'],
  );
  assert.equal(body.decisions[1]?.windowMax, 2);
  const lim = await app.inject({ method: 'GET', url: `${explainPath('default', 'web')}?limit=1` });
  assert.equal((lim.json() as ScalingExplanation).decisions.length, 1);
  const nf = await app.inject({ method: 'GET', url: explainPath('default', 'nope') });
  assert.equal(nf.statusCode, 404);
  assert.equal((nf.json() as { reason: string }).reason, 'NotFound');
  assert.equal((await app.inject({ method: 'GET', url: `${explainPath('default', 'web')}?limit=x` })).statusCode, 400);
});

test('autoscaler: two policies on one Deployment → neither acts; a missing target is reported', async (t) => {
  const s = await setup(t);
  await s.c.registry.create(DEPLOYMENTS, 'default', deployment('web', 2));
  await s.c.registry.create(SCALING_POLICIES, 'default', policy('a', 'web'));
  await s.c.registry.create(SCALING_POLICIES, 'default', policy('b', 'web'));
  await s.c.registry.create(SCALING_POLICIES, 'default', policy('ghost', 'nothere'));
  s.set(100);
  await s.a.tick();
  assert.equal(await s.replicas(), 2);
  const a = ((await s.c.registry.get(SCALING_POLICIES, 'default', 'a')) as ScalingPolicy).status;
  assert.equal(a?.lastReason, 'conflicting_policies');
  assert.match(a?.conditions?.[0]?.message ?? '', /several ScalingPolicies \(a, b\)/);
  const g = ((await s.c.registry.get(SCALING_POLICIES, 'default', 'ghost')) as ScalingPolicy).status;
  assert.equal(g?.conditions?.[0]?.reason, 'TargetNotFound');
  assert.match(await s.prom.metrics(), /vigil_autoscaler_decisions_total\{namespace="default",scalingpolicy="ghost",reason="target_not_found"\} 1/);
  // Deleting one policy lets the other act.
  await s.c.registry.delete(SCALING_POLICIES, 'default', 'b');
  await s.a.tick();
  assert.equal(await s.replicas(), 6, 'from 2: step limit max(4, 6) = 6');
});
