/**
 * A full disk (a real 1 MiB tmpfs): commits fail with a clear, typed error and
 * nothing acknowledged is lost or corrupted; once space returns, appends work
 * again, and a reopen finds every acknowledged sample without any repair.
 * Needs root to mount tmpfs; skipped otherwise.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { openDB, type TSDB } from '../tsdb/db.js';
import { Labels } from '../tsdb/labels.js';
import { MatchType, Matcher } from '../tsdb/matcher.js';
import { NO_REF, ValueType } from '../tsdb/storage.js';

function tryMount(dir: string): boolean {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) return false;
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', dir], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const SERIES = 20;
const labels = Array.from({ length: SERIES }, (_, i) => Labels.fromStrings('__name__', 'disk_full_test', 'i', String(i)));

async function commitBatch(db: TSDB, t: number): Promise<void> {
  const app = db.appender();
  for (let i = 0; i < SERIES; i++) app.append(NO_REF, labels[i]!, t, t / 1000 + i);
  await app.commit();
}

async function timestamps(db: TSDB): Promise<number[][]> {
  const q = await db.querier(0, Number.MAX_SAFE_INTEGER);
  const ss = await q.select(true, null, [new Matcher(MatchType.Equal, '__name__', 'disk_full_test')]);
  const out: number[][] = [];
  while (ss.next()) {
    const it = ss.at().iterator();
    const ts: number[] = [];
    while (it.next() !== ValueType.None) ts.push(it.atT());
    out.push(ts);
  }
  await q.close();
  return out;
}

const base = mkdtempSync(join(tmpdir(), 'vigil-diskfull-'));
const mounted = tryMount(base);

test('tsdb on a full disk rejects commits with a clear error, loses nothing acknowledged and recovers when space returns', { skip: mounted ? false : 'needs root to mount a tmpfs' }, async () => {
  const dir = join(base, 'data');
  const ballast = join(base, 'ballast');
  try {
    const logs: string[] = [];
    const db = await openDB(dir, { log: (m) => logs.push(m), autoCompact: false, walSegmentSize: 256 * 1024 });
    // Leave little room, then write until a commit fails.
    writeFileSync(ballast, Buffer.alloc(700 * 1024));
    let acked = 0;
    let failure: unknown = null;
    for (let t = 1000; t < 100_000_000; t += 1000) {
      try {
        await commitBatch(db, t);
        acked = t;
      } catch (e) {
        failure = e;
        break;
      }
    }
    assert.ok(acked > 0, 'some commits succeeded first');
    assert.ok(failure instanceof Error, 'a commit failed');
    assert.equal((failure as { code?: string }).code, 'wal_write_failed');
    assert.match(failure.message, /ENOSPC/);
    assert.match(failure.message, /wal/);
    // Everything acknowledged is served; the failed batch is not.
    for (const ts of await timestamps(db)) assert.equal(ts[ts.length - 1], acked);

    // Space returns: appends work again.
    rmSync(ballast);
    const next = acked + 1000;
    await commitBatch(db, next);
    await commitBatch(db, next + 1000);
    await db.close();

    const logs2: string[] = [];
    const db2 = await openDB(dir, { log: (m) => logs2.push(m), autoCompact: false });
    try {
      assert.ok(!logs2.some((l) => l.includes('WAL repaired')), `no repair needed: ${logs2.join('\n')}`);
      for (const ts of await timestamps(db2)) {
        assert.equal(ts.length, acked / 1000 + 2);
        for (let k = 0; k < acked / 1000; k++) assert.equal(ts[k], (k + 1) * 1000);
        assert.deepEqual(ts.slice(-2), [next, next + 1000]);
      }
    } finally {
      await db2.close();
    }
  } finally {
    try {
      execFileSync('umount', [base], { stdio: 'ignore' });
    } catch {
      // Not mounted.
    }
    rmSync(base, { recursive: true, force: true });
  }
});

if (!mounted) rmSync(base, { recursive: true, force: true });
