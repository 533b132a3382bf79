/**
 * Scheduler filters (Kubernetes' Filter plugins, by the same names): each
 * returns null when the pod may run on the node, else the reason it may not,
 * worded as Kubernetes words it so that the unschedulable message reads the
 * same (`0/3 nodes are available: 1 Insufficient cpu, 2 node(s) had untolerated taint {…}.`).
 */
import type { Pod, Taint, Toleration } from '../api/objects.js';
import { type NodeInfo, podHostPorts, podRequests } from './node_info.js';

/** Whether `t` tolerates `taint` (Kubernetes' ToleratesTaint). */
export function tolerates(t: Toleration, taint: Taint): boolean {
  if (t.effect !== undefined && t.effect !== taint.effect) return false;
  if ((t.key ?? '') === '') return t.operator === 'Exists';
  if (t.key !== taint.key) return false;
  if (t.operator === 'Exists') return true;
  return (t.value ?? '') === (taint.value ?? '');
}

function tolerated(p: Pod, taint: Taint): boolean {
  return (p.spec.tolerations ?? []).some((t) => tolerates(t, taint));
}

/** NodeUnschedulable: a cordoned node takes pods only if they tolerate `node.kubernetes.io/unschedulable:NoSchedule`. */
export function nodeUnschedulable(p: Pod, n: NodeInfo): string | null {
  if (n.node.spec.unschedulable !== true) return null;
  return tolerated(p, { key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' }) ? null : "node(s) were unschedulable";
}

/** NodeReady: Kubernetes expresses this as the not-ready/unreachable taints; Vigil checks the condition. */
export function nodeReady(p: Pod, n: NodeInfo): string | null {
  const c = n.node.status?.conditions?.find((x) => x.type === 'Ready');
  if (c?.status === 'True') return null;
  const key = c?.status === 'Unknown' ? 'node.kubernetes.io/unreachable' : 'node.kubernetes.io/not-ready';
  return tolerated(p, { key, effect: 'NoSchedule' }) ? null : `node(s) had untolerated taint {${key}: }`;
}

/** NodeAffinity (nodeSelector part): every nodeSelector label must be on the node. */
export function nodeSelector(p: Pod, n: NodeInfo): string | null {
  const sel = p.spec.nodeSelector;
  if (sel === undefined) return null;
  const labels = n.node.metadata.labels ?? {};
  for (const [k, v] of Object.entries(sel)) if (labels[k] !== v) return "node(s) didn't match Pod's node affinity/selector";
  return null;
}

/** TaintToleration: every NoSchedule/NoExecute taint must be tolerated (PreferNoSchedule only lowers the score). */
export function taintToleration(p: Pod, n: NodeInfo): string | null {
  for (const taint of n.node.spec.taints ?? []) {
    if (taint.effect === 'PreferNoSchedule') continue;
    if (!tolerated(p, taint)) return `node(s) had untolerated taint {${taint.key}: ${taint.value ?? ''}}`;
  }
  return null;
}

/** NodePorts: none of the pod's hostPorts may be held by a pod on the node. */
export function nodePorts(p: Pod, n: NodeInfo): string | null {
  for (const port of podHostPorts(p)) if (n.usedPorts.has(port)) return "node(s) didn't have free ports for the requested pod ports";
  return null;
}

/** NodeResourcesFit: requests must fit into allocatable minus what is requested already. Several reasons at once. */
export function nodeResourcesFit(p: Pod, n: NodeInfo): string[] {
  const r = podRequests(p);
  const out: string[] = [];
  if (n.pods.length + 1 > n.allocatable.pods) out.push('Too many pods');
  if (r.cpu > 0 && n.requested.cpu + r.cpu > n.allocatable.cpu + 1e-9) out.push('Insufficient cpu');
  if (r.memory > 0 && n.requested.memory + r.memory > n.allocatable.memory) out.push('Insufficient memory');
  return out;
}

/** Every reason the pod cannot run on the node (empty = it fits). In Kubernetes' plugin order; the first failing non-resource filter stops. */
export function filterNode(p: Pod, n: NodeInfo): string[] {
  for (const f of [nodeUnschedulable, nodeReady, taintToleration, nodeSelector, nodePorts]) {
    const why = f(p, n);
    if (why !== null) return [why];
  }
  return nodeResourcesFit(p, n);
}

/** Kubernetes' FitError message: `0/N nodes are available: <count> <reason>, ….` (reasons sorted). */
export function unschedulableMessage(nodeCount: number, reasons: ReadonlyMap<string, number>): string {
  const parts = [...reasons].map(([why, count]) => `${count} ${why}`).sort();
  return `0/${nodeCount} nodes are available${parts.length > 0 ? `: ${parts.join(', ')}` : ''}.`;
}
