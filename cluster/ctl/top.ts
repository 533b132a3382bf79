/**
 * `vigil ctl top pods [-n NS | -A] [-l SEL]` and `vigil ctl top nodes`: CPU and
 * memory use from the metrics the node agents export
 * (`vigil_pod_cpu_seconds_total`, `vigil_pod_memory_bytes`, per container),
 * read through the server's PromQL API (`/api/v1/query`): CPU is the 1-minute
 * rate. Nodes sum their pods' use (pods map to nodes through the API) and show
 * it against the node's allocatable resources. `--metrics-server URL` points at
 * another PromQL API (e.g. a Prometheus scraping the agents). When the query API is not there
 * or has no samples yet the command says "metrics not available yet" (exit 1).
 */
import { UsageError } from '../../cmd/cli.js';
import type { Node, Pod } from '../api/objects.js';
import { parseQuantity } from '../api/quantity.js';
import { resolveResourceName } from '../api/resources.js';
import { flagString } from './ctl_args.js';
import { type CtlContext, CtlError, pathOf } from './ctl_context.js';
import { formatTable } from './table.js';

const PODS = resolveResourceName('pods')!;
const NODES = resolveResourceName('nodes')!;

interface Usage {
  cpu: number;
  memory: number;
}

const NOT_AVAILABLE = 'metrics not available yet (the server has no vigil_pod_* samples from the node agents; is the cluster scraped?)';

async function instant(ctx: CtlContext, expr: string): Promise<Map<string, number>> {
  const base = flagString(ctx.args, 'metrics-server').replace(/\/+$/, '');
  let r: { status: number; body: string };
  try {
    r = await ctx.client.text(`${base}/api/v1/query?query=${encodeURIComponent(expr)}`);
  } catch (e) {
    throw new CtlError(`${NOT_AVAILABLE}: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (r.status !== 200) throw new CtlError(NOT_AVAILABLE);
  let doc: { status?: string; data?: { result?: { metric: Record<string, string>; value: [number, string] }[] } };
  try {
    doc = JSON.parse(r.body);
  } catch {
    throw new CtlError(NOT_AVAILABLE);
  }
  if (doc.status !== 'success') throw new CtlError(NOT_AVAILABLE);
  const out = new Map<string, number>();
  for (const s of doc.data?.result ?? []) out.set(`${s.metric.namespace ?? ''}/${s.metric.pod ?? ''}`, Number(s.value[1]));
  return out;
}

/** Per-pod usage keyed `namespace/pod`. */
async function podUsage(ctx: CtlContext, ns: string): Promise<Map<string, Usage>> {
  const m = ns !== '' ? `{namespace=${JSON.stringify(ns)}}` : '';
  const cpu = await instant(ctx, `sum by (namespace, pod) (rate(vigil_pod_cpu_seconds_total${m}[1m]))`);
  const mem = await instant(ctx, `sum by (namespace, pod) (vigil_pod_memory_bytes${m})`);
  if (cpu.size === 0 && mem.size === 0) throw new CtlError(NOT_AVAILABLE);
  const out = new Map<string, Usage>();
  for (const k of new Set([...cpu.keys(), ...mem.keys()])) out.set(k, { cpu: cpu.get(k) ?? 0, memory: mem.get(k) ?? 0 });
  return out;
}

/** `250m` from cores. */
export function formatCores(cores: number): string {
  return `${Math.round(cores * 1000)}m`;
}

/** `512Mi` from bytes. */
export function formatMemory(bytes: number): string {
  return `${Math.round(bytes / (1024 * 1024))}Mi`;
}

export async function runTop(ctx: CtlContext): Promise<number> {
  const what = ctx.args.positionals[0] ?? '';
  const all = ctx.allNamespaces;
  if (what === 'pods' || what === 'pod' || what === 'po') {
    const ns = all ? '' : ctx.namespace;
    const usage = await podUsage(ctx, ns);
    const sel = flagString(ctx.args, 'selector');
    const pods = (await ctx.client.list<Pod>(pathOf(PODS, ns), sel !== '' ? { labelSelector: sel } : {})).items;
    const rows: string[][] = [[...(all ? ['NAMESPACE'] : []), 'NAME', 'CPU(cores)', 'MEMORY(bytes)']];
    for (const p of pods) {
      const u = usage.get(`${p.metadata.namespace ?? ''}/${p.metadata.name}`);
      if (u === undefined) continue;
      rows.push([...(all ? [p.metadata.namespace ?? ''] : []), p.metadata.name, formatCores(u.cpu), formatMemory(u.memory)]);
    }
    if (rows.length === 1) throw new CtlError(`${NOT_AVAILABLE}: no metrics for the pods${ns !== '' ? ` in namespace ${ns}` : ''}`);
    for (const l of formatTable(rows)) ctx.io.log(l);
    return 0;
  }
  if (what === 'nodes' || what === 'node' || what === 'no') {
    const usage = await podUsage(ctx, '');
    const pods = (await ctx.client.list<Pod>(pathOf(PODS, ''))).items;
    const byNode = new Map<string, Usage>();
    for (const p of pods) {
      const u = usage.get(`${p.metadata.namespace ?? ''}/${p.metadata.name}`);
      const n = p.spec.nodeName;
      if (u === undefined || n === undefined) continue;
      const t = byNode.get(n) ?? { cpu: 0, memory: 0 };
      t.cpu += u.cpu;
      t.memory += u.memory;
      byNode.set(n, t);
    }
    const nodes = (await ctx.client.list<Node>(pathOf(NODES, ''))).items;
    const rows: string[][] = [['NAME', 'CPU(cores)', 'CPU%', 'MEMORY(bytes)', 'MEMORY%']];
    for (const n of nodes) {
      const u = byNode.get(n.metadata.name) ?? { cpu: 0, memory: 0 };
      const acpu = parseQuantity(n.status?.allocatable?.cpu ?? '') ?? 0;
      const amem = parseQuantity(n.status?.allocatable?.memory ?? '') ?? 0;
      const pct = (x: number, of: number) => (of > 0 ? `${Math.round((100 * x) / of)}%` : '<unknown>');
      rows.push([n.metadata.name, formatCores(u.cpu), pct(u.cpu, acpu), formatMemory(u.memory), pct(u.memory, amem)]);
    }
    for (const l of formatTable(rows)) ctx.io.log(l);
    return 0;
  }
  throw new UsageError(`top: expected "pods" or "nodes", got "${what}"`);
}
