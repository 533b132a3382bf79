/**
 * The cluster as separate real processes: the built `vigil server` (cluster part,
 * SQLite store), three `vigil agent` processes (own data dirs, Service proxies on
 * 127.0.0.2/3/4) and `vigil ctl` for every change. The fixture app
 * (test/fixtures/http_app.mjs) is deployed with `ctl run` + `ctl expose`, scaled
 * 1 → 4 → 2 with `ctl scale`; after each step the pods are Ready (`ctl get pods
 * -o json`) and the Service proxy on one agent answers from exactly the ready
 * replicas (each reply names its port), not from a removed one.
 * Takes ~20 s on an idle 2-core machine; the waits are bounded generously (tens of
 * seconds) because `npm test` runs three files at once next to other work.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { PortAllocator } from '../cluster/agent/ports.js';
import type { Endpoints, Pod } from '../cluster/api/objects.js';
import { clusterCredentials } from './cluster_credentials.js';

const VIGIL = fileURLToPath(new URL('../cmd/vigil.js', import.meta.url));
const APP = fileURLToPath(new URL('../../test/fixtures/http_app.mjs', import.meta.url));
const run = promisify(execFile);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Whether this machine lets a socket bind 127.0.0.2 (Linux routes 127/8 to lo; other systems may not). */
function canBind(host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen({ host, port: 0 }, () => s.close(() => resolve(true)));
  });
}

async function waitFor<T>(what: string, fn: () => Promise<T | undefined | null | false>, timeoutMs: number, diag: () => string = () => ''): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined && v !== null && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${diag()}`);
    await sleep(100);
  }
}

interface Proc {
  name: string;
  child: ChildProcess;
  output: string;
  exited: Promise<void>;
}

function start(name: string, args: string[]): Proc {
  const child = spawn(process.execPath, [VIGIL, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const p: Proc = { name, child, output: '', exited: new Promise((r) => child.once('exit', () => r())) };
  const keep = (b: Buffer) => {
    p.output = (p.output + b.toString()).slice(-4000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return p;
}

/** SIGTERM (agents stop their pods), then SIGKILL after `graceMs`. */
async function stop(p: Proc, graceMs: number): Promise<void> {
  if (p.child.exitCode !== null || p.child.signalCode !== null) return;
  p.child.kill('SIGTERM');
  const timer = setTimeout(() => p.child.kill('SIGKILL'), graceMs);
  await p.exited;
  clearTimeout(timer);
}

const readyOf = (p: Pod) => p.metadata.deletionTimestamp === undefined && (p.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');

test('server, three agents and ctl as separate processes: run, scale 1 → 4 → 2, the Service proxy spreads over exactly the ready replicas', async (t) => {
  for (const h of ['127.0.0.2', '127.0.0.3', '127.0.0.4']) {
    if (!(await canBind(h))) {
      t.skip(`cannot bind ${h} here (loopback aliases beyond 127.0.0.1 are not routed to lo on this system)`);
      return;
    }
  }
  const dir = mkdtempSync(join(tmpdir(), 'vigil-multiproc-'));
  const procs: Proc[] = [];
  t.after(async () => {
    // Agents first (they stop their pods), then the server.
    await Promise.all(procs.filter((p) => p.name !== 'server').map((p) => stop(p, 8000)));
    await Promise.all(procs.filter((p) => p.name === 'server').map((p) => stop(p, 5000)));
    rmSync(dir, { recursive: true, force: true });
  });
  const diag = () => `\n${procs.map((p) => `--- ${p.name} (last output):\n${p.output.slice(-1500)}`).join('\n')}`;

  const cfg = join(dir, 'vigil.yml');
  writeFileSync(cfg, 'global:\n  scrape_interval: 15s\n');
  const apiPort = await new PortAllocator(53000, 53499).allocate();
  const svcPort = await new PortAllocator(53500, 53999).allocate();
  const url = `http://127.0.0.1:${apiPort}`;
  procs.push(start('server', ['server', `--web.listen-address=127.0.0.1:${apiPort}`, `--config.file=${cfg}`, `--storage.tsdb.path=${join(dir, 'data')}`, '--log.level=warn', '--no-cluster.local-agent']));
  await waitFor('the server API', async () => (await fetch(`${url}/api/v1/nodes`)).ok, 30_000, diag);

  // Credentials, as an administrator on the server's machine makes them: the admin token the
  // server wrote for ctl, and a node credential per agent signed with the server's key.
  const creds = await clusterCredentials(join(dir, 'data'));
  const adminToken = creds.adminToken;
  const nodes = ['node-a', 'node-b', 'node-c'];
  for (const [i, name] of nodes.entries()) {
    const low = 52000 + i * 300;
    const tokenFile = creds.nodeTokenFile(name, join(dir, `${name}.token`));
    procs.push(
      start(name, [
        'agent',
        `--server=${url}`,
        `--node-name=${name}`,
        `--data-dir=${join(dir, name)}`,
        `--listen-address=127.0.0.${i + 2}:0`,
        `--port-range=${low}-${low + 299}`,
        `--proxy.bind-address=127.0.0.${i + 2}`,
        '--pod.drain-delay=100ms',
        `--token-file=${tokenFile}`,
        '--log.level=warn',
      ]),
    );
  }
  const ctl = async (...args: string[]): Promise<string> => (await run(process.execPath, [VIGIL, 'ctl', `--server=${url}`, `--token=${adminToken}`, ...args], { timeout: 30_000 })).stdout;
  let lastNodes = '(none yet)';
  await waitFor(
    'three Ready nodes',
    async () => {
      const out = await ctl('get', 'nodes', '-o', 'json');
      lastNodes = out.slice(0, 3000);
      const items = (JSON.parse(out) as { items: { status?: { conditions?: { type: string; status: string }[] } }[] }).items;
      return items.length === 3 && items.every((n) => (n.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True'));
    },
    40_000,
    () => `\nlast \`ctl get nodes -o json\`: ${lastNodes}${diag()}`,
  );

  assert.match(await ctl('run', 'web', `--image=${process.execPath} ${APP}`, '--replicas=1'), /deployment\.apps\/web created/);
  assert.match(await ctl('expose', 'deployment/web', `--port=${svcPort}`), /service\/web exposed/);

  const pods = async (): Promise<Pod[]> => (JSON.parse(await ctl('get', 'pods', '-l', 'run=web', '-o', 'json')) as { items: Pod[] }).items;
  const endpointPorts = async (): Promise<string[]> => {
    const ep = (await (await fetch(`${url}/api/v1/namespaces/default/endpoints/web`)).json()) as Endpoints;
    return (ep.subsets ?? []).flatMap((s) => (s.addresses ?? []).map(() => String(s.ports?.[0]?.port))).sort();
  };
  const through = async (host: string, n: number): Promise<Set<string>> => {
    const seen = new Set<string>();
    for (let i = 0; i < n; i++) {
      const body = await (await fetch(`http://${host}:${svcPort}/`)).text();
      const [version, port] = body.trim().split(' ');
      assert.equal(version, 'v1');
      seen.add(port ?? '');
    }
    return seen;
  };

  /** Waits for exactly `n` pods, all Ready, `n` endpoints, and the proxy on 127.0.0.2 answering from exactly those. */
  const settle = async (n: number): Promise<Pod[]> => {
    const ready = await waitFor(
      `${n} Ready pods and nothing else`,
      async () => {
        const ps = await pods();
        return ps.length === n && ps.every(readyOf) ? ps : undefined;
      },
      40_000,
      diag,
    );
    const ports = await waitFor(`${n} endpoints`, async () => {
      const p = await endpointPorts();
      return p.length === n ? p : undefined;
    }, 20_000, diag);
    let last: string[] = [];
    await waitFor(
      `the proxy on 127.0.0.2 answering from exactly the ${n} ready replicas ${ports.join(',')}`,
      async () => {
        last = [...(await through('127.0.0.2', 3 * n))].sort();
        return last.join(',') === ports.join(',');
      },
      20_000,
      () => `; last saw ${last.join(',')}${diag()}`,
    );
    return ready;
  };

  const one = await settle(1);
  assert.equal(one.length, 1);

  assert.match(await ctl('scale', 'deployment/web', '--replicas=4'), /deployment\.apps\/web scaled/);
  const four = await settle(4);
  const placed = new Set(four.map((p) => p.spec.nodeName));
  assert.equal(placed.size, 3, `four replicas spread over all three nodes: ${[...placed]}`);
  // Every agent runs the same Service proxy: the other two answer from all four replicas as well.
  for (const host of ['127.0.0.3', '127.0.0.4']) assert.equal((await through(host, 8)).size, 4, `proxy on ${host}`);

  assert.match(await ctl('scale', 'deployment/web', '--replicas=2'), /deployment\.apps\/web scaled/);
  const two = await settle(2);
  assert.ok(two.every((p) => four.some((q) => q.metadata.uid === p.metadata.uid)), 'scaling down keeps two of the existing replicas');
  // After settling, no request reaches a removed replica.
  const expected = (await endpointPorts()).join(',');
  assert.equal([...(await through('127.0.0.2', 12))].sort().join(','), expected);
});
