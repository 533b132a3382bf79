/**
 * Query engine benchmark: 10k counter series × 2h of 15s data (plus 10k classic
 * histogram bucket series), generated deterministically, loaded twice: into the
 * in-memory storage and into the real TSDB (tsdb/db.ts, as `vigil server` runs
 * it: the older part persisted as a block on disk, the newer part in the head
 * with its full chunks in head chunk files). Median latency of 20 runs per
 * query on each. Prints figures, never fails on timings.
 *
 * The TSDB is opened with a 1h chunk range so that 2h of data is enough to make
 * the head compactable: one block holds the first (partial) hour, the head the rest.
 * `QUERY_BENCH_ONLY=memory|tsdb` times one storage only.
 *
 * When `prometheus` and `promtool` are installed, the same data is backfilled into
 * a real Prometheus and its engine time (`execTotalTime` from `stats=all`) is printed
 * beside Vigil's (set QUERY_BENCH_NO_PROMETHEUS to skip).
 *
 * Run: `npm run bench -- query` (after a build).
 */
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TSDB, openDB } from '../tsdb/db.js';
import { Labels } from '../tsdb/labels.js';
import { MemoryStorage } from '../tsdb/memory_storage.js';
import { NO_REF, type Queryable, type SeriesRef } from '../tsdb/storage.js';
import { Engine } from '../query/engine.js';

const SERIES = 10_000;
const STEP_MS = 15_000;
const POINTS = (2 * 3600_000) / STEP_MS; // 2h
const RUNS = 20;
const BUCKETS = ['0.05', '0.1', '0.5', '1', '+Inf'];
const T0 = 1_700_000_000_000;

/** Deterministic xorshift32 in [0, 1). */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 4294967296;
  };
}

interface GenSeries {
  labels: Labels;
  vs: Float64Array;
}

/** The dataset: values at `T0 + k·15s`, k < POINTS. */
function generate(): GenSeries[] {
  const rand = rng(42);
  const out: GenSeries[] = [];
  for (let i = 0; i < SERIES; i++) {
    const vs = new Float64Array(POINTS);
    let v = 0;
    for (let k = 0; k < POINTS; k++) {
      v += Math.floor(rand() * 100);
      vs[k] = v;
    }
    out.push({ labels: Labels.from({ __name__: 'x', job: `job${i % 10}`, instance: `host${i}` }), vs });
  }
  for (let i = 0; i < SERIES / BUCKETS.length; i++) {
    const group = BUCKETS.map((le) => ({ labels: Labels.from({ __name__: 'x_bucket', job: `job${i % 10}`, instance: `host${i}`, le }), vs: new Float64Array(POINTS) }));
    const cum = new Float64Array(BUCKETS.length);
    for (let k = 0; k < POINTS; k++) {
      // Cumulative bucket counts: every bucket includes the observations of the smaller ones.
      let inc = 0;
      for (let b = 0; b < BUCKETS.length; b++) {
        inc += Math.floor(rand() * 20);
        cum[b] = cum[b]! + inc;
        group[b]!.vs[k] = cum[b]!;
      }
    }
    out.push(...group);
  }
  return out;
}

async function load(data: readonly GenSeries[]): Promise<MemoryStorage> {
  const st = new MemoryStorage();
  // One appender per series: the in-memory appender checks pending samples per series.
  for (const s of data) {
    const app = st.appender();
    let ref: SeriesRef = NO_REF;
    for (let k = 0; k < POINTS; k++) ref = app.append(ref, s.labels, T0 + k * STEP_MS, s.vs[k]!);
    await app.commit();
  }
  return st;
}

/**
 * The same data in a TSDB under `dir`, appended time slice by time slice (one
 * commit per timestamp, as scrapes append; the head rejects samples far behind
 * its newest), then compacted once, which persists the oldest chunk range as a
 * block and truncates the head.
 */
async function loadTSDB(data: readonly GenSeries[], dir: string): Promise<TSDB> {
  const db = await openDB(dir, { chunkRange: 3600_000, autoCompact: false, retentionMs: 0, log: () => {}, now: () => END });
  const refs: SeriesRef[] = data.map(() => NO_REF);
  for (let k = 0; k < POINTS; k++) {
    const app = db.appender();
    const t = T0 + k * STEP_MS;
    for (let i = 0; i < data.length; i++) refs[i] = app.append(refs[i]!, data[i]!.labels, t, data[i]!.vs[k]!);
    await app.commit();
  }
  await db.compact();
  return db;
}

function median(xs: number[]): number {
  const s = xs.slice().sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

const QUERIES: { name: string; expr: string; range: boolean }[] = [
  { name: 'rate(x[5m])', expr: 'rate(x[5m])', range: false },
  { name: 'sum by (job) (rate(x[5m]))', expr: 'sum by (job) (rate(x[5m]))', range: false },
  {
    name: 'histogram_quantile(0.99, sum by (le) (rate(x_bucket[5m])))',
    expr: 'histogram_quantile(0.99, sum by (le) (rate(x_bucket[5m])))',
    range: false,
  },
  { name: 'topk(10, rate(x[5m]))', expr: 'topk(10, rate(x[5m]))', range: false },
  { name: 'range 2h step 15s: sum by (job) (rate(x[5m]))', expr: 'sum by (job) (rate(x[5m]))', range: true },
  { name: 'range 2h step 15s: rate(x[5m])', expr: 'rate(x[5m])', range: true },
];

const END = T0 + (POINTS - 1) * STEP_MS;

async function timeVigil(st: Queryable): Promise<number[]> {
  const engine = new Engine({ timeoutMs: 120_000, maxSamples: 50_000_000, lookbackDeltaMs: 300_000, maxConcurrency: 1 });
  const out: number[] = [];
  for (const c of QUERIES) {
    const run = (): Promise<unknown> => (c.range ? engine.rangeQuery(st, c.expr, T0, END, STEP_MS) : engine.instantQuery(st, c.expr, END));
    await run(); // warm-up
    const times: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const s = performance.now();
      await run();
      times.push(performance.now() - s);
    }
    out.push(median(times));
  }
  return out;
}

function have(cmd: string): boolean {
  return spawnSync(cmd, ['--version'], { stdio: 'ignore' }).status === 0;
}

/**
 * Backfills the same data into a real Prometheus and times the same queries,
 * using the engine's own `execTotalTime` (`stats=all`), which excludes JSON encoding.
 */
async function timePrometheus(data: readonly GenSeries[]): Promise<number[] | string> {
  if (!have('prometheus') || !have('promtool')) return 'prometheus/promtool not installed';
  const dir = mkdtempSync(join(tmpdir(), 'vigil-qbench-'));
  try {
    const om = join(dir, 'data.om');
    const fd = openSync(om, 'w');
    for (const name of ['x', 'x_bucket']) {
      writeSync(fd, `# TYPE ${name} unknown\n`);
      for (const s of data) {
        if (s.labels.metricName() !== name) continue;
        const parts: string[] = [];
        s.labels.forEach((n, v) => {
          if (n !== '__name__') parts.push(`${n}="${v}"`);
        });
        const head = `${name}{${parts.join(',')}} `;
        let chunk = '';
        for (let k = 0; k < POINTS; k++) chunk += `${head}${s.vs[k]} ${(T0 + k * STEP_MS) / 1000}\n`;
        writeSync(fd, chunk);
      }
    }
    writeSync(fd, '# EOF\n');
    closeSync(fd);
    const bf = spawnSync('promtool', ['tsdb', 'create-blocks-from', 'openmetrics', om, join(dir, 'data')], { encoding: 'utf8' });
    if (bf.status !== 0) return `promtool backfill failed: ${bf.stderr.slice(0, 300)}`;
    rmSync(om);
    writeFileSync(join(dir, 'prometheus.yml'), 'global: {}\n');
    const port = await freePort();
    const proc = spawn(
      'prometheus',
      [
        `--config.file=${join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        '--storage.tsdb.retention.time=100y',
        `--web.listen-address=127.0.0.1:${port}`,
      ],
      { stdio: 'ignore' },
    );
    try {
      const base = `http://127.0.0.1:${port}`;
      await waitReady(base);
      const out: number[] = [];
      for (const c of QUERIES) {
        const p = new URLSearchParams({ query: c.expr, stats: 'all' });
        if (c.range) {
          p.set('start', String(T0 / 1000));
          p.set('end', String(END / 1000));
          p.set('step', String(STEP_MS / 1000));
        } else p.set('time', String(END / 1000));
        const url = `${base}/api/v1/${c.range ? 'query_range' : 'query'}?${p}`;
        const times: number[] = [];
        for (let i = 0; i <= RUNS; i++) {
          const r = (await (await fetch(url)).json()) as { data?: { stats?: { timings?: { execTotalTime?: number } } } };
          const secs = r.data?.stats?.timings?.execTotalTime;
          if (secs === undefined) return `no timings from Prometheus for ${c.expr}`;
          if (i > 0) times.push(secs * 1000); // the first run warms up
        }
        out.push(median(times));
      }
      return out;
    } finally {
      proc.kill('SIGKILL');
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const a = srv.address();
      const port = typeof a === 'object' && a !== null ? a.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

async function waitReady(base: string): Promise<void> {
  for (let i = 0; i < 1200; i++) {
    try {
      if ((await fetch(`${base}/-/ready`)).ok) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('prometheus did not become ready within 120s');
}

async function main(): Promise<void> {
  const only = process.env.QUERY_BENCH_ONLY ?? '';
  const t0 = performance.now();
  const data = generate();
  let mem: number[] | null = null;
  if (only === '' || only === 'memory') {
    const st = await load(data);
    console.log(`memory storage: loaded ${SERIES} counters + ${SERIES} bucket series × ${POINTS} points in ${((performance.now() - t0) / 1000).toFixed(1)}s`);
    mem = await timeVigil(st);
  }
  let disk: number[] | null = null;
  if (only === '' || only === 'tsdb') {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-qbench-tsdb-'));
    try {
      const t1 = performance.now();
      const db = await loadTSDB(data, dir);
      const blocks = (await db.startTime()) < db.head.minT ? 'block + head' : 'head only';
      console.log(`TSDB (${blocks}): loaded in ${((performance.now() - t1) / 1000).toFixed(1)}s`);
      disk = await timeVigil(db);
      await db.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const theirs = process.env.QUERY_BENCH_NO_PROMETHEUS === undefined ? await timePrometheus(data) : 'disabled by QUERY_BENCH_NO_PROMETHEUS';
  console.log(`median of ${RUNS} runs (ms)${typeof theirs === 'string' ? ` — Prometheus: ${theirs}` : ''}:`);
  const cols: [string, number[]][] = [];
  if (mem !== null) cols.push(['Vigil mem', mem]);
  if (disk !== null) cols.push(['Vigil tsdb', disk]);
  if (typeof theirs !== 'string') cols.push(['Prom 2.42', theirs]);
  console.log(`  ${cols.map(([h]) => h.padStart(10)).join('  ')}  query`);
  for (let i = 0; i < QUERIES.length; i++) {
    console.log(`  ${cols.map(([, xs]) => xs[i]!.toFixed(1).padStart(10)).join('  ')}  ${QUERIES[i]!.name}`);
  }
}

await main();
