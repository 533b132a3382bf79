/**
 * Test support for the scrape part (not used by production code): scrape configs from
 * YAML, fake timers, reading back what a storage holds, and a programmable HTTP target.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ConfigDoc } from '../tsdb/config_reader.js';
import { MatchType, Matcher } from '../tsdb/matcher.js';
import { isStaleNaN, type Queryable } from '../tsdb/storage.js';
import { parseScrapeConfigs, type ScrapeConfig, type ScrapeGlobals } from './config.js';
import type { Timers } from './scrape_loop.js';

export const TEST_GLOBALS: ScrapeGlobals = {
  scrapeInterval: 60_000,
  scrapeTimeout: 10_000,
  scrapeProtocols: null,
  bodySizeLimit: 0,
  sampleLimit: 0,
  targetLimit: 0,
  labelLimit: 0,
  labelNameLengthLimit: 0,
  labelValueLengthLimit: 0,
  keepDroppedTargets: 0,
  metricNameValidationScheme: 'utf8',
  metricNameEscapingScheme: '',
  extraScrapeMetrics: false,
};

/** Parses `scrape_configs:` YAML into configs (with Prometheus's global defaults). */
export function scrapeConfigs(yaml: string, dir = ''): ScrapeConfig[] {
  return parseScrapeConfigs(ConfigDoc.parse(yaml, 'test.yml').root(), TEST_GLOBALS, dir);
}

/** Timers driven by `advance`; callbacks run in due order. */
export class FakeTimers implements Timers {
  private t: number;
  private seq: number;
  private readonly pending: Map<number, { at: number; fn: () => void }>;

  constructor(start: number) {
    this.t = start;
    this.seq = 0;
    this.pending = new Map();
  }

  now(): number {
    return this.t;
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.seq;
    this.pending.set(id, { at: this.t + Math.max(0, ms), fn });
    return id;
  }

  clearTimeout(h: unknown): void {
    this.pending.delete(h as number);
  }

  /** Number of timers waiting. */
  size(): number {
    return this.pending.size;
  }

  /** Moves the clock forward by `ms`, running due callbacks (and awaiting I/O between them). */
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    for (;;) {
      let next: [number, { at: number; fn: () => void }] | null = null;
      for (const e of this.pending) if (e[1].at <= end && (next === null || e[1].at < next[1].at)) next = e;
      if (next === null) break;
      this.pending.delete(next[0]);
      this.t = Math.max(this.t, next[1].at);
      next[1].fn();
      await settle();
    }
    this.t = end;
    await settle();
  }
}

/** Lets pending I/O callbacks and promise chains run. */
export async function settle(rounds = 20): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise((r) => setImmediate(r));
}

/** One stored series: its labels as Prometheus prints them and its samples. */
export interface StoredSeries {
  labels: string;
  record: Record<string, string>;
  ts: Float64Array;
  vs: Float64Array;
}

/** Every series in `q` (sorted), with samples in `[mint, maxt]`. */
export async function readAll(q: Queryable, mint = 0, maxt = Number.MAX_SAFE_INTEGER): Promise<StoredSeries[]> {
  const querier = await q.querier(mint, maxt);
  const set = await querier.select(true, null, [new Matcher(MatchType.Regexp, '__name__', '.+')]);
  const out: StoredSeries[] = [];
  while (set.next()) {
    const s = set.at();
    const it = s.iterator();
    const ts: number[] = [];
    const vsArr = new Float64Array(1024);
    let n = 0;
    while (it.next()) {
      ts.push(it.atT());
      if (n < vsArr.length) vsArr[n] = it.atV();
      n++;
    }
    out.push({ labels: s.labels.toString(), record: s.labels.toRecord(), ts: Float64Array.from(ts), vs: vsArr.slice(0, n) });
  }
  await querier.close();
  return out;
}

/** The series of `all` whose labels print as `labels`. */
export function find(all: readonly StoredSeries[], labels: string): StoredSeries | undefined {
  return all.find((s) => s.labels === labels);
}

/** Whether sample `i` of `s` is the staleness marker. */
export function staleAt(s: StoredSeries, i: number): boolean {
  return isStaleNaN(s.vs[i]!);
}

/** A 127.0.0.1 HTTP server whose handler can be swapped; counts requests. */
export class TestTarget {
  readonly server: http.Server;
  handler: (req: http.IncomingMessage, res: http.ServerResponse) => void;
  requests: number;

  constructor() {
    this.requests = 0;
    this.handler = (_req, res) => res.end('');
    this.server = http.createServer((req, res) => {
      this.requests++;
      this.handler(req, res);
    });
  }

  async listen(): Promise<string> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    return `127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Serves `body` as the text format. */
  serve(body: string, contentType = 'text/plain; version=0.0.4'): void {
    this.handler = (_req, res) => {
      res.writeHead(200, { 'Content-Type': contentType });
      res.end(body);
    };
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}
