/**
 * Which pods a ReplicaSet deletes first when scaling down — Kubernetes'
 * ActivePods ordering, so the least useful pods go first:
 *   1. not yet scheduled before scheduled
 *   2. Pending before Unknown before Running
 *   3. not Ready before Ready
 *   4. more of the set's pods on the same node before fewer (spreads what remains)
 *   5. Ready for a shorter time before longer
 *   6. more container restarts before fewer
 *   7. newer before older (creationTimestamp)
 */
import type { Pod } from '../api/objects.js';
import { isPodReady, podReadySince } from './pod_state.js';

const PHASE_RANK: Readonly<Record<string, number>> = { Pending: 0, Unknown: 1, Running: 2 };

function restarts(p: Pod): number {
  let n = 0;
  for (const c of p.status?.containerStatuses ?? []) n += c.restartCount;
  return n;
}

function created(p: Pod): number {
  const t = Date.parse(p.metadata.creationTimestamp ?? '');
  return Number.isFinite(t) ? t : 0;
}

/** Compares two pods: negative when `a` should be deleted before `b`. `perNode` counts the set's pods per node. */
export function compareForDeletion(a: Pod, b: Pod, perNode: ReadonlyMap<string, number>, now: number): number {
  const an = a.spec.nodeName ?? '';
  const bn = b.spec.nodeName ?? '';
  if ((an === '') !== (bn === '')) return an === '' ? -1 : 1;
  const ap = PHASE_RANK[a.status?.phase ?? 'Pending'] ?? 0;
  const bp = PHASE_RANK[b.status?.phase ?? 'Pending'] ?? 0;
  if (ap !== bp) return ap - bp;
  const ar = isPodReady(a);
  const br = isPodReady(b);
  if (ar !== br) return ar ? 1 : -1;
  if (an !== '' && bn !== '') {
    const d = (perNode.get(bn) ?? 0) - (perNode.get(an) ?? 0);
    if (d !== 0) return d;
  }
  if (ar && br) {
    const as = podReadySince(a) ?? now;
    const bs = podReadySince(b) ?? now;
    if (as !== bs) return bs - as; // later readiness (shorter time Ready) first
  }
  const rd = restarts(b) - restarts(a);
  if (rd !== 0) return rd;
  const cd = created(b) - created(a);
  if (cd !== 0) return cd;
  return a.metadata.name < b.metadata.name ? 1 : a.metadata.name > b.metadata.name ? -1 : 0;
}

/** The first `n` of `active` in deletion order. */
export function podsToDelete(active: readonly Pod[], n: number, now: number): Pod[] {
  const perNode = new Map<string, number>();
  for (const p of active) {
    const nn = p.spec.nodeName;
    if (nn) perNode.set(nn, (perNode.get(nn) ?? 0) + 1);
  }
  return [...active].sort((a, b) => compareForDeletion(a, b, perNode, now)).slice(0, n);
}
