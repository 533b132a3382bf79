/**
 * Query engine benchmark: 10k counter series × 2h of 15s data (plus 10k classic
 * histogram bucket series) in the in-memory storage, generated deterministically;
 * median latency of 20 runs per query. Prints figures, never fails on timings.
 *
 * Run: `npm run bench -- query` (after a build).
 */
import { Labels } from '../tsdb/labels.js';
import { MemoryStorage } from '../tsdb/memory_storage.js';
import { NO_REF, type SeriesRef } from '../tsdb/storage.js';
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

async function generate(): Promise<MemoryStorage> {
  const st = new MemoryStorage();
  const rand = rng(42);
  // One appender per series: the in-memory appender checks pending samples per series.
  for (let i = 0; i < SERIES; i++) {
    const l = Labels.from({ __name__: 'x', job: `job${i % 10}`, instance: `host${i}` });
    const app = st.appender();
    let ref: SeriesRef = NO_REF;
    let v = 0;
    for (let k = 0; k < POINTS; k++) {
      v += Math.floor(rand() * 100);
      ref = app.append(ref, l, T0 + k * STEP_MS, v);
    }
    await app.commit();
  }
  for (let i = 0; i < SERIES / BUCKETS.length; i++) {
    const ls = BUCKETS.map((le) => Labels.from({ __name__: 'x_bucket', job: `job${i % 10}`, instance: `host${i}`, le }));
    const vals = new Float64Array(POINTS * BUCKETS.length);
    const cum = new Float64Array(BUCKETS.length);
    for (let k = 0; k < POINTS; k++) {
      // Cumulative bucket counts: every bucket includes the observations of the smaller ones.
      let inc = 0;
      for (let b = 0; b < BUCKETS.length; b++) {
        inc += Math.floor(rand() * 20);
        cum[b] = cum[b]! + inc;
        vals[k * BUCKETS.length + b] = cum[b]!;
      }
    }
    for (let b = 0; b < BUCKETS.length; b++) {
      const app = st.appender();
      let ref: SeriesRef = NO_REF;
      for (let k = 0; k < POINTS; k++) ref = app.append(ref, ls[b]!, T0 + k * STEP_MS, vals[k * BUCKETS.length + b]!);
      await app.commit();
    }
  }
  return st;
}

function median(xs: number[]): number {
  const s = xs.slice().sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

async function main(): Promise<void> {
  const t0 = performance.now();
  const st = await generate();
  console.log(`generated ${SERIES} counters + ${SERIES} bucket series × ${POINTS} points in ${((performance.now() - t0) / 1000).toFixed(1)}s`);
  const engine = new Engine({ timeoutMs: 120_000, maxSamples: 50_000_000, lookbackDeltaMs: 300_000, maxConcurrency: 1 });
  const end = T0 + (POINTS - 1) * STEP_MS;
  const cases: { name: string; run: () => Promise<unknown> }[] = [
    { name: 'rate(x[5m])', run: () => engine.instantQuery(st, 'rate(x[5m])', end) },
    { name: 'sum by (job) (rate(x[5m]))', run: () => engine.instantQuery(st, 'sum by (job) (rate(x[5m]))', end) },
    {
      name: 'histogram_quantile(0.99, sum by (le) (rate(x_bucket[5m])))',
      run: () => engine.instantQuery(st, 'histogram_quantile(0.99, sum by (le) (rate(x_bucket[5m])))', end),
    },
    { name: 'topk(10, rate(x[5m]))', run: () => engine.instantQuery(st, 'topk(10, rate(x[5m]))', end) },
    {
      name: 'range 2h step 15s: sum by (job) (rate(x[5m]))',
      run: () => engine.rangeQuery(st, 'sum by (job) (rate(x[5m]))', T0, end, STEP_MS),
    },
    { name: 'range 2h step 15s: rate(x[5m])', run: () => engine.rangeQuery(st, 'rate(x[5m])', T0, end, STEP_MS) },
  ];
  console.log(`median of ${RUNS} runs (ms):`);
  for (const c of cases) {
    await c.run(); // warm-up
    const times: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const s = performance.now();
      await c.run();
      times.push(performance.now() - s);
    }
    console.log(`  ${median(times).toFixed(1).padStart(9)}  ${c.name}`);
  }
}

await main();
