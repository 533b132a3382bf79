import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HOST_PORTS_ANNOTATION as AGENT_ANNOTATION } from '../agent/service_proxy.js';
import type { Endpoints, Pod } from '../api/objects.js';
import { EndpointsController, HOST_PORTS_ANNOTATION } from './endpoints_controller.js';
import { DeploymentController } from './deployment_controller.js';
import { ReplicaSetController } from './replicaset_controller.js';
import { DEPLOYMENTS, ENDPOINTS, PODS, REPLICASETS, SERVICES } from './resources.js';
import { type TestCluster, testCluster } from './test_env.js';

async function boundPod(c: TestCluster, name: string, labels: Record<string, string>, ports: Record<string, number> | null): Promise<Pod> {
  await c.registry.create(PODS, 'default', {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels },
    spec: { nodeName: 'n1', containers: [{ name: 'app', image: 'node app.js', ports: [{ name: 'http' }] }] },
  });
  if (ports !== null) {
    const p = (await c.registry.get(PODS, 'default', name)) as Pod;
    await c.registry.update(PODS, 'default', name, { ...p, metadata: { ...p.metadata, annotations: { [HOST_PORTS_ANNOTATION]: JSON.stringify(ports) } } });
  }
  return (await c.registry.get(PODS, 'default', name)) as Pod;
}

async function endpoints(c: TestCluster): Promise<Endpoints> {
  return (await c.registry.get(ENDPOINTS, 'default', 'web')) as Endpoints;
}

const ready = (ep: Endpoints) => (ep.subsets ?? []).flatMap((s) => (s.addresses ?? []).map((a) => `${a.targetRef?.name}@${a.ip}:${s.ports?.[0]?.port}`));
const notReady = (ep: Endpoints) => (ep.subsets ?? []).flatMap((s) => (s.notReadyAddresses ?? []).map((a) => a.targetRef?.name));

test('the annotation the endpoints controller reads is the one the node agent writes', () => {
  assert.equal(HOST_PORTS_ANNOTATION, AGENT_ANNOTATION);
});

test('endpoints follow pod readiness and drop terminating pods at once', async (t) => {
  const c = await testCluster(t);
  const ec = new EndpointsController(c.registry);
  await c.registry.create(SERVICES, 'default', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] } });
  const a = await boundPod(c, 'web-a', { app: 'web' }, { http: 31001 });
  const b = await boundPod(c, 'web-b', { app: 'web' }, { http: 31002 });
  await boundPod(c, 'other', { app: 'other' }, { http: 31003 });
  await boundPod(c, 'web-noport', { app: 'web' }, null);
  await ec.sync('default/web');
  let ep = await endpoints(c);
  assert.deepEqual(ready(ep), []);
  assert.deepEqual(notReady(ep), ['web-a', 'web-b'], 'not-ready pods are listed apart; a pod without its port is left out');
  await c.setPodReady(a, true);
  await c.setPodReady(b, true);
  await ec.sync('default/web');
  ep = await endpoints(c);
  assert.deepEqual(ready(ep), ['web-a@127.0.0.1:31001', 'web-b@127.0.0.1:31002']);
  assert.equal(ep.subsets?.[0]?.ports?.[0]?.name, 'http');
  // Readiness lost: out of addresses.
  await c.setPodReady(a, false);
  await ec.sync('default/web');
  assert.deepEqual(ready(await endpoints(c)), ['web-b@127.0.0.1:31002']);
  await c.setPodReady(a, true);
  await ec.sync('default/web');
  assert.deepEqual(ready(await endpoints(c)), ['web-a@127.0.0.1:31001', 'web-b@127.0.0.1:31002']);
  // Graceful deletion of a bound pod sets deletionTimestamp; the pod leaves the Endpoints before it is stopped.
  await c.registry.delete(PODS, 'default', 'web-b');
  const gone = (await c.registry.get(PODS, 'default', 'web-b')) as Pod;
  assert.ok(gone.metadata.deletionTimestamp !== undefined, 'the pod is still there, terminating');
  await ec.sync('default/web');
  assert.deepEqual(ready(await endpoints(c)), ['web-a@127.0.0.1:31001']);
  // No write when nothing changed.
  const rv = (await endpoints(c)).metadata.resourceVersion;
  await ec.sync('default/web');
  assert.equal((await endpoints(c)).metadata.resourceVersion, rv);
  // The Service goes, its Endpoints follow.
  await c.registry.delete(SERVICES, 'default', 'web');
  await ec.sync('default/web');
  await assert.rejects(endpoints(c), (e: Error & { code?: number }) => e.code === 404);
});

test('a numeric targetPort resolves through the published containerPort, else a fixed port', async (t) => {
  const c = await testCluster(t);
  const ec = new EndpointsController(c.registry);
  await c.registry.create(SERVICES, 'default', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }] } });
  const p = await boundPod(c, 'web-a', { app: 'web' }, { '8080': 31500 });
  await c.setPodReady(p, true);
  await ec.sync('default/web');
  assert.deepEqual(ready(await endpoints(c)), ['web-a@127.0.0.1:31500']);
});

test('canary pattern: one Service over two Deployments lists the Ready pods of both', async (t) => {
  const c = await testCluster(t);
  const dc = new DeploymentController(c.registry, { now: c.now });
  const rc = new ReplicaSetController(c.registry, { now: c.now });
  const ec = new EndpointsController(c.registry);
  await c.registry.create(SERVICES, 'default', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] } });
  const deploy = (name: string, track: string, image: string, replicas: number) =>
    c.registry.create(DEPLOYMENTS, 'default', {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name },
      spec: {
        replicas,
        selector: { matchLabels: { app: 'web', track } },
        template: { metadata: { labels: { app: 'web', track } }, spec: { containers: [{ name: 'app', image, ports: [{ name: 'http' }] }] } },
      },
    });
  await deploy('web-stable', 'stable', 'node v1.js', 3);
  await deploy('web-canary', 'canary', 'node v2.js', 1);
  for (const d of ['web-stable', 'web-canary']) await dc.sync(`default/${d}`);
  for (const r of (await c.registry.list(REPLICASETS, 'default')).items) await rc.sync(`default/${r.metadata.name}`);
  let port = 32000;
  for (const p of await c.pods()) {
    const bound = (await c.registry.update(PODS, 'default', p.metadata.name, {
      ...p,
      metadata: { ...p.metadata, annotations: { [HOST_PORTS_ANNOTATION]: JSON.stringify({ http: port++ }) } },
      spec: { ...p.spec, nodeName: 'n1' },
    })) as Pod;
    await c.setPodReady(bound, true);
  }
  await ec.sync('default/web');
  const ep = await endpoints(c);
  const names = ready(ep).map((s) => s.split('@')[0] ?? '');
  assert.equal(names.length, 4);
  assert.equal(names.filter((n) => n.startsWith('web-canary-')).length, 1, 'one canary among four endpoints: a quarter of the traffic');
});
