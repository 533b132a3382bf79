import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Labels } from '../tsdb/labels.js';
import { AlertingRule, RESOLVED_RETENTION_MS } from './alerting_rule.js';
import type { RuleSample } from './rule.js';

const MIN = 60_000;

/** A query function over a mutable result (the rule's only seam to PromQL). */
function source(): { set(rows: [Record<string, string>, number][]): void; query: (e: string, t: number) => Promise<RuleSample[]> } {
  let rows: [Record<string, string>, number][] = [];
  return {
    set: (r) => {
      rows = r;
    },
    query: async (_e, t) => rows.map(([l, v]) => ({ labels: Labels.from(l), t, v })),
  };
}

function rule(forMs: number, keepFiringForMs = 0, labels: Record<string, string> = {}, annotations: Record<string, string> = {}): AlertingRule {
  return new AlertingRule('HighLoad', 'load > 1', forMs, keepFiringForMs, Labels.from(labels), Labels.from(annotations), { externalLabels: { dc: 'x' }, externalUrl: 'http://prom', templateQuery: null });
}

test('inactive → pending → firing after `for`; activeAt and firedAt are evaluation times', async () => {
  const src = source();
  const r = rule(5 * MIN);
  src.set([[{ __name__: 'load', host: 'a' }, 2]]);
  for (let ts = 0; ts < 5 * MIN; ts += MIN) {
    await r.eval({ ts, queryOffsetMs: 0, query: src.query, limit: 0 });
    assert.equal(r.state(), 'pending', `at ${ts}`);
  }
  await r.eval({ ts: 5 * MIN, queryOffsetMs: 0, query: src.query, limit: 0 });
  const [a] = r.activeAlerts();
  assert.equal(a?.state, 'firing');
  assert.equal(a?.activeAtMs, 0);
  assert.equal(a?.firedAtMs, 5 * MIN);
  assert.equal(a?.labels.toString(), '{alertname="HighLoad", host="a"}');
});

test('for: 0 fires on the first evaluation', async () => {
  const src = source();
  const r = rule(0);
  src.set([[{ host: 'a' }, 2]]);
  await r.eval({ ts: 1000, queryOffsetMs: 0, query: src.query, limit: 0 });
  assert.equal(r.state(), 'firing');
});

test('a pending alert that disappears is dropped; a firing one resolves and is kept for 15 minutes', async () => {
  const src = source();
  const r = rule(2 * MIN);
  src.set([[{ host: 'a' }, 2]]);
  await r.eval({ ts: 0, queryOffsetMs: 0, query: src.query, limit: 0 });
  src.set([]);
  await r.eval({ ts: MIN, queryOffsetMs: 0, query: src.query, limit: 0 });
  assert.equal(r.active.size, 0);

  src.set([[{ host: 'a' }, 2]]);
  for (let ts = 2 * MIN; ts <= 4 * MIN; ts += MIN) await r.eval({ ts, queryOffsetMs: 0, query: src.query, limit: 0 });
  assert.equal(r.state(), 'firing');
  src.set([]);
  await r.eval({ ts: 5 * MIN, queryOffsetMs: 0, query: src.query, limit: 0 });
  const resolved = [...r.active.values()][0];
  assert.equal(resolved?.state, 'inactive');
  assert.equal(resolved?.resolvedAtMs, 5 * MIN);
  assert.equal(r.activeAlerts().length, 0);
  await r.eval({ ts: 5 * MIN + RESOLVED_RETENTION_MS, queryOffsetMs: 0, query: src.query, limit: 0 });
  assert.equal(r.active.size, 1, 'still kept at exactly the retention');
  await r.eval({ ts: 5 * MIN + RESOLVED_RETENTION_MS + MIN, queryOffsetMs: 0, query: src.query, limit: 0 });
  assert.equal(r.active.size, 0);
});

test('keep_firing_for keeps a firing alert after its condition clears, and resets when it returns', async () => {
  const src = source();
  const r = rule(0, 3 * MIN);
  src.set([[{ host: 'a' }, 2]]);
  await r.eval({ ts: 0, queryOffsetMs: 0, query: src.query, limit: 0 });
  src.set([]);
  await r.eval({ ts: MIN, queryOffsetMs: 0, query: src.query, limit: 0 });
  assert.equal(r.state(), 'firing');
  assert.equal(r.activeAlerts()[0]?.keepFiringSinceMs, MIN);
  src.set([[{ host: 'a' }, 2]]);
  await r.eval({ ts: 2 * MIN, queryOffsetMs: 0, query: src.query, limit: 0 });
  assert.equal(r.activeAlerts()[0]?.keepFiringSinceMs, 0);
  src.set([]);
  for (const ts of [3 * MIN, 4 * MIN, 5 * MIN]) {
    await r.eval({ ts, queryOffsetMs: 0, query: src.query, limit: 0 });
    assert.equal(r.state(), 'firing', `at ${ts / MIN}m`);
  }
  await r.eval({ ts: 6 * MIN, queryOffsetMs: 0, query: src.query, limit: 0 });
  assert.equal(r.state(), 'inactive');
});

test('raising `for` on a firing alert sends it back to pending', async () => {
  const src = source();
  const r1 = rule(0);
  src.set([[{ host: 'a' }, 2]]);
  await r1.eval({ ts: 0, queryOffsetMs: 0, query: src.query, limit: 0 });
  const r2 = rule(10 * MIN);
  for (const [k, a] of r1.active) r2.active.set(k, a);
  await r2.eval({ ts: MIN, queryOffsetMs: 0, query: src.query, limit: 0 });
  assert.equal(r2.state(), 'pending');
});

test('limit: more active alerts than the limit is an error and clears the alerts', async () => {
  const src = source();
  const r = rule(0);
  src.set([
    [{ host: 'a' }, 1],
    [{ host: 'b' }, 1],
  ]);
  await assert.rejects(r.eval({ ts: 0, queryOffsetMs: 0, query: src.query, limit: 1 }), /exceeded limit of 1 with 2 alerts/);
  assert.equal(r.active.size, 0);
  await r.eval({ ts: MIN, queryOffsetMs: 0, query: src.query, limit: 2 });
  assert.equal(r.active.size, 2);
});

test('labels that collapse distinct series into one alert are an error', async () => {
  const src = source();
  const r = rule(0, 0, { host: 'fixed' });
  src.set([
    [{ host: 'a' }, 1],
    [{ host: 'b' }, 1],
  ]);
  await assert.rejects(r.eval({ ts: 0, queryOffsetMs: 0, query: src.query, limit: 0 }), /same labelset after applying alert labels/);
});

test('labels and annotations are templates over $labels, $value, $externalLabels, $externalURL', async () => {
  const src = source();
  const r = rule(0, 0, { severity: '{{ if gt $value 10.0 }}page{{ else }}ticket{{ end }}' }, { summary: '{{ $labels.host }} load {{ $value | humanize }} in {{ $externalLabels.dc }} ({{ $externalURL }})' });
  src.set([[{ __name__: 'load', host: 'a' }, 12345]]);
  await r.eval({ ts: 0, queryOffsetMs: 0, query: src.query, limit: 0 });
  const a = r.activeAlerts()[0];
  assert.equal(a?.labels.get('severity'), 'page');
  assert.equal(a?.annotations.get('summary'), 'a load 12.35k in x (http://prom)');
  src.set([[{ __name__: 'load', host: 'a' }, 2]]);
  await r.eval({ ts: MIN, queryOffsetMs: 0, query: src.query, limit: 0 });
  // A changed templated label is a new label set: the old alert resolves, a new one fires.
  assert.deepEqual(
    r.activeAlerts().map((x) => x.labels.get('severity')),
    ['ticket'],
  );
});

test('ALERTS and ALERTS_FOR_STATE samples at ts - query_offset, only once restored', async () => {
  const src = source();
  const r = rule(5 * MIN);
  src.set([[{ host: 'a' }, 2]]);
  const out = await r.eval({ ts: 120_000, queryOffsetMs: 30_000, query: src.query, limit: 0 });
  assert.deepEqual(
    out.map((s) => [s.labels.toString(), s.t, s.v]),
    [
      ['{__name__="ALERTS", alertname="HighLoad", alertstate="pending", host="a"}', 90_000, 1],
      ['{__name__="ALERTS_FOR_STATE", alertname="HighLoad", host="a"}', 90_000, 120],
    ],
  );
  r.restored = false;
  assert.deepEqual(await r.eval({ ts: 180_000, queryOffsetMs: 0, query: src.query, limit: 0 }), []);
});

test('alerts are sent when firing, re-sent after the resend delay, and once more when resolved', async () => {
  const src = source();
  const r = rule(0);
  src.set([[{ host: 'a' }, 2]]);
  await r.eval({ ts: 0, queryOffsetMs: 0, query: src.query, limit: 0 });
  const first = r.alertsToSend(0, MIN, 15_000);
  assert.equal(first.length, 1);
  assert.equal(first[0]?.validUntilMs, 4 * MIN);
  assert.equal(r.alertsToSend(30_000, MIN, 15_000).length, 0);
  assert.equal(r.alertsToSend(MIN, MIN, 15_000).length, 0, 'not after exactly the delay');
  assert.equal(r.alertsToSend(MIN + 1, MIN, 15_000).length, 1);
  src.set([]);
  await r.eval({ ts: 2 * MIN, queryOffsetMs: 0, query: src.query, limit: 0 });
  const resolved = r.alertsToSend(2 * MIN, MIN, 15_000);
  assert.equal(resolved[0]?.resolvedAtMs, 2 * MIN);
});

test('state changes are recorded for receivers', async () => {
  const src = source();
  const r = rule(MIN);
  src.set([[{ host: 'a' }, 2]]);
  await r.eval({ ts: 0, queryOffsetMs: 0, query: src.query, limit: 0 });
  await r.eval({ ts: MIN, queryOffsetMs: 0, query: src.query, limit: 0 });
  src.set([]);
  await r.eval({ ts: 2 * MIN, queryOffsetMs: 0, query: src.query, limit: 0 });
  assert.deepEqual(
    r.changes.map((c) => `${c.from}->${c.to}@${c.ts}`),
    ['inactive->pending@0', `pending->firing@${MIN}`, `firing->inactive@${2 * MIN}`],
  );
});
