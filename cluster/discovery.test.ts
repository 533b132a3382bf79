import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { test, type TestContext } from 'node:test';
import type { Endpoints, Node, Pod, Service } from './api/objects.js';
import { lookupResource } from './api/resources.js';
import { HOST_PORTS_ANNOTATION } from './agent/service_proxy.js';
import { ENDPOINTS, NODES, PODS, SERVICES } from './controllers/resources.js';
import { type TestCluster, testCluster } from './controllers/test_env.js';
import { VigilClusterDiscovery } from './discovery.js';
import type { ClusterRole } from '../scrape/discovery/cluster_discovery.js';
import type { TargetGroup } from '../scrape/discovery/target_group.js';

/** Runs a discoverer and keeps source → group, as the scrape manager does. */
function collect(t: TestContext, c: TestCluster, role: ClusterRole, namespaces: string[] = []) {
  const groups = new Map<string, TargetGroup>();
  const errors: Error[] = [];
  let updates = 0;
  const d = new VigilClusterDiscovery({ registry: c.registry, debounceMs: 5 }).discoverer(role, { namespaces });
  d.start(
    (gs) => {
      updates++;
      for (const g of gs) groups.set(g.source, g);
    },
    (e) => errors.push(e),
  );
  t.after(() => d.stop());
  const waitFor = async (what: string, pred: () => boolean): Promise<void> => {
    for (let i = 0; i < 500 && !pred(); i++) await sleep(10);
    assert.ok(pred(), `timed out waiting for ${what}; groups: ${JSON.stringify([...groups.values()])}; errors: ${errors.map((e) => e.message).join('; ')}`);
  };
  return { groups, errors, updates: () => updates, waitFor };
}

async function runningPod(c: TestCluster, ns: string, name: string, extra: Partial<Pod['metadata']>, spec: Pod['spec']): Promise<Pod> {
  const p = (await c.registry.create(PODS, ns, { apiVersion: 'v1', kind: 'Pod', metadata: { name, ...extra }, spec })) as Pod;
  const status: Pod['status'] = {
    phase: 'Running',
    podIP: '127.0.0.1',
    hostIP: '127.0.0.1',
    conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: '2026-03-04T05:06:00Z' }],
  };
  return (await c.registry.update(PODS, ns, name, { ...p, status }, { subresource: 'status' })) as Pod;
}

test('pod role: one target per container port (published or fixed), pod labels and annotations, deletion clears the group', async (t) => {
  const c = await testCluster(t);
  const namespaces = lookupResource('', 'v1', 'namespaces');
  assert.ok(namespaces !== undefined);
  await c.registry.create(namespaces, '', {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: 'other' },
  });
  await runningPod(
    c,
    'default',
    'web-1',
    { labels: { app: 'web', 'app.kubernetes.io/tier': 'front' }, annotations: { 'prometheus.io/scrape': 'true', [HOST_PORTS_ANNOTATION]: JSON.stringify({ http: 31005 }) } },
    {
      nodeName: 'n1',
      containers: [
        { name: 'app', image: 'node app.js', ports: [{ name: 'http' }, { name: 'admin', containerPort: 9100 }] },
        { name: 'sidecar', image: 'node side.js' },
      ],
    },
  );
  await runningPod(c, 'other', 'elsewhere', {}, { nodeName: 'n1', containers: [{ name: 'x', image: 'x', ports: [{ containerPort: 7000 }] }] });
  const all = collect(t, c, 'pod');
  const onlyDefault = collect(t, c, 'pod', ['default']);
  await all.waitFor('both pods', () => all.groups.size === 2);
  await onlyDefault.waitFor('the default pod', () => onlyDefault.groups.has('pod/default/web-1'));
  assert.deepEqual([...onlyDefault.groups.keys()], ['pod/default/web-1'], 'namespaces restricts the pods');

  const g = all.groups.get('pod/default/web-1');
  assert.ok(g !== undefined);
  assert.equal(g.labels.__meta_vigil_namespace, 'default');
  assert.equal(g.labels.__meta_vigil_pod_name, 'web-1');
  assert.equal(g.labels.__meta_vigil_pod_ip, '127.0.0.1');
  assert.equal(g.labels.__meta_vigil_pod_node_name, 'n1');
  assert.equal(g.labels.__meta_vigil_pod_ready, 'true');
  assert.equal(g.labels.__meta_vigil_pod_phase, 'Running');
  assert.equal(g.labels.__meta_vigil_pod_label_app, 'web');
  assert.equal(g.labels.__meta_vigil_pod_label_app_kubernetes_io_tier, 'front');
  assert.equal(g.labels.__meta_vigil_pod_labelpresent_app, 'true');
  assert.equal(g.labels.__meta_vigil_pod_annotation_prometheus_io_scrape, 'true');
  const targets = g.targets.map((x) => [x.__address__, x.__meta_vigil_pod_container_name, x.__meta_vigil_pod_container_port_name, x.__meta_vigil_pod_container_port_number]);
  assert.deepEqual(targets, [
    ['127.0.0.1:31005', 'app', 'http', '31005'],
    ['127.0.0.1:9100', 'app', 'admin', '9100'],
    ['127.0.0.1', 'sidecar', undefined, undefined],
  ]);

  const before = all.updates();
  await c.registry.delete(PODS, 'default', 'web-1', { gracePeriodSeconds: 0 });
  await all.waitFor('the deleted pod group to empty', () => all.groups.get('pod/default/web-1')?.targets.length === 0);
  assert.ok(all.updates() > before);
  assert.equal(all.groups.get('pod/other/elsewhere')?.targets[0]?.__address__, '127.0.0.1:7000');
  assert.deepEqual(all.errors, []);
});

test('node role: the agent endpoint with node name, labels, addresses and readiness', async (t) => {
  const c = await testCluster(t);
  const n = await c.addNode('worker-a', { labels: { zone: 'z1' } });
  await c.addNode('no-agent-yet'); // no daemonEndpoints: no target
  await c.registry.update(NODES, '', 'worker-a', { ...n, status: { ...n.status, daemonEndpoints: { agentEndpoint: { Port: 10250 } } } } satisfies Node, { subresource: 'status' });
  const d = collect(t, c, 'node');
  await d.waitFor('the node with an agent', () => d.groups.get('node/worker-a')?.targets.length === 1);
  const g = d.groups.get('node/worker-a');
  assert.ok(g !== undefined);
  assert.equal(g.targets[0]?.__address__, '127.0.0.1:10250');
  assert.equal(g.labels.__meta_vigil_node_name, 'worker-a');
  assert.equal(g.labels.__meta_vigil_node_label_zone, 'z1');
  assert.equal(g.labels.__meta_vigil_node_label_kubernetes_io_hostname, 'worker-a');
  assert.equal(g.labels.__meta_vigil_node_address_InternalIP, '127.0.0.1');
  assert.equal(g.labels.__meta_vigil_node_ready, 'true');
  assert.equal(g.labels.instance, 'worker-a');
  assert.equal(d.groups.get('node/no-agent-yet'), undefined);
});

test('service and endpoints roles: service ports; ready and not-ready endpoint addresses with service and pod labels', async (t) => {
  const c = await testCluster(t);
  await runningPod(c, 'default', 'api-0', { labels: { app: 'api' } }, { nodeName: 'n1', containers: [{ name: 'c', image: 'x', ports: [{ name: 'http', containerPort: 8080 }] }] });
  await c.registry.create(SERVICES, 'default', {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'api', labels: { team: 'core' } },
    spec: { selector: { app: 'api' }, ports: [{ name: 'http', port: 8000, targetPort: 'http' }] },
  } satisfies Service);
  await c.registry.create(ENDPOINTS, 'default', {
    apiVersion: 'v1',
    kind: 'Endpoints',
    metadata: { name: 'api' },
    subsets: [
      { addresses: [{ ip: '127.0.0.1', nodeName: 'n1', targetRef: { kind: 'Pod', namespace: 'default', name: 'api-0', uid: 'u0' } }], ports: [{ name: 'http', port: 8080 }] },
      { notReadyAddresses: [{ ip: '127.0.0.2', nodeName: 'n2' }], ports: [{ name: 'http', port: 8081 }] },
    ],
  } satisfies Endpoints);

  const s = collect(t, c, 'service');
  await s.waitFor('the service', () => s.groups.has('svc/default/api'));
  const sg = s.groups.get('svc/default/api');
  assert.equal(sg?.targets[0]?.__address__, 'api.default:8000');
  assert.equal(sg?.targets[0]?.__meta_vigil_service_port_name, 'http');
  assert.equal(sg?.labels.__meta_vigil_service_name, 'api');
  assert.equal(sg?.labels.__meta_vigil_service_label_team, 'core');

  const e = collect(t, c, 'endpoints');
  await e.waitFor('the endpoints with the pod known', () => e.groups.get('endpoints/default/api')?.targets[0]?.__meta_vigil_pod_name === 'api-0');
  const eg = e.groups.get('endpoints/default/api');
  assert.ok(eg !== undefined);
  assert.equal(eg.labels.__meta_vigil_service_name, 'api');
  assert.equal(eg.labels.__meta_vigil_service_label_team, 'core');
  assert.equal(eg.labels.__meta_vigil_endpoints_name, 'api');
  const [ready, notReady] = eg.targets;
  assert.equal(ready?.__address__, '127.0.0.1:8080');
  assert.equal(ready?.__meta_vigil_endpoint_ready, 'true');
  assert.equal(ready?.__meta_vigil_endpoint_port_name, 'http');
  assert.equal(ready?.__meta_vigil_endpoint_address_target_kind, 'Pod');
  assert.equal(ready?.__meta_vigil_pod_label_app, 'api');
  assert.equal(notReady?.__address__, '127.0.0.2:8081');
  assert.equal(notReady?.__meta_vigil_endpoint_ready, 'false');
  assert.equal(notReady?.__meta_vigil_endpoint_node_name, 'n2');
  assert.equal(notReady?.__meta_vigil_pod_name, undefined);
});
