/**
 * A Deployment's `status` from its ReplicaSets, with Kubernetes' two
 * conditions:
 * - `Available`: True (MinimumReplicasAvailable) when at least
 *   `replicas − maxUnavailable` pods are available, else False (MinimumReplicasUnavailable).
 * - `Progressing`: True with reason NewReplicaSetAvailable once the rollout is
 *   complete; True (NewReplicaSetCreated / ReplicaSetUpdated / DeploymentResumed)
 *   and `lastUpdateTime` = now whenever the rollout made progress; False with
 *   reason ProgressDeadlineExceeded when it made none for
 *   `progressDeadlineSeconds` (it stays so until progress resumes);
 *   Unknown (DeploymentPaused) while paused.
 * - Other conditions (`RolledBack`, written by auto-rollback) are kept as they are,
 *   except that `RolledBack` is dropped when a rollout creates a new ReplicaSet.
 */
import type { Condition, Deployment, DeploymentConditionType, DeploymentStatus, ReplicaSet } from '../api/objects.js';
import { timestamp } from './pod_state.js';

export type ProgressReason = 'NewReplicaSetCreated' | 'ReplicaSetUpdated' | 'DeploymentResumed' | '';

export interface StatusInput {
  d: Deployment;
  newRS: ReplicaSet | undefined;
  all: readonly ReplicaSet[];
  /** Pods that may be unavailable (0 for Recreate). */
  maxUnavailable: number;
  /** Why this sync counts as progress ('' = it did not act). */
  progress: ProgressReason;
  now: number;
}

type DeploymentCondition = Condition<DeploymentConditionType>;

/** Replaces the condition of `c.type`; an unchanged one (same status, reason, message) is kept as it was unless `refresh`. */
function setCondition(list: DeploymentCondition[], c: DeploymentCondition, refresh = false): DeploymentCondition[] {
  const old = list.find((x) => x.type === c.type);
  if (old !== undefined && old.status === c.status) {
    if (!refresh && old.reason === c.reason && old.message === c.message) return list;
    if (old.lastTransitionTime !== undefined) c.lastTransitionTime = old.lastTransitionTime;
  }
  return [...list.filter((x) => x.type !== c.type), c];
}

/** The new status, and when (ms from now) the progress deadline would pass if nothing happens (null: no deadline pending). */
export function computeStatus(inp: StatusInput): { status: DeploymentStatus; deadlineInMs: number | null; timedOut: boolean } {
  const { d, newRS, all, now } = inp;
  const want = d.spec.replicas ?? 1;
  let replicas = 0;
  let ready = 0;
  let available = 0;
  for (const rs of all) {
    replicas += rs.status?.replicas ?? 0;
    ready += rs.status?.readyReplicas ?? 0;
    available += rs.status?.availableReplicas ?? 0;
  }
  const updated = newRS?.status?.replicas ?? 0;
  const prev = d.status ?? {};
  const ts = timestamp(now);
  // A new revision starts afresh: an earlier auto-rollback's `RolledBack` no longer explains the state.
  let conds = (prev.conditions ?? []).filter((c) => !(c.type === 'RolledBack' && inp.progress === 'NewReplicaSetCreated'));
  const minAvailable = want - inp.maxUnavailable;
  conds = setCondition(
    conds,
    available >= minAvailable
      ? { type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable', message: 'Deployment has minimum availability.', lastUpdateTime: ts, lastTransitionTime: ts }
      : { type: 'Available', status: 'False', reason: 'MinimumReplicasUnavailable', message: 'Deployment does not have minimum availability.', lastUpdateTime: ts, lastTransitionTime: ts },
  );
  const oldP = prev.conditions?.find((c) => c.type === 'Progressing');
  const rsName = newRS?.metadata.name ?? d.metadata.name;
  const deadlineS = d.spec.progressDeadlineSeconds ?? 600;
  let deadlineInMs: number | null = null;
  let timedOut = false;
  const complete = newRS !== undefined && updated === want && available === want && replicas === want && (newRS.spec.replicas ?? 0) === want;
  const countsMoved =
    prev.replicas !== replicas || prev.updatedReplicas !== updated || prev.readyReplicas !== ready || prev.availableReplicas !== available;
  let progressing: DeploymentCondition | null = null;
  let refresh = false;
  if (d.spec.paused === true) {
    progressing = { type: 'Progressing', status: 'Unknown', reason: 'DeploymentPaused', message: 'Deployment is paused', lastUpdateTime: ts, lastTransitionTime: ts };
  } else if (complete) {
    progressing =
      oldP?.reason === 'NewReplicaSetAvailable'
        ? oldP
        : { type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable', message: `ReplicaSet "${rsName}" has successfully progressed.`, lastUpdateTime: ts, lastTransitionTime: ts };
  } else if (inp.progress !== '' || countsMoved || oldP === undefined || oldP.reason === 'DeploymentPaused') {
    const reason = inp.progress !== '' ? inp.progress : oldP?.reason === 'DeploymentPaused' ? 'DeploymentResumed' : 'ReplicaSetUpdated';
    const message = reason === 'NewReplicaSetCreated' ? `Created new replica set "${rsName}"` : reason === 'DeploymentResumed' ? 'Deployment is resumed' : `ReplicaSet "${rsName}" is progressing.`;
    progressing = { type: 'Progressing', status: 'True', reason, message, lastUpdateTime: ts, lastTransitionTime: ts };
    deadlineInMs = deadlineS * 1000;
    refresh = true;
  } else if (oldP.reason === 'ProgressDeadlineExceeded') {
    progressing = oldP;
  } else {
    const last = Date.parse(oldP.lastUpdateTime ?? oldP.lastTransitionTime ?? '');
    const left = (Number.isFinite(last) ? last : now) + deadlineS * 1000 - now;
    if (left <= 0) {
      progressing = { type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded', message: `ReplicaSet "${rsName}" has timed out progressing.`, lastUpdateTime: ts, lastTransitionTime: ts };
      timedOut = true;
    } else {
      progressing = oldP;
      deadlineInMs = left;
    }
  }
  conds = setCondition(conds, progressing, refresh);
  conds.sort((a, b) => (a.type < b.type ? -1 : 1));
  const status: DeploymentStatus = {
    observedGeneration: d.metadata.generation ?? 0,
    replicas,
    updatedReplicas: updated,
    readyReplicas: ready,
    availableReplicas: available,
    unavailableReplicas: Math.max(0, want - available),
    conditions: conds,
  };
  return { status, deadlineInMs, timedOut };
}

/** Whether two statuses differ in anything but timestamps of unchanged conditions. */
export function statusChanged(a: DeploymentStatus | undefined, b: DeploymentStatus): boolean {
  return JSON.stringify(a ?? {}) !== JSON.stringify(b);
}
