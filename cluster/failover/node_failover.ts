/**
 * `NodeFailover`: what the `failover node/NAME` action does (the shipped NodeDown
 * rule asks for it once a node's lease age reaches its failoverAfter):
 *
 * 1. Measures how long the node has been silent: the lease monitor's view (our
 *    clock), else its Lease's renewTime, else "unknown" (treated as long enough).
 * 2. Sorts the node's pods: a pod moves when its failoverAfter (failover_after.ts)
 *    is non-zero and the silence reached it; it waits when the silence is shorter
 *    (the rule re-runs the action every `action_cooldown` while it fires); it stays
 *    when its failoverAfter is 0.
 * 3. Marks the node failed — taint `vigil.dev/failed:NoExecute` and annotation
 *    `vigil.dev/failed-at`, so the scheduler places nothing there — when any pod
 *    moves or the node's own failoverAfter passed. The lease monitor lifts both
 *    when the node renews its Lease again.
 * 4. Deletes the moving pods at once (grace 0: the agent fenced them before this
 *    deadline, see cluster/agent/fencing.ts), so their ReplicaSets recreate them on
 *    healthy nodes; records a `NodeFailover` Event on the node.
 * 5. In the background, waits (bounded) until those ReplicaSets have their
 *    replicas again on other nodes and observes `vigil_failover_duration_seconds`
 *    (last renewal seen → replacements created and bound) and
 *    `vigil_failovers_total{result="replaced"|"timeout"}`;
 *    `vigil_failover_pods_total` counts deleted pods.
 *
 * Dry run computes and reports the same without changing anything.
 */
import { Counter, Histogram, type Registry as PromRegistry } from 'prom-client';
import { ApiError } from '../api/api_error.js';
import type { Lease, Node, Pod, ReplicaSet } from '../api/objects.js';
import { NODE_LEASE_NAMESPACE } from '../api/objects.js';
import type { Registry } from '../api/registry.js';
import type { ControllerLogger } from '../controllers/controller.js';
import type { EventRecorder } from '../controllers/event_recorder.js';
import { LEASES, NODES, PODS, REPLICASETS } from '../controllers/resources.js';
import { DEFAULT_FAILOVER_AFTER_MS, nodeFailoverAfterMs, podFailoverAfterMs } from './failover_after.js';
import { FAILED_AT_ANNOTATION, FAILED_TAINT_KEY, type NodeLeaseMonitor } from './lease_monitor.js';

export const FAILOVER_EVENT_REASON = 'NodeFailover';

/** What one run changed (the action's audit text) and whether it changed nothing. */
export interface FailoverResult {
  readonly change: string;
  readonly noop: boolean;
}

export interface NodeFailoverOptions {
  registry: Registry;
  /** The lease monitor of this server (its silence measure); null/absent = use the Lease's renewTime. */
  monitor?: NodeLeaseMonitor | null;
  /** Cluster default failoverAfter, ms. Default: the monitor's, else 10 000. */
  defaultFailoverAfterMs?: number;
  now?: () => number;
  logger?: ControllerLogger;
  events?: EventRecorder;
  /** Where the failover metrics go; absent = not exported. */
  metrics?: PromRegistry;
  /** Longest wait for replacements, ms. Default 60 000. */
  replacementTimeoutMs?: number;
  /** Poll period of that wait, ms. Default 100. */
  replacementPollMs?: number;
}

const isoMs = (ms: number) => new Date(ms).toISOString();
const podKey = (p: Pod) => `${p.metadata.namespace ?? 'default'}/${p.metadata.name}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function metric<T>(reg: PromRegistry | undefined, name: string, make: (r: PromRegistry) => T, is: (m: unknown) => m is T): T | null {
  if (reg === undefined) return null;
  const existing = reg.getSingleMetric(name);
  return is(existing) ? existing : make(reg);
}

export class NodeFailover {
  private readonly o: NodeFailoverOptions;
  private readonly now: () => number;
  private readonly duration: Histogram<string> | null;
  private readonly total: Counter<'result'> | null;
  private readonly podsTotal: Counter<string> | null;
  private readonly waits = new Set<Promise<void>>();
  private closed = false;

  constructor(o: NodeFailoverOptions) {
    this.o = o;
    this.now = o.now ?? Date.now;
    this.duration = metric(
      o.metrics,
      'vigil_failover_duration_seconds',
      (r) => new Histogram({ name: 'vigil_failover_duration_seconds', help: "Node failovers: from the node's last lease renewal seen to its pods' replacements created and bound elsewhere.", buckets: [2, 4, 6, 8, 10, 12, 15, 20, 30, 60, 120, 300], registers: [r] }),
      (m): m is Histogram<string> => m instanceof Histogram,
    );
    this.total = metric(
      o.metrics,
      'vigil_failovers_total',
      (r) => new Counter({ name: 'vigil_failovers_total', help: 'Node failovers that deleted pods, by whether their replacements appeared in time (replaced, timeout).', labelNames: ['result'], registers: [r] }),
      (m): m is Counter<'result'> => m instanceof Counter,
    );
    this.podsTotal = metric(
      o.metrics,
      'vigil_failover_pods_total',
      (r) => new Counter({ name: 'vigil_failover_pods_total', help: 'Pods deleted from failed nodes for rescheduling.', registers: [r] }),
      (m): m is Counter<string> => m instanceof Counter,
    );
  }

  private get defaultMs(): number {
    return this.o.defaultFailoverAfterMs ?? this.o.monitor?.defaultFailoverAfterMs ?? DEFAULT_FAILOVER_AFTER_MS;
  }

  /** When the node was last seen alive (ms, our clock where known); undefined = unknown. */
  private async silentSince(node: string): Promise<number | undefined> {
    const seen = this.o.monitor?.tracker.silentSince(node);
    if (seen !== undefined) return seen;
    try {
      const l = (await this.o.registry.get(LEASES, NODE_LEASE_NAMESPACE, node)) as Lease;
      const t = Date.parse(l.spec.renewTime ?? '');
      return Number.isNaN(t) ? undefined : t;
    } catch (e) {
      if (e instanceof ApiError && e.reason === 'NotFound') return undefined;
      throw e;
    }
  }

  /** Fails the node over as far as its pods' failoverAfter allows (see the file comment). */
  async run(nodeName: string, dry: boolean): Promise<FailoverResult> {
    const registry = this.o.registry;
    const node = (await registry.get(NODES, '', nodeName)) as Node;
    const now = this.now();
    const since = await this.silentSince(nodeName);
    const ageMs = since === undefined ? Number.POSITIVE_INFINITY : Math.max(0, now - since);
    const silent = Number.isFinite(ageMs) ? `${(ageMs / 1000).toFixed(1)}s` : 'for an unknown time (no lease)';
    const pods = ((await registry.list(PODS, '')).items as Pod[]).filter((p) => p.spec.nodeName === nodeName && p.metadata.deletionTimestamp === undefined);
    const moving: Pod[] = [];
    const waiting: Pod[] = [];
    const pinned: Pod[] = [];
    for (const p of pods) {
      const fa = podFailoverAfterMs(p, this.defaultMs);
      if (fa === 0) pinned.push(p);
      else if (ageMs >= fa) moving.push(p);
      else waiting.push(p);
    }
    const nodeFa = nodeFailoverAfterMs(pods, this.defaultMs);
    const marked = (node.spec?.taints ?? []).some((t) => t.key === FAILED_TAINT_KEY);
    const tail = [
      waiting.length > 0 ? `${waiting.length} pod(s) wait for their failoverAfter` : '',
      pinned.length > 0 ? `${pinned.length} pod(s) stay (failoverAfter 0)` : '',
    ].filter((s) => s !== '');
    const mark = !marked && (moving.length > 0 || (nodeFa > 0 && ageMs >= nodeFa));
    if (!mark && moving.length === 0) {
      const why = marked ? 'node already marked failed, no pod left to move' : `node renewed its lease ${silent} ago, before its failoverAfter ${(nodeFa / 1000).toFixed(1)}s`;
      return { change: [why, ...tail].join('; '), noop: true };
    }
    if (!dry && mark) {
      const taints = [...(node.spec?.taints ?? []), { key: FAILED_TAINT_KEY, effect: 'NoExecute' as const, timeAdded: isoMs(now).replace(/\.[0-9]{3}Z$/, 'Z') }];
      await registry.patch(NODES, '', nodeName, { metadata: { annotations: { [FAILED_AT_ANNOTATION]: isoMs(now) } }, spec: { taints } }, 'merge');
    }
    const owners = new Map<string, { ns: string; name: string; uid: string }>();
    if (!dry) {
      for (const p of moving) {
        try {
          await registry.delete(PODS, p.metadata.namespace ?? 'default', p.metadata.name, { gracePeriodSeconds: 0, ...(p.metadata.uid !== undefined ? { preconditions: { uid: p.metadata.uid } } : {}) });
        } catch (e) {
          if (!(e instanceof ApiError && (e.reason === 'NotFound' || e.reason === 'Conflict'))) throw e;
        }
        const rs = p.metadata.ownerReferences?.find((r) => r.kind === 'ReplicaSet' && r.controller === true);
        if (rs !== undefined) owners.set(rs.uid, { ns: p.metadata.namespace ?? 'default', name: rs.name, uid: rs.uid });
      }
      this.podsTotal?.inc(moving.length);
    }
    const parts = [
      mark ? `node marked failed (silent ${silent})` : `node silent ${silent}`,
      `${moving.length} pod(s) deleted for rescheduling${moving.length > 0 ? `: ${moving.map(podKey).join(', ')}` : ''}`,
      ...tail,
    ];
    const change = parts.join('; ');
    this.o.logger?.warn(`${dry ? '[dry-run] ' : ''}node failover`, { node: nodeName, silent, moved: moving.length, waiting: waiting.length, pinned: pinned.length });
    await this.o.events?.record(node, 'Warning', FAILOVER_EVENT_REASON, `${dry ? '[dry-run] ' : ''}Node ${nodeName} ${change}`);
    if (!dry && owners.size > 0) {
      const w = this.awaitReplacements(nodeName, [...owners.values()], since).finally(() => this.waits.delete(w));
      this.waits.add(w);
    }
    return { change, noop: false };
  }

  /** Resolves when every background wait for replacements ended (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.waits.size > 0) await Promise.all([...this.waits]);
  }

  /** Ends the background waits (nothing more is observed) and resolves once they stopped. */
  close(): Promise<void> {
    this.closed = true;
    return this.idle();
  }

  private async awaitReplacements(nodeName: string, owners: readonly { ns: string; name: string; uid: string }[], since: number | undefined): Promise<void> {
    // Bounded on the wall clock (an injected clock may stand still); measured on `now`.
    const end = Date.now() + (this.o.replacementTimeoutMs ?? 60_000);
    for (;;) {
      if (this.closed) return;
      let done = true;
      try {
        for (const o of owners) {
          let rs: ReplicaSet;
          try {
            rs = (await this.o.registry.get(REPLICASETS, o.ns, o.name)) as ReplicaSet;
          } catch (e) {
            if (e instanceof ApiError && e.reason === 'NotFound') continue;
            throw e;
          }
          const want = rs.spec.replicas ?? 1;
          const have = ((await this.o.registry.list(PODS, o.ns)).items as Pod[]).filter(
            (p) =>
              p.metadata.deletionTimestamp === undefined &&
              p.spec.nodeName !== undefined &&
              p.spec.nodeName !== '' &&
              p.spec.nodeName !== nodeName &&
              (p.metadata.ownerReferences ?? []).some((r) => r.uid === o.uid),
          ).length;
          if (have < want) {
            done = false;
            break;
          }
        }
      } catch (e) {
        this.o.logger?.warn('failover: cannot check replacements', { node: nodeName, err: e instanceof Error ? e.message : String(e) });
        done = false;
      }
      const now = this.now();
      if (done) {
        this.total?.inc({ result: 'replaced' });
        if (since !== undefined) this.duration?.observe((now - since) / 1000);
        this.o.logger?.info('failover: replacements created', { node: nodeName, seconds: since === undefined ? null : (now - since) / 1000 });
        return;
      }
      if (Date.now() >= end) {
        this.total?.inc({ result: 'timeout' });
        this.o.logger?.warn('failover: replacements did not appear in time', { node: nodeName });
        return;
      }
      await sleep(this.o.replacementPollMs ?? 100);
    }
  }
}
