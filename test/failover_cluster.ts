/**
 * A cluster of real processes for the failover tests and benchmark: the built
 * `vigil server` (SQLite store, no local agent) and `vigil agent` processes,
 * each agent optionally reaching the server through another URL (a proxy).
 * Helpers: `vigil ctl`, pod listing, bounded waits, killing an agent together
 * with its pods (SIGKILL, then the pods' recorded process groups), and counting
 * the pod processes that carry a marker in their command line (from /proc).
 * Test support only.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { PortAllocator } from '../cluster/agent/ports.js';
import { reapOrphans } from '../cluster/agent/orphan_reaper.js';
import type { Deployment, Node, Pod } from '../cluster/api/objects.js';
import { type ClusterCredentials, clusterCredentials } from './cluster_credentials.js';

export const VIGIL = fileURLToPath(new URL('../cmd/vigil.js', import.meta.url));
export const APP = fileURLToPath(new URL('../../test/fixtures/http_app.mjs', import.meta.url));
const run = promisify(execFile);
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function waitFor<T>(what: string, fn: () => Promise<T | undefined | null | false>, timeoutMs: number, diag: () => string = () => '', pollMs = 100): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined && v !== null && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${diag()}`);
    await sleep(pollMs);
  }
}

export interface Proc {
  name: string;
  child: ChildProcess;
  output: string;
  exited: Promise<void>;
}

export function startVigil(name: string, args: string[]): Proc {
  const child = spawn(process.execPath, [VIGIL, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const p: Proc = { name, child, output: '', exited: new Promise((r) => child.once('exit', () => r())) };
  const keep = (b: Buffer) => {
    p.output = (p.output + b.toString()).slice(-6000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return p;
}

/** SIGTERM, then SIGKILL after `graceMs`. */
export async function stopProc(p: Proc, graceMs: number): Promise<void> {
  if (p.child.exitCode !== null || p.child.signalCode !== null) return;
  p.child.kill('SIGTERM');
  const timer = setTimeout(() => p.child.kill('SIGKILL'), graceMs);
  await p.exited;
  clearTimeout(timer);
}

export const readyOf = (p: Pod) => p.metadata.deletionTimestamp === undefined && (p.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');

/** Pids of live processes whose command line contains `marker` (Linux /proc). */
export function processesWith(marker: string): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^[0-9]+$/.test(d)) continue;
    try {
      const cmd = readFileSync(`/proc/${d}/cmdline`, 'utf8');
      if (!cmd.includes(marker)) continue;
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      if (stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z') continue;
      out.push(Number(d));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

export interface FailoverCluster {
  readonly dir: string;
  readonly url: string;
  readonly procs: Proc[];
  ctl(...args: string[]): Promise<string>;
  /** The admin's Authorization header (the server's admin.token). */
  adminHeaders(): Readonly<Record<string, string>>;
  api<T>(path: string): Promise<T>;
  pods(selector: string): Promise<Pod[]>;
  nodes(): Promise<Node[]>;
  /** Starts (or restarts) the agent `name`, reaching the server at `serverUrl` (default the server). */
  startAgent(name: string, serverUrl?: string): Proc;
  /** SIGKILLs the agent and then its pods' process groups; resolves when the agent exited. */
  killAgent(name: string): Promise<void>;
  diag(): string;
  close(): Promise<void>;
}

/** Starts the server and waits for its API. `portBase` keeps concurrent test files apart. */
export async function startFailoverCluster(portBase: number, serverArgs: string[] = []): Promise<FailoverCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-failover-'));
  const procs: Proc[] = [];
  const cfg = join(dir, 'vigil.yml');
  writeFileSync(cfg, 'global:\n  scrape_interval: 15s\n');
  const apiPort = await new PortAllocator(portBase, portBase + 499).allocate();
  const url = `http://127.0.0.1:${apiPort}`;
  const agentIndex = new Map<string, number>();
  let creds: ClusterCredentials | null = null;
  const auth = (): ClusterCredentials => {
    if (creds === null) throw new Error('the server has not written its credentials yet');
    return creds;
  };
  const c: FailoverCluster = {
    dir,
    url,
    procs,
    ctl: async (...args) => (await run(process.execPath, [VIGIL, 'ctl', `--server=${url}`, `--token=${auth().adminToken}`, ...args], { timeout: 30_000 })).stdout,
    adminHeaders: () => auth().adminHeaders,
    api: async <T>(path: string) => {
      const r = await fetch(`${url}${path}`, { headers: auth().adminHeaders });
      if (!r.ok) throw new Error(`GET ${path}: ${r.status}`);
      return (await r.json()) as T;
    },
    pods: async (selector) => (await c.api<{ items: Pod[] }>(`/api/v1/pods?labelSelector=${encodeURIComponent(selector)}`)).items,
    nodes: async () => (await c.api<{ items: Node[] }>('/api/v1/nodes')).items,
    startAgent: (name, serverUrl = url) => {
      let i = agentIndex.get(name);
      if (i === undefined) agentIndex.set(name, (i = agentIndex.size));
      const low = portBase + 500 + i * 100;
      const p = startVigil(name, [
        'agent',
        `--server=${serverUrl}`,
        `--node-name=${name}`,
        `--data-dir=${join(dir, name)}`,
        '--listen-address=127.0.0.1:0',
        `--port-range=${low}-${low + 99}`,
        '--pod.drain-delay=100ms',
        `--token-file=${auth().nodeTokenFile(name, join(dir, `${name}.token`))}`,
        '--log.level=warn',
      ]);
      const old = procs.findIndex((q) => q.name === name);
      if (old >= 0) procs.splice(old, 1);
      procs.push(p);
      return p;
    },
    killAgent: async (name) => {
      const p = procs.find((q) => q.name === name);
      if (p === undefined) throw new Error(`no agent ${name}`);
      p.child.kill('SIGKILL');
      await p.exited;
      reapOrphans(join(dir, name));
    },
    diag: () => `\n${procs.map((p) => `--- ${p.name} (last output):\n${p.output.slice(-2500)}`).join('\n')}`,
    close: async () => {
      await Promise.all(procs.filter((p) => p.name !== 'server').map((p) => stopProc(p, 8000)));
      for (const p of procs) if (p.name !== 'server') reapOrphans(join(dir, p.name));
      await Promise.all(procs.filter((p) => p.name === 'server').map((p) => stopProc(p, 5000)));
      rmSync(dir, { recursive: true, force: true });
    },
  };
  procs.push(startVigil('server', ['server', `--web.listen-address=127.0.0.1:${apiPort}`, `--config.file=${cfg}`, `--storage.tsdb.path=${join(dir, 'data')}`, '--log.level=warn', '--no-cluster.local-agent', ...serverArgs]));
  await waitFor('the server API', async () => (await fetch(`${url}/api/v1/nodes`)).ok, 30_000, c.diag);
  creds = await clusterCredentials(join(dir, 'data'));
  return c;
}

/** Waits for `names` to be registered and Ready. */
export async function waitNodesReady(c: FailoverCluster, names: readonly string[], timeoutMs = 40_000): Promise<void> {
  await waitFor(
    `nodes ${names.join(', ')} Ready`,
    async () => {
      const items = await c.nodes();
      return names.every((n) => items.some((x) => x.metadata.name === n && (x.status?.conditions ?? []).some((k) => k.type === 'Ready' && k.status === 'True')));
    },
    timeoutMs,
    c.diag,
  );
}

/** Waits (40 s at most) until `n` Ready pods match `selector`, each on a different node; returns them. */
export function waitSpread(c: FailoverCluster, selector: string, n: number): Promise<Pod[]> {
  return waitFor(
    `${n} Ready replicas, one per node`,
    async () => {
      const ps = await c.pods(selector);
      return ps.length === n && ps.every(readyOf) && new Set(ps.map((p) => p.spec.nodeName)).size === n ? ps : undefined;
    },
    40_000,
    c.diag,
  );
}

/** A Deployment of the fixture app with `args`, and pod template annotations. */
export function webDeployment(name: string, replicas: number, args: string[], annotations: Record<string, string> = {}): Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: 'default' },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name }, annotations },
        spec: { terminationGracePeriodSeconds: 5, containers: [{ name: 'web', image: [process.execPath, APP, ...args].join(' ') }] },
      },
    },
  };
}

/** Creates `d` through the REST API. */
export async function createDeployment(c: FailoverCluster, d: Deployment): Promise<void> {
  const r = await fetch(`${c.url}/apis/apps/v1/namespaces/default/deployments`, { method: 'POST', headers: { 'content-type': 'application/json', ...c.adminHeaders() }, body: JSON.stringify(d) });
  if (r.status !== 201) throw new Error(`creating deployment ${d.metadata.name}: ${r.status} ${await r.text()}`);
}
