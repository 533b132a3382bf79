/**
 * Runs one pod on this node: prepares its directory (volumes), allocates its
 * ports, builds each container's environment and runs the containers side by
 * side (they share the pod dir and reach each other on 127.0.0.1), and reports
 * the pod's status the way the kubelet does: phase, conditions (PodScheduled,
 * Initialized, ContainersReady, Ready), containerStatuses, podIP, startTime.
 *
 * A pod whose configuration refers to a missing ConfigMap/Secret waits with
 * reason CreateContainerConfigError and is retried every `configRetryMs`.
 * `terminate` first marks the pod not Ready (so Service proxies drop it and the
 * agent publishes the status), waits `drainMs`, then stops every container with
 * SIGTERM and SIGKILL after the grace period.
 */
import { join } from 'node:path';
import type { Condition, ContainerStatus, Pod, PodPhase, PodStatus } from '../api/objects.js';
import { CommandLineError, containerArgv } from './container_process.js';
import { ContainerRunner } from './container_runner.js';
import { containerEnv, PodConfigError, type PodInputs } from './env.js';
import { insideDir, preparePodDir, safeUid } from './pod_dir.js';
import type { PortAllocator } from './ports.js';
import type { ProbeKind } from './probes.js';
import { type IsolationMode, limitsOf } from './resources.js';
import type { RestartBackoffOptions } from './restart_backoff.js';

export interface PodSupervisorOptions {
  dataDir: string;
  ports: PortAllocator;
  isolation: IsolationMode;
  /** cgroup2 root (default /sys/fs/cgroup). */
  cgroupRoot?: string;
  /** Fetches the ConfigMaps, Secrets and Services the pod needs (called on every (re)try). */
  loadInputs: (pod: Pod) => Promise<PodInputs>;
  /** Address of the node (podIP and hostIP). Default 127.0.0.1. */
  hostIP?: string;
  backoff?: RestartBackoffOptions;
  probeSecondMs?: number;
  logMaxBytes?: number;
  /** Retry period of a pod that cannot start because of its configuration. Default 5000 ms. */
  configRetryMs?: number;
  now?: () => number;
  /** Called whenever the pod's status may have changed. */
  onChange: (sup: PodSupervisor) => void;
  onProbeResult?: (container: string, kind: ProbeKind, ok: boolean) => void;
  log?: (msg: string, fields: Record<string, unknown>) => void;
}

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.[0-9]{3}Z$/, 'Z');

type PodConditionType = 'PodScheduled' | 'Initialized' | 'ContainersReady' | 'Ready';

export class PodSupervisor {
  runners: ContainerRunner[] = [];
  /** Host ports by container index, then port index. */
  hostPorts: number[][] = [];
  terminating = false;
  stopped = false;
  private configError: string | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private readonly startTime: number;
  private readonly now: () => number;
  private readonly transitions = new Map<string, { status: string; at: number }>();
  dir = '';

  constructor(
    public pod: Pod,
    private readonly o: PodSupervisorOptions,
  ) {
    this.now = o.now ?? Date.now;
    this.startTime = this.now();
  }

  get key(): string {
    return `${this.pod.metadata.namespace ?? 'default'}/${this.pod.metadata.name}`;
  }

  /**
   * Prepares and starts the containers. Configuration errors (missing ConfigMap/Secret, bad
   * paths or command lines) show as CreateContainerConfigError; those and transient failures
   * (API unreachable, no free port) are retried every `configRetryMs` until the pod is terminated.
   */
  async start(): Promise<void> {
    if (this.terminating) return;
    try {
      const inputs = await this.o.loadInputs(this.pod);
      if (this.terminating) return;
      this.dir = preparePodDir(this.o.dataDir, this.pod, inputs);
      if (this.hostPorts.length === 0) this.hostPorts = await this.allocatePorts();
      // terminate() may have run while we waited: start nothing then.
      if (this.terminating) return this.releasePorts();
      this.runners = this.pod.spec.containers.map((_c, i) => this.makeRunner(i, inputs));
      this.configError = null;
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      if (e instanceof PodConfigError || e instanceof CommandLineError) this.configError = msg;
      this.o.log?.('pod cannot start yet; retrying', { pod: this.key, err: msg });
      this.o.onChange(this);
      this.retryTimer = setTimeout(() => {
        this.retryTimer = null;
        void this.start();
      }, this.o.configRetryMs ?? 5000);
      return;
    }
    for (const r of this.runners) r.start();
  }

  /**
   * Rewrites the pod's ConfigMap and Secret volume files from fresh inputs (after one of them
   * changed). Environment variables are not changed, as in Kubernetes: they apply on the next start.
   */
  async refreshVolumes(): Promise<void> {
    if (this.terminating || this.dir === '') return;
    try {
      preparePodDir(this.o.dataDir, this.pod, await this.o.loadInputs(this.pod));
    } catch (e) {
      this.o.log?.('cannot refresh the pod volumes', { pod: this.key, err: e instanceof Error ? e.message : String(e) });
    }
  }

  /** Whether a volume of the pod shows ConfigMap (`kind` configmap) or Secret `name`. */
  usesVolumeSource(kind: 'configmap' | 'secret', name: string): boolean {
    return (this.pod.spec.volumes ?? []).some((v) => (kind === 'configmap' ? v.configMap?.name === name : v.secret?.secretName === name));
  }

  /** Host ports for every container port; all or nothing (a failure releases what it took). */
  private async allocatePorts(): Promise<number[][]> {
    const out: number[][] = [];
    const taken: number[] = [];
    try {
      for (const c of this.pod.spec.containers) {
        const ps: number[] = [];
        for (const p of c.ports ?? []) {
          // Pods share the node's network: a fixed containerPort (or hostPort) is the port on the node.
          const fixed = p.containerPort !== undefined && p.containerPort > 0 ? p.containerPort : (p.hostPort ?? 0);
          const port = fixed > 0 ? fixed : await this.o.ports.allocate();
          if (fixed > 0) this.o.ports.reserve(fixed);
          taken.push(port);
          ps.push(port);
        }
        out.push(ps);
      }
    } catch (e) {
      for (const p of taken) this.o.ports.release(p);
      throw e;
    }
    return out;
  }

  private releasePorts(): void {
    for (const ps of this.hostPorts) for (const p of ps) this.o.ports.release(p);
    this.hostPorts = [];
  }

  private makeRunner(i: number, inputs: PodInputs): ContainerRunner {
    const c = this.pod.spec.containers[i]!;
    const hostPorts = this.hostPorts[i] ?? [];
    const env = containerEnv(c, hostPorts, inputs);
    const cwd = c.workingDir !== undefined ? insideDir(this.dir, c.workingDir, `container "${c.name}" workingDir`) : this.dir;
    const uid = safeUid(this.pod.metadata.uid ?? this.pod.metadata.name);
    return new ContainerRunner(c, {
      argv: containerArgv(c),
      env,
      cwd,
      logDir: join(this.dir, 'logs'),
      hostPorts,
      restartPolicy: this.pod.spec.restartPolicy ?? 'Always',
      graceMs: (this.pod.spec.terminationGracePeriodSeconds ?? 30) * 1000,
      limits: limitsOf(c.resources),
      cgroup: this.o.isolation === 'cgroup2' ? { root: this.o.cgroupRoot ?? '/sys/fs/cgroup', name: `${uid}_${c.name}` } : null,
      now: this.now,
      onChange: () => this.o.onChange(this),
      onProbeResult: (kind, ok) => this.o.onProbeResult?.(c.name, kind, ok),
      ...(this.o.backoff !== undefined ? { backoff: this.o.backoff } : {}),
      ...(this.o.probeSecondMs !== undefined ? { probeSecondMs: this.o.probeSecondMs } : {}),
      ...(this.o.logMaxBytes !== undefined ? { logMaxBytes: this.o.logMaxBytes } : {}),
      ...(this.o.log !== undefined ? { log: (m: string, f: Record<string, unknown>) => this.o.log?.(m, { pod: this.key, ...f }) } : {}),
    });
  }

  /** Whether every container is ready and the pod is not terminating. */
  get ready(): boolean {
    return !this.terminating && this.runners.length > 0 && this.runners.every((r) => r.ready);
  }

  /**
   * Stops the pod: not Ready at once (onChange), `drainMs` later SIGTERM to every container,
   * SIGKILL after `graceSeconds`. Resolves when every process is gone and its ports are released.
   */
  async terminate(graceSeconds: number, drainMs = 0): Promise<void> {
    if (this.stopped) return;
    this.terminating = true;
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    for (const r of this.runners) r.unready();
    this.o.onChange(this);
    const graceMs = Math.max(0, graceSeconds * 1000);
    const drain = Math.min(drainMs, graceMs);
    if (drain > 0 && this.runners.some((r) => r.proc?.running === true)) await new Promise((r) => setTimeout(r, drain));
    await Promise.all(this.runners.map((r) => r.stop(graceMs - drain)));
    this.releasePorts();
    this.stopped = true;
    this.o.onChange(this);
  }

  private condition(type: PodConditionType, ok: boolean): Condition<PodConditionType> {
    const status = ok ? 'True' : 'False';
    const prev = this.transitions.get(type);
    if (prev === undefined || prev.status !== status) this.transitions.set(type, { status, at: this.now() });
    return { type, status, lastTransitionTime: iso(this.transitions.get(type)!.at) };
  }

  private phase(statuses: ContainerStatus[]): PodPhase {
    if (this.runners.length === 0) return 'Pending';
    const all = this.runners;
    if (all.every((r) => r.finished && r.state.terminated !== undefined)) {
      return all.every((r) => r.state.terminated?.exitCode === 0) ? 'Succeeded' : 'Failed';
    }
    if (statuses.every((s) => s.state.waiting?.reason === 'ContainerCreating')) return 'Pending';
    return 'Running';
  }

  /** The pod's status as the agent writes it to the API. */
  status(): PodStatus {
    const hostIP = this.o.hostIP ?? '127.0.0.1';
    let containerStatuses: ContainerStatus[];
    if (this.configError !== null && this.runners.length === 0) {
      containerStatuses = this.pod.spec.containers.map((c) => ({
        name: c.name,
        ready: false,
        started: false,
        restartCount: 0,
        state: { waiting: { reason: 'CreateContainerConfigError', message: this.configError ?? '' } },
      }));
    } else containerStatuses = this.runners.map((r) => r.status());
    const phase = this.phase(containerStatuses);
    const containersReady = this.runners.length > 0 && this.runners.every((r) => r.ready);
    const conditions = [
      this.condition('PodScheduled', true),
      this.condition('Initialized', true),
      this.condition('ContainersReady', containersReady),
      this.condition('Ready', containersReady && !this.terminating),
    ];
    return {
      phase,
      // Condition types beyond the API type's list (Initialized) are Kubernetes' own.
      conditions: conditions as PodStatus['conditions'],
      hostIP,
      podIP: hostIP,
      startTime: iso(this.startTime),
      containerStatuses,
    };
  }

  /** Host port of `targetPort` (a number = containerPort or literal, or a port name), or undefined. */
  resolvePort(targetPort: number | string): number | undefined {
    for (let ci = 0; ci < this.pod.spec.containers.length; ci++) {
      const ports = this.pod.spec.containers[ci]!.ports ?? [];
      for (let pi = 0; pi < ports.length; pi++) {
        const p = ports[pi]!;
        if ((typeof targetPort === 'string' && p.name === targetPort) || (typeof targetPort === 'number' && p.containerPort === targetPort))
          return this.hostPorts[ci]?.[pi];
      }
    }
    return typeof targetPort === 'number' ? targetPort : undefined;
  }
}
