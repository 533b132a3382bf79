/**
 * Node lifecycle controller: marks a node whose agent went silent as not
 * Ready. Node agents renew their Lease (`kube-node-lease/<node>`) every 2 s and
 * post the Node's Ready condition every 10 s. Every `monitorPeriodMs` this
 * controller looks at both; whenever either changed since the last look, the
 * node is alive as of **our** clock (so clock offsets between machines do not
 * matter — Kubernetes' "probe timestamp"). A node silent for
 * `gracePeriodMs` gets Ready=Unknown (reason `NodeStatusUnknown`, as
 * Kubernetes) and a `NodeNotReady` Event; the scheduler then places nothing
 * there. A node seen for the first time gets the grace period from that moment.
 * The agent restores Ready=True itself when it comes back (a `NodeReady`
 * Event records that). What happens to the pods of a dead node is not decided
 * here (a later issue's failover).
 */
import { ApiError } from '../api/api_error.js';
import type { Lease, Node } from '../api/objects.js';
import { NODE_LEASE_NAMESPACE } from '../api/objects.js';
import type { Registry } from '../api/registry.js';
import type { ControllerLogger } from './controller.js';
import type { EventRecorder } from './event_recorder.js';
import { timestamp } from './pod_state.js';
import { LEASES, NODES } from './resources.js';

export interface NodeLifecycleOptions {
  now?: () => number;
  logger?: ControllerLogger;
  events?: EventRecorder;
  /** How long a node may be silent before it is marked Ready=Unknown, ms. Default 40 000 (Kubernetes' `--node-monitor-grace-period` before 1.32). */
  gracePeriodMs?: number;
  /** How often `run()` checks, ms. Default 5000 (Kubernetes' `--node-monitor-period`). */
  monitorPeriodMs?: number;
}

interface Probe {
  /** What we last saw: lease renewTime + node heartbeat. */
  signature: string;
  /** Our clock when the signature last changed. */
  seenAt: number;
  /** Whether we marked the node Unknown (to report its return). */
  markedUnknown: boolean;
}

export class NodeLifecycleController {
  readonly name = 'node-lifecycle';
  private readonly registry: Registry;
  private readonly now: () => number;
  private readonly log: ControllerLogger | undefined;
  private readonly events: EventRecorder | undefined;
  readonly gracePeriodMs: number;
  readonly monitorPeriodMs: number;
  private readonly probes = new Map<string, Probe>();
  private timer: NodeJS.Timeout | null = null;
  private running = false;

  constructor(registry: Registry, opts: NodeLifecycleOptions = {}) {
    this.registry = registry;
    this.now = opts.now ?? Date.now;
    this.log = opts.logger;
    this.events = opts.events;
    this.gracePeriodMs = opts.gracePeriodMs ?? 40_000;
    this.monitorPeriodMs = opts.monitorPeriodMs ?? 5000;
  }

  /** One check of every node. Returns the names of the nodes it marked Ready=Unknown now. */
  async monitor(): Promise<string[]> {
    const now = this.now();
    const nodes = (await this.registry.list(NODES, '')).items as Node[];
    const leases = new Map<string, Lease>();
    for (const l of (await this.registry.list(LEASES, NODE_LEASE_NAMESPACE)).items as Lease[]) leases.set(l.metadata.name, l);
    const marked: string[] = [];
    const names = new Set<string>();
    for (const n of nodes) {
      const name = n.metadata.name;
      names.add(name);
      const ready = n.status?.conditions?.find((c) => c.type === 'Ready');
      const sig = `${leases.get(name)?.spec.renewTime ?? ''}|${ready?.lastHeartbeatTime ?? ''}|${ready?.status ?? ''}`;
      let p = this.probes.get(name);
      if (p === undefined) {
        p = { signature: sig, seenAt: now, markedUnknown: false };
        this.probes.set(name, p);
      } else if (p.signature !== sig) {
        p.signature = sig;
        p.seenAt = now;
      }
      if (p.markedUnknown && ready?.status === 'True') {
        p.markedUnknown = false;
        this.log?.info('node is Ready again', { node: name });
        await this.events?.record(n, 'Normal', 'NodeReady', `Node ${name} status is now: NodeReady`);
      }
      if (now - p.seenAt < this.gracePeriodMs || ready?.status === 'Unknown') continue;
      if (await this.markUnknown(n)) {
        p.markedUnknown = true;
        // Our own write changed the signature; it must not count as a sign of life.
        const after = (await this.registry.get(NODES, '', name)) as Node;
        const r2 = after.status?.conditions?.find((c) => c.type === 'Ready');
        p.signature = `${leases.get(name)?.spec.renewTime ?? ''}|${r2?.lastHeartbeatTime ?? ''}|${r2?.status ?? ''}`;
        marked.push(name);
      }
    }
    for (const k of [...this.probes.keys()]) if (!names.has(k)) this.probes.delete(k);
    return marked;
  }

  private async markUnknown(n: Node): Promise<boolean> {
    const name = n.metadata.name;
    const ts = timestamp(this.now());
    const old = n.status?.conditions?.find((c) => c.type === 'Ready');
    const conditions = (n.status?.conditions ?? []).filter((c) => c.type !== 'Ready');
    conditions.push({
      type: 'Ready',
      status: 'Unknown',
      reason: 'NodeStatusUnknown',
      message: 'Kubelet stopped posting node status.',
      ...(old?.lastHeartbeatTime ? { lastHeartbeatTime: old.lastHeartbeatTime } : {}),
      lastTransitionTime: ts,
    });
    try {
      await this.registry.update(NODES, '', name, { ...n, status: { ...(n.status ?? {}), conditions } }, { subresource: 'status' });
    } catch (e) {
      // The agent wrote meanwhile (so it is alive) or the node went away: next round decides.
      if (e instanceof ApiError && (e.code === 409 || e.code === 404)) return false;
      throw e;
    }
    this.log?.warn('node stopped renewing its lease; marked Ready=Unknown', { node: name, graceMs: this.gracePeriodMs });
    await this.events?.record(n, 'Normal', 'NodeNotReady', `Node ${name} status is now: NodeNotReady`);
    return true;
  }

  /** Runs `monitor()` every `monitorPeriodMs` until `stop()`. */
  start(): void {
    if (this.timer !== null) return;
    this.timer = setInterval(() => {
      if (this.running) return;
      this.running = true;
      this.monitor()
        .catch((e: unknown) => this.log?.warn('node monitor failed', { err: e instanceof Error ? e.message : String(e) }))
        .finally(() => {
          this.running = false;
        });
    }, this.monitorPeriodMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }
}
