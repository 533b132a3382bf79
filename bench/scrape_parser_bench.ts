/**
 * Parser throughput: MB/s and samples/s of the text and OpenMetrics parsers on a generated
 * node_exporter-like body (10k series) and on Prometheus's alltypes conformance file.
 *
 *   npx tsc -p . && node dist/bench/scrape_parser_bench.js [--seconds 2]
 *
 * Three passes per body: `next()` with value and timestamp only (the scrape loop's path for a
 * series it has cached), `+ seriesHash()` (what a cache lookup costs), and `+ labelsInto()` (the
 * cache-miss path that decodes every label). Figures are printed, not asserted; on a busy machine
 * the per-CPU-second figures (from the process's own CPU time) are the ones to compare.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Entry, type ExpositionParser } from '../scrape/parser/parser.js';
import { OpenMetricsParser } from '../scrape/parser/openmetrics_parser.js';
import { TextParser } from '../scrape/parser/text_parser.js';

const argSeconds = process.argv.indexOf('--seconds');
const SECONDS = argSeconds > 0 ? Number(process.argv[argSeconds + 1]) : 2;

/** A node_exporter-like exposition with about `series` samples (histograms, counters, gauges). */
export function nodeExporterLikeBody(series: number, openMetrics: boolean): Uint8Array {
  const lines: string[] = [];
  let n = 0;
  const modes = ['idle', 'iowait', 'irq', 'nice', 'softirq', 'steal', 'system', 'user'];
  lines.push('# HELP node_cpu_seconds_total Seconds the CPUs spent in each mode.', '# TYPE node_cpu_seconds_total counter');
  for (let cpu = 0; n < series * 0.3; cpu++) {
    for (const m of modes) {
      lines.push(`node_cpu_seconds_total{cpu="${cpu}",mode="${m}"} ${(cpu * 1000.37 + m.length * 17.11).toFixed(2)}`);
      n++;
    }
  }
  lines.push('# HELP node_network_receive_bytes_total Network device statistic receive_bytes.', '# TYPE node_network_receive_bytes_total counter');
  for (let d = 0; n < series * 0.5; d++) {
    lines.push(`node_network_receive_bytes_total{device="veth${d.toString(16)}a1b2"} ${d * 982731 + 1.5e9}`);
    n++;
  }
  lines.push('# HELP node_filesystem_avail_bytes Filesystem space available to non-root users in bytes.', '# TYPE node_filesystem_avail_bytes gauge');
  for (let d = 0; n < series * 0.6; d++) {
    lines.push(`node_filesystem_avail_bytes{device="/dev/sda${d}",fstype="ext4",mountpoint="/var/lib/docker/overlay2/${d}"} ${2.3e10 + d}`);
    n++;
  }
  const les = ['0.005', '0.01', '0.025', '0.05', '0.1', '0.25', '0.5', '1', '2.5', '5', '10', '+Inf'];
  lines.push('# HELP http_request_duration_seconds A histogram of request latencies.', '# TYPE http_request_duration_seconds histogram');
  for (let h = 0; n < series; h++) {
    const lbl = `handler="/api/v1/endpoint${h}",method="GET",code="200"`;
    let c = 0;
    for (const le of les) {
      c += h % 7;
      lines.push(`http_request_duration_seconds_bucket{${lbl},le="${le}"} ${c}`);
    }
    lines.push(`http_request_duration_seconds_sum{${lbl}} ${c * 0.173}`, `http_request_duration_seconds_count{${lbl}} ${c}`);
    n += les.length + 2;
  }
  if (openMetrics) lines.push('# EOF');
  return Buffer.from(`${lines.join('\n')}\n`);
}

type Mode = 'value' | 'hash' | 'labels';

function run(make: () => ExpositionParser, mode: Mode): { samples: number } {
  const p = make();
  const kv: string[] = [];
  let samples = 0;
  let sink = 0;
  for (let e = p.next(); e !== Entry.EOF; e = p.next()) {
    if (e !== Entry.Series) continue;
    samples++;
    sink += p.value() + p.timestamp();
    if (mode === 'hash') sink += p.seriesHash();
    else if (mode === 'labels') {
      p.labelsInto(kv);
      sink += kv.length;
    }
  }
  if (sink === 0.5) console.log('');
  return { samples };
}

function bench(name: string, body: Uint8Array, make: () => ExpositionParser): void {
  for (const mode of ['value', 'hash', 'labels'] as const) {
    // Warm up, then time whole passes for about SECONDS.
    for (let i = 0; i < 20; i++) run(make, mode);
    let passes = 0;
    let samples = 0;
    const t0 = process.hrtime.bigint();
    const cpu0 = process.cpuUsage();
    let elapsed = 0;
    while (elapsed < SECONDS) {
      samples += run(make, mode).samples;
      passes++;
      elapsed = Number(process.hrtime.bigint() - t0) / 1e9;
    }
    const cpu = process.cpuUsage(cpu0);
    const cpuSec = (cpu.user + cpu.system) / 1e6;
    const mb = (body.byteLength * passes) / 1e6;
    console.log(
      `${name.padEnd(34)} ${mode.padEnd(7)} wall: ${(mb / elapsed).toFixed(1).padStart(6)} MB/s ${(samples / elapsed / 1e6).toFixed(2).padStart(5)} M samples/s   per CPU-second: ${(mb / cpuSec).toFixed(1).padStart(6)} MB ${(samples / cpuSec / 1e6).toFixed(2).padStart(5)} M samples  (${passes} passes)`,
    );
  }
}

const root = process.env.VIGIL_REPO_ROOT ?? process.cwd();
const conformance = process.env.VIGIL_CONFORMANCE_DIR ?? join(root, '..', 'shared', 'conformance');
const text = nodeExporterLikeBody(10_000, false);
const om = nodeExporterLikeBody(10_000, true);
console.log(`node_exporter-like body: ${(text.byteLength / 1e6).toFixed(2)} MB text, ${(om.byteLength / 1e6).toFixed(2)} MB OpenMetrics`);
bench('text node_exporter-like 10k', text, () => new TextParser(text));
bench('openmetrics node_exporter-like 10k', om, () => new OpenMetricsParser(om));
try {
  const all = readFileSync(join(conformance, 'exposition', 'textparse', 'alltypes.237mfs.prom.txt'));
  bench('text alltypes.237mfs', all, () => new TextParser(all));
} catch (e) {
  console.log(`alltypes conformance file not found under ${conformance}: ${(e as Error).message}`);
}
