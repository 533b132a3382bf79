/**
 * Interoperability with real Prometheus tooling (promtool 2.42, installed by
 * test/setup_deps.mjs): promtool reads blocks Vigil writes, Vigil reads blocks
 * promtool writes, and both backfill the same OpenMetrics input identically.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { Block } from '../block/block.js';
import { BlockStore } from '../block/block_store.js';
import { BlockChunk, writeBlock } from '../block/block_writer.js';
import { encodeXOR } from '../chunkenc/chunk.js';
import { openDB } from '../db.js';
import { compareLabelsUtf8 } from '../index/index_writer.js';
import { Labels } from '../labels.js';
import { NO_REF, STALE_NAN, ValueType } from '../storage.js';
import { runTsdbCommand } from './tsdb_command.js';

const run = promisify(execFile);

async function promtool(...args: string[]): Promise<string> {
  try {
    const { stdout } = await run('promtool', args, { maxBuffer: 64 << 20 });
    return stdout;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new Error('promtool is not installed (apt-get install prometheus; test/setup_deps.mjs does it as root)');
    }
    throw e;
  }
}

async function vigil(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runTsdbCommand(argv, { out: (s) => (out += s), err: (s) => (err += s) });
  return { code, out, err };
}

/** Deterministic pseudo-random numbers. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296;
}

interface Gen {
  labels: Labels;
  ts: number[];
  vs: number[];
}

/** Series with awkward values (NaN, stale NaN, ±Inf, tiny, huge, negative) and jittered timestamps. */
function generate(n: number, samples: number, t0: number): Gen[] {
  const r = rng(99);
  const special = [Number.NaN, STALE_NAN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 1e-7, 1234567.25, -0.5, 3e300, 0];
  const out: Gen[] = [];
  for (let i = 0; i < n; i++) {
    const ts: number[] = [];
    const vs: number[] = [];
    let t = t0 + i * 7;
    let v = i;
    for (let k = 0; k < samples; k++) {
      ts.push(t);
      if (i % 4 === 0) v += Math.floor(r() * 100);
      else if (i % 4 === 1) v = Math.round(r() * 1e4) / 100;
      else if (i % 4 === 2) v = special[k % special.length]!;
      else v = -r() * 1e-3;
      vs.push(v);
      t += 15_000 + (r() < 0.2 ? Math.floor(r() * 2000) : 0);
    }
    out.push({ labels: Labels.from({ __name__: `gen_metric_${i % 3}`, instance: `host-${i}:9100`, job: i % 2 ? 'node' : 'app', path: i % 5 === 0 ? '/a "quoted"\\path' : '/' }), ts, vs });
  }
  return out.sort((a, b) => compareLabelsUtf8(a.labels, b.labels));
}

const bits = (v: number) => {
  const dv = new DataView(new ArrayBuffer(8));
  dv.setFloat64(0, v);
  return dv.getBigUint64(0);
};

test('promtool tsdb analyze, dump and list read a block Vigil wrote, dumping the same samples', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'vigil-interop-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const t0 = 1_700_000_000_000;
  const gen = generate(25, 400, t0);
  const maxT = Math.max(...gen.map((g) => g.ts[g.ts.length - 1]!));
  await writeBlock(
    dir,
    gen.map((g) => g.labels),
    (i) => {
      const g = gen[i]!;
      const out: BlockChunk[] = [];
      for (let k = 0; k < g.ts.length; k += 120) {
        const e = Math.min(g.ts.length, k + 120);
        out.push(new BlockChunk(encodeXOR(g.ts, g.vs, k, e), g.ts[k]!, g.ts[e - 1]!));
      }
      return out;
    },
    { minTime: t0, maxTime: maxT + 1 },
  );
  await mkdir(join(dir, 'wal')); // promtool dump opens the directory as a read-only DB, which wants a WAL dir
  const dumped = await promtool('tsdb', 'dump', dir);
  const lines = dumped.trimEnd().split('\n');
  assert.equal(lines.length, 25 * 400);
  // Parse promtool's lines back and compare with the generated data, value bits included
  // (promtool prints every NaN as "NaN", so NaNs compare as NaN).
  const byLabels = new Map(gen.map((g) => [g.labels.toString(), g]));
  const seen = new Map<string, number>();
  for (const line of lines) {
    const m = /^(\{.*\}) (\S+) (-?\d+)$/.exec(line);
    assert.ok(m, `unexpected dump line ${line}`);
    const g = byLabels.get(m[1]!);
    assert.ok(g, `unknown series ${m[1]}`);
    const k = seen.get(m[1]!) ?? 0;
    seen.set(m[1]!, k + 1);
    assert.equal(Number(m[3]), g.ts[k]);
    const want = g.vs[k]!;
    const got = m[2] === '+Inf' ? Number.POSITIVE_INFINITY : m[2] === '-Inf' ? Number.NEGATIVE_INFINITY : Number(m[2]);
    if (Number.isNaN(want)) assert.ok(Number.isNaN(got));
    else assert.equal(bits(got), bits(want), `${line}: want ${want}`);
  }
  // Vigil's dump prints exactly what promtool prints.
  const ours = await vigil('dump', dir);
  assert.equal(ours.code, 0, ours.err);
  assert.equal(ours.out, dumped);
  const ourSel = await vigil('dump', '--match={job="node", __name__=~"gen_metric_[12]"}', `--min-time=${t0 + 1_000_000}`, `--max-time=${t0 + 2_000_000}`, dir);
  const theirSel = await promtool('tsdb', 'dump', '--match={job="node", __name__=~"gen_metric_[12]"}', `--min-time=${t0 + 1_000_000}`, `--max-time=${t0 + 2_000_000}`, dir);
  assert.ok(theirSel.length > 0);
  assert.equal(ourSel.out, theirSel);

  // A limit above every section's size, so ties at the cut-off cannot differ.
  const analyzed = await promtool('tsdb', 'analyze', '--limit=1000', '--extended', dir);
  assert.match(analyzed, /Series: 25\n/);
  assert.match(analyzed, /Label names: 4\n/);
  const ourAnalyze = await vigil('analyze', '--limit=1000', '--extended', dir);
  // Same header and the same rows per section (promtool orders ties arbitrarily).
  const sections = (s: string) => s.split('\n\n').map((sec) => sec.split('\n').filter((l) => l !== '').sort().join('\n'));
  assert.deepEqual(sections(ourAnalyze.out), sections(analyzed));

  assert.equal((await vigil('list', dir)).out, await promtool('tsdb', 'list', dir));
  assert.equal((await vigil('list', '-r', dir)).out, await promtool('tsdb', 'list', '-r', dir));
  assert.equal((await vigil('list', '--human-readable', dir)).out, await promtool('tsdb', 'list', '--human-readable', dir));
});

/** OpenMetrics text for generated series (only finite values: OpenMetrics allows NaN/Inf, kept simple here). */
function openMetrics(gen: Gen[]): string {
  let s = '# HELP gen_metric_0 Generated.\n# TYPE gen_metric_0 gauge\n';
  // Interleave series per timestamp index, as a scrape history would look.
  const n = Math.max(...gen.map((g) => g.ts.length));
  for (let k = 0; k < n; k++) {
    for (const g of gen) {
      if (k >= g.ts.length) continue;
      const ls: string[] = [];
      g.labels.forEach((name, value) => {
        if (name !== '__name__') ls.push(`${name}="${value.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`);
      });
      const v = g.vs[k]!;
      const vt = Number.isNaN(v) ? 'NaN' : v === Number.POSITIVE_INFINITY ? '+Inf' : v === Number.NEGATIVE_INFINITY ? '-Inf' : String(v);
      s += `${g.labels.metricName()}{${ls.join(',')}} ${vt} ${(g.ts[k]! / 1000).toFixed(3)}\n`;
    }
  }
  return `${s}# EOF\n`;
}

test('Vigil reads blocks made by promtool create-blocks-from openmetrics and returns their samples', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'vigil-interop-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const gen = generate(12, 900, 1_700_000_000_000); // ~4h: spans several 2h blocks
  const file = join(dir, 'in.om');
  await writeFile(file, openMetrics(gen));
  await promtool('tsdb', 'create-blocks-from', 'openmetrics', file, join(dir, 'prom'));
  const names = (await readdir(join(dir, 'prom'))).sort();
  assert.ok(names.length >= 2, `expected several blocks, got ${names.length}`);
  const got = new Map<string, { ts: number[]; vs: number[] }>();
  for (const n of names) {
    const b = await Block.open(join(dir, 'prom', n));
    const ss = await b.querier(b.minTime, b.maxTime).select(true, null, []);
    while (ss.next()) {
      const key = ss.at().labels.toString();
      const e = got.get(key) ?? { ts: [], vs: [] };
      const it = ss.at().iterator();
      while (it.next() !== ValueType.None) {
        e.ts.push(it.atT());
        e.vs.push(it.atV());
      }
      assert.equal(it.err(), null);
      got.set(key, e);
    }
    assert.equal(ss.err(), null);
  }
  assert.equal(got.size, gen.length);
  for (const g of gen) {
    const e = got.get(g.labels.toString())!;
    assert.deepEqual(e.ts, g.ts);
    for (let k = 0; k < g.vs.length; k++) {
      const want = g.vs[k]!;
      if (Number.isNaN(want)) assert.ok(Number.isNaN(e.vs[k]!));
      else assert.equal(e.vs[k], want);
    }
  }
});

test('vigil create-blocks-from openmetrics writes the same index and chunk bytes as promtool', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'vigil-interop-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const gen = generate(10, 1000, 1_700_000_100_000);
  const file = join(dir, 'in.om');
  await writeFile(file, openMetrics(gen));
  await promtool('tsdb', 'create-blocks-from', 'openmetrics', file, join(dir, 'prom'));
  const res = await vigil('create-blocks-from', 'openmetrics', file, join(dir, 'vigil'));
  assert.equal(res.code, 0, res.err);
  assert.match(res.out, /^BLOCK ULID {2,}MIN TIME/);
  const pn = (await readdir(join(dir, 'prom'))).sort();
  const vn = (await readdir(join(dir, 'vigil'))).sort();
  assert.equal(vn.length, pn.length);
  for (let i = 0; i < pn.length; i++) {
    for (const f of ['index', 'chunks/000001', 'tombstones']) {
      const a = await readFile(join(dir, 'prom', pn[i]!, f));
      const b = await readFile(join(dir, 'vigil', vn[i]!, f));
      assert.ok(a.equals(b), `${f} of block ${i} differs (${a.length} vs ${b.length} bytes)`);
    }
    const pm = JSON.parse(await readFile(join(dir, 'prom', pn[i]!, 'meta.json'), 'utf8'));
    const vm = JSON.parse(await readFile(join(dir, 'vigil', vn[i]!, 'meta.json'), 'utf8'));
    assert.deepEqual({ ...vm, ulid: 0, compaction: { ...vm.compaction, sources: 0 } }, { ...pm, ulid: 0, compaction: { ...pm.compaction, sources: 0 } });
  }
});

test('create-blocks-from reports bad input with file and line', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'vigil-interop-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const cases: [string, RegExp][] = [
    ['a 1\n# EOF\n', /in\.om:1: expected timestamp for series a/],
    ['a 1 10\na 2 5\n# EOF\n', /in\.om:2: out of order sample/],
    ['a 1 10\na 2 10\n# EOF\n', /in\.om:2: duplicate sample for timestamp 10000/],
    ['a{b="x} 1 10\n# EOF\n', /in\.om:1:\d+: unterminated label value/],
    ['a 1 10\n', /in\.om:2:1: data does not end with "# EOF"/],
  ];
  for (const [text, re] of cases) {
    const file = join(dir, 'in.om');
    await writeFile(file, text);
    const r = await vigil('create-blocks-from', 'openmetrics', file, join(dir, 'out'));
    assert.equal(r.code, 1);
    assert.match(r.err, re);
  }
  // A repeated sample with the same value is ignored, as the head does.
  await writeFile(join(dir, 'ok.om'), 'a 1 10\na 1 10\n# EOF\n');
  const ok = await vigil('create-blocks-from', 'openmetrics', '--quiet', join(dir, 'ok.om'), join(dir, 'ok'));
  assert.equal(ok.code, 0, ok.err);
  assert.equal(ok.out, '');
  assert.match((await vigil('dump', join(dir, 'ok'))).out, /^\{__name__="a"\} 1 10000\n$/);
});

test('Vigil compacts promtool-made blocks inside a Prometheus-style data dir; promtool dumps the same samples after', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'vigil-interop-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const start = 1_699_963_200_000; // aligned to 6h (and 18h)
  const gen = generate(8, 10 * 240, start); // 10h at ~15s
  const file = join(dir, 'in.om');
  await writeFile(file, openMetrics(gen));
  const data = join(dir, 'data');
  await promtool('tsdb', 'create-blocks-from', 'openmetrics', '--quiet', file, data);
  // What a Prometheus data directory also holds; none of it is a block.
  await mkdir(join(data, 'wal'));
  await mkdir(join(data, 'chunks_head'));
  await writeFile(join(data, 'lock'), '');
  await writeFile(join(data, 'queries.active'), '');
  const before = await promtool('tsdb', 'dump', data);
  const nBefore = (await readdir(data)).filter((n) => /^[0-9A-Z]{26}$/.test(n)).length;
  const logs: string[] = [];
  const store = await BlockStore.open(data, { log: (m) => logs.push(m) });
  assert.equal(store.blocks().length, nBefore);
  assert.ok((await store.compact()) >= 1);
  await store.close();
  assert.ok(!logs.some((l) => l.includes('corrupt')), logs.join('\n'));
  const after = (await readdir(data)).filter((n) => /^[0-9A-Z]{26}$/.test(n));
  assert.ok(after.length < nBefore, `${after.length} blocks after compaction, ${nBefore} before`);
  assert.deepEqual((await readdir(data)).filter((n) => !/^[0-9A-Z]{26}$/.test(n)).sort(), ['chunks_head', 'lock', 'queries.active', 'wal']);
  assert.equal(await promtool('tsdb', 'dump', data), before);
  // The compacted block is the newest ULID; it spans the first three 2h windows.
  assert.match(await promtool('tsdb', 'analyze', data, after.sort()[after.length - 1]!), /Duration: 5h5\dm|Duration: 6h0m0s/);
});

test('vigil tsdb dump includes WAL-only samples, exactly as promtool dumps a Vigil data directory', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'vigil-interop-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const db = await openDB(dir, { log: () => {} });
  const t0 = 1_699_999_200_000;
  // ~4h: the older part becomes a block, the rest stays in the head (WAL only).
  for (let k = 0; k < 4 * 240; k++) {
    const a = db.appender();
    for (let i = 0; i < 3; i++) a.append(NO_REF, Labels.from({ __name__: 'wal_metric', i: String(i) }), t0 + k * 15_000 + i, k * 1.25 + i);
    await a.commit();
  }
  await db.compact();
  await db.close();
  const blocks = (await readdir(dir)).filter((n) => /^[0-9A-Z]{26}$/.test(n));
  assert.ok(blocks.length >= 1, 'part of the data was persisted as a block');
  const ours = await vigil('dump', dir);
  assert.equal(ours.code, 0, ours.err);
  assert.equal(ours.out.trimEnd().split('\n').length, 3 * 4 * 240, 'every sample, from blocks and WAL');
  assert.equal(ours.out, await promtool('tsdb', 'dump', dir));
});
