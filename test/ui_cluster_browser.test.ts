/**
 * The cluster views in real headless Chromium against an in-process server
 * running the cluster part (SQLite store in a temp dir, scheduler and
 * controllers) plus the query API and the UI: a node, a deployment (its pods
 * bound by the scheduler, marked running and ready through the status
 * subresource as an agent would), a service and a pod in a second namespace
 * are created over REST; the Nodes, Deployments, Pods and Services pages list
 * them, update when the deployment is scaled, draw the replicas chart from
 * stored `vigil_deployment_*` samples (and say "no data yet" without them),
 * render a node condition message containing HTML as text, and log no console
 * errors. (The README's cluster screenshots come from ui_demo_browser.test.ts.)
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { clusterPart } from '../cluster/cluster_part.js';
import type { RunningServer, ServerPart } from '../cmd/server.js';
import { Labels } from '../tsdb/labels.js';
import { NO_REF } from '../tsdb/storage.js';
import { CHROMIUM, CHROMIUM_ARGS, HTML_VALUE, startUiServer, openPage } from './ui_fixtures.js';

/** Screenshots of these fixture views stay in a temp dir: docs/screenshots/cluster_*.png come from the demo (ui_demo_browser.test.ts). */
const SHOTS = join(tmpdir(), 'vigil-ui-screenshots', 'cluster-fixture');
const haveChromium = existsSync(CHROMIUM);
/** Long enough for a few 2 s polls and the controllers on a loaded CI machine. */
const WAIT_MS = 15_000;

/** Stored desired/available replicas of default/web over the last hour: desired 2, available climbing 0→2. */
const metricsSeed: ServerPart = {
  name: 'ui-cluster-metrics-seed',
  async register(_app, ctx) {
    let done = false;
    ctx.onConfigReload('cluster-seed', async () => {
      if (done) return;
      done = true;
      const app = ctx.storage().appender();
      const now = Date.now();
      for (let i = 0; i <= 240; i++) {
        const t = now - 3_600_000 + i * 15_000;
        app.append(NO_REF, Labels.from({ __name__: 'vigil_deployment_spec_replicas', namespace: 'default', deployment: 'web' }), t, 2);
        app.append(NO_REF, Labels.from({ __name__: 'vigil_deployment_status_replicas_available', namespace: 'default', deployment: 'web' }), t, Math.min(2, Math.floor(i / 40)));
      }
      await app.commit();
    });
  },
};

type Obj = Record<string, unknown>;

/** Pod IPs handed out by `runPods`, distinct across calls. */
let nextIp = 10;

describe('cluster views in Chromium', { skip: haveChromium ? false : `${CHROMIUM} is not installed` }, () => {
  let browser: Browser;
  let context: BrowserContext;
  let server: RunningServer;
  let close: () => Promise<void> = async () => {};
  const dir = mkdtempSync(join(tmpdir(), 'vigil-ui-cluster-'));
  const problems = new Map<Page, string[]>();

  /** Arranges cluster state as the admin (the browser itself reads without a token: --cluster.ui-read-access). */
  async function req(method: 'GET' | 'POST' | 'PUT', url: string, body?: unknown): Promise<Obj> {
    const headers = { authorization: `Bearer ${readFileSync(join(dir, 'data', 'cluster', 'admin.token'), 'utf8').trim()}` };
    const r = await server.app.inject({ method, url, headers, ...(body !== undefined ? { payload: body as Obj } : {}) });
    assert.ok(r.statusCode < 300, `${method} ${url}: ${r.statusCode} ${r.body}`);
    return r.json() as Obj;
  }

  async function podsOf(ns: string): Promise<Obj[]> {
    return (await req('GET', `/api/v1/namespaces/${ns}/pods`)).items as Obj[];
  }

  /** Waits until the deployment's pods number `n` and all are bound; marks them Running and Ready as an agent would. */
  async function runPods(n: number): Promise<void> {
    const end = Date.now() + WAIT_MS;
    let pods: Obj[] = [];
    while (Date.now() < end) {
      pods = (await podsOf('default')).filter((p) => ((p.metadata as Obj).labels as Obj | undefined)?.app === 'web' && (p.spec as Obj).nodeName === 'n1');
      if (pods.length === n) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(pods.length, n, `${n} web pods bound to n1`);
    for (const p of pods) {
      if ((p.status as Obj | undefined)?.phase === 'Running') continue;
      const now = new Date().toISOString();
      const name = String((p.metadata as Obj).name);
      await req('PUT', `/api/v1/namespaces/default/pods/${name}/status`, {
        ...p,
        status: {
          phase: 'Running',
          podIP: `10.1.0.${nextIp++}`,
          hostIP: '10.0.0.1',
          startTime: now,
          conditions: [
            { type: 'PodScheduled', status: 'True', lastTransitionTime: now },
            { type: 'Ready', status: 'True', lastTransitionTime: now },
            { type: 'ContainersReady', status: 'True', lastTransitionTime: now },
          ],
          containerStatuses: [{ name: 'app', ready: true, started: true, restartCount: 1, state: { running: { startedAt: now } } }],
        },
      });
    }
  }

  before(async () => {
    const s = await startUiServer([`--storage.tsdb.path=${join(dir, 'data')}`], [clusterPart({ localAgent: false }), metricsSeed]);
    server = s.server;
    close = s.close;
    const node = await req('POST', '/api/v1/nodes', { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1' }, spec: {} });
    await req('PUT', '/api/v1/nodes/n1/status', {
      ...node,
      status: { allocatable: { cpu: '2', memory: '1Gi', pods: '10' }, conditions: [{ type: 'Ready', status: 'True', reason: 'AgentReady', message: HTML_VALUE }] },
    });
    await req('POST', '/api/v1/nodes', { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n2' }, spec: { unschedulable: true } });
    await req('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team-a' } });
    const template = (app: string) => ({ metadata: { labels: { app } }, spec: { containers: [{ name: 'app', image: 'node app.js', ports: [{ containerPort: 8080 }], resources: { requests: { cpu: '250m', memory: '64Mi' } } }] } });
    await req('POST', '/apis/apps/v1/namespaces/default/deployments', { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' }, spec: { replicas: 2, selector: { matchLabels: { app: 'web' } }, template: template('web') } });
    await req('POST', '/apis/apps/v1/namespaces/team-a/deployments', { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'batch' }, spec: { replicas: 0, selector: { matchLabels: { app: 'batch' } }, template: template('batch') } });
    await req('POST', '/api/v1/namespaces/team-a/pods', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'lonely' }, spec: { containers: [{ name: 'c', image: 'sleep 1000' }] } });
    await req('POST', '/api/v1/namespaces/default/services', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] } });
    await runPods(2);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
    mkdirSync(SHOTS, { recursive: true });
  });
  after(async () => {
    await context?.close();
    await browser?.close();
    await close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function open(path: string): Promise<Page> {
    return openPage(context, `${server.url}${path}`, problems);
  }

  function noProblems(page: Page): void {
    assert.deepEqual(problems.get(page) ?? [], [], 'no console errors or page errors');
  }

  /** The text of each cell of the row matching `selector`. */
  async function cells(page: Page, selector: string): Promise<string[]> {
    return page.$$eval(`${selector} td`, (tds) => tds.map((td) => (td.textContent ?? '').trim()));
  }

  async function waitCell(page: Page, selector: string, index: number, expected: string): Promise<void> {
    await page.waitForFunction(
      `(() => { const r = document.querySelector(${JSON.stringify(selector)}); const c = r && r.querySelectorAll('td')[${index}]; return c ? c.textContent.trim().startsWith(${JSON.stringify(expected)}) : false; })()`,
      undefined,
      { timeout: WAIT_MS },
    ).catch(async (e: unknown) => {
      const got = await cells(page, selector).catch(() => []);
      throw new Error(`${selector} cell ${index} did not become ${expected}: row ${JSON.stringify(got)} (${e instanceof Error ? e.message : String(e)})`);
    });
  }

  test('nodes: readiness, cordoned, requests against allocatable, pod count; HTML in a condition message is text', async () => {
    const page = await open('/cluster/nodes');
    // Two web pods and team-a's pod, all bound to n1 (n2 is cordoned).
    await waitCell(page, 'tr.node-row[data-name="n1"]', 5, '3 / 10');
    const n1 = await cells(page, 'tr.node-row[data-name="n1"]');
    assert.equal(n1[0], 'n1');
    assert.ok(n1[1]?.startsWith('Ready'), n1[1]);
    assert.ok(n1[1]?.includes(HTML_VALUE), 'the condition message is shown verbatim');
    assert.equal(n1[2], 'no');
    assert.ok(n1[3]?.startsWith('500m / 2'), `two web pods × 250m (the third pod requests nothing) of 2 cores: ${n1[3]}`);
    assert.ok(n1[4]?.startsWith('128Mi / 1Gi'), n1[4]);
    const n2 = await cells(page, 'tr.node-row[data-name="n2"]');
    assert.equal(n2[2], 'cordoned');
    assert.ok(n2[1]?.startsWith('Unknown'), 'a node without a Ready condition is Unknown');
    assert.equal(await page.evaluate('window.__xss'), undefined);
    assert.equal(await page.$$eval('.nodes-table b, .nodes-table img', (e) => e.length), 0, 'no element was created from the message');
    assert.ok(await page.isVisible('nav .navgroup-cluster a[data-path="/cluster/nodes"].active'), 'the cluster section is in the navigation');
    await page.screenshot({ path: join(SHOTS, 'cluster_nodes.png') });
    noProblems(page);
    await page.close();
  });

  test('deployments: replicas and rollout, the replicas chart from stored metrics, and live update on scale', async () => {
    const page = await open('/cluster/deployments');
    const web = 'tr.deployment-row[data-namespace="default"][data-name="web"]';
    await waitCell(page, web, 5, '2');
    const row = await cells(page, web);
    assert.deepEqual(row.slice(0, 6), ['default', 'web', '2', '2', '2', '2']);
    assert.ok(row[6]?.startsWith('Complete'), row[6]);
    await page.waitForSelector('.deployment-chart[data-state="drawn"] canvas', { timeout: WAIT_MS });
    const legend = await page.$$eval('.deployment-chart .u-legend .u-series', (els) => els.slice(1).map((e) => e.textContent ?? ''));
    assert.equal(legend.length, 2);
    assert.ok(legend.some((l) => l.includes('vigil_deployment_spec_replicas')));
    assert.ok(legend.some((l) => l.includes('vigil_deployment_status_replicas_available')));
    await page.screenshot({ path: join(SHOTS, 'cluster_deployments.png') });

    // Scale to 3: the page follows without a reload.
    const d = await req('GET', '/apis/apps/v1/namespaces/default/deployments/web');
    await req('PUT', '/apis/apps/v1/namespaces/default/deployments/web', { ...d, spec: { ...(d.spec as Obj), replicas: 3 } });
    await waitCell(page, web, 2, '3');
    await runPods(3);
    await waitCell(page, web, 5, '3');

    // A deployment without stored metrics says so.
    await page.click('tr.deployment-row[data-name="batch"]');
    await page.waitForSelector('.deployment-chart[data-state="empty"]', { timeout: WAIT_MS });
    assert.match((await page.textContent('.deployment-chart')) ?? '', /No data yet/);
    assert.match(page.url(), /deployment=team-a%2Fbatch/);
    noProblems(page);
    await page.close();
  });

  test('pods: all namespaces, the namespace filter, phase, ready, restarts, node', async () => {
    const page = await open('/cluster/pods');
    await page.waitForSelector('tr.pod-row[data-name="lonely"]', { timeout: WAIT_MS });
    const end = Date.now() + WAIT_MS;
    let web: number;
    do {
      web = await page.$$eval('tr.pod-row[data-namespace="default"]', (r) => r.length);
      if (web === 3) break;
      await new Promise((r) => setTimeout(r, 200));
    } while (Date.now() < end);
    assert.equal(web, 3, 'the scaled deployment shows three pods');
    const names = await page.$$eval('tr.pod-row[data-namespace="default"] td.name', (t) => t.map((x) => x.textContent ?? ''));
    const running = await cells(page, `tr.pod-row[data-name="${names[0] ?? ''}"]`);
    assert.deepEqual(running.slice(2, 6), ['Running', '1/1', '1', 'n1']);
    const lonely = await cells(page, 'tr.pod-row[data-name="lonely"]');
    assert.equal(lonely[0], 'team-a');
    assert.ok(lonely[2]?.startsWith('Pending'), lonely[2]);
    await page.waitForSelector('select.namespace-filter option[value="team-a"]', { state: 'attached', timeout: WAIT_MS });
    await page.screenshot({ path: join(SHOTS, 'cluster_pods.png') });
    await page.selectOption('select.namespace-filter', 'team-a');
    await page.waitForFunction(`document.querySelectorAll('tr.pod-row[data-namespace="default"]').length === 0 && document.querySelectorAll('tr.pod-row[data-name="lonely"]').length === 1`, undefined, { timeout: WAIT_MS });
    assert.match(page.url(), /namespace=team-a/);
    noProblems(page);
    await page.close();
  });

  test('services: type, ports and ready endpoints from the Endpoints object', async () => {
    const page = await open('/cluster/services');
    const sel = 'tr.service-row[data-namespace="default"][data-name="web"]';
    await waitCell(page, sel, 5, '3');
    const row = await cells(page, sel);
    assert.ok(row[2]?.startsWith('ClusterIP'), row[2]);
    assert.equal(row[3], 'http:80→8080/TCP');
    assert.equal(row[4], 'app="web"');
    for (const n of [10, 11, 12]) assert.ok(row[5]?.includes(`10.1.0.${n} (web-`), `${row[5]} lists 10.1.0.${n} with its pod`);
    assert.ok(row[6]?.startsWith('0'), row[6]);
    await page.screenshot({ path: join(SHOTS, 'cluster_services.png') });
    noProblems(page);
    await page.close();
  });
});
