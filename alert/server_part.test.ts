import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseCommandArgs } from '../cmd/cli.js';
import { SERVER_FLAGS, serverFlagsFrom } from '../cmd/flags.js';
import { StructuredLogger } from '../cmd/logger.js';
import { startServer } from '../cmd/server.js';
import { queryPart } from '../query/query_part.js';
import { RecordingReceiver } from './receivers.js';
import { alertFlagsFrom, alertServerPart, type AlertPartHandle } from './server_part.js';

test('alert flags: Prometheus defaults, parsed values, errors naming the flag', () => {
  assert.deepEqual(alertFlagsFrom({}), { outageToleranceMs: 3_600_000, forGracePeriodMs: 600_000, resendDelayMs: 60_000, queueCapacity: 10_000, timeoutMs: null });
  const f = alertFlagsFrom({ 'rules.alert.resend-delay': '30s', 'alertmanager.notification-queue-capacity': '5', 'alertmanager.timeout': '2s' });
  assert.equal(f.resendDelayMs, 30_000);
  assert.equal(f.queueCapacity, 5);
  assert.equal(f.timeoutMs, 2000);
  assert.throws(() => alertFlagsFrom({ 'rules.alert.for-grace-period': 'soon' }), /--rules\.alert\.for-grace-period: /);
  assert.throws(() => alertFlagsFrom({ 'alertmanager.notification-queue-capacity': '0' }), /positive integer/);
});

test('the server part loads rule files on start and reload, keeps the old rules when a reload is invalid', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'vigil-alert-part-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await mkdir(join(dir, 'rules'));
  await writeFile(join(dir, 'rules', 'rules.yml'), 'groups:\n  - name: g\n    rules:\n      - alert: Up\n        expr: vector(1)\n');
  await writeFile(join(dir, 'vigil.yml'), "rule_files: ['rules/*.yml']\n");
  const flags = serverFlagsFrom(parseCommandArgs(['--web.listen-address=127.0.0.1:0', `--config.file=${join(dir, 'vigil.yml')}`], SERVER_FLAGS, { min: 0, max: 0 }));
  let handle: AlertPartHandle | null = null;
  const rec = new RecordingReceiver();
  const server = await startServer(flags, {
    logger: new StructuredLogger({ level: 'error', sink: { write: () => undefined } }),
    baseParts: [queryPart, alertServerPart({ receivers: [rec.receive] }, { set: (h) => void (handle = h) })],
  });
  t.after(() => server.close());
  const names = async (): Promise<string[]> => {
    const res = await server.app.inject({ url: '/api/v1/rules' });
    assert.equal(res.statusCode, 200, res.body);
    return (res.json() as { data: { groups: { rules: { name: string }[] }[] } }).data.groups.flatMap((g) => g.rules.map((r) => r.name));
  };
  assert.deepEqual(await names(), ['Up']);
  // Evaluate once by hand (the loop waits for the group's slot): the receiver passed to the part sees it.
  const h = handle as AlertPartHandle | null;
  await h!.manager()!.groups()[0]!.evalAt(Date.now());
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(
    rec.changes.map((c) => c.to),
    ['pending', 'firing'],
  );

  await writeFile(join(dir, 'rules', 'more.yml'), 'groups:\n  - name: h\n    rules:\n      - record: r\n        expr: vector(2)\n');
  assert.equal((await server.reload()).ok, true);
  assert.deepEqual(await names(), ['r', 'Up']);

  await writeFile(join(dir, 'rules', 'more.yml'), 'groups:\n  - name: h\n    rules:\n      - record: r\n        expr: vector(\n');
  const bad = await server.reload();
  assert.equal(bad.ok, false);
  assert.match(bad.ok ? '' : bad.error, /more\.yml: 5:15: group "h", rule 1, "r": could not parse expression/);
  assert.deepEqual(await names(), ['r', 'Up']);
  const ams = await server.app.inject({ url: '/api/v1/alertmanagers' });
  assert.deepEqual((ams.json() as { data: unknown }).data, { activeAlertmanagers: [], droppedAlertmanagers: [] });
});
