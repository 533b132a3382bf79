/**
 * ReplicaSet controller: keeps `spec.replicas` active pods per ReplicaSet —
 * creates pods from the template (named `<rs>-<5 random>`, owned by the
 * ReplicaSet) or deletes the surplus in Kubernetes' order (`pod_deletion_order.ts`),
 * then writes `status` (replicas, readyReplicas, availableReplicas with
 * `minReadySeconds`, observedGeneration).
 *
 * Pods it counts are the ones whose controller ownerReference is the ReplicaSet
 * (no adoption of orphans: Vigil creates every pod it manages). At most
 * `burst` pods are created or deleted per sync (Kubernetes' 500, smaller here);
 * the rest follows on the next sync, which is requeued at once.
 *
 * With a pod informer (`watch`), a sync whose cached pod count already matches
 * only refreshes status from the cache; whenever pods must be created or
 * deleted, the pods are listed from the registry first, so a stale cache can
 * delay a correction but never cause a double creation.
 */
import { ApiError } from '../api/api_error.js';
import type { Pod, ReplicaSet } from '../api/objects.js';
import type { Registry } from '../api/registry.js';
import { Controller, type ControllerLogger, type SyncResult } from './controller.js';
import { type Informer, objectKey, splitKey } from './informer.js';
import { podsToDelete } from './pod_deletion_order.js';
import { isControlledBy, isPodActive, isPodAvailable, isPodReady, msUntilAvailable } from './pod_state.js';
import { PODS, REPLICASETS } from './resources.js';

export interface ReplicaSetControllerOptions {
  now?: () => number;
  logger?: ControllerLogger;
  /** Most pods created or deleted per sync. Default 100. */
  burst?: number;
}

export class ReplicaSetController extends Controller {
  readonly name = 'replicaset';
  private readonly registry: Registry;
  private readonly now: () => number;
  private readonly burst: number;
  private pods: Informer<Pod> | null = null;

  constructor(registry: Registry, opts: ReplicaSetControllerOptions = {}) {
    super(opts.logger);
    this.registry = registry;
    this.now = opts.now ?? Date.now;
    this.burst = opts.burst ?? 100;
  }

  /** Feeds the queue from ReplicaSet and Pod informers (pods enqueue their controlling ReplicaSet). */
  watch(rs: Informer<ReplicaSet>, pods: Informer<Pod>): void {
    this.pods = pods;
    rs.addHandlers({ onAdd: (o) => this.queue.add(objectKey(o)), onUpdate: (_, o) => this.queue.add(objectKey(o)) });
    const owner = (p: Pod) => {
      const ref = p.metadata.ownerReferences?.find((r) => r.controller === true && r.kind === 'ReplicaSet');
      if (ref !== undefined) this.queue.add(`${p.metadata.namespace}/${ref.name}`);
    };
    pods.addHandlers({ onAdd: owner, onUpdate: (_, p) => owner(p), onDelete: owner });
  }

  async sync(key: string): Promise<SyncResult> {
    const { namespace, name } = splitKey(key);
    let rs: ReplicaSet;
    try {
      rs = (await this.registry.get(REPLICASETS, namespace, name)) as ReplicaSet;
    } catch (e) {
      if (e instanceof ApiError && e.code === 404) return undefined;
      throw e;
    }
    const want = rs.spec.replicas ?? 1;
    const cache = this.pods;
    if (cache?.hasSynced() && rs.metadata.deletionTimestamp === undefined) {
      const cached = cache.list().filter((p) => p.metadata.namespace === namespace && isControlledBy(p, rs.metadata.uid) && isPodActive(p));
      if (cached.length === want) return this.writeStatus(rs, cached);
    }
    const all = (await this.registry.list(PODS, namespace)).items as Pod[];
    const active = all.filter((p) => isControlledBy(p, rs.metadata.uid) && isPodActive(p));
    let again = false;
    if (rs.metadata.deletionTimestamp === undefined) {
      const diff = active.length - want;
      if (diff < 0) {
        const n = Math.min(-diff, this.burst);
        for (let i = 0; i < n; i++) await this.createPod(rs);
        again = n < -diff;
      } else if (diff > 0) {
        const n = Math.min(diff, this.burst);
        for (const p of podsToDelete(active, n, this.now())) await this.deletePod(p);
        again = n < diff;
      }
    }
    // Status from what is there now (a second list sees our creations and deletions).
    const after = again || active.length !== want ? ((await this.registry.list(PODS, namespace)).items as Pod[]).filter((p) => isControlledBy(p, rs.metadata.uid) && isPodActive(p)) : active;
    const next = await this.writeStatus(rs, after);
    if (again) return { requeueAfterMs: 0 };
    return next;
  }

  private async createPod(rs: ReplicaSet): Promise<void> {
    const t = rs.spec.template;
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        generateName: `${rs.metadata.name}-`,
        labels: { ...(t.metadata?.labels ?? {}) },
        ...(t.metadata?.annotations ? { annotations: { ...t.metadata.annotations } } : {}),
        ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: rs.metadata.name, uid: rs.metadata.uid ?? '', controller: true, blockOwnerDeletion: true }],
      },
      spec: structuredClone(t.spec),
    };
    await this.registry.create(PODS, rs.metadata.namespace ?? 'default', pod);
  }

  private async deletePod(p: Pod): Promise<void> {
    try {
      await this.registry.delete(PODS, p.metadata.namespace ?? 'default', p.metadata.name, { preconditions: { uid: p.metadata.uid ?? '' } });
    } catch (e) {
      if (!(e instanceof ApiError && e.code === 404)) throw e;
    }
  }

  private async writeStatus(rs: ReplicaSet, active: Pod[]): Promise<SyncResult> {
    const now = this.now();
    const minReady = rs.spec.minReadySeconds ?? 0;
    let soonest = Number.POSITIVE_INFINITY;
    for (const p of active) {
      const left = msUntilAvailable(p, minReady, now);
      if (left !== null) soonest = Math.min(soonest, left);
    }
    const status = {
      replicas: active.length,
      readyReplicas: active.filter(isPodReady).length,
      availableReplicas: active.filter((p) => isPodAvailable(p, minReady, now)).length,
      observedGeneration: rs.metadata.generation ?? 0,
    };
    const cur = rs.status;
    if (
      cur?.replicas !== status.replicas ||
      cur.readyReplicas !== status.readyReplicas ||
      cur.availableReplicas !== status.availableReplicas ||
      cur.observedGeneration !== status.observedGeneration
    ) {
      await this.registry.update(REPLICASETS, rs.metadata.namespace ?? 'default', rs.metadata.name, { ...rs, status }, { subresource: 'status' });
    }
    return Number.isFinite(soonest) ? { requeueAfterMs: soonest } : undefined;
  }
}
