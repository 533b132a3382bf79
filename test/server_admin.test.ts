/**
 * The TSDB admin API of the assembled server: disabled by default (503, as
 * Prometheus), and with --web.enable-admin-api deleting series, cleaning
 * tombstones and writing a snapshot that `vigil tsdb dump` can read.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseServerFlags } from '../cmd/flags.js';
import { StructuredLogger } from '../cmd/logger.js';
import { type PartContext, type RunningServer, startServer } from '../cmd/server.js';
import { main } from '../cmd/vigil.js';
import { Labels } from '../tsdb/labels.js';
import { NO_REF } from '../tsdb/storage.js';

const minimal = () => join(process.env.VIGIL_REPO_ROOT ?? '.', 'test/configs/valid/minimal.yml');

async function start(dir: string, extra: string[]): Promise<{ server: RunningServer; ctx: PartContext }> {
  let ctx: PartContext | null = null;
  const server = await startServer(
    parseServerFlags(['--web.listen-address=127.0.0.1:0', `--storage.tsdb.path=${dir}`, `--config.file=${minimal()}`, ...extra]),
    {
      logger: new StructuredLogger({ level: 'error', caller: false, sink: { write: () => {} } }),
      parts: [{ name: 'grab', register: async (_app, c) => void (ctx = c) }],
    },
  );
  return { server, ctx: ctx as unknown as PartContext };
}

test('admin endpoints answer 503 "admin APIs disabled" without --web.enable-admin-api', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-admin-off-'));
  t.after(() => rmSync(dir, { recursive: true, force: true, maxRetries: 10 }));
  const { server } = await start(dir, []);
  t.after(() => server.close());
  for (const path of ['delete_series?match[]=up', 'clean_tombstones', 'snapshot']) {
    const res = await server.app.inject({ method: 'POST', url: `/api/v1/admin/tsdb/${path}` });
    assert.equal(res.statusCode, 503, path);
    assert.deepEqual(res.json(), { status: 'error', errorType: 'unavailable', error: 'admin APIs disabled' });
  }
});

test('delete_series removes data, snapshot writes a readable data directory', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-admin-on-'));
  t.after(() => rmSync(dir, { recursive: true, force: true, maxRetries: 10 }));
  const { server, ctx } = await start(dir, ['--web.enable-admin-api']);
  t.after(() => server.close());
  const app = ctx.storage().appender();
  const t0 = Date.now() - 60_000;
  for (const job of ['keep', 'drop']) {
    const l = Labels.fromStrings('__name__', 'admin_metric', 'job', job);
    for (let i = 0; i < 5; i++) app.append(NO_REF, l, t0 + i * 1000, i);
  }
  await app.commit();

  const count = async () => {
    const r = (await server.app.inject(`/api/v1/query?query=${encodeURIComponent('count(admin_metric)')}`)).json() as {
      data: { result: { value: [number, string] }[] };
    };
    return r.data.result[0]?.value[1];
  };
  assert.equal(await count(), '2');
  const del = await server.app.inject({ method: 'POST', url: `/api/v1/admin/tsdb/delete_series?match[]=${encodeURIComponent('admin_metric{job="drop"}')}` });
  assert.equal(del.statusCode, 204, del.body);
  assert.equal(await count(), '1');
  const bad = await server.app.inject({ method: 'POST', url: '/api/v1/admin/tsdb/delete_series' });
  assert.equal(bad.statusCode, 400);
  assert.equal((await server.app.inject({ method: 'PUT', url: '/api/v1/admin/tsdb/clean_tombstones' })).statusCode, 204);

  const snap = await server.app.inject({ method: 'POST', url: '/api/v1/admin/tsdb/snapshot' });
  assert.equal(snap.statusCode, 200, snap.body);
  const name = (snap.json() as { data: { name: string } }).data.name;
  assert.match(name, /^\d{8}T\d{6}Z-[0-9a-f]{16}$/);
  const snapDir = join(dir, 'snapshots', name);
  assert.ok(existsSync(snapDir));
  const out: string[] = [];
  assert.equal(await main(['tsdb', 'dump', snapDir, '--match={__name__="admin_metric"}'], { log: (s) => out.push(s), err: (s) => out.push(s) }), 0);
  const lines = out.join('\n').trim().split('\n');
  assert.equal(lines.length, 5, out.join('\n'));
  assert.ok(lines.every((l) => l.startsWith('{__name__="admin_metric", job="keep"}')), 'the deleted series is not in the snapshot');
});
