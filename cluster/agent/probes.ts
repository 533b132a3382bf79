/**
 * Container probes with Kubernetes' fields and defaults (initialDelaySeconds 0,
 * periodSeconds 10, timeoutSeconds 1, successThreshold 1, failureThreshold 3):
 *
 * - httpGet: GET http://127.0.0.1:<port><path> with `httpHeaders`; 200–399 is success.
 * - tcpSocket: a TCP connection to 127.0.0.1:<port> opens.
 * - exec: the command exits 0 (run in the pod dir with the container's env).
 *
 * A port is a number or the name of one of the container's ports. Each probe
 * fails when it does not finish within timeoutSeconds. A `ProbeWorker` applies
 * the thresholds: the result flips to failure after `failureThreshold`
 * consecutive failures and back to success after `successThreshold` successes.
 */
import { spawn } from 'node:child_process';
import { request } from 'node:http';
import { connect } from 'node:net';
import type { Probe } from '../api/objects.js';

/** The API's Probe plus Kubernetes fields the API type does not list yet (read when present). */
export interface AgentProbe extends Probe {
  httpGet?: { path?: string; port: number | string; scheme?: 'HTTP'; httpHeaders?: { name: string; value: string }[] };
}

export type ProbeKind = 'liveness' | 'readiness' | 'startup';

/** What a probe needs from its container. */
export interface ProbeTarget {
  /** The host port for a port number or name; undefined when the name is unknown. */
  portOf(port: number | string): number | undefined;
  cwd: string;
  env: Record<string, string>;
}

const DEFAULTS = { initialDelaySeconds: 0, periodSeconds: 10, timeoutSeconds: 1, successThreshold: 1, failureThreshold: 3 };

function httpProbe(port: number, path: string, headers: Record<string, string>, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'GET', headers: { 'user-agent': 'vigil-probe/1.0', ...headers }, timeout: timeoutMs }, (res) => {
      res.resume();
      const code = res.statusCode ?? 0;
      resolve(code >= 200 && code < 400);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve(false));
    req.end();
  });
}

function tcpProbe(port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    const t = setTimeout(() => {
      s.destroy();
      resolve(false);
    }, timeoutMs);
    s.once('connect', () => {
      clearTimeout(t);
      s.destroy();
      resolve(true);
    });
    s.once('error', () => {
      clearTimeout(t);
      resolve(false);
    });
  });
}

function execProbe(command: string[], target: ProbeTarget, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const [file, ...args] = command;
    if (file === undefined) return resolve(false);
    const p = spawn(file, args, { cwd: target.cwd, env: target.env, stdio: 'ignore', detached: true });
    const t = setTimeout(() => {
      try {
        if (p.pid !== undefined) process.kill(-p.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }, timeoutMs);
    p.once('error', () => {
      clearTimeout(t);
      resolve(false);
    });
    p.once('exit', (code) => {
      clearTimeout(t);
      resolve(code === 0);
    });
  });
}

/** Runs `probe` once: true on success. */
export async function runProbe(probe: AgentProbe, target: ProbeTarget): Promise<boolean> {
  const timeoutMs = (probe.timeoutSeconds ?? DEFAULTS.timeoutSeconds) * 1000;
  if (probe.httpGet !== undefined) {
    const port = target.portOf(probe.httpGet.port);
    if (port === undefined) return false;
    const headers: Record<string, string> = {};
    for (const h of probe.httpGet.httpHeaders ?? []) headers[h.name] = h.value;
    return httpProbe(port, probe.httpGet.path ?? '/', headers, timeoutMs);
  }
  if (probe.tcpSocket !== undefined) {
    const port = target.portOf(probe.tcpSocket.port);
    return port === undefined ? false : tcpProbe(port, timeoutMs);
  }
  if (probe.exec !== undefined) return execProbe(probe.exec.command, target, timeoutMs);
  return false;
}

export interface ProbeWorkerOptions {
  /** Milliseconds per probe "second" for initialDelaySeconds and periodSeconds (tests use less). Default 1000. */
  secondMs?: number;
  /** Called when the thresholded result changes. */
  onChange: (ok: boolean) => void;
  /** Called after every single run with its raw result (metrics). */
  onResult?: (ok: boolean) => void;
}

/**
 * Runs a probe every period after the initial delay and keeps the thresholded result.
 * Starts as `initial` (readiness and startup: false; liveness: true, as in Kubernetes).
 */
export class ProbeWorker {
  result: boolean;
  private successes = 0;
  private failures = 0;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private readonly secondMs: number;

  constructor(
    readonly kind: ProbeKind,
    private readonly probe: AgentProbe,
    private readonly target: ProbeTarget,
    private readonly opts: ProbeWorkerOptions,
  ) {
    this.result = kind === 'liveness';
    this.secondMs = opts.secondMs ?? 1000;
  }

  start(): void {
    const delay = (this.probe.initialDelaySeconds ?? DEFAULTS.initialDelaySeconds) * this.secondMs;
    this.timer = setTimeout(() => void this.tick(), delay);
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    const ok = await runProbe(this.probe, this.target);
    if (this.stopped) return;
    this.opts.onResult?.(ok);
    if (ok) {
      this.successes++;
      this.failures = 0;
      if (!this.result && this.successes >= (this.probe.successThreshold ?? DEFAULTS.successThreshold)) {
        this.result = true;
        this.opts.onChange(true);
      }
    } else {
      this.failures++;
      this.successes = 0;
      const threshold = this.probe.failureThreshold ?? DEFAULTS.failureThreshold;
      if (this.failures >= threshold && this.result) {
        this.result = false;
        this.opts.onChange(false);
      } else if (this.kind === 'startup' && this.failures === threshold) {
        // A startup probe that never succeeded: the container is killed and restarted.
        this.opts.onChange(false);
      }
    }
    if (this.stopped) return;
    if (this.kind === 'startup' && this.result) return; // a startup probe stops once it succeeded
    this.timer = setTimeout(() => void this.tick(), (this.probe.periodSeconds ?? DEFAULTS.periodSeconds) * this.secondMs);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }
}
