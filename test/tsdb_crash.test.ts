/**
 * Crash safety of the TSDB with real processes and files: a child appends and
 * commits in a loop and is killed with SIGKILL at a random moment; after
 * reopening, every sample whose commit had returned must be there. A WAL cut
 * mid-record and a WAL with flipped bytes must both open, repaired, with the
 * loss logged.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { openDB, type TSDB } from '../tsdb/db.js';
import { Labels } from '../tsdb/labels.js';
import { MatchType, Matcher } from '../tsdb/matcher.js';
import { NO_REF, ValueType } from '../tsdb/storage.js';
import { listSegments, segmentPath } from '../tsdb/wal/segment.js';

const child = fileURLToPath(new URL('./tsdb_crash_child.js', import.meta.url));
const SERIES = 50;

/** Runs the child until it has printed `lines` committed timestamps (plus a random delay), then SIGKILLs it. */
function runAndKill(dir: string, lines: number, extraMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [child, dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let buf = '';
    let acked = -1;
    let count = 0;
    let killing = false;
    let stderr = '';
    const guard = setTimeout(() => p.kill('SIGKILL'), 60_000);
    p.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    p.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl = buf.indexOf('\n');
      while (nl >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        nl = buf.indexOf('\n');
        if (line.startsWith('ready')) continue;
        acked = Number(line);
        count++;
        if (count >= lines && !killing) {
          killing = true;
          setTimeout(() => p.kill('SIGKILL'), extraMs);
        }
      }
    });
    p.on('exit', (_code, signal) => {
      clearTimeout(guard);
      if (signal !== 'SIGKILL') reject(new Error(`child exited without being killed: ${stderr}`));
      else resolve(acked);
    });
  });
}

async function samplesPerSeries(db: TSDB): Promise<Map<string, number[]>> {
  const q = await db.querier(Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
  const ss = await q.select(true, null, [new Matcher(MatchType.Equal, '__name__', 'crash_test')]);
  const out = new Map<string, number[]>();
  while (ss.next()) {
    const it = ss.at().iterator();
    const ts: number[] = [];
    while (it.next() !== ValueType.None) ts.push(it.atT());
    assert.equal(it.err(), null);
    out.set(ss.at().labels.get('series'), ts);
  }
  await q.close();
  return out;
}

test('tsdb keeps every acknowledged sample when the writer is killed with SIGKILL at random moments', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-crash-'));
  try {
    let acked = 0;
    for (let round = 0; round < 3; round++) {
      const lines = 50 + Math.floor(Math.random() * 400);
      const got = await runAndKill(dir, lines, Math.floor(Math.random() * 30));
      assert.ok(got > acked, `round ${round} made progress`);
      acked = got;
      const logs: string[] = [];
      const db = await openDB(dir, { log: (m) => logs.push(m), autoCompact: false });
      try {
        const per = await samplesPerSeries(db);
        assert.equal(per.size, SERIES);
        for (const [series, ts] of per) {
          // Every batch up to the last acknowledged one is present, each exactly once and in order.
          assert.ok(ts.length >= acked / 1000, `series ${series}: ${ts.length} samples, acked up to ${acked}`);
          for (let i = 0; i < acked / 1000; i++) assert.equal(ts[i], (i + 1) * 1000, `series ${series} sample ${i}`);
        }
      } finally {
        await db.close();
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** Writes `batches` batches through a DB and closes it; returns the data dir. */
async function writeSome(batches: number): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-walrepair-'));
  const db = await openDB(dir, { log: () => {}, autoCompact: false });
  const ls = Array.from({ length: SERIES }, (_, i) => Labels.fromStrings('__name__', 'crash_test', 'series', String(i)));
  for (let b = 1; b <= batches; b++) {
    const app = db.appender();
    for (const l of ls) app.append(NO_REF, l, b * 1000, b);
    await app.commit();
  }
  await db.close();
  return dir;
}

test('tsdb opens a WAL truncated mid-record, keeps the records before it and logs what was dropped', async () => {
  const dir = await writeSome(200);
  try {
    const wal = join(dir, 'wal');
    const seg = segmentPath(wal, listSegments(wal).at(-1)!);
    const size = statSync(seg).size;
    truncateSync(seg, size - 333);
    const logs: string[] = [];
    const db = await openDB(dir, { log: (m) => logs.push(m), autoCompact: false });
    try {
      const repair = logs.find((l) => l.includes('WAL repaired'));
      assert.ok(repair !== undefined, `repair logged: ${logs.join('\n')}`);
      assert.match(repair, /torn fragment|unfinished/);
      assert.match(repair, /dropped its last \d+ bytes/);
      const per = await samplesPerSeries(db);
      const counts = [...per.values()].map((ts) => ts.length);
      // Only the last batch was damaged.
      assert.ok(counts.every((n) => n === 199 || n === 200), `counts ${counts}`);
      assert.ok(counts.some((n) => n === 199));
      // Appends work again after the repair.
      const app = db.appender();
      app.append(NO_REF, Labels.fromStrings('__name__', 'crash_test', 'series', '0'), 500_000, 1);
      await app.commit();
    } finally {
      await db.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('tsdb opens a WAL with flipped bytes, keeps every record before the damage and logs the loss', async () => {
  const dir = await writeSome(200);
  try {
    const wal = join(dir, 'wal');
    const seg = segmentPath(wal, listSegments(wal).at(-1)!);
    const b = readFileSync(seg);
    const at = Math.floor(b.length / 2);
    b[at] = b[at]! ^ 0x5a;
    b[at + 1] = b[at + 1]! ^ 0xa5;
    writeFileSync(seg, b);
    const logs: string[] = [];
    const db = await openDB(dir, { log: (m) => logs.push(m), autoCompact: false });
    try {
      const repair = logs.find((l) => l.includes('WAL repaired'));
      assert.ok(repair !== undefined, `repair logged: ${logs.join('\n')}`);
      assert.match(repair, /checksum mismatch/);
      const per = await samplesPerSeries(db);
      const counts = [...per.values()].map((ts) => ts.length);
      // Batches before the damaged one survive in full; later ones are gone.
      const min = Math.min(...counts);
      assert.ok(min >= 50 && min < 200, `kept a prefix: ${min}`);
      for (const ts of per.values()) for (let i = 0; i < min; i++) assert.equal(ts[i], (i + 1) * 1000);
    } finally {
      await db.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
