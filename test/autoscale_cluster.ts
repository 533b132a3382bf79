/**
 * A real autoscaling setup on loopback, for the end-to-end test
 * (test/autoscale_e2e.test.ts) and the benchmark (bench/autoscale_bench.ts):
 * `vigil server` in this process with its parts as `serverParts()` wires them
 * (rules, cluster, actions, autoscaler) and its local node agent, scraping every
 * second and evaluating every second; a Deployment of test/fixtures/load_app.mjs
 * (real processes, scraped through `vigil_sd_configs` pod discovery), a Service
 * in front of it, and a ScalingPolicy on the request rate per replica.
 *
 * `runLoad` is a bounded load loop through the Service proxy; `sampleReplicas`
 * records the Deployment's size over time. Test-only; not used by production code.
 */
import { request } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { relabel } from '../scrape/relabel.js';
import { alertServerPart } from '../alert/server_part.js';
import { actionsPart } from '../cluster/actions/actions_part.js';
import type { Deployment, ScalingPolicy, Service } from '../cluster/api/objects.js';
import type { Registry } from '../cluster/api/registry.js';
import { autoscalePart } from '../cluster/autoscale/autoscale_part.js';
import { autoscalerRuleGroupYaml } from '../cluster/autoscale/autoscaler_rules.js';
import { SCALING_POLICIES } from '../cluster/autoscale/autoscaler.js';
import { clusterPart } from '../cluster/cluster_part.js';
import { DEPLOYMENTS, SERVICES } from '../cluster/controllers/resources.js';
import { parseCommandArgs } from '../cmd/cli.js';
import { embeddedDefaultConfigText } from '../cmd/config.js';
import { SERVER_FLAGS, serverFlagsFrom } from '../cmd/flags.js';
import { StructuredLogger } from '../cmd/logger.js';
import { type RunningServer, startServer } from '../cmd/server.js';
import { queryPart } from '../query/query_part.js';
import { scrapePart } from '../scrape/scrape_part.js';

export const LOAD_APP = fileURLToPath(new URL('../../test/fixtures/load_app.mjs', import.meta.url));

export interface AutoscaleClusterOptions {
  /** ScalingPolicy numbers. */
  targetPerReplica: number;
  maxReplicas: number;
  windowSeconds: number;
  /** Host ports for the pods (keep test files apart). */
  portRange: { low: number; high: number };
  /** `for:` of AutoscalerMetricsMissing in this setup's rule file. Default 0s. */
  missingFor?: string;
}

export interface AutoscaleCluster {
  readonly server: RunningServer;
  readonly registry: Registry;
  readonly dir: string;
  /** The Service's port on 127.0.0.1 (the agent's proxy). */
  readonly servicePort: number;
  /** Rewrites the configuration (with or without the pod scrape job) and reloads it. */
  setPodScraping(on: boolean): Promise<void>;
  /** spec.replicas and status.readyReplicas of the Deployment. */
  size(): Promise<{ spec: number; ready: number }>;
  close(): Promise<void>;
}

/** A free TCP port on 127.0.0.1 (closed again; a small race the caller accepts). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const p = a !== null && typeof a === 'object' ? a.port : 0;
      s.close(() => resolve(p));
    });
  });
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `fn` every `pollMs` until it returns a truthy value; throws after `timeoutMs` naming `what`. */
export async function waitFor<T>(what: string, fn: () => Promise<T | null | undefined | false>, timeoutMs: number, pollMs = 100): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(pollMs);
  }
}

function configText(port: number, pods: boolean, rules: string): string {
  const base = embeddedDefaultConfigText(port, { cluster: pods })
    .replace('scrape_interval: 15s', 'scrape_interval: 1s')
    .replace('evaluation_interval: 15s', 'evaluation_interval: 1s');
  return `${base}rule_files:\n  - ${JSON.stringify(rules)}\n`;
}

export async function startAutoscaleCluster(o: AutoscaleClusterOptions): Promise<AutoscaleCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-autoscale-'));
  const cfg = join(dir, 'vigil.yml');
  const rules = join(dir, 'rules.yml');
  writeFileSync(rules, autoscalerRuleGroupYaml(o.missingFor ?? '0s'));
  writeFileSync(cfg, configText(0, true, rules));
  const flags = serverFlagsFrom(
    parseCommandArgs(['--web.listen-address=127.0.0.1:0', `--config.file=${cfg}`, `--storage.tsdb.path=${join(dir, 'data')}`], SERVER_FLAGS, { min: 0, max: 0 }),
  );
  // As serverParts() wires them, with a local agent that reports often and a port range of its own.
  const cluster = clusterPart({ localAgent: { portRange: o.portRange, nodeStatusMs: 1000 } });
  const autoscale = autoscalePart({ registry: () => cluster.api()?.registry ?? null, isLeading: () => cluster.manager()?.isLeading() ?? false });
  const actions = actionsPart({ registry: () => cluster.api()?.registry ?? null, onOutcome: autoscale.recordAction });
  const server = await startServer(flags, {
    logger: new StructuredLogger({ level: 'error', caller: false, sink: { write: () => {} } }),
    baseParts: [queryPart, scrapePart, alertServerPart({ relabel, receivers: [actions.receiver] }), cluster, actions, autoscale],
  });
  let port = server.port;
  const setPodScraping = async (on: boolean): Promise<void> => {
    writeFileSync(cfg, configText(port, on, rules));
    const r = await server.reload();
    if (!r.ok) throw new Error(`config reload failed: ${r.error}`);
  };
  try {
    port = server.port;
    // Now the self-scrape target (the autoscaler's gauges) has the real port.
    await setPodScraping(true);
    const registry = cluster.api()?.registry;
    if (registry === undefined) throw new Error('BUG: the cluster part did not open its registry');
    const servicePort = await freePort();
    const d: Deployment = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: 'default' },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { labels: { app: 'web' }, annotations: { 'prometheus.io/scrape': 'true' } },
          spec: {
            containers: [{ name: 'app', image: `${process.execPath} ${LOAD_APP}`, ports: [{ name: 'http' }], readinessProbe: { httpGet: { path: '/ready', port: 'http' }, periodSeconds: 1 } }],
            terminationGracePeriodSeconds: 5,
          },
        },
      },
    };
    await registry.create(DEPLOYMENTS, 'default', d);
    const svc: Service = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'default' }, spec: { selector: { app: 'web' }, ports: [{ port: servicePort, targetPort: 'http' }] } };
    await registry.create(SERVICES, 'default', svc);
    const policy: ScalingPolicy = {
      apiVersion: 'autoscaling.vigil.dev/v1',
      kind: 'ScalingPolicy',
      metadata: { name: 'web', namespace: 'default' },
      spec: {
        target: 'web',
        minReplicas: 1,
        maxReplicas: o.maxReplicas,
        query: 'sum(rate(load_app_requests_total{namespace="$namespace",app="$target"}[3s])) / $replicas',
        targetPerReplica: o.targetPerReplica,
        scaleDown: { stabilizationWindowSeconds: o.windowSeconds },
      },
    };
    await registry.create(SCALING_POLICIES, 'default', policy);
    const size = async () => {
      const x = (await registry.get(DEPLOYMENTS, 'default', 'web')) as Deployment;
      return { spec: x.spec.replicas ?? 1, ready: x.status?.readyReplicas ?? 0 };
    };
    return {
      server,
      registry,
      dir,
      servicePort,
      setPodScraping,
      size,
      close: async () => {
        await server.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (e) {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}

/** One GET through a fresh connection; resolves true on a 200. */
function get(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/', agent: false, timeout: 2000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode === 200));
      res.on('error', () => resolve(false));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });
}

export interface LoadResult {
  sent: number;
  ok: number;
  failed: number;
}

/**
 * GETs `/` on 127.0.0.1:`port` at about `rps` requests per second (paced per
 * 100 ms slot, at most 32 in flight) until `stop` is aborted or `maxMs` passed.
 */
export async function runLoad(port: number, rps: number, stop: AbortSignal, maxMs = 120_000): Promise<LoadResult> {
  const r: LoadResult = { sent: 0, ok: 0, failed: 0 };
  const start = Date.now();
  const inFlight = new Set<Promise<void>>();
  const perSlot = Math.max(1, Math.round(rps / 10));
  while (!stop.aborted && Date.now() - start < maxMs) {
    const slot = Date.now();
    for (let i = 0; i < perSlot && inFlight.size < 32; i++) {
      r.sent++;
      const p: Promise<void> = get(port).then((ok) => {
        if (ok) r.ok++;
        else r.failed++;
        inFlight.delete(p);
      });
      inFlight.add(p);
    }
    await sleep(Math.max(0, 100 - (Date.now() - slot)));
  }
  await Promise.all(inFlight);
  return r;
}

export interface SizeSample {
  tMs: number;
  spec: number;
  ready: number;
}

/** Samples `size()` every `everyMs` into the returned array until `stop` aborts. */
export function sampleReplicas(size: () => Promise<{ spec: number; ready: number }>, stop: AbortSignal, everyMs = 200): { samples: SizeSample[]; done: Promise<void> } {
  const samples: SizeSample[] = [];
  const done = (async () => {
    while (!stop.aborted) {
      try {
        const s = await size();
        samples.push({ tMs: Date.now(), ...s });
      } catch {
        // The store may be closing at the end of the test.
      }
      await sleep(everyMs);
    }
  })();
  return { samples, done };
}

/**
 * Whether `counts` rises (or stays) and then falls (or stays) at most once each:
 * up* then down*, i.e. no flapping. Returns the index of the first violation or -1.
 */
export function flapIndex(counts: readonly number[]): number {
  let falling = false;
  for (let i = 1; i < counts.length; i++) {
    const a = counts[i - 1]!;
    const b = counts[i]!;
    if (b < a) falling = true;
    else if (b > a && falling) return i;
  }
  return -1;
}
