/**
 * What the Deployments page derives from a deployment without the DOM: its
 * rollout state and the PromQL of its replicas chart.
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
