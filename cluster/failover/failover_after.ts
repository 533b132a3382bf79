/**
 * When a silent node's pods move: the timing rules of failover, shared by the
 * control plane (lease monitor, failover action) and the node agent (fencing).
 *
 * - A node agent renews its Lease every `LEASE_RENEW_MS` (2 s). The control plane
 *   measures a node's *lease age* on its own clock: the time since it last saw the
 *   Lease change (so clock offsets between machines do not matter).
 * - Suspect: the lease age exceeds `SUSPECT_MISSED_RENEWALS` (3) renewal periods.
 * - Failed (for a pod): the lease age reached the pod's `failoverAfter`: the
 *   cluster default (`--cluster.failover-after`, 10 s) unless the pod's template
 *   sets the annotation `vigil.dev/failover-after` (a Prometheus duration such as
 *   `30s`; `0` = never fail this pod over). Invalid values fall back to the default.
 * - A node's failoverAfter is the earliest of its pods' non-zero values and the
 *   non-zero cluster default: the first moment a failover of that node has anything
 *   to do. 0 = never (default 0 and every pod 0 or none).
 * - Fencing: an agent that could not renew for `failoverAfter − FENCE_MARGIN_MS`
 *   stops the pod itself (`fenceAfterMs`), so it is gone before the control plane
 *   starts a replacement.
 */
import type { Pod } from '../api/objects.js';
import { parseDuration } from '../../tsdb/duration.js';

/** Pod template annotation overriding the cluster default for the pods of one Deployment. */
export const FAILOVER_AFTER_ANNOTATION = 'vigil.dev/failover-after';
/** Node annotation through which the control plane tells agents the cluster default (a duration). */
export const NODE_FAILOVER_AFTER_ANNOTATION = 'vigil.dev/failover-after';
/** Default failoverAfter, ms. */
export const DEFAULT_FAILOVER_AFTER_MS = 10_000;
/** The agents' lease renewal period, ms. */
export const LEASE_RENEW_MS = 2000;
/** Renewals a node may miss before it is suspect. */
export const SUSPECT_MISSED_RENEWALS = 3;
/** How long before the control plane's deadline an agent fences its pods, ms. */
export const FENCE_MARGIN_MS = 3000;
/** The earliest an agent fences (for failoverAfter values at or below the margin), ms. */
export const MIN_FENCE_MS = 1000;

/** Parses a failoverAfter text (Prometheus duration, `0` allowed); null when invalid. */
export function parseFailoverAfter(text: string | undefined): number | null {
  if (text === undefined) return null;
  try {
    const ms = parseDuration(text.trim());
    return ms >= 0 ? ms : null;
  } catch {
    return null;
  }
}

/** The pod's failoverAfter, ms: its annotation if valid, else `defaultMs`. 0 = never. */
export function podFailoverAfterMs(pod: Pod, defaultMs: number): number {
  return parseFailoverAfter(pod.metadata.annotations?.[FAILOVER_AFTER_ANNOTATION]) ?? defaultMs;
}

/** The node's failoverAfter, ms (see the file comment). 0 = never. */
export function nodeFailoverAfterMs(pods: Iterable<Pod>, defaultMs: number): number {
  let min = defaultMs > 0 ? defaultMs : Number.POSITIVE_INFINITY;
  for (const p of pods) {
    const v = podFailoverAfterMs(p, defaultMs);
    if (v > 0 && v < min) min = v;
  }
  return Number.isFinite(min) ? min : 0;
}

export type NodeHealth = 'alive' | 'suspect' | 'failed';

/** The node's state for a lease age and failoverAfter (both ms). failoverAfter 0 never fails. */
export function nodeHealth(leaseAgeMs: number, failoverAfterMs: number, renewMs = LEASE_RENEW_MS): NodeHealth {
  if (failoverAfterMs > 0 && leaseAgeMs >= failoverAfterMs) return 'failed';
  if (leaseAgeMs > SUSPECT_MISSED_RENEWALS * renewMs) return 'suspect';
  return 'alive';
}

/**
 * After how many ms without a successful renewal an agent stops a pod whose
 * failoverAfter is `failoverAfterMs`: `failoverAfter − FENCE_MARGIN_MS`, at least
 * `MIN_FENCE_MS` (but never later than failoverAfter itself); Infinity for 0 (never).
 */
export function fenceAfterMs(failoverAfterMs: number): number {
  if (failoverAfterMs <= 0) return Number.POSITIVE_INFINITY;
  return Math.min(failoverAfterMs, Math.max(MIN_FENCE_MS, failoverAfterMs - FENCE_MARGIN_MS));
}
