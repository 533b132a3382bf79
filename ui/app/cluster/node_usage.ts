/**
 * What the Nodes page derives without the DOM: the resource requests allocated
 * on each node and the PromQL of a node's live charts.
 */
import { arr, type Json, obj, str } from '../decode.js';
import { quote } from '../format.js';
import { parseQuantity } from './kube_api.js';

export interface Usage {
  cpu: number;
  memory: number;
  pods: number;
}

/** Sums container requests of the pods on each node (pods that are Succeeded or Failed hold nothing). */
export function allocatedByNode(pods: readonly Json[]): Map<string, Usage> {
  const out = new Map<string, Usage>();
  for (const p of pods) {
    const node = str(obj(p.spec).nodeName);
    const phase = str(obj(p.status).phase);
    if (node === '' || phase === 'Succeeded' || phase === 'Failed') continue;
    const u = out.get(node) ?? { cpu: 0, memory: 0, pods: 0 };
    u.pods++;
    for (const c of arr(obj(p.spec).containers)) {
      const req = obj(obj(obj(c).resources).requests);
      const cpu = parseQuantity(str(req.cpu));
      const mem = parseQuantity(str(req.memory));
      if (Number.isFinite(cpu)) u.cpu += cpu;
      if (Number.isFinite(mem)) u.memory += mem;
    }
    out.set(node, u);
  }
  return out;
}

/** The PromQL of a node's charts (`instance` is the node name in the `vigil-nodes` job). */
export function nodeChartQueries(node: string): { cpu: string[]; memory: string[] } {
  const sel = `instance=${quote(node)}`;
  return {
    cpu: [`rate(vigil_node_cpu_seconds_total{${sel}}[1m])`, `sum(rate(vigil_pod_cpu_seconds_total{${sel}}[1m]))`],
    memory: [`vigil_node_memory_bytes{${sel}}`, `sum(vigil_pod_memory_bytes{${sel}})`],
  };
}
