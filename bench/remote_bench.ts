/**
 * Remote write receiver benchmark: the same deterministic stream of WriteRequests
 * (16,000 series x 125 rounds = 2,000,000 samples, 2,000 samples per request, one
 * TimeSeries per sample as Prometheus sends them, ~7 labels per series) is POSTed to
 * - Vigil (`vigil server --web.enable-remote-write-receiver`, in-memory storage),
 * - Prometheus 2.42 (`--web.enable-remote-write-receiver`), when installed,
 * - VictoriaMetrics single-node, when installed,
 * each a separate process on loopback, by 8 sequential lanes (like 8 shards; a series
 * always travels in the same lane, so per-series order holds). Requests are encoded
 * and compressed before timing starts. Reported: ingestion rate (samples/s, wall
 * clock) and the receiver's CPU seconds per million samples (from /proc/<pid>/stat).
 * Also: the in-process cost of Vigil's snappy + protobuf decode alone.
 *
 * Run: `npm run build && node dist/bench/remote_bench.js` (not part of npm test).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Labels } from '../tsdb/labels.js';
import { decodeWriteRequest, encodeLabels, encodeWriteRequest } from '../tsdb/remote/codec.js';
import { ProtoWriter } from '../tsdb/remote/proto_writer.js';
import { snappyDecode, snappyEncode } from '../tsdb/remote/snappy.js';
import { onPath } from './reference_servers.js';

const LANES = 8;
const SERIES_PER_REQUEST = 2000;
const SERIES = LANES * SERIES_PER_REQUEST;
const ROUNDS = Number(process.env.REMOTE_BENCH_ROUNDS ?? 125);
const TOTAL = SERIES * ROUNDS;
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** requests[lane][round]: snappy-compressed WriteRequest bodies. */
function buildStream(t0: number): Uint8Array[][] {
  const w = new ProtoWriter(1 << 20);
  const handlers = ['/api/v1/query', '/api/v1/query_range', '/metrics', '/-/ready', '/api/v1/write'];
  const labelBytes: Uint8Array[] = [];
  for (let s = 0; s < SERIES; s++) {
    labelBytes.push(
      encodeLabels(
        Labels.fromStrings(
          '__name__', 'http_requests_total',
          'job', 'bench',
          'instance', `host-${s % 500}:9100`,
          'handler', handlers[s % handlers.length]!,
          'code', String(200 + (s % 7)),
          'method', s % 3 === 0 ? 'POST' : 'GET',
          'series', String(s),
        ),
      ),
    );
  }
  const ts = new Float64Array(SERIES_PER_REQUEST);
  const vs = new Float64Array(SERIES_PER_REQUEST);
  const out: Uint8Array[][] = [];
  for (let lane = 0; lane < LANES; lane++) {
    const lb = labelBytes.slice(lane * SERIES_PER_REQUEST, (lane + 1) * SERIES_PER_REQUEST);
    const reqs: Uint8Array[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      for (let i = 0; i < SERIES_PER_REQUEST; i++) {
        ts[i] = t0 + r * 15_000;
        vs[i] = (lane * SERIES_PER_REQUEST + i) * 10 + r * 1.5;
      }
      reqs.push(snappyEncode(encodeWriteRequest(w, SERIES_PER_REQUEST, lb, ts, vs)).slice());
    }
    out.push(reqs);
  }
  return out;
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => resolve(typeof a === 'object' && a !== null ? a.port : 0));
    });
  });
}

function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return ticks / 100; // USER_HZ is 100 on Linux
}

async function waitReady(url: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`receiver exited with ${child.exitCode}`);
    try {
      if ((await fetch(url)).status === 200) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} not ready`);
}

function post(agent: http.Agent, port: number, path: string, body: Uint8Array): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: 'POST',
        agent,
        headers: {
          'content-type': 'application/x-protobuf',
          'content-encoding': 'snappy',
          'x-prometheus-remote-write-version': '0.1.0',
          'content-length': String(body.length),
        },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

interface Result {
  name: string;
  seconds: number;
  cpu: number;
  failed: number;
}

async function run(name: string, cmd: string, args: (port: number, dir: string) => string[], readyPath: string, stream: Uint8Array[][]): Promise<Result> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'vigil-remote-bench-'));
  writeFileSync(join(dir, 'empty.yml'), 'global:\n  scrape_interval: 1m\n');
  const child = spawn(cmd, args(port, dir), { stdio: 'ignore' });
  try {
    await waitReady(`http://127.0.0.1:${port}${readyPath}`, child);
    const agent = new http.Agent({ keepAlive: true, maxSockets: LANES });
    const cpu0 = cpuSeconds(child.pid!);
    const start = process.hrtime.bigint();
    let failed = 0;
    await Promise.all(
      stream.map(async (reqs) => {
        for (const body of reqs) {
          const status = await post(agent, port, '/api/v1/write', body);
          if (status < 200 || status >= 300) failed++;
        }
      }),
    );
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    const cpu = cpuSeconds(child.pid!) - cpu0;
    agent.destroy();
    return { name, seconds, cpu, failed };
  } finally {
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const t0 = Date.now() - ROUNDS * 15_000;
  const stream = buildStream(t0);
  let bytes = 0;
  for (const lane of stream) for (const b of lane) bytes += b.length;
  console.log(`stream: ${SERIES} series x ${ROUNDS} rounds = ${TOTAL} samples in ${LANES * ROUNDS} requests, ${(bytes / 1e6).toFixed(1)} MB compressed`);

  // Decode cost alone (snappy + protobuf into columns), in this process.
  const d0 = process.cpuUsage();
  const w0 = process.hrtime.bigint();
  let decoded = 0;
  for (const lane of stream) for (const b of lane) decoded += decodeWriteRequest(snappyDecode(b, 64 << 20)).samples;
  const dWall = Number(process.hrtime.bigint() - w0) / 1e9;
  const dCpu = process.cpuUsage(d0);
  console.log(
    `vigil decode only: ${(decoded / dWall / 1e6).toFixed(2)} M samples/s, ${((dCpu.user + dCpu.system) / 1e6 / (decoded / 1e6)).toFixed(3)} CPU s per million samples`,
  );

  const results: Result[] = [];
  results.push(
    await run(
      'vigil',
      process.execPath,
      (port, dir) => [join(ROOT, 'dist/cmd/vigil.js'), 'server', `--web.listen-address=127.0.0.1:${port}`, '--web.enable-remote-write-receiver', `--config.file=${join(dir, 'empty.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, '--log.level=error'],
      '/-/ready',
      stream,
    ),
  );
  if (onPath('prometheus')) {
    results.push(
      await run(
        'prometheus 2.42',
        'prometheus',
        (port, dir) => [`--config.file=${join(dir, 'empty.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--web.enable-remote-write-receiver', '--log.level=error'],
        '/-/ready',
        stream,
      ),
    );
  } else console.log('prometheus not installed: skipped');
  if (onPath('/usr/bin/victoria-metrics')) {
    results.push(
      await run('victoria-metrics', '/usr/bin/victoria-metrics', (port, dir) => [`-httpListenAddr=127.0.0.1:${port}`, `-storageDataPath=${join(dir, 'vm')}`, '-loggerLevel=ERROR'], '/health', stream),
    );
  } else console.log('victoria-metrics not installed: skipped');

  console.log('\nreceiver           samples/s     CPU s / 1M samples   wall s   non-2xx');
  for (const r of results) {
    console.log(
      `${r.name.padEnd(18)} ${(TOTAL / r.seconds).toFixed(0).padStart(10)}   ${(r.cpu / (TOTAL / 1e6)).toFixed(3).padStart(18)}   ${r.seconds.toFixed(2).padStart(6)}   ${String(r.failed).padStart(7)}`,
    );
  }
}

await main();
