import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import Fastify from 'fastify';
import { clusterApi } from '../api/http.js';
import type { ConfigMap, Endpoints, Lease, Node, Pod, Service } from '../api/objects.js';
import { Registry } from '../api/registry.js';
import { SqliteStore } from '../store/sqlite_store.js';
import { ApiClient, CONFIGMAPS, ENDPOINTS, LEASES, NODES, PODS, SERVICES } from './api_client.js';
import { NodeAgent } from './node_agent.js';
import { PortAllocator } from './ports.js';
import { HOST_PORTS_ANNOTATION } from './service_proxy.js';

const APP = fileURLToPath(new URL('../../../test/fixtures/http_app.mjs', import.meta.url));

/** Starts a real API server; the returned close function is for the test's last after-hook (after the agent stopped). */
async function apiServer(): Promise<{ url: string; close: () => Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-agent-api-'));
  const store = new SqliteStore(join(dir, 'c.db'), { pollIntervalMs: 0, leaseSweepIntervalMs: 0 });
  const registry = new Registry(store);
  await registry.ensureSystemNamespaces();
  const app = Fastify();
  await app.register(clusterApi, { registry, maxWatchSeconds: 5 });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const close = async () => {
    // The agent's fetch keeps idle keep-alive connections open; without this, close waits
    // for fastify's keep-alive timeout (72 s).
    app.server.closeAllConnections();
    await app.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  };
  const a = app.server.address();
  return { url: `http://127.0.0.1:${typeof a === 'object' && a !== null ? a.port : 0}`, close };
}

async function waitFor<T>(what: string, fn: () => Promise<T | undefined | null | false>, timeoutMs = 10_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined && v !== null && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 30));
  }
}

test('node agent end to end: registers its node and lease, runs a bound pod to Running/Ready, serves it through a Service, and finishes a graceful delete', async (t) => {
  const api = await apiServer();
  const client = new ApiClient(api.url, { retryDelayMs: 50 });
  const dataDir = mkdtempSync(join(tmpdir(), 'vigil-agent-data-'));
  const agent = new NodeAgent({
    client,
    nodeName: 'node-a',
    dataDir,
    labels: { zone: 'z1' },
    capacity: { cpu: '2', memory: '4Gi', pods: '10' },
    listenAddress: '127.0.0.1:0',
    nodeIP: '127.0.0.2',
    portRange: { low: 44000, high: 44999 },
    leaseRenewMs: 100,
    probeSecondMs: 50,
    drainMs: 100,
    sampleMs: 100,
  });
  await agent.start();
  t.after(async () => {
    // The agent first: it closes its watches, so the API server closes at once.
    await agent.stop();
    await api.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  // Node and lease.
  const node = await client.get<Node>(NODES, 'node-a');
  assert.equal(node.metadata.labels?.zone, 'z1');
  assert.deepEqual(node.status?.capacity, { cpu: '2', memory: '4Gi', pods: '10' });
  assert.equal(node.status?.conditions?.[0]?.type, 'Ready');
  assert.equal(node.status?.conditions?.[0]?.status, 'True');
  assert.equal(node.status?.nodeInfo?.isolation, agent.isolation);
  assert.deepEqual(node.status?.addresses?.[0], { type: 'InternalIP', address: '127.0.0.2' });
  assert.equal(node.status?.daemonEndpoints?.agentEndpoint.Port, agent.port);
  const lease1 = await client.get<Lease>(LEASES('kube-node-lease'), 'node-a');
  assert.equal(lease1.spec.holderIdentity, 'node-a');
  await waitFor('lease renewal', async () => (await client.get<Lease>(LEASES('kube-node-lease'), 'node-a')).spec.renewTime !== lease1.spec.renewTime);

  // A pod bound to the node, with a ConfigMap volume.
  await client.create<ConfigMap>(CONFIGMAPS('default'), { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'web-cfg', namespace: 'default' }, data: { greeting: 'hello' } });
  const pod: Pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web-1', namespace: 'default', labels: { app: 'web' } },
    spec: {
      nodeName: 'node-a',
      terminationGracePeriodSeconds: 5,
      volumes: [{ name: 'cfg', configMap: { name: 'web-cfg' } }],
      containers: [
        {
          name: 'web',
          volumeMounts: [{ name: 'cfg', mountPath: 'cfg' }],
          image: `${process.execPath} ${APP} --version v1`,
          ports: [{ name: 'http' }],
          readinessProbe: { httpGet: { path: '/ready', port: 'http' }, periodSeconds: 1 },
        },
      ],
    },
  };
  await client.create(PODS('default'), pod);
  const running = await waitFor('pod Running and Ready', async () => {
    const p = await client.get<Pod>(PODS('default'), 'web-1');
    return p.status?.phase === 'Running' && p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ? p : undefined;
  });
  assert.equal(running.status?.podIP, '127.0.0.2');
  assert.equal(running.status?.hostIP, '127.0.0.2');
  assert.equal(running.status?.containerStatuses?.[0]?.ready, true);
  assert.ok(running.status?.containerStatuses?.[0]?.state.running?.startedAt);
  const hostPort = (JSON.parse(running.metadata.annotations?.[HOST_PORTS_ANNOTATION] ?? '{}') as Record<string, number>).http;
  assert.ok(hostPort !== undefined && hostPort >= 44000 && hostPort <= 44999);
  assert.equal(await (await fetch(`http://127.0.0.1:${hostPort}/`)).text(), `v1 ${hostPort}\n`);
  // ConfigMap volume files follow the ConfigMap.
  const podDir = [...agent.pods.values()][0]!.dir;
  assert.equal(readFileSync(join(podDir, 'cfg', 'greeting'), 'utf8'), 'hello');
  const cfg = await client.get<ConfigMap>(CONFIGMAPS('default'), 'web-cfg');
  await client.update<ConfigMap>(CONFIGMAPS('default'), { ...cfg, data: { greeting: 'bonjour', added: 'yes' } });
  await waitFor('refreshed volume', async () => existsSync(join(podDir, 'cfg', 'added')) && readFileSync(join(podDir, 'cfg', 'greeting'), 'utf8') === 'bonjour');

  // A Service with the Endpoints the endpoints controller would write: reachable through the agent's proxy.
  const svcPort = await new PortAllocator(45000, 45999).allocate();
  await client.create<Service>(SERVICES('default'), { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'default' }, spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: svcPort, targetPort: 'http' }] } });
  await client.create<Endpoints>(ENDPOINTS('default'), {
    apiVersion: 'v1',
    kind: 'Endpoints',
    metadata: { name: 'web', namespace: 'default' },
    subsets: [{ addresses: [{ ip: '127.0.0.1', nodeName: 'node-a', targetRef: { kind: 'Pod', namespace: 'default', name: 'web-1', uid: running.metadata.uid ?? '' } }], ports: [{ name: 'http', port: hostPort }] }],
  });
  const body = await waitFor('service proxy', async () => (await fetch(`http://127.0.0.1:${svcPort}/`)).text());
  assert.equal(body, `v1 ${hostPort}\n`);

  // Metrics of the pod.
  const metrics = await waitFor('pod metrics', async () => {
    const m = await (await fetch(`http://127.0.0.1:${agent.port}/metrics`)).text();
    return /vigil_pod_memory_bytes\{namespace="default",pod="web-1",container="web"\} [1-9]/.test(m) ? m : undefined;
  });
  assert.match(metrics, /vigil_pod_probe_result\{namespace="default",pod="web-1",container="web",probe="readiness"\} 1/);
  assert.match(metrics, /vigil_pod_container_restarts_total\{namespace="default",pod="web-1",container="web"\} 0/);
  assert.match(metrics, /vigil_pod_cpu_seconds_total\{namespace="default",pod="web-1",container="web"\} /);
  assert.match(metrics, new RegExp(`vigil_service_proxy_connections_total\\{service="default/web",port="${svcPort}"\\} [1-9]`));
  assert.match(metrics, new RegExp(`vigil_service_proxy_endpoints\\{service="default/web",port="${svcPort}"\\} 1`));
  const logs = await (await fetch(`http://127.0.0.1:${agent.port}/logs/default/web-1/web`)).text();
  assert.match(logs, /listening on [0-9]+ version v1/);

  // Graceful delete: the agent drops the pod from its proxy, stops the process and removes the pod.
  const sup = [...agent.pods.values()][0]!;
  await client.delete(PODS('default'), 'web-1');
  await waitFor('proxy dropped the terminating pod', async () => agent.proxier.proxy(`default/web:${svcPort}`)?.currentBackends.length === 0);
  await waitFor('pod gone from the API', async () => (await client.tryGet<Pod>(PODS('default'), 'web-1')) === null);
  await waitFor('agent forgot the pod', async () => agent.pods.size === 0);
  assert.equal(sup.runners[0]?.proc?.running, false);
  assert.equal(existsSync(sup.dir), false);
  await assert.rejects(fetch(`http://127.0.0.1:${hostPort}/`));
});

test('node agent: deleting a pod behind a Service under load fails no request (dropped from the proxy before SIGTERM)', async (t) => {
  const api = await apiServer();
  const client = new ApiClient(api.url, { retryDelayMs: 50 });
  const dataDir = mkdtempSync(join(tmpdir(), 'vigil-agent-data-'));
  const agent = new NodeAgent({ client, nodeName: 'node-b', dataDir, listenAddress: '127.0.0.1:0', portRange: { low: 47000, high: 47999 }, probeSecondMs: 50, drainMs: 200, leaseRenewMs: 1000 });
  await agent.start();
  t.after(async () => {
    await agent.stop();
    await api.close();
    rmSync(dataDir, { recursive: true, force: true });
  });
  const mk = (name: string, version: string): Pod => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', labels: { app: 'lb' } },
    spec: {
      nodeName: 'node-b',
      terminationGracePeriodSeconds: 5,
      containers: [{ name: 'web', image: `${process.execPath} ${APP} --version ${version}`, ports: [{ name: 'http' }], readinessProbe: { httpGet: { path: '/ready', port: 'http' }, periodSeconds: 1 } }],
    },
  });
  await client.create(PODS('default'), mk('lb-1', 'one'));
  await client.create(PODS('default'), mk('lb-2', 'two'));
  const ready = async (name: string) =>
    waitFor(`${name} Ready`, async () => {
      const p = await client.get<Pod>(PODS('default'), name);
      return p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') && p.metadata.annotations?.[HOST_PORTS_ANNOTATION] ? p : undefined;
    });
  const pods = [await ready('lb-1'), await ready('lb-2')];
  const svcPort = await new PortAllocator(48000, 48999).allocate();
  await client.create<Service>(SERVICES('default'), { apiVersion: 'v1', kind: 'Service', metadata: { name: 'lb', namespace: 'default' }, spec: { selector: { app: 'lb' }, ports: [{ port: svcPort, targetPort: 'http' }] } });
  await client.create<Endpoints>(ENDPOINTS('default'), {
    apiVersion: 'v1',
    kind: 'Endpoints',
    metadata: { name: 'lb', namespace: 'default' },
    subsets: pods.map((p) => ({
      addresses: [{ ip: '127.0.0.1', targetRef: { kind: 'Pod' as const, namespace: 'default', name: p.metadata.name, uid: p.metadata.uid ?? '' } }],
      ports: [{ port: (JSON.parse(p.metadata.annotations?.[HOST_PORTS_ANNOTATION] ?? '{}') as Record<string, number>).http ?? 0 }],
    })),
  });
  await waitFor('proxy with two backends', async () => agent.proxier.proxy(`default/lb:${svcPort}`)?.currentBackends.length === 2);

  // A bounded load loop (4 workers × 60 requests); lb-1 is deleted after the first 40 answers.
  const seen: Record<string, number> = {};
  let failures = 0;
  let done = 0;
  let deleted: Promise<unknown> | null = null;
  const worker = async () => {
    for (let i = 0; i < 60; i++) {
      try {
        const body = await (await fetch(`http://127.0.0.1:${svcPort}/`)).text();
        const v = body.split(' ')[0] ?? '';
        seen[v] = (seen[v] ?? 0) + 1;
      } catch {
        failures++;
      }
      if (++done === 40) deleted = client.delete(PODS('default'), 'lb-1');
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
  await deleted;
  assert.equal(failures, 0);
  assert.ok((seen.one ?? 0) > 0 && (seen.two ?? 0) > 0, JSON.stringify(seen));
  await waitFor('lb-1 gone', async () => (await client.tryGet<Pod>(PODS('default'), 'lb-1')) === null);
  // Afterwards everything goes to lb-2 even though the Endpoints object (written by hand here) still lists lb-1.
  for (let i = 0; i < 5; i++) assert.match(await (await fetch(`http://127.0.0.1:${svcPort}/`)).text(), /^two /);
});
