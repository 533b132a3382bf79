/**
 * Validation and defaults of `autoscaling.vigil.dev/v1` ScalingPolicy specs
 * (objects.ts `ScalingPolicySpec`), called by validation.ts / defaults.ts.
 * Errors name the field (`spec.scaleDown.stabilizationWindowSeconds`) and say
 * what was expected; the query is parsed as PromQL (after its placeholders are
 * replaced by sample values) so `vigil ctl apply` reports a broken expression
 * with its position instead of the controller failing later.
 */
import { parseExpr } from '../../query/parser.js';
import type { Obj, V } from './field_validator.js';
import { dns1123Subdomain } from './names.js';

export const DEFAULT_MIN_REPLICAS = 1;
export const DEFAULT_TOLERANCE = 0.1;
export const DEFAULT_SCALE_UP_MAX_PERCENT = 100;
export const DEFAULT_SCALE_UP_MAX_PODS = 4;
export const DEFAULT_SCALE_UP_PERIOD_SECONDS = 15;
export const DEFAULT_STABILIZATION_WINDOW_SECONDS = 300;
/** The shortest scale-down stabilization window accepted. */
export const MIN_STABILIZATION_WINDOW_SECONDS = 30;
/** Upper bound of `maxReplicas` (bounded automation). */
export const MAX_REPLICAS_LIMIT = 10_000;
/** Longest query text accepted. */
export const MAX_QUERY_LENGTH = 4096;

/** The placeholders a policy's query may use, with the sample values used to parse it. */
export const QUERY_PLACEHOLDERS = ['namespace', 'target', 'policy', 'replicas'] as const;
export type QueryPlaceholder = (typeof QUERY_PLACEHOLDERS)[number];

/**
 * Replaces `$namespace`, `$target`, `$policy`, `$replicas` (also written `${namespace}` …)
 * in `query`. Other `$` text is left alone. The values are DNS-1123 names or a
 * number, so they need no escaping inside PromQL string literals.
 */
export function expandQuery(query: string, values: Readonly<Record<QueryPlaceholder, string>>): string {
  return query.replace(/\$(?:\{(namespace|target|policy|replicas)\}|(namespace|target|policy|replicas)\b)/g, (_m, a: string | undefined, b: string | undefined) => {
    const k = (a ?? b) as QueryPlaceholder;
    return values[k];
  });
}

function num(v: V, o: Obj, key: string, path: string, check: (x: number) => string | null): number | undefined {
  const x = o[key];
  if (x === undefined || x === null) return undefined;
  if (typeof x !== 'number' || !Number.isFinite(x)) {
    v.invalid(`${path}.${key}`, x, 'must be a finite number');
    return undefined;
  }
  const why = check(x);
  if (why !== null) v.invalid(`${path}.${key}`, x, why);
  return x;
}

const tolerance = (x: number): string | null => (x >= 0 && x < 1 ? null : 'must be at least 0 and less than 1');

/** Records every problem of a ScalingPolicy's `spec` on `v` (paths start with `spec.`). */
export function validateScalingPolicySpec(v: V, spec: Obj): void {
  const target = v.str(spec, 'target', 'spec', true);
  if (target) v.syntax('spec.target', target, dns1123Subdomain(target));
  const min = v.int(spec, 'minReplicas', 'spec', 1, MAX_REPLICAS_LIMIT, 'must be at least 1 (scaling to zero is not supported)');
  if (spec.maxReplicas === undefined || spec.maxReplicas === null) v.required('spec.maxReplicas');
  const max = v.int(spec, 'maxReplicas', 'spec', 1, MAX_REPLICAS_LIMIT);
  if (max !== undefined && max < (min ?? DEFAULT_MIN_REPLICAS)) v.invalid('spec.maxReplicas', max, `must be greater than or equal to minReplicas (${min ?? DEFAULT_MIN_REPLICAS})`);
  const query = v.str(spec, 'query', 'spec', true);
  if (query) {
    if (query.length > MAX_QUERY_LENGTH) v.invalid('spec.query', `${query.slice(0, 40)}…`, `must be no more than ${MAX_QUERY_LENGTH} characters`);
    else {
      try {
        parseExpr(expandQuery(query, { namespace: 'ns', target: 'web', policy: 'web', replicas: '1' }));
      } catch (e) {
        v.invalid('spec.query', query, `not a valid PromQL expression: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
  }
  if (spec.targetPerReplica === undefined || spec.targetPerReplica === null) v.required('spec.targetPerReplica');
  num(v, spec, 'targetPerReplica', 'spec', (x) => (x > 0 ? null : 'must be greater than 0'));
  num(v, spec, 'tolerance', 'spec', tolerance);
  v.bool(spec, 'dryRun', 'spec');
  const up = v.obj(spec, 'scaleUp', 'spec');
  if (up !== undefined) {
    num(v, up, 'tolerance', 'spec.scaleUp', tolerance);
    v.int(up, 'maxPercent', 'spec.scaleUp', 1, 10_000);
    v.int(up, 'maxPods', 'spec.scaleUp', 1, MAX_REPLICAS_LIMIT);
    v.int(up, 'periodSeconds', 'spec.scaleUp', 1, 1800);
  }
  const down = v.obj(spec, 'scaleDown', 'spec');
  if (down !== undefined) {
    num(v, down, 'tolerance', 'spec.scaleDown', tolerance);
    v.int(down, 'stabilizationWindowSeconds', 'spec.scaleDown', MIN_STABILIZATION_WINDOW_SECONDS, 3600);
  }
}

function isObj(x: unknown): x is Obj {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function setDefault(o: Obj, key: string, value: unknown): void {
  if (o[key] === undefined || o[key] === null) o[key] = value;
}

/**
 * Fills the defaults of a ScalingPolicy in place (only where the parent is an
 * object and the field is absent): minReplicas 1, tolerance 0.1, scaleUp
 * {tolerance: spec.tolerance, maxPercent 100, maxPods 4, periodSeconds 15},
 * scaleDown {tolerance: spec.tolerance, stabilizationWindowSeconds 300}, dryRun false.
 */
export function defaultScalingPolicy(obj: Obj): void {
  const spec = obj.spec;
  if (!isObj(spec)) return;
  setDefault(spec, 'minReplicas', DEFAULT_MIN_REPLICAS);
  setDefault(spec, 'tolerance', DEFAULT_TOLERANCE);
  setDefault(spec, 'dryRun', false);
  setDefault(spec, 'scaleUp', {});
  setDefault(spec, 'scaleDown', {});
  // An invalid policy tolerance is reported once, on spec.tolerance, not again on the directions.
  const tol = typeof spec.tolerance === 'number' && spec.tolerance >= 0 && spec.tolerance < 1 ? spec.tolerance : DEFAULT_TOLERANCE;
  if (isObj(spec.scaleUp)) {
    setDefault(spec.scaleUp, 'tolerance', tol);
    setDefault(spec.scaleUp, 'maxPercent', DEFAULT_SCALE_UP_MAX_PERCENT);
    setDefault(spec.scaleUp, 'maxPods', DEFAULT_SCALE_UP_MAX_PODS);
    setDefault(spec.scaleUp, 'periodSeconds', DEFAULT_SCALE_UP_PERIOD_SECONDS);
  }
  if (isObj(spec.scaleDown)) {
    setDefault(spec.scaleDown, 'tolerance', tol);
    setDefault(spec.scaleDown, 'stabilizationWindowSeconds', DEFAULT_STABILIZATION_WINDOW_SECONDS);
  }
}
