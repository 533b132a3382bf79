/**
 * The scheduler: places each pod without `spec.nodeName` on a node.
 *
 *   filter  every node through filters.ts (cordon, readiness, nodeSelector,
 *           taints, host ports, resource requests vs allocatable);
 *   score   the feasible ones (scores.ts: least-allocated, spread of the
 *           workload's replicas, PreferNoSchedule taints); ties go to the node
 *           name that sorts first, so placement is reproducible;
 *   bind    by updating the pod with `spec.nodeName` and the pod's
 *           resourceVersion as read, so a pod changed or bound meanwhile is
 *           never bound twice (409, retried with backoff); then the
 *           PodScheduled=True condition and a `Scheduled` Event.
 *
 * A pod that fits nowhere stays Pending with PodScheduled=False, reason
 * `Unschedulable` and Kubernetes' message (`0/3 nodes are available: 1
 * Insufficient cpu, 2 node(s) had untolerated taint {…}.`), and a
 * `FailedScheduling` Event (repeats folded into its count). It is retried with
 * per-pod backoff (1 s doubling to 10 s, Kubernetes' podInitialBackoff /
 * podMaxBackoff) and at once whenever the cluster changes in a way that may
 * make room: a node is added or changes, or a pod leaves a node.
 *
 * Pods are scheduled one at a time (one worker). With informers (`watch`),
 * nodes and pods come from their caches, and each binding is remembered
 * ("assumed", as Kubernetes' scheduler cache does) until the pod cache shows
 * it, so the next decision counts it even before the watch delivered it.
 * Without informers every attempt lists nodes and pods from the registry.
 */
import { ApiError } from '../api/api_error.js';
import type { Node, Pod } from '../api/objects.js';
import type { Registry } from '../api/registry.js';
import { Controller, type ControllerLogger, type SyncResult } from '../controllers/controller.js';
import type { EventRecorder } from '../controllers/event_recorder.js';
import { type Informer, objectKey, splitKey } from '../controllers/informer.js';
import { timestamp } from '../controllers/pod_state.js';
import { NODES, PODS } from '../controllers/resources.js';
import { filterNode, unschedulableMessage } from './filters.js';
import { buildNodeInfos, holdsResources } from './node_info.js';
import { LEAST_ALLOCATED_WEIGHT, leastAllocated, SPREAD_WEIGHT, spreadScore, TAINT_WEIGHT, taintScore, workloadCounts } from './scores.js';

/** How long a binding not yet visible in the pod cache is still counted. */
const ASSUME_TTL_MS = 30_000;

export interface SchedulerOptions {
  now?: () => number;
  logger?: ControllerLogger;
  events?: EventRecorder;
  /** First retry delay of an unschedulable pod, ms. Default 1000. */
  initialBackoffMs?: number;
  /** Longest retry delay, ms. Default 10 000. */
  maxBackoffMs?: number;
}

/** What one scheduling attempt did. */
export type ScheduleOutcome = { bound: string } | { unschedulable: string } | { skipped: string };

export class Scheduler extends Controller {
  readonly name = 'scheduler';
  private readonly registry: Registry;
  private readonly now: () => number;
  private readonly events: EventRecorder | undefined;
  private readonly initialBackoffMs: number;
  private readonly maxBackoffMs: number;
  /** Unschedulable pods → attempts so far. */
  private readonly unschedulable = new Map<string, number>();
  /** The last attempt's outcome per pod key (for tests and debugging). */
  readonly lastOutcome = new Map<string, ScheduleOutcome>();
  private podCache: Informer<Pod> | null = null;
  private nodeCache: Informer<Node> | null = null;
  /** Pods bound by us that the pod cache may not show bound yet: uid → bound pod, with the time of binding. */
  private readonly assumed = new Map<string, { pod: Pod; at: number }>();

  constructor(registry: Registry, opts: SchedulerOptions = {}) {
    super(opts.logger);
    this.registry = registry;
    this.now = opts.now ?? Date.now;
    this.events = opts.events;
    this.initialBackoffMs = opts.initialBackoffMs ?? 1000;
    this.maxBackoffMs = opts.maxBackoffMs ?? 10_000;
  }

  /** Feeds the queue from pod and node informers. */
  watch(pods: Informer<Pod>, nodes: Informer<Node>): void {
    this.podCache = pods;
    this.nodeCache = nodes;
    const consider = (p: Pod) => {
      if (!p.spec.nodeName && p.metadata.deletionTimestamp === undefined) this.queue.add(objectKey(p));
    };
    pods.addHandlers({
      onAdd: consider,
      onUpdate: (old, p) => {
        consider(p);
        if (holdsResources(old) && (!holdsResources(p) || p.metadata.deletionTimestamp !== undefined)) this.retryUnschedulable();
      },
      onDelete: (p) => {
        this.unschedulable.delete(objectKey(p));
        if (holdsResources(p)) this.retryUnschedulable();
      },
    });
    const shape = (n: Node) =>
      JSON.stringify([n.metadata.labels, n.spec, n.status?.allocatable, n.status?.conditions?.find((c) => c.type === 'Ready')?.status]);
    nodes.addHandlers({
      onAdd: () => this.retryUnschedulable(),
      onUpdate: (old, n) => {
        if (shape(old) !== shape(n)) this.retryUnschedulable();
      },
    });
  }

  /** Pods that fit no node at their last attempt. */
  unschedulableCount(): number {
    return this.unschedulable.size;
  }

  /** Queues every unschedulable pod now (the cluster changed). */
  retryUnschedulable(): void {
    for (const k of this.unschedulable.keys()) this.queue.add(k);
  }

  async sync(key: string): Promise<SyncResult> {
    const out = await this.scheduleOne(key);
    this.lastOutcome.set(key, out);
    if ('unschedulable' in out) {
      const n = (this.unschedulable.get(key) ?? 0) + 1;
      this.unschedulable.set(key, n);
      return { requeueAfterMs: Math.min(this.maxBackoffMs, this.initialBackoffMs * 2 ** Math.min(n - 1, 20)) };
    }
    this.unschedulable.delete(key);
    return undefined;
  }

  /** One attempt for the pod at `key` (`ns/name`). */
  async scheduleOne(key: string): Promise<ScheduleOutcome> {
    const { namespace, name } = splitKey(key);
    let pod: Pod;
    try {
      pod = (await this.registry.get(PODS, namespace, name)) as Pod;
    } catch (e) {
      if (e instanceof ApiError && e.code === 404) return { skipped: 'gone' };
      throw e;
    }
    if (pod.spec.nodeName) return { skipped: 'already bound' };
    if (pod.metadata.deletionTimestamp !== undefined) return { skipped: 'terminating' };
    const { nodes, pods } = await this.snapshot();
    const infos = buildNodeInfos(nodes, pods);
    const reasons = new Map<string, number>();
    const feasible: string[] = [];
    for (const [nodeName, info] of infos) {
      const why = filterNode(pod, info);
      if (why.length === 0) feasible.push(nodeName);
      for (const w of why) reasons.set(w, (reasons.get(w) ?? 0) + 1);
    }
    if (feasible.length === 0) {
      const msg = unschedulableMessage(nodes.length, reasons);
      await this.markUnschedulable(pod, msg);
      return { unschedulable: msg };
    }
    const counts = workloadCounts(pod, infos.values());
    let best = '';
    let bestScore = Number.NEGATIVE_INFINITY;
    for (const nodeName of feasible.sort()) {
      const info = infos.get(nodeName)!;
      const s = LEAST_ALLOCATED_WEIGHT * leastAllocated(pod, info) + SPREAD_WEIGHT * spreadScore(nodeName, counts, feasible) + TAINT_WEIGHT * taintScore(pod, info);
      if (s > bestScore + 1e-9) {
        best = nodeName;
        bestScore = s;
      }
    }
    // Bind: the resourceVersion we read is the precondition (409 when the pod changed meanwhile).
    const bound = (await this.registry.update(PODS, namespace, name, { ...pod, spec: { ...pod.spec, nodeName: best } })) as Pod;
    if (this.podCache !== null && bound.metadata.uid !== undefined) this.assumed.set(bound.metadata.uid, { pod: bound, at: this.now() });
    this.log?.info('bound pod', { pod: key, node: best, score: Math.round(bestScore) });
    await this.setScheduledCondition(bound, 'True', undefined, undefined);
    await this.events?.record(bound, 'Normal', 'Scheduled', `Successfully assigned ${key} to ${best}`);
    return { bound: best };
  }

  /** Nodes and pods to decide on: the caches plus assumed bindings, else fresh lists. */
  private async snapshot(): Promise<{ nodes: Node[]; pods: Pod[] }> {
    if (this.podCache === null || this.nodeCache === null || !this.podCache.hasSynced() || !this.nodeCache.hasSynced()) {
      return { nodes: (await this.registry.list(NODES, '')).items as Node[], pods: (await this.registry.list(PODS, '')).items as Pod[] };
    }
    const pods = this.podCache.list();
    if (this.assumed.size > 0) {
      const now = this.now();
      const seen = new Set<string>();
      for (let i = 0; i < pods.length; i++) {
        const p = pods[i]!;
        const a = p.metadata.uid === undefined ? undefined : this.assumed.get(p.metadata.uid);
        if (a === undefined) continue;
        seen.add(p.metadata.uid ?? '');
        if (p.spec.nodeName) this.assumed.delete(p.metadata.uid ?? '');
        else pods[i] = a.pod;
      }
      // Gone from the cache (deleted) or never seen for long: forget the assumption.
      for (const [uid, a] of this.assumed) if (!seen.has(uid) && now - a.at > ASSUME_TTL_MS) this.assumed.delete(uid);
      for (const [uid, a] of this.assumed) if (!seen.has(uid)) pods.push(a.pod);
    }
    return { nodes: this.nodeCache.list(), pods };
  }

  private async markUnschedulable(pod: Pod, msg: string): Promise<void> {
    const cur = pod.status?.conditions?.find((c) => c.type === 'PodScheduled');
    if (cur?.status !== 'False' || cur.message !== msg) await this.setScheduledCondition(pod, 'False', 'Unschedulable', msg);
    this.log?.info('pod unschedulable', { pod: objectKey(pod), why: msg });
    await this.events?.record(pod, 'Warning', 'FailedScheduling', msg);
  }

  private async setScheduledCondition(pod: Pod, status: 'True' | 'False', reason: string | undefined, message: string | undefined): Promise<void> {
    const ts = timestamp(this.now());
    const conditions = (pod.status?.conditions ?? []).filter((c) => c.type !== 'PodScheduled');
    conditions.push({ type: 'PodScheduled', status, ...(reason ? { reason } : {}), ...(message ? { message } : {}), lastTransitionTime: ts });
    try {
      await this.registry.update(PODS, pod.metadata.namespace ?? 'default', pod.metadata.name, { ...pod, status: { phase: 'Pending', ...(pod.status ?? {}), conditions } }, { subresource: 'status' });
    } catch (e) {
      // The agent may have written status meanwhile: its word wins; ours is advisory.
      if (!(e instanceof ApiError && (e.code === 409 || e.code === 404))) throw e;
    }
  }
}
