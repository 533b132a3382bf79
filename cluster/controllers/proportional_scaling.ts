/**
 * Proportional scaling, Kubernetes' answer to "the Deployment was scaled while
 * two or more of its ReplicaSets have pods" (mid-rollout, or paused mid-rollout):
 * the added (or removed) replicas are shared among the active ReplicaSets in
 * proportion to their current sizes, so the rollout's ratio is kept and
 * neither revision absorbs the whole change. Integer shares are rounded
 * toward zero; the remainder goes to the largest ReplicaSet (the newest
 * among equals).
 *
 * A scaling event is recognised by the annotation
 * `deployment.kubernetes.io/desired-replicas` the controller keeps on each
 * ReplicaSet it scales: an active ReplicaSet whose annotation differs from the
 * Deployment's `replicas` means the Deployment was scaled since.
 */
import type { ReplicaSet } from '../api/objects.js';

/** Annotation on ReplicaSets: the Deployment's `replicas` when the controller last scaled it. */
export const DESIRED_REPLICAS_ANNOTATION = 'deployment.kubernetes.io/desired-replicas';

/** Whether `replicas` differs from what some active ReplicaSet was last scaled for. */
export function isScalingEvent(active: readonly ReplicaSet[], replicas: number): boolean {
  return active.some((rs) => {
    const v = rs.metadata.annotations?.[DESIRED_REPLICAS_ANNOTATION];
    return v !== undefined && Number(v) !== replicas;
  });
}

/**
 * New sizes (by ReplicaSet name) bringing the sum of `active` sizes to `allowed`,
 * each share proportional to the current size. `revision(rs)` orders equals (newest first).
 */
export function proportionalSizes(active: readonly ReplicaSet[], allowed: number, revision: (rs: ReplicaSet) => number): Map<string, number> {
  const size = (rs: ReplicaSet) => rs.spec.replicas ?? 0;
  const sorted = [...active].sort((a, b) => size(b) - size(a) || revision(b) - revision(a));
  const total = sorted.reduce((n, rs) => n + size(rs), 0);
  const out = new Map<string, number>();
  for (const rs of sorted) out.set(rs.metadata.name, size(rs));
  const toAdd = allowed - total;
  if (toAdd === 0 || total === 0 || sorted.length === 0) return out;
  let added = 0;
  for (const rs of sorted) {
    const share = Math.trunc((toAdd * size(rs)) / total);
    out.set(rs.metadata.name, Math.max(0, size(rs) + share));
    added += out.get(rs.metadata.name)! - size(rs);
  }
  // The remainder (and anything clamped at zero) goes to the largest first.
  let left = toAdd - added;
  for (const rs of sorted) {
    if (left === 0) break;
    const cur = out.get(rs.metadata.name)!;
    const next = Math.max(0, cur + left);
    left -= next - cur;
    out.set(rs.metadata.name, next);
  }
  return out;
}
