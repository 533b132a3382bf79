/**
 * Scrape cost: CPU seconds per million scraped samples (fetch + parse + relabel + append)
 * for 100 targets × 1,000 series at a 1 s interval, served from 127.0.0.1 by a child
 * process (so serving costs are not counted), measured from this process's own CPU time
 * (`process.cpuUsage`). Then, on the same targets and the same scrape config, whole servers
 * measured from outside (`/proc/<pid>/stat` and their ingested-samples counters): `vigil
 * server`, and Prometheus and VictoriaMetrics where installed (reference_servers.ts); and
 * the anchor figures the shared harness measured for Prometheus 2.42 and VictoriaMetrics 1.79.
 *
 *   npx tsc -p . && node dist/bench/scrape_bench.js [--targets 100] [--series 1000] [--warmup 10] [--seconds 20] [--no-servers]
 *
 * `--tsdb-only` measures the TSDB case alone; `--profile FILE` writes a CPU profile of its measured seconds
 * (with `--heap`, a sampling heap profile of what they allocate, collected objects included).
 *
 * Three storages: the TSDB `vigil server` uses (head, head chunk files and WAL in a temporary
 * directory: the figure comparable to the peers', whose figures include their TSDB's append and
 * WAL), `MemoryStorage`, and a sink that discards samples (the scrape path alone).
 * Every target's relabel_configs and metric_relabel_configs hold one rule each, so the
 * relabeling path is exercised (on cache misses; cached series skip it, as in Prometheus).
 */
import { type ChildProcess, fork, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import inspector from 'node:inspector';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { scrapeConfigs } from '../scrape/_test_support.js';
import { ScrapeManager } from '../scrape/manager.js';
import { ScrapeLoop } from '../scrape/scrape_loop.js';
import { targetsFromGroup } from '../scrape/target.js';
import { freePort } from '../test/remote_peers.js';
import { type ServerFigures, measureServer, referenceProfiles, vigilProfile } from './reference_servers.js';
import { openDB } from '../tsdb/db.js';
import { MemoryStorage } from '../tsdb/memory_storage.js';
import type { Appendable, Appender, SeriesRef } from '../tsdb/storage.js';

/** Accepts and discards every sample: isolates the scrape path from the storage's cost. */
class DiscardAppendable implements Appendable {
  private next = 1;
  appender(): Appender {
    return {
      append: (ref: SeriesRef) => (ref !== 0 ? ref : (this.next++ as SeriesRef)),
      commit: async () => {},
      rollback: async () => {},
    };
  }
}

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
}

const TARGETS = arg('targets', 100);
const SERIES = arg('series', 1000);
const WARMUP_S = arg('warmup', 10);
const SECONDS = arg('seconds', 20);
const profileAt = process.argv.indexOf('--profile');
/** `--profile FILE`: a V8 CPU profile of the measured seconds only (not the warm-up), for the first storage. */
let profileTo: string | undefined = profileAt > 0 ? process.argv[profileAt + 1] : undefined;

/** Starts the V8 profiler in this process; the returned function stops it and writes the profile. */
async function startProfile(): Promise<(file: string) => Promise<void>> {
  const session = new inspector.Session();
  session.connect();
  const post = (method: string, params?: object) =>
    new Promise<unknown>((resolve, reject) => session.post(method, params, (err, res) => (err ? reject(err) : resolve(res))));
  const heap = process.argv.includes('--heap');
  if (heap) {
    await post('HeapProfiler.enable');
    await post('HeapProfiler.startSampling', { samplingInterval: 4096, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
  } else {
    await post('Profiler.enable');
    await post('Profiler.start');
  }
  return async (file) => {
    const res = (await post(heap ? 'HeapProfiler.stopSampling' : 'Profiler.stop')) as { profile: object };
    writeFileSync(file, JSON.stringify(res.profile));
    session.disconnect();
    profileTo = undefined;
    console.log(`CPU profile of the measured seconds written to ${file}`);
  };
}

/** node_exporter-shaped body template: `[prefix, suffix]` pairs around each value. */
function template(series: number, target: number): string[] {
  const lines: string[] = [];
  const modes = ['idle', 'iowait', 'irq', 'nice', 'softirq', 'steal', 'system', 'user'];
  let n = 0;
  lines.push('# HELP node_cpu_seconds_total Seconds the CPUs spent in each mode.\n# TYPE node_cpu_seconds_total counter\n');
  for (let cpu = 0; n < series * 0.4; cpu++) {
    for (const m of modes) {
      if (n >= series * 0.4) break;
      lines.push(`node_cpu_seconds_total{cpu="${cpu}",mode="${m}"} `);
      n++;
    }
  }
  lines.push('# HELP node_network_receive_bytes_total Network device statistic.\n# TYPE node_network_receive_bytes_total counter\n');
  for (let d = 0; n < series * 0.7; d++, n++) lines.push(`node_network_receive_bytes_total{device="eth${d}",target="t${target}"} `);
  lines.push('# HELP http_request_duration_seconds Latency.\n# TYPE http_request_duration_seconds histogram\n');
  const les = ['0.005', '0.01', '0.025', '0.05', '0.1', '0.25', '0.5', '1', '2.5', '5', '+Inf'];
  for (let h = 0; n < series; h++) {
    for (const le of les) {
      if (n >= series) break;
      lines.push(`http_request_duration_seconds_bucket{handler="/api/v${h}",le="${le}"} `);
      n++;
    }
  }
  return lines;
}

/** Child: serve the targets, print their ports, run until killed (bounded by 10 minutes). */
async function serve(): Promise<void> {
  const ports: number[] = [];
  for (let t = 0; t < TARGETS; t++) {
    const parts = template(SERIES, t);
    let step = 0;
    const server = http.createServer((_req, res) => {
      step++;
      let body = '';
      for (let i = 0; i < parts.length; i++) {
        const p = parts[i]!;
        body += p;
        if (p.endsWith(' ')) body += `${(i * 13.7 + step * (i % 7)).toFixed(1)}\n`;
      }
      res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4' });
      res.end(body);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    ports.push((server.address() as AddressInfo).port);
  }
  process.send?.({ ports });
  setTimeout(() => process.exit(0), 600_000).unref();
}

interface Measured {
  perM: number;
  scrapes: number;
  samples: number;
  cpuS: number;
  sysS: number;
  wall: number;
  down: string[];
}

/** The scrape config every measured scraper gets: one job over the synthetic targets, one rule of each kind. */
function scrapeYaml(ports: number[]): string {
  return `scrape_configs:
  - job_name: bench
    scrape_interval: 1s
    scrape_timeout: 1s
    relabel_configs:
      - {source_labels: [__address__], regex: '127\\.0\\.0\\.1:(\\d+)', target_label: port, replacement: 'p$1'}
    metric_relabel_configs:
      - {source_labels: [__name__], regex: 'go_.*', action: drop}
    static_configs:
      - targets: [${ports.map((p) => `'127.0.0.1:${p}'`).join(', ')}]
`;
}

async function measure(ports: number[], appendable: Appendable): Promise<Measured> {
  const yaml = scrapeYaml(ports);
  const m = new ScrapeManager(appendable, { discoveryCoalesceMs: 0 });
  m.applyConfig(scrapeConfigs(yaml));
  await new Promise((r) => setTimeout(r, WARMUP_S * 1000));
  const loops = m.pool('bench')!.activeLoops();
  const scrapes0 = m.stats.scrapes;
  const profile = profileTo !== undefined ? await startProfile() : undefined;
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  await new Promise((r) => setTimeout(r, SECONDS * 1000));
  const cpu = process.cpuUsage(cpu0);
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  if (profile !== undefined && profileTo !== undefined) await profile(profileTo);
  const scrapes = m.stats.scrapes - scrapes0;
  const down = loops.filter((l) => l.health !== 'up').map((l) => l.lastError);
  await m.stop();
  const cpuS = (cpu.user + cpu.system) / 1e6;
  // Scraped samples plus the 5 report samples per scrape (Prometheus's head counter includes both).
  const samples = scrapes * (SERIES + 5);
  return { perM: cpuS / (samples / 1e6), scrapes, samples, cpuS, sysS: cpu.system / 1e6, wall, down };
}

/**
 * The append path alone, without HTTP: `appendBody` (parse, cache lookup, relabel on misses,
 * staleness tracking, append to a discarding appender) over pre-built bodies, as a steady
 * figure that does not depend on the machine's network stack or load from other processes.
 */
async function measureAppendPath(sink: Appendable): Promise<number> {
  const cfg = scrapeConfigs(`scrape_configs:
  - job_name: bench
    metric_relabel_configs:
      - {source_labels: [__name__], regex: 'go_.*', action: drop}
`)[0]!;
  const bodies: Uint8Array[] = [];
  const parts = template(SERIES, 0);
  for (let step = 0; step < 8; step++) {
    let body = '';
    for (let i = 0; i < parts.length; i++) {
      body += parts[i]!;
      if (parts[i]!.endsWith(' ')) body += `${(i * 13.7 + step * (i % 7)).toFixed(1)}\n`;
    }
    bodies.push(new TextEncoder().encode(body));
  }
  const loops = Array.from({ length: TARGETS }, (_, i) => {
    const t = targetsFromGroup({ targets: [{ __address__: `10.0.${i >> 8}.${i & 255}:9100` }], labels: {}, source: '0' }, cfg).active[0]!;
    return new ScrapeLoop(t, cfg, sink);
  });
  const rounds = 20;
  let samples = 0;
  // One warm-up round fills the caches (the steady state of a scrape loop).
  const t0 = Date.now();
  for (const l of loops) {
    const app = sink.appender();
    l.appendBody(app, bodies[0]!, 'text/plain; version=0.0.4', t0);
    await app.commit();
  }
  const cpu0 = process.cpuUsage();
  for (let r = 1; r <= rounds; r++) {
    for (const l of loops) {
      const app = sink.appender();
      const res = l.appendBody(app, bodies[r % bodies.length]!, 'text/plain; version=0.0.4', t0 + r * 1000);
      await app.commit();
      samples += res.total;
    }
  }
  const cpu = process.cpuUsage(cpu0);
  return (cpu.user + cpu.system) / 1e6 / (samples / 1e6);
}

/**
 * The synthetic targets, in a child process: the shared harness's exporter when it is
 * there (`../shared/bench/exporter.mjs`: the targets the Prometheus and VictoriaMetrics
 * anchors were measured on, node_exporter-shaped, full-precision values), else (or with
 * `--own-targets`) this file's simpler template.
 */
async function startTargets(): Promise<{ child: ChildProcess; ports: number[]; what: string }> {
  const exporter = fileURLToPath(new URL('../../../shared/bench/exporter.mjs', import.meta.url));
  if (!process.argv.includes('--own-targets') && existsSync(exporter)) {
    const base = arg('base-port', 19400);
    const child = spawn(process.execPath, [exporter, '--targets', String(TARGETS), '--series', String(SERIES), '--base-port', String(base), '--max-seconds', '900'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await new Promise<void>((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (c: Buffer) => {
        out += c.toString();
        if (out.includes('READY')) resolve();
      });
      child.once('exit', (code) => reject(new Error(`the shared exporter exited with ${code} (ports ${base}+ in use?)`)));
    });
    return { child, ports: Array.from({ length: TARGETS }, (_, i) => base + i), what: "the shared harness's exporter" };
  }
  const child = fork(fileURLToPath(import.meta.url), ['--serve', '--targets', String(TARGETS), '--series', String(SERIES)], { stdio: 'inherit' });
  const ports = await new Promise<number[]>((resolve) => child.once('message', (m: { ports: number[] }) => resolve(m.ports)));
  return { child, ports, what: 'own template' };
}

type CaseKind = 'tsdb' | 'memory' | 'discard';
const CASES: [string, CaseKind][] = [
  ['Vigil, scrape path + TSDB (head, chunks, WAL)', 'tsdb'],
  ['Vigil, scrape path + MemoryStorage append', 'memory'],
  ['Vigil, scrape path alone (samples discarded)', 'discard'],
];

/** Runs one case in a child process of this script (`--case`), which reports its figures as a message. */
async function measureInChild(kind: CaseKind, ports: number[]): Promise<Measured> {
  const args = [...process.argv.slice(2), '--case', kind, '--ports', ports.join(',')];
  const c = fork(fileURLToPath(import.meta.url), args, { stdio: 'inherit' });
  return await new Promise<Measured>((resolve, reject) => {
    c.once('message', (m: Measured) => resolve(m));
    c.once('exit', (code) => reject(new Error(`the ${kind} case exited with ${code}`)));
  });
}

/** Child side of `measureInChild`. */
async function runCase(kind: CaseKind, ports: number[]): Promise<void> {
  let dir: string | null = null;
  let appendable: Appendable;
  if (kind === 'tsdb') {
    dir = mkdtempSync(join(tmpdir(), 'vigil-scrape-bench-'));
    appendable = await openDB(dir, { log: () => {} });
  } else appendable = kind === 'memory' ? new MemoryStorage() : new DiscardAppendable();
  const r = await measure(ports, appendable);
  if (dir !== null) {
    await (appendable as Awaited<ReturnType<typeof openDB>>).close();
    rmSync(dir, { recursive: true, force: true });
  }
  process.send!(r);
  process.disconnect();
}

async function main(): Promise<void> {
  const { child, ports, what } = await startTargets();
  try {
    console.log(`targets ${TARGETS} × ${SERIES} series (${what}), 1 s interval, ${SECONDS} s measured after ${WARMUP_S} s warm-up, per run`);
    const runs: [string, Measured][] = [];
    // Each storage in a fresh process, so no case inherits another's JIT state or heap.
    const cases = process.argv.includes('--tsdb-only') ? CASES.slice(0, 1) : CASES;
    for (const [name, kind] of cases) {
      const r = await measureInChild(kind, ports);
      runs.push([name, r]);
      console.log(`${name}: scrapes ${r.scrapes} (${(r.scrapes / r.wall).toFixed(1)}/s), samples ${r.samples}, CPU ${r.cpuS.toFixed(2)} s (system ${r.sysS.toFixed(2)} s, ${((100 * r.cpuS) / r.wall).toFixed(0)}% of one core)`);
      if (r.down.length > 0) console.log(`WARNING: ${r.down.length} targets down, e.g. ${r.down[0]}`);
    }
    const only = process.argv.includes('--tsdb-only');
    if (only) return;
    const appendPath = await measureAppendPath(new DiscardAppendable());
    const dir2 = mkdtempSync(join(tmpdir(), 'vigil-scrape-bench-'));
    const db2 = await openDB(dir2, { log: () => {} });
    const appendPathDb = await measureAppendPath(db2);
    await db2.close();
    rmSync(dir2, { recursive: true, force: true });
    // Whole servers on the same targets and config, one after the other: vigil server, then
    // the references that are installed (`--no-servers` skips them).
    const servers: ServerFigures[] = [];
    if (!process.argv.includes('--no-servers')) {
      const vigilJs = fileURLToPath(new URL('../cmd/vigil.js', import.meta.url));
      for (const profile of [vigilProfile(vigilJs), ...referenceProfiles()]) {
        const f = await measureServer(profile, scrapeYaml(ports), await freePort(), Math.max(WARMUP_S, 10), SECONDS);
        if (f === null) continue;
        servers.push(f);
        console.log(`${f.name} (whole process): samples ${f.samples}, CPU ${f.cpuS.toFixed(2)} s, peak RSS ${f.peakRssMiB.toFixed(0)} MiB`);
      }
    }
    console.log('');
    console.log('| CPU-seconds per 1M samples, 100k active series | |');
    console.log('|---|---|');
    for (const [name, r] of runs) console.log(`| ${name} | ${r.perM.toFixed(2)} |`);
    console.log(`| Vigil, parse + cache + relabel + TSDB append + WAL (no HTTP, in-process) | ${appendPathDb.toFixed(2)} |`);
    console.log(`| Vigil, parse + cache + relabel alone (no HTTP, in-process, samples discarded) | ${appendPath.toFixed(2)} |`);
    for (const f of servers) console.log(`| ${f.name}, whole process, same targets and config, measured now (peak RSS ${f.peakRssMiB.toFixed(0)} MiB) | ${f.perM.toFixed(2)} |`);
    console.log('| Prometheus 2.42 (shared harness anchor: scrape + TSDB head + WAL; 10k series: 1.50) | 1.32 |');
    console.log('| VictoriaMetrics 1.79 (shared harness anchor: scrape + storage; 10k series: 2.37) | 1.77 |');
  } finally {
    child.kill('SIGTERM');
  }
}

const caseAt = process.argv.indexOf('--case');
if (process.argv.includes('--serve')) await serve();
else if (caseAt > 0) await runCase(process.argv[caseAt + 1] as CaseKind, process.argv[process.argv.indexOf('--ports') + 1]!.split(',').map(Number));
else await main();
