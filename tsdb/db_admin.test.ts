import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { DataDirLockedError, openDB, type TSDB } from './db.js';
import { Labels } from './labels.js';
import { MatchType, Matcher } from './matcher.js';
import { NO_REF, ValueType } from './storage.js';

const a = Labels.fromStrings('__name__', 'admin_test', 'job', 'a');
const b = Labels.fromStrings('__name__', 'admin_test', 'job', 'b');

async function times(db: TSDB, l: Labels): Promise<number[]> {
  const q = await db.querier(0, 1_000_000);
  const ss = await q.select(false, null, [new Matcher(MatchType.Equal, 'job', l.get('job'))]);
  const out: number[] = [];
  while (ss.next()) {
    const it = ss.at().iterator();
    while (it.next() !== ValueType.None) out.push(it.atT());
  }
  await q.close();
  return out;
}

test('tsdb delete hides the deleted range of matching series, and the tombstones survive a reopen via the WAL', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-admin-'));
  try {
    let db = await openDB(dir, { log: () => {}, autoCompact: false });
    const app = db.appender();
    for (let t = 1000; t <= 10_000; t += 1000) {
      app.append(NO_REF, a, t, t);
      app.append(NO_REF, b, t, t);
    }
    await app.commit();
    assert.equal(await db.delete(3000, 5000, [new Matcher(MatchType.Equal, 'job', 'a')]), 1);
    const want = [1000, 2000, 6000, 7000, 8000, 9000, 10_000];
    assert.deepEqual(await times(db, a), want);
    assert.equal((await times(db, b)).length, 10, 'other series untouched');
    await db.close();
    db = await openDB(dir, { log: () => {}, autoCompact: false });
    assert.deepEqual(await times(db, a), want);
    await db.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('tsdb self-metrics use Prometheus names and report head series, appended samples and rejections', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-admin-'));
  try {
    const db = await openDB(dir, { log: () => {}, autoCompact: false, walSyncIntervalMs: 0 });
    const app = db.appender();
    app.append(NO_REF, a, 2000, 1);
    app.append(NO_REF, b, 2000, 1);
    app.append(NO_REF, b, 3000, 1);
    await app.commit();
    const app2 = db.appender();
    assert.throws(() => app2.append(NO_REF, a, 1000, 1));
    await app2.rollback();
    const text = db.metricsText();
    const value = (name: string): number => {
      const m = new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text);
      assert.ok(m !== null, `${name} in:\n${text}`);
      return Number(m[1]);
    };
    assert.equal(value('prometheus_tsdb_head_series'), 2);
    assert.equal(value('prometheus_tsdb_head_samples_appended_total'), 3);
    assert.equal(value('prometheus_tsdb_out_of_order_samples_total'), 1);
    assert.equal(value('prometheus_tsdb_head_max_time'), 3000);
    assert.equal(value('prometheus_tsdb_head_min_time'), 2000);
    assert.ok(value('prometheus_tsdb_wal_fsync_duration_seconds_count') >= 1, 'sync interval 0 fsyncs each commit');
    assert.match(text, /^# TYPE prometheus_tsdb_head_series gauge$/m);
    assert.match(text, /^prometheus_tsdb_head_samples_appended_total\{type="float"\} 3$/m);
    await db.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('tsdb snapshot with head is a data directory that opens with every sample, blocks hard-linked', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-admin-'));
  try {
    const db = await openDB(join(dir, 'data'), { log: () => {}, autoCompact: false });
    for (let k = 0; k < 5 * 60; k++) {
      const app = db.appender();
      app.append(NO_REF, a, 1_700_000_000_000 + k * 60_000, k);
      await app.commit();
    }
    await db.compact();
    assert.ok(db.blocks.blocks().length > 0, 'a block exists');
    await db.snapshot(join(dir, 'snap'), true);
    await db.close();
    const snap = await openDB(join(dir, 'snap'), { log: () => {}, autoCompact: false });
    try {
      assert.ok(snap.blocks.blocks().length >= 2, 'blocks plus the head block');
      const q = await snap.querier(0, Number.MAX_SAFE_INTEGER);
      const ss = await q.select(false, null, [new Matcher(MatchType.Equal, 'job', 'a')]);
      assert.ok(ss.next());
      const it = ss.at().iterator();
      let n = 0;
      while (it.next() !== ValueType.None) {
        assert.equal(it.atT(), 1_700_000_000_000 + n * 60_000);
        assert.equal(it.atV(), n);
        n++;
      }
      assert.equal(n, 5 * 60);
      await q.close();
    } finally {
      await snap.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('tsdb out-of-order samples within the window are logged, replayed and merged in time order after reopen', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-admin-'));
  try {
    let db = await openDB(dir, { log: () => {}, autoCompact: false, outOfOrderWindowMs: 600_000 });
    let app = db.appender();
    for (let t = 100_000; t <= 500_000; t += 100_000) app.append(NO_REF, a, t, t);
    await app.commit();
    app = db.appender();
    app.append(NO_REF, a, 150_000, 1);
    app.append(NO_REF, a, 450_000, 2);
    await app.commit();
    const want = [100_000, 150_000, 200_000, 300_000, 400_000, 450_000, 500_000];
    assert.deepEqual(await times(db, a), want);
    await db.close();
    db = await openDB(dir, { log: () => {}, autoCompact: false, outOfOrderWindowMs: 600_000 });
    assert.deepEqual(await times(db, a), want);
    await db.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('tsdb lock file keeps a second live process out and is taken over when its owner died', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-admin-'));
  const other = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
  try {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'lock'), `${other.pid}\n`);
    await assert.rejects(openDB(dir, { log: () => {}, autoCompact: false }), (e: unknown) => e instanceof DataDirLockedError && /locked by the running process/.test(e.message));
    other.kill('SIGKILL');
    await new Promise((r) => other.once('exit', r));
    const db = await openDB(dir, { log: () => {}, autoCompact: false });
    assert.equal(readFileSync(join(dir, 'lock'), 'utf8').trim(), String(process.pid));
    await db.close();
    assert.ok(!existsSync(join(dir, 'lock')), 'close releases the lock');
  } finally {
    other.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});

test('tsdb delete reaches blocks too, and clean tombstones rewrites them without the deleted samples', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-admin-'));
  try {
    const T0 = 1_700_000_000_000;
    const db = await openDB(dir, { log: () => {}, autoCompact: false });
    for (let k = 0; k < 5 * 60; k++) {
      const app = db.appender();
      app.append(NO_REF, a, T0 + k * 60_000, k);
      await app.commit();
    }
    await db.compact();
    assert.ok(db.blocks.blocks().length > 0);
    await db.delete(T0, T0 + 9 * 60_000, [new Matcher(MatchType.Equal, 'job', 'a')]);
    const count = async (): Promise<number> => {
      const q = await db.querier(0, Number.MAX_SAFE_INTEGER);
      const ss = await q.select(false, null, [new Matcher(MatchType.Equal, 'job', 'a')]);
      let n = 0;
      while (ss.next()) {
        const it = ss.at().iterator();
        while (it.next() !== ValueType.None) {
          assert.ok(it.atT() > T0 + 9 * 60_000, `deleted sample ${it.atT()} served`);
          n++;
        }
      }
      await q.close();
      return n;
    };
    assert.equal(await count(), 5 * 60 - 10);
    assert.ok((await db.cleanTombstones()) >= 1, 'a block was rewritten');
    assert.equal(await count(), 5 * 60 - 10);
    await db.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
