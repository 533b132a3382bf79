/**
 * End to end with a real Alertmanager (`prometheus-alertmanager` from Debian):
 * `vigil server` with the rules part evaluates a rule on its own schedule, the
 * alert reaches Alertmanager's `GET /api/v2/alerts` with expanded annotations,
 * resolves there, and an Alertmanager that is down, or one that hangs, delays
 * neither rule evaluation nor the other Alertmanager; delivery resumes when it
 * comes back.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createTcpServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { alertServerPart, type AlertPartHandle } from '../alert/server_part.js';
import { parseCommandArgs } from '../cmd/cli.js';
import { SERVER_FLAGS, serverFlagsFrom } from '../cmd/flags.js';
import { StructuredLogger } from '../cmd/logger.js';
import { startServer } from '../cmd/server.js';
import { queryPart } from '../query/query_part.js';
import { Labels } from '../tsdb/labels.js';
import { MemoryStorage } from '../tsdb/memory_storage.js';
import { NO_REF } from '../tsdb/storage.js';

const AM = '/usr/bin/prometheus-alertmanager';
const haveAm = spawnSync('sh', ['-c', `command -v ${AM}`]).status === 0;

async function freePort(): Promise<number> {
  const s = createTcpServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

async function until<T>(what: string, fn: () => Promise<T | null>, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  let last: unknown = null;
  while (Date.now() < end) {
    try {
      const v = await fn();
      if (v !== null) return v;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}

interface AmAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  generatorURL: string;
  status: { state: string };
}

function startAlertmanager(dir: string, port: number): ChildProcess {
  const p = spawn(AM, [`--config.file=${join(dir, 'am.yml')}`, `--storage.path=${join(dir, 'am-data')}`, `--web.listen-address=127.0.0.1:${port}`, '--cluster.listen-address=', '--log.level=warn'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  p.stderr?.resume();
  return p;
}

async function stopProcess(p: ChildProcess): Promise<void> {
  if (p.exitCode !== null || p.signalCode !== null) return;
  const done = new Promise<void>((r) => p.once('exit', () => r()));
  p.kill('SIGTERM');
  const t = setTimeout(() => p.kill('SIGKILL'), 5000);
  await done;
  clearTimeout(t);
}

async function amAlerts(port: number): Promise<AmAlert[]> {
  const res = await fetch(`http://127.0.0.1:${port}/api/v2/alerts`);
  assert.equal(res.status, 200);
  return (await res.json()) as AmAlert[];
}

test('rules fire into a real Alertmanager, resolve there, and an Alertmanager outage never stalls evaluation', { skip: haveAm ? false : `${AM} not installed`, timeout: 120_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-am-e2e-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const amPort = await freePort();
  writeFileSync(join(dir, 'am.yml'), "route:\n  receiver: blackhole\n  group_wait: 1s\nreceivers:\n  - name: blackhole\n");
  let am = startAlertmanager(dir, amPort);
  t.after(() => stopProcess(am));
  await until('Alertmanager ready', async () => ((await fetch(`http://127.0.0.1:${amPort}/-/ready`)).ok ? true : null));

  // A second "Alertmanager" that accepts connections and never answers.
  const hung: Socket[] = [];
  const hang: Server = createTcpServer((s) => hung.push(s));
  await new Promise<void>((r) => hang.listen(0, '127.0.0.1', r));
  const hangPort = (hang.address() as AddressInfo).port;
  t.after(
    () =>
      new Promise<void>((r) => {
        for (const s of hung) s.destroy();
        hang.close(() => r());
      }),
  );

  writeFileSync(
    join(dir, 'rules.yml'),
    `groups:
  - name: e2e
    rules:
      - alert: SwitchOn
        expr: switch > 0
        labels:
          severity: '{{ if gt $value 5.0 }}page{{ else }}ticket{{ end }}'
        annotations:
          summary: 'switch {{ $labels.instance }} is {{ $value | humanize }} in {{ $externalLabels.site }}'
`,
  );
  writeFileSync(
    join(dir, 'vigil.yml'),
    `global:
  evaluation_interval: 1s
  external_labels: {site: lab}
rule_files: ['rules.yml']
alerting:
  alertmanagers:
    - timeout: 60s
      static_configs:
        - targets: ['127.0.0.1:${hangPort}']
    - static_configs:
        - targets: ['127.0.0.1:${amPort}']
`,
  );
  const base = serverFlagsFrom(parseCommandArgs(['--web.listen-address=127.0.0.1:0', `--config.file=${join(dir, 'vigil.yml')}`], SERVER_FLAGS, { min: 0, max: 0 }));
  const flags = { ...base, asStrings: { ...base.asStrings, 'rules.alert.resend-delay': '1s' } };
  const storage = new MemoryStorage();
  let handle: AlertPartHandle | null = null;
  const server = await startServer(flags, {
    logger: new StructuredLogger({ level: 'error', sink: { write: () => undefined } }),
    openStorage: async () => storage,
    baseParts: [queryPart, alertServerPart({}, { set: (h) => void (handle = h) })],
  });
  t.after(() => server.close());

  // The "switch" metric, written every 200 ms like a scrape would (bounded by the test's waits).
  let value = 12;
  const writer = setInterval(() => {
    const app = storage.appender();
    app.append(NO_REF, Labels.from({ __name__: 'switch', instance: 'sw1' }), Date.now(), value);
    void app.commit();
  }, 200);
  t.after(() => clearInterval(writer));

  const firing = await until('the alert in Alertmanager', async () => {
    const a = (await amAlerts(amPort)).find((x) => x.labels.alertname === 'SwitchOn');
    return a ?? null;
  });
  assert.deepEqual(firing.labels, { alertname: 'SwitchOn', instance: 'sw1', severity: 'page', site: 'lab' });
  assert.equal(firing.annotations.summary, 'switch sw1 is 12 in lab');
  assert.equal(firing.status.state, 'active');
  assert.match(firing.generatorURL, /\/graph\?g0\.expr=switch\+%3E\+0&g0\.tab=1$/);
  assert.ok(Date.parse(firing.endsAt) > Date.now(), 'endsAt is validUntil, in the future');

  // Resolve: the condition clears, Vigil sends endsAt = resolvedAt; Alertmanager treats the alert as
  // resolved, which its API shows by no longer listing it among the alerts.
  // It must leave before the endsAt (validUntil) Alertmanager last saw, which proves an explicit resolution.
  const lastSeen = (await amAlerts(amPort)).find((x) => x.labels.alertname === 'SwitchOn');
  assert.ok(lastSeen !== undefined);
  value = 0;
  await until('the alert resolved in Alertmanager', async () => {
    const a = (await amAlerts(amPort)).find((x) => x.labels.alertname === 'SwitchOn');
    return a === undefined ? true : null;
  });
  assert.ok(Date.now() < Date.parse(lastSeen.endsAt), 'resolved by Vigil before the alert would have expired');

  // Alertmanager goes down: evaluation keeps its schedule, the alert fires again in Vigil.
  await stopProcess(am);
  const rules = (): { lastEvaluation: string; state: string } => {
    const groups = handle!.manager()!.groups();
    const g = groups[0]!;
    const r = g.rules[0] as unknown as { state(): string };
    return { lastEvaluation: new Date(g.lastEvaluationMs).toISOString(), state: r.state() };
  };
  value = 3;
  const before = handle!.manager()!.groups()[0]!.metrics.iterationsTotal;
  await until('firing again while Alertmanager is down', async () => (rules().state === 'firing' ? true : null));
  await new Promise((r) => setTimeout(r, 2500));
  const g = handle!.manager()!.groups()[0]!;
  assert.ok(g.metrics.iterationsTotal - before >= 3, `evaluations continued (${g.metrics.iterationsTotal - before})`);
  const api = await server.app.inject({ url: '/api/v1/alerts' });
  assert.equal((api.json() as { data: { alerts: { state: string }[] } }).data.alerts[0]?.state, 'firing');

  // Alertmanager returns (same port and storage): the next resend delivers the alert.
  am = startAlertmanager(dir, amPort);
  await until('Alertmanager ready again', async () => ((await fetch(`http://127.0.0.1:${amPort}/-/ready`)).ok ? true : null));
  const again = await until('the alert delivered after the outage', async () => {
    const a = (await amAlerts(amPort)).find((x) => x.labels.alertname === 'SwitchOn' && x.labels.severity === 'ticket' && Date.parse(x.endsAt) > Date.now());
    return a ?? null;
  });
  assert.equal(again.annotations.summary, 'switch sw1 is 3 in lab');
  const ams = (await server.app.inject({ url: '/api/v1/alertmanagers' })).json() as { data: { activeAlertmanagers: { url: string }[] } };
  assert.deepEqual(ams.data.activeAlertmanagers.map((a) => a.url).sort(), [`http://127.0.0.1:${amPort}/api/v2/alerts`, `http://127.0.0.1:${hangPort}/api/v2/alerts`].sort());
});
