/**
 * ResourceQuota arithmetic: what a pod charges against a quota, and whether a
 * new pod fits. Pure functions; the registry's admission step (registry.ts)
 * lists the namespace's quotas and live pods and calls `checkQuota`.
 *
 * Charged resources: `pods` (1 per pod that is not Succeeded/Failed), and the
 * sums over containers of `requests.cpu`/`requests.memory`/`limits.cpu`/
 * `limits.memory` (`cpu`/`memory` are Kubernetes' aliases of the requests).
 * As in Kubernetes, a quota that limits a compute resource requires every new
 * pod to state it ("must specify …"), and only the exceeded resources are named
 * in the "exceeded quota" message.
 */
import type { Pod, ResourceQuota } from './objects.js';
import { formatCpu, formatMemory, parseQuantity } from './quantity.js';

/** Resource name → amount in base units (cores, bytes, count). */
export type Usage = Map<string, number>;

const ALIASES: Readonly<Record<string, string>> = { cpu: 'requests.cpu', memory: 'requests.memory' };

function canonical(resource: string): string {
  return ALIASES[resource] ?? resource;
}

/** Whether a pod still counts against quota (terminal pods do not). */
export function podCharged(pod: Pod): boolean {
  const phase = pod.status?.phase;
  return phase !== 'Succeeded' && phase !== 'Failed';
}

/** What `pod` charges; a resource missing from every container is absent (not 0). */
export function podUsage(pod: Pod): Usage {
  const u: Usage = new Map([['pods', 1]]);
  for (const c of pod.spec.containers) {
    for (const kind of ['requests', 'limits'] as const) {
      const list = c.resources?.[kind];
      if (list === undefined) continue;
      for (const r of ['cpu', 'memory']) {
        const s = list[r];
        if (s === undefined) continue;
        const q = parseQuantity(s) ?? 0;
        const key = `${kind}.${r}`;
        u.set(key, (u.get(key) ?? 0) + q);
      }
    }
  }
  return u;
}

/** Adds `b` into `a`. */
export function addUsage(a: Usage, b: Usage): void {
  for (const [k, v] of b) a.set(k, (a.get(k) ?? 0) + v);
}

/** Prints an amount the way Kubernetes prints quantities of that resource. */
export function formatAmount(resource: string, n: number): string {
  const c = canonical(resource);
  if (c.endsWith('.cpu')) return formatCpu(n);
  if (c.endsWith('.memory')) return formatMemory(n);
  return String(n);
}

/** `used` as a ResourceList over the quota's hard resources (for `status.used`). */
export function usedList(quota: ResourceQuota, used: Usage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const r of Object.keys(quota.spec.hard)) out[r] = formatAmount(r, used.get(canonical(r)) ?? 0);
  return out;
}

/**
 * Why `requested` does not fit into `quota` given `used` (both canonical names),
 * as the part after `is forbidden: `; null when it fits.
 */
export function checkQuota(quota: ResourceQuota, used: Usage, requested: Usage): string | null {
  const name = quota.metadata.name;
  const hard = Object.entries(quota.spec.hard).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const missing = hard.map(([r]) => r).filter((r) => r !== 'pods' && !requested.has(canonical(r)));
  if (missing.length > 0) return `failed quota: ${name}: must specify ${missing.join(',')}`;
  const over: string[] = [];
  for (const [r, h] of hard) {
    const limit = parseQuantity(h) ?? 0;
    const c = canonical(r);
    const req = requested.get(c) ?? 0;
    // A small epsilon keeps 0.1 + 0.2 style float sums from failing an exact fit.
    if ((used.get(c) ?? 0) + req > limit + 1e-9) over.push(r);
  }
  if (over.length === 0) return null;
  const fmt = (f: (r: string) => number) => over.map((r) => `${r}=${formatAmount(r, f(r))}`).join(',');
  return (
    `exceeded quota: ${name}, requested: ${fmt((r) => requested.get(canonical(r)) ?? 0)}, ` +
    `used: ${fmt((r) => used.get(canonical(r)) ?? 0)}, limited: ${fmt((r) => parseQuantity(quota.spec.hard[r] ?? '0') ?? 0)}`
  );
}
