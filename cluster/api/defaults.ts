/**
 * Defaults applied to incoming objects before validation (Kubernetes' order:
 * decode → default → validate), so stored objects always carry the values
 * that controllers and agents act on. The numbers are Kubernetes' defaults:
 * replicas 1, maxSurge/maxUnavailable 25%, revisionHistoryLimit 10,
 * progressDeadlineSeconds 600, terminationGracePeriodSeconds 30, probe period
 * 10 s / timeout 1 s / success 1 / failure 3, restartPolicy Always, protocol TCP.
 *
 * Works on untyped JSON: a default is set only where the parent is an object
 * and the field is absent, so malformed input is left for validation to report.
 */

import { defaultScalingPolicy } from './scaling_policy_validation.js';

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function setDefault(o: Obj, key: string, value: unknown): void {
  if (o[key] === undefined || o[key] === null) o[key] = value;
}

function each(o: Obj, key: string, fn: (item: Obj) => void): void {
  const a = o[key];
  if (Array.isArray(a)) for (const x of a) if (isObj(x)) fn(x);
}

export const DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS = 30;
export const DEFAULT_PROBE = { initialDelaySeconds: 0, periodSeconds: 10, timeoutSeconds: 1, successThreshold: 1, failureThreshold: 3 };
export const DEFAULT_MAX_SURGE = '25%';
export const DEFAULT_MAX_UNAVAILABLE = '25%';
export const DEFAULT_REVISION_HISTORY_LIMIT = 10;
export const DEFAULT_PROGRESS_DEADLINE_SECONDS = 600;

function defaultProbe(p: unknown): void {
  if (!isObj(p)) return;
  for (const [k, v] of Object.entries(DEFAULT_PROBE)) setDefault(p, k, v);
  if (isObj(p.httpGet)) {
    setDefault(p.httpGet, 'path', '/');
    setDefault(p.httpGet, 'scheme', 'HTTP');
  }
}

function defaultPodSpec(spec: unknown): void {
  if (!isObj(spec)) return;
  setDefault(spec, 'restartPolicy', 'Always');
  setDefault(spec, 'terminationGracePeriodSeconds', DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS);
  each(spec, 'containers', (c) => {
    each(c, 'ports', (p) => setDefault(p, 'protocol', 'TCP'));
    defaultProbe(c.livenessProbe);
    defaultProbe(c.readinessProbe);
    defaultProbe(c.startupProbe);
    // A container without requests gets its limits as requests (Kubernetes does the same).
    if (isObj(c.resources) && isObj(c.resources.limits)) {
      const res = c.resources;
      setDefault(res, 'requests', {});
      if (isObj(res.requests)) for (const [k, v] of Object.entries(res.limits as Obj)) setDefault(res.requests, k, v);
    }
  });
}

/** Applies the defaults of `kind` to `obj` in place. */
export function applyDefaults(kind: string, obj: unknown): void {
  if (!isObj(obj)) return;
  switch (kind) {
    case 'Pod':
      defaultPodSpec(obj.spec);
      break;
    case 'Deployment':
    case 'ReplicaSet': {
      const spec = obj.spec;
      if (!isObj(spec)) break;
      setDefault(spec, 'replicas', 1);
      setDefault(spec, 'minReadySeconds', 0);
      // apps/v1 requires a selector; an omitted one would be an error, so only the template is defaulted.
      if (isObj(spec.template)) defaultPodSpec(spec.template.spec);
      if (kind === 'Deployment') {
        setDefault(spec, 'revisionHistoryLimit', DEFAULT_REVISION_HISTORY_LIMIT);
        setDefault(spec, 'progressDeadlineSeconds', DEFAULT_PROGRESS_DEADLINE_SECONDS);
        setDefault(spec, 'paused', false);
        setDefault(spec, 'strategy', { type: 'RollingUpdate' });
        const st = spec.strategy;
        if (isObj(st)) {
          setDefault(st, 'type', 'RollingUpdate');
          if (st.type === 'RollingUpdate') {
            setDefault(st, 'rollingUpdate', {});
            if (isObj(st.rollingUpdate)) {
              setDefault(st.rollingUpdate, 'maxSurge', DEFAULT_MAX_SURGE);
              setDefault(st.rollingUpdate, 'maxUnavailable', DEFAULT_MAX_UNAVAILABLE);
            }
          }
        }
      }
      break;
    }
    case 'Service': {
      const spec = obj.spec;
      if (!isObj(spec)) break;
      setDefault(spec, 'type', 'ClusterIP');
      each(spec, 'ports', (p) => {
        setDefault(p, 'protocol', 'TCP');
        setDefault(p, 'targetPort', p.port);
      });
      break;
    }
    case 'Secret':
      setDefault(obj, 'type', 'Opaque');
      break;
    case 'Node':
      setDefault(obj, 'spec', {});
      if (isObj(obj.spec)) setDefault(obj.spec, 'unschedulable', false);
      break;
    case 'ScalingPolicy':
      defaultScalingPolicy(obj);
      break;
    case 'Event':
      setDefault(obj, 'type', 'Normal');
      setDefault(obj, 'count', 1);
      break;
  }
}
