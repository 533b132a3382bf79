/**
 * Differential test of the evaluator against the real Prometheus (Debian's 2.42):
 * deterministic random data is backfilled into Prometheus with
 * `promtool tsdb create-blocks-from openmetrics` and loaded into Vigil's in-memory
 * storage; random queries are run on both (instant and range) and the results
 * compared (same label sets, values within a relative 1e-6).
 *
 * Version differences kept out of the generated queries and data:
 * - 2.42's range selectors and lookback windows are left-closed, Prometheus 3's
 *   left-open: sample timestamps sit at odd milliseconds and query times at
 *   whole seconds + 500 ms, so no sample or subquery point lies on a boundary.
 * - The engine runs without delayed `__name__` removal, as 2.42 (and Prometheus 3
 *   without the feature flag) does.
 * - Functions renamed or added since 2.42 are not generated; no counter resets in the
 *   data and no NaN into stddev/stdvar (both changed since 2.42; the conformance
 *   scripts cover them).
 * Skipped, with the reason, when prometheus/promtool are not installed.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Labels } from '../tsdb/labels.js';
import { MemoryStorage } from '../tsdb/memory_storage.js';
import { NO_REF } from '../tsdb/storage.js';
import { Engine } from './engine.js';
import type { Value } from './value.js';

function have(cmd: string): boolean {
  return spawnSync(cmd, ['--version'], { stdio: 'ignore' }).status === 0;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

async function waitReady(base: string, proc: ChildProcess): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (proc.exitCode !== null) throw new Error(`prometheus exited with ${proc.exitCode}`);
    try {
      const r = await fetch(`${base}/-/ready`);
      if (r.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('prometheus did not become ready within 30s');
}

/** Deterministic PRNG (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const T0 = 1_700_000_000_000; // ms, a whole second
const SPAN = 2 * 3600_000;
const SCRAPE = 15_000;

interface GenSeries {
  labels: Labels;
  ts: Float64Array;
  vs: Float64Array;
}

function generate(rand: () => number): GenSeries[] {
  const out: GenSeries[] = [];
  const jobs = ['api', 'db', 'web'];
  const add = (name: string, job: string, inst: string, extra: Record<string, string>, counter: boolean): void => {
    const n = SPAN / SCRAPE;
    const ts = new Float64Array(n);
    const vs = new Float64Array(n);
    // Counters start high: 2.42 clamped extrapolation towards zero before applying the
    // extrapolation threshold, Prometheus 3 after; far from zero the clamp never applies.
    let v = counter ? 1_000_000 + Math.floor(rand() * 100_000) : 0;
    let m = 0;
    for (let k = 0; k < n; k++) {
      // Odd-millisecond jitter keeps samples off the whole-second window boundaries.
      const t = T0 + k * SCRAPE + 101 + 2 * Math.floor(rand() * 2000);
      if (rand() < 0.03) continue; // missed scrape
      if (counter) {
        v += Math.floor(rand() * 50);
        // No counter resets: with a reset inside a window, 2.42 and Prometheus 3 order the
        // zero clamp and the extrapolation threshold differently (resets are covered by the
        // conformance scripts instead).
      } else v = rand() * 200 - 50; // full precision: no ties for topk/bottomk to break
      ts[m] = t;
      vs[m] = v;
      m++;
    }
    out.push({ labels: Labels.from({ __name__: name, job, instance: inst, ...extra }), ts: ts.slice(0, m), vs: vs.slice(0, m) });
  };
  for (const job of jobs) {
    for (let i = 0; i < 3; i++) {
      const inst = `host${i}:9100`;
      add('http_requests_total', job, inst, { code: '200' }, true);
      add('http_requests_total', job, inst, { code: '500' }, true);
      add('temperature', job, inst, {}, false);
      for (const le of ['0.1', '0.5', '1', '+Inf']) add('latency_bucket', job, inst, { le }, true);
    }
  }
  return out;
}

function openMetrics(series: GenSeries[]): string {
  const byName = new Map<string, GenSeries[]>();
  for (const s of series) {
    const n = s.labels.metricName();
    const l = byName.get(n) ?? [];
    l.push(s);
    byName.set(n, l);
  }
  const lines: string[] = [];
  for (const [name, list] of byName) {
    lines.push(`# TYPE ${name} unknown`);
    for (const s of list) {
      const parts: string[] = [];
      s.labels.forEach((n, v) => {
        if (n !== '__name__') parts.push(`${n}="${v}"`);
      });
      for (let i = 0; i < s.ts.length; i++) lines.push(`${name}{${parts.join(',')}} ${s.vs[i]} ${(s.ts[i]! / 1000).toFixed(3)}`);
    }
  }
  lines.push('# EOF');
  return `${lines.join('\n')}\n`;
}

/** Random PromQL in the subset both versions evaluate identically. */
function queryGen(rand: () => number): () => string {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const sel = (): string =>
    pick([
      'http_requests_total',
      'http_requests_total{code="500"}',
      'http_requests_total{job=~"api|web"}',
      'temperature',
      'temperature{instance!="host1:9100"}',
      'latency_bucket{le="0.5"}',
    ]);
  const range = (): string => pick(['1m', '2m', '5m', '10m']);
  const offset = (): string => (rand() < 0.2 ? ` offset ${pick(['1m', '5m', '30s'])}` : '');
  const counterSel = (): string => pick(['http_requests_total', 'http_requests_total{code="500"}', 'http_requests_total{job=~"api|web"}', 'latency_bucket{le="0.5"}']);
  const rangeFn = (): string => {
    if (rand() < 0.35) return `${pick(['rate', 'irate', 'increase', 'resets'])}(${counterSel()}[${range()}]${offset()})`;
    const f = pick([
      'delta',
      'idelta',
      'deriv',
      'changes',
      'avg_over_time',
      'sum_over_time',
      'min_over_time',
      'max_over_time',
      'count_over_time',
      'stddev_over_time',
      'stdvar_over_time',
      'last_over_time',
      'present_over_time',
    ]);
    return `${f}(${sel()}[${range()}]${offset()})`;
  };
  const vec = (depth: number): string => {
    const r = rand();
    if (depth > 2 || r < 0.25) return rand() < 0.5 ? sel() + offset() : rangeFn();
    if (r < 0.45) {
      const agg = pick(['sum', 'avg', 'min', 'max', 'count', 'stddev', 'stdvar', 'group']);
      const by = pick(['', ' by (job)', ' by (instance)', ' without (code)', ' by (job, code)']);
      return `${agg}${by} (${vec(depth + 1)})`;
    }
    // Only over continuous values: Prometheus breaks ties by an order that varies between runs.
    if (r < 0.55) {
      const arg = pick([
        'temperature',
        `rate(${counterSel()}[5m])`,
        `avg_over_time(temperature[${range()}])`,
        `deriv(temperature[${range()}])`,
        `max_over_time(temperature[${range()}])`,
      ]);
      return `${pick(['topk', 'bottomk'])}(${pick(['1', '2', '3'])}, ${arg})`;
    }
    if (r < 0.6) return `quantile${pick(['', ' by (job)'])}(${pick(['0', '0.5', '0.9', '1'])}, ${vec(depth + 1)})`;
    if (r < 0.7) return `${vec(depth + 1)} ${pick(['+', '-', '*', '/', '%'])} ${pick(['2', '0.5', '10', '-3'])}`;
    if (r < 0.78) return `${vec(depth + 1)} ${pick(['>', '<', '>=', '!='])}${pick(['', ' bool'])} ${pick(['0', '50', '100'])}`;
    if (r < 0.86) {
      const m = pick(['on (job, instance)', 'ignoring (code)', 'on (job, instance, code)']);
      return `${rangeFn()} ${pick(['+', '/', '*', '-'])} ${m} ${rangeFn()}`;
    }
    // sqrt/ln only of non-negative input: NaN inputs to stddev/stdvar differ (3.x gives NaN, 2.42 0).
    if (r < 0.9) {
      const f = pick(['abs', 'ceil', 'floor', 'sqrt', 'exp', 'ln', 'sgn']);
      return f === 'sqrt' || f === 'ln' ? `${f}(abs(${vec(depth + 1)}))` : `${f}(${vec(depth + 1)})`;
    }
    if (r < 0.94) return `${pick(['max_over_time', 'avg_over_time', 'min_over_time'])}(${pick(['rate', 'deriv'])}(${counterSel()}[5m])[${pick(['10m', '30m'])}:${pick(['1m', '30s', '2m'])}])`;
    if (r < 0.97) return `histogram_quantile(${pick(['0.5', '0.9', '0.99'])}, sum by (le${pick(['', ', job'])}) (rate(latency_bucket[5m])))`;
    if (r < 0.975) return `${vec(depth + 1)} ${pick(['and', 'or', 'unless'])}${pick(['', ' on (job)', ' ignoring (code)'])} ${sel()}`;
    return pick([
      `clamp(${vec(depth + 1)}, 0, 100)`,
      `clamp_min(${sel()}, 10)`,
      `round(${rangeFn()}, ${pick(['1', '0.1', '5'])})`,
      `label_replace(${sel()}, "host", "$1", "instance", "(.*):.*")`,
      `label_join(${sel()}, "id", "-", "job", "instance")`,
      `absent(nonexistent{job="x"})`,
      `absent_over_time(temperature{job="nope"}[5m])`,
      `count_values("v", round(${sel()} / 100))`,
      `scalar(sum(${sel()})) * ${sel()}`,
      `vector(time())`,
      `timestamp(${sel()})`,
      `${sel()} @ ${(T0 + 5400_000) / 1000}`,
      `rate(${counterSel()}[5m] @ ${(T0 + 5000_000) / 1000})`,
      `${sel()} offset -2m`,
      `-${sel()}`,
      `${sel()} ^ 0.5`,
      `atan2(${sel()}, 100)`,
      `${rangeFn()} > on (job, instance) group_left sum by (job, instance) (${rangeFn()})`,
      `sum by (job) (${sel()}) / on (job) group_right count by (job, instance) (${sel()})`,
      `${rangeFn()} == bool on (job, instance, code) ${rangeFn()}`,
      `quantile_over_time(${pick(['0.1', '0.5', '0.99'])}, temperature[10m])`,
      `predict_linear(temperature[10m], 600)`,
      `stddev by (job) (${rangeFn()})`,
      `max_over_time(sum by (job) (rate(${counterSel()}[2m]))[15m:1m] offset 5m)`,
      `last_over_time(temperature[5m:1m])`,
      `sum(count_over_time(temperature[5m])) by (job)`,
      `hour(timestamp(${sel()}))`,
      `day_of_week()`,
      `${sel()} @ start()`,
      `rate(${counterSel()}[5m] @ end())`,
      `max_over_time(${sel()}[10m:1m] @ ${(T0 + 4000_000) / 1000})`,
      `avg_over_time(rate(${counterSel()}[2m])[20m:2m] offset 3m)`,
      `min_over_time(max_over_time(temperature[2m])[10m:1m])[30m:5m]`.replace(/\[30m:5m\]$/, ''),
      `count_values by (job) ("v", ceil(${sel()} / 1000000))`,
      `topk by (job) (1, ${sel()})`,
      `bottomk by (code) (2, rate(${counterSel()}[5m]))`,
      `sum without (instance) (${sel()})`,
      `avg by (job) (${sel()}) - on (job) group_left min by (job) (${sel()})`,
      `changes(temperature[10m]) + resets(http_requests_total[10m])`,
      `(${sel()} > 0) * 2`,
      `-(${rangeFn()})`,
      `${sel()} unless on (instance) ${sel()}`,
    ]);
  };
  return () => vec(0);
}

interface Sample {
  key: string;
  labels: string;
  points: Map<number, number>;
}

function fromVigil(v: Value): Sample[] | number {
  if (v.type === 'scalar') return v.v;
  if (v.type === 'vector') return v.series.map((s) => ({ key: s.labels.key(), labels: s.labels.toString(), points: new Map([[0, s.v]]) }));
  if (v.type === 'matrix') {
    return v.series.map((s) => {
      const points = new Map<number, number>();
      for (let i = 0; i < s.ts.length; i++) points.set(s.ts[i]!, s.vs[i]!);
      return { key: s.labels.key(), labels: s.labels.toString(), points };
    });
  }
  return [];
}

interface PromResponse {
  status: string;
  error?: string;
  data?: { resultType: string; result: { metric: Record<string, string>; value?: [number, string]; values?: [number, string][] }[] };
}

function fromPrometheus(r: PromResponse): Sample[] {
  const out: Sample[] = [];
  for (const s of r.data?.result ?? []) {
    const labels = Labels.from(s.metric);
    const points = new Map<number, number>();
    if (s.value !== undefined) points.set(0, promFloat(s.value[1]));
    for (const [t, v] of s.values ?? []) points.set(Math.round(t * 1000), promFloat(v));
    out.push({ key: labels.key(), labels: labels.toString(), points });
  }
  return out;
}

/** A float as the Prometheus API encodes it (`+Inf`, `-Inf`, `NaN` or Go's decimal form). */
function promFloat(s: string): number {
  if (s === '+Inf') return Number.POSITIVE_INFINITY;
  if (s === '-Inf') return Number.NEGATIVE_INFINITY;
  return Number(s);
}

function close(a: number, b: number): boolean {
  if (Number.isNaN(a) && Number.isNaN(b)) return true;
  if (a === b) return true;
  return Math.abs(a - b) / Math.max(Math.abs(a), Math.abs(b)) < 1e-6;
}

function diff(ours: Sample[], theirs: Sample[]): string | null {
  if (ours.length !== theirs.length) return `series count ${ours.length} vs ${theirs.length}`;
  const m = new Map(theirs.map((s) => [s.key, s]));
  for (const s of ours) {
    const t = m.get(s.key);
    if (t === undefined) return `series ${s.labels} missing in Prometheus`;
    if (s.points.size !== t.points.size) {
      const only = [...s.points.keys()].filter((k) => !t.points.has(k));
      const theirsOnly = [...t.points.keys()].filter((k) => !s.points.has(k));
      return `${s.labels}: ${s.points.size} vs ${t.points.size} points (only in Vigil: ${only.join(',')}; only in Prometheus: ${theirsOnly.join(',')})`;
    }
    for (const [ts, v] of s.points) {
      const w = t.points.get(ts);
      if (w === undefined || !close(v, w)) return `${s.labels} at ${ts}: ${v} vs ${w}`;
    }
  }
  return null;
}

const QUERIES = 500;

test(
  'evaluator agrees with Prometheus 2.42 on random queries over random data',
  { skip: have('prometheus') && have('promtool') ? false : 'prometheus/promtool not installed', timeout: 240_000 },
  async (t) => {
    const rand = rng(20261127);
    const series = generate(rand);
    const dir = mkdtempSync(join(tmpdir(), 'vigil-qdiff-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const om = join(dir, 'data.om');
    writeFileSync(om, openMetrics(series));
    const data = join(dir, 'data');
    const bf = spawnSync('promtool', ['tsdb', 'create-blocks-from', 'openmetrics', om, data], { encoding: 'utf8' });
    assert.equal(bf.status, 0, `promtool backfill failed: ${bf.stderr}`);
    const config = join(dir, 'prometheus.yml');
    writeFileSync(config, 'global: {}\n');
    const port = await freePort();
    const proc = spawn(
      'prometheus',
      [`--config.file=${config}`, `--storage.tsdb.path=${data}`, '--storage.tsdb.retention.time=100y', `--web.listen-address=127.0.0.1:${port}`],
      { stdio: 'ignore' },
    );
    t.after(() => {
      proc.kill('SIGKILL');
    });
    const base = `http://127.0.0.1:${port}`;
    await waitReady(base, proc);

    // Blocks hand out series sorted by labels; load in that order so ties (topk) break alike.
    const sorted = series.slice().sort((a, b) => Labels.compare(a.labels, b.labels));
    const st = new MemoryStorage();
    const app = st.appender();
    for (const s of sorted) for (let i = 0; i < s.ts.length; i++) app.append(NO_REF, s.labels, s.ts[i]!, s.vs[i]!);
    await app.commit();
    // 2.42 drops metric names at once (no delayed name removal).
    const engine = new Engine({
      timeoutMs: 30_000,
      maxSamples: 50_000_000,
      lookbackDeltaMs: 300_000,
      maxConcurrency: 1,
      enableDelayedNameRemoval: false,
    });

    const gen = queryGen(rand);
    let agree = 0;
    const disagreements: string[] = [];
    for (let i = 0; i < QUERIES; i++) {
      const q = gen();
      const instant = i % 2 === 0;
      // Whole seconds + 500 ms: never on a sample timestamp or a subquery step.
      const at = T0 + 3600_000 + Math.floor(rand() * 3000) * 1000 + 500;
      const params = new URLSearchParams({ query: q });
      let ours: Sample[] | number | Error;
      let url: string;
      try {
        if (instant) {
          params.set('time', (at / 1000).toFixed(3));
          url = `${base}/api/v1/query?${params}`;
          ours = fromVigil((await engine.instantQuery(st, q, at)).value);
        } else {
          const start = at - 1800_000;
          params.set('start', (start / 1000).toFixed(3));
          params.set('end', (at / 1000).toFixed(3));
          params.set('step', '60');
          url = `${base}/api/v1/query_range?${params}`;
          ours = fromVigil((await engine.rangeQuery(st, q, start, at, 60_000)).value);
        }
      } catch (e) {
        ours = e as Error;
        url = instant ? `${base}/api/v1/query?${params}&time=${(at / 1000).toFixed(3)}` : `${base}/api/v1/query_range?${params}&start=${((at - 1800_000) / 1000).toFixed(3)}&end=${(at / 1000).toFixed(3)}&step=60`;
      }
      const res = (await (await fetch(url)).json()) as PromResponse;
      let d: string | null;
      if (ours instanceof Error || res.status !== 'success') {
        // Both must fail (the messages may differ between versions).
        d = ours instanceof Error && res.status !== 'success' ? null : `Vigil: ${ours instanceof Error ? ours.message : 'ok'}; Prometheus: ${res.error ?? 'ok'}`;
      } else if (typeof ours === 'number') {
        const theirs = res.data?.result as unknown as [number, string];
        d = close(ours, promFloat(theirs[1])) ? null : `${ours} vs ${theirs[1]}`;
      } else d = diff(ours, fromPrometheus(res));
      if (d === null) agree++;
      else disagreements.push(`${instant ? 'instant' : 'range'} ${q}: ${d}`);
    }
    t.diagnostic(`agreement: ${agree}/${QUERIES}`);
    assert.deepEqual(disagreements, [], `${disagreements.length} of ${QUERIES} queries disagree`);
  },
);
