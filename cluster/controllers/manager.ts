/**
 * `ControllerManager`: runs the scheduler and every controller (ReplicaSet,
 * Deployment, Endpoints, node lifecycle) **only while this process leads**.
 * Leadership comes from a `LeaderElector` on the cluster store (key
 * `/registry/vigil-system/leader/controller-manager`), so of several
 * `vigil server` processes on one store exactly one acts; the others take over
 * within the lease duration (15 s by default) when it stops or dies.
 *
 * Informers (list+watch caches of pods, nodes, deployments, replica sets,
 * services) run on every server regardless of leadership: the cluster-state
 * metrics (state_metrics.ts) read them, and a new leader starts with a warm
 * cache. While not leading, controller queues are shut and drop keys; on
 * becoming leader every cached object is queued once (a full resync).
 *
 * Every automatic action is logged with its reason; `disabled` names
 * controllers to leave off (e.g. `['node-lifecycle']`).
 */
import { hostname } from 'node:os';
import type { Deployment, Node, Pod, ReplicaSet, Service } from '../api/objects.js';
import type { Registry } from '../api/registry.js';
import { LeaderElector } from '../store/leader_election.js';
import { Scheduler } from '../scheduler/scheduler.js';
import type { Controller, ControllerLogger } from './controller.js';
import { DeploymentController } from './deployment_controller.js';
import { EndpointsController } from './endpoints_controller.js';
import { EventRecorder } from './event_recorder.js';
import { Informer } from './informer.js';
import { NodeLifecycleController } from './node_lifecycle_controller.js';
import { ReplicaSetController } from './replicaset_controller.js';
import { DEPLOYMENTS, NODES, PODS, REPLICASETS, SERVICES } from './resources.js';

/** Store key of the controller manager's leader record. */
export const CONTROLLER_MANAGER_LEADER_KEY = '/registry/vigil-system/leader/controller-manager';

export type ControllerName = 'scheduler' | 'replicaset' | 'deployment' | 'endpoints' | 'node-lifecycle';

export interface ControllerManagerOptions {
  /** This process's identity in the election. Default `<hostname>_<pid>_<random>`. */
  identity?: string;
  now?: () => number;
  logger?: ControllerLogger;
  /** Leader lease duration, ms. Default 15 000; renew deadline 10 000; retry period 2000 (Kubernetes'). */
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  /** Informer full-resync period, ms. Default 30 000. */
  resyncMs?: number;
  /** Node silence before Ready=Unknown, ms. Default 40 000. */
  nodeGracePeriodMs?: number;
  /** Node check period, ms. Default 5000. */
  nodeMonitorPeriodMs?: number;
  /** Controllers not to run. */
  disabled?: readonly ControllerName[];
}

/** The informers the manager keeps (for state metrics and tests). */
export interface ClusterInformers {
  pods: Informer<Pod>;
  nodes: Informer<Node>;
  deployments: Informer<Deployment>;
  replicaSets: Informer<ReplicaSet>;
  services: Informer<Service>;
}

export class ControllerManager {
  readonly identity: string;
  readonly informers: ClusterInformers;
  readonly elector: LeaderElector;
  readonly scheduler: Scheduler;
  readonly replicaSets: ReplicaSetController;
  readonly deployments: DeploymentController;
  readonly endpoints: EndpointsController;
  readonly nodeLifecycle: NodeLifecycleController;
  private readonly log: ControllerLogger | undefined;
  private readonly disabled: ReadonlySet<ControllerName>;
  private leading = false;
  private started = false;
  /** Serialises start/stop of the controllers across leadership changes. */
  private transition: Promise<void> = Promise.resolve();

  constructor(registry: Registry, opts: ControllerManagerOptions = {}) {
    this.identity = opts.identity ?? `${hostname()}_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
    this.log = opts.logger;
    this.disabled = new Set(opts.disabled ?? []);
    const now = opts.now ?? Date.now;
    const iopts = { resyncMs: opts.resyncMs ?? 30_000, ...(opts.logger ? { logger: opts.logger } : {}) };
    this.informers = {
      pods: new Informer<Pod>(registry, PODS, iopts),
      nodes: new Informer<Node>(registry, NODES, iopts),
      deployments: new Informer<Deployment>(registry, DEPLOYMENTS, iopts),
      replicaSets: new Informer<ReplicaSet>(registry, REPLICASETS, iopts),
      services: new Informer<Service>(registry, SERVICES, iopts),
    };
    const lg = opts.logger ? { logger: opts.logger } : {};
    const ev = (component: string) => new EventRecorder(registry, component, { now, ...lg });
    this.scheduler = new Scheduler(registry, { now, events: ev('default-scheduler'), ...lg });
    this.replicaSets = new ReplicaSetController(registry, { now, ...lg });
    this.deployments = new DeploymentController(registry, { now, events: ev('deployment-controller'), ...lg });
    this.endpoints = new EndpointsController(registry, lg);
    this.nodeLifecycle = new NodeLifecycleController(registry, {
      now,
      events: ev('node-controller'),
      ...(opts.nodeGracePeriodMs !== undefined ? { gracePeriodMs: opts.nodeGracePeriodMs } : {}),
      ...(opts.nodeMonitorPeriodMs !== undefined ? { monitorPeriodMs: opts.nodeMonitorPeriodMs } : {}),
      ...lg,
    });
    const i = this.informers;
    this.scheduler.watch(i.pods, i.nodes);
    this.replicaSets.watch(i.replicaSets, i.pods);
    this.deployments.watch(i.deployments, i.replicaSets, i.pods);
    this.endpoints.watch(i.services, i.pods);
    // Not leading yet: queues drop what informers offer.
    for (const c of this.queued()) c.queue.shutDown();
    this.elector = new LeaderElector(registry.store, {
      key: CONTROLLER_MANAGER_LEADER_KEY,
      identity: this.identity,
      now,
      ...(opts.leaseDurationMs !== undefined ? { leaseDurationMs: opts.leaseDurationMs } : {}),
      ...(opts.renewDeadlineMs !== undefined ? { renewDeadlineMs: opts.renewDeadlineMs } : {}),
      ...(opts.retryPeriodMs !== undefined ? { retryPeriodMs: opts.retryPeriodMs } : {}),
      onStartedLeading: () => this.setLeading(true),
      onStoppedLeading: () => this.setLeading(false),
      ...lg,
    });
  }

  private queued(): Controller[] {
    const all: [ControllerName, Controller][] = [
      ['scheduler', this.scheduler],
      ['replicaset', this.replicaSets],
      ['deployment', this.deployments],
      ['endpoints', this.endpoints],
    ];
    return all.filter(([n]) => !this.disabled.has(n)).map(([, c]) => c);
  }

  /** Whether this manager's controllers are running. */
  isLeading(): boolean {
    return this.leading;
  }

  /** Starts the informers and the election loop. Resolves after the caches are filled and the first election round. */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    await Promise.all(Object.values(this.informers).map((inf: Informer<Pod>) => inf.start()));
    await this.elector.run();
  }

  /** One election round without the loop (tests drive elections with an injected clock). */
  async electOnce(): Promise<boolean> {
    if (!this.started) {
      this.started = true;
      await Promise.all(Object.values(this.informers).map((inf: Informer<Pod>) => inf.start()));
    }
    const r = await this.elector.tryAcquireOrRenew();
    await this.transition;
    return r;
  }

  private setLeading(v: boolean): void {
    this.transition = this.transition.then(() => (v ? this.startControllers() : this.stopControllers()));
  }

  private async startControllers(): Promise<void> {
    if (this.leading) return;
    this.leading = true;
    this.log?.info('controller manager leading: starting controllers', { identity: this.identity, disabled: [...this.disabled] });
    for (const c of this.queued()) c.runWorkers(1);
    if (!this.disabled.has('node-lifecycle')) this.nodeLifecycle.start();
    // A full pass over what the caches hold: level-triggered controllers need no history.
    for (const inf of Object.values(this.informers) as Informer<Pod>[]) inf.resync();
  }

  private async stopControllers(): Promise<void> {
    if (!this.leading) return;
    this.leading = false;
    this.log?.info('controller manager no longer leading: stopping controllers', { identity: this.identity });
    this.nodeLifecycle.stop();
    await Promise.all(this.queued().map((c) => c.stopWorkers()));
  }

  /** Stops the election (releasing leadership), the controllers and the informers. */
  async stop(): Promise<void> {
    await this.elector.stop();
    await this.transition;
    await this.stopControllers();
    for (const inf of Object.values(this.informers) as Informer<Pod>[]) inf.stop();
    this.started = false;
  }
}
