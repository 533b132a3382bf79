/**
 * The cluster views' DOM-free logic, bundled from ui/app with esbuild and run
 * under node: resource quantities and their display, ages, the requests
 * allocated per node, the rollout state from a deployment's status, ready and
 * not-ready endpoint addresses, the PromQL of the live charts (label values
 * quoted, names in regular expressions escaped), which Events belong to a
 * deployment, and the pods' log paths.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { REPO_ROOT } from './ui_fixtures.js';

type Json = Record<string, unknown>;
interface Logic {
  parseQuantity(q: string): number;
  formatCpu(cores: number): string;
  formatBytes(b: number): string;
  age(ts: string, nowMs?: number): string;
  allocatedByNode(pods: readonly Json[]): Map<string, { cpu: number; memory: number; pods: number }>;
  rolloutState(d: Json): { text: string; tone: string; detail: string };
  endpointAddresses(ep: Json | undefined): { ready: string[]; notReady: string[] };
  replicasQuery(namespace: string, name: string): string;
  nodeChartQueries(node: string): { cpu: string[]; memory: string[] };
  serviceChartQueries(namespace: string, name: string, selector: Record<string, string>): { proxy: string; requests: string };
  promLabelName(key: string): string;
  deploymentChartSeries(namespace: string, name: string): { expr: string; label: string; right: boolean; points: boolean }[];
  isDeploymentEvent(ev: Json, namespace: string, name: string): boolean;
  eventTime(ev: Json): number;
  regexQuote(s: string): string;
  podChartQueries(namespace: string, pod: string): { cpu: string; memory: string };
  podLogPath(namespace: string, pod: string, container: string, tailLines?: number): string;
}

const ENTRY = `
export { parseQuantity, formatCpu, formatBytes, age } from './ui/app/cluster/kube_api.ts';
export { allocatedByNode, nodeChartQueries } from './ui/app/cluster/node_usage.ts';
export { rolloutState, replicasQuery, deploymentChartSeries, isDeploymentEvent, eventTime, regexQuote } from './ui/app/cluster/deployment_state.ts';
export { endpointAddresses, serviceChartQueries, promLabelName } from './ui/app/cluster/service_state.ts';
export { podChartQueries, podLogPath } from './ui/app/cluster/pod_state.ts';
`;

const pod = (node: string, phase: string, requests: Json[]): Json => ({ spec: { nodeName: node, containers: requests.map((r) => ({ resources: { requests: r } })) }, status: { phase } });

describe('cluster views logic', () => {
  let dir = '';
  let L: Logic;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vigil-ui-cluster-logic-'));
    const out = join(dir, 'logic.mjs');
    await build({ stdin: { contents: ENTRY, resolveDir: REPO_ROOT, loader: 'ts' }, bundle: true, format: 'esm', platform: 'neutral', outfile: out, logLevel: 'silent' });
    L = (await import(pathToFileURL(out).href)) as Logic;
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('quantities: decimal and binary suffixes, exponents; bad input is NaN', () => {
    assert.equal(L.parseQuantity('250m'), 0.25);
    assert.equal(L.parseQuantity('2'), 2);
    assert.equal(L.parseQuantity('1Gi'), 1024 ** 3);
    assert.equal(L.parseQuantity('1.5Mi'), 1.5 * 1024 ** 2);
    assert.equal(L.parseQuantity('3k'), 3000);
    assert.equal(L.parseQuantity('1e3'), 1000);
    assert.ok(Number.isNaN(L.parseQuantity('')));
    assert.ok(Number.isNaN(L.parseQuantity('12Qi')));
    assert.ok(Number.isNaN(L.parseQuantity('abc')));
    assert.equal(L.formatCpu(0.25), '250m');
    assert.equal(L.formatCpu(2), '2');
    assert.equal(L.formatCpu(0), '0');
    assert.equal(L.formatCpu(0.0001), '<1m');
    assert.equal(L.formatBytes(128 * 1024 ** 2), '128Mi');
    assert.equal(L.formatBytes(1.5 * 1024 ** 3), '1.5Gi');
    assert.equal(L.formatBytes(Number.NaN), '—');
  });

  test('ages from creationTimestamp', () => {
    const now = Date.parse('2026-01-01T12:00:00Z');
    assert.equal(L.age('2026-01-01T11:58:30Z', now), '1m30s');
    assert.equal(L.age('2026-01-01T12:00:00Z', now), '0s');
    assert.equal(L.age('not a time', now), '');
  });

  test('allocated: requests of unfinished pods summed per node', () => {
    const m = L.allocatedByNode([
      pod('n1', 'Running', [{ cpu: '250m', memory: '64Mi' }, { cpu: '1' }]),
      pod('n1', 'Pending', [{}]),
      pod('n1', 'Succeeded', [{ cpu: '4' }]),
      pod('n2', 'Running', [{ memory: '1Gi' }]),
      pod('', 'Pending', [{ cpu: '8' }]),
    ]);
    assert.deepEqual(m.get('n1'), { cpu: 1.25, memory: 64 * 1024 ** 2, pods: 2 });
    assert.deepEqual(m.get('n2'), { cpu: 0, memory: 1024 ** 3, pods: 1 });
    assert.equal(m.size, 2, 'an unbound pod counts on no node');
  });

  test('rollout state from status and conditions', () => {
    const dep = (replicas: number, status: Json, extra: Json = {}) => ({ spec: { replicas, ...extra }, status });
    assert.equal(L.rolloutState(dep(2, { replicas: 2, updatedReplicas: 2, availableReplicas: 2 })).text, 'Complete');
    const p = L.rolloutState(dep(3, { replicas: 2, updatedReplicas: 2, availableReplicas: 1 }));
    assert.equal(p.text, 'Progressing');
    assert.equal(p.detail, '2 of 3 updated, 1 available');
    assert.equal(L.rolloutState(dep(3, { conditions: [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded', message: 'took too long' }] })).text, 'Failed: ProgressDeadlineExceeded');
    assert.equal(L.rolloutState(dep(3, {}, { paused: true })).text, 'Paused');
  });

  test('endpoint addresses name their pods; the replicas query quotes label values', () => {
    const e = L.endpointAddresses({
      subsets: [
        { addresses: [{ ip: '10.0.0.1', targetRef: { name: 'web-a' } }], ports: [{ port: 80 }] },
        { notReadyAddresses: [{ ip: '10.0.0.2', targetRef: { name: 'web-b' } }, { ip: '10.0.0.3' }] },
      ],
    });
    assert.deepEqual(e, { ready: ['10.0.0.1 (web-a)'], notReady: ['10.0.0.2 (web-b)', '10.0.0.3'] });
    assert.deepEqual(L.endpointAddresses(undefined), { ready: [], notReady: [] });
    assert.equal(L.replicasQuery('default', 'we"b'), '{__name__=~"vigil_deployment_spec_replicas|vigil_deployment_status_replicas_available", namespace="default", deployment="we\\"b"}');
  });

  test('chart queries quote label values; a Service selector becomes Prometheus label matchers', () => {
    assert.deepEqual(L.nodeChartQueries('n"1'), {
      cpu: ['rate(vigil_node_cpu_seconds_total{instance="n\\"1"}[1m])', 'sum(rate(vigil_pod_cpu_seconds_total{instance="n\\"1"}[1m]))'],
      memory: ['vigil_node_memory_bytes{instance="n\\"1"}', 'sum(vigil_pod_memory_bytes{instance="n\\"1"})'],
    });
    assert.equal(L.promLabelName('app.kubernetes.io/name'), 'app_kubernetes_io_name');
    const q = L.serviceChartQueries('demo', 'web', { tier: 'front', 'app.kubernetes.io/name': 'we"b' });
    assert.equal(q.proxy, 'sum by (port) (rate(vigil_service_proxy_connections_total{service="demo/web"}[1m]))');
    assert.equal(q.requests, 'sum by (code) (rate(http_requests_total{namespace="demo", app_kubernetes_io_name="we\\"b", tier="front"}[1m]))');
    assert.deepEqual(L.podChartQueries('demo', 'web-1'), {
      cpu: 'sum by (container) (rate(vigil_pod_cpu_seconds_total{namespace="demo", pod="web-1"}[1m]))',
      memory: 'sum by (container) (vigil_pod_memory_bytes{namespace="demo", pod="web-1"})',
    });
    assert.equal(L.podLogPath('a b', 'p/q', 'c&d', 50), 'api/v1/namespaces/a%20b/pods/p%2Fq/log?container=c%26d&tailLines=50');
  });

  test('the deployment chart: replicas, autoscaler, cluster actions and the load of its pods only', () => {
    assert.equal(L.regexQuote('a.b+c'), 'a\\.b\\+c');
    const s = L.deploymentChartSeries('demo', 'web.v2');
    assert.deepEqual(s.map((x) => [x.right, x.points]), [[false, false], [false, false], [false, false], [false, true], [false, true], [true, false]]);
    assert.equal(s[0]?.expr, 'vigil_deployment_spec_replicas{namespace="demo", deployment="web.v2"}');
    assert.equal(s[2]?.expr, 'vigil_autoscaler_desired_replicas{namespace="demo", deployment="web.v2"}');
    assert.match(s[3]?.expr ?? '', /increase\(vigil_autoscaler_decisions_total\{namespace="demo", deployment="web.v2"\}\[1m\]\)/);
    assert.match(s[4]?.expr ?? '', /vigil_cluster_actions_total/);
    // The dot of the name is escaped in the pod regular expression (inside a PromQL string: a doubled backslash).
    assert.equal(s[5]?.expr, 'sum(rate(http_requests_total{namespace="demo", pod=~"web\\\\.v2-[a-z0-9]+-[a-z0-9]+"}[1m]))');
  });

  test('Events of a deployment: itself, its ReplicaSets and their pods, and nodes; their time', () => {
    const ev = (kind: string, name: string, namespace = 'demo') => ({ involvedObject: { kind, name, namespace } });
    assert.equal(L.isDeploymentEvent(ev('Deployment', 'web'), 'demo', 'web'), true);
    assert.equal(L.isDeploymentEvent(ev('Deployment', 'web'), 'other', 'web'), false);
    assert.equal(L.isDeploymentEvent(ev('ReplicaSet', 'web-5d8f7'), 'demo', 'web'), true);
    assert.equal(L.isDeploymentEvent(ev('ReplicaSet', 'web-api-5d8f7'), 'demo', 'web'), false, 'the ReplicaSet of web-api');
    assert.equal(L.isDeploymentEvent(ev('Pod', 'web-5d8f7-x2k9q'), 'demo', 'web'), true);
    assert.equal(L.isDeploymentEvent(ev('Pod', 'web-api-5d8f7-x2k9q'), 'demo', 'web'), false);
    assert.equal(L.isDeploymentEvent(ev('Node', 'n1', ''), 'demo', 'web'), true, 'node failures matter to every deployment');
    assert.equal(L.isDeploymentEvent(ev('Service', 'web'), 'demo', 'web'), false);
    assert.equal(L.eventTime({ lastTimestamp: '2026-01-01T00:00:10Z', firstTimestamp: '2026-01-01T00:00:00Z' }), Date.parse('2026-01-01T00:00:10Z'));
    assert.equal(L.eventTime({ eventTime: '2026-01-01T00:00:05.000000Z' }), Date.parse('2026-01-01T00:00:05Z'));
    assert.ok(Number.isNaN(L.eventTime({})));
  });
});
