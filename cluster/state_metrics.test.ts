import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Registry as PromRegistry } from 'prom-client';
import type { Deployment, Node, Pod, ReplicaSet } from './api/objects.js';
import { Informer } from './controllers/informer.js';
import { DEPLOYMENTS, NODES, PODS, REPLICASETS } from './controllers/resources.js';
import { testCluster } from './controllers/test_env.js';
import { informerSource, registerClusterStateMetrics } from './state_metrics.js';

/** `name{labels} value` lines of the exposition, without comments. */
function samples(text: string): Map<string, number> {
  const m = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const i = line.lastIndexOf(' ');
    m.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return m;
}

test('cluster-state metrics reflect deployments, pods and nodes from the informer caches', async (t) => {
  const c = await testCluster(t);
  await c.addNode('n1', { cpu: '2', memory: '1Gi' });
  const down = await c.addNode('n2');
  await c.registry.update(NODES, '', 'n2', { ...down, spec: { unschedulable: true }, status: undefined });
  const n2 = (await c.registry.get(NODES, '', 'n2')) as Node;
  await c.registry.update(NODES, '', 'n2', { ...n2, status: { ...n2.status, conditions: [{ type: 'Ready', status: 'Unknown' }] } }, { subresource: 'status' });
  const d = (await c.registry.create(DEPLOYMENTS, 'default', {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web' },
    spec: { replicas: 3, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'app', image: 'x' }] } } },
  })) as Deployment;
  await c.registry.update(DEPLOYMENTS, 'default', 'web', { ...d, status: { replicas: 3, availableReplicas: 2, updatedReplicas: 3, unavailableReplicas: 1, conditions: [{ type: 'Available', status: 'True' }] } }, { subresource: 'status' });
  await c.registry.create(PODS, 'default', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p1' }, spec: { nodeName: 'n1', containers: [{ name: 'app', image: 'x' }] } });
  const p1 = await c.setPodReady((await c.registry.get(PODS, 'default', 'p1')) as Pod, true);
  await c.registry.update(PODS, 'default', 'p1', { ...p1, status: { ...p1.status, containerStatuses: [{ name: 'app', ready: true, restartCount: 4, state: {} }] } }, { subresource: 'status' });
  await c.registry.create(PODS, 'default', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p2' }, spec: { containers: [{ name: 'app', image: 'x' }] } });

  const inf = {
    pods: new Informer<Pod>(c.registry, PODS),
    nodes: new Informer<Node>(c.registry, NODES),
    deployments: new Informer<Deployment>(c.registry, DEPLOYMENTS),
    replicaSets: new Informer<ReplicaSet>(c.registry, REPLICASETS),
  };
  const reg = new PromRegistry();
  registerClusterStateMetrics(reg, informerSource(inf));
  // Before the caches are filled: no series at all (missing data is not zero).
  assert.equal(samples(await reg.metrics()).size, 0);
  await Promise.all([inf.pods.start(), inf.nodes.start(), inf.deployments.start(), inf.replicaSets.start()]);
  t.after(() => {
    for (const i of Object.values(inf)) i.stop();
  });
  const m = samples(await reg.metrics());
  assert.equal(m.get('vigil_deployment_spec_replicas{namespace="default",deployment="web"}'), 3);
  assert.equal(m.get('vigil_deployment_status_replicas_available{namespace="default",deployment="web"}'), 2);
  assert.equal(m.get('vigil_deployment_status_replicas_unavailable{namespace="default",deployment="web"}'), 1);
  assert.equal(m.get('vigil_deployment_status_condition{namespace="default",deployment="web",condition="Available",status="true"}'), 1);
  assert.equal(m.get('vigil_deployment_status_condition{namespace="default",deployment="web",condition="Available",status="false"}'), 0);
  assert.equal(m.get('vigil_pod_status_phase{namespace="default",pod="p1",phase="Running"}'), 1);
  assert.equal(m.get('vigil_pod_status_phase{namespace="default",pod="p1",phase="Pending"}'), 0);
  assert.equal(m.get('vigil_pod_status_phase{namespace="default",pod="p2",phase="Pending"}'), 1);
  assert.equal(m.get('vigil_pod_status_ready{namespace="default",pod="p1",condition="true"}'), 1);
  assert.equal(m.get('vigil_pod_container_status_restarts_total{namespace="default",pod="p1",container="app"}'), 4);
  assert.equal(m.get('vigil_pod_info{namespace="default",pod="p1",node="n1",created_by_kind="",created_by_name=""}'), 1);
  assert.equal(m.get('vigil_node_status_condition{node="n1",condition="Ready",status="true"}'), 1);
  assert.equal(m.get('vigil_node_status_condition{node="n2",condition="Ready",status="unknown"}'), 1);
  assert.equal(m.get('vigil_node_status_condition{node="n2",condition="Ready",status="true"}'), 0);
  assert.equal(m.get('vigil_node_spec_unschedulable{node="n2"}'), 1);
  assert.equal(m.get('vigil_node_status_allocatable{node="n1",resource="cpu",unit="core"}'), 2);
  assert.equal(m.get('vigil_node_status_allocatable{node="n1",resource="memory",unit="byte"}'), 1024 ** 3);
});
