/**
 * Vigil opens the data directory of a real Prometheus: a `prometheus` process
 * scrapes itself for a few seconds and is stopped; then `promtool tsdb dump`
 * (Prometheus reading its own directory) and Vigil's `openDB` must return the
 * same samples. Prometheus compresses its WAL with Snappy by default, so this
 * also covers compressed records. Skipped when `prometheus` is not installed.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { openDB } from './db.js';
import { ValueType } from './storage.js';

const hasPrometheus = spawnSync('prometheus', ['--version']).status === 0 && spawnSync('promtool', ['--version']).status === 0;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => resolve(typeof a === 'object' && a !== null ? a.port : 0));
    });
  });
}

async function waitForSamples(port: number, min: number): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    try {
      const r = await fetch(`http://127.0.0.1:${port}/api/v1/query?query=prometheus_tsdb_head_samples_appended_total`);
      const j = (await r.json()) as { data?: { result?: { value: [number, string] }[] } };
      const v = Number(j.data?.result?.[0]?.value[1] ?? 0);
      if (v >= min) return;
    } catch {
      // Not up yet.
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error('prometheus did not ingest samples within 30s');
}

/** Counts fragments with the Snappy flag by walking the page/fragment framing. */
function snappyFragments(b: Uint8Array): number {
  let n = 0;
  let off = 0;
  const PAGE = 32 * 1024;
  while (off < b.length) {
    const pageEnd = (Math.floor(off / PAGE) + 1) * PAGE;
    if (pageEnd - off < 7 || b[off] === 0) {
      off = pageEnd;
      continue;
    }
    if ((b[off]! & 8) !== 0) n++;
    off += 7 + ((b[off + 1]! << 8) | b[off + 2]!);
  }
  return n;
}

function key(labels: string, t: number): string {
  return `${labels} ${t}`;
}

test('tsdb opens a real Prometheus data directory (Snappy WAL) and returns what promtool dumps', { skip: hasPrometheus ? false : 'prometheus/promtool not installed' }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-promdir-'));
  try {
    const port = await freePort();
    writeFileSync(
      join(dir, 'prometheus.yml'),
      `global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: self\n    static_configs: [{targets: ['127.0.0.1:${port}']}]\n`,
    );
    const data = join(dir, 'data');
    const p = spawn('prometheus', [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${data}`, `--web.listen-address=127.0.0.1:${port}`], {
      stdio: 'ignore',
    });
    try {
      // A few scrapes of Prometheus's own ~1000 series.
      await waitForSamples(port, 2500);
    } finally {
      p.kill('SIGTERM');
      await new Promise((r) => p.once('exit', r));
    }

    const dump = spawnSync('promtool', ['tsdb', 'dump', data], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
    assert.equal(dump.status, 0, dump.stderr);
    const want = new Map<string, string>();
    for (const line of dump.stdout.split('\n')) {
      if (line === '') continue;
      const m = /^(\{.*\}) (\S+) (-?\d+)$/.exec(line);
      assert.ok(m !== null, `dump line: ${line}`);
      want.set(key(m[1]!, Number(m[3])), m[2]!);
    }
    assert.ok(want.size >= 2500, `promtool dumped ${want.size} samples`);

    // Prometheus's default WAL compression is Snappy: make sure compressed fragments were read.
    assert.ok(snappyFragments(readFileSync(join(data, 'wal', '00000000'))) > 0, 'the WAL holds Snappy-compressed records');

    const logs: string[] = [];
    const db = await openDB(data, { log: (m) => logs.push(m), autoCompact: false });
    const got = new Map<string, number>();
    try {
      assert.ok(!logs.some((l) => l.includes('WAL repaired')), `no repair of a clean Prometheus WAL: ${logs.join('\n')}`);
      const q = await db.querier(Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
      const ss = await q.select(false, null, []);
      while (ss.next()) {
        const s = ss.at();
        const it = s.iterator();
        while (it.next() !== ValueType.None) got.set(key(s.labels.toString(), it.atT()), it.atV());
        assert.equal(it.err(), null);
      }
      await q.close();
    } finally {
      await db.close();
    }
    assert.equal(got.size, want.size, 'same number of samples');
    let checked = 0;
    for (const [k, text] of want) {
      const v = got.get(k);
      assert.ok(v !== undefined, `Vigil lacks ${k}`);
      if (text === 'NaN') assert.ok(Number.isNaN(v), k);
      else if (text === '+Inf') assert.equal(v, Number.POSITIVE_INFINITY, k);
      else if (text === '-Inf') assert.equal(v, Number.NEGATIVE_INFINITY, k);
      else assert.equal(v, Number(text), k);
      checked++;
    }
    assert.equal(checked, want.size);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
