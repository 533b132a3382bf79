import assert from 'node:assert/strict';
import { test } from 'node:test';
import { embeddedDefaultConfig } from '../cmd/config.js';
import { targetsFromGroup } from '../scrape/target.js';
import type { Node, Pod } from './api/objects.js';
import { HOST_PORTS_ANNOTATION } from './agent/service_proxy.js';
import { nodeGroup, podGroup } from './discovery_groups.js';

const cfg = embeddedDefaultConfig(9090);
const job = (name: string) => {
  const j = cfg.scrapeConfigs.find((c) => c.jobName === name);
  assert.ok(j !== undefined, `the embedded default has job ${name}`);
  return j;
};

function pod(name: string, annotations: Record<string, string>, phase: 'Running' | 'Pending' = 'Running'): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'shop', labels: { app: 'cart' }, annotations: { [HOST_PORTS_ANNOTATION]: '{"http":31001}', ...annotations } },
    spec: { nodeName: 'n1', containers: [{ name: 'c', image: 'x', ports: [{ name: 'http' }] }] },
    status: { phase, podIP: '10.0.0.5', hostIP: '10.0.0.5' },
  };
}

const scrapeUrls = (p: Pod) => targetsFromGroup(podGroup(p), job('vigil-pods')).active.map((t) => t.url);

test('vigil-pods keeps only pods annotated prometheus.io/scrape: "true" that are running', () => {
  assert.deepEqual(scrapeUrls(pod('a', {})), []);
  assert.deepEqual(scrapeUrls(pod('b', { 'prometheus.io/scrape': 'false' })), []);
  assert.deepEqual(scrapeUrls(pod('c', { 'prometheus.io/scrape': 'true' }, 'Pending')), []);
  assert.deepEqual(scrapeUrls(pod('d', { 'prometheus.io/scrape': 'true' })), ['http://10.0.0.5:31001/metrics']);
});

test('vigil-pods: prometheus.io/path, /port and /scheme override the target; pod labels, namespace, pod and node become labels', () => {
  const p = pod('e', { 'prometheus.io/scrape': 'true', 'prometheus.io/path': '/custom/metrics', 'prometheus.io/port': '9102', 'prometheus.io/scheme': 'https' });
  const { active } = targetsFromGroup(podGroup(p), job('vigil-pods'));
  assert.equal(active.length, 1);
  const t = active[0]!;
  assert.equal(t.url, 'https://10.0.0.5:9102/custom/metrics');
  assert.equal(t.labels.get('app'), 'cart');
  assert.equal(t.labels.get('namespace'), 'shop');
  assert.equal(t.labels.get('pod'), 'e');
  assert.equal(t.labels.get('node'), 'n1');
  assert.equal(t.labels.get('job'), 'vigil-pods');
});

test('vigil-nodes scrapes each node agent /metrics with the node name as instance and node labels', () => {
  const n: Node = {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: 'worker-1', labels: { zone: 'a' } },
    spec: {},
    status: { addresses: [{ type: 'InternalIP', address: '10.0.0.9' }], daemonEndpoints: { agentEndpoint: { Port: 10250 } } },
  };
  const { active } = targetsFromGroup(nodeGroup(n), job('vigil-nodes'));
  assert.equal(active.length, 1);
  assert.equal(active[0]!.url, 'http://10.0.0.9:10250/metrics');
  assert.equal(active[0]!.labels.get('instance'), 'worker-1');
  assert.equal(active[0]!.labels.get('zone'), 'a');
});
