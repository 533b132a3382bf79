/**
 * Cluster benchmark (`npm run bench:cluster`). Prints a table of:
 * 1. Time from `vigil ctl run` (the process starting) and from a REST create of the
 *    Deployment to all pods Ready for 1, 10 and 100 replicas of the fixture app (test/fixtures/http_app.mjs): the built
 *    `vigil server` plus two `vigil agent` processes on loopback (real processes,
 *    SQLite store). `ctl run` declares no readiness probe, so Ready = process started.
 * 2. Pods created (and bound) per second by the control plane alone, and its memory
 *    per 1,000 pods: an in-process Registry (SQLite) + ControllerManager with 10
 *    registered nodes and no agents, one Deployment of 1,000 replicas; RSS and V8
 *    heap are read after a forced GC before and after.
 * 3. Service proxy cost: a bounded loop of N sequential GETs straight to a replica's
 *    port vs through the agent's Service proxy, and 8 concurrent lanes of each.
 *
 * Run: `npm run build && node --expose-gc dist/bench/cluster_bench.js`. Never fails on timings.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { PortAllocator } from '../cluster/agent/ports.js';
import type { Deployment, Endpoints, Node, Pod } from '../cluster/api/objects.js';
import { Registry } from '../cluster/api/registry.js';
import { ControllerManager } from '../cluster/controllers/manager.js';
import { timestamp } from '../cluster/controllers/pod_state.js';
import { DEPLOYMENTS, NODES, PODS } from '../cluster/controllers/resources.js';
import { SqliteStore } from '../cluster/store/sqlite_store.js';

const VIGIL = fileURLToPath(new URL('../cmd/vigil.js', import.meta.url));
const APP = fileURLToPath(new URL('../../test/fixtures/http_app.mjs', import.meta.url));
const run = promisify(execFile);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const rows: [string, string][] = [];
const row = (what: string, value: string) => {
  rows.push([what, value]);
  console.log(`  ${what}: ${value}`);
};

async function waitFor<T>(what: string, fn: () => Promise<T | undefined | null | false>, timeoutMs: number, pollMs = 50): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined && v !== null && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(pollMs);
  }
}

const isReady = (p: Pod) => p.metadata.deletionTimestamp === undefined && (p.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');

function rssMiB(): number {
  return process.memoryUsage().rss / 2 ** 20;
}
function gc(): void {
  const g = (globalThis as { gc?: () => void }).gc;
  if (g) for (let i = 0; i < 3; i++) g();
}

/** Sequential GETs; returns per-request latencies in ms (Float64Array) and wall time. */
async function loop(url: string, n: number): Promise<Float64Array> {
  const lat = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    const r = await fetch(url);
    await r.text();
    if (r.status !== 200) throw new Error(`GET ${url}: HTTP ${r.status}`);
    lat[i] = performance.now() - t0;
  }
  return lat;
}
function pct(a: Float64Array, q: number): number {
  const s = Float64Array.from(a).sort();
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? Number.NaN;
}
const mean = (a: Float64Array) => a.reduce((x, y) => x + y, 0) / a.length;

async function processes(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-cluster-bench-'));
  const procs: ChildProcess[] = [];
  const start = (args: string[]) => {
    const c = spawn(process.execPath, [VIGIL, ...args], { stdio: ['ignore', 'ignore', 'inherit'] });
    procs.push(c);
    return c;
  };
  try {
    writeFileSync(join(dir, 'vigil.yml'), 'global:\n  scrape_interval: 15s\n');
    const apiPort = await new PortAllocator(56000, 56499).allocate();
    const svcPort = await new PortAllocator(56500, 56999).allocate();
    const url = `http://127.0.0.1:${apiPort}`;
    start(['server', `--web.listen-address=127.0.0.1:${apiPort}`, `--config.file=${join(dir, 'vigil.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, '--log.level=error']);
    await waitFor('server', async () => (await fetch(`${url}/api/v1/nodes`)).ok, 20_000);
    for (const i of [0, 1]) {
      const low = 57000 + i * 1000;
      start(['agent', `--server=${url}`, `--node-name=bench-${i}`, `--data-dir=${join(dir, `agent-${i}`)}`, '--listen-address=127.0.0.1:0', `--port-range=${low}-${low + 999}`, '--capacity=cpu=64,memory=64Gi,pods=200', '--pod.drain-delay=0s', '--log.level=error']);
    }
    const get = async <T>(path: string): Promise<T> => (await (await fetch(`${url}${path}`)).json()) as T;
    await waitFor('two nodes', async () => (await get<{ items: Node[] }>('/api/v1/nodes')).items.length === 2, 20_000);
    const ctl = (...args: string[]) => run(process.execPath, [VIGIL, 'ctl', `--server=${url}`, ...args], { timeout: 30_000 });
    const pods = async () => (await get<{ items: Pod[] }>('/api/v1/namespaces/default/pods')).items;

    const readyAfterRest = async (n: number): Promise<void> => {
      const name = `rest${n}`;
      const t0 = performance.now();
      const r = await fetch(`${url}/apis/apps/v1/namespaces/default/deployments`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          metadata: { name, namespace: 'default' },
          spec: { replicas: n, selector: { matchLabels: { run: name } }, template: { metadata: { labels: { run: name } }, spec: { containers: [{ name: 'app', image: `${process.execPath} ${APP}`, ports: [{ name: 'http' }] }] } } },
        }),
      });
      if (r.status !== 201) throw new Error(`create deployment: HTTP ${r.status} ${await r.text()}`);
      await waitFor(`${n} ready pods`, async () => {
        const ps = (await pods()).filter((p) => p.metadata.labels?.run === name);
        return ps.length === n && ps.every(isReady);
      }, 120_000, 20);
      row(`REST create → all Ready, ${n} replica${n > 1 ? 's' : ''} (2 agents)`, `${((performance.now() - t0) / 1000).toFixed(2)} s`);
      await ctl('delete', 'deployment', name);
      await waitFor(`${name} pods gone`, async () => (await pods()).filter((p) => p.metadata.labels?.run === name).length === 0, 120_000, 100);
    };
    for (const n of [1, 10, 100]) {
      await readyAfterRest(n);
      const t0 = performance.now();
      await ctl('run', `app${n}`, `--image=${process.execPath} ${APP}`, `--replicas=${n}`);
      const tCreated = performance.now();
      let firstAll = 0;
      await waitFor(
        `${n} ready pods`,
        async () => {
          const ps = (await pods()).filter((p) => p.metadata.labels?.run === `app${n}`);
          if (firstAll === 0 && ps.length === n) firstAll = performance.now();
          return ps.length === n && ps.every(isReady);
        },
        120_000,
        20,
      );
      const t1 = performance.now();
      row(`ctl run → all Ready, ${n} replica${n > 1 ? 's' : ''} (2 agents)`, `${((t1 - t0) / 1000).toFixed(2)} s (the ctl process ${(tCreated - t0).toFixed(0)} ms; all ${n} pods existed at ${((firstAll - t0) / 1000).toFixed(2)} s)`);
      if (n === 1) {
        // Proxy cost against the one replica.
        await ctl('expose', 'deployment/app1', `--port=${svcPort}`);
        const ep = await waitFor(
          'endpoints',
          async () => {
            const e = await get<Endpoints>('/api/v1/namespaces/default/endpoints/app1');
            const port = e.subsets?.[0]?.ports?.[0]?.port;
            return (e.subsets?.[0]?.addresses ?? []).length === 1 && port !== undefined ? port : undefined;
          },
          20_000,
        );
        const direct = `http://127.0.0.1:${ep}/`;
        const proxied = `http://127.0.0.1:${svcPort}/`;
        await waitFor('proxy', async () => (await fetch(proxied)).ok, 20_000);
        await loop(direct, 200);
        await loop(proxied, 200);
        const N = 2000;
        const td = performance.now();
        const ld = await loop(direct, N);
        const wd = performance.now() - td;
        const tp = performance.now();
        const lp = await loop(proxied, N);
        const wp = performance.now() - tp;
        row(`direct, ${N} sequential GETs`, `${((N / wd) * 1000).toFixed(0)} req/s, mean ${mean(ld).toFixed(3)} ms, p50 ${pct(ld, 0.5).toFixed(3)} ms, p99 ${pct(ld, 0.99).toFixed(3)} ms`);
        row(`via Service proxy, ${N} sequential GETs`, `${((N / wp) * 1000).toFixed(0)} req/s, mean ${mean(lp).toFixed(3)} ms, p50 ${pct(lp, 0.5).toFixed(3)} ms, p99 ${pct(lp, 0.99).toFixed(3)} ms`);
        row('proxy added latency per request', `${(mean(lp) - mean(ld)).toFixed(3)} ms mean, ${(pct(lp, 0.5) - pct(ld, 0.5)).toFixed(3)} ms p50`);
        const lanes = 8;
        const per = 500;
        for (const [name, u] of [
          ['direct', direct],
          ['via Service proxy', proxied],
        ] as const) {
          const t = performance.now();
          await Promise.all(Array.from({ length: lanes }, () => loop(u, per)));
          row(`${name}, ${lanes} lanes × ${per} GETs`, `${(((lanes * per) / (performance.now() - t)) * 1000).toFixed(0)} req/s`);
        }
      }
      await ctl('delete', 'deployment', `app${n}`);
      await waitFor(`app${n} pods gone`, async () => (await pods()).filter((p) => p.metadata.labels?.run === `app${n}`).length === 0, 120_000, 100);
    }
  } finally {
    const agents = procs.slice(1);
    for (const c of agents) c.kill('SIGTERM');
    await Promise.all(agents.map((c) => new Promise((r) => (c.exitCode !== null ? r(null) : c.once('exit', r)))));
    procs[0]?.kill('SIGTERM');
    await new Promise((r) => (procs[0] === undefined || procs[0].exitCode !== null ? r(null) : procs[0].once('exit', r)));
    rmSync(dir, { recursive: true, force: true });
  }
}

async function controlPlane(pods: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-cp-bench-'));
  const store = new SqliteStore(join(dir, 'c.db'), { pollIntervalMs: 0, leaseSweepIntervalMs: 0 });
  const registry = new Registry(store, { eventTtlSeconds: 0 });
  await registry.ensureSystemNamespaces();
  const now = timestamp(Date.now());
  for (let i = 0; i < 10; i++) {
    const name = `n${i}`;
    const alloc = { cpu: '64', memory: '256Gi', pods: '500' };
    const n = (await registry.create(NODES, '', { apiVersion: 'v1', kind: 'Node', metadata: { name, labels: { 'kubernetes.io/hostname': name } }, spec: {} })) as Node;
    await registry.update(NODES, '', name, { ...n, status: { capacity: alloc, allocatable: alloc, conditions: [{ type: 'Ready', status: 'True', lastHeartbeatTime: now, lastTransitionTime: now }], addresses: [{ type: 'InternalIP', address: '127.0.0.1' }] } }, { subresource: 'status' });
  }
  const manager = new ControllerManager(registry, { identity: 'bench', disabled: ['node-lifecycle'] });
  await manager.start();
  try {
    await sleep(200);
    gc();
    const rss0 = rssMiB();
    const heap0 = process.memoryUsage().heapUsed / 2 ** 20;
    const t0 = performance.now();
    const dep: Deployment = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'big', namespace: 'default' },
      spec: { replicas: pods, selector: { matchLabels: { app: 'big' } }, template: { metadata: { labels: { app: 'big' } }, spec: { containers: [{ name: 'c', image: 'sleep 1000', ports: [{ name: 'http' }] }] } } },
    };
    await registry.create(DEPLOYMENTS, 'default', dep);
    let tCreated = 0;
    await waitFor(
      `${pods} bound pods`,
      async () => {
        const items = (await registry.list(PODS, 'default')).items as Pod[];
        if (tCreated === 0 && items.length >= pods) tCreated = performance.now();
        return items.length === pods && items.every((p) => p.spec.nodeName !== undefined && p.spec.nodeName !== '');
      },
      300_000,
      100,
    );
    const t1 = performance.now();
    gc();
    const rss1 = rssMiB();
    const heap1 = process.memoryUsage().heapUsed / 2 ** 20;
    row(`control plane: ${pods} pods created`, `${((pods / (tCreated - t0)) * 1000).toFixed(0)} pods/s (${((tCreated - t0) / 1000).toFixed(2)} s)`);
    row(`control plane: ${pods} pods created and bound`, `${((pods / (t1 - t0)) * 1000).toFixed(0)} pods/s (${((t1 - t0) / 1000).toFixed(2)} s)`);
    row('control plane memory per 1,000 pods', `RSS +${(((rss1 - rss0) * 1000) / pods).toFixed(1)} MiB, V8 heap +${(((heap1 - heap0) * 1000) / pods).toFixed(1)} MiB (RSS ${rss0.toFixed(0)} → ${rss1.toFixed(0)} MiB)`);
  } finally {
    await manager.stop();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  console.log('control plane in-process (registry + controllers, 10 nodes, no agents):');
  await controlPlane(Number(process.env.CLUSTER_BENCH_PODS ?? 1000));
  console.log('real processes (vigil server + 2 vigil agents, fixture app):');
  await processes();
  const w = Math.max(...rows.map((r) => r[0].length));
  console.log(`\n${'measure'.padEnd(w)}  value\n${'-'.repeat(w)}  -----`);
  for (const [k, v] of rows) console.log(`${k.padEnd(w)}  ${v}`);
}

await main();
