import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Labels } from '../tsdb/labels.js';
import { MemoryStorage } from '../tsdb/memory_storage.js';
import { NO_REF, type Querier, type Queryable, STALE_NAN } from '../tsdb/storage.js';
import { Engine, type EngineOptions } from './engine.js';
import { EvaluationError } from './eval_errors.js';

const MIN = 60_000;

function engine(over: Partial<EngineOptions> = {}): Engine {
  return new Engine({ timeoutMs: 10_000, maxSamples: 1_000_000, lookbackDeltaMs: 5 * MIN, maxConcurrency: 4, ...over });
}

/** `n` series `x{i="…"}` with a sample every 15s for `points` points, value = i + k. */
async function storage(n: number, points: number): Promise<MemoryStorage> {
  const st = new MemoryStorage();
  const app = st.appender();
  for (let i = 0; i < n; i++) {
    const l = Labels.from({ __name__: 'x_total', i: String(i), job: i % 2 === 0 ? 'even' : 'odd' });
    for (let k = 0; k < points; k++) app.append(NO_REF, l, k * 15_000, i + k);
  }
  await app.commit();
  return st;
}

async function rejects(p: Promise<unknown>, code: string, message: RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof EvaluationError, `expected EvaluationError, got ${String(e)}`);
    assert.equal(e.code, code);
    assert.match(e.message, message);
    return true;
  });
}

test('instant query returns vector, scalar and string values with the query time', async () => {
  const st = await storage(3, 40);
  const e = engine();
  const v = await e.instantQuery(st, 'x_total{i="1"}', 300_000);
  assert.equal(v.value.type, 'vector');
  if (v.value.type !== 'vector') return;
  assert.equal(v.value.series.length, 1);
  assert.equal(v.value.series[0]!.v, 1 + 20);
  assert.equal(v.value.series[0]!.t, 300_000);
  const s = await e.instantQuery(st, '2 * 3', 1000);
  assert.deepEqual(s.value, { type: 'scalar', t: 1000, v: 6 });
  const str = await e.instantQuery(st, '"hello"', 1000);
  assert.deepEqual(str.value, { type: 'string', t: 1000, v: 'hello' });
});

test('range query over a scalar yields one unlabelled series; rate drops the metric name', async () => {
  const st = await storage(2, 41);
  const e = engine();
  const r = await e.rangeQuery(st, 'time()', 0, 120_000, 60_000);
  assert.equal(r.value.type, 'matrix');
  if (r.value.type !== 'matrix') return;
  assert.equal(r.value.series.length, 1);
  assert.ok(r.value.series[0]!.labels.isEmpty());
  assert.deepEqual(Array.from(r.value.series[0]!.vs), [0, 60, 120]);
  const rate = await e.rangeQuery(st, 'rate(x_total[1m])', 120_000, 300_000, 60_000);
  if (rate.value.type !== 'matrix') return assert.fail('expected matrix');
  assert.equal(rate.value.series.length, 2);
  for (const s of rate.value.series) {
    assert.equal(s.labels.get('__name__'), '');
    // One increment of 1 every 15s, extrapolated over the whole window: 1/15 per second.
    for (const v of s.vs) assert.ok(Math.abs(v - 1 / 15) < 1e-12);
  }
});

test('a range query rejects range-vector expressions', async () => {
  const st = await storage(1, 4);
  await rejects(engine().rangeQuery(st, 'x_total[5m]', 0, 60_000, 15_000), 'execution', /invalid expression type "range vector" for range query/);
});

test('staleness markers end a series and per-query lookback delta applies', async () => {
  const st = new MemoryStorage();
  const app = st.appender();
  const l = Labels.from({ __name__: 'm' });
  const vs = new Float64Array(3);
  vs[0] = 1;
  vs[1] = 2;
  vs[2] = STALE_NAN; // Set directly: an array literal may lose the NaN payload.
  for (let k = 0; k < 3; k++) app.append(NO_REF, l, k * 10_000, vs[k]!);
  await app.commit();
  const e = engine();
  const before = await e.instantQuery(st, 'm', 15_000);
  assert.equal(before.value.type === 'vector' && before.value.series.length, 1);
  const after = await e.instantQuery(st, 'm', 25_000);
  assert.equal(after.value.type === 'vector' && after.value.series.length, 0);
  // Lookback 3s: at 15s the newest sample (10s) is too old.
  const short = await e.instantQuery(st, 'm', 15_000, { lookbackDeltaMs: 3000 });
  assert.equal(short.value.type === 'vector' && short.value.series.length, 0);
});

test('max samples limit fails the query with Prometheus error text', async () => {
  const st = await storage(50, 40);
  const e = engine({ maxSamples: 100 });
  await rejects(
    e.rangeQuery(st, 'x_total', 0, 600_000, 15_000),
    'too_many_samples',
    /^query processing would load too many samples into memory in query execution$/,
  );
  // A window of 40 points is held while a series is reduced.
  await rejects(engine({ maxSamples: 30 }).instantQuery(st, 'sum_over_time(x_total[10m])', 600_000), 'too_many_samples', /too many samples/);
  // Within the limit it works.
  const ok = await engine({ maxSamples: 1000 }).instantQuery(st, 'sum(x_total)', 600_000);
  assert.equal(ok.value.type, 'vector');
});

test('an aborted signal cancels the query', async () => {
  const st = await storage(1, 4);
  const ac = new AbortController();
  ac.abort();
  await rejects(engine().instantQuery(st, 'x_total', 0, { signal: ac.signal }), 'canceled', /query was canceled/);
});

test('a query past its timeout fails with a timeout error', async () => {
  const st = await storage(200, 200);
  // A zero timeout expires before evaluation starts.
  await rejects(engine({ timeoutMs: 0 }).rangeQuery(st, 'rate(x_total[5m])', 0, 3_000_000, 15_000), 'timeout', /query timed out/);
});

/** Storage whose queriers are handed out only when the test releases them (to hold queries mid-flight). */
class GatedQueryable implements Queryable {
  private readonly inner: Queryable;
  private gate: Promise<void>;
  private open: () => void;
  entered: number;
  constructor(inner: Queryable) {
    this.inner = inner;
    this.entered = 0;
    this.open = () => {};
    this.gate = new Promise((r) => {
      this.open = r;
    });
  }
  release(): void {
    this.open();
  }
  async querier(mint: number, maxt: number): Promise<Querier> {
    this.entered++;
    await this.gate;
    return this.inner.querier(mint, maxt);
  }
}

test('max concurrency queues queries; a queued query can be aborted', async () => {
  const st = await storage(1, 4);
  const gated = new GatedQueryable(st);
  const e = engine({ maxConcurrency: 1 });
  const first = e.instantQuery(gated, 'x_total', 0);
  const ac = new AbortController();
  const second = e.instantQuery(gated, 'x_total', 0, { signal: ac.signal });
  const third = e.instantQuery(gated, 'x_total', 0);
  await new Promise((r) => setImmediate(r));
  assert.equal(gated.entered, 1, 'only one query may run at a time');
  ac.abort();
  await rejects(second, 'canceled', /canceled in query queue/);
  gated.release();
  const [a, c] = await Promise.all([first, third]);
  assert.equal(a.value.type, 'vector');
  assert.equal(c.value.type, 'vector');
  assert.equal(gated.entered, 2);
});

test('annotations are rendered with positions; infos are separate from warnings', async () => {
  const st = await storage(1, 40);
  const st2 = new MemoryStorage();
  const app = st2.appender();
  for (let k = 0; k < 10; k++) app.append(NO_REF, Labels.from({ __name__: 'gauge' }), k * 15_000, k);
  await app.commit();
  const e = engine();
  const r = await e.exec(st2, 'rate(gauge[1m])', 120_000, 120_000, 0);
  assert.deepEqual(r.infos, ['PromQL info: metric might not be a counter, name does not end in _total/_sum/_count/_bucket: "gauge" (1:6)']);
  assert.deepEqual(r.warnings, []);
  const q = await e.exec(st, 'quantile(2, x_total)', 60_000, 60_000, 0);
  assert.deepEqual(q.warnings, ['PromQL warning: quantile value should be between 0 and 1, got 2 (1:10)']);
});

test('vector matching errors carry Prometheus messages', async () => {
  const st = await storage(4, 4);
  await rejects(
    engine().instantQuery(st, 'x_total + on(job) x_total', 30_000),
    'execution',
    /^found duplicate series for the match group \{job="even"\} on the right hand-side of the operation: \[.*\];many-to-many matching not allowed: matching labels must be unique on one side$/,
  );
  await rejects(
    engine().instantQuery(st, 'label_replace(x_total, "i", "same", "", "") * 2', 30_000),
    'execution',
    /vector cannot contain metrics with the same labelset/,
  );
});

test('hostile queries fail with the too-many-samples error instead of exhausting memory', async () => {
  const st = await storage(20, 40);
  const e = engine({ maxSamples: 100_000 });
  // 86.4 billion subquery steps.
  await rejects(e.instantQuery(st, 'count_over_time(x_total[1000d:1ms])', 600_000), 'too_many_samples', /too many samples/);
  // Raw data is bounded too.
  await rejects(engine({ maxLoadedSamples: 500 }).instantQuery(st, 'sum_over_time(x_total[1h])', 600_000), 'too_many_samples', /too many samples/);
  const ok = await engine({ maxLoadedSamples: 1000 }).instantQuery(st, 'sum_over_time(x_total[1h])', 600_000);
  assert.equal(ok.value.type === 'vector' && ok.value.series.length, 20);
});

test('a query times out during evaluation, measured on the injected clock', async () => {
  const st = await storage(600, 40);
  let clock = 0;
  // Every reading of the clock advances it by 1 ms: the deadline passes after a bounded
  // number of checks, deterministically, without sleeping.
  const e = engine({ timeoutMs: 20, now: () => clock++ });
  await rejects(e.rangeQuery(st, 'sum by (job) (rate(x_total[1m])) + on (job) count by (job) (x_total)', 0, 600_000, 15_000), 'timeout', /^query timed out in (expression evaluation|query preparation)$/);
  // With a generous budget the same query completes.
  clock = 0;
  const ok = await engine({ timeoutMs: 1e9, now: () => clock++ }).rangeQuery(st, 'sum by (job) (rate(x_total[1m]))', 0, 600_000, 15_000);
  assert.equal(ok.value.type, 'matrix');
});

/** Storage that aborts the caller's controller when a querier is requested (a client going away mid-query). */
class AbortingQueryable implements Queryable {
  constructor(
    private readonly inner: Queryable,
    private readonly ac: AbortController,
  ) {}
  async querier(mint: number, maxt: number): Promise<Querier> {
    this.ac.abort();
    return this.inner.querier(mint, maxt);
  }
}

test('aborting while a query runs cancels it', async () => {
  const st = await storage(10, 40);
  const ac = new AbortController();
  await rejects(engine().instantQuery(new AbortingQueryable(st, ac), 'sum(x_total)', 300_000, { signal: ac.signal }), 'canceled', /^query was canceled in /);
});

test('prepareInstant: one parse, the same results as instantQuery at every time, overlapping evaluations included', async () => {
  const st = await storage(4, 40);
  const e = engine();
  // `@ start()`, an offset and a duration expression: the fields the engine writes into the tree per run.
  const expr = 'sum by (job) (rate(x_total[1m + 30s] offset 1m)) + on(job) group_left sum by (job) (min_over_time(x_total[2m:30s] @ start()))';
  const run = e.prepareInstant(st, expr);
  const times = [240_000, 300_000, 390_000, 450_000];
  for (const t of times) assert.deepEqual(await run(t), await e.instantQuery(st, expr, t), `at ${t}`);
  // Evaluations running at the same time (the engine awaits the storage inside): each gets its own answer.
  const together = await Promise.all(times.map((t) => run(t)));
  for (let i = 0; i < times.length; i++) assert.deepEqual(together[i], await e.instantQuery(st, expr, times[i]!), `overlapping at ${times[i]}`);
  assert.throws(() => e.prepareInstant(st, 'sum(('), /unclosed left parenthesis|unexpected/);
});
