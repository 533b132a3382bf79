/**
 * The demo load against a real HTTP server on 127.0.0.1, with an injected clock
 * and ticks driven by the test: the on/off schedule, the rate per tick (fractions
 * carried over), the in-flight bound, one connection per request, and `stop()`
 * waiting for what is in flight.
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { DemoLoad, loadPhase } from './demo_load.js';

test('loadPhase alternates on and off, starting on', () => {
  assert.deepEqual(loadPhase(0, 90, 150), { on: true, remainingMs: 90 });
  assert.deepEqual(loadPhase(89, 90, 150), { on: true, remainingMs: 1 });
  assert.deepEqual(loadPhase(90, 90, 150), { on: false, remainingMs: 150 });
  assert.deepEqual(loadPhase(239, 90, 150), { on: false, remainingMs: 1 });
  assert.deepEqual(loadPhase(240, 90, 150), { on: true, remainingMs: 90 });
  assert.deepEqual(loadPhase(500, 0, 0), { on: false, remainingMs: Number.POSITIVE_INFINITY });
  assert.equal(loadPhase(100, 100, 0).on, true, 'never off without an off period');
});

async function server(handler: (req: IncomingMessage, res: ServerResponse) => void, t: { after(fn: () => Promise<void>): void }): Promise<string> {
  const s = createServer(handler);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  t.after(() => new Promise<void>((r) => s.close(() => r())));
  const a = s.address();
  return `http://127.0.0.1:${typeof a === 'object' && a !== null ? a.port : 0}/`;
}

test('each tick sends its share of the rate while on, nothing while off; each request on its own connection', async (t) => {
  const sockets = new Set<unknown>();
  let requests = 0;
  const url = await server((req, res) => {
    requests++;
    sockets.add(req.socket);
    res.end('ok');
  }, t);
  let now = 0;
  // 25/s with 100 ms ticks: 2.5 per tick, so ticks alternate 2 and 3.
  const load = new DemoLoad({ url, ratePerSecond: 25, onMs: 1000, offMs: 1000, tickMs: 100, now: () => now });
  load.start();
  t.after(() => load.stop());
  for (let i = 0; i < 4; i++) {
    load.tick();
    now += 100;
  }
  assert.equal(load.stats.sent, 10, '4 ticks × 2.5');
  assert.equal(load.isOn(), true);
  now = 1500; // off
  load.tick();
  load.tick();
  assert.equal(load.stats.sent, 10, 'nothing while off');
  assert.equal(load.isOn(), false);
  await load.stop();
  assert.equal(load.stats.ok, 10);
  assert.equal(requests, 10);
  assert.equal(sockets.size, 10, 'one connection per request');
});

test('at most maxInFlight requests are outstanding; stop() waits for them; failures are counted', async (t) => {
  const pending: ServerResponse[] = [];
  const url = await server((_req, res) => {
    pending.push(res);
  }, t);
  const load = new DemoLoad({ url, ratePerSecond: 100, onMs: 10_000, offMs: 0, tickMs: 100, maxInFlight: 3, now: () => 0 });
  load.start();
  load.tick(); // 10 wanted, 3 sent
  assert.equal(load.stats.sent, 3);
  assert.equal(load.stats.skipped, 7);
  const end = Date.now() + 5000;
  while (pending.length < 3 && Date.now() < end) await sleep(10);
  let stopped = false;
  const stopping = load.stop().then(() => {
    stopped = true;
  });
  await sleep(50);
  assert.equal(stopped, false, 'stop waits for the requests in flight');
  for (const r of pending) r.writeHead(503).end();
  await stopping;
  assert.equal(load.stats.failed, 3, '5xx answers count as failures');

  // Nobody listening: connection errors are counted, never thrown.
  const dead = new DemoLoad({ url: 'http://127.0.0.1:1/', ratePerSecond: 20, onMs: 1000, offMs: 0, tickMs: 100, now: () => 0 });
  dead.start();
  dead.tick();
  await dead.stop();
  assert.equal(dead.stats.sent, 2);
  assert.equal(dead.stats.failed, 2);
  assert.throws(() => new DemoLoad({ url, ratePerSecond: 5000, onMs: 1, offMs: 1 }), /ratePerSecond must be within 0\.\.1000/);
});
