/**
 * Helpers for the remote storage end-to-end tests: real peers (Prometheus 2.42,
 * VictoriaMetrics) started as child processes on free loopback ports with temporary
 * data directories, an in-process Vigil server, and bounded polling.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseCommandArgs } from '../cmd/cli.js';
import { SERVER_FLAGS, serverFlagsFrom } from '../cmd/flags.js';
import { StructuredLogger } from '../cmd/logger.js';
import { type RunningServer, type StartServerOptions, startServer } from '../cmd/server.js';
import { MemoryStorage } from '../tsdb/memory_storage.js';
import { RemoteStorage, type RemoteStorageOptions } from '../tsdb/remote/remote_storage.js';

export type After = { after(fn: () => Promise<void> | void): void };

/** A free TCP port on 127.0.0.1. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export function tempDir(t: After, prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Polls `check` every 100 ms until it returns true; fails after `ms` with the last error. */
export async function eventually(what: string, check: () => Promise<boolean>, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  let last = '';
  while (Date.now() < deadline) {
    try {
      if (await check()) return;
    } catch (e) {
      last = e instanceof Error ? e.message : String(e);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail(`timed out after ${ms} ms waiting for ${what}${last ? ` (last error: ${last})` : ''}`);
}

/** A child process peer. */
export interface Peer {
  base: string;
  port: number;
  child: ChildProcess;
  logs: () => string;
  /** Stops the process (SIGTERM, then SIGKILL after 5 s) and waits for it to exit. */
  stop: () => Promise<void>;
}

function launch(t: After, cmd: string, args: string[], port: number, readyPath: string): Promise<Peer> {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr?.on('data', (b: Buffer) => (out += b.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  };
  t.after(stop);
  const base = `http://127.0.0.1:${port}`;
  const peer: Peer = { base, port, child, logs: () => out, stop };
  return (async () => {
    await eventually(`${cmd} to become ready`, async () => {
      if (child.exitCode !== null) throw new Error(`${cmd} exited with ${child.exitCode}: ${out.slice(-2000)}`);
      return (await fetch(base + readyPath)).status === 200;
    }, 20_000);
    return peer;
  })();
}

/** Starts Prometheus 2.42 with `config` (YAML). `port` may be fixed to restart on the same address. */
export async function startPrometheus(t: After, dir: string, config: string, extra: string[] = [], fixedPort?: number): Promise<Peer> {
  const port = fixedPort ?? (await freePort());
  const cfg = join(dir, 'prometheus.yml');
  writeFileSync(cfg, config);
  return launch(
    t,
    'prometheus',
    [`--config.file=${cfg}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn', ...extra],
    port,
    '/-/ready',
  );
}

/** Starts VictoriaMetrics single-node (receives remote write at /api/v1/write). */
export async function startVictoria(t: After, dir: string, fixedPort?: number): Promise<Peer> {
  const port = fixedPort ?? (await freePort());
  return launch(
    t,
    '/usr/bin/victoria-metrics',
    [`-httpListenAddr=127.0.0.1:${port}`, `-storageDataPath=${join(dir, 'vm')}`, '-loggerLevel=ERROR', '-search.latencyOffset=0s', '-search.disableCache'],
    port,
    '/health',
  );
}

/** Starts an in-process Vigil server over a `RemoteStorage(MemoryStorage)`. */
export async function startVigil(
  t: After,
  dir: string,
  config: string,
  args: string[] = [],
  opts: RemoteStorageOptions = {},
  extra: StartServerOptions = {},
): Promise<{ server: RunningServer; storage: RemoteStorage }> {
  const cfg = join(dir, 'vigil.yml');
  writeFileSync(cfg, config);
  // No local node agent: its node's lease series (cluster/failover, appended every second) would be remote-written too.
  const flags = serverFlagsFrom(parseCommandArgs(['--web.listen-address=127.0.0.1:0', `--config.file=${cfg}`, `--storage.tsdb.path=${join(dir, 'data')}`, '--no-cluster.local-agent', ...args], SERVER_FLAGS, { min: 0, max: 0 }));
  let storage: RemoteStorage | null = null;
  const lines: string[] = [];
  const server = await startServer(flags, {
    logger: new StructuredLogger({ level: 'warn', caller: false, sink: { write: (l) => void lines.push(l) } }),
    openStorage: async () => {
      storage = new RemoteStorage(new MemoryStorage(), { flushDeadlineMs: 2000, shardUpdateIntervalMs: 1000, ...opts });
      return storage;
    },
    ...extra,
  });
  t.after(() => server.close());
  return { server, storage: storage! };
}

/** GET a Prometheus-style JSON API path and return `data`. */
export async function apiData<T>(base: string, path: string): Promise<T> {
  const res = await fetch(base + path);
  const body = (await res.json()) as { status: string; data: T; error?: string };
  if (res.status !== 200 || body.status !== 'success') throw new Error(`${path}: HTTP ${res.status}: ${body.error ?? ''}`);
  return body.data;
}

/** Raw samples of every series matching `selector` over the last `range` at `time` (s), via a range-vector instant query. */
export async function rawSamples(base: string, selector: string, range: string, time: number): Promise<Map<string, [number, string][]>> {
  const data = await apiData<{ result: { metric: Record<string, string>; values: [number, string][] }[] }>(
    base,
    `/api/v1/query?query=${encodeURIComponent(`${selector}[${range}]`)}&time=${time}`,
  );
  const out = new Map<string, [number, string][]>();
  for (const r of data.result) out.set(seriesKey(r.metric), r.values.map(([ts, v]) => [Math.round(ts * 1000), v]));
  return out;
}

/** A canonical string for a label record. */
export function seriesKey(m: Record<string, string>): string {
  return JSON.stringify(Object.entries(m).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)));
}
