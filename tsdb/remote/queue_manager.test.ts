import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { test } from 'node:test';
import { Registry } from 'prom-client';
import { Labels } from '../labels.js';
import { decodeWriteRequest } from './codec.js';
import { DEFAULT_QUEUE_CONFIG, type QueueConfig } from './config.js';
import { MemorySampleSource, SeriesTable } from './memory_sample_source.js';
import { QueueManager } from './queue_manager.js';
import { RemoteWriteMetrics } from './queue_metrics.js';
import { snappyDecode } from './snappy.js';
import { WriteClient } from './write_client.js';
import { defaultTlsConfig } from '../../scrape/http_client_config.js';

type After = { after(fn: () => Promise<void> | void): void };

/** A real HTTP receiver answering from a script of statuses (then 204), recording what it stored. */
class Receiver {
  readonly server: Server;
  readonly script: { status: number; headers?: Record<string, string> }[] = [];
  readonly stored = new Map<string, number[]>();
  readonly batchSizes: number[] = [];
  attempts = 0;
  url = '';
  /** Milliseconds each successful request takes (a slow receiver). */
  delayMs = 0;

  constructor() {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        this.attempts++;
        const step = this.script.shift();
        if (step !== undefined && step.status !== 204) {
          res.writeHead(step.status, step.headers ?? {}).end(`scripted ${step.status}\n`);
          return;
        }
        const data = decodeWriteRequest(snappyDecode(Buffer.concat(chunks), 1 << 24));
        this.batchSizes.push(data.samples);
        for (const s of data.series) {
          const key = s.labels!.toString();
          const list = this.stored.get(key) ?? [];
          for (let i = s.start; i < s.end; i++) list.push(data.ts[i]!);
          this.stored.set(key, list);
        }
        setTimeout(() => res.writeHead(204).end(), this.delayMs);
      });
    });
  }

  async start(t: After): Promise<this> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    const addr = this.server.address();
    this.url = `http://127.0.0.1:${typeof addr === 'object' && addr !== null ? addr.port : 0}/api/v1/write`;
    t.after(() => new Promise<void>((r) => this.server.close(() => r())));
    return this;
  }

  total(): number {
    let n = 0;
    for (const l of this.stored.values()) n += l.length;
    return n;
  }
}

const quiet = { info() {}, warn() {}, error() {} };

function setup(t: After, rcv: Receiver, queue: Partial<QueueConfig>, opts: { external?: Labels; shardUpdateIntervalMs?: number } = {}) {
  const registry = new Registry();
  const metrics = new RemoteWriteMetrics(registry);
  const table = new SeriesTable();
  const source = new MemorySampleSource(table);
  const cfg: QueueConfig = { ...DEFAULT_QUEUE_CONFIG, batchSendDeadline: 30, minBackoff: 5, maxBackoff: 40, ...queue };
  const qm = new QueueManager({
    name: 'test',
    url: rcv.url,
    queue: cfg,
    externalLabels: opts.external ?? Labels.EMPTY,
    relabel: [],
    source,
    writer: new WriteClient({ url: rcv.url, timeoutMs: 2000, headers: {}, httpClientConfig: { basicAuth: null, authorization: null, tlsConfig: defaultTlsConfig(), followRedirects: true, enableHttp2: false } }, cfg.retryOnHttp429),
    metrics,
    logger: quiet,
    random: () => 0.5,
    shardUpdateIntervalMs: opts.shardUpdateIntervalMs,
  });
  qm.start();
  t.after(() => qm.stop(100));
  const push = (series: number, from: number, n: number) => {
    const refs = new Float64Array(n);
    const ts = new Float64Array(n);
    const vs = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      refs[i] = table.ref(Labels.fromStrings('__name__', 'm', 's', String(series)));
      ts[i] = from + i;
      vs[i] = i;
    }
    source.push(refs, ts, vs, n);
  };
  const metric = async (name: string): Promise<number> => {
    const m = registry.getSingleMetric(name);
    const v = (await m!.get()).values.find((x) => x.labels.remote_name === 'test');
    return v?.value ?? Number.NaN;
  };
  return { qm, push, metric };
}

async function until(what: string, check: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

test('5xx is retried until it succeeds; batches respect max_samples_per_send; series keep their order', async (t) => {
  const rcv = await new Receiver().start(t);
  rcv.script.push({ status: 503 }, { status: 500 });
  const { push, metric } = setup(t, rcv, { maxSamplesPerSend: 100, minShards: 2, maxShards: 2 });
  for (let s = 0; s < 5; s++) push(s, 1000 * s, 50);
  await until('all 250 samples', () => rcv.total() === 250);
  for (const [key, ts] of rcv.stored) assert.deepEqual(ts, [...ts].sort((a, b) => a - b), `${key} in order`);
  assert.ok(rcv.batchSizes.every((n) => n <= 100), `batch sizes ${rcv.batchSizes}`);
  // The receiver stores before it answers: give the sender the moment to see the last 204.
  for (let i = 0; i < 100 && (await metric('prometheus_remote_storage_samples_total')) < 250; i++) await new Promise((r) => setTimeout(r, 10));
  assert.equal(await metric('prometheus_remote_storage_samples_total'), 250);
  assert.ok((await metric('prometheus_remote_storage_samples_retried_total')) > 0);
  assert.equal(await metric('prometheus_remote_storage_samples_failed_total'), 0);
  assert.equal(await metric('prometheus_remote_storage_shards'), 2);
});

test('4xx drops the batch and counts it as failed; 429 is dropped unless retry_on_http_429', async (t) => {
  const rcv = await new Receiver().start(t);
  rcv.script.push({ status: 400 }, { status: 429 });
  const { push, metric } = setup(t, rcv, { maxSamplesPerSend: 10 });
  push(0, 0, 10);
  await until('the 400', () => rcv.attempts === 1);
  push(0, 100, 10);
  await until('the 429', () => rcv.attempts === 2);
  push(0, 200, 10);
  await until('a stored batch', () => rcv.total() === 10);
  assert.equal(await metric('prometheus_remote_storage_samples_failed_total'), 20);
  assert.equal(await metric('prometheus_remote_storage_samples_retried_total'), 0);

  const rcv2 = await new Receiver().start(t);
  rcv2.script.push({ status: 429, headers: { 'retry-after': '0' } }, { status: 429 });
  const q2 = setup(t, rcv2, { maxSamplesPerSend: 10, retryOnHttp429: true });
  q2.push(0, 0, 10);
  await until('the retried batch', () => rcv2.total() === 10);
  assert.equal(rcv2.attempts, 3);
  assert.equal(await q2.metric('prometheus_remote_storage_samples_retried_total'), 20);
});

test('resharding drains the old shards first: nothing lost, order kept', async (t) => {
  const rcv = await new Receiver().start(t);
  const { qm, push } = setup(t, rcv, { maxSamplesPerSend: 20, minShards: 1, maxShards: 4 });
  push(0, 0, 100);
  push(1, 0, 100);
  const resharded = qm.reshard(4);
  push(0, 100, 100);
  push(1, 100, 100);
  await resharded;
  assert.equal(qm.shardCount(), 4);
  await until('all 400 samples', () => rcv.total() === 400);
  for (const ts of rcv.stored.values()) assert.deepEqual(ts, Array.from({ length: 200 }, (_, i) => i));
});

test('stop is bounded by the flush deadline even when the endpoint keeps failing', async (t) => {
  const rcv = await new Receiver().start(t);
  for (let i = 0; i < 1000; i++) rcv.script.push({ status: 500 });
  const { qm, push, metric } = setup(t, rcv, { maxSamplesPerSend: 10 });
  push(0, 0, 10);
  await until('a first attempt', () => rcv.attempts >= 2);
  // Two attempts reached the receiver, so the first failure was counted as a retry.
  assert.ok((await metric('prometheus_remote_storage_samples_retried_total')) >= 10);
  assert.equal(await metric('prometheus_remote_storage_samples_failed_total'), 0);
  const start = Date.now();
  await qm.stop(150);
  assert.ok(Date.now() - start < 2000, 'bounded stop');
  assert.equal(rcv.total(), 0);
});

test('external labels are added unless the series has the label', async (t) => {
  const rcv = await new Receiver().start(t);
  const { push } = setup(t, rcv, { maxSamplesPerSend: 5 }, { external: Labels.fromStrings('site', 'eu', 's', 'ignored') });
  push(3, 0, 5);
  await until('the batch', () => rcv.total() === 5);
  assert.deepEqual([...rcv.stored.keys()], ['{__name__="m", s="3", site="eu"}']);
});

test('dynamic sharding: a slow receiver and a fast input make the queue add shards, within max_shards', async (t) => {
  const rcv = await new Receiver().start(t);
  rcv.delayMs = 40;
  const { qm, push, metric } = setup(t, rcv, { maxSamplesPerSend: 10, minShards: 1, maxShards: 4, batchSendDeadline: 200 }, { shardUpdateIntervalMs: 250 });
  assert.equal(qm.shardCount(), 1);
  // About 2,000 samples/s in, while one shard can send about 250/s.
  for (let step = 0; step < 40 && qm.shardCount() === 1; step++) {
    for (let s = 0; s < 20; s++) push(s, step * 10, 5);
    await new Promise((r) => setTimeout(r, 50));
  }
  await until('resharding', () => qm.shardCount() > 1, 5000);
  assert.ok(qm.shardCount() <= 4);
  assert.ok((await metric('prometheus_remote_storage_shards_desired')) > 1);
});
