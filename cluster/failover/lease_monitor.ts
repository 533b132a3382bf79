/**
 * `NodeLeaseMonitor`: once a second, while this server's controller manager
 * leads, measures every node's lease age (LeaseTracker, on our clock) and
 * appends to the server's TSDB, at the time of the look:
 *
 *   vigil_node_lease_age_seconds{node="…"}       time since the node last renewed its Lease
 *   vigil_node_failover_after_seconds{node="…"}  the node's failoverAfter (failover_after.ts; 0 = never)
 *
 * which the shipped rules (default_rules.ts) turn into NodeSuspect / NodeDown.
 * The 15 s self-scrape would be too coarse for a 10 s failover, hence the direct
 * appends. A node that disappears, and every node when leadership is lost, gets
 * staleness markers, so no rule acts on a former leader's view.
 *
 * It also keeps two things in the API true:
 * - every Node carries the annotation `vigil.dev/failover-after` with the cluster
 *   default, from which the agents learn when to fence;
 * - a node that failover marked failed (taint `vigil.dev/failed`) and that renews
 *   its Lease again rejoins: the taint goes and a `NodeRejoined` Event is recorded.
 *   (Its old pods were deleted by the failover; the agent's relist stops them.)
 */
import { ApiError } from '../api/api_error.js';
import type { Lease, Node, Pod } from '../api/objects.js';
import { NODE_LEASE_NAMESPACE } from '../api/objects.js';
import type { Registry } from '../api/registry.js';
import type { ControllerLogger } from '../controllers/controller.js';
import type { EventRecorder } from '../controllers/event_recorder.js';
import { LEASES, NODES, PODS } from '../controllers/resources.js';
import { Labels } from '../../tsdb/labels.js';
import { type Appendable, NO_REF, type SeriesRef, STALE_NAN } from '../../tsdb/storage.js';
import { DEFAULT_FAILOVER_AFTER_MS, NODE_FAILOVER_AFTER_ANNOTATION, nodeFailoverAfterMs } from './failover_after.js';
import { LeaseTracker } from './lease_tracker.js';

export const LEASE_AGE_METRIC = 'vigil_node_lease_age_seconds';
export const FAILOVER_AFTER_METRIC = 'vigil_node_failover_after_seconds';
/** Taint (NoExecute) a failed-over node carries until it renews its Lease again. */
export const FAILED_TAINT_KEY = 'vigil.dev/failed';
/** Node annotation: when failover marked the node failed (RFC 3339 with ms). */
export const FAILED_AT_ANNOTATION = 'vigil.dev/failed-at';

/** What the monitor reads each second (informer caches in the server, registry lists in tests). */
export interface ClusterView {
  nodes(): Promise<readonly Node[]>;
  pods(): Promise<readonly Pod[]>;
  leases(): Promise<readonly Lease[]>;
}

/** A view that lists through the registry. */
export function registryView(registry: Registry): ClusterView {
  return {
    nodes: async () => (await registry.list(NODES, '')).items as Node[],
    pods: async () => (await registry.list(PODS, '')).items as Pod[],
    leases: async () => (await registry.list(LEASES, NODE_LEASE_NAMESPACE)).items as Lease[],
  };
}

export interface NodeLeaseMonitorOptions {
  registry: Registry;
  view?: ClusterView;
  /** Where the series go; null = not open yet (nothing appended). */
  appendable: () => Appendable | null;
  /** Whether this server's controllers act; only the leader appends and writes. Default always. */
  isLeading?: () => boolean;
  /** Cluster default failoverAfter, ms. Default 10 000; 0 = only pods with an annotation fail over. */
  defaultFailoverAfterMs?: number;
  now?: () => number;
  logger?: ControllerLogger;
  events?: EventRecorder;
  /** Period of `start()`, ms. Default 500. */
  periodMs?: number;
}

/** One node's figures from the last look. */
export interface NodeLeaseState {
  readonly ageMs: number;
  readonly failoverAfterMs: number;
}

export class NodeLeaseMonitor {
  readonly tracker = new LeaseTracker();
  readonly defaultFailoverAfterMs: number;
  private readonly o: NodeLeaseMonitorOptions;
  private readonly view: ClusterView;
  private readonly now: () => number;
  private readonly refs = new Map<string, SeriesRef>();
  private readonly last = new Map<string, NodeLeaseState>();
  private appendedAt = 0;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private warned = false;

  constructor(o: NodeLeaseMonitorOptions) {
    this.o = o;
    this.view = o.view ?? registryView(o.registry);
    this.now = o.now ?? Date.now;
    this.defaultFailoverAfterMs = o.defaultFailoverAfterMs ?? DEFAULT_FAILOVER_AFTER_MS;
  }

  /** The node's figures from the last look (undefined before the first or when not leading). */
  state(node: string): NodeLeaseState | undefined {
    return this.last.get(node);
  }

  /**
   * A Lease write seen as it happened (a watch): the renewal counts from now rather
   * than from the next tick, which makes the age exact to the watch's delay.
   */
  observeLease(l: Lease): void {
    if (this.o.isLeading !== undefined && !this.o.isLeading()) return;
    if (!this.tracker.nodes().includes(l.metadata.name)) return;
    this.tracker.observe(l.metadata.name, l.spec.renewTime ?? '', this.now());
  }

  /** One look: measure, append, keep annotations and taints right. */
  async tick(): Promise<void> {
    if (this.o.isLeading !== undefined && !this.o.isLeading()) {
      if (this.last.size > 0) await this.append(new Map(), this.now());
      this.tracker.clear();
      return;
    }
    const now = this.now();
    const [nodes, pods, leases] = await Promise.all([this.view.nodes(), this.view.pods(), this.view.leases()]);
    const leaseOf = new Map<string, Lease>();
    for (const l of leases) leaseOf.set(l.metadata.name, l);
    const podsOf = new Map<string, Pod[]>();
    for (const p of pods) {
      const n = p.spec.nodeName;
      if (n === undefined || n === '' || p.metadata.deletionTimestamp !== undefined) continue;
      let list = podsOf.get(n);
      if (list === undefined) podsOf.set(n, (list = []));
      list.push(p);
    }
    const states = new Map<string, NodeLeaseState>();
    for (const n of nodes) {
      const name = n.metadata.name;
      const ageMs = this.tracker.observe(name, leaseOf.get(name)?.spec.renewTime ?? '', now);
      states.set(name, { ageMs, failoverAfterMs: nodeFailoverAfterMs(podsOf.get(name) ?? [], this.defaultFailoverAfterMs) });
    }
    this.tracker.retain(new Set(states.keys()));
    await this.append(states, now);
    for (const n of nodes) await this.maintain(n);
  }

  /** Appends the figures of `states` and staleness markers for nodes no longer there. */
  private async append(states: ReadonlyMap<string, NodeLeaseState>, now: number): Promise<void> {
    const store = this.o.appendable();
    const t = Math.max(now, this.appendedAt + 1);
    const stale = [...this.last.keys()].filter((k) => !states.has(k));
    this.last.clear();
    for (const [k, v] of states) this.last.set(k, v);
    // No node and nothing to mark stale (a server without agents): no transaction at all.
    if (store === null || (states.size === 0 && stale.length === 0)) return;
    const app = store.appender();
    const put = (metric: string, node: string, v: number) => {
      const key = `${metric}\u0000${node}`;
      try {
        const ref = app.append(this.refs.get(key) ?? NO_REF, Labels.from({ __name__: metric, node }), t, v);
        this.refs.set(key, ref);
      } catch (e) {
        if (!this.warned) this.o.logger?.warn('cannot append a node lease sample', { metric, node, err: e instanceof Error ? e.message : String(e) });
        this.warned = true;
      }
    };
    for (const [node, s] of states) {
      put(LEASE_AGE_METRIC, node, s.ageMs / 1000);
      put(FAILOVER_AFTER_METRIC, node, s.failoverAfterMs / 1000);
    }
    for (const node of stale) {
      put(LEASE_AGE_METRIC, node, STALE_NAN);
      put(FAILOVER_AFTER_METRIC, node, STALE_NAN);
      this.refs.delete(`${LEASE_AGE_METRIC}\u0000${node}`);
      this.refs.delete(`${FAILOVER_AFTER_METRIC}\u0000${node}`);
    }
    await app.commit();
    this.appendedAt = t;
  }

  /** The cluster default on the Node for its agent; the failed taint off once the node renews again. */
  private async maintain(n: Node): Promise<void> {
    const name = n.metadata.name;
    const want = `${this.defaultFailoverAfterMs / 1000}s`;
    const failedAt = n.metadata.annotations?.[FAILED_AT_ANNOTATION];
    const tainted = (n.spec?.taints ?? []).some((t) => t.key === FAILED_TAINT_KEY);
    const rejoined = (tainted || failedAt !== undefined) && this.tracker.changedSince(name, failedAt === undefined ? 0 : Date.parse(failedAt));
    if (n.metadata.annotations?.[NODE_FAILOVER_AFTER_ANNOTATION] === want && !rejoined) return;
    const patch: { metadata: { annotations: Record<string, string | null> }; spec?: { taints: Node['spec']['taints'] | null } } = {
      metadata: { annotations: { [NODE_FAILOVER_AFTER_ANNOTATION]: want } },
    };
    if (rejoined) {
      patch.metadata.annotations[FAILED_AT_ANNOTATION] = null;
      const rest = (n.spec?.taints ?? []).filter((t) => t.key !== FAILED_TAINT_KEY);
      patch.spec = { taints: rest.length > 0 ? rest : null };
    }
    try {
      await this.o.registry.patch(NODES, '', name, patch, 'merge');
    } catch (e) {
      if (e instanceof ApiError && (e.code === 404 || e.code === 409)) return;
      throw e;
    }
    if (rejoined) {
      this.o.logger?.info('failed-over node renews its lease again; it rejoins', { node: name });
      await this.o.events?.record(n, 'Normal', 'NodeRejoined', `Node ${name} renews its lease again after its failover; it takes pods again`);
    }
  }

  /** Runs `tick()` every `periodMs` until `stop()`; a tick still running makes the next one wait. */
  start(): void {
    if (this.timer !== null) return;
    this.timer = setInterval(() => {
      if (this.running !== null) return;
      this.running = this.tick()
        .catch((e: unknown) => this.o.logger?.warn('node lease monitor failed', { err: e instanceof Error ? e.message : String(e) }))
        .finally(() => {
          this.running = null;
        });
    }, this.o.periodMs ?? 500);
    this.timer.unref();
  }

  /** Stops the loop; the series get staleness markers. */
  async stop(): Promise<void> {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    await this.running;
    if (this.last.size > 0) await this.append(new Map(), this.now()).catch(() => undefined);
  }
}
