import assert from 'node:assert/strict';
import { test } from 'node:test';
import Fastify from 'fastify';
import { defaultTlsConfig } from '../../scrape/http_client_config.js';
import { FanoutStorage } from '../fanout.js';
import { Labels } from '../labels.js';
import { MatchType, Matcher } from '../matcher.js';
import { MemoryStorage } from '../memory_storage.js';
import { NO_REF, type Queryable, type SeriesSet, ValueType } from '../storage.js';
import { ReadClient } from './read_client.js';
import { remoteReadRoutes } from './read_handler.js';
import { RemoteQueryable, type RemoteQueryableOptions } from './remote_queryable.js';

type After = { after(fn: () => Promise<void> | void): void };
const eq = (n: string, v: string) => new Matcher(MatchType.Equal, n, v);

/** A real remote read endpoint (Vigil's own handler) over a MemoryStorage, counting requests. */
async function endpoint(t: After, maxSamples = 0): Promise<{ url: string; requests: () => number }> {
  const storage = new MemoryStorage();
  const app = storage.appender();
  for (const job of ['a', 'b']) for (let i = 0; i < 10; i++) app.append(NO_REF, Labels.fromStrings('__name__', 'm', 'job', job), 1000 * i, i);
  await app.commit();
  const srv = Fastify();
  let n = 0;
  srv.addHook('onRequest', async () => {
    n++;
  });
  await remoteReadRoutes(srv, { queryable: () => storage, externalLabels: () => Labels.fromStrings('site', 'eu'), maxSamples });
  await srv.listen({ host: '127.0.0.1', port: 0 });
  t.after(() => srv.close());
  const addr = srv.server.address();
  return { url: `http://127.0.0.1:${typeof addr === 'object' && addr !== null ? addr.port : 0}/api/v1/read`, requests: () => n };
}

function remote(url: string, opts: Partial<RemoteQueryableOptions> = {}): RemoteQueryable {
  const client = new ReadClient({
    url,
    timeoutMs: 2000,
    headers: {},
    httpClientConfig: { basicAuth: null, authorization: null, tlsConfig: defaultTlsConfig(), followRedirects: true, enableHttp2: true },
  });
  return new RemoteQueryable(client, {
    name: 'r',
    externalLabels: Labels.fromStrings('site', 'eu'),
    requiredMatchers: {},
    readRecent: true,
    localStartTime: async () => Number.MAX_SAFE_INTEGER,
    ...opts,
  });
}

async function collect(ss: SeriesSet): Promise<string[]> {
  const out: string[] = [];
  while (ss.next()) {
    const it = ss.at().iterator();
    let n = 0;
    while (it.next() !== ValueType.None) n++;
    out.push(`${ss.at().labels.toString()}:${n}`);
  }
  return out;
}

async function select(q: Queryable, mint: number, maxt: number, ...m: Matcher[]): Promise<SeriesSet> {
  const querier = await q.querier(mint, maxt);
  return querier.select(true, null, m);
}

test('remote select: external labels are matched remotely and stripped locally', async (t) => {
  const ep = await endpoint(t);
  const got = await collect(await select(remote(ep.url), 0, 100_000, eq('__name__', 'm')));
  assert.deepEqual(got, ['{__name__="m", job="a"}:10', '{__name__="m", job="b"}:10']);
  // Without filtering, the endpoint's external label comes back.
  const raw = await collect(await select(remote(ep.url, { externalLabels: null }), 0, 4_000, eq('job', 'a')));
  assert.deepEqual(raw, ['{__name__="m", job="a", site="eu"}:5']);
});

test('required_matchers and read_recent decide whether the endpoint is asked at all', async (t) => {
  const ep = await endpoint(t);
  const req = remote(ep.url, { requiredMatchers: { job: 'b' } });
  assert.deepEqual(await collect(await select(req, 0, 100_000, eq('__name__', 'm'))), []);
  assert.equal(ep.requests(), 0);
  assert.deepEqual(await collect(await select(req, 0, 100_000, eq('__name__', 'm'), eq('job', 'b'))), ['{__name__="m", job="b"}:10']);
  const old = remote(ep.url, { readRecent: false, localStartTime: async () => 3000 });
  assert.deepEqual(await collect(await select(old, 5000, 100_000, eq('job', 'a'))), [], 'range fully covered locally');
  assert.deepEqual(await collect(await select(old, 0, 100_000, eq('job', 'a'))), ['{__name__="m", job="a"}:4'], 'cut at the local start time');
  assert.equal(ep.requests(), 2);
});

test('failures become warnings, also through the fanout storage', async (t) => {
  const ep = await endpoint(t, 5);
  const limited = await select(remote(ep.url), 0, 100_000, eq('__name__', 'm'));
  assert.deepEqual(await collect(limited), []);
  assert.match(limited.warnings()[0]!, /^remote_read r \(http:.*\): remote server .* returned HTTP status 400: exceeded sample limit \(5\)/);
  const primary = new MemoryStorage();
  const app = primary.appender();
  app.append(NO_REF, Labels.fromStrings('__name__', 'm', 'job', 'local'), 1, 1);
  await app.commit();
  const fan = new FanoutStorage(primary, () => [remote('http://127.0.0.1:1/api/v1/read')]);
  const ss = await select(fan, 0, 10, eq('__name__', 'm'));
  assert.deepEqual(await collect(ss), ['{__name__="m", job="local"}:1']);
  assert.match(ss.warnings()[0]!, /error sending request to http:\/\/127\.0\.0\.1:1\/api\/v1\/read/);
});
