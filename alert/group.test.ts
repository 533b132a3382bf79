import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Engine } from '../query/engine.js';
import { Labels } from '../tsdb/labels.js';
import { Matcher, MatchType } from '../tsdb/matcher.js';
import { MemoryStorage } from '../tsdb/memory_storage.js';
import { isStaleNaN, NO_REF, ValueType } from '../tsdb/storage.js';
import { AlertingRule, type AlertStateChange } from './alerting_rule.js';
import { ManualClock } from './clock.js';
import { Group, type GroupOptions } from './group.js';
import { RecordingRule } from './recording_rule.js';
import { engineQueryFn, type Rule } from './rule.js';

const MIN = 60_000;

function setup(clock = new ManualClock(0)): { storage: MemoryStorage; opts: GroupOptions; changes: AlertStateChange[]; clock: ManualClock } {
  const storage = new MemoryStorage();
  const engine = new Engine({ timeoutMs: 10_000, maxSamples: 1_000_000, lookbackDeltaMs: 5 * MIN, maxConcurrency: 2 });
  const changes: AlertStateChange[] = [];
  const opts: GroupOptions = {
    query: engineQueryFn(engine, storage),
    appendable: storage,
    queryable: storage,
    notify: null,
    receivers: () => [(c) => changes.push(c)],
    clock,
    resendDelayMs: MIN,
    outageToleranceMs: 60 * MIN,
    forGracePeriodMs: 10 * MIN,
    logger: { warn: () => undefined },
  };
  return { storage, opts, changes, clock };
}

async function load(s: MemoryStorage, labels: Record<string, string>, points: [number, number][]): Promise<void> {
  const app = s.appender();
  for (const [t, v] of points) app.append(NO_REF, Labels.from(labels), t, v);
  await app.commit();
}

/** Raw samples of one series: [t, v, stale][]. */
async function raw(s: MemoryStorage, name: string, extra: Record<string, string> = {}): Promise<[number, number, boolean][]> {
  const q = await s.querier(Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
  const ms = [new Matcher(MatchType.Equal, '__name__', name), ...Object.entries(extra).map(([n, v]) => new Matcher(MatchType.Equal, n, v))];
  const ss = await q.select(true, null, ms);
  const out: [number, number, boolean][] = [];
  while (ss.next()) {
    const it = ss.at().iterator();
    while (it.next() === ValueType.Float) out.push([it.atT(), it.atV(), isStaleNaN(it.atV())]);
  }
  await q.close();
  return out;
}

function group(opts: GroupOptions, rules: Rule[], interval = MIN, shouldRestore = false): Group {
  return new Group('g', 'rules.yml', interval, 0, 0, rules, opts, shouldRestore);
}

test('evaluation timestamps sit at the group offset within each interval', () => {
  const { opts } = setup();
  const g = group(opts, []);
  const off = g.offsetMs();
  assert.ok(off >= 0 && off < MIN);
  for (const now of [0, 59_999, 123_456_789, 1_700_000_000_123]) {
    const ts = g.evalTimestamp(now);
    assert.ok(ts <= now && ts > now - MIN, `${now} → ${ts}`);
    assert.equal((((ts - off) % MIN) + MIN) % MIN, 0);
  }
  const other = new Group('other', 'rules.yml', MIN, 0, 0, [], opts, false);
  assert.notEqual(other.offsetMs(), off, 'groups spread over the interval');
});

test('recording rule results are appended and marked stale when their series vanish', async () => {
  const { storage, opts } = setup();
  await load(storage, { __name__: 'up', job: 'a' }, [[0, 1], [MIN, 1]]);
  await load(storage, { __name__: 'up', job: 'b' }, [[0, 0]]);
  const g = group(opts, [new RecordingRule('job:up', 'sum by (job) (up)', Labels.from({ src: 'rule' }))]);
  await g.evalAt(0);
  await load(storage, { __name__: 'up', job: 'b' }, [[MIN, 0.5]]);
  await g.evalAt(MIN);
  assert.deepEqual(await raw(storage, 'job:up', { job: 'a' }), [
    [0, 1, false],
    [MIN, 1, false],
  ]);
  // job b's input goes stale after the lookback; then the recorded series gets a stale marker.
  const late = 7 * MIN;
  await load(storage, { __name__: 'up', job: 'a' }, [[late, 1]]);
  await g.evalAt(late);
  const b = await raw(storage, 'job:up', { job: 'b' });
  assert.deepEqual(b.map((x) => [x[0], x[2]]), [
    [0, false],
    [MIN, false],
    [late, true],
  ]);
  assert.equal(g.rules[0]?.health, 'ok');
});

test('alerting rules write ALERTS and ALERTS_FOR_STATE samples', async () => {
  const { storage, opts } = setup();
  await load(storage, { __name__: 'temp', room: 'x' }, [[0, 30]]);
  const alert = new AlertingRule('Hot', 'temp > 25', 0, 0, Labels.EMPTY, Labels.EMPTY, { externalLabels: {}, externalUrl: '', templateQuery: null });
  const g = group(opts, [alert]);
  await g.evalAt(0);
  assert.deepEqual(await raw(storage, 'ALERTS', { alertname: 'Hot' }), [[0, 1, false]]);
  assert.deepEqual(await raw(storage, 'ALERTS_FOR_STATE'), [[0, 0, false]]);
  assert.equal(alert.health, 'ok');
  assert.equal(g.metrics.evaluationsTotal, 1);
  assert.equal(g.metrics.lastEvaluationSamples, 2);
});

test('duplicate output series of a recording rule are an evaluation error', async () => {
  const { storage, opts } = setup();
  await load(storage, { __name__: 'x', a: '1' }, [[0, 1]]);
  await load(storage, { __name__: 'y', a: '1' }, [[0, 1]]);
  const r = new RecordingRule('z', '{__name__=~"x|y"}', Labels.EMPTY);
  const g = group(opts, [r]);
  await g.evalAt(0);
  assert.equal(r.health, 'err');
  assert.match(r.lastError, /same labelset after applying rule labels/);
  assert.equal(g.metrics.evaluationFailuresTotal, 1);
});

test('state changes reach receivers after the evaluation, and a throwing receiver does not stop others', async () => {
  const { storage, opts, changes } = setup();
  const seen: string[] = [];
  const o: GroupOptions = {
    ...opts,
    receivers: () => [
      () => {
        throw new Error('boom');
      },
      (c) => seen.push(`${c.rule}:${c.to}`),
      (c) => changes.push(c),
    ],
  };
  await load(storage, { __name__: 'temp', room: 'x' }, [[0, 30]]);
  const g = group(o, [new AlertingRule('Hot', 'temp > 25', 0, 0, Labels.EMPTY, Labels.EMPTY, { externalLabels: {}, externalUrl: '', templateQuery: null })]);
  await g.evalAt(0);
  assert.deepEqual(seen, [], 'delivered asynchronously');
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(seen, ['Hot:pending', 'Hot:firing']);
  assert.equal(changes[1]?.alert.labels.get('room'), 'x');
});

test('the loop runs on the clock, counts missed iterations, and stop marks series stale', async () => {
  const { storage, opts, clock } = setup(new ManualClock(1_000_000));
  await load(storage, { __name__: 'up' }, [[0, 1]]);
  const g = group(opts, [new RecordingRule('one', 'vector(1)', Labels.EMPTY)]);
  g.start();
  const settle = async (): Promise<void> => {
    for (let i = 0; i < 50; i++) await new Promise((r) => setImmediate(r));
  };
  await settle();
  const first = g.evalTimestamp(clock.now()) + MIN;
  clock.advance(first - clock.now());
  await settle();
  assert.equal(g.metrics.iterationsTotal, 1);
  assert.equal(g.lastEvalTimestampMs, first);
  clock.advance(MIN);
  await settle();
  assert.equal(g.metrics.iterationsTotal, 2);
  clock.advance(3 * MIN);
  await settle();
  assert.equal(g.metrics.iterationsMissedTotal, 2);
  assert.equal(g.lastEvalTimestampMs, first + 4 * MIN);
  clock.advance(1000);
  await g.stop(true);
  const samples = await raw(storage, 'one');
  assert.equal(samples.length, 4);
  assert.equal(samples[3]?.[2], true, 'stale marker on stop');
});

test('for-state restore: activeAt comes back, shifted by the downtime, never firing before the grace period', async () => {
  const { storage, opts } = setup();
  const mk = (): AlertingRule =>
    new AlertingRule('Slow', 'latency > 1', 30 * MIN, 0, Labels.EMPTY, Labels.EMPTY, { externalLabels: {}, externalUrl: '', templateQuery: null, restored: false });
  // Before the restart: active since t=0, last ALERTS_FOR_STATE written at 20m (pending for 20 of 30 minutes).
  for (let t = 0; t <= 40 * MIN; t += MIN) await load(storage, { __name__: 'latency', svc: 'a' }, [[t, 5]]);
  await load(storage, { __name__: 'ALERTS_FOR_STATE', alertname: 'Slow', svc: 'a' }, [
    [10 * MIN, 0],
    [20 * MIN, 0],
  ]);
  // Restart at 25m: first evaluation creates a fresh pending alert, restore fixes its activeAt.
  const r = mk();
  const g = group(opts, [r], MIN, true);
  await g.evalAt(25 * MIN);
  await g.evalAt(26 * MIN);
  await g.restoreForState(26 * MIN);
  // Remaining 10m >= grace 10m: activeAt = 0 + (26m - 20m) downtime.
  assert.equal(r.activeAlerts()[0]?.activeAtMs, 6 * MIN);
  assert.equal(r.restored, true);

  // Less than the grace period left (25 of 30 minutes spent at 25m): the alert fires a grace period after restore.
  await load(storage, { __name__: 'ALERTS_FOR_STATE', alertname: 'Slow', svc: 'a' }, [[25 * MIN, 0]]);
  const r2 = mk();
  const g2 = group(opts, [r2], MIN, true);
  await g2.evalAt(30 * MIN);
  await g2.restoreForState(30 * MIN);
  assert.equal(r2.activeAlerts()[0]?.activeAtMs, 30 * MIN + 10 * MIN - 30 * MIN);
});

test('rules shorter than the grace period are not restored but marked restored', async () => {
  const { opts } = setup();
  const r = new AlertingRule('Quick', 'vector(1)', MIN, 0, Labels.EMPTY, Labels.EMPTY, { externalLabels: {}, externalUrl: '', templateQuery: null, restored: false });
  const g = group(opts, [r], MIN, true);
  await g.evalAt(0);
  await g.restoreForState(0);
  assert.equal(r.restored, true);
  assert.equal(r.activeAlerts()[0]?.activeAtMs, 0);
});
