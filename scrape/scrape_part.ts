/**
 * The scrape part of `vigil server`: on start-up and every configuration reload it
 * applies `scrape_configs` to one `ScrapeManager` appending to the server's storage;
 * it serves the targets API (`scrape/http.ts`) and the demo exporter
 * (`/demo/metrics`), and registers its `prometheus_target_*` / `prometheus_sd_*`
 * metrics on the server's registry. The manager stops (without staleness markers,
 * like a Prometheus shutdown) when the server closes.
 */
import type { FastifyInstance } from 'fastify';
import { Counter, Gauge } from 'prom-client';
import type { PartContext, ServerPart } from '../cmd/server.js';
import { DemoExporter, demoExporterRoutes } from './demo_exporter.js';
import { scrapeRoutes } from './http.js';
import { ScrapeManager } from './manager.js';
import type { ScrapeLoopStats } from './scrape_loop.js';

function registerMetrics(ctx: PartContext, manager: () => ScrapeManager | null): void {
  const registers = [ctx.metrics];
  const counter = (name: string, help: string, pick: (s: ScrapeLoopStats) => number): void => {
    new Counter({
      name,
      help,
      registers,
      collect() {
        const m = manager();
        this.reset();
        this.inc(m === null ? 0 : pick(m.stats));
      },
    });
  };
  counter('prometheus_target_scrapes_exceeded_sample_limit_total', 'Total number of scrapes that hit the sample limit and were rejected.', (s) => s.sampleLimitExceeded);
  counter('prometheus_target_scrapes_exceeded_body_size_limit_total', 'Total number of scrapes that hit the body size limit.', (s) => s.bodySizeLimitExceeded);
  counter('prometheus_target_scrape_pool_exceeded_label_limits_total', 'Total number of times scrape pools hit the label limits.', (s) => s.labelLimitExceeded);
  counter('prometheus_target_scrapes_sample_out_of_order_total', 'Total number of samples rejected due to not being out of the expected order.', (s) => s.outOfOrder);
  counter('prometheus_target_scrapes_sample_duplicate_timestamp_total', 'Total number of samples rejected due to duplicate timestamps but different values.', (s) => s.duplicate);
  counter('prometheus_target_scrapes_sample_out_of_bounds_total', 'Total number of samples rejected due to timestamp falling outside of the time bounds.', (s) => s.outOfBounds);
  counter('vigil_target_scrapes_total', 'Total number of scrapes attempted.', (s) => s.scrapes);
  counter('vigil_target_scrapes_timed_out_total', 'Total number of scrapes that hit the scrape timeout.', (s) => s.timeouts);
  counter('prometheus_target_scrape_pool_reloads_total', 'Total number of scrape pool reloads.', () => manager()?.reloads ?? 0);
  counter('prometheus_sd_file_read_errors_total', 'The number of File-SD read errors.', () => manager()?.discoveryFailures.get('file') ?? 0);
  counter('prometheus_sd_http_failures_total', 'Number of HTTP service discovery refresh failures.', () => manager()?.discoveryFailures.get('http') ?? 0);
  new Gauge({
    name: 'prometheus_target_scrape_pool_targets',
    help: 'Current number of targets in this scrape pool.',
    labelNames: ['scrape_job'],
    registers,
    collect() {
      this.reset();
      for (const p of manager()?.scrapePools() ?? []) this.labels(p.cfg.jobName).set(p.activeLoops().length);
    },
  });
  new Gauge({
    name: 'prometheus_sd_discovered_targets',
    help: 'Current number of discovered targets.',
    labelNames: ['config', 'name'],
    registers,
    collect() {
      this.reset();
      for (const p of manager()?.scrapePools() ?? []) this.labels(p.cfg.jobName, 'scrape').set(p.discoveredCount);
    },
  });
  new Gauge({
    name: 'prometheus_target_metadata_cache_entries',
    help: 'Total number of metric metadata entries in the cache.',
    labelNames: ['scrape_job'],
    registers,
    collect() {
      this.reset();
      for (const p of manager()?.scrapePools() ?? []) {
        let n = 0;
        for (const l of p.activeLoops()) n += l.cache.metadata().size;
        this.labels(p.cfg.jobName).set(n);
      }
    },
  });
}

/** The `ServerPart` to list in `SERVER_PARTS`. */
export const scrapePart: ServerPart = {
  name: 'scrape',
  async register(app: FastifyInstance, ctx: PartContext): Promise<void> {
    let manager: ScrapeManager | null = null;
    let closed = false;
    const log = ctx.logger;
    await scrapeRoutes(app, { manager: () => manager });
    await demoExporterRoutes(app, new DemoExporter());
    registerMetrics(ctx, () => manager);
    ctx.onConfigReload('scrape', (cfg) => {
      if (closed) return;
      if (manager === null) {
        manager = new ScrapeManager(ctx.storage(), {
          onError: (msg, fields) => log.warn(msg, fields),
        });
      }
      manager.applyConfig(cfg.scrapeConfigs);
      log.info('Scrape configuration applied', { jobs: String(cfg.scrapeConfigs.length) });
    });
    app.addHook('onClose', async () => {
      closed = true;
      if (manager !== null) await manager.stop();
    });
  },
};
