import assert from 'node:assert/strict';
import { test } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { Registry } from 'prom-client';
import { Labels } from '../labels.js';
import { MatchType, Matcher } from '../matcher.js';
import { MemoryStorage } from '../memory_storage.js';
import { NO_REF, STALE_NAN, isStaleNaN, type Storage, ValueType } from '../storage.js';
import { encodeWriteRequestSeries } from './codec.js';
import { snappyEncode } from './snappy.js';
import { MAX_AHEAD_MS, RECEIVER_DISABLED_MESSAGE, remoteWriteRoutes } from './write_handler.js';

type After = { after(fn: () => Promise<void> | void): void };
const NOW = 1_700_000_000_000;
const quiet = { debug() {}, warn() {}, error() {} };

async function build(t: After, storage: Storage, enabled = true, registry = new Registry()): Promise<FastifyInstance> {
  const app = Fastify();
  await remoteWriteRoutes(app, { enabled, appendable: () => storage, logger: quiet, metrics: registry, now: () => NOW, maxDecodedBytes: 1 << 20 });
  t.after(() => app.close());
  return app;
}

function post(app: FastifyInstance, body: Uint8Array, headers: Record<string, string> = {}) {
  return app.inject({
    method: 'POST',
    url: '/api/v1/write',
    headers: { 'content-type': 'application/x-protobuf', 'content-encoding': 'snappy', 'x-prometheus-remote-write-version': '0.1.0', ...headers },
    payload: Buffer.from(body),
  });
}

const up = (job: string) => Labels.fromStrings('__name__', 'up', 'job', job);

function request(series: { labels: Labels; ts: number[]; vs: number[] }[]): Uint8Array {
  return snappyEncode(encodeWriteRequestSeries(series.map((s) => ({ labels: s.labels, ts: Float64Array.from(s.ts), vs: Float64Array.from(s.vs) }))));
}

async function stored(storage: Storage, job: string): Promise<{ ts: number[]; vs: Float64Array }> {
  const q = await storage.querier(0, Number.MAX_SAFE_INTEGER);
  const ss = await q.select(true, null, [new Matcher(MatchType.Equal, 'job', job)]);
  const ts: number[] = [];
  const vs = new Float64Array(64);
  if (ss.next()) {
    const it = ss.at().iterator();
    while (it.next() !== ValueType.None) {
      vs[ts.length] = it.atV();
      ts.push(it.atT());
    }
  }
  await q.close();
  return { ts, vs: vs.subarray(0, ts.length) };
}

test('disabled receiver answers 404 with Prometheus\'s hint', async (t) => {
  const app = await build(t, new MemoryStorage(), false);
  const res = await post(app, request([{ labels: up('a'), ts: [NOW], vs: [1] }]));
  assert.equal(res.statusCode, 404);
  assert.equal(res.body, `${RECEIVER_DISABLED_MESSAGE}\n`);
});

test('a valid request is stored in one transaction and answered 204; the staleness marker survives', async (t) => {
  const storage = new MemoryStorage();
  const app = await build(t, storage);
  const body = snappyEncode(
    encodeWriteRequestSeries([{ labels: up('a'), ts: Float64Array.of(NOW - 2000, NOW - 1000, NOW), vs: Float64Array.of(1, 0, STALE_NAN) }], [
      { type: 'gauge', familyName: 'up', help: 'Up.', unit: '' },
    ]),
  );
  const res = await post(app, body);
  assert.equal(res.statusCode, 204, res.body);
  const got = await stored(storage, 'a');
  assert.deepEqual(got.ts, [NOW - 2000, NOW - 1000, NOW]);
  assert.ok(isStaleNaN(got.vs[2]!));
  // Resending the newest sample with the same value is accepted silently (an identical duplicate).
  const again = await post(app, request([{ labels: up('a'), ts: [NOW - 1000], vs: [0] }, { labels: up('b'), ts: [NOW], vs: [1] }]).subarray(0));
  assert.equal(again.statusCode, 400, 'older than the newest sample: out of order');
  const dup = snappyEncode(encodeWriteRequestSeries([{ labels: up('a'), ts: Float64Array.of(NOW), vs: Float64Array.of(STALE_NAN) }]));
  const again2 = await post(app, dup);
  assert.equal(again2.statusCode, 204, again2.body);
  assert.deepEqual((await stored(storage, 'a')).ts.length, 3);
});

test('out-of-order and duplicate samples: the rest is stored, the 400 counts the rejects', async (t) => {
  const storage = new MemoryStorage();
  const app = storage.appender();
  app.append(NO_REF, up('a'), NOW, 5);
  await app.commit();
  const registry = new Registry();
  const srv = await build(t, storage, true, registry);
  const res = await post(
    srv,
    request([
      { labels: up('a'), ts: [NOW - 1000, NOW, NOW + 1000], vs: [1, 6, 7] },
      { labels: up('b'), ts: [NOW, NOW + MAX_AHEAD_MS + 1], vs: [1, 2] },
    ]),
  );
  assert.equal(res.statusCode, 400);
  assert.match(res.body, /^out of order sample: 3 of 5 samples not stored \(out_of_order_sample: 1, duplicate_sample_for_timestamp: 1, out_of_bounds: 1\); first: out of order sample for \{__name__="up", job="a"\}/);
  assert.deepEqual((await stored(storage, 'a')).ts, [NOW, NOW + 1000]);
  assert.deepEqual((await stored(storage, 'b')).ts, [NOW]);
  const metrics = await registry.metrics();
  assert.match(metrics, /vigil_remote_write_received_samples_total\{result="rejected"\} 3/);
});

test('series with invalid labels are skipped and counted; valid ones are stored', async (t) => {
  const storage = new MemoryStorage();
  const registry = new Registry();
  const app = await build(t, storage, true, registry);
  const res = await post(app, request([{ labels: Labels.fromStrings('job', 'nameless'), ts: [NOW], vs: [1] }, { labels: up('ok'), ts: [NOW], vs: [1] }]));
  assert.equal(res.statusCode, 400);
  assert.match(res.body, /invalid labels: 1 of 2 samples not stored.*__name__ is missing/);
  assert.deepEqual((await stored(storage, 'ok')).ts, [NOW]);
  assert.match(await registry.metrics(), /prometheus_api_remote_write_invalid_labels_samples_total 1/);
});

test('bad bodies are 400 with a reason and allocate nothing big', async (t) => {
  const app = await build(t, new MemoryStorage());
  const good = request([{ labels: up('a'), ts: [NOW], vs: [1] }]);
  const before = process.memoryUsage().arrayBuffers;
  const cases: [string, Uint8Array, RegExp][] = [
    ['truncated snappy', good.subarray(0, good.length - 2), /^snappy: invalid block/],
    ['gigabyte declared length', Uint8Array.of(0x80, 0x80, 0x80, 0x80, 0x04, 0x00, 0x01), /declares 1073741824 uncompressed bytes, more than the limit of 1048576/],
    ['malformed protobuf', snappyEncode(Uint8Array.of(0x0a, 0x05, 0x0a, 0x09, 0x01)), /^WriteRequest: /],
    ['empty body', new Uint8Array(0), /snappy: invalid block: the uncompressed-length preamble is missing/],
    ['not snappy at all', new TextEncoder().encode('{"json": true}'), /snappy/],
  ];
  for (const [what, body, want] of cases) {
    const res = await post(app, body);
    assert.equal(res.statusCode, 400, what);
    assert.match(res.body, want, what);
  }
  assert.ok(process.memoryUsage().arrayBuffers - before < 64 << 20, 'no large allocation');
});

test('unsupported encodings and remote write 2.0 are 415; storage not open is 503', async (t) => {
  const app = await build(t, new MemoryStorage());
  const body = request([{ labels: up('a'), ts: [NOW], vs: [1] }]);
  assert.equal((await post(app, body, { 'content-encoding': 'gzip' })).statusCode, 415);
  const v2 = await post(app, body, { 'content-type': 'application/x-protobuf;proto=io.prometheus.write.v2.Request' });
  assert.equal(v2.statusCode, 415);
  assert.match(v2.body, /2\.0/);
  const closed = new MemoryStorage();
  await closed.close();
  const app2 = await build(t, closed);
  assert.equal((await post(app2, body)).statusCode, 503);
});
