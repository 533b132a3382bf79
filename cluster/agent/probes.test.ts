import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type TestContext, test } from 'node:test';
import { type ProbeTarget, ProbeWorker, runProbe } from './probes.js';

async function httpServer(t: TestContext, handler: (path: string, headers: Record<string, string | string[] | undefined>) => number): Promise<number> {
  const s = createServer((req, res) => {
    res.writeHead(handler(req.url ?? '/', req.headers));
    res.end();
  });
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  t.after(() => new Promise<void>((r) => s.close(() => r())));
  return (s.address() as AddressInfo).port;
}

function target(ports: Record<string, number>): ProbeTarget {
  return { portOf: (p) => (typeof p === 'number' ? p : ports[p]), cwd: '/', env: { PATH: process.env.PATH ?? '' } };
}

test('http probe: 200-399 succeed, others fail; path, httpHeaders and named ports are honoured', async (t) => {
  const seen: string[] = [];
  const port = await httpServer(t, (path, h) => {
    seen.push(`${path} ${String(h['x-probe'])}`);
    return path === '/ok' ? 200 : path === '/redirect' ? 302 : path === '/teapot' ? 418 : 500;
  });
  const tg = target({ http: port });
  const probe = (path: string) => ({ httpGet: { path, port: 'http', httpHeaders: [{ name: 'X-Probe', value: 'yes' }] } });
  assert.equal(await runProbe(probe('/ok'), tg), true);
  assert.equal(await runProbe(probe('/redirect'), tg), true);
  assert.equal(await runProbe(probe('/teapot'), tg), false);
  assert.equal(await runProbe(probe('/boom'), tg), false);
  assert.equal(await runProbe({ httpGet: { path: '/ok', port: 'nope' } }, tg), false);
  assert.equal(await runProbe({ httpGet: { path: '/ok', port } }, tg), true);
  assert.deepEqual(seen.slice(0, 2), ['/ok yes', '/redirect yes']);
});

test('http probe fails after timeoutSeconds when the app hangs', async (t) => {
  const s = createServer(() => {}); // never answers
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  t.after(() => {
    s.closeAllConnections();
    return new Promise<void>((r) => s.close(() => r()));
  });
  const port = (s.address() as AddressInfo).port;
  const t0 = Date.now();
  assert.equal(await runProbe({ httpGet: { path: '/', port }, timeoutSeconds: 1 }, target({})), false);
  const took = Date.now() - t0;
  assert.ok(took >= 900 && took < 3000, `took ${took} ms`);
});

test('tcp probe: an open port succeeds, a closed one fails', async (t) => {
  const port = await httpServer(t, () => 200);
  assert.equal(await runProbe({ tcpSocket: { port } }, target({})), true);
  const closed = createServer();
  await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
  const dead = (closed.address() as AddressInfo).port;
  await new Promise<void>((r) => closed.close(() => r()));
  assert.equal(await runProbe({ tcpSocket: { port: dead } }, target({})), false);
});

test('exec probe: exit 0 succeeds, non-zero fails, a command over its timeout fails', async () => {
  assert.equal(await runProbe({ exec: { command: ['true'] } }, target({})), true);
  assert.equal(await runProbe({ exec: { command: ['sh', '-c', 'exit 3'] } }, target({})), false);
  assert.equal(await runProbe({ exec: { command: ['/no/such/binary'] } }, target({})), false);
  const t0 = Date.now();
  assert.equal(await runProbe({ exec: { command: ['sleep', '5'] }, timeoutSeconds: 1 }, target({})), false);
  assert.ok(Date.now() - t0 < 3000);
});

test('probe worker applies successThreshold and failureThreshold; readiness starts failed, liveness passed', async (t) => {
  let code = 500;
  const port = await httpServer(t, () => code);
  const changes: string[] = [];
  let runs = 0;
  const w = new ProbeWorker('readiness', { httpGet: { path: '/', port }, periodSeconds: 1, successThreshold: 2, failureThreshold: 3 }, target({}), {
    secondMs: 20,
    onChange: (ok) => changes.push(`${ok}@${runs}`),
    onResult: () => {
      runs++;
    },
  });
  assert.equal(w.result, false);
  assert.equal(new ProbeWorker('liveness', { exec: { command: ['true'] } }, target({}), { onChange: () => {} }).result, true);
  t.after(() => w.stop());
  w.start();
  const until = async (n: number) => {
    while (runs < n) await new Promise((r) => setTimeout(r, 5));
  };
  await until(2);
  code = 200;
  const base = runs;
  await until(base + 3);
  code = 500;
  const base2 = runs;
  await until(base2 + 4);
  w.stop();
  // Became ready on the 2nd success, not ready on the 3rd failure.
  assert.equal(changes.length, 2, changes.join(' '));
  const [up, down] = changes.map((c) => Number(c.split('@')[1]));
  assert.ok(up !== undefined && up >= base + 2 && up <= base + 3, changes.join(' '));
  assert.ok(down !== undefined && down >= base2 + 3 && down <= base2 + 4, changes.join(' '));
  assert.ok(changes[0]?.startsWith('true') && changes[1]?.startsWith('false'));
});
