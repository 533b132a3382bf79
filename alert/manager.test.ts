import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Engine } from '../query/engine.js';
import { Labels } from '../tsdb/labels.js';
import { Matcher, MatchType } from '../tsdb/matcher.js';
import { MemoryStorage } from '../tsdb/memory_storage.js';
import { isStaleNaN, ValueType } from '../tsdb/storage.js';
import type { AlertingRule } from './alerting_rule.js';
import { ManualClock } from './clock.js';
import { generatorUrl, RuleManager, toNotifierAlerts } from './manager.js';
import type { NotifierAlert } from './notifier_alert.js';
import { RecordingReceiver } from './receivers.js';
import { RuleFileError } from './rule_file.js';
import { engineQueryFn } from './rule.js';

const MIN = 60_000;

async function fixture(t: { after(fn: () => Promise<void>): void }): Promise<{ dir: string; storage: MemoryStorage; manager: RuleManager; sent: NotifierAlert[] }> {
  const dir = await mkdtemp(join(tmpdir(), 'vigil-rules-'));
  const storage = new MemoryStorage();
  const engine = new Engine({ timeoutMs: 10_000, maxSamples: 1_000_000, lookbackDeltaMs: 5 * MIN, maxConcurrency: 2 });
  const sent: NotifierAlert[] = [];
  const manager = new RuleManager({
    query: engineQueryFn(engine, storage),
    appendable: storage,
    queryable: storage,
    send: (a) => sent.push(...a),
    clock: new ManualClock(10 * MIN),
    logger: { warn: () => undefined },
    externalUrl: () => 'http://vigil.example:9090',
  });
  t.after(async () => {
    await manager.stop();
    await rm(dir, { recursive: true, force: true });
  });
  return { dir, storage, manager, sent };
}

const settings = (files: string[]) => ({ evaluationIntervalMs: MIN, queryOffsetMs: 0, externalLabels: Labels.EMPTY, files });

const FILE_A = `groups:
  - name: alerts
    rules:
      - alert: Always
        expr: vector(1)
        labels: {severity: page}
  - name: records
    rules:
      - record: one
        expr: vector(1)
`;

test('reload keeps unchanged groups, carries alert state into changed ones, marks removed groups stale', async (t) => {
  const { dir, storage, manager } = await fixture(t);
  const f = join(dir, 'a.yml');
  await writeFile(f, FILE_A);
  await manager.update(settings([join(dir, '*.yml')]));
  const [alerts, records] = manager.groups();
  assert.equal(alerts?.name, 'alerts');
  assert.equal(records?.name, 'records');
  // Evaluate just before the manager's clock, so stale markers written "now" come after (the loops stay asleep: the clock never moves).
  const T = 10 * MIN - 1000;
  await alerts!.evalAt(T);
  await records!.evalAt(T);
  const rule = alerts!.rules[0] as AlertingRule;
  assert.equal(rule.state(), 'firing');

  // Change only the alerts group (an annotation), drop the records group.
  await writeFile(f, FILE_A.replace('labels: {severity: page}', 'labels: {severity: page}\n        annotations: {summary: hi}').replace(/ {2}- name: records[\s\S]*$/, ''));
  await manager.update(settings([join(dir, '*.yml')]));
  const groups = manager.groups();
  assert.equal(groups.length, 1);
  assert.notEqual(groups[0], alerts, 'changed group replaced');
  const carried = groups[0]!.rules[0] as AlertingRule;
  assert.equal(carried.activeAlerts()[0]?.firedAtMs, T, 'alert state carried over');

  const q = await storage.querier(0, Number.MAX_SAFE_INTEGER);
  const ss = await q.select(false, null, [new Matcher(MatchType.Equal, '__name__', 'one')]);
  assert.ok(ss.next());
  const it = ss.at().iterator();
  const vals = new Float64Array(4);
  let n = 0;
  while (it.next() === ValueType.Float) vals[n++] = it.atV();
  assert.equal(n, 2);
  assert.ok(isStaleNaN(vals[1]!), 'removed group series marked stale');

  // Unchanged file: same group object keeps running.
  await manager.update(settings([join(dir, '*.yml')]));
  assert.equal(manager.groups()[0], groups[0]);
});

test('an invalid rule file keeps the current groups and reports every error', async (t) => {
  const { dir, manager } = await fixture(t);
  await writeFile(join(dir, 'a.yml'), FILE_A);
  await manager.update(settings([join(dir, 'a.yml')]));
  await writeFile(join(dir, 'a.yml'), 'groups:\n  - name: x\n    rules:\n      - record: r\n        expr: rate(\n');
  await assert.rejects(manager.update(settings([join(dir, 'a.yml')])), (e: unknown) => e instanceof RuleFileError && /a\.yml: 5:15: group "x", rule 1, "r": could not parse expression/.test(e.message));
  assert.deepEqual(
    manager.groups().map((g) => g.name),
    ['alerts', 'records'],
  );
});

test('group labels apply to every rule, rule labels win; global interval and query offset are defaults', async (t) => {
  const { dir, manager } = await fixture(t);
  await writeFile(
    join(dir, 'a.yml'),
    'groups:\n  - name: g\n    interval: 15s\n    labels: {team: a, tier: x}\n    rules:\n      - alert: A\n        expr: vector(1)\n        labels: {tier: y}\n  - name: h\n    query_offset: 30s\n    rules: []\n',
  );
  await manager.update({ ...settings([join(dir, 'a.yml')]), queryOffsetMs: 5000 });
  const [g, h] = manager.groups();
  assert.equal(g?.intervalMs, 15_000);
  assert.equal(g?.queryOffsetMs, 5000);
  assert.equal(h?.intervalMs, MIN);
  assert.equal(h?.queryOffsetMs, 30_000);
  assert.equal(g?.rules[0]?.labels.toString(), '{team="a", tier="y"}');
});

test('firing alerts go to the notifier with startsAt, endsAt = validUntil and the generator URL', async (t) => {
  const { dir, manager, sent } = await fixture(t);
  await writeFile(join(dir, 'a.yml'), FILE_A);
  await manager.update(settings([join(dir, 'a.yml')]));
  await manager.groups()[0]!.evalAt(10 * MIN);
  assert.equal(sent.length, 1);
  assert.equal(sent[0]?.startsAtMs, 10 * MIN);
  assert.equal(sent[0]?.endsAtMs, 10 * MIN + 4 * MIN);
  assert.equal(sent[0]?.generatorUrl, 'http://vigil.example:9090/graph?g0.expr=vector%281%29&g0.tab=1');
  assert.equal(generatorUrl('', 'sum by(job)(up)'), '/graph?g0.expr=sum+by+%28job%29+%28up%29&g0.tab=1');
  const resolved = toNotifierAlerts('', 'x', [{ ...(manager.groups()[0]!.rules[0] as AlertingRule).activeAlerts()[0]!, resolvedAtMs: 99 }]);
  assert.equal(resolved[0]?.endsAtMs, 99);
});

test('receivers registered on the manager see state changes; removal stops delivery', async (t) => {
  const { dir, manager } = await fixture(t);
  await writeFile(join(dir, 'a.yml'), FILE_A);
  await manager.update(settings([join(dir, 'a.yml')]));
  const rec = new RecordingReceiver();
  const off = manager.addReceiver(rec.receive);
  await manager.groups()[0]!.evalAt(10 * MIN);
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(
    rec.changes.map((c) => `${c.group}/${c.rule}:${c.from}->${c.to}`),
    ['alerts/Always:inactive->pending', 'alerts/Always:pending->firing'],
  );
  assert.equal(rec.changes[1]?.alert.labels.get('severity'), 'page');
  off();
  await manager.groups()[0]!.evalAt(11 * MIN);
  await new Promise((r) => setImmediate(r));
  assert.equal(rec.changes.length, 2);
});

test('a rule label with an empty value removes that label from the output', async (t) => {
  const { dir, manager, storage } = await fixture(t);
  await writeFile(join(dir, 'a.yml'), 'groups:\n  - name: g\n    rules:\n      - record: r\n        expr: label_replace(vector(1), "drop", "x", "", "")\n        labels: {drop: ""}\n      - alert: A\n        expr: label_replace(vector(1), "drop", "x", "", "")\n        labels: {drop: ""}\n');
  await manager.update(settings([join(dir, 'a.yml')]));
  await manager.groups()[0]!.evalAt(10 * MIN);
  const q = await storage.querier(0, Number.MAX_SAFE_INTEGER);
  const ss = await q.select(true, null, [new Matcher(MatchType.Equal, '__name__', 'r')]);
  assert.ok(ss.next());
  assert.equal(ss.at().labels.toString(), '{__name__="r"}');
  const a = manager.alertingRules()[0]!.activeAlerts()[0];
  assert.equal(a?.labels.toString(), '{alertname="A"}');
});
