import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { test } from 'node:test';
import { Registry } from 'prom-client';
import { ConfigDoc } from '../config_reader.js';
import { Labels } from '../labels.js';
import { MatchType, Matcher } from '../matcher.js';
import { MemoryStorage } from '../memory_storage.js';
import { NO_REF, ValueType } from '../storage.js';
import { decodeWriteRequest } from './codec.js';
import { parseRemoteWriteConfigs } from './config.js';
import { RemoteWriteMetrics } from './queue_metrics.js';
import { RemoteStorage } from './remote_storage.js';
import { snappyDecode } from './snappy.js';

type After = { after(fn: () => Promise<void> | void): void };
const quiet = { info() {}, warn() {}, error() {} };

/** A real receiver that can be told to fail (503) for a while; records timestamps per series. */
async function receiver(t: After) {
  const stored = new Map<string, number[]>();
  const state = { failing: false };
  const srv = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (state.failing) {
        res.writeHead(503).end('down\n');
        return;
      }
      const d = decodeWriteRequest(snappyDecode(Buffer.concat(chunks), 1 << 24));
      for (const s of d.series) {
        const list = stored.get(s.labels!.toString()) ?? [];
        for (let i = s.start; i < s.end; i++) list.push(d.ts[i]!);
        stored.set(s.labels!.toString(), list);
      }
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  t.after(() => new Promise<void>((r) => srv.close(() => r())));
  const addr = srv.address();
  return { url: `http://127.0.0.1:${typeof addr === 'object' && addr !== null ? addr.port : 0}/write`, stored, state };
}

function rw(yaml: string) {
  return parseRemoteWriteConfigs(ConfigDoc.parse(yaml, 'p.yml').root(), '', 'utf8');
}

async function until(what: string, check: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

test('commits reach the queue; a changed queue config takes the backlog over; removal stops the queue', async (t) => {
  const rcv = await receiver(t);
  const storage = new RemoteStorage(new MemoryStorage(), { flushDeadlineMs: 200 });
  t.after(() => storage.close());
  const env = { metrics: new RemoteWriteMetrics(new Registry()), logger: quiet };
  const cfgA = rw(`remote_write:\n  - url: ${rcv.url}\n    queue_config: {batch_send_deadline: 20ms, min_backoff: 5ms, max_backoff: 20ms}\n`);
  await storage.applyConfig({ externalLabels: Labels.EMPTY, remoteWrite: cfgA, remoteRead: [] }, env);
  const queueA = storage.writeQueues()[0]!;
  const series = Labels.fromStrings('__name__', 'm');
  const commit = async (t0: number, n: number) => {
    const app = storage.appender();
    for (let i = 0; i < n; i++) app.append(NO_REF, series, t0 + i, i);
    await app.commit();
  };
  await commit(0, 10);
  await until('first samples', () => (rcv.stored.get('{__name__="m"}')?.length ?? 0) === 10);

  // Same configuration again: the very same queue keeps running.
  await storage.applyConfig({ externalLabels: Labels.EMPTY, remoteWrite: cfgA, remoteRead: [] }, env);
  assert.equal(storage.writeQueues()[0], queueA);

  // While the receiver is down, samples pile up; then the queue's configuration changes.
  rcv.state.failing = true;
  await commit(10, 10);
  await new Promise((r) => setTimeout(r, 50));
  const cfgB = rw(`remote_write:\n  - url: ${rcv.url}\n    queue_config: {batch_send_deadline: 20ms, min_backoff: 5ms, max_backoff: 20ms, max_samples_per_send: 3}\n`);
  await commit(20, 10);
  const applying = storage.applyConfig({ externalLabels: Labels.EMPTY, remoteWrite: cfgB, remoteRead: [] }, env);
  rcv.state.failing = false;
  await applying;
  assert.notEqual(storage.writeQueues()[0], queueA);
  await until('the backlog through the new queue', () => (rcv.stored.get('{__name__="m"}')?.length ?? 0) >= 30);
  const ts = rcv.stored.get('{__name__="m"}')!;
  assert.deepEqual([...new Set(ts)].sort((a, b) => a - b), Array.from({ length: 30 }, (_, i) => i));

  // The local storage has everything regardless.
  const q = await storage.querier(0, 100);
  const ss = await q.select(true, null, [new Matcher(MatchType.Equal, '__name__', 'm')]);
  assert.ok(ss.next());
  let n = 0;
  const it = ss.at().iterator();
  while (it.next() !== ValueType.None) n++;
  assert.equal(n, 30);
  await q.close();

  await storage.applyConfig({ externalLabels: Labels.EMPTY, remoteWrite: [], remoteRead: [] }, env);
  assert.equal(storage.writeQueues().length, 0);
});
