/**
 * Fixtures for the web UI's browser tests and benchmark: an in-process server
 * with the query API over a MemoryStorage seeded with known series, the UI
 * bundle built from the current sources into a temp dir, and a part answering
 * `/api/v1/targets`, `/scrape_pools`, `/rules` and `/alerts` with fixed data in
 * Prometheus 2.42's JSON shapes (the scrape and alert parts are not in this
 * branch yet; when they land the tests can run against them instead).
 * `/api/v1/status/tsdb` is deliberately absent, to test the "not available" state.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import type { BrowserContext, Page } from 'playwright-core';
import { parseCommandArgs } from '../cmd/cli.js';
import { SERVER_FLAGS, serverFlagsFrom } from '../cmd/flags.js';
import { StructuredLogger } from '../cmd/logger.js';
import { type RunningServer, type ServerPart, startServer } from '../cmd/server.js';
import { queryPart } from '../query/query_part.js';
import { MemoryStorage } from '../tsdb/memory_storage.js';
import { Labels } from '../tsdb/labels.js';
import { NO_REF, type Storage } from '../tsdb/storage.js';
import { createUiServerPart } from '../ui/http.js';
import { alertServerPart } from '../alert/server_part.js';
import { actionsPart } from '../cluster/actions/actions_part.js';
import { clusterPart } from '../cluster/cluster_part.js';
import { type DemoPart, demoPart } from '../cluster/demo/demo_part.js';
import { relabel } from '../scrape/relabel.js';
import { scrapePart } from '../scrape/scrape_part.js';
import { freePort } from './remote_peers.js';

export const REPO_ROOT = process.env.VIGIL_REPO_ROOT ?? fileURLToPath(new URL('../..', import.meta.url));
export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** A label value that would run script if rendered as HTML. */
export const HTML_VALUE = '<img src=x onerror=window.__xss=1><b>bold</b>';

/** The seeded series: name, labels, and a value function of the sample index. */
export const TEMPERATURES: readonly (readonly [string, number])[] = [
  ['kitchen', 21.5],
  ['hall', 18.25],
  ['cellar', 12],
];
export const REQUEST_INSTANCES = ['app-1:8080', 'app-2:8080', 'app-3:8080'];
export const SEED_SPAN_MS = 3_600_000;
export const SEED_STEP_MS = 15_000;
export const BULK_TARGETS = 3000;

/** Builds the UI bundle from the current sources into a new temp dir; returns it and a remover. */
export function buildBundle(): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-ui-web-'));
  execFileSync(process.execPath, [join(REPO_ROOT, 'ui', 'build.mjs'), `--outdir=${dir}`], { cwd: REPO_ROOT, stdio: 'pipe' });
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Appends the seeded series ending at `nowMs`. */
export async function seed(storage: Storage, nowMs: number): Promise<void> {
  const app = storage.appender();
  const n = SEED_SPAN_MS / SEED_STEP_MS;
  const start = nowMs - SEED_SPAN_MS;
  for (let i = 0; i <= n; i++) {
    const t = start + i * SEED_STEP_MS;
    for (const [room, v] of TEMPERATURES) app.append(NO_REF, Labels.from({ __name__: 'demo_temperature_celsius', room }), t, v);
    REQUEST_INSTANCES.forEach((instance, k) => {
      app.append(NO_REF, Labels.from({ __name__: 'demo_requests_total', job: 'demo', instance }), t, i * (k + 1) * 10);
    });
    app.append(NO_REF, Labels.from({ __name__: 'demo_html_labels', note: HTML_VALUE }), t, 1);
    app.append(NO_REF, Labels.from({ __name__: 'up', job: 'vigil', instance: 'localhost:9090' }), t, 1);
  }
  await app.commit();
}

function target(pool: string, instance: string, health: string, lastError: string, extra: Record<string, string> = {}) {
  return {
    discoveredLabels: { __address__: instance, __metrics_path__: '/metrics', __scheme__: 'http', job: pool, ...extra },
    labels: { instance, job: pool, ...extra },
    scrapePool: pool,
    scrapeUrl: `http://${instance}/metrics`,
    globalUrl: `http://${instance}/metrics`,
    lastError,
    lastScrape: new Date(Date.now() - 4_000).toISOString(),
    lastScrapeDuration: 0.0123,
    health,
    scrapeInterval: '15s',
    scrapeTimeout: '10s',
  };
}

/** The targets the fixture part reports: small pools plus a bulk pool of `BULK_TARGETS`. */
export function fixtureTargets(): { active: ReturnType<typeof target>[]; dropped: { discoveredLabels: Record<string, string> }[] } {
  const active = [
    target('vigil', 'localhost:9090', 'up', ''),
    target('node', 'node-1:9100', 'up', ''),
    target('node', 'node-2:9100', 'down', 'Get "http://node-2:9100/metrics": dial tcp 10.0.0.2:9100: connect: connection refused'),
    target('node', 'node-3:9100', 'up', '', { note: HTML_VALUE }),
  ];
  for (let i = 0; i < BULK_TARGETS; i++) active.push(target('bulk', `bulk-${String(i).padStart(4, '0')}:8080`, i % 100 === 7 ? 'down' : 'up', i % 100 === 7 ? 'context deadline exceeded' : ''));
  return { active, dropped: [{ discoveredLabels: { __address__: 'node-9:9100', job: 'node', __meta_role: 'ignored' } }] };
}

const RULE_TIME = () => new Date(Date.now() - 12_000).toISOString();

function firingAlert(instance: string) {
  return {
    labels: { alertname: 'HighErrorRate', severity: 'page', instance },
    annotations: { summary: `Error rate above 5% on ${instance}`, description: HTML_VALUE },
    state: 'firing',
    activeAt: new Date(Date.now() - 300_000).toISOString(),
    value: '7.5e-02',
  };
}

/** Rule groups in Prometheus's `/api/v1/rules` shape. */
export function fixtureRules() {
  const firing = [firingAlert('app-1:8080'), firingAlert('app-2:8080')];
  return {
    groups: [
      {
        name: 'demo.rules',
        file: '/etc/vigil/rules/demo.yml',
        interval: 15,
        limit: 0,
        evaluationTime: 0.0021,
        lastEvaluation: RULE_TIME(),
        rules: [
          { state: 'firing', name: 'HighErrorRate', query: 'rate(demo_errors_total[5m]) / rate(demo_requests_total[5m]) > 0.05', duration: 60, keepFiringFor: 0, labels: { severity: 'page' }, annotations: { summary: 'Error rate above 5%' }, alerts: firing, health: 'ok', evaluationTime: 0.0012, lastEvaluation: RULE_TIME(), type: 'alerting' },
          { state: 'inactive', name: 'TargetDown', query: 'up == 0', duration: 300, keepFiringFor: 0, labels: { severity: 'ticket' }, annotations: {}, alerts: [], health: 'ok', evaluationTime: 0.0003, lastEvaluation: RULE_TIME(), type: 'alerting' },
          { name: 'job:demo_requests:rate5m', query: 'sum by (job) (rate(demo_requests_total[5m]))', labels: {}, health: 'ok', evaluationTime: 0.0004, lastEvaluation: RULE_TIME(), type: 'recording' },
          { name: 'job:broken:rate5m', query: 'sum by (job) (rate(missing_total[5m]))', labels: {}, health: 'err', lastError: 'found duplicate series for the match group', evaluationTime: 0.0001, lastEvaluation: RULE_TIME(), type: 'recording' },
        ],
      },
    ],
  };
}

/** Serves targets, scrape pools, rules and alerts from the fixtures. */
export const fixtureApiPart: ServerPart = {
  name: 'ui-fixtures',
  async register(app: FastifyInstance): Promise<void> {
    const ok = (data: unknown) => ({ status: 'success', data });
    app.get('/api/v1/targets', async (req) => {
      const q = req.query as Record<string, string | undefined>;
      const { active, dropped } = fixtureTargets();
      const pool = q.scrapePool ?? '';
      const state = q.state ?? 'any';
      const a = active.filter((t) => pool === '' || t.scrapePool === pool);
      return ok({ activeTargets: state === 'dropped' ? [] : a, droppedTargets: state === 'active' ? [] : dropped });
    });
    app.get('/api/v1/scrape_pools', async () => ok({ scrapePools: ['bulk', 'node', 'vigil'] }));
    app.get('/api/v1/rules', async (req) => {
      const type = (req.query as Record<string, string | undefined>).type ?? '';
      const r = fixtureRules();
      for (const g of r.groups) g.rules = g.rules.filter((x) => type === '' || (type === 'alert' ? x.type === 'alerting' : x.type === 'recording'));
      return ok(r);
    });
    app.get('/api/v1/alerts', async () => ok({ alerts: fixtureRules().groups.flatMap((g) => g.rules.flatMap((r) => ('alerts' in r ? r.alerts : []))) }));
  },
};

/** TSDB statistics in Prometheus's `/api/v1/status/tsdb` shape (for servers whose storage will provide them). */
export const TSDB_STATUS = {
  headStats: { numSeries: 8, numLabelPairs: 14, chunkCount: 8, minTime: 1_700_000_000_000, maxTime: 1_700_003_600_000 },
  seriesCountByMetricName: [
    { name: 'demo_requests_total', value: 3 },
    { name: 'demo_temperature_celsius', value: 3 },
  ],
  labelValueCountByLabelName: [{ name: 'instance', value: 4 }],
  memoryInBytesByLabelName: [{ name: 'instance', value: 120 }],
  seriesCountByLabelValuePair: [{ name: 'job=demo', value: 3 }],
};

/** Serves `TSDB_STATUS` at `/api/v1/status/tsdb`. */
export const tsdbStatusFixturePart: ServerPart = {
  name: 'ui-fixture-tsdb-status',
  async register(app: FastifyInstance): Promise<void> {
    app.get('/api/v1/status/tsdb', async () => ({ status: 'success', data: TSDB_STATUS }));
  },
};

/** A started server with seeded data, the fixture API and the UI; `close` stops it and removes the bundle. */
export async function startUiServer(extraFlags: readonly string[] = [], extraParts: readonly ServerPart[] = []): Promise<{ server: RunningServer; close: () => Promise<void> }> {
  const bundle = buildBundle();
  let storage: Storage | null = null;
  const grab: ServerPart = {
    name: 'ui-test-seed',
    async register(_app, ctx) {
      ctx.onConfigReload('seed', async () => {
        if (storage !== null) return;
        storage = ctx.storage();
        await seed(storage, Date.now());
      });
    },
  };
  const flags = serverFlagsFrom(parseCommandArgs(['--web.listen-address=127.0.0.1:0', ...extraFlags], SERVER_FLAGS, { min: 0, max: 0 }));
  const logger = new StructuredLogger({ level: 'error', caller: false, sink: { write: () => {} } });
  // In-memory data: each fixture server seeds its own, and none share a data directory.
  const server = await startServer(flags, { logger, openStorage: async () => new MemoryStorage(), baseParts: [queryPart, fixtureApiPart, ...extraParts, grab, createUiServerPart(bundle.dir)] });
  return {
    server,
    close: async () => {
      await server.close();
      bundle.remove();
    },
  };
}


/**
 * A whole `vigil server` as the quick start runs it — the embedded default configuration
 * (its default path does not exist in `dir`), the TSDB and cluster store in `dir`, the
 * local node agent running the demo's pods, the rules and cluster actions, the demo
 * itself and the UI built from the current sources — with the demo Service on a free
 * port and the agent's pod ports in `podPorts`, so parallel tests do not collide.
 */
export async function startDemoServer(dir: string, podPorts: { low: number; high: number }): Promise<{ server: RunningServer; demo: DemoPart; close: () => Promise<void> }> {
  const bundle = buildBundle();
  const flags = serverFlagsFrom(parseCommandArgs(['--web.listen-address=127.0.0.1:0', `--storage.tsdb.path=${join(dir, 'data')}`], SERVER_FLAGS, { min: 0, max: 0 }));
  const logger = new StructuredLogger({ level: 'error', caller: false, sink: { write: () => {} } });
  const cluster = clusterPart({ localAgent: { portRange: podPorts, nodeStatusMs: 1000 } });
  const actions = actionsPart({ registry: () => cluster.api()?.registry ?? null });
  const demo = demoPart({ servicePort: await freePort(), retryMs: 500 });
  const parts = [queryPart, scrapePart, alertServerPart({ relabel, receivers: [actions.receiver] }), cluster, actions, demo, createUiServerPart(bundle.dir)];
  const server = await startServer({ ...flags, configFile: join(dir, 'prometheus.yml') }, { logger, baseParts: parts });
  return {
    server,
    demo,
    close: async () => {
      await server.close();
      bundle.remove();
    },
  };
}

/**
 * Opens `url` in a new page of `context` and records its page errors and console errors in
 * `problems` (console errors from URLs `ignore` matches are left out); asserts a 200 answer.
 */
export async function openPage(context: BrowserContext, url: string, problems: Map<Page, string[]>, ignore?: RegExp): Promise<Page> {
  const page = await context.newPage();
  const list: string[] = [];
  problems.set(page, list);
  page.on('pageerror', (e) => list.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    if (ignore?.test(m.location().url)) return;
    list.push(`console: ${m.text()} (${m.location().url})`);
  });
  const res = await page.goto(url, { waitUntil: 'load' });
  assert.equal(res?.status(), 200, `${url} answers 200`);
  return page;
}
