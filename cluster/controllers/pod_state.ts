/**
 * What controllers ask of a Pod, defined once (Kubernetes' podutil): is it
 * active, Ready, available (Ready for at least minReadySeconds), and who its
 * controller is.
 */
import type { ApiObject, OwnerReference, Pod } from '../api/objects.js';

/** Not terminating and not finished: it counts towards a ReplicaSet's replicas. */
export function isPodActive(p: Pod): boolean {
  const phase = p.status?.phase;
  return p.metadata.deletionTimestamp === undefined && phase !== 'Succeeded' && phase !== 'Failed';
}

/** Its Ready condition is True. */
export function isPodReady(p: Pod): boolean {
  return p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;
}

/** When the pod last became Ready (ms), or null when not Ready / unknown. */
export function podReadySince(p: Pod): number | null {
  const c = p.status?.conditions?.find((x) => x.type === 'Ready');
  if (c === undefined || c.status !== 'True') return null;
  const t = c.lastTransitionTime === undefined ? Number.NaN : Date.parse(c.lastTransitionTime);
  return Number.isFinite(t) ? t : null;
}

/**
 * Ready for at least `minReadySeconds` at `now` (ms). With minReadySeconds 0 this is just
 * Ready; a Ready pod without a transition time counts as available only then.
 */
export function isPodAvailable(p: Pod, minReadySeconds: number, now: number): boolean {
  if (!isPodReady(p)) return false;
  if (minReadySeconds <= 0) return true;
  const since = podReadySince(p);
  return since !== null && since + minReadySeconds * 1000 <= now;
}

/** Milliseconds until a Ready but not yet available pod becomes available; null when not applicable. */
export function msUntilAvailable(p: Pod, minReadySeconds: number, now: number): number | null {
  if (minReadySeconds <= 0 || !isPodReady(p)) return null;
  const since = podReadySince(p);
  if (since === null) return null;
  const left = since + minReadySeconds * 1000 - now;
  return left > 0 ? left : null;
}

/** The owner reference with `controller: true`, if any. */
export function controllerRef(o: ApiObject): OwnerReference | undefined {
  return o.metadata.ownerReferences?.find((r) => r.controller === true);
}

/** Whether `o` is controlled by the object with `uid`. */
export function isControlledBy(o: ApiObject, uid: string | undefined): boolean {
  return uid !== undefined && controllerRef(o)?.uid === uid;
}

/** RFC 3339 in whole seconds, as the API writes times. */
export function timestamp(ms: number): string {
  return new Date(ms).toISOString().replace(/\.[0-9]{3}Z$/, 'Z');
}
