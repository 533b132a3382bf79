/**
 * `NodeInfo`: one node with what is already placed on it — the sum of the
 * requests of its non-terminated pods (Succeeded/Failed pods free their
 * requests; terminating pods still hold theirs until they are gone, as in
 * Kubernetes) and the host ports they hold. Built fresh for every scheduling
 * decision from the current node and pod lists.
 */
import type { Node, Pod } from '../api/objects.js';
import { parseQuantity } from '../api/quantity.js';

/** Requests of a pod in base units: cores, bytes. */
export interface Requests {
  cpu: number;
  memory: number;
}

const requestsByPod = new WeakMap<Pod, Requests>();

/** Sum of the containers' requests (memoised per pod object; callers must not mutate the result). */
export function podRequests(p: Pod): Requests {
  const hit = requestsByPod.get(p);
  if (hit !== undefined) return hit;
  const r = computeRequests(p);
  requestsByPod.set(p, r);
  return r;
}

function computeRequests(p: Pod): Requests {
  let cpu = 0;
  let memory = 0;
  for (const c of p.spec.containers) {
    const r = c.resources?.requests;
    if (r?.cpu !== undefined) cpu += parseQuantity(r.cpu) ?? 0;
    if (r?.memory !== undefined) memory += parseQuantity(r.memory) ?? 0;
  }
  return { cpu, memory };
}

/** `hostPort`s a pod asks for (TCP only, as Vigil serves TCP). */
export function podHostPorts(p: Pod): number[] {
  const out: number[] = [];
  for (const c of p.spec.containers) for (const port of c.ports ?? []) if (port.hostPort !== undefined && port.hostPort > 0) out.push(port.hostPort);
  return out;
}

function amount(list: Record<string, string> | undefined, name: string): number {
  const s = list?.[name];
  if (s === undefined) return Number.POSITIVE_INFINITY;
  return parseQuantity(s) ?? Number.POSITIVE_INFINITY;
}

export class NodeInfo {
  readonly node: Node;
  /** Allocatable (falls back to capacity; unlimited when neither says). */
  readonly allocatable: { cpu: number; memory: number; pods: number };
  readonly requested: Requests = { cpu: 0, memory: 0 };
  readonly pods: Pod[] = [];
  readonly usedPorts = new Set<number>();

  constructor(node: Node) {
    this.node = node;
    const a = node.status?.allocatable ?? node.status?.capacity;
    this.allocatable = { cpu: amount(a, 'cpu'), memory: amount(a, 'memory'), pods: amount(a, 'pods') };
  }

  addPod(p: Pod): void {
    const r = podRequests(p);
    this.requested.cpu += r.cpu;
    this.requested.memory += r.memory;
    this.pods.push(p);
    for (const port of podHostPorts(p)) this.usedPorts.add(port);
  }
}

/** Whether a pod holds node resources: bound and not finished. */
export function holdsResources(p: Pod): boolean {
  const phase = p.status?.phase;
  return p.spec.nodeName !== undefined && p.spec.nodeName !== '' && phase !== 'Succeeded' && phase !== 'Failed';
}

/** NodeInfos of `nodes` with `pods` placed on them. */
export function buildNodeInfos(nodes: readonly Node[], pods: readonly Pod[]): Map<string, NodeInfo> {
  const m = new Map<string, NodeInfo>();
  for (const n of nodes) m.set(n.metadata.name, new NodeInfo(n));
  for (const p of pods) if (holdsResources(p)) m.get(p.spec.nodeName ?? '')?.addPod(p);
  return m;
}
