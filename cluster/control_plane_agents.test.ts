/**
 * The control plane (cluster part in a real `vigil server`) with two real node
 * agents running real processes (test/fixtures/http_app.mjs): a Deployment is
 * scheduled across both nodes, its pods become Ready, the endpoints controller
 * lists them from the ports the agents publish, and the agents' Service proxy
 * spreads requests over them; then a rolling update v1 → v2 and a rollback to
 * v1, each under a bounded request loop, fail no request.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parseCommandArgs } from '../cmd/cli.js';
import { SERVER_FLAGS, serverFlagsFrom } from '../cmd/flags.js';
import { StructuredLogger } from '../cmd/logger.js';
import { startServer } from '../cmd/server.js';
import { ApiClient, ENDPOINTS, PODS, type ResourceRef, SERVICES } from './agent/api_client.js';
import { NodeAgent } from './agent/node_agent.js';
import { PortAllocator } from './agent/ports.js';
import type { Deployment, Endpoints, Pod, Service } from './api/objects.js';
import { clusterPart } from './cluster_part.js';
import { ROLLBACK_ANNOTATION } from './controllers/deployment_controller.js';

const DEPLOYMENTS = (namespace: string): ResourceRef => ({ prefix: '/apis/apps/v1', resource: 'deployments', namespace });
const APP = fileURLToPath(new URL('../../test/fixtures/http_app.mjs', import.meta.url));

async function waitFor<T>(what: string, fn: () => Promise<T | undefined | null | false>, timeoutMs = 20_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined && v !== null && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const template = (version: string) => ({
  metadata: { labels: { app: 'web' } },
  spec: {
    terminationGracePeriodSeconds: 5,
    containers: [
      {
        name: 'web',
        image: `${process.execPath} ${APP} --version ${version}`,
        ports: [{ name: 'http' }],
        readinessProbe: { httpGet: { path: '/ready', port: 'http' }, periodSeconds: 1 },
        resources: { requests: { cpu: '100m', memory: '32Mi' } },
      },
    ],
  },
});

test('control plane and two node agents: placement, readiness, endpoints, proxying and a rolling update without failed requests', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-cp-agents-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const cfg = join(dir, 'vigil.yml');
  writeFileSync(cfg, 'global:\n  scrape_interval: 15s\n');
  const flags = serverFlagsFrom(parseCommandArgs(['--web.listen-address=127.0.0.1:0', `--config.file=${cfg}`, `--storage.tsdb.path=${join(dir, 'data')}`], SERVER_FLAGS, { min: 0, max: 0 }));
  const part = clusterPart({ localAgent: false });
  const server = await startServer(flags, { logger: new StructuredLogger({ level: 'error', caller: false, sink: { write: () => {} } }), baseParts: [part] });
  const agents: NodeAgent[] = [];
  t.after(async () => {
    for (const a of agents) await a.stop();
    await server.close();
  });
  // The test drives the cluster as the admin; each agent runs with its own node credential (the node authorizer).
  const admin = await part.auth()!.adminToken();
  const client = new ApiClient(server.url, { retryDelayMs: 50, headers: () => ({ authorization: `Bearer ${admin}` }) });
  for (const [i, name] of ['node-a', 'node-b'].entries()) {
    const credential = await part.auth()!.issueNodeCredential(name);
    const agent = new NodeAgent({
      client: new ApiClient(server.url, { retryDelayMs: 50, headers: () => ({ authorization: `Bearer ${credential}` }) }),
      nodeName: name,
      dataDir: join(dir, name),
      capacity: { cpu: '2', memory: '4Gi', pods: '10' },
      listenAddress: '127.0.0.1:0',
      portRange: { low: 41000 + i * 500, high: 41499 + i * 500 },
      leaseRenewMs: 200,
      probeSecondMs: 100,
      drainMs: 300,
      sampleMs: 500,
    });
    await agent.start();
    agents.push(agent);
  }
  const svcPort = await new PortAllocator(42000, 42999).allocate();
  await client.create<Service>(SERVICES('default'), { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'default' }, spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: svcPort, targetPort: 'http' }] } });
  await client.create<Deployment>(DEPLOYMENTS('default'), {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default' },
    spec: { replicas: 3, selector: { matchLabels: { app: 'web' } }, template: template('v1') },
  });
  const readyAddresses = async () => {
    const ep = await client.get<Endpoints>(ENDPOINTS('default'), 'web');
    return (ep.subsets ?? []).flatMap((s) => (s.addresses ?? []).map((a) => `${a.ip}:${s.ports?.[0]?.port}`));
  };
  await waitFor('three ready endpoints', async () => (await readyAddresses()).length === 3);
  const pods = (await client.list<Pod>(PODS('default'))).items;
  const perNode = new Map<string, number>();
  for (const p of pods) perNode.set(p.spec.nodeName ?? '', (perNode.get(p.spec.nodeName ?? '') ?? 0) + 1);
  assert.deepEqual([...perNode.values()].sort(), [1, 2], `spread over both nodes: ${JSON.stringify([...perNode])}`);
  // The proxy on the Service port answers from every replica (round-robin).
  const seen = new Set<string>();
  await waitFor('responses from all three replicas', async () => {
    for (let i = 0; i < 6; i++) seen.add(await (await fetch(`http://127.0.0.1:${svcPort}/`)).text());
    return seen.size === 3;
  });
  assert.ok([...seen].every((b) => b.startsWith('v1 ')));

  // Rolling update v1 → v2, then a rollback (the `vigil.dev/rollback-to` annotation) to v1, each under a bounded request loop.
  const rollUnderLoad = async (change: (d: Deployment) => Deployment, to: string) => {
    let failures = 0;
    let requests = 0;
    const versions = new Set<string>();
    let loading = true;
    const load = (async () => {
      while (loading && requests < 20_000) {
        requests++;
        try {
          const r = await fetch(`http://127.0.0.1:${svcPort}/`);
          if (r.status !== 200) failures++;
          versions.add((await r.text()).split(' ')[0] ?? '');
        } catch {
          failures++;
        }
      }
    })();
    const d = await client.get<Deployment>(DEPLOYMENTS('default'), 'web');
    await client.update<Deployment>(DEPLOYMENTS('default'), change(d));
    await waitFor(
      `rollout to ${to}`,
      async () => {
        const dd = await client.get<Deployment>(DEPLOYMENTS('default'), 'web');
        const ps = (await client.list<Pod>(PODS('default'))).items;
        return (
          dd.status?.updatedReplicas === 3 &&
          dd.status.availableReplicas === 3 &&
          ps.length === 3 &&
          ps.every((p) => p.spec.containers[0]?.image.endsWith(to)) &&
          (await readyAddresses()).length === 3
        );
      },
      40_000,
    );
    loading = false;
    await load;
    assert.equal(failures, 0, `${failures} of ${requests} requests failed during the rollout to ${to}`);
    assert.ok(versions.has(to), `served ${to} during the rollout: ${[...versions]}`);
    assert.ok((await (await fetch(`http://127.0.0.1:${svcPort}/`)).text()).startsWith(`${to} `));
  };
  await rollUnderLoad((d) => ({ ...d, spec: { ...d.spec, template: template('v2') } }), 'v2');
  await rollUnderLoad((d) => ({ ...d, metadata: { ...d.metadata, annotations: { ...d.metadata.annotations, [ROLLBACK_ANNOTATION]: '0' } } }), 'v1');
  const final = await client.get<Deployment>(DEPLOYMENTS('default'), 'web');
  assert.equal(final.metadata.annotations?.['deployment.kubernetes.io/revision'], '3');
});
