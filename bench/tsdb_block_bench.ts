/**
 * Bytes per sample on disk, Vigil beside Prometheus, for one deterministic dataset
 * (bench/tsdb_dataset.ts). Run after `npx tsc -p .`:
 *
 *   node dist/bench/tsdb_block_bench.js [--node-targets=6] [--app-targets=4] [--hours=8]
 *
 * Measured:
 * - Vigil, head-style: 2h blocks whose chunks are cut as the head cuts them, then
 *   leveled compaction (2h → 6h → 18h) as the server runs it;
 * - Vigil backfill: `vigil tsdb create-blocks-from openmetrics` of the dataset;
 * - Prometheus: `promtool tsdb create-blocks-from openmetrics` of the same text
 *   (when promtool is on PATH).
 * Bytes count every file of every block (index, chunks, tombstones, meta.json),
 * as `promtool tsdb list` sizes them; "chunk bytes" counts chunk segments only.
 */
import { execFileSync } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdtemp, readFile, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { BlockStore } from '../tsdb/block/block_store.js';
import { writeBlock } from '../tsdb/block/block_writer.js';
import { SeriesSamples, chunkWindow, createBlocksFromOpenMetrics } from '../tsdb/cli/create_blocks.js';
import { compareLabelsUtf8 } from '../tsdb/index/index_writer.js';
import { type SampleIterator, ValueType } from '../tsdb/storage.js';
import { type DatasetSeries, generateDataset, writeOpenMetrics } from './tsdb_dataset.js';

const BLOCK = 2 * 3600_000;

function flag(name: string, dflt: number): number {
  const a = process.argv.find((x) => x.startsWith(`--${name}=`));
  return a === undefined ? dflt : Number(a.slice(name.length + 3));
}

interface DirSize {
  total: number;
  chunks: number;
  blocks: number;
}

async function sizeOf(dir: string): Promise<DirSize> {
  const r: DirSize = { total: 0, chunks: 0, blocks: 0 };
  for (const b of await readdir(dir)) {
    if (!/^[0-9A-Z]{26}$/.test(b)) continue;
    r.blocks++;
    for (const f of ['index', 'tombstones', 'meta.json']) r.total += (await stat(join(dir, b, f))).size;
    for (const c of await readdir(join(dir, b, 'chunks'))) {
      const s = (await stat(join(dir, b, 'chunks', c))).size;
      r.total += s;
      r.chunks += s;
    }
  }
  return r;
}

/** Writes 2h blocks with head-style chunks, as the server's head compaction produces them. */
async function writeHeadStyleBlocks(dir: string, data: readonly DatasetSeries[]): Promise<void> {
  const sorted = [...data].sort((a, b) => compareLabelsUtf8(a.labels, b.labels));
  const samples = sorted.map((s) => {
    const x = new SeriesSamples(s.labels);
    x.ts = s.ts;
    x.vs = s.vs;
    x.lines = new Uint32Array(s.ts.length);
    x.n = s.ts.length;
    return x;
  });
  let mint = Number.POSITIVE_INFINITY;
  let maxt = Number.NEGATIVE_INFINITY;
  for (const s of data) {
    mint = Math.min(mint, s.ts[0]!);
    maxt = Math.max(maxt, s.ts[s.ts.length - 1]!);
  }
  for (let t = Math.floor(mint / BLOCK) * BLOCK; t <= maxt; t += BLOCK) {
    const chunks = samples.map((s) => chunkWindow(s, t, t + BLOCK, BLOCK, 'dataset'));
    // The head persists [t, t+2h) as one block whose range is the whole window.
    await writeBlock(dir, sorted.map((s) => s.labels), (i) => chunks[i]!, { minTime: t, maxTime: t + BLOCK, now: () => t });
  }
}

function havePromtool(): boolean {
  try {
    execFileSync('promtool', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

async function main(): Promise<void> {
  const hours = flag('hours', 8);
  const data = generateDataset({ nodeTargets: flag('node-targets', 6), appTargets: flag('app-targets', 4), durationMs: hours * 3600_000 });
  const samples = data.reduce((n, s) => n + s.ts.length, 0);
  const root = await mkdtemp(join(tmpdir(), 'vigil-block-bench-'));
  try {
    console.log(`dataset: ${data.length} series, ${samples} samples, ${hours}h at 15s (node_exporter-like and application metrics)`);
    const rows: [string, DirSize, string][] = [];

    const head = join(root, 'vigil-head');
    let t0 = performance.now();
    await writeHeadStyleBlocks(head, data);
    const writeMs = performance.now() - t0;
    rows.push(['Vigil, 2h blocks from head-style chunks', await sizeOf(head), `written in ${writeMs.toFixed(0)} ms`]);
    const store = await BlockStore.open(head, { log: () => {} });
    t0 = performance.now();
    const n = await store.compact();
    const compactMs = performance.now() - t0;
    // Read speed: select everything and iterate every sample (best of 3 runs).
    let bestRead = Number.POSITIVE_INFINITY;
    let read = 0;
    for (let run = 0; run < 3; run++) {
      const r0 = performance.now();
      const q = store.querier(Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
      const ss = await q.select(true, null, []);
      let it: SampleIterator | undefined;
      read = 0;
      while (ss.next()) {
        it = ss.at().iterator(it);
        while (it.next() !== ValueType.None) read++;
      }
      await q.close();
      bestRead = Math.min(bestRead, performance.now() - r0);
    }
    await store.close();
    rows.push([
      `Vigil, after leveled compaction (${n} compactions)`,
      await sizeOf(head),
      `compacted in ${compactMs.toFixed(0)} ms; select+iterate all ${read} samples in ${bestRead.toFixed(0)} ms (${(read / bestRead / 1000).toFixed(2)} M samples/s)`,
    ]);

    const om = join(root, 'dataset.om');
    const ws = createWriteStream(om);
    writeOpenMetrics(data, (c) => ws.write(c));
    await new Promise<void>((res, rej) => ws.end((e?: Error | null) => (e ? rej(e) : res())));
    const text = await readFile(om, 'utf8');
    const vb = join(root, 'vigil-backfill');
    t0 = performance.now();
    await createBlocksFromOpenMetrics(text, om, vb, { maxBlockDuration: 0, humanReadable: false, quiet: true }, { out: () => {}, err: () => {} });
    rows.push(['Vigil, create-blocks-from openmetrics', await sizeOf(vb), `in ${(performance.now() - t0).toFixed(0)} ms`]);

    if (havePromtool()) {
      const pb = join(root, 'promtool');
      t0 = performance.now();
      execFileSync('promtool', ['tsdb', 'create-blocks-from', 'openmetrics', '--quiet', om, pb], { stdio: 'inherit' });
      rows.push(['Prometheus, promtool create-blocks-from openmetrics', await sizeOf(pb), `in ${(performance.now() - t0).toFixed(0)} ms`]);
    } else rows.push(['Prometheus (promtool not installed)', { total: 0, chunks: 0, blocks: 0 }, 'skipped']);

    console.log('');
    console.log(`${'storage'.padEnd(52)} ${'blocks'.padStart(6)} ${'bytes'.padStart(11)} ${'bytes/sample'.padStart(12)} ${'chunk B/sample'.padStart(14)}  note`);
    for (const [name, s, note] of rows) {
      const bps = s.total === 0 ? '-' : (s.total / samples).toFixed(3);
      const cps = s.total === 0 ? '-' : (s.chunks / samples).toFixed(3);
      console.log(`${name.padEnd(52)} ${String(s.blocks).padStart(6)} ${String(s.total).padStart(11)} ${bps.padStart(12)} ${cps.padStart(14)}  ${note}`);
    }
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

await main();
