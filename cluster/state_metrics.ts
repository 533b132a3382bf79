/**
 * Cluster-state metrics in the style of kube-state-metrics, computed at scrape
 * time from the controller manager's informer caches (no store reads):
 *
 *   vigil_deployment_spec_replicas{namespace,deployment}                    gauge
 *   vigil_deployment_spec_paused{namespace,deployment}                      gauge 0/1
 *   vigil_deployment_status_replicas{namespace,deployment}                  gauge
 *   vigil_deployment_status_replicas_ready{namespace,deployment}            gauge
 *   vigil_deployment_status_replicas_available{namespace,deployment}        gauge
 *   vigil_deployment_status_replicas_unavailable{namespace,deployment}      gauge
 *   vigil_deployment_status_replicas_updated{namespace,deployment}          gauge
 *   vigil_deployment_status_condition{namespace,deployment,condition,status} gauge 0/1 (status true|false|unknown)
 *   vigil_deployment_metadata_generation / vigil_deployment_status_observed_generation
 *   vigil_replicaset_spec_replicas{namespace,replicaset}                    gauge
 *   vigil_replicaset_status_ready_replicas{namespace,replicaset}            gauge
 *   vigil_pod_info{namespace,pod,node,created_by_kind,created_by_name}      gauge 1
 *   vigil_pod_status_phase{namespace,pod,phase}                              gauge 0/1 for each of the 5 phases
 *   vigil_pod_status_ready{namespace,pod,condition}                         gauge 0/1 (condition true|false|unknown)
 *   vigil_pod_status_scheduled{namespace,pod,condition}                     gauge 0/1
 *   vigil_pod_container_status_restarts_total{namespace,pod,container}      counter
 *   vigil_pod_container_status_ready{namespace,pod,container}               gauge 0/1
 *   vigil_node_status_condition{node,condition,status}                      gauge 0/1 (status true|false|unknown)
 *   vigil_node_spec_unschedulable{node}                                     gauge 0/1
 *   vigil_node_status_allocatable{node,resource,unit}                       gauge (cores, bytes, integer)
 *
 * As kube-state-metrics, a condition is one series per possible status with
 * value 1 on the current one. Before the caches have synced nothing is
 * exported (missing data is not zero).
 */
import { Counter, Gauge, type Registry as PromRegistry } from 'prom-client';
import type { Deployment, Node, Pod, ReplicaSet } from './api/objects.js';
import { parseQuantity } from './api/quantity.js';

/** Where the metrics read the cluster state from (the manager's informers fit). */
export interface ClusterStateSource {
  /** Whether the caches hold a full list (false: export nothing). */
  synced(): boolean;
  pods(): Pod[];
  nodes(): Node[];
  deployments(): Deployment[];
  replicaSets(): ReplicaSet[];
}

const STATUSES = ['true', 'false', 'unknown'] as const;
const PHASES = ['Pending', 'Running', 'Succeeded', 'Failed', 'Unknown'] as const;

type Labels = Record<string, string | number>;

function gauge(reg: PromRegistry, name: string, help: string, labelNames: string[], fill: (set: (l: Labels, v: number) => void) => void, src: ClusterStateSource): void {
  new Gauge({
    name,
    help,
    labelNames,
    registers: [reg],
    collect() {
      this.reset();
      if (!src.synced()) return;
      fill((l, v) => this.set(l, v));
    },
  });
}

function condSeries(set: (l: Labels, v: number) => void, base: Labels, status: string | undefined): void {
  const cur = (status ?? 'Unknown').toLowerCase();
  for (const s of STATUSES) set({ ...base, status: s }, s === cur ? 1 : 0);
}

/** Registers every metric above on `reg`. Call once per registry. */
export function registerClusterStateMetrics(reg: PromRegistry, src: ClusterStateSource): void {
  const dep = (d: Deployment) => ({ namespace: d.metadata.namespace ?? '', deployment: d.metadata.name });
  const dg = (name: string, help: string, value: (d: Deployment) => number | undefined) =>
    gauge(reg, name, help, ['namespace', 'deployment'], (set) => {
      for (const d of src.deployments()) {
        const v = value(d);
        if (v !== undefined) set(dep(d), v);
      }
    }, src);
  dg('vigil_deployment_spec_replicas', 'Desired pods of a deployment.', (d) => d.spec.replicas ?? 1);
  dg('vigil_deployment_spec_paused', 'Whether the deployment is paused (1) or not (0).', (d) => (d.spec.paused === true ? 1 : 0));
  dg('vigil_deployment_status_replicas', 'Pods of the deployment (all revisions).', (d) => d.status?.replicas ?? 0);
  dg('vigil_deployment_status_replicas_ready', 'Ready pods of the deployment.', (d) => d.status?.readyReplicas ?? 0);
  dg('vigil_deployment_status_replicas_available', 'Available pods of the deployment.', (d) => d.status?.availableReplicas ?? 0);
  dg('vigil_deployment_status_replicas_unavailable', 'Unavailable pods of the deployment.', (d) => d.status?.unavailableReplicas ?? 0);
  dg('vigil_deployment_status_replicas_updated', 'Pods of the deployment at the current template.', (d) => d.status?.updatedReplicas ?? 0);
  dg('vigil_deployment_metadata_generation', 'Sequence number of the desired state.', (d) => d.metadata.generation);
  dg('vigil_deployment_status_observed_generation', 'The generation the deployment controller last acted on.', (d) => d.status?.observedGeneration);
  gauge(reg, 'vigil_deployment_status_condition', 'The deployment conditions (1 on the current status).', ['namespace', 'deployment', 'condition', 'status'], (set) => {
    for (const d of src.deployments()) for (const c of d.status?.conditions ?? []) condSeries(set, { ...dep(d), condition: c.type }, c.status);
  }, src);

  const rsl = (r: ReplicaSet) => ({ namespace: r.metadata.namespace ?? '', replicaset: r.metadata.name });
  gauge(reg, 'vigil_replicaset_spec_replicas', 'Desired pods of a replica set.', ['namespace', 'replicaset'], (set) => {
    for (const r of src.replicaSets()) set(rsl(r), r.spec.replicas ?? 1);
  }, src);
  gauge(reg, 'vigil_replicaset_status_ready_replicas', 'Ready pods of a replica set.', ['namespace', 'replicaset'], (set) => {
    for (const r of src.replicaSets()) set(rsl(r), r.status?.readyReplicas ?? 0);
  }, src);

  const pl = (p: Pod) => ({ namespace: p.metadata.namespace ?? '', pod: p.metadata.name });
  gauge(reg, 'vigil_pod_info', 'Information about a pod (value 1).', ['namespace', 'pod', 'node', 'created_by_kind', 'created_by_name'], (set) => {
    for (const p of src.pods()) {
      const owner = p.metadata.ownerReferences?.find((r) => r.controller === true);
      set({ ...pl(p), node: p.spec.nodeName ?? '', created_by_kind: owner?.kind ?? '', created_by_name: owner?.name ?? '' }, 1);
    }
  }, src);
  gauge(reg, 'vigil_pod_status_phase', 'The pod phase (1 on the current one).', ['namespace', 'pod', 'phase'], (set) => {
    for (const p of src.pods()) {
      const cur = p.status?.phase ?? 'Pending';
      for (const ph of PHASES) set({ ...pl(p), phase: ph }, ph === cur ? 1 : 0);
    }
  }, src);
  const podCond = (type: string) => (set: (l: Labels, v: number) => void) => {
    for (const p of src.pods()) {
      const c = p.status?.conditions?.find((x) => x.type === type);
      const cur = (c?.status ?? 'Unknown').toLowerCase();
      for (const s of STATUSES) set({ ...pl(p), condition: s }, s === cur ? 1 : 0);
    }
  };
  gauge(reg, 'vigil_pod_status_ready', 'Whether the pod is Ready (1 on the current status).', ['namespace', 'pod', 'condition'], podCond('Ready'), src);
  gauge(reg, 'vigil_pod_status_scheduled', 'Whether the pod is scheduled (1 on the current status).', ['namespace', 'pod', 'condition'], podCond('PodScheduled'), src);
  new Counter({
    name: 'vigil_pod_container_status_restarts_total',
    help: 'Container restarts as the node agent reports them in the pod status.',
    labelNames: ['namespace', 'pod', 'container'],
    registers: [reg],
    collect() {
      this.reset();
      if (!src.synced()) return;
      for (const p of src.pods()) for (const c of p.status?.containerStatuses ?? []) this.inc({ ...pl(p), container: c.name }, c.restartCount);
    },
  });
  gauge(reg, 'vigil_pod_container_status_ready', 'Whether the container passes its readiness probe.', ['namespace', 'pod', 'container'], (set) => {
    for (const p of src.pods()) for (const c of p.status?.containerStatuses ?? []) set({ ...pl(p), container: c.name }, c.ready ? 1 : 0);
  }, src);

  gauge(reg, 'vigil_node_status_condition', 'The node conditions (1 on the current status).', ['node', 'condition', 'status'], (set) => {
    for (const n of src.nodes()) {
      const conds = n.status?.conditions ?? [];
      // A node that never reported is not Ready-unknown by omission: say so explicitly.
      if (!conds.some((c) => c.type === 'Ready')) condSeries(set, { node: n.metadata.name, condition: 'Ready' }, 'Unknown');
      for (const c of conds) condSeries(set, { node: n.metadata.name, condition: c.type }, c.status);
    }
  }, src);
  gauge(reg, 'vigil_node_spec_unschedulable', 'Whether the node is cordoned.', ['node'], (set) => {
    for (const n of src.nodes()) set({ node: n.metadata.name }, n.spec.unschedulable === true ? 1 : 0);
  }, src);
  gauge(reg, 'vigil_node_status_allocatable', 'What the scheduler may place on the node.', ['node', 'resource', 'unit'], (set) => {
    const units: Record<string, string> = { cpu: 'core', memory: 'byte', pods: 'integer' };
    for (const n of src.nodes()) {
      for (const [r, q] of Object.entries(n.status?.allocatable ?? {})) {
        const v = parseQuantity(q);
        if (v !== null) set({ node: n.metadata.name, resource: r, unit: units[r] ?? 'integer' }, v);
      }
    }
  }, src);
}

/** The source over a controller manager's informers. */
export function informerSource(i: {
  pods: { list(): Pod[]; hasSynced(): boolean };
  nodes: { list(): Node[]; hasSynced(): boolean };
  deployments: { list(): Deployment[]; hasSynced(): boolean };
  replicaSets: { list(): ReplicaSet[]; hasSynced(): boolean };
}): ClusterStateSource {
  return {
    synced: () => i.pods.hasSynced() && i.nodes.hasSynced() && i.deployments.hasSynced() && i.replicaSets.hasSynced(),
    pods: () => i.pods.list(),
    nodes: () => i.nodes.list(),
    deployments: () => i.deployments.list(),
    replicaSets: () => i.replicaSets.list(),
  };
}
