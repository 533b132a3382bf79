/**
 * The lifecycle of one container of a pod across its runs: start, probes
 * (startup gating liveness and readiness), restarts by the pod's restartPolicy
 * with CrashLoopBackOff, liveness and OOM kills, and a final graceful stop.
 * Keeps the Kubernetes ContainerStatus (state, lastState, restartCount, ready,
 * started) current and calls `onChange` whenever it changes.
 */
import type { Container, ContainerState, ContainerStatus, PodSpec } from '../api/objects.js';
import { ContainerProcess, type ProcessExit } from './container_process.js';
import { clearPid, recordPid } from './orphan_reaper.js';
import { type AgentProbe, type ProbeKind, ProbeWorker } from './probes.js';
import { enterCgroup, type Limits, readCgroup, removeCgroup } from './resources.js';
import { RestartBackoff, type RestartBackoffOptions } from './restart_backoff.js';

export interface ContainerRunnerOptions {
  argv: readonly string[];
  env: Record<string, string>;
  cwd: string;
  logDir: string;
  /** Host port of each entry of `spec.ports`, in order. */
  hostPorts: readonly number[];
  restartPolicy: NonNullable<PodSpec['restartPolicy']>;
  /** Grace for liveness kills (the pod's terminationGracePeriodSeconds), ms. */
  graceMs: number;
  limits: Limits;
  /** Set in cgroup2 mode: the cgroup root and this container's group name. */
  cgroup: { root: string; name: string } | null;
  backoff?: RestartBackoffOptions;
  probeSecondMs?: number;
  logMaxBytes?: number;
  now?: () => number;
  onChange: () => void;
  onProbeResult?: (kind: ProbeKind, ok: boolean) => void;
  log?: (msg: string, fields: Record<string, unknown>) => void;
}

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.[0-9]{3}Z$/, 'Z');

export class ContainerRunner {
  restartCount = 0;
  ready = false;
  started = false;
  state: ContainerState = { waiting: { reason: 'ContainerCreating' } };
  lastState: ContainerState | undefined = undefined;
  /** CPU seconds of finished runs (the counter stays monotonic across restarts). */
  private cpuBase = 0;
  cpuSeconds = 0;
  memoryBytes = 0;
  /** Whether the container ran to completion and will not run again. */
  finished = false;
  proc: ContainerProcess | null = null;
  private readonly backoff: RestartBackoff;
  private readonly now: () => number;
  private probes: ProbeWorker[] = [];
  private restartTimer: NodeJS.Timeout | null = null;
  private stopping = false;
  private killReason: string | null = null;
  private cgroupDir: string | null = null;

  constructor(
    readonly spec: Container,
    private readonly o: ContainerRunnerOptions,
  ) {
    this.backoff = new RestartBackoff(o.backoff);
    this.now = o.now ?? Date.now;
  }

  get name(): string {
    return this.spec.name;
  }

  /** Starts a run (first or restart). */
  start(): void {
    if (this.stopping) return;
    this.killReason = null;
    const p = new ContainerProcess({ argv: this.o.argv, cwd: this.o.cwd, env: this.o.env, logDir: this.o.logDir, name: this.name, now: this.now, ...(this.o.logMaxBytes !== undefined ? { logMaxBytes: this.o.logMaxBytes } : {}) });
    this.proc = p;
    if (p.pid > 0) recordPid(this.o.logDir, this.name, p.pid);
    if (this.o.cgroup !== null && p.pid > 0) {
      try {
        this.cgroupDir = enterCgroup(this.o.cgroup.root, this.o.cgroup.name, p.pid, this.o.limits);
      } catch (e) {
        this.o.log?.('cannot place container in its cgroup; limits not enforced for this run', { container: this.name, err: e instanceof Error ? e.message : String(e) });
      }
    }
    this.state = { running: { startedAt: iso(p.startedAt) } };
    this.started = this.spec.startupProbe === undefined;
    this.ready = this.started && this.spec.readinessProbe === undefined;
    if (this.spec.startupProbe !== undefined) this.startProbe('startup', this.spec.startupProbe);
    else this.startRunningProbes();
    void p.exited.then((exit) => this.onExit(p, exit));
    this.o.onChange();
  }

  private startRunningProbes(): void {
    if (this.spec.livenessProbe !== undefined) this.startProbe('liveness', this.spec.livenessProbe);
    if (this.spec.readinessProbe !== undefined) this.startProbe('readiness', this.spec.readinessProbe);
  }

  private startProbe(kind: ProbeKind, probe: AgentProbe): void {
    const names = (this.spec.ports ?? []).map((p) => p.name);
    const target = {
      portOf: (port: number | string): number | undefined => {
        if (typeof port === 'number') {
          // A number that names a declared containerPort maps to its host port; else it is used as is.
          const i = (this.spec.ports ?? []).findIndex((p) => p.containerPort === port);
          return i >= 0 ? this.o.hostPorts[i] : port;
        }
        const i = names.indexOf(port);
        return i >= 0 ? this.o.hostPorts[i] : undefined;
      },
      cwd: this.o.cwd,
      env: this.o.env,
    };
    const w = new ProbeWorker(kind, probe, target, {
      ...(this.o.probeSecondMs !== undefined ? { secondMs: this.o.probeSecondMs } : {}),
      onResult: (ok) => this.o.onProbeResult?.(kind, ok),
      onChange: (ok) => this.onProbe(kind, ok),
    });
    this.probes.push(w);
    w.start();
  }

  private onProbe(kind: ProbeKind, ok: boolean): void {
    if (this.stopping || this.proc === null || !this.proc.running) return;
    if (kind === 'startup') {
      if (ok) {
        this.started = true;
        this.ready = this.spec.readinessProbe === undefined;
        this.startRunningProbes();
        this.o.onChange();
      } else this.kill('startup probe failed');
      return;
    }
    if (kind === 'liveness') {
      if (!ok) this.kill('liveness probe failed');
      return;
    }
    if (this.ready !== ok) {
      this.ready = ok;
      this.o.onChange();
    }
  }

  /** Kills the current run (it restarts by the restart policy). */
  private kill(why: string): void {
    this.o.log?.('killing container', { container: this.name, reason: why });
    this.ready = false;
    this.o.onChange();
    void this.proc?.stop(this.o.graceMs);
  }

  /** Kills the current run at once with reason OOMKilled (memory limit passed in process-group mode). */
  oomKill(rss: number): void {
    if (this.proc === null || !this.proc.running || this.killReason !== null) return;
    this.o.log?.('container over its memory limit: killing it', { container: this.name, rssBytes: rss, limitBytes: this.o.limits.memoryBytes });
    this.killReason = 'OOMKilled';
    this.proc.signal('SIGKILL');
  }

  private stopProbes(): void {
    for (const w of this.probes) w.stop();
    this.probes = [];
  }

  private onExit(p: ContainerProcess, exit: ProcessExit): void {
    if (this.proc !== p) return;
    clearPid(this.o.logDir, this.name);
    this.stopProbes();
    this.cpuBase = this.cpuSeconds;
    this.memoryBytes = 0;
    let reason = this.killReason ?? (exit.exitCode === 0 ? 'Completed' : 'Error');
    if (this.cgroupDir !== null) {
      if (readCgroup(this.cgroupDir).oomKills > 0) reason = 'OOMKilled';
      removeCgroup(this.cgroupDir);
      this.cgroupDir = null;
    }
    const terminated: ContainerState = {
      terminated: {
        exitCode: exit.exitCode,
        ...(exit.signal !== null ? { signal: exit.exitCode - 128 } : {}),
        reason,
        startedAt: iso(p.startedAt),
        finishedAt: iso(exit.finishedAt),
      },
    };
    this.ready = false;
    this.started = false;
    const policy = this.o.restartPolicy;
    const restart = !this.stopping && (policy === 'Always' || (policy === 'OnFailure' && exit.exitCode !== 0));
    if (!restart) {
      this.state = terminated;
      this.finished = true;
      this.o.onChange();
      return;
    }
    this.lastState = terminated;
    const delay = this.backoff.next(p.startedAt, exit.finishedAt);
    if (delay <= 0) {
      this.restartCount++;
      this.start();
      return;
    }
    this.state = { waiting: { reason: 'CrashLoopBackOff', message: `back-off ${Math.round(delay / 1000)}s restarting failed container=${this.name}` } };
    this.o.onChange();
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null;
      this.restartCount++;
      this.start();
    }, delay);
  }

  /** Marks the container not ready at once (before a graceful stop). */
  unready(): void {
    this.ready = false;
  }

  /** Final stop: no more restarts; SIGTERM then SIGKILL after `graceMs`. */
  async stop(graceMs: number): Promise<void> {
    this.stopping = true;
    this.ready = false;
    if (this.restartTimer !== null) clearTimeout(this.restartTimer);
    this.restartTimer = null;
    this.stopProbes();
    const p = this.proc;
    if (p?.running) await p.stop(graceMs);
    // Stopped while waiting for a restart: the last run's end is the final state.
    const last = this.lastState?.terminated;
    if (this.state.waiting !== undefined && last !== undefined) this.state = { terminated: last };
    this.finished = true;
  }

  /** Updates CPU and memory from a sample of its process group or cgroup. */
  sample(cpuSecondsThisRun: number, memoryBytes: number): void {
    this.cpuSeconds = Math.max(this.cpuSeconds, this.cpuBase + cpuSecondsThisRun);
    this.memoryBytes = memoryBytes;
    const limit = this.o.limits.memoryBytes;
    if (this.o.cgroup === null && limit !== undefined && memoryBytes > limit) this.oomKill(memoryBytes);
  }

  /** The cgroup of the current run (cgroup2 mode), for sampling. */
  get cgroupPath(): string | null {
    return this.cgroupDir;
  }

  status(): ContainerStatus {
    const s: ContainerStatus = { name: this.name, ready: this.ready, started: this.started, restartCount: this.restartCount, state: this.state };
    if (this.lastState !== undefined) s.lastState = this.lastState;
    if (this.proc?.running) s.containerID = `pid://${this.proc.pid}`;
    return s;
  }
}
