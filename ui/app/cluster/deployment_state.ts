/**
 * What the Deployments page derives from a deployment without the DOM: its
 * rollout state, the PromQL of its replicas-and-load chart, and which Events
 * belong to it.
 */
import { type Json, obj, str } from '../decode.js';
import { quote } from '../format.js';
import { condition } from './kube_api.js';

/** The rollout state from the conditions: `Complete`, `Progressing`, `Failed` (deadline exceeded), `Paused`. */
export function rolloutState(d: Json): { text: string; tone: 'ok' | 'bad' | 'pending'; detail: string } {
  const st = obj(d.status);
  const spec = obj(d.spec);
  const prog = condition(st, 'Progressing');
  const avail = condition(st, 'Available');
  const desired = typeof spec.replicas === 'number' ? spec.replicas : 1;
  const detail = str(prog?.message) || str(avail?.message);
  if (spec.paused === true) return { text: 'Paused', tone: 'pending', detail };
  if (prog !== null && str(prog.status) === 'False') return { text: `Failed: ${str(prog.reason)}`, tone: 'bad', detail };
  const upd = typeof st.updatedReplicas === 'number' ? st.updatedReplicas : 0;
  const av = typeof st.availableReplicas === 'number' ? st.availableReplicas : 0;
  const total = typeof st.replicas === 'number' ? st.replicas : 0;
  if (upd === desired && av === desired && total === desired) return { text: 'Complete', tone: 'ok', detail };
  return { text: 'Progressing', tone: 'pending', detail: detail || `${upd} of ${desired} updated, ${av} available` };
}

/** The PromQL for desired and available replicas of one deployment. */
export function replicasQuery(namespace: string, name: string): string {
  return `{__name__=~"vigil_deployment_spec_replicas|vigil_deployment_status_replicas_available", namespace=${quote(namespace)}, deployment=${quote(name)}}`;
}

/** A regular expression (RE2) matching exactly `s`. */
export function regexQuote(s: string): string {
  return s.replace(/[\\.+*?()|[\]{}^$]/g, '\\$&');
}

/** One series of the deployment chart: PromQL, legend text, right (load) scale, points only. */
export interface DeploymentSeries {
  readonly expr: string;
  readonly label: string;
  readonly right: boolean;
  readonly points: boolean;
}

/**
 * The deployment chart: desired and available replicas (cluster-state metrics),
 * the autoscaler's desired replicas and its decisions (points at the replica
 * count decided), the cluster actions run for alerts (points: actions in the
 * last minute), and on the right scale the load on the deployment's pods
 * (requests/s of their `http_requests_total`). Series whose metrics are absent
 * simply do not appear.
 */
export function deploymentChartSeries(namespace: string, name: string): DeploymentSeries[] {
  const sel = `namespace=${quote(namespace)}, deployment=${quote(name)}`;
  const pods = `namespace=${quote(namespace)}, pod=~${quote(`${regexQuote(name)}-[a-z0-9]+-[a-z0-9]+`)}`;
  return [
    { expr: `vigil_deployment_spec_replicas{${sel}}`, label: 'desired replicas (vigil_deployment_spec_replicas)', right: false, points: false },
    { expr: `vigil_deployment_status_replicas_available{${sel}}`, label: 'available replicas (vigil_deployment_status_replicas_available)', right: false, points: false },
    { expr: `vigil_autoscaler_desired_replicas{${sel}}`, label: 'autoscaler desired replicas', right: false, points: false },
    {
      expr: `max by (namespace, deployment) (vigil_autoscaler_desired_replicas{${sel}}) and on (namespace, deployment) (sum by (namespace, deployment) (increase(vigil_autoscaler_decisions_total{${sel}}[1m])) > 0)`,
      label: 'autoscaler decision',
      right: false,
      points: true,
    },
    { expr: 'sum by (verb) (increase(vigil_cluster_actions_total[1m])) > 0', label: 'cluster actions in the last minute', right: false, points: true },
    { expr: `sum(rate(http_requests_total{${pods}}[1m]))`, label: 'load: requests/s to its pods', right: true, points: false },
  ];
}

/** Whether an Event concerns deployment `name`: the Deployment itself, its ReplicaSets or their pods. */
export function isDeploymentEvent(ev: Json, namespace: string, name: string): boolean {
  const o = obj(ev.involvedObject);
  const kind = str(o.kind);
  const n = str(o.name);
  if (kind === 'Node') return true;
  if (str(o.namespace) !== namespace) return false;
  if (kind === 'Deployment') return n === name;
  if (kind === 'ReplicaSet') return n.startsWith(`${name}-`) && !n.slice(name.length + 1).includes('-');
  if (kind === 'Pod') return new RegExp(`^${regexQuote(name)}-[a-z0-9]+-[a-z0-9]+$`).test(n);
  return false;
}

/** When an Event last happened (ms), from lastTimestamp, eventTime or firstTimestamp; NaN when none. */
export function eventTime(ev: Json): number {
  for (const k of ['lastTimestamp', 'eventTime', 'firstTimestamp']) {
    const t = Date.parse(str(ev[k]));
    if (!Number.isNaN(t)) return t;
  }
  return Number.NaN;
}
