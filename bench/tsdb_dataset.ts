/**
 * A deterministic generator of realistic monitoring data for storage benchmarks:
 * node_exporter-like targets (CPU seconds per cpu and mode, memory and filesystem
 * bytes, network and disk counters, load averages) and application targets
 * (request counters by method/code/handler, latency histograms, Go runtime
 * gauges), scraped every 15 s with millisecond jitter as real scrapes have.
 *
 * Same options → same series, timestamps and values, bit for bit (a seeded LCG;
 * no Math.random). Samples are columnar: one Float64Array of timestamps per
 * target (shared by its series) and one of values per series.
 */
import { Labels } from '../tsdb/labels.js';

export interface DatasetOptions {
  /** node_exporter-like targets; default 6. */
  readonly nodeTargets?: number;
  /** Application targets; default 4. */
  readonly appTargets?: number;
  /** Covered time (ms); default 8h. */
  readonly durationMs?: number;
  /** Scrape interval (ms); default 15000. */
  readonly intervalMs?: number;
  /** Start time (ms); default 2023-11-14T10:00:00Z, aligned to 18h so compaction windows line up. */
  readonly startMs?: number;
  readonly seed?: number;
}

export interface DatasetSeries {
  readonly labels: Labels;
  /** Shared with the other series of the same target. */
  readonly ts: Float64Array;
  readonly vs: Float64Array;
}

class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  /** Uniform in [0, 1). */
  next(): number {
    this.s = (Math.imul(this.s, 1664525) + 1013904223) >>> 0;
    return this.s / 4294967296;
  }
  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
}

type Step = (k: number, prev: number) => number;

const round = (v: number, digits: number) => {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
};

/** Generates the dataset. */
export function generateDataset(opts: DatasetOptions = {}): DatasetSeries[] {
  const nodeTargets = opts.nodeTargets ?? 6;
  const appTargets = opts.appTargets ?? 4;
  const interval = opts.intervalMs ?? 15_000;
  const n = Math.floor((opts.durationMs ?? 8 * 3600_000) / interval);
  const start = opts.startMs ?? 1_699_963_200_000;
  const rng = new Rng(opts.seed ?? 1);
  const out: DatasetSeries[] = [];

  const timestamps = (offset: number): Float64Array => {
    const ts = new Float64Array(n);
    for (let k = 0; k < n; k++) {
      // Scrapes land a few ms late, sometimes tens of ms.
      const jitter = rng.next() < 0.05 ? rng.int(40) : rng.int(4);
      ts[k] = start + offset + k * interval + jitter;
    }
    return ts;
  };
  const series = (ts: Float64Array, rec: Record<string, string>, first: number, step: Step) => {
    const vs = new Float64Array(n);
    let v = first;
    for (let k = 0; k < n; k++) {
      v = step(k, v);
      vs[k] = v;
    }
    out.push({ labels: Labels.from(rec), ts, vs });
  };

  const modes = ['idle', 'user', 'system', 'iowait', 'irq', 'softirq', 'steal', 'nice'];
  const modeRate = [13.5, 0.9, 0.35, 0.08, 0, 0.02, 0, 0.01];
  for (let t = 0; t < nodeTargets; t++) {
    const ts = timestamps(rng.int(interval));
    const base = { job: 'node', instance: `node-${t}.example.com:9100` };
    series(ts, { ...base, __name__: 'up' }, 1, () => 1);
    for (let cpu = 0; cpu < 8; cpu++) {
      for (let m = 0; m < modes.length; m++) {
        const rate = modeRate[m]!;
        series(ts, { ...base, __name__: 'node_cpu_seconds_total', cpu: String(cpu), mode: modes[m]! }, rng.int(1e6) / 100, (_k, p) =>
          rate === 0 ? p : round(p + rate * (0.8 + 0.4 * rng.next()), 2),
        );
      }
    }
    for (const [name, size] of [
      ['node_memory_MemAvailable_bytes', 8e9],
      ['node_memory_MemFree_bytes', 2e9],
      ['node_memory_Cached_bytes', 4e9],
      ['node_memory_Buffers_bytes', 3e8],
    ] as const) {
      series(ts, { ...base, __name__: name }, Math.floor(size / 4096) * 4096, (_k, p) =>
        rng.next() < 0.3 ? p : Math.max(0, p + (rng.int(2001) - 1000) * 4096),
      );
    }
    for (const dev of ['eth0', 'lo']) {
      for (const dir of ['receive', 'transmit']) {
        const rate = dev === 'lo' ? 2e4 : 3e6;
        series(ts, { ...base, __name__: `node_network_${dir}_bytes_total`, device: dev }, rng.int(1e12), (_k, p) => p + Math.floor(rate * rng.next()));
      }
    }
    for (const [mp, dev] of [
      ['/', 'sda1'],
      ['/boot', 'sda2'],
      ['/var', 'sdb1'],
    ] as const) {
      series(ts, { ...base, __name__: 'node_filesystem_avail_bytes', mountpoint: mp, device: dev, fstype: 'ext4' }, 5e10 - rng.int(1e6) * 4096, (_k, p) =>
        rng.next() < 0.9 ? p : p - rng.int(256) * 4096,
      );
    }
    for (const w of ['1', '5', '15']) series(ts, { ...base, __name__: `node_load${w}` }, 1, (_k, p) => round(Math.max(0, p + (rng.next() - 0.5) * 0.2), 2));
    for (const dev of ['sda', 'sdb']) series(ts, { ...base, __name__: 'node_disk_io_time_seconds_total', device: dev }, rng.int(1e5), (_k, p) => round(p + rng.next() * 0.5, 3));
  }

  const les = ['0.005', '0.01', '0.025', '0.05', '0.1', '0.25', '0.5', '1', '2.5', '5', '10', '+Inf'];
  const handlers = ['/api/v1/users', '/api/v1/orders', '/api/v1/items', '/healthz', '/metrics'];
  for (let t = 0; t < appTargets; t++) {
    const ts = timestamps(rng.int(interval));
    const base = { job: 'api', instance: `api-${t}:8080` };
    series(ts, { ...base, __name__: 'up' }, 1, () => 1);
    for (const h of handlers) {
      for (const method of ['GET', 'POST']) {
        for (const code of ['200', '404', '500']) {
          const rate = code === '200' ? 40 : code === '404' ? 2 : 0.2;
          series(ts, { ...base, __name__: 'http_requests_total', handler: h, method, code }, rng.int(1e5), (_k, p) => p + Math.floor(rate * 2 * rng.next()));
        }
      }
      // One histogram per handler: per scrape, a batch of observations is spread over the buckets.
      const counts = new Float64Array(les.length);
      const start0 = rng.int(1e4);
      counts.fill(start0);
      const perScrape = new Float64Array(n * les.length);
      let sum = rng.int(1e4);
      const sums = new Float64Array(n);
      for (let k = 0; k < n; k++) {
        const batch = rng.int(60);
        for (let o = 0; o < batch; o++) {
          const lat = 0.002 * Math.exp(rng.next() * 7);
          sum += lat;
          for (let b = 0; b < les.length; b++) if (b === les.length - 1 || lat <= Number(les[b])) counts[b]!++;
        }
        for (let b = 0; b < les.length; b++) perScrape[k * les.length + b] = counts[b]!;
        sums[k] = round(sum, 6);
      }
      for (let b = 0; b < les.length; b++) {
        series(ts, { ...base, __name__: 'http_request_duration_seconds_bucket', handler: h, le: les[b]! }, 0, (k) => perScrape[k * les.length + b]!);
      }
      series(ts, { ...base, __name__: 'http_request_duration_seconds_sum', handler: h }, 0, (k) => sums[k]!);
      series(ts, { ...base, __name__: 'http_request_duration_seconds_count', handler: h }, 0, (k) => perScrape[k * les.length + les.length - 1]!);
    }
    series(ts, { ...base, __name__: 'go_goroutines' }, 40, (_k, p) => Math.max(5, p + rng.int(7) - 3));
    series(ts, { ...base, __name__: 'process_resident_memory_bytes' }, 2e8, (_k, p) => Math.max(1e7, p + (rng.int(201) - 100) * 4096));
    series(ts, { ...base, __name__: 'process_cpu_seconds_total' }, rng.int(1e4), (_k, p) => round(p + rng.next() * 1.5, 2));
  }
  return out;
}

/** Writes the dataset as OpenMetrics text (interleaved by scrape, as a scrape history reads) through `write`. */
export function writeOpenMetrics(data: readonly DatasetSeries[], write: (chunk: string) => void): void {
  const head: string[] = data.map((s) => {
    const parts: string[] = [];
    s.labels.forEach((n, v) => {
      if (n !== '__name__') parts.push(`${n}="${v.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('\n', '\\n')}"`);
    });
    return parts.length === 0 ? s.labels.metricName() : `${s.labels.metricName()}{${parts.join(',')}}`;
  });
  const n = data.length === 0 ? 0 : data[0]!.ts.length;
  let buf = '';
  for (let k = 0; k < n; k++) {
    for (let i = 0; i < data.length; i++) {
      const s = data[i]!;
      const v = s.vs[k]!;
      const vt = Number.isNaN(v) ? 'NaN' : v === Number.POSITIVE_INFINITY ? '+Inf' : v === Number.NEGATIVE_INFINITY ? '-Inf' : String(v);
      buf += `${head[i]} ${vt} ${(s.ts[k]! / 1000).toFixed(3)}\n`;
    }
    if (buf.length > 1 << 20) {
      write(buf);
      buf = '';
    }
  }
  write(`${buf}# EOF\n`);
}
