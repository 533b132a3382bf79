/**
 * `GET /metrics`: Vigil's own metrics in the Prometheus text format, so the
 * embedded default configuration (which scrapes the server itself) has data at
 * once. Names follow Prometheus's where the concept exists (dashboards for
 * Prometheus then work on Vigil): `prometheus_build_info`,
 * `prometheus_config_last_reload_successful`, `prometheus_http_requests_total`,
 * process and runtime metrics. Parts add their own metrics to the same registry
 * (`PartContext.metrics`).
 */
import type { FastifyInstance } from 'fastify';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { BuildInfo } from '../build_info.js';

/** The text exposition format Prometheus negotiates by default. */
const TEXT_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** What the server's own metrics read at scrape time. */
export interface ServerMetricsSource {
  readonly buildInfo: BuildInfo;
  lastReloadSuccessful(): boolean;
  /** ms since epoch of the last successful (re)load. */
  lastReloadSuccessTimeMs(): number;
  isReady(): boolean;
}

/** Creates the registry with the server-level metrics; parts register theirs on it too. */
export function createServerRegistry(src: ServerMetricsSource): Registry {
  const registry = new Registry();
  // Event-loop lag sampled every 100 ms (prom-client's default of 10 ms wakes an idle server 100 times a second).
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 100 });
  const info = src.buildInfo;
  const build = new Gauge({
    name: 'prometheus_build_info',
    help: 'A metric with a constant 1 value labeled by version, revision, branch, goversion from which Vigil was built, and the goos and goarch for the build.',
    labelNames: ['version', 'revision', 'branch', 'goversion', 'goos', 'goarch', 'tags'],
    registers: [registry],
  });
  build
    .labels(info.version, info.revision, info.branch, info.goVersion, process.platform, process.arch, 'vigil')
    .set(1);
  new Gauge({
    name: 'vigil_build_info',
    help: "A metric with a constant 1 value labeled by Vigil's own version.",
    labelNames: ['version', 'revision'],
    registers: [registry],
  })
    .labels(info.vigilVersion, info.revision)
    .set(1);
  new Gauge({
    name: 'prometheus_config_last_reload_successful',
    help: 'Whether the last configuration reload attempt was successful.',
    registers: [registry],
    collect() {
      this.set(src.lastReloadSuccessful() ? 1 : 0);
    },
  });
  new Gauge({
    name: 'prometheus_config_last_reload_success_timestamp_seconds',
    help: 'Timestamp of the last successful configuration reload.',
    registers: [registry],
    collect() {
      this.set(src.lastReloadSuccessTimeMs() / 1000);
    },
  });
  new Gauge({
    name: 'prometheus_ready',
    help: 'Whether Vigil startup was fully completed and the server is ready for normal operation.',
    registers: [registry],
    collect() {
      this.set(src.isReady() ? 1 : 0);
    },
  });
  return registry;
}

/**
 * Registers `/metrics` and request instrumentation (per route, as Prometheus's `handler` label).
 * `textSources` add ready-made exposition lines after the registry's own.
 */
export async function metricsRoutes(
  app: FastifyInstance,
  registry: Registry,
  textSources: readonly (() => string)[] = [],
): Promise<void> {
  const requests = new Counter({
    name: 'prometheus_http_requests_total',
    help: 'Counter of HTTP requests.',
    labelNames: ['handler', 'code'],
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'prometheus_http_request_duration_seconds',
    help: 'Histogram of latencies for HTTP requests.',
    labelNames: ['handler'],
    buckets: [0.1, 0.2, 0.4, 1, 3, 8, 20, 60, 120],
    registers: [registry],
  });
  app.addHook('onResponse', async (req, reply) => {
    // The route pattern, not the raw URL: label cardinality stays bounded.
    const handler = req.routeOptions.url ?? 'unmatched';
    requests.labels(handler, String(reply.statusCode)).inc();
    duration.labels(handler).observe(reply.elapsedTime / 1000);
  });
  app.get('/metrics', async (_req, reply) => {
    let body = await registry.metrics();
    for (const source of textSources) {
      const text = source();
      if (text !== '') body += text.endsWith('\n') ? text : `${text}\n`;
    }
    return reply.header('content-type', TEXT_CONTENT_TYPE).send(body);
  });
}
