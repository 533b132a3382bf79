/**
 * End to end against real components: a real `prometheus-node-exporter` and a small
 * prom-client application scraped at 1 s by Vigil (the full server with its scrape part, storage read directly) and by a real
 * Prometheus 2.42 with the same configuration; the stored series (names and label sets)
 * must be equal, compared through Prometheus's `/api/v1/series` and Vigil's storage.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import Fastify from 'fastify';
import { Counter, Gauge, Histogram, Registry, Summary } from 'prom-client';
import { parseCommandArgs } from '../cmd/cli.js';
import { SERVER_FLAGS, serverFlagsFrom } from '../cmd/flags.js';
import { StructuredLogger } from '../cmd/logger.js';
import { startServer } from '../cmd/server.js';
import { readAll } from '../scrape/_test_support.js';
import { Labels } from '../tsdb/labels.js';
import { MemoryStorage } from '../tsdb/memory_storage.js';

const NODE_EXPORTER = '/usr/bin/prometheus-node-exporter';
const PROMETHEUS = '/usr/bin/prometheus';

/**
 * Families whose existence depends on when the exporter is asked, not on how it is scraped,
 * so two scrapers started a moment apart may legitimately disagree about them:
 * `node_textfile_*` (files dropped into the textfile directory appear between scrapes) and
 * `node_hwmon_*` / `node_thermal_zone_*` (sensor reads that fail intermittently in VMs and
 * containers make series come and go). On this machine none of them actually differed;
 * every other family, including the report series, is compared.
 */
const TIME_DEPENDENT = /^(node_textfile_|node_hwmon_|node_thermal_zone_)/;

async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a !== null ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

async function waitFor<T>(what: string, fn: () => Promise<T | null>, ms: number): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    try {
      const v = await fn();
      if (v !== null) return v;
    } catch {
      // not ready yet
    }
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function spawnLogged(cmd: string, args: string[], procs: ChildProcess[]): { log: () => string } {
  const p = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  procs.push(p);
  let log = '';
  p.stderr?.on('data', (b: Buffer) => {
    if (log.length < 50_000) log += b.toString();
  });
  return { log: () => log };
}

/** A small prom-client application on 127.0.0.1 (no default metrics: their GC series come and go). */
async function promClientApp(): Promise<{ port: number; close: () => Promise<void> }> {
  const registry = new Registry();
  const registers = [registry];
  const reqs = new Counter({ name: 'app_requests_total', help: 'Requests.', labelNames: ['route', 'code'], registers });
  const lat = new Histogram({ name: 'app_request_duration_seconds', help: 'Latency.', labelNames: ['route'], buckets: [0.01, 0.1, 1], registers });
  const size = new Summary({ name: 'app_payload_bytes', help: 'Payload "size" with\\ escapes.', percentiles: [0.5, 0.9, 0.99], registers });
  new Gauge({ name: 'app_queue_depth', help: 'Queue.', registers }).set(7);
  for (const [route, code] of [['/a', '200'], ['/a', '500'], ['/b"q"', '200']] as const) {
    reqs.labels(route, code).inc(3);
    lat.labels(route).observe(0.05);
  }
  size.observe(512);
  const app = Fastify();
  app.get('/metrics', async (_req, reply) => reply.header('content-type', registry.contentType).send(await registry.metrics()));
  await app.listen({ port: 0, host: '127.0.0.1' });
  return { port: (app.server.address() as { port: number }).port, close: () => app.close() };
}

test('node_exporter and a prom-client app scraped by Vigil and by Prometheus 2.42 store the same series', { timeout: 60_000 }, async (t) => {
  assert.ok(existsSync(NODE_EXPORTER), `${NODE_EXPORTER} is missing: install the Debian package "prometheus-node-exporter"`);
  assert.ok(existsSync(PROMETHEUS), `${PROMETHEUS} is missing: install the Debian package "prometheus"`);
  const dir = mkdtempSync(join(tmpdir(), 'vigil-scrape-e2e-'));
  const procs: ChildProcess[] = [];
  t.after(() => {
    for (const p of procs) p.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  });

  const nePort = await freePort();
  spawnLogged(NODE_EXPORTER, [`--web.listen-address=127.0.0.1:${nePort}`], procs);
  await waitFor('node_exporter', async () => ((await fetch(`http://127.0.0.1:${nePort}/metrics`)).ok ? true : null), 10_000);

  const app = await promClientApp();
  t.after(() => app.close());

  const cfg = join(dir, 'prometheus.yml');
  writeFileSync(
    cfg,
    `global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\nscrape_configs:\n  - job_name: node\n    static_configs:\n      - targets: ['127.0.0.1:${nePort}']\n        labels: {env: e2e}\n    metric_relabel_configs:\n      - {source_labels: [__name__], regex: 'node_cpu_guest_seconds_total', action: drop}\n  - job_name: app\n    honor_labels: false\n    static_configs:\n      - targets: ['127.0.0.1:${app.port}']\n    relabel_configs:\n      - {source_labels: [__address__], target_label: shard, modulus: 4, action: hashmod}\n`,
  );

  const promPort = await freePort();
  const prom = spawnLogged(PROMETHEUS, [`--config.file=${cfg}`, `--web.listen-address=127.0.0.1:${promPort}`, `--storage.tsdb.path=${join(dir, 'data')}`], procs);
  const storage = new MemoryStorage();
  // No local node agent: its node's lease series (cluster/failover) are not scraped and would differ from Prometheus.
  const flags = serverFlagsFrom(parseCommandArgs(['--web.listen-address=127.0.0.1:0', `--config.file=${cfg}`, `--storage.tsdb.path=${join(dir, 'vigil-data')}`, '--no-cluster.local-agent'], SERVER_FLAGS, { min: 0, max: 0 }));
  const vigil = await startServer(flags, {
    logger: new StructuredLogger({ level: 'error', caller: false, sink: { write: () => {} } }),
    openStorage: async () => storage,
  });
  t.after(() => vigil.close());
  const start = Date.now();

  // Both have scraped at least 3 times.
  await waitFor(
    'Vigil scrapes',
    async () => {
      const all = await readAll(storage);
      const up = all.find((s) => s.record.__name__ === 'up');
      return up !== undefined && up.ts.length >= 3 ? true : null;
    },
    15_000,
  );
  await waitFor(
    `Prometheus scrapes\n${prom.log()}`,
    async () => {
      const r = await fetch(`http://127.0.0.1:${promPort}/api/v1/query?query=count_over_time(up[1m])`);
      const body = (await r.json()) as { data: { result: { value: [number, string] }[] } };
      return Number(body.data.result[0]?.value[1] ?? 0) >= 3 ? true : null;
    },
    15_000,
  );

  const targets = (await (await fetch(`${vigil.url}/api/v1/targets`)).json()) as { data: { activeTargets: { health: string; lastError: string; labels: Record<string, string> }[] } };
  assert.equal(targets.data.activeTargets.length, 2);
  for (const at of targets.data.activeTargets) assert.equal(at.health, 'up', at.lastError);
  assert.deepEqual(targets.data.activeTargets.find((x) => x.labels.job === 'node')?.labels, { env: 'e2e', instance: `127.0.0.1:${nePort}`, job: 'node' });

  const end = Date.now() + 1000;
  const res = await fetch(
    `http://127.0.0.1:${promPort}/api/v1/series?match[]=${encodeURIComponent('{job=~"node|app"}')}&start=${(start - 60_000) / 1000}&end=${end / 1000}`,
  );
  const theirs = ((await res.json()) as { data: Record<string, string>[] }).data.map((r) => Labels.from(r).toString());
  const mine = (await readAll(storage)).map((s) => s.labels);
  const keep = (l: string) => !TIME_DEPENDENT.test(/__name__="([^"]*)"/.exec(l)?.[1] ?? '');
  const a = new Set(theirs.filter(keep));
  const b = new Set(mine.filter(keep));
  const onlyProm = [...a].filter((x) => !b.has(x)).sort();
  const onlyVigil = [...b].filter((x) => !a.has(x)).sort();
  assert.deepEqual({ onlyProm: onlyProm.slice(0, 20), onlyVigil: onlyVigil.slice(0, 20) }, { onlyProm: [], onlyVigil: [] });
  assert.ok(a.size > 200, `only ${a.size} series compared`);
  assert.equal(theirs.filter((l) => l.includes('node_cpu_guest_seconds_total')).length, 0);
  // The prom-client application: histogram, summary, escaped label values and the hashmod shard agree too.
  const appSeries = [...a].filter((l) => l.includes('job="app"'));
  assert.ok(appSeries.length >= 20, `${appSeries.length} app series`);
  assert.ok(appSeries.some((l) => l.includes('route="/b\\"q\\""')));
  assert.ok(appSeries.every((l) => /shard="[0-3]"/.test(l)));
});
