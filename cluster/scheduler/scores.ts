/**
 * Scheduler scores, each 0–100 (higher is better), summed with weights:
 * - LeastAllocated (weight 1): the mean over cpu and memory of the share of
 *   allocatable left free after placing the pod — spreads load by requests.
 * - Spread (weight 2, Kubernetes' default-constraint topology spread/SelectorSpread):
 *   fewer pods of the same workload on the node is better. "Same workload" is
 *   pods in the pod's namespace with the same labels once `pod-template-hash`
 *   is removed, so the replicas of a Deployment spread across nodes even while
 *   two of its ReplicaSets are live during a rolling update.
 * - TaintToleration (weight 1): fewer untolerated PreferNoSchedule taints is better.
 */
import type { Pod, StringMap } from '../api/objects.js';
import { POD_TEMPLATE_HASH_LABEL } from '../api/objects.js';
import { tolerates } from './filters.js';
import { type NodeInfo, podRequests } from './node_info.js';

export const LEAST_ALLOCATED_WEIGHT = 1;
export const SPREAD_WEIGHT = 2;
export const TAINT_WEIGHT = 1;

export function leastAllocated(p: Pod, n: NodeInfo): number {
  const r = podRequests(p);
  const share = (req: number, alloc: number) => (Number.isFinite(alloc) && alloc > 0 ? Math.max(0, (alloc - req) / alloc) : 1);
  return ((share(n.requested.cpu + r.cpu, n.allocatable.cpu) + share(n.requested.memory + r.memory, n.allocatable.memory)) / 2) * 100;
}

/** Computed keys by pod object: cached pods are immutable objects, so each is keyed once. */
const workloadKeys = new WeakMap<Pod, string>();

/** The workload identity of a pod for spreading ('' = none: the pod has no labels). */
export function workloadKey(p: Pod): string {
  let k = workloadKeys.get(p);
  if (k === undefined) {
    k = computeWorkloadKey(p);
    workloadKeys.set(p, k);
  }
  return k;
}

function computeWorkloadKey(p: Pod): string {
  const l: StringMap = { ...(p.metadata.labels ?? {}) };
  delete l[POD_TEMPLATE_HASH_LABEL];
  const keys = Object.keys(l).sort();
  if (keys.length === 0) return '';
  return `${p.metadata.namespace ?? ''}\0${keys.map((k) => `${k}=${l[k]}`).join('\0')}`;
}

/** Counts of same-workload pods per node, for `spreadScore`. */
export function workloadCounts(p: Pod, infos: Iterable<NodeInfo>): Map<string, number> {
  const key = workloadKey(p);
  const m = new Map<string, number>();
  for (const n of infos) {
    let c = 0;
    if (key !== '') for (const q of n.pods) if (q.metadata.uid !== p.metadata.uid && q.metadata.deletionTimestamp === undefined && workloadKey(q) === key) c++;
    m.set(n.node.metadata.name, c);
  }
  return m;
}

/** 100 on the node(s) with the fewest same-workload pods among the feasible ones, less on fuller ones. */
export function spreadScore(node: string, counts: ReadonlyMap<string, number>, feasible: readonly string[]): number {
  let max = 0;
  let min = Number.POSITIVE_INFINITY;
  for (const f of feasible) {
    const c = counts.get(f) ?? 0;
    max = Math.max(max, c);
    min = Math.min(min, c);
  }
  if (max === min) return 100;
  const c = counts.get(node) ?? 0;
  return ((max - c) / (max - min)) * 100;
}

export function taintScore(p: Pod, n: NodeInfo): number {
  let bad = 0;
  for (const t of n.node.spec.taints ?? []) if (t.effect === 'PreferNoSchedule' && !(p.spec.tolerations ?? []).some((x) => tolerates(x, t))) bad++;
  return bad === 0 ? 100 : Math.max(0, 100 - bad * 25);
}
