/**
 * Deployment controller: Deployment → ReplicaSets (one per pod-template hash,
 * named `<deployment>-<hash>`, a "revision") → pods (by the ReplicaSet
 * controller). Each sync moves the Deployment one step:
 *
 * - **Rollback** when the annotation `vigil.dev/rollback-to` (ROLLBACK_ANNOTATION)
 *   is set: "<revision>" or "0" for the previous one. The template of that
 *   revision's ReplicaSet (minus its `pod-template-hash` label) replaces the
 *   Deployment's template and the annotation is removed; the rollout then
 *   proceeds as any other (the old ReplicaSet becomes the new one and gets the
 *   next revision number, as Kubernetes does). A client may equally roll back by
 *   writing that template itself (what `kubectl rollout undo` does today).
 * - **New ReplicaSet** for the current template when missing, with revision
 *   max(old revisions) + 1 (`deployment.kubernetes.io/revision` on the
 *   ReplicaSet and the Deployment).
 * - **Scaling** (only `replicas` changed, or the Deployment is paused): the
 *   active ReplicaSets are resized without a rollout step — proportionally when
 *   several have pods (proportional_scaling.ts), as Kubernetes does.
 * - **Paused** (`spec.paused`): no rollout step and no new ReplicaSet; scaling only.
 * - **RollingUpdate**: scale the new ReplicaSet up while the sum of all
 *   ReplicaSets' replicas stays ≤ replicas + maxSurge; scale old ones down
 *   (unhealthy pods first, then oldest ReplicaSets first) while the available
 *   pods stay ≥ replicas − maxUnavailable (rollout_math.ts for the rounding).
 * - **Recreate**: scale every old ReplicaSet to 0, wait until their pods are
 *   gone, then scale the new one up.
 * - **History**: old ReplicaSets scaled to 0 beyond `revisionHistoryLimit`
 *   (default 10) are deleted, lowest revision first.
 * - **Status** and conditions: deployment_status.ts (progress deadline included).
 */
import { ApiError } from '../api/api_error.js';
import type { Deployment, Pod, PodTemplateSpec, ReplicaSet } from '../api/objects.js';
import { POD_TEMPLATE_HASH_LABEL, REVISION_ANNOTATION } from '../api/objects.js';
import { podTemplateHash } from '../api/pod_template_hash.js';
import type { Registry } from '../api/registry.js';
import { Controller, type ControllerLogger, type SyncResult } from './controller.js';
import { computeStatus, type ProgressReason, statusChanged } from './deployment_status.js';
import type { EventRecorder } from './event_recorder.js';
import { type Informer, objectKey, splitKey } from './informer.js';
import { isControlledBy } from './pod_state.js';
import { DESIRED_REPLICAS_ANNOTATION, isScalingEvent, proportionalSizes } from './proportional_scaling.js';
import { DEPLOYMENTS, PODS, REPLICASETS } from './resources.js';
import { resolveFenceposts } from './rollout_math.js';

/** Set on a Deployment to roll back: the revision number, or "0" for the previous revision. */
export const ROLLBACK_ANNOTATION = 'vigil.dev/rollback-to';

export interface DeploymentControllerOptions {
  now?: () => number;
  logger?: ControllerLogger;
  events?: EventRecorder;
}

/** The revision number of a ReplicaSet (0 when unannotated). */
export function revisionOf(rs: ReplicaSet | Deployment): number {
  const n = Number(rs.metadata.annotations?.[REVISION_ANNOTATION] ?? '0');
  return Number.isInteger(n) && n > 0 ? n : 0;
}

/** A ReplicaSet's template as the Deployment would have it (without the hash label). */
export function templateOfRevision(rs: ReplicaSet): PodTemplateSpec {
  const t = structuredClone(rs.spec.template);
  const labels = { ...(t.metadata?.labels ?? {}) };
  delete labels[POD_TEMPLATE_HASH_LABEL];
  return { ...t, metadata: { ...(t.metadata ?? {}), labels } };
}

export class DeploymentController extends Controller {
  readonly name = 'deployment';
  private readonly registry: Registry;
  private readonly now: () => number;
  private readonly events: EventRecorder | undefined;

  constructor(registry: Registry, opts: DeploymentControllerOptions = {}) {
    super(opts.logger);
    this.registry = registry;
    this.now = opts.now ?? Date.now;
    this.events = opts.events;
  }

  /** Feeds the queue: Deployments themselves, their ReplicaSets, and (for Recreate) their pods' deletions. */
  watch(deployments: Informer<Deployment>, replicaSets: Informer<ReplicaSet>, pods: Informer<Pod>): void {
    deployments.addHandlers({ onAdd: (o) => this.queue.add(objectKey(o)), onUpdate: (_, o) => this.queue.add(objectKey(o)) });
    const owner = (rs: ReplicaSet) => {
      const ref = rs.metadata.ownerReferences?.find((r) => r.controller === true && r.kind === 'Deployment');
      if (ref !== undefined) this.queue.add(`${rs.metadata.namespace}/${ref.name}`);
    };
    replicaSets.addHandlers({ onAdd: owner, onUpdate: (_, o) => owner(o), onDelete: owner });
    pods.addHandlers({
      onDelete: (p) => {
        const ref = p.metadata.ownerReferences?.find((r) => r.controller === true && r.kind === 'ReplicaSet');
        const rs = ref === undefined ? undefined : replicaSets.get(`${p.metadata.namespace}/${ref.name}`);
        if (rs !== undefined) owner(rs);
      },
    });
  }

  async sync(key: string): Promise<SyncResult> {
    const { namespace, name } = splitKey(key);
    let d: Deployment;
    try {
      d = (await this.registry.get(DEPLOYMENTS, namespace, name)) as Deployment;
    } catch (e) {
      if (e instanceof ApiError && e.code === 404) return undefined;
      throw e;
    }
    if (d.metadata.deletionTimestamp !== undefined) return undefined;
    let all = ((await this.registry.list(REPLICASETS, namespace)).items as ReplicaSet[]).filter((rs) => isControlledBy(rs, d.metadata.uid));
    if (d.metadata.annotations?.[ROLLBACK_ANNOTATION] !== undefined) {
      await this.rollback(d, all);
      return { requeueAfterMs: 0 };
    }
    const hash = podTemplateHash(d.spec.template);
    let newRS = all.find((rs) => rs.metadata.labels?.[POD_TEMPLATE_HASH_LABEL] === hash && rs.metadata.deletionTimestamp === undefined);
    const olds = () => all.filter((rs) => rs !== newRS);
    const maxOldRevision = Math.max(0, ...olds().map(revisionOf));
    const want = d.spec.replicas ?? 1;
    let progress: ProgressReason = '';
    let requeue: number | null = null;

    const active = () => all.filter((rs) => (rs.spec.replicas ?? 0) > 0 && rs.metadata.deletionTimestamp === undefined);
    let scaledOnly = false;
    if (d.spec.paused === true || isScalingEvent(active(), want)) {
      // Only `replicas` changed (or the rollout is paused): resize, do not roll.
      scaledOnly = await this.scaleToReplicas(d, () => all, (rs) => {
        all = this.replace(all, rs);
      }, newRS);
    }
    if (newRS !== undefined) {
      const uid = newRS.metadata.uid;
      newRS = all.find((rs) => rs.metadata.uid === uid);
    }
    if (d.spec.paused === true || scaledOnly) {
      // Nothing else this round; the rollout continues on the next sync.
    } else {
      if (newRS === undefined) {
        newRS = await this.createNewRS(d, hash, maxOldRevision + 1);
        all = [...all, newRS];
        progress = 'NewReplicaSetCreated';
      } else if (revisionOf(newRS) <= maxOldRevision || (newRS.spec.minReadySeconds ?? 0) !== (d.spec.minReadySeconds ?? 0)) {
        // A rollback re-activates an old ReplicaSet: it becomes the newest revision.
        const bumped = await this.updateRS({
          ...newRS,
          metadata: { ...newRS.metadata, annotations: { ...(newRS.metadata.annotations ?? {}), [REVISION_ANNOTATION]: String(Math.max(revisionOf(newRS), maxOldRevision + 1)) } },
          spec: { ...newRS.spec, minReadySeconds: d.spec.minReadySeconds ?? 0 },
        });
        all = this.replace(all, bumped);
        newRS = bumped;
      }
      const nrs: ReplicaSet = newRS;
      if (d.spec.strategy?.type === 'Recreate') {
        const r = await this.recreate(d, nrs, olds());
        all = r.all.length > 0 ? this.mergeAll(all, r.all) : all;
        if (r.acted && progress === '') progress = 'ReplicaSetUpdated';
      } else {
        const acted = await this.rollingStep(d, () => all, (rs) => {
          all = this.replace(all, rs);
        }, nrs);
        if (acted && progress === '') progress = 'ReplicaSetUpdated';
      }
      newRS = all.find((rs) => rs.metadata.uid === nrs.metadata.uid);
      await this.cleanupHistory(d, all.filter((rs) => rs !== newRS));
      await this.setRevisionAnnotation(d, newRS);
    }
    const { maxUnavailable } = d.spec.strategy?.type === 'Recreate' ? { maxUnavailable: 0 } : resolveFenceposts(d);
    const cur = (await this.registry.get(DEPLOYMENTS, namespace, name)) as Deployment;
    const { status, deadlineInMs, timedOut } = computeStatus({ d: cur, newRS, all, maxUnavailable, progress, now: this.now() });
    if (statusChanged(cur.status, status)) {
      await this.registry.update(DEPLOYMENTS, namespace, name, { ...cur, status }, { subresource: 'status' });
      if (timedOut) await this.events?.record(cur, 'Warning', 'ProgressDeadlineExceeded', `Deployment "${name}" has timed out progressing.`);
    }
    if (deadlineInMs !== null) requeue = deadlineInMs + 1000;
    return requeue === null ? undefined : { requeueAfterMs: requeue };
  }

  private replace(all: ReplicaSet[], rs: ReplicaSet): ReplicaSet[] {
    return all.map((x) => (x.metadata.uid === rs.metadata.uid ? rs : x));
  }

  private mergeAll(all: ReplicaSet[], changed: ReplicaSet[]): ReplicaSet[] {
    let out = all;
    for (const rs of changed) out = this.replace(out, rs);
    return out;
  }

  /**
   * Brings the active ReplicaSets to the Deployment's `replicas` without rolling: one active
   * ReplicaSet (or none: the newest) takes the full count; several share the change
   * proportionally (proportional_scaling.ts), within replicas + maxSurge. Returns whether it scaled.
   */
  private async scaleToReplicas(d: Deployment, all: () => ReplicaSet[], set: (rs: ReplicaSet) => void, newRS: ReplicaSet | undefined): Promise<boolean> {
    const want = d.spec.replicas ?? 1;
    const active = all().filter((rs) => (rs.spec.replicas ?? 0) > 0 && rs.metadata.deletionTimestamp === undefined);
    let acted = false;
    if (active.length <= 1) {
      const target = active[0] ?? newRS ?? [...all()].sort((a, b) => revisionOf(b) - revisionOf(a))[0];
      if (target !== undefined && ((target.spec.replicas ?? 0) !== want || target.metadata.annotations?.[DESIRED_REPLICAS_ANNOTATION] !== String(want))) {
        set(await this.scale(d, target, want));
        acted = true;
      }
      return acted;
    }
    const surge = d.spec.strategy?.type === 'Recreate' ? 0 : resolveFenceposts(d).maxSurge;
    const sizes = proportionalSizes(active, want + surge, revisionOf);
    for (const rs of active) {
      const n = sizes.get(rs.metadata.name) ?? (rs.spec.replicas ?? 0);
      if (n !== (rs.spec.replicas ?? 0) || rs.metadata.annotations?.[DESIRED_REPLICAS_ANNOTATION] !== String(want)) {
        set(await this.scale(d, rs, n));
        acted = true;
      }
    }
    return acted;
  }

  /** One RollingUpdate step; returns whether it scaled anything. */
  private async rollingStep(d: Deployment, all: () => ReplicaSet[], set: (rs: ReplicaSet) => void, newRS: ReplicaSet): Promise<boolean> {
    const want = d.spec.replicas ?? 1;
    const { maxSurge, maxUnavailable } = resolveFenceposts(d);
    const specSum = () => all().reduce((n, rs) => n + (rs.spec.replicas ?? 0), 0);
    const newNow = () => all().find((rs) => rs.metadata.uid === newRS.metadata.uid) ?? newRS;
    // Scale the new ReplicaSet up (or down to `want`).
    const nr = newNow().spec.replicas ?? 0;
    if (nr > want) {
      set(await this.scale(d, newNow(), want));
      return true;
    }
    if (nr < want) {
      const room = want + maxSurge - specSum();
      const up = Math.min(room, want - nr);
      if (up > 0) {
        set(await this.scale(d, newNow(), nr + up));
        return true; // Kubernetes returns after scaling up; the next sync scales old ones down.
      }
    }
    // Scale old ReplicaSets down.
    const olds = () => all().filter((rs) => rs.metadata.uid !== newRS.metadata.uid).sort((a, b) => revisionOf(a) - revisionOf(b));
    if (olds().every((rs) => (rs.spec.replicas ?? 0) === 0)) return false;
    const minAvailable = want - maxUnavailable;
    const n = newNow();
    const newUnavailable = Math.max(0, (n.spec.replicas ?? 0) - (n.status?.availableReplicas ?? 0));
    let maxScaledDown = specSum() - minAvailable - newUnavailable;
    if (maxScaledDown <= 0) return false;
    let acted = false;
    // First the old ReplicaSets' unavailable pods: removing them costs no availability.
    for (const rs of olds()) {
      if (maxScaledDown <= 0) break;
      const r = rs.spec.replicas ?? 0;
      const unhealthy = r - Math.min(r, rs.status?.availableReplicas ?? 0);
      if (unhealthy <= 0) continue;
      const down = Math.min(unhealthy, maxScaledDown);
      set(await this.scale(d, rs, r - down));
      maxScaledDown -= down;
      acted = true;
    }
    // Then available pods, oldest revisions first, while availability stays at or above the minimum.
    const availableNow = all().reduce((x, rs) => x + Math.min(rs.spec.replicas ?? 0, rs.status?.availableReplicas ?? 0), 0);
    let total = Math.min(availableNow - minAvailable, maxScaledDown);
    for (const rs of olds()) {
      if (total <= 0) break;
      const r = rs.spec.replicas ?? 0;
      if (r === 0) continue;
      const down = Math.min(r, total);
      set(await this.scale(d, rs, r - down));
      total -= down;
      acted = true;
    }
    return acted;
  }

  private async recreate(d: Deployment, newRS: ReplicaSet, olds: ReplicaSet[]): Promise<{ acted: boolean; all: ReplicaSet[] }> {
    const changed: ReplicaSet[] = [];
    for (const rs of olds) if ((rs.spec.replicas ?? 0) > 0) changed.push(await this.scale(d, rs, 0));
    if (changed.length > 0) return { acted: true, all: changed };
    const oldUids = new Set(olds.map((rs) => rs.metadata.uid));
    const pods = (await this.registry.list(PODS, d.metadata.namespace ?? 'default')).items as Pod[];
    const oldPodsLeft = pods.some((p) => p.metadata.ownerReferences?.some((r) => r.controller === true && oldUids.has(r.uid)) === true && p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed');
    if (oldPodsLeft) return { acted: false, all: [] };
    const want = d.spec.replicas ?? 1;
    if ((newRS.spec.replicas ?? 0) !== want) return { acted: true, all: [await this.scale(d, newRS, want)] };
    return { acted: false, all: [] };
  }

  private async createNewRS(d: Deployment, hash: string, revision: number): Promise<ReplicaSet> {
    const t = structuredClone(d.spec.template);
    const labels = { ...(t.metadata?.labels ?? {}), [POD_TEMPLATE_HASH_LABEL]: hash };
    const sel = d.spec.selector;
    const rs = {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: {
        name: `${d.metadata.name}-${hash}`,
        labels,
        annotations: { [REVISION_ANNOTATION]: String(revision), [DESIRED_REPLICAS_ANNOTATION]: String(d.spec.replicas ?? 1) },
        ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: d.metadata.name, uid: d.metadata.uid ?? '', controller: true, blockOwnerDeletion: true }],
      },
      spec: {
        replicas: 0,
        minReadySeconds: d.spec.minReadySeconds ?? 0,
        selector: { ...sel, matchLabels: { ...(sel.matchLabels ?? {}), [POD_TEMPLATE_HASH_LABEL]: hash } },
        template: { ...t, metadata: { ...(t.metadata ?? {}), labels } },
      },
    };
    try {
      return (await this.registry.create(REPLICASETS, d.metadata.namespace ?? 'default', rs)) as ReplicaSet;
    } catch (e) {
      if (!(e instanceof ApiError && e.reason === 'AlreadyExists')) throw e;
      // A ReplicaSet of that name exists but is not ours (or our list was stale): take the stored one if ours.
      const cur = (await this.registry.get(REPLICASETS, d.metadata.namespace ?? 'default', rs.metadata.name)) as ReplicaSet;
      if (!isControlledBy(cur, d.metadata.uid)) throw new ApiError(409, 'AlreadyExists', `replicasets.apps "${rs.metadata.name}" exists and is not controlled by deployment "${d.metadata.name}"`);
      return cur;
    }
  }

  private async updateRS(rs: ReplicaSet): Promise<ReplicaSet> {
    return (await this.registry.update(REPLICASETS, rs.metadata.namespace ?? 'default', rs.metadata.name, rs)) as ReplicaSet;
  }

  private async scale(d: Deployment, rs: ReplicaSet, replicas: number): Promise<ReplicaSet> {
    const from = rs.spec.replicas ?? 0;
    const annotations = { ...(rs.metadata.annotations ?? {}), [DESIRED_REPLICAS_ANNOTATION]: String(d.spec.replicas ?? 1) };
    const out = await this.updateRS({ ...rs, metadata: { ...rs.metadata, annotations }, spec: { ...rs.spec, replicas } });
    if (from === replicas) return out;
    this.log?.info('scaled replica set', { deployment: `${d.metadata.namespace}/${d.metadata.name}`, replicaSet: rs.metadata.name, from, to: replicas });
    await this.events?.record(d, 'Normal', 'ScalingReplicaSet', `Scaled ${replicas > from ? 'up' : 'down'} replica set ${rs.metadata.name} to ${replicas} from ${from}`);
    return out;
  }

  private async cleanupHistory(d: Deployment, olds: ReplicaSet[]): Promise<void> {
    const limit = d.spec.revisionHistoryLimit ?? 10;
    const idle = olds
      .filter((rs) => (rs.spec.replicas ?? 0) === 0 && (rs.status?.replicas ?? 0) === 0 && rs.metadata.deletionTimestamp === undefined)
      .sort((a, b) => revisionOf(a) - revisionOf(b));
    for (const rs of idle.slice(0, Math.max(0, idle.length - limit))) {
      try {
        await this.registry.delete(REPLICASETS, rs.metadata.namespace ?? 'default', rs.metadata.name, { preconditions: { uid: rs.metadata.uid ?? '' } });
      } catch (e) {
        if (!(e instanceof ApiError && e.code === 404)) throw e;
      }
    }
  }

  private async setRevisionAnnotation(d: Deployment, newRS: ReplicaSet | undefined): Promise<void> {
    if (newRS === undefined) return;
    const rev = String(revisionOf(newRS));
    if (d.metadata.annotations?.[REVISION_ANNOTATION] === rev) return;
    const cur = (await this.registry.get(DEPLOYMENTS, d.metadata.namespace ?? 'default', d.metadata.name)) as Deployment;
    await this.registry.update(DEPLOYMENTS, d.metadata.namespace ?? 'default', d.metadata.name, {
      ...cur,
      metadata: { ...cur.metadata, annotations: { ...(cur.metadata.annotations ?? {}), [REVISION_ANNOTATION]: rev } },
    });
  }

  private async rollback(d: Deployment, all: ReplicaSet[]): Promise<void> {
    const raw = d.metadata.annotations?.[ROLLBACK_ANNOTATION] ?? '0';
    const annotations = { ...(d.metadata.annotations ?? {}) };
    delete annotations[ROLLBACK_ANNOTATION];
    let to = Number(raw);
    const current = podTemplateHash(d.spec.template);
    const byRevision = [...all].sort((a, b) => revisionOf(b) - revisionOf(a));
    if (to === 0) {
      // The previous revision: the highest one that is not the current template.
      const prev = byRevision.find((rs) => rs.metadata.labels?.[POD_TEMPLATE_HASH_LABEL] !== current);
      to = prev === undefined ? -1 : revisionOf(prev);
    }
    const target = Number.isInteger(to) && to > 0 ? all.find((rs) => revisionOf(rs) === to) : undefined;
    const next: Deployment = { ...d, metadata: { ...d.metadata, annotations } };
    let reason: string;
    let message: string;
    if (target === undefined) {
      reason = 'RollbackRevisionNotFound';
      message = raw === '0' ? 'Unable to find last revision.' : `Unable to find the revision to rollback to: ${raw}.`;
    } else if (target.metadata.labels?.[POD_TEMPLATE_HASH_LABEL] === current) {
      reason = 'RollbackTemplateUnchanged';
      message = `The rollback revision contains the same template as current deployment "${d.metadata.name}"`;
    } else {
      next.spec = { ...d.spec, template: templateOfRevision(target) };
      reason = 'DeploymentRollback';
      message = `Rolled back deployment "${d.metadata.name}" to revision ${to}`;
    }
    await this.registry.update(DEPLOYMENTS, d.metadata.namespace ?? 'default', d.metadata.name, next);
    this.log?.info('rollback', { deployment: `${d.metadata.namespace}/${d.metadata.name}`, reason, message });
    await this.events?.record(d, reason === 'DeploymentRollback' ? 'Normal' : 'Warning', reason, message);
  }
}
