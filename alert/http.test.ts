import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import Fastify from 'fastify';
import { parseConfig } from '../cmd/config.js';
import { apiErrorHandler } from '../cmd/http/api_envelope.js';
import { StructuredLogger } from '../cmd/logger.js';
import { Engine } from '../query/engine.js';
import { Labels } from '../tsdb/labels.js';
import { MemoryStorage } from '../tsdb/memory_storage.js';
import { NO_REF } from '../tsdb/storage.js';
import { ManualClock } from './clock.js';
import { alertApiPlugin } from './http.js';
import { alertMetricsText } from './metrics.js';
import { RuleManager } from './manager.js';
import { Notifier } from './notifier.js';
import { engineQueryFn } from './rule.js';

const MIN = 60_000;
const T0 = Date.UTC(2024, 0, 1);

const RULES = `groups:
  - name: alerts
    interval: 30s
    rules:
      - alert: HighTemp
        expr: temp > 25
        for: 1m
        labels: {severity: page}
        annotations: {summary: "{{ $labels.room }} is {{ $value }}"}
      - alert: Never
        expr: temp > 1000
  - name: records
    rules:
      - record: room:temp:max
        expr: max by (room) (temp)
`;

async function setup(t: { after(fn: () => Promise<void>): void }) {
  const dir = await mkdtemp(join(tmpdir(), 'vigil-alert-http-'));
  await writeFile(join(dir, 'rules.yml'), RULES);
  const storage = new MemoryStorage();
  const app0 = storage.appender();
  app0.append(NO_REF, Labels.from({ __name__: 'temp', room: 'lab' }), T0, 30);
  await app0.commit();
  const engine = new Engine({ timeoutMs: 10_000, maxSamples: 1_000_000, lookbackDeltaMs: 5 * MIN, maxConcurrency: 2 });
  const manager = new RuleManager({
    query: engineQueryFn(engine, storage),
    appendable: storage,
    queryable: storage,
    send: null,
    clock: new ManualClock(T0),
    logger: { warn: () => undefined },
    externalUrl: () => 'http://vigil',
  });
  await manager.update({ evaluationIntervalMs: MIN, queryOffsetMs: 0, externalLabels: Labels.EMPTY, files: [join(dir, 'rules.yml')] });
  const [alerts, records] = manager.groups();
  await alerts!.iterate(T0);
  await records!.iterate(T0);
  await alerts!.iterate(T0 + MIN);
  const notifier = new Notifier({ logger: { warn: () => undefined } });
  const cfg = parseConfig("alerting:\n  alertmanagers:\n    - static_configs:\n        - targets: ['127.0.0.1:9093']\n", '/tmp/p.yml').config;
  await notifier.applyConfig(cfg.alerting, Labels.EMPTY);
  const app = Fastify();
  app.setErrorHandler(apiErrorHandler(new StructuredLogger({ level: 'error', sink: { write: () => undefined } })));
  await app.register(async (s) => alertApiPlugin(s, { manager: () => manager, notifier: () => notifier }));
  t.after(async () => {
    await app.close();
    await manager.stop();
    await notifier.stop();
    await rm(dir, { recursive: true, force: true });
  });
  return { app, dir };
}

test('GET /api/v1/rules lists groups and rules in Prometheus shape', async (t) => {
  const { app, dir } = await setup(t);
  const res = await app.inject({ url: '/api/v1/rules' });
  assert.equal(res.statusCode, 200);
  const body = res.json() as { status: string; data: { groups: Record<string, unknown>[] } };
  assert.equal(body.status, 'success');
  const [g, r] = body.data.groups;
  assert.equal(g?.name, 'alerts');
  assert.equal(g?.file, join(dir, 'rules.yml'));
  assert.equal(g?.interval, 30);
  assert.equal(g?.lastEvaluation, '2024-01-01T00:00:00Z', 'wall-clock start of the last iteration');
  const rules = g?.rules as Record<string, unknown>[];
  const high = rules[0]!;
  assert.equal(high.type, 'alerting');
  assert.equal(high.state, 'firing');
  assert.equal(high.query, 'temp > 25');
  assert.equal(high.duration, 60);
  assert.equal(high.health, 'ok');
  assert.deepEqual(high.alerts, [
    { labels: { alertname: 'HighTemp', room: 'lab', severity: 'page' }, annotations: { summary: 'lab is 30' }, state: 'firing', activeAt: '2024-01-01T00:00:00Z', value: '3e+01' },
  ]);
  assert.equal(rules[1]?.state, 'inactive');
  const rec = (r!.rules as Record<string, unknown>[])[0]!;
  assert.equal(rec.type, 'recording');
  assert.equal(rec.query, 'max by (room) (temp)');
  assert.equal(rec.alerts, undefined);
});

test('GET /api/v1/rules filters by type, rule_name[], rule_group[], file[] and exclude_alerts', async (t) => {
  const { app, dir } = await setup(t);
  const names = async (q: string): Promise<string[]> => {
    const res = await app.inject({ url: `/api/v1/rules?${q}` });
    assert.equal(res.statusCode, 200, res.body);
    const groups = (res.json() as { data: { groups: { name: string; rules: { name: string }[] }[] } }).data.groups;
    return groups.flatMap((g) => g.rules.map((r) => `${g.name}/${r.name}`));
  };
  assert.deepEqual(await names('type=alert'), ['alerts/HighTemp', 'alerts/Never']);
  assert.deepEqual(await names('type=record'), ['records/room:temp:max']);
  assert.deepEqual(await names('rule_name[]=Never&rule_name[]=room:temp:max'), ['alerts/Never', 'records/room:temp:max']);
  assert.deepEqual(await names('rule_group[]=records'), ['records/room:temp:max']);
  assert.deepEqual(await names(`file[]=${encodeURIComponent(join(dir, 'rules.yml'))}&type=alert&rule_name[]=HighTemp`), ['alerts/HighTemp']);
  assert.deepEqual(await names('file[]=/nope.yml'), []);
  const ex = await app.inject({ url: '/api/v1/rules?exclude_alerts=true&type=alert' });
  assert.equal((ex.json() as { data: { groups: { rules: Record<string, unknown>[] }[] } }).data.groups[0]?.rules[0]?.alerts, undefined);
  const bad = await app.inject({ url: '/api/v1/rules?type=foo' });
  assert.equal(bad.statusCode, 400);
  assert.equal((bad.json() as { errorType: string }).errorType, 'bad_data');
});

test('GET /api/v1/alerts and /api/v1/alertmanagers', async (t) => {
  const { app } = await setup(t);
  const alerts = (await app.inject({ url: '/api/v1/alerts' })).json() as { data: { alerts: { labels: Record<string, string>; state: string }[] } };
  assert.deepEqual(
    alerts.data.alerts.map((a) => [a.labels.alertname, a.state]),
    [['HighTemp', 'firing']],
  );
  const ams = (await app.inject({ url: '/api/v1/alertmanagers' })).json() as { data: unknown };
  assert.deepEqual(ams.data, { activeAlertmanagers: [{ url: 'http://127.0.0.1:9093/api/v2/alerts' }], droppedAlertmanagers: [] });
});

test('alertMetricsText exposes prometheus_rule_group_* and prometheus_notifications_* in text format', async (t) => {
  const { dir } = await setup(t);
  const storage = new MemoryStorage();
  const engine = new Engine({ timeoutMs: 10_000, maxSamples: 1_000_000, lookbackDeltaMs: 5 * MIN, maxConcurrency: 2 });
  const manager = new RuleManager({ query: engineQueryFn(engine, storage), appendable: storage, queryable: storage, send: null, clock: new ManualClock(T0), logger: { warn: () => undefined }, externalUrl: () => '' });
  t.after(() => manager.stop());
  await manager.update({ evaluationIntervalMs: MIN, queryOffsetMs: 0, externalLabels: Labels.EMPTY, files: [join(dir, 'rules.yml')] });
  await manager.groups()[0]!.iterate(T0);
  const text = alertMetricsText(manager, null);
  const key = `${join(dir, 'rules.yml')};alerts`;
  assert.ok(text.includes(`# TYPE prometheus_rule_group_iterations_total counter\nprometheus_rule_group_iterations_total{rule_group="${key}"} 1\n`), text);
  assert.ok(text.includes(`prometheus_rule_group_interval_seconds{rule_group="${key}"} 30\n`), text);
  assert.ok(text.includes(`prometheus_rule_evaluations_total{rule_group="${key}"} 2\n`), text);
  assert.ok(text.includes(`prometheus_rule_group_rules{rule_group="${join(dir, 'rules.yml')};records"} 1\n`), text);
});
