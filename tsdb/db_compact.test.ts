/**
 * The TSDB's head compaction and its data directory as real Prometheus tooling
 * sees it: after compaction (head range → block, head truncated, WAL
 * checkpointed) every sample is still served, survives a reopen, and
 * `promtool tsdb dump` (which replays Vigil's WAL and chunks_head and reads its
 * blocks with Prometheus's own code) returns the same samples.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { openDB, type TSDB } from './db.js';
import { Labels } from './labels.js';
import { MatchType, Matcher } from './matcher.js';
import { NO_REF, STALE_NAN, ValueType } from './storage.js';
import { lastCheckpoint } from './wal/segment.js';

const hasPromtool = spawnSync('promtool', ['--version']).status === 0;
const T0 = 1_700_000_000_000;
const STEP = 60_000;
const N = 400; // 6h40m of samples at 1/min
const SERIES = 40;

function expected(s: number, k: number): number {
  return k * 2 + s * 0.5 - 100;
}

async function fill(db: TSDB, from: number, to: number): Promise<void> {
  const stale = new Float64Array(1);
  stale[0] = STALE_NAN;
  for (let k = from; k < to; k++) {
    const app = db.appender();
    for (let s = 0; s < SERIES; s++) {
      const v = s === 0 && k === 150 ? stale[0]! : expected(s, k);
      app.append(NO_REF, Labels.fromStrings('__name__', 'compact_test', 's', String(s)), T0 + k * STEP, v);
    }
    await app.commit();
  }
}

async function readAll(db: TSDB): Promise<Map<string, [number, number][]>> {
  const q = await db.querier(Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
  const ss = await q.select(true, null, [new Matcher(MatchType.Equal, '__name__', 'compact_test')]);
  const out = new Map<string, [number, number][]>();
  while (ss.next()) {
    const it = ss.at().iterator();
    const xs: [number, number][] = [];
    while (it.next() !== ValueType.None) xs.push([it.atT(), it.atV()]);
    assert.equal(it.err(), null);
    out.set(ss.at().labels.get('s'), xs);
  }
  await q.close();
  return out;
}

function checkAll(got: Map<string, [number, number][]>): void {
  assert.equal(got.size, SERIES);
  for (let s = 0; s < SERIES; s++) {
    const xs = got.get(String(s))!;
    assert.equal(xs.length, N, `series ${s}`);
    for (let k = 0; k < N; k++) {
      assert.equal(xs[k]![0], T0 + k * STEP);
      if (s === 0 && k === 150) assert.ok(Number.isNaN(xs[k]![1]));
      else assert.equal(xs[k]![1], expected(s, k));
    }
  }
}

test('tsdb compacts the head into blocks, truncates it, checkpoints the WAL and still serves every sample after reopen', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-compact-'));
  const logs: string[] = [];
  try {
    let db = await openDB(dir, { log: (m) => logs.push(m), autoCompact: false, walSegmentSize: 32 * 1024 });
    await fill(db, 0, N);
    assert.ok(db.headCompactable());
    await db.compact();
    assert.ok(!db.headCompactable());
    const blocks = readdirSync(dir).filter((n) => /^[0-9A-Z]{26}$/.test(n));
    assert.ok(blocks.length >= 2, `blocks written: ${blocks}`);
    assert.ok(db.head.minT >= T0 + 3 * 3600_000, `head truncated to ${db.head.minT}`);
    assert.ok(lastCheckpoint(join(dir, 'wal')) !== null, `checkpoint written; logs: ${logs.join('\n')}`);
    checkAll(await readAll(db));
    await db.close();

    db = await openDB(dir, { log: (m) => logs.push(m), autoCompact: false });
    checkAll(await readAll(db));
    // The head refuses samples older than the newest block.
    const app = db.appender();
    assert.throws(() => app.append(NO_REF, Labels.fromStrings('__name__', 'compact_test', 's', '9'), T0, 1), /out of bounds/);
    await app.rollback();
    await db.close();

    if (hasPromtool) {
      const res = spawnSync('promtool', ['tsdb', 'dump', dir], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
      assert.equal(res.status, 0, res.stderr);
      const lines = res.stdout.trim().split('\n');
      const per = new Map<string, [number, number][]>();
      for (const line of lines) {
        const m = /^\{__name__="compact_test", s="(\d+)"\} (\S+) (-?\d+)$/.exec(line);
        assert.ok(m !== null, `dump line: ${line}`);
        const xs = per.get(m[1]!) ?? [];
        xs.push([Number(m[3]), m[2] === 'NaN' ? Number.NaN : Number(m[2])]);
        per.set(m[1]!, xs);
      }
      // promtool dumps block and head separately; order by time and drop exact duplicates.
      for (const [k, xs] of per) {
        xs.sort((a, b) => a[0] - b[0]);
        per.set(
          k,
          xs.filter((x, i) => i === 0 || x[0] !== xs[i - 1]![0]),
        );
      }
      checkAll(per);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
