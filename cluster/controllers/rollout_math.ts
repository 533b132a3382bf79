/**
 * Rolling-update bounds, with Kubernetes' rounding: `maxSurge` as a percentage
 * of `replicas` rounds **up**, `maxUnavailable` rounds **down**; when both come
 * out 0, maxUnavailable becomes 1 (otherwise no rollout could make progress).
 * Defaults 25% / 25%.
 */
import type { Deployment, IntOrString } from '../api/objects.js';

export class IntOrPercentError extends Error {
  readonly code = 'invalid_int_or_percent';
  constructor(field: string, value: IntOrString) {
    super(`${field}: expected a non-negative integer or a percentage like "25%", got ${JSON.stringify(value)}`);
    this.name = 'IntOrPercentError';
  }
}

/** `value` as an absolute number of `total`: numbers as they are, "N%" scaled and rounded. */
export function scaledValue(value: IntOrString, total: number, roundUp: boolean, field: string): number {
  if (typeof value === 'number') {
    if (!Number.isInteger(value) || value < 0) throw new IntOrPercentError(field, value);
    return value;
  }
  const m = /^([0-9]+)%$/.exec(value);
  if (m === null) {
    if (/^[0-9]+$/.test(value)) return Number(value);
    throw new IntOrPercentError(field, value);
  }
  const x = (Number(m[1]) * total) / 100;
  return roundUp ? Math.ceil(x) : Math.floor(x);
}

/** `{ maxSurge, maxUnavailable }` in pods for a RollingUpdate Deployment. */
export function resolveFenceposts(d: Deployment): { maxSurge: number; maxUnavailable: number } {
  const replicas = d.spec.replicas ?? 1;
  const ru = d.spec.strategy?.rollingUpdate;
  const maxSurge = scaledValue(ru?.maxSurge ?? '25%', replicas, true, 'spec.strategy.rollingUpdate.maxSurge');
  let maxUnavailable = scaledValue(ru?.maxUnavailable ?? '25%', replicas, false, 'spec.strategy.rollingUpdate.maxUnavailable');
  if (maxSurge === 0 && maxUnavailable === 0) maxUnavailable = 1;
  return { maxSurge, maxUnavailable: Math.min(maxUnavailable, replicas) };
}
