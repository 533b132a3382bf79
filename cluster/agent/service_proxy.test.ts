import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type TestContext, test } from 'node:test';
import type { Endpoints, Service } from '../api/objects.js';
import { PortAllocator } from './ports.js';
import { ServiceProxier } from './service_proxy.js';

async function backend(t: TestContext, id: string): Promise<number> {
  const s: Server = createServer((_req, res) => {
    res.writeHead(200, { connection: 'close' });
    res.end(id);
  });
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  t.after(() => new Promise<void>((r) => s.close(() => r())));
  return (s.address() as AddressInfo).port;
}

/** A port nothing listens on (allocated and released). */
async function deadPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const p = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return p;
}

const svc = (port: number): Service => ({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'default' }, spec: { selector: { app: 'web' }, ports: [{ name: 'http', port, targetPort: 'http' }] } });

function endpoints(ready: [string, number][], notReady: [string, number][] = []): Endpoints {
  const addr = (pod: string) => ({ ip: '127.0.0.1', targetRef: { kind: 'Pod' as const, namespace: 'default', name: pod, uid: pod } });
  return {
    apiVersion: 'v1',
    kind: 'Endpoints',
    metadata: { name: 'web', namespace: 'default' },
    subsets: [
      ...ready.map(([pod, port]) => ({ addresses: [addr(pod)], ports: [{ name: 'http', port }] })),
      ...notReady.map(([pod, port]) => ({ notReadyAddresses: [addr(pod)], ports: [{ name: 'http', port }] })),
    ],
  };
}

async function hit(port: number, n: number): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(await (await fetch(`http://127.0.0.1:${port}/`)).text());
  return out;
}

function count(xs: string[]): Record<string, number> {
  const m: Record<string, number> = {};
  for (const x of xs) m[x] = (m[x] ?? 0) + 1;
  return m;
}

async function proxier(t: TestContext): Promise<{ px: ServiceProxier; port: number }> {
  const px = new ServiceProxier();
  t.after(() => px.close());
  const port = await new PortAllocator(43000, 43999).allocate();
  return { px, port };
}

test('service proxy spreads connections round-robin over the ready endpoints', async (t) => {
  const [a, b, c] = [await backend(t, 'a'), await backend(t, 'b'), await backend(t, 'c')];
  const { px, port } = await proxier(t);
  await px.setService(svc(port));
  await px.setEndpoints(endpoints([['pa', a], ['pb', b], ['pc', c]]));
  assert.deepEqual(count(await hit(port, 9)), { a: 3, b: 3, c: 3 });
  assert.equal(px.proxy(`default/web:${port}`)?.accepted, 9);
});

test('service proxy drops a not-ready endpoint and a pod the agent is terminating, and takes them back', async (t) => {
  const [a, b] = [await backend(t, 'a'), await backend(t, 'b')];
  const { px, port } = await proxier(t);
  await px.setService(svc(port));
  await px.setEndpoints(endpoints([['pa', a]], [['pb', b]]));
  assert.deepEqual(count(await hit(port, 4)), { a: 4 });
  await px.setEndpoints(endpoints([['pa', a], ['pb', b]]));
  assert.deepEqual(count(await hit(port, 4)), { a: 2, b: 2 });
  px.setPodExcluded('default/pa', true);
  assert.deepEqual(count(await hit(port, 4)), { b: 4 });
  px.setPodExcluded('default/pa', false);
  assert.deepEqual(count(await hit(port, 4)), { a: 2, b: 2 });
});

test('service proxy retries a connection refused by one endpoint on the next', async (t) => {
  const a = await backend(t, 'a');
  const dead = await deadPort();
  const { px, port } = await proxier(t);
  await px.setService(svc(port));
  await px.setEndpoints(endpoints([['gone', dead], ['pa', a]]));
  assert.deepEqual(count(await hit(port, 6)), { a: 6 });
  assert.equal(px.proxy(`default/web:${port}`)?.failed, 0);
});

test('service proxy refuses connections when there is no endpoint, and closes the listener with the Service', async (t) => {
  const { px, port } = await proxier(t);
  await px.setService(svc(port));
  await assert.rejects(fetch(`http://127.0.0.1:${port}/`));
  assert.equal(px.proxy(`default/web:${port}`)?.failed, 1);
  await px.setService(null, 'default/web');
  assert.equal(px.proxy(`default/web:${port}`), undefined);
  await assert.rejects(fetch(`http://127.0.0.1:${port}/`));
});

test('service proxy: a taken Service port is reported once and bound by the periodic retry once it is free', async (t) => {
  const a = await backend(t, 'a');
  const { port } = await proxier(t);
  const first = new ServiceProxier();
  const logs: string[] = [];
  const second = new ServiceProxier({ log: (m) => logs.push(m), rebindMs: 30 });
  t.after(() => second.close());
  await first.setService(svc(port));
  await second.setService(svc(port));
  await second.setEndpoints(endpoints([['pa', a]]));
  assert.equal(second.proxy(`default/web:${port}`), undefined);
  assert.equal(logs.length, 1);
  assert.match(logs[0] ?? '', /cannot listen for a service port/);
  await first.close();
  for (let i = 0; i < 100 && second.proxy(`default/web:${port}`) === undefined; i++) await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(await hit(port, 2), ['a', 'a']);
  assert.equal(logs.length, 1);
});
