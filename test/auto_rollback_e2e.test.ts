/**
 * Auto-rollback end to end, as separate real processes on loopback: the built
 * `vigil server` (1 s scrape and rule evaluation, the embedded default scrape jobs,
 * a rule file with HighErrorRate), one `vigil agent`, and `vigil ctl` for every
 * change. The fixture test/fixtures/versioned_app.mjs runs as v1 (always 200) in a
 * Deployment of 3 with `rollbackOn: [HighErrorRate]` behind a Service; a bounded
 * load loop goes through the agent's Service proxy and records which version
 * answered each request. `ctl set image` rolls out v2 (500 on 3 of 4 requests)
 * with maxSurge 1 / maxUnavailable 0 and minReadySeconds 5, so v1 keeps serving;
 * the alert fires for v2's pod_template_hash, the server undoes the rollout, and
 * the Deployment returns to v1 (template and ReplicaSet). Asserted: no request
 * answered by v1 failed, v2 did answer (and fail), the Event, condition, metric,
 * audit line and `ctl describe` output. Prints the measured times.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { embeddedDefaultConfigText } from '../cmd/config.js';
import { PortAllocator } from '../cluster/agent/ports.js';
import type { Deployment, Event, Pod, ReplicaSet } from '../cluster/api/objects.js';
import { clusterCredentials } from './cluster_credentials.js';
import { sleep, VIGIL, waitFor as waitForEvery } from './failover_cluster.js';

/** Bounded polling every 200 ms (failover_cluster.ts's waitFor). */
const waitFor = <T>(what: string, fn: () => Promise<T | undefined | null | false>, timeoutMs: number, diag: () => string = () => ''): Promise<T> =>
  waitForEvery(what, fn, timeoutMs, diag, 200);

const APP = fileURLToPath(new URL('../../test/fixtures/versioned_app.mjs', import.meta.url));
const run = promisify(execFile);

interface Proc {
  name: string;
  child: ChildProcess;
  output: string;
  all: string;
  exited: Promise<void>;
}

function start(name: string, args: string[]): Proc {
  const child = spawn(process.execPath, [VIGIL, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const p: Proc = { name, child, output: '', all: '', exited: new Promise((r) => child.once('exit', () => r())) };
  const keep = (b: Buffer) => {
    p.output = (p.output + b.toString()).slice(-4000);
    if (p.all.length < 1_000_000) p.all += b.toString();
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return p;
}

async function stop(p: Proc, graceMs: number): Promise<void> {
  if (p.child.exitCode !== null || p.child.signalCode !== null) return;
  p.child.kill('SIGTERM');
  const timer = setTimeout(() => p.child.kill('SIGKILL'), graceMs);
  await p.exited;
  clearTimeout(timer);
}

const RULES = `groups:
  - name: rollout
    interval: 1s
    rules:
      - alert: HighErrorRate
        expr: sum by (namespace, pod_template_hash) (rate(http_requests_total{code=~"5.."}[5s])) > 0
        labels:
          severity: page
        annotations:
          summary: "{{ $labels.namespace }} revision {{ $labels.pod_template_hash }} answers 5xx"
`;

function manifest(svcPort: number, version: string): string {
  const dep = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web' },
    spec: {
      replicas: 3,
      minReadySeconds: 5,
      selector: { matchLabels: { app: 'web' } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
      rollbackOn: ['HighErrorRate'],
      template: {
        metadata: { labels: { app: 'web' }, annotations: { 'prometheus.io/scrape': 'true' } },
        spec: {
          terminationGracePeriodSeconds: 5,
          containers: [
            {
              name: 'app',
              image: `${process.execPath} ${APP} --version ${version}`,
              ports: [{ name: 'http' }],
              readinessProbe: { httpGet: { path: '/ready', port: 'http' }, periodSeconds: 1 },
            },
          ],
        },
      },
    },
  };
  const svc = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ port: svcPort, targetPort: 'http' }] } };
  return JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [dep, svc] });
}

interface Tally {
  ok: number;
  failed: number;
}

test('auto-rollback: a v2 that answers 500 trips rollbackOn, the Deployment returns to v1, no request answered by v1 fails', async (t) => {
  const t0 = Date.now();
  const dir = mkdtempSync(join(tmpdir(), 'vigil-auto-rollback-'));
  const procs: Proc[] = [];
  let loadOn = false;
  t.after(async () => {
    loadOn = false;
    await Promise.all(procs.filter((p) => p.name !== 'server').map((p) => stop(p, 8000)));
    await Promise.all(procs.filter((p) => p.name === 'server').map((p) => stop(p, 5000)));
    rmSync(dir, { recursive: true, force: true });
  });
  const diag = () => `\n${procs.map((p) => `--- ${p.name} (last output):\n${p.output.slice(-1500)}`).join('\n')}`;

  const apiPort = await new PortAllocator(54000, 54499).allocate();
  const svcPort = await new PortAllocator(54500, 54999).allocate();
  const url = `http://127.0.0.1:${apiPort}`;
  writeFileSync(join(dir, 'rules.yml'), RULES);
  const cfg = embeddedDefaultConfigText(apiPort)
    .replace('scrape_interval: 15s', 'scrape_interval: 1s\n  scrape_timeout: 1s')
    .replace('evaluation_interval: 15s', 'evaluation_interval: 1s');
  writeFileSync(join(dir, 'vigil.yml'), `${cfg}rule_files:\n  - ${join(dir, 'rules.yml')}\n`);
  procs.push(start('server', ['server', `--web.listen-address=127.0.0.1:${apiPort}`, `--config.file=${join(dir, 'vigil.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, '--log.level=warn', '--no-cluster.local-agent']));
  await waitFor('the server API', async () => (await fetch(`${url}/api/v1/nodes`)).ok, 30_000, diag);
  const creds = await clusterCredentials(join(dir, 'data'));
  const nodeToken = creds.nodeTokenFile('node-a', join(dir, 'node-a.token'));
  procs.push(start('agent', ['agent', `--server=${url}`, `--token-file=${nodeToken}`, '--node-name=node-a', `--data-dir=${join(dir, 'node-a')}`, '--listen-address=127.0.0.1:0', '--port-range=55000-55299', '--pod.drain-delay=1s', '--log.level=warn']));
  const ctl = async (...args: string[]): Promise<string> => (await run(process.execPath, [VIGIL, 'ctl', `--server=${url}`, `--token=${creds.adminToken}`, ...args], { timeout: 30_000 })).stdout;
  const getJson = async <T>(path: string): Promise<T> => (await (await fetch(`${url}${path}`, { headers: creds.adminHeaders })).json()) as T;
  await waitFor('a Ready node', async () => {
    const items = (JSON.parse(await ctl('get', 'nodes', '-o', 'json')) as { items: { status?: { conditions?: { type: string; status: string }[] } }[] }).items;
    return items.length === 1 && (items[0]?.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
  }, 30_000, diag);

  const file = join(dir, 'web.json');
  writeFileSync(file, manifest(svcPort, 'v1'));
  await ctl('apply', '-f', file);
  const deployment = () => getJson<Deployment>('/apis/apps/v1/namespaces/default/deployments/web');
  const replicaSets = async () => (await getJson<{ items: ReplicaSet[] }>('/apis/apps/v1/namespaces/default/replicasets')).items;
  const pods = async () => (await getJson<{ items: Pod[] }>('/api/v1/namespaces/default/pods')).items;
  const ready = (p: Pod) => p.metadata.deletionTimestamp === undefined && (p.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
  const complete = (d: Deployment) =>
    d.status?.observedGeneration === d.metadata.generation && d.status?.conditions?.find((c) => c.type === 'Progressing')?.reason === 'NewReplicaSetAvailable' && d.status?.availableReplicas === 3 && d.status?.replicas === 3;
  await waitFor('v1 rolled out: 3 available replicas', async () => complete(await deployment()), 40_000, diag);
  const [v1rs] = await replicaSets();
  assert.ok(v1rs !== undefined);
  const h1 = v1rs.metadata.labels?.['pod-template-hash'] ?? '';
  await waitFor('3 endpoints', async () => {
    const ep = await getJson<{ subsets?: { addresses?: unknown[] }[] }>('/api/v1/namespaces/default/endpoints/web');
    return (ep.subsets ?? []).reduce((n, s) => n + (s.addresses?.length ?? 0), 0) === 3;
  }, 20_000, diag);

  // The bounded load loop: two clients, at most 6000 requests, until told to stop.
  const tally = new Map<string, Tally>();
  let unattributed = 0;
  let sent = 0;
  const note = (version: string, ok: boolean) => {
    const x = tally.get(version) ?? { ok: 0, failed: 0 };
    if (ok) x.ok++;
    else x.failed++;
    tally.set(version, x);
  };
  // The agent's Service proxy follows the endpoints a moment later (longer on a loaded machine).
  await waitFor('the Service proxy answering with v1', async () => {
    const r = await fetch(`http://127.0.0.1:${svcPort}/`, { signal: AbortSignal.timeout(2000) });
    return r.status === 200 && (await r.text()).startsWith('v1');
  }, 20_000, diag);
  loadOn = true;
  const client = async () => {
    while (loadOn && sent < 6000) {
      sent++;
      try {
        const r = await fetch(`http://127.0.0.1:${svcPort}/`, { signal: AbortSignal.timeout(5000) });
        const version = (await r.text()).trim().split(' ')[0] ?? '';
        if (version === 'v1' || version === 'v2') note(version, r.status === 200);
        else unattributed++;
      } catch {
        unattributed++;
      }
      await sleep(15);
    }
  };
  const load = Promise.all([client(), client()]);
  await waitFor('v1 serving through the Service proxy before the rollout (20 answers)', async () => (tally.get('v1')?.ok ?? 0) > 20, 20_000, diag);

  // Roll out v2.
  const tRollout = Date.now();
  assert.match(await ctl('set', 'image', 'deployment/web', `app=${process.execPath} ${APP} --version v2`), /image updated/);
  let tFiring = 0;
  let tUndo = 0;
  let h2 = '';
  let activeAt = 0;
  let lastAlerts = '';
  await waitFor(
    'HighErrorRate to fire for v2 and the rollout to be undone',
    async () => {
      if (tFiring === 0) {
        const a = await getJson<{ data: { alerts: { labels: Record<string, string>; state: string; activeAt: string }[] } }>('/api/v1/alerts');
        lastAlerts = JSON.stringify(a.data.alerts);
        const f = a.data.alerts.find((x) => x.labels.alertname === 'HighErrorRate' && x.state === 'firing');
        if (f !== undefined) {
          tFiring = Date.now();
          h2 = f.labels.pod_template_hash ?? '';
          activeAt = Date.parse(f.activeAt);
        }
      }
      const d = await deployment();
      if (tUndo === 0 && d.spec.template.spec.containers[0]?.image.endsWith('--version v1') === true && d.metadata.generation !== undefined && d.metadata.generation >= 3) tUndo = Date.now();
      return tFiring !== 0 && tUndo !== 0;
    },
    45_000,
    () => `; last alerts ${lastAlerts}${diag()}`,
  );
  await waitFor(
    'the rollback to v1 to complete (3 ready v1 pods, no v2 pod)',
    async () => {
      const d = await deployment();
      const ps = (await pods()).filter((p) => p.metadata.deletionTimestamp === undefined);
      return complete(d) && ps.length === 3 && ps.every((p) => ready(p) && p.metadata.labels?.['pod-template-hash'] === h1);
    },
    40_000,
    diag,
  );
  const tDone = Date.now();
  await sleep(1500);
  loadOn = false;
  await load;

  // Measured: rollout → alert firing → rollout undone (template back) → rollback complete.
  const auditLine = procs[0]!.all.split('\n').find((l) => l.includes('deployment auto rollback')) ?? '';
  const auditTs = Date.parse(/ts=(\S+)|"ts":"([^"]+)"/.exec(auditLine)?.slice(1).find((x) => x !== undefined) ?? '');
  const figures = { alertActiveS: (activeAt - tRollout) / 1000, rollbackWrittenS: (auditTs - tRollout) / 1000, alertSeenS: (tFiring - tRollout) / 1000, undoneS: (tUndo - tRollout) / 1000, completeS: (tDone - tRollout) / 1000, requests: sent, unattributed, byVersion: Object.fromEntries(tally), totalS: (Date.now() - t0) / 1000 };
  t.diagnostic(`auto-rollback figures: ${JSON.stringify(figures)}`);

  // The alert named v2's revision, and v2 really answered (and failed) in between.
  assert.notEqual(h2, '');
  assert.notEqual(h2, h1);
  const v2 = tally.get('v2') ?? { ok: 0, failed: 0 };
  assert.ok(v2.failed > 0, `v2 answered with errors: ${JSON.stringify(v2)}`);
  // Zero failed requests for v1's share.
  const v1 = tally.get('v1') ?? { ok: 0, failed: 0 };
  assert.equal(v1.failed, 0, `requests answered by v1 never fail: ${JSON.stringify(figures)}`);
  assert.ok(v1.ok > 50, `v1 kept serving: ${JSON.stringify(v1)}`);
  assert.equal(unattributed, 0, 'every request got an answer from some version (the proxy never dropped one)');

  // The Deployment is back on v1: template, and v1's own ReplicaSet as the newest revision.
  const d = await deployment();
  assert.match(d.spec.template.spec.containers[0]?.image ?? '', /--version v1$/);
  const rss = await replicaSets();
  const back = rss.find((rs) => rs.metadata.uid === v1rs.metadata.uid);
  assert.equal(back?.metadata.annotations?.['deployment.kubernetes.io/revision'], '3', 'v1 ReplicaSet reused as revision 3');
  assert.equal(back?.spec.replicas, 3);
  assert.equal(rss.find((rs) => rs.metadata.labels?.['pod-template-hash'] === h2)?.spec.replicas, 0);
  const cond = d.status?.conditions?.find((c) => c.type === 'RolledBack');
  assert.equal(cond?.reason, 'AutoRollback');
  assert.match(cond?.message ?? '', /alert HighErrorRate fired for revision 2/);

  // Event, metric, audit line, ctl describe.
  const ev = (await getJson<{ items: Event[] }>('/api/v1/namespaces/default/events')).items.filter((e) => e.reason === 'AutoRollback');
  assert.equal(ev.length, 1, JSON.stringify(ev));
  assert.match(ev[0]!.message, new RegExp(`alert HighErrorRate fired for revision 2 \\(pod_template_hash="${h2}"\\) during its rollout; rolled back to revision 1`));
  const metrics = await (await fetch(`${url}/metrics`)).text();
  assert.match(metrics, /vigil_deployment_auto_rollbacks_total\{namespace="default",deployment="web",alertname="HighErrorRate"\} 1/);
  assert.match(procs[0]!.all, /deployment auto rollback/);
  const described = await ctl('describe', 'deployment', 'web');
  assert.match(described, /RollbackOn: +HighErrorRate/);
  assert.match(described, /RolledBack: +alert HighErrorRate fired for revision 2/);
});
