import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import Fastify from 'fastify';
import { UsageError } from '../../cmd/cli.js';
import { clusterApi } from '../api/http.js';
import type { Node, Pod } from '../api/objects.js';
import { Registry } from '../api/registry.js';
import { SqliteStore } from '../store/sqlite_store.js';
import { parseCapacity, parseKeyValues, parseLabels } from './agent_command.js';
import { ApiClient, NODES, PODS } from './api_client.js';

const VIGIL = fileURLToPath(new URL('../../cmd/vigil.js', import.meta.url));
const APP = fileURLToPath(new URL('../../../test/fixtures/http_app.mjs', import.meta.url));

/** Running (not gone, not a zombie). */
function alive(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0] !== 'Z';
  } catch {
    return false;
  }
}

test('agent flags: labels and capacity parse, and mistakes name the flag and the bad part', () => {
  assert.deepEqual(parseKeyValues('a=1, b = 2', 'labels'), { a: '1', b: '2' });
  assert.deepEqual(parseKeyValues('', 'labels'), {});
  assert.deepEqual(parseLabels('zone=z1,vigil.dev/role=edge'), { zone: 'z1', 'vigil.dev/role': 'edge' });
  assert.throws(() => parseLabels('zone'), (e: unknown) => e instanceof UsageError && /--labels: expected key=value pairs.*got "zone"/.test(e.message));
  assert.throws(() => parseLabels('bad key=1'), (e: unknown) => e instanceof UsageError && /--labels: key "bad key"/.test(e.message));
  const cap = parseCapacity('cpu=2,memory=4Gi');
  assert.equal(cap.cpu, '2');
  assert.equal(cap.memory, '4Gi');
  assert.ok(Number(parseCapacity('').cpu) >= 1, 'default cpu is the machine cores');
  assert.throws(() => parseCapacity('gpu=1'), /unknown resource "gpu"/);
  assert.throws(() => parseCapacity('memory=lots'), /memory="lots" is not a quantity/);
});

test('vigil agent as a process: registers, runs a bound pod, reaps it after a SIGKILLed run, and on SIGTERM stops the pod and reports the node not Ready', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-agent-cmd-'));
  const store = new SqliteStore(join(dir, 'c.db'), { pollIntervalMs: 0, leaseSweepIntervalMs: 0 });
  const registry = new Registry(store);
  await registry.ensureSystemNamespaces();
  const app = Fastify();
  await app.register(clusterApi, { registry, maxWatchSeconds: 5 });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const a = app.server.address();
  const url = `http://127.0.0.1:${typeof a === 'object' && a !== null ? a.port : 0}`;
  const args = [VIGIL, 'agent', `--server=${url}`, '--node-name=proc-node', `--data-dir=${join(dir, 'agent')}`, '--listen-address=127.0.0.1:0', '--port-range=46000-46999', '--labels=role=test', '--pod.drain-delay=200ms'];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (b: Buffer) => {
    stderr += b.toString();
  });
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  t.after(async () => {
    child.kill('SIGKILL');
    app.server.closeAllConnections();
    await app.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const client = new ApiClient(url);
  const until = async <T>(what: string, fn: () => Promise<T | undefined>): Promise<T> => {
    for (let i = 0; i < 400; i++) {
      const v = await fn().catch(() => undefined);
      if (v !== undefined) return v;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error(`timed out waiting for ${what}; agent stderr:\n${stderr}`);
  };
  const node = await until('node', async () => (await client.tryGet<Node>(NODES, 'proc-node')) ?? undefined);
  assert.equal(node.metadata.labels?.role, 'test');
  assert.match(stderr, /isolation=(process-group|cgroup2)/);
  await client.create<Pod>(PODS('default'), {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p1', namespace: 'default' },
    spec: { nodeName: 'proc-node', terminationGracePeriodSeconds: 3, containers: [{ name: 'app', image: `${process.execPath} ${APP}`, ports: [{ name: 'http' }] }] },
  });
  const pid = await until('pod running', async () => {
    const p = await client.get<Pod>(PODS('default'), 'p1');
    const id = p.status?.containerStatuses?.[0]?.containerID;
    return p.status?.phase === 'Running' && id !== undefined ? Number(id.replace('pid://', '')) : undefined;
  });
  assert.doesNotThrow(() => process.kill(pid, 0));
  // Wait until the app serves (it has installed its SIGTERM handler by then).
  await until('app serving', async () => {
    const p = await client.get<Pod>(PODS('default'), 'p1');
    const port = (JSON.parse(p.metadata.annotations?.['vigil.dev/host-ports'] ?? '{}') as Record<string, number>).http;
    return port !== undefined && (await fetch(`http://127.0.0.1:${port}/`)).ok ? true : undefined;
  });

  // An agent killed outright leaves its pod's process; the next agent run kills it and starts the pod again.
  child.kill('SIGKILL');
  await exited;
  assert.doesNotThrow(() => process.kill(pid, 0), 'the pod process outlives a SIGKILLed agent');
  const second = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  second.stderr.on('data', (b: Buffer) => {
    stderr += b.toString();
  });
  const exited2 = new Promise<number | null>((r) => second.once('exit', (code) => r(code)));
  t.after(() => second.kill('SIGKILL'));
  const pid2 = await until('pod running again', async () => {
    const p = await client.get<Pod>(PODS('default'), 'p1');
    const id = Number(p.status?.containerStatuses?.[0]?.containerID?.replace('pid://', '') ?? '0');
    return id !== 0 && id !== pid ? id : undefined;
  });
  assert.match(stderr, /killed container processes left by a previous agent run/);
  assert.equal(alive(pid), false, 'the orphan was killed');
  await until('app serving again', async () => {
    const p = await client.get<Pod>(PODS('default'), 'p1');
    const port = (JSON.parse(p.metadata.annotations?.['vigil.dev/host-ports'] ?? '{}') as Record<string, number>).http;
    return port !== undefined && (await fetch(`http://127.0.0.1:${port}/`)).ok ? true : undefined;
  });
  second.kill('SIGTERM');
  const code = await exited2;
  assert.equal(code, 0, `exit code ${code}; agent stderr:\n${stderr}`);
  assert.equal(alive(pid2), false, 'the pod process is gone after the agent stopped');
  const after = await client.get<Node>(NODES, 'proc-node');
  assert.equal(after.status?.conditions?.[0]?.status, 'False');
  const p = await client.get<Pod>(PODS('default'), 'p1');
  assert.equal(p.status?.containerStatuses?.[0]?.state.terminated?.exitCode, 0);
});
