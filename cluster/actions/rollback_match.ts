/**
 * Whether a firing alert should undo a Deployment's rollout (`spec.rollbackOn`):
 * the pure decision behind auto_rollback.ts, with time injected.
 *
 * An alert counts when ALL of these hold:
 * 1. its name is listed in the Deployment's `spec.rollbackOn`;
 * 2. its `namespace` label is the Deployment's namespace, and a `deployment` label,
 *    if present, names the Deployment;
 * 3. it identifies the **new revision** (the ReplicaSet of the current template):
 *    its `pod_template_hash` label equals the new ReplicaSet's `pod-template-hash`,
 *    or (without that label) its `pod` label names a pod of the new ReplicaSet
 *    (pod-template-hash label or owner), or its `replicaset` label names the new
 *    ReplicaSet. An alert naming another revision, or none, is ignored;
 * 4. the rollout is **guarded**: from the moment the template changed until it has
 *    been complete for the settle window (`settleWindowMs`). "Complete" is the
 *    deployment controller's verdict: status observed the current generation,
 *    condition `Progressing` has reason `NewReplicaSetAvailable` (its
 *    `lastUpdateTime` is the completion time), and no older ReplicaSet still has
 *    replicas. A paused or stalled (ProgressDeadlineExceeded) rollout stays guarded;
 * 5. there is a previous revision to return to, no rollback is pending already
 *    (`vigil.dev/rollback-to` set), and the rollout is not itself the result of an
 *    auto-rollback (`vigil.dev/auto-rollback-to` names the current template's hash) —
 *    so two bad revisions never ping-pong.
 */
import type { Deployment, Pod, ReplicaSet } from '../api/objects.js';
import { POD_TEMPLATE_HASH_LABEL } from '../api/objects.js';
import { podTemplateHash } from '../api/pod_template_hash.js';
import { ROLLBACK_ANNOTATION, revisionOf } from '../controllers/deployment_controller.js';
import { isControlledBy } from '../controllers/pod_state.js';

/** Set by an auto-rollback on the Deployment: the pod-template-hash it rolled back to. */
export const AUTO_ROLLBACK_TO_ANNOTATION = 'vigil.dev/auto-rollback-to';
/** Shortest settle window after a rollout completes, seconds. */
export const DEFAULT_SETTLE_SECONDS = 30;

/** Alert labels that name the revision, in the order they are tried (Prometheus label names of the pod's labels). */
export const REVISION_LABEL = 'pod_template_hash';
export const POD_LABEL = 'pod';
export const REPLICASET_LABEL = 'replicaset';

export type IgnoreReason =
  | 'not_listed'
  | 'other_namespace'
  | 'other_deployment'
  | 'no_revision_label'
  | 'old_revision'
  | 'no_new_revision'
  | 'settled'
  | 'no_previous_revision'
  | 'rollback_pending'
  | 'is_auto_rollback';

/** What to do about one alert for one Deployment. */
export type RollbackDecision =
  | {
      readonly kind: 'rollback';
      readonly newRS: ReplicaSet;
      readonly previous: ReplicaSet;
      /** How the alert named the revision, e.g. `pod_template_hash="5d8f…"`. */
      readonly matchedBy: string;
    }
  | { readonly kind: 'ignore'; readonly reason: IgnoreReason; readonly detail: string };

export interface RollbackInput {
  readonly deployment: Deployment;
  /** The ReplicaSets in the Deployment's namespace (others are filtered by owner here). */
  readonly replicaSets: readonly ReplicaSet[];
  readonly alertName: string;
  readonly labels: Readonly<Record<string, string>>;
  /** The pod the alert's `pod` label names, when the caller could find it. */
  readonly pod?: Pod | undefined;
  /** Now, ms since epoch. */
  readonly now: number;
}

/** The settle window after completion: max(minReadySeconds, 30 s), at most progressDeadlineSeconds (default 600). */
export function settleWindowMs(d: Deployment): number {
  const s = Math.min(Math.max(d.spec.minReadySeconds ?? 0, DEFAULT_SETTLE_SECONDS), d.spec.progressDeadlineSeconds ?? 600);
  return s * 1000;
}

/** The Deployment's `rollbackOn` list (empty when unset). */
export function rollbackOnOf(d: Deployment): readonly string[] {
  return d.spec.rollbackOn ?? [];
}

/**
 * When the current rollout completed (ms), or null while it is still in progress
 * (or the controller has not yet judged the current generation).
 */
export function completedAtMs(d: Deployment, newRS: ReplicaSet, olds: readonly ReplicaSet[]): number | null {
  const st = d.status;
  if (st === undefined || (st.observedGeneration ?? 0) < (d.metadata.generation ?? 0)) return null;
  if (olds.some((rs) => (rs.spec.replicas ?? 0) > 0 || (rs.status?.replicas ?? 0) > 0)) return null;
  if ((newRS.status?.availableReplicas ?? 0) < (d.spec.replicas ?? 1)) return null;
  const p = st.conditions?.find((c) => c.type === 'Progressing');
  if (p === undefined || p.reason !== 'NewReplicaSetAvailable') return null;
  const t = Date.parse(p.lastUpdateTime ?? p.lastTransitionTime ?? '');
  return Number.isFinite(t) ? t : null;
}

const ignore = (reason: IgnoreReason, detail: string): RollbackDecision => ({ kind: 'ignore', reason, detail });

/** How the alert names the new revision, or null when it names another revision / none (see the file comment). */
function revisionMatch(inp: RollbackInput, newRS: ReplicaSet, hash: string): { ok: true; by: string } | { ok: false; reason: IgnoreReason; detail: string } {
  const l = inp.labels;
  const h = l[REVISION_LABEL];
  if (h !== undefined && h !== '') {
    return h === hash ? { ok: true, by: `${REVISION_LABEL}="${h}"` } : { ok: false, reason: 'old_revision', detail: `${REVISION_LABEL}="${h}" is not the new revision ${hash}` };
  }
  const rsName = l[REPLICASET_LABEL];
  if (rsName !== undefined && rsName !== '') {
    return rsName === newRS.metadata.name
      ? { ok: true, by: `${REPLICASET_LABEL}="${rsName}"` }
      : { ok: false, reason: 'old_revision', detail: `${REPLICASET_LABEL}="${rsName}" is not the new ReplicaSet ${newRS.metadata.name}` };
  }
  const podName = l[POD_LABEL];
  if (podName !== undefined && podName !== '') {
    const p = inp.pod;
    if (p === undefined || p.metadata.name !== podName) return { ok: false, reason: 'no_revision_label', detail: `pod "${podName}" not found` };
    const ph = p.metadata.labels?.[POD_TEMPLATE_HASH_LABEL];
    const mine = isControlledBy(p, newRS.metadata.uid) || (ph !== undefined && ph === hash);
    return mine ? { ok: true, by: `${POD_LABEL}="${podName}"` } : { ok: false, reason: 'old_revision', detail: `pod "${podName}" is not of the new revision ${hash}` };
  }
  return { ok: false, reason: 'no_revision_label', detail: `the alert has none of the labels ${REVISION_LABEL}, ${REPLICASET_LABEL}, ${POD_LABEL}` };
}

/** Decides for one alert and one Deployment; see the file comment. Pure. */
export function decideRollback(inp: RollbackInput): RollbackDecision {
  const d = inp.deployment;
  const ns = d.metadata.namespace ?? 'default';
  if (!rollbackOnOf(d).includes(inp.alertName)) return ignore('not_listed', `alert ${inp.alertName} is not in spec.rollbackOn`);
  if ((inp.labels.namespace ?? '') !== ns) return ignore('other_namespace', `alert namespace "${inp.labels.namespace ?? ''}" is not "${ns}"`);
  const dep = inp.labels.deployment;
  if (dep !== undefined && dep !== '' && dep !== d.metadata.name) return ignore('other_deployment', `alert deployment "${dep}" is not "${d.metadata.name}"`);
  if (d.metadata.annotations?.[ROLLBACK_ANNOTATION] !== undefined) return ignore('rollback_pending', 'a rollback is already pending');
  const owned = inp.replicaSets.filter((rs) => isControlledBy(rs, d.metadata.uid) && rs.metadata.deletionTimestamp === undefined);
  const hash = podTemplateHash(d.spec.template);
  const newRS = owned.find((rs) => rs.metadata.labels?.[POD_TEMPLATE_HASH_LABEL] === hash);
  if (newRS === undefined) return ignore('no_new_revision', `no ReplicaSet exists yet for the current template ${hash}`);
  const m = revisionMatch(inp, newRS, hash);
  if (!m.ok) return ignore(m.reason, m.detail);
  if (d.metadata.annotations?.[AUTO_ROLLBACK_TO_ANNOTATION] === hash) return ignore('is_auto_rollback', `revision ${hash} was restored by an auto-rollback; it is not undone automatically`);
  const olds = owned.filter((rs) => rs !== newRS);
  const done = completedAtMs(d, newRS, olds);
  if (done !== null && inp.now - done > settleWindowMs(d)) {
    return ignore('settled', `the rollout of ${newRS.metadata.name} completed ${Math.round((inp.now - done) / 1000)}s ago, past the ${settleWindowMs(d) / 1000}s settle window`);
  }
  const previous = [...olds].sort((a, b) => revisionOf(b) - revisionOf(a))[0];
  if (previous === undefined) return ignore('no_previous_revision', `${newRS.metadata.name} is the only revision`);
  return { kind: 'rollback', newRS, previous, matchedBy: m.by };
}
