/**
 * Whole servers measured from outside, for benchmarks that put Vigil beside the reference
 * implementations on the same machine and the same load: Prometheus and VictoriaMetrics
 * (when their Debian packages are installed) and `vigil server` itself, each started as a
 * child process with the same scrape config, measured from `/proc/<pid>/stat` (user +
 * system CPU of the process, all its threads) and its own ingested-samples counter.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** How to start one server and read what it ingested. */
export interface ServerProfile {
  name: string;
  /** Executable and arguments; `{config}`, `{data}` and `{port}` are replaced. */
  cmd: string[];
  /** GET path answering 200 once the server is up. */
  ready: string;
  /** Counter on `/metrics` counting ingested samples (`name` or `name{k="v"}`). */
  samplesMetric: string;
}

export interface ServerFigures {
  name: string;
  /** CPU seconds per million ingested samples over the measured window. */
  perM: number;
  cpuS: number;
  samples: number;
  /** Peak resident set size over the process's life (VmHWM), MiB. */
  peakRssMiB: number;
}

/** Prometheus and VictoriaMetrics as the shared harness runs them, where installed. */
export function referenceProfiles(): ServerProfile[] {
  const out: ServerProfile[] = [];
  if (onPath('prometheus')) {
    out.push({
      name: 'Prometheus',
      cmd: ['prometheus', '--config.file={config}', '--storage.tsdb.path={data}', '--web.listen-address=127.0.0.1:{port}', '--log.level=warn'],
      ready: '/-/ready',
      samplesMetric: 'prometheus_tsdb_head_samples_appended_total',
    });
  }
  if (onPath('victoria-metrics')) {
    out.push({
      name: 'VictoriaMetrics',
      cmd: ['victoria-metrics', '-promscrape.config={config}', '-storageDataPath={data}', '-httpListenAddr=127.0.0.1:{port}', '-loggerLevel=WARN'],
      ready: '/health',
      samplesMetric: 'vm_rows_inserted_total{type="promscrape"}',
    });
  }
  return out;
}

/** `vigil server` from this build, with the launcher's V8 flags, without the local cluster agent. */
export function vigilProfile(vigilJs: string): ServerProfile {
  return {
    name: 'vigil server',
    cmd: [
      process.execPath,
      '--no-memory-reducer',
      '--initial-old-space-size=128',
      vigilJs,
      'server',
      '--config.file={config}',
      '--storage.tsdb.path={data}',
      '--web.listen-address=127.0.0.1:{port}',
      '--log.level=warn',
      '--no-cluster.local-agent',
    ],
    ready: '/-/ready',
    samplesMetric: 'prometheus_tsdb_head_samples_appended_total',
  };
}

/** Whether `bin` is an executable on PATH (or an existing path). */
export function onPath(bin: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${bin}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function get(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path, timeout: 5000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        body += c;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${path}: timed out`)));
    req.on('error', reject);
  });
}

/**
 * The value of `metric` in an exposition body: with labels (`name{k="v"}`) the series that
 * starts so; a bare name sums every series of that name (Prometheus 2.42 splits its
 * appended-samples counter by `type`). NaN when absent.
 */
export function metricValue(body: string, metric: string): number {
  const bare = !metric.includes('{');
  let sum = Number.NaN;
  for (const line of body.split('\n')) {
    if (!line.startsWith(metric)) continue;
    const next = line[metric.length];
    if (bare && next !== ' ' && next !== '{') continue;
    const v = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (!bare) return v;
    sum = Number.isNaN(sum) ? v : sum + v;
  }
  return sum;
}

/** User + system CPU seconds of a process (all threads), from `/proc/<pid>/stat`. */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields 14 and 15 of stat(5), counted after the command name: utime, stime in clock ticks.
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}

const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

function peakRssMiB(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : Number.NaN;
}

/**
 * Starts `profile` with `configYaml` on `port`, waits until it is ready and `warmupS` more,
 * then measures `seconds`. Returns null (and says why) if the server does not come up.
 */
export async function measureServer(profile: ServerProfile, configYaml: string, port: number, warmupS: number, seconds: number): Promise<ServerFigures | null> {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-bench-ref-'));
  const config = join(dir, 'scrape.yml');
  writeFileSync(config, configYaml);
  const args = profile.cmd.map((a) => a.replaceAll('{config}', config).replaceAll('{data}', join(dir, 'data')).replaceAll('{port}', String(port)));
  let stderr = '';
  const child: ChildProcess = spawn(args[0]!, args.slice(1), { stdio: ['ignore', 'ignore', 'pipe'], cwd: dir });
  child.stderr?.on('data', (c: Buffer) => {
    if (stderr.length < 4000) stderr += c.toString();
  });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  try {
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`exited with ${child.exitCode}: ${stderr.trim().slice(0, 500)}`);
      try {
        if ((await get(port, profile.ready)).status === 200) break;
      } catch {}
      if (Date.now() > deadline) throw new Error('not ready after 30 s');
      await sleep(200);
    }
    await sleep(warmupS * 1000);
    const pid = child.pid!;
    const n0 = metricValue((await get(port, '/metrics')).body, profile.samplesMetric);
    const c0 = cpuSeconds(pid);
    await sleep(seconds * 1000);
    const c1 = cpuSeconds(pid);
    const n1 = metricValue((await get(port, '/metrics')).body, profile.samplesMetric);
    const samples = n1 - n0;
    if (!(samples > 0)) throw new Error(`${profile.samplesMetric} did not grow (${n0} → ${n1})`);
    const cpuS = c1 - c0;
    return { name: profile.name, perM: cpuS / (samples / 1e6), cpuS, samples, peakRssMiB: peakRssMiB(pid) };
  } catch (e) {
    console.log(`${profile.name}: not measured: ${(e as Error).message}`);
    return null;
  } finally {
    child.kill('SIGTERM');
    await Promise.race([exited, sleep(10_000)]);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    if (existsSync(dir)) rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
  }
}
