/**
 * A built-in demo exporter for the quick start: `GET /demo/metrics` serves the metrics of
 * a simulated web application, so a fresh server (whose embedded default configuration
 * scrapes it as job `demo`) has realistic data to query and graph at once.
 *
 * The simulation advances lazily, on each request, by the wall-clock time since the
 * previous one (at most 10 minutes' worth, so an idle server does not burn CPU):
 * - `http_requests_total{method, path, status}`: request rates that differ per
 *   route, follow a daily-like wave (compressed to a 1-hour period so it is visible
 *   quickly) and carry a small share of 4xx/5xx answers, with occasional error bursts;
 * - `http_request_duration_seconds{method, path}`: a latency histogram, slower
 *   routes and a heavier tail under load;
 * - `queue_depth`: a gauge following the same wave with noise;
 * - `http_requests_in_flight`: a gauge;
 * - `build_info{version, revision, branch}`: constant 1.
 * The names are those of a typical instrumented service; they live under job `demo`, apart
 * from Vigil's own (`prometheus_*`, `vigil_*`) metrics.
 */
import type { FastifyInstance } from 'fastify';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

interface Route {
  readonly method: string;
  readonly path: string;
  /** Mean requests per second at the wave's mean. */
  readonly rate: number;
  /** Median latency in seconds. */
  readonly latency: number;
}

const ROUTES: readonly Route[] = [
  { method: 'GET', path: '/', rate: 12, latency: 0.02 },
  { method: 'GET', path: '/api/products', rate: 8, latency: 0.045 },
  { method: 'GET', path: '/api/products/:id', rate: 15, latency: 0.03 },
  { method: 'POST', path: '/api/cart', rate: 2.5, latency: 0.08 },
  { method: 'POST', path: '/api/checkout', rate: 0.6, latency: 0.35 },
  { method: 'GET', path: '/healthz', rate: 0.2, latency: 0.002 },
];

/** Period of the "daily" wave, ms. */
const WAVE_MS = 60 * 60_000;
/** Longest stretch of simulated time per request, ms. */
const MAX_STEP_MS = 10 * 60_000;
/** Most requests simulated individually per route and step (the rest are counted in bulk). */
const MAX_OBSERVED = 2000;

/** The simulated application. `now` is injectable for tests. */
export class DemoExporter {
  readonly registry: Registry;
  private readonly requests: Counter<'method' | 'path' | 'status'>;
  private readonly durations: Histogram<'method' | 'path'>;
  private readonly queue: Gauge;
  private readonly inflight: Gauge;
  private readonly now: () => number;
  private last: number;
  private seed: number;
  private errorBurstUntil: number;

  constructor(opts: { now?: () => number; seed?: number } = {}) {
    this.now = opts.now ?? Date.now;
    this.last = this.now();
    this.seed = opts.seed ?? 0x9e3779b9;
    this.errorBurstUntil = 0;
    this.registry = new Registry();
    const registers = [this.registry];
    this.requests = new Counter({ name: 'http_requests_total', help: 'HTTP requests served by the demo application.', labelNames: ['method', 'path', 'status'], registers });
    this.durations = new Histogram({
      name: 'http_request_duration_seconds',
      help: 'Latency of HTTP requests served by the demo application.',
      labelNames: ['method', 'path'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    });
    this.queue = new Gauge({ name: 'queue_depth', help: 'Jobs waiting in the demo work queue.', registers });
    this.inflight = new Gauge({ name: 'http_requests_in_flight', help: 'HTTP requests being served by the demo application.', registers });
    new Gauge({ name: 'build_info', help: 'Build information of the demo application.', labelNames: ['version', 'revision', 'branch'], registers })
      .labels('1.4.2', 'a1b2c3d', 'main')
      .set(1);
    // Every route starts at zero so rates are defined from the first scrape.
    for (const r of ROUTES) this.requests.labels(r.method, r.path, '200').inc(0);
  }

  /** A uniform random number in [0, 1) (xorshift32: deterministic per seed). */
  private rand(): number {
    let x = this.seed;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.seed = x >>> 0;
    return this.seed / 4294967296;
  }

  /** The wave factor at time `t` (ms): 0.3 at night, 1.7 at peak. */
  static load(t: number): number {
    const phase = (2 * Math.PI * (t % WAVE_MS)) / WAVE_MS;
    return 1 + 0.7 * Math.sin(phase) + 0.15 * Math.sin(3 * phase);
  }

  /** Advances the simulation to now. */
  advance(): void {
    const now = this.now();
    const dt = Math.min(Math.max(0, now - this.last), MAX_STEP_MS);
    this.last = now;
    if (dt === 0) return;
    const load = DemoExporter.load(now);
    if (this.errorBurstUntil < now && this.rand() < dt / (20 * 60_000)) this.errorBurstUntil = now + 2 * 60_000;
    const errorShare = this.errorBurstUntil >= now ? 0.08 : 0.004;
    for (const r of ROUTES) {
      const expected = r.rate * load * (dt / 1000);
      const n = Math.max(0, Math.round(expected + (this.rand() - 0.5) * 2 * Math.sqrt(expected)));
      let e5 = 0;
      let e4 = 0;
      const observed = Math.min(n, MAX_OBSERVED);
      for (let i = 0; i < observed; i++) {
        const u = this.rand();
        if (u < errorShare) e5++;
        else if (u < errorShare + 0.02 && r.method === 'GET') e4++;
        // Log-normal-ish latency, heavier under load.
        const z = (this.rand() + this.rand() + this.rand() - 1.5) * 2;
        this.durations.labels(r.method, r.path).observe(r.latency * Math.exp(z * (0.4 + 0.2 * load)));
      }
      const scale = observed === 0 ? 0 : n / observed;
      e5 = Math.round(e5 * scale);
      e4 = Math.round(e4 * scale);
      this.requests.labels(r.method, r.path, '200').inc(n - e5 - e4);
      if (e4 > 0) this.requests.labels(r.method, r.path, '404').inc(e4);
      if (e5 > 0) this.requests.labels(r.method, r.path, '500').inc(e5);
    }
    this.queue.set(Math.max(0, Math.round(40 * load * load + (this.rand() - 0.5) * 12)));
    this.inflight.set(Math.round(3 * load + this.rand() * 2));
  }

  /** The exposition after advancing the simulation. */
  async metrics(): Promise<string> {
    this.advance();
    return this.registry.metrics();
  }
}

/** Registers `GET /demo/metrics` on `app`. */
export async function demoExporterRoutes(app: FastifyInstance, demo: DemoExporter = new DemoExporter()): Promise<void> {
  app.get('/demo/metrics', async (_req, reply) => {
    const body = await demo.metrics();
    return reply.header('content-type', demo.registry.contentType).send(body);
  });
}
