import assert from 'node:assert/strict';
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, test } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { Labels } from '../tsdb/labels.js';
import { MemoryStorage } from '../tsdb/memory_storage.js';
import { NO_REF, type Querier, type Queryable } from '../tsdb/storage.js';
import { Engine } from './engine.js';
import { queryApiPlugin } from './http.js';
import type { QueryEngine, QueryOptions, QueryResult } from './value.js';

const NOW = 1_700_000_000_000;

/** `up` for two instances, a counter and a gauge with special values, sampled every 15s for 10 minutes before NOW. */
async function fixture(): Promise<MemoryStorage> {
  const st = new MemoryStorage();
  const app = st.appender();
  const series: [Record<string, string>, (i: number) => number][] = [
    [{ __name__: 'up', job: 'api', instance: 'a:9100' }, () => 1],
    [{ __name__: 'up', job: 'api', instance: 'b:9100' }, () => 0],
    [{ __name__: 'up', job: 'db', instance: 'c:9100' }, () => 1],
    [{ __name__: 'http_requests_total', job: 'api', code: '200' }, (i) => i * 10],
    [{ __name__: 'tiny', job: 'api' }, () => 1e-7],
    [{ __name__: 'weird', job: 'api', kind: 'nan' }, () => Number.NaN],
    [{ __name__: 'weird', job: 'api', kind: 'inf' }, () => Number.POSITIVE_INFINITY],
    [{ __name__: 'weird', job: 'api', kind: 'neginf' }, () => Number.NEGATIVE_INFINITY],
  ];
  for (const [ls, f] of series) {
    const labels = Labels.from(ls);
    let ref = NO_REF;
    for (let i = 0; i <= 40; i++) ref = app.append(ref, labels, NOW - 600_000 + i * 15_000, f(i));
  }
  await app.commit();
  return st;
}

function newEngine(): Engine {
  return new Engine({ timeoutMs: 10_000, maxSamples: 1_000_000, lookbackDeltaMs: 300_000, maxConcurrency: 4, enableExperimentalFunctions: true });
}

async function build(t: { after: (fn: () => Promise<void>) => void }, queryable?: Queryable, engine?: QueryEngine): Promise<FastifyInstance> {
  const app = Fastify();
  await app.register(queryApiPlugin, { queryable: queryable ?? (await fixture()), engine: engine ?? newEngine(), now: () => NOW });
  t.after(() => app.close());
  return app;
}

const FORM = { 'content-type': 'application/x-www-form-urlencoded; charset=UTF-8' };

describe('query API: instant and range queries', () => {
  test("Grafana's 1+1 health check returns the scalar 2", async (t) => {
    const app = await build(t);
    const r = await app.inject({ method: 'GET', url: '/api/v1/query?query=1%2B1&time=1700000000.5' });
    assert.equal(r.statusCode, 200);
    assert.equal(r.headers['content-type'], 'application/json');
    assert.equal(r.body, '{"status":"success","data":{"resultType":"scalar","result":[1700000000.500,"2"]}}');
  });

  test('form-encoded POST of query and time, as Grafana sends it', async (t) => {
    const app = await build(t);
    const r = await app.inject({ method: 'POST', url: '/api/v1/query', headers: FORM, payload: 'query=sum+by+(job)+(up)&time=1700000000' });
    assert.equal(r.statusCode, 200);
    assert.deepEqual(JSON.parse(r.body), {
      status: 'success',
      data: {
        resultType: 'vector',
        result: [
          { metric: { job: 'api' }, value: [1700000000, '1'] },
          { metric: { job: 'db' }, value: [1700000000, '1'] },
        ],
      },
    });
  });

  test('the default time is the injected clock, RFC3339 times are accepted', async (t) => {
    const app = await build(t);
    const a = await app.inject({ url: '/api/v1/query?query=time()' });
    assert.equal(JSON.parse(a.body).data.result[0], 1700000000);
    const b = await app.inject({ url: '/api/v1/query?query=time()&time=2023-11-14T22:13:20.250Z' });
    assert.deepEqual(JSON.parse(b.body).data.result, [1700000000.25, '1700000000.25']);
  });

  test('sample values use Go formatting: exponent for tiny values, NaN, +Inf, -Inf', async (t) => {
    const app = await build(t);
    const r = await app.inject({ url: '/api/v1/query?query=tiny' });
    assert.match(r.body, /"value":\[1700000000,"1e-07"\]/);
    const w = JSON.parse((await app.inject({ url: '/api/v1/query?query=weird' })).body);
    const byKind = Object.fromEntries(w.data.result.map((s: { metric: { kind: string }; value: [number, string] }) => [s.metric.kind, s.value[1]]));
    assert.deepEqual(byKind, { nan: 'NaN', inf: '+Inf', neginf: '-Inf' });
  });

  test('range query over GET and POST, step as duration or float seconds', async (t) => {
    const app = await build(t);
    const url = '/api/v1/query_range?query=rate(http_requests_total[1m])&start=1699999800&end=1700000000&step=1m';
    const a = JSON.parse((await app.inject({ url })).body);
    assert.equal(a.data.resultType, 'matrix');
    assert.deepEqual(a.data.result[0].metric, { code: '200', job: 'api' });
    assert.deepEqual(
      a.data.result[0].values.map((p: [number, string]) => p[0]),
      [1699999800, 1699999860, 1699999920, 1699999980],
    );
    for (const p of a.data.result[0].values) assert.ok(Math.abs(Number(p[1]) - 10 / 15) < 1e-9);
    const b = await app.inject({
      method: 'POST',
      url: '/api/v1/query_range',
      headers: FORM,
      payload: 'query=rate(http_requests_total[1m])&start=1699999800&end=1700000000&step=60.0',
    });
    assert.deepEqual(JSON.parse(b.body), a);
  });

  test('strings are escaped like Go: <, > and & as \\u003c, \\u003e, \\u0026', async (t) => {
    const app = await build(t);
    const r = await app.inject({ url: `/api/v1/query?query=${encodeURIComponent('"a<b>&c"')}` });
    assert.equal(r.body, '{"status":"success","data":{"resultType":"string","result":[1700000000,"a\\u003cb\\u003e\\u0026c"]}}');
    const e = await app.inject({ url: `/api/v1/query?query=${encodeURIComponent('sum by (a +) (x)')}` });
    assert.equal(
      e.body,
      '{"status":"error","errorType":"bad_data","error":"invalid parameter \\"query\\": 1:11: parse error: unexpected \\u003cop:+\\u003e in grouping opts, expected \\",\\" or \\")\\""}',
    );
  });

  test('info annotations are returned apart from warnings when the engine provides them', async (t) => {
    const inner = newEngine();
    // The engine's detailed entry point keeps infos separate (QueryResult plus `infos`).
    const engine: QueryEngine = {
      instantQuery: (q, expr, time, opts) => inner.exec(q, expr, time, time, 0, opts),
      rangeQuery: (q, expr, s, e, step, opts) => inner.exec(q, expr, s, e, step, opts),
    };
    const app = await build(t, undefined, engine);
    const r = JSON.parse((await app.inject({ url: '/api/v1/query?query=rate(up[5m])' })).body);
    assert.equal(r.status, 'success');
    assert.equal(r.warnings, undefined);
    assert.equal(r.infos.length, 1);
    assert.match(r.infos[0], /metric might not be a counter/);
  });

  test('limit truncates the result with a warning', async (t) => {
    const app = await build(t);
    const r = JSON.parse((await app.inject({ url: '/api/v1/query?query=up&limit=2' })).body);
    assert.equal(r.data.result.length, 2);
    assert.deepEqual(r.warnings, ['results truncated due to limit']);
  });

  const errors: [string, number, string, string][] = [
    ['/api/v1/query?query=sum(up', 400, 'bad_data', 'invalid parameter "query": 1:7: parse error: unclosed left parenthesis'],
    ['/api/v1/query?query=up&time=yesterday', 400, 'bad_data', `invalid parameter "time": invalid time value for 'time': cannot parse "yesterday" to a valid timestamp`],
    ['/api/v1/query?query=up&limit=-1', 400, 'bad_data', 'invalid parameter "limit": limit must be non-negative'],
    ['/api/v1/query?query=up&lookback_delta=x', 400, 'bad_data', 'error parsing lookback delta duration: cannot parse "x" to a valid duration'],
    ['/api/v1/query_range?query=up&start=100&end=50&step=10', 400, 'bad_data', 'invalid parameter "end": end timestamp must not be before start time'],
    ['/api/v1/query_range?query=up&start=0&end=100&step=0', 400, 'bad_data', 'invalid parameter "step": zero or negative query resolution step widths are not accepted. Try a positive integer'],
    ['/api/v1/query_range?query=up&start=0&end=100&step=x', 400, 'bad_data', 'invalid parameter "step": cannot parse "x" to a valid duration'],
    ['/api/v1/query_range?query=up&start=0&end=11001&step=1', 400, 'bad_data', 'exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)'],
    ['/api/v1/query_range?query=up&end=100&step=1', 400, 'bad_data', 'invalid parameter "start": cannot parse "" to a valid timestamp'],
    ['/api/v1/query_range?query=up[5m]&start=0&end=100&step=10', 400, 'bad_data', 'invalid parameter "query": invalid expression type "range vector" for range query, must be Scalar or instant Vector'],
    ['/api/v1/query?query=up%5B1m-2m%5D', 400, 'bad_data', 'invalid parameter "query": 3:8: duration must be greater than 0'],
    ['/api/v1/query?query=up%20%2B%20on()%20up', 422, 'execution', ''],
  ];
  for (const [url, status, type, msg] of errors) {
    test(`${url} → ${status} ${type}`, async (t) => {
      const app = await build(t);
      const r = await app.inject({ url });
      assert.equal(r.statusCode, status);
      const body = JSON.parse(r.body);
      assert.equal(body.status, 'error');
      assert.equal(body.errorType, type);
      if (msg !== '') assert.equal(body.error, msg);
      else assert.match(body.error, /many-to-many|duplicate/);
      assert.equal('data' in body, false);
    });
  }
  test('11,000 points per series are still accepted', async (t) => {
    const app = await build(t);
    const r = await app.inject({ url: '/api/v1/query_range?query=1&start=0&end=11000&step=1' });
    assert.equal(r.statusCode, 200);
    assert.equal(JSON.parse(r.body).data.result[0].values.length, 11001);
  });
});

describe('query API: metadata endpoints', () => {
  test('series: several match[] are merged, deduplicated and sorted', async (t) => {
    const app = await build(t);
    const r = await app.inject({
      method: 'POST',
      url: '/api/v1/series',
      headers: FORM,
      payload: `match[]=${encodeURIComponent('up{job="db"}')}&match[]=${encodeURIComponent('{__name__="up",instance="c:9100"}')}&match[]=tiny`,
    });
    assert.deepEqual(JSON.parse(r.body), {
      status: 'success',
      data: [
        { __name__: 'tiny', job: 'api' },
        { __name__: 'up', instance: 'c:9100', job: 'db' },
      ],
    });
  });

  test('series: match[] is required and must not match everything', async (t) => {
    const app = await build(t);
    const a = JSON.parse((await app.inject({ url: '/api/v1/series' })).body);
    assert.deepEqual([a.errorType, a.error], ['bad_data', 'no match[] parameter provided']);
    const b = JSON.parse((await app.inject({ url: `/api/v1/series?match[]=${encodeURIComponent('{job=""}')}` })).body);
    assert.equal(b.error, 'invalid parameter "match[]": 1:1: parse error: vector selector must contain at least one non-empty matcher');
  });

  test('labels with match[] and limit, as Grafana looks them up', async (t) => {
    const app = await build(t);
    const all = JSON.parse((await app.inject({ url: '/api/v1/labels' })).body);
    assert.deepEqual(all.data, ['__name__', 'code', 'instance', 'job', 'kind']);
    const some = JSON.parse((await app.inject({ url: `/api/v1/labels?match[]=up&match[]=weird&start=1699999000&end=1700000000` })).body);
    assert.deepEqual(some.data, ['__name__', 'instance', 'job', 'kind']);
    const lim = JSON.parse((await app.inject({ method: 'POST', url: '/api/v1/labels', headers: FORM, payload: 'match[]=up&limit=2' })).body);
    assert.deepEqual(lim, { status: 'success', data: ['__name__', 'instance'], warnings: ['results truncated due to limit'] });
  });

  test('label values with match[], limit, U__ escaping; GET only', async (t) => {
    const app = await build(t);
    const a = JSON.parse((await app.inject({ url: '/api/v1/label/job/values' })).body);
    assert.deepEqual(a.data, ['api', 'db']);
    const b = JSON.parse((await app.inject({ url: `/api/v1/label/instance/values?match[]=${encodeURIComponent('up{job="api"}')}&limit=1` })).body);
    assert.deepEqual(b, { status: 'success', data: ['a:9100'], warnings: ['results truncated due to limit'] });
    const c = JSON.parse((await app.inject({ url: '/api/v1/label/U__jo_62_/values' })).body);
    assert.deepEqual(c.data, ['api', 'db']);
    const post = await app.inject({ method: 'POST', url: '/api/v1/label/job/values' });
    assert.equal(post.statusCode, 404);
  });

  test('metadata answers an empty map and validates limit', async (t) => {
    const app = await build(t);
    assert.equal((await app.inject({ url: '/api/v1/metadata?metric=up' })).body, '{"status":"success","data":{}}');
    const bad = JSON.parse((await app.inject({ url: '/api/v1/metadata?limit=x' })).body);
    assert.deepEqual([bad.errorType, bad.error], ['bad_data', 'limit must be a number']);
  });

  test('query_exemplars accepts millisecond times and answers an empty list', async (t) => {
    const app = await build(t);
    const r = await app.inject({ url: '/api/v1/query_exemplars?query=up&start=1699999000000&end=1700000000000' });
    assert.equal(r.body, '{"status":"success","data":[]}');
    const noSel = await app.inject({ method: 'POST', url: '/api/v1/query_exemplars', headers: FORM, payload: 'query=1%2B1' });
    assert.equal(noSel.body, '{"status":"success"}');
    const bad = JSON.parse((await app.inject({ url: '/api/v1/query_exemplars?query=up&start=10&end=5' })).body);
    assert.deepEqual([bad.errorType, bad.error], ['bad_data', 'end timestamp must not be before start timestamp']);
  });

  test('format_query prettifies; parse_query returns the tree-view AST', async (t) => {
    const app = await build(t);
    const f = JSON.parse((await app.inject({ url: `/api/v1/format_query?query=${encodeURIComponent('sum(rate(x{b="1",a="2"}[5m]))by(job)')}` })).body);
    assert.equal(f.data, 'sum by (job) (rate(x{a="2",b="1"}[5m]))');
    const p = JSON.parse((await app.inject({ method: 'POST', url: '/api/v1/parse_query', headers: FORM, payload: 'query=up%20offset%205m%20%3E%20bool%201' })).body);
    assert.deepEqual(p.data, {
      type: 'binaryExpr',
      op: '>',
      bool: true,
      matching: null,
      lhs: {
        type: 'vectorSelector',
        name: 'up',
        offset: 300000,
        offsetExpr: null,
        matchers: [{ name: '__name__', value: 'up', type: '=' }],
        timestamp: null,
        startOrEnd: null,
        anchored: false,
        smoothed: false,
      },
      rhs: { type: 'numberLiteral', val: '1' },
    });
    const bad = JSON.parse((await app.inject({ url: '/api/v1/format_query?query=sum(' })).body);
    assert.deepEqual([bad.errorType, bad.error], ['bad_data', 'invalid parameter "query": 1:5: parse error: unclosed left parenthesis']);
  });
});

/** A promise with its resolver. */
function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve = (): void => {};
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/** Storage whose `querier()` waits for `gate` (like a slow remote read), telling `entered` when a query reached it. */
class GatedQueryable implements Queryable {
  readonly entered = deferred();
  readonly gate = deferred();
  constructor(private readonly inner: Queryable) {}
  async querier(mint: number, maxt: number): Promise<Querier> {
    this.entered.resolve();
    await this.gate.promise;
    return this.inner.querier(mint, maxt);
  }
}

/** The real engine, recording the signal and the outcome of each instant query. */
class RecordingEngine implements QueryEngine {
  readonly signals: AbortSignal[] = [];
  readonly outcomes: Promise<unknown>[] = [];
  constructor(private readonly inner: Engine) {}
  instantQuery(q: Queryable, expr: string, timeMs: number, opts?: QueryOptions): Promise<QueryResult> {
    if (opts?.signal !== undefined) this.signals.push(opts.signal);
    const p = this.inner.instantQuery(q, expr, timeMs, opts);
    this.outcomes.push(p.then(() => 'ok', (e: unknown) => e));
    return p;
  }
  rangeQuery(q: Queryable, expr: string, s: number, e: number, step: number, opts?: QueryOptions): Promise<QueryResult> {
    return this.inner.rangeQuery(q, expr, s, e, step, opts);
  }
}

async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500 && !cond(); i++) await new Promise((r) => setTimeout(r, 2));
  assert.ok(cond(), `timed out waiting for ${what}`);
}

describe('query API: cancellation and timeouts', () => {
  test('a query is aborted when the client goes away', async (t) => {
    const storage = new GatedQueryable(await fixture());
    const engine = new RecordingEngine(newEngine());
    const app = await build(t, storage, engine);
    await app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = app.server.address() as AddressInfo;
    const req = request({ host: '127.0.0.1', port, path: '/api/v1/query?query=up' });
    req.on('error', () => {});
    req.end();
    await storage.entered.promise;
    req.destroy();
    await until(() => engine.signals[0]?.aborted === true, 'the query signal to abort');
    storage.gate.resolve();
    const outcome = (await engine.outcomes[0]) as { code?: string };
    assert.equal(outcome.code, 'canceled');
  });

  test('the timeout parameter ends a query with a timeout error (503)', async (t) => {
    const storage = new GatedQueryable(await fixture());
    const engine = new RecordingEngine(newEngine());
    const app = await build(t, storage, engine);
    const pending = app.inject({ url: '/api/v1/query?query=up&timeout=5ms' });
    await storage.entered.promise;
    await until(() => engine.signals[0]?.aborted === true, 'the timeout');
    storage.gate.resolve();
    const r = await pending;
    assert.equal(r.statusCode, 503);
    assert.deepEqual(JSON.parse(r.body), { status: 'error', errorType: 'timeout', error: 'query timed out in expression evaluation' });
  });
});
