/**
 * The server's default storage is the TSDB in --storage.tsdb.path: samples
 * committed through it survive a restart, and `vigil tsdb` reads the directory.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseServerFlags } from '../cmd/flags.js';
import { StructuredLogger } from '../cmd/logger.js';
import { type PartContext, startServer } from '../cmd/server.js';
import { main } from '../cmd/vigil.js';
import { Labels } from '../tsdb/labels.js';
import { MatchType, Matcher } from '../tsdb/matcher.js';
import { NO_REF, type Storage } from '../tsdb/storage.js';

const quiet = () => new StructuredLogger({ level: 'error', caller: false, sink: { write: () => {} } });

async function run(dir: string, use: (s: Storage) => Promise<void>): Promise<void> {
  let ctx: PartContext | null = null;
  const flags = parseServerFlags([
    '--web.listen-address=127.0.0.1:0',
    `--storage.tsdb.path=${dir}`,
    `--config.file=${join(process.env.VIGIL_REPO_ROOT ?? '.', 'test/configs/valid/minimal.yml')}`,
  ]);
  const server = await startServer(flags, {
    logger: quiet(),
    parts: [{ name: 'grab', register: async (_app, c) => void (ctx = c) }],
  });
  try {
    assert.ok(ctx !== null);
    await use((ctx as PartContext).storage());
    const metrics = await server.app.inject('/metrics');
    assert.match(metrics.body, /^prometheus_tsdb_head_series \d+/m, 'the TSDB exposes its self-metrics on /metrics');
  } finally {
    await server.close();
  }
}

test('vigil server stores samples in the TSDB and finds them again after a restart', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-server-tsdb-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const lbls = Labels.fromStrings('__name__', 'persisted_metric', 'job', 'e2e');
  await run(dir, async (s) => {
    const app = s.appender();
    for (let i = 0; i < 10; i++) app.append(NO_REF, lbls, 1_700_000_000_000 + i * 15_000, i * 1.5);
    await app.commit();
  });
  await run(dir, async (s) => {
    const q = await s.querier(0, 2_000_000_000_000);
    const ss = await q.select(true, null, [new Matcher(MatchType.Equal, '__name__', 'persisted_metric')]);
    assert.ok(ss.next(), 'the series is back after the restart');
    const it = ss.at().iterator();
    const vs = new Float64Array(10);
    let n = 0;
    while (it.next()) vs[n++] = it.atV();
    await q.close();
    assert.equal(n, 10);
    assert.equal(vs[9], 13.5);
  });
  const out: string[] = [];
  const code = await main(['tsdb', 'dump', dir, '--match={__name__="persisted_metric"}'], { log: (s) => out.push(s), err: (s) => out.push(s) });
  assert.equal(code, 0, out.join('\n'));
  const lines = out.join('\n').trim().split('\n');
  assert.equal(lines.length, 10);
  assert.match(lines[0]!, /^\{__name__="persisted_metric", job="e2e"\} 0 1700000000000$/);
});
