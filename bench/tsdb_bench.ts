/**
 * Head, WAL and chunk benchmarks on the deterministic dataset of
 * bench/tsdb_dataset.ts (node_exporter and application targets, 15 s scrapes):
 *
 * - append throughput into the head, one commit per target scrape as a scrape
 *   loop does, without and with the WAL (samples/s on one core);
 * - WAL replay speed (samples/s) when reopening;
 * - chunk iteration speed over every head series (samples/s);
 * - bytes per sample of the blocks the DB writes when it compacts the head;
 * - head memory per active series at 100k (and, with --mem1m=1, 1M) series.
 *
 * Run: node --expose-gc dist/bench/tsdb_bench.js [--nodes=N --apps=N --hours=H]
 * Figures only; nothing here fails on timings.
 */
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDB } from '../tsdb/db.js';
import { Head } from '../tsdb/head/head.js';
import { persistHeadRange } from '../tsdb/head/head_compact.js';
import { replayWal } from '../tsdb/head/head_wal.js';
import { Labels } from '../tsdb/labels.js';
import { NO_REF, type SeriesRef, type Appendable, ValueType } from '../tsdb/storage.js';
import { generateDataset, type DatasetSeries } from './tsdb_dataset.js';

function flag(name: string, dflt: number): number {
  const a = process.argv.find((x) => x.startsWith(`--${name}=`));
  return a === undefined ? dflt : Number(a.slice(name.length + 3));
}

class SkipSection extends Error {}

/**
 * Wall-clock and CPU seconds since `start()`. Rates are reported per CPU second
 * too: on a shared machine wall time measures the neighbours, CPU time the code.
 */
class Stopwatch {
  private readonly t0: number;
  private readonly c0: NodeJS.CpuUsage;
  constructor() {
    this.t0 = performance.now();
    this.c0 = process.cpuUsage();
  }
  rate(n: number): string {
    const wall = (performance.now() - this.t0) / 1000;
    const c = process.cpuUsage(this.c0);
    const cpu = (c.user + c.system) / 1e6;
    return `${fmt(n / wall)} samples/s wall, ${fmt(n / cpu)} samples per CPU-second`;
  }
}

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');

interface Target {
  series: DatasetSeries[];
  refs: SeriesRef[];
}

/** Groups series by target (they share one timestamp array). */
function targets(data: readonly DatasetSeries[]): Target[] {
  const by = new Map<Float64Array, Target>();
  for (const s of data) {
    let t = by.get(s.ts);
    if (t === undefined) {
      t = { series: [], refs: [] };
      by.set(s.ts, t);
    }
    t.series.push(s);
    t.refs.push(NO_REF);
  }
  return [...by.values()];
}

/** Appends the whole dataset scrape by scrape, one commit per target scrape. Returns samples appended. */
async function appendAll(db: Appendable, ts: Target[], scrapes: number): Promise<number> {
  let n = 0;
  for (let k = 0; k < scrapes; k++) {
    for (const t of ts) {
      const app = db.appender();
      const ss = t.series;
      const at = ss[0]!.ts[k]!;
      for (let i = 0; i < ss.length; i++) t.refs[i] = app.append(t.refs[i]!, ss[i]!.labels, at, ss[i]!.vs[k]!);
      await app.commit();
      n += ss.length;
    }
  }
  return n;
}

function dirBytes(dir: string, filter: (path: string) => boolean = () => true): number {
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) n += dirBytes(p, filter);
    else if (filter(p)) n += statSync(p).size;
  }
  return n;
}

/** Full GC, twice, with a pause so array-buffer finalizers run (their memory is counted separately). */
async function gc(): Promise<void> {
  const g = (globalThis as { gc?: () => void }).gc;
  for (let i = 0; i < 3 && g; i++) {
    g();
    await new Promise((r) => setTimeout(r, 50));
  }
}

function memNow(): number {
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

async function main(): Promise<void> {
  const hours = flag('hours', 4);
  const data = generateDataset({ nodeTargets: flag('nodes', 60), appTargets: flag('apps', 40), durationMs: hours * 3600_000 });
  const ts = targets(data);
  const scrapes = data[0]!.ts.length;
  const total = data.length * scrapes;
  console.log(`dataset: ${fmt(data.length)} series, ${ts.length} targets, ${scrapes} scrapes, ${fmt(total)} samples (${hours}h at 15s)`);

  // --memonly=1 skips straight to the head memory figures.
  const memOnly = flag('memonly', 0) === 1;
  // 1. Append without WAL (head only, chunks to chunks_head).
  // Two passes on fresh heads: the first includes JIT warm-up, the second is steady state.
  for (let pass = 1; pass <= 2 && !memOnly; pass++) {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-bench-head-'));
    const head = new Head({ chunkDir: join(dir, 'chunks_head') });
    const sw = new Stopwatch();
    const n = await appendAll(head, targets(data), scrapes);
    console.log(`append, head only (no WAL):   ${sw.rate(n)} (pass ${pass})`);
    head.close();
    rmSync(dir, { recursive: true, force: true });
  }

  // 2. Append with WAL through the DB, then replay, iterate, compact.
  const dir = mkdtempSync(join(tmpdir(), 'vigil-bench-db-'));
  try {
    if (memOnly) throw new SkipSection();
    {
      // Warm-up pass on a throwaway DB.
      const wdir = mkdtempSync(join(tmpdir(), 'vigil-bench-warm-'));
      const w = await openDB(wdir, { log: () => {}, autoCompact: false });
      const sw = new Stopwatch();
      const wn = await appendAll(w, targets(data), scrapes);
      console.log(`append, head + WAL:           ${sw.rate(wn)} (pass 1)`);
      await w.close();
      rmSync(wdir, { recursive: true, force: true });
    }
    let db = await openDB(dir, { log: () => {}, autoCompact: false });
    const sw = new Stopwatch();
    const n = await appendAll(db, targets(data), scrapes);
    console.log(`append, head + WAL:           ${sw.rate(n)} (pass 2)`);
    const walBytes = dirBytes(join(dir, 'wal'));
    console.log(`WAL size:                     ${(walBytes / n).toFixed(2)} bytes/sample (${fmt(walBytes)} bytes)`);
    await db.close();

    {
      const h = new Head({ chunkDir: join(dir, 'bench_replay_chunks') });
      const sw = new Stopwatch();
      const st = replayWal(h, join(dir, 'wal'), () => {});
      console.log(`WAL replay:                   ${sw.rate(st.samples)} (${fmt(st.samples)} samples)`);
      h.close();
      rmSync(join(dir, 'bench_replay_chunks'), { recursive: true, force: true });
    }

    db = await openDB(dir, { log: () => {}, autoCompact: false });
    // Iterate everything three times (the JIT warms up on the first passes); report the last.
    for (let pass = 1; pass <= 3; pass++) {
      const q = await db.querier(Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
      const ss = await q.select(false, null, []);
      const sw = new Stopwatch();
      let cnt = 0;
      let it: ReturnType<ReturnType<typeof ss.at>['iterator']> | undefined;
      while (ss.next()) {
        it = ss.at().iterator(it);
        while (it.next() !== ValueType.None) {
          if (it.atV() === -1.5e300) cnt--; // keep the value read
          cnt++;
        }
      }
      if (pass === 3) console.log(`chunk iteration (head):       ${sw.rate(cnt)} (${fmt(cnt)} samples, chunks read back from chunks_head, 3rd pass)`);
      await q.close();
    }

    // Persist every complete 2h range of the head as blocks, as compaction does.
    const H2 = 2 * 3600_000;
    let blockSamples = 0;
    const bdir = join(dir, 'bench_blocks');
    for (let m = Math.floor(db.head.minT / H2) * H2; m + H2 <= db.head.maxT; m += H2) {
      const meta = await persistHeadRange(db.head, bdir, Math.max(m, db.head.minT), m + H2);
      if (meta !== null) blockSamples += meta.stats.numSamples;
    }
    if (blockSamples > 0) {
      const chunkBytes = dirBytes(bdir, (p) => p.includes('/chunks/'));
      const all = dirBytes(bdir);
      console.log(
        `blocks written by the head:   ${(chunkBytes / blockSamples).toFixed(3)} bytes/sample in chunks, ${(all / blockSamples).toFixed(3)} bytes/sample with index (${fmt(blockSamples)} samples)`,
      );
    }
    await db.close();
  } catch (e) {
    if (!(e instanceof SkipSection)) throw e;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  // 3. Head memory per active series.
  const sizes = [100_000];
  if (flag('mem1m', 0) === 1) sizes.push(1_000_000);
  for (const count of sizes) {
    const mdir = mkdtempSync(join(tmpdir(), 'vigil-bench-mem-'));
    await gc();
    const before = memNow();
    // Label sets are built inside the measurement: they are part of what a series costs
    // (the caller's array of them is counted too, 8 bytes per series).
    const labels: Labels[] = [];
    for (let i = 0; i < count; i++) {
      labels.push(
        Labels.fromStrings(
          '__name__',
          'node_cpu_seconds_total',
          'cpu',
          String(i % 64),
          'instance',
          `host-${Math.floor(i / 512)}.example.com:9100`,
          'job',
          'node',
          'mode',
          ['idle', 'user', 'system', 'iowait', 'irq', 'softirq', 'steal', 'nice'][Math.floor(i / 64) % 8]!,
        ),
      );
    }
    const head = new Head({ chunkDir: join(mdir, 'chunks_head') });
    const refs: SeriesRef[] = new Array(count).fill(NO_REF);
    // 130 samples at 15s: one full 120-sample chunk moved to disk, one open chunk per series.
    for (let k = 0; k < 130; k++) {
      const app = head.appender();
      for (let i = 0; i < count; i++) refs[i] = app.append(refs[i]!, labels[i]!, k * 15_000, k * 1.5 + i);
      await app.commit();
    }
    await gc();
    const after = memNow();
    console.log(
      `head memory at ${fmt(count)} series: ${fmt((after - before) / count)} bytes/series (heap + array buffers, label sets included)`,
    );
    head.close();
    rmSync(mdir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
