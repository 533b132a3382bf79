/**
 * `vigil ctl` against a whole small cluster in one process: the API server, the
 * controller manager (scheduler, ReplicaSet and Deployment controllers) and one
 * node agent running real processes. Exercises the verbs whose output depends
 * on controllers: run → rollout status → get pods → expose (requests through the agent's Service
 * proxy) → apply a new version → rollout history → rollout undo → set image → scale.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { ApiClient } from '../agent/api_client.js';
import { NodeAgent } from '../agent/node_agent.js';
import { ControllerManager } from '../controllers/manager.js';
import { startCtlTestServer } from './ctl_test_server.js';

const APP = fileURLToPath(new URL('../../../test/fixtures/http_app.mjs', import.meta.url));

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const a = srv.address();
  await new Promise((r) => srv.close(r));
  return typeof a === 'object' && a !== null ? a.port : 0;
}

type PodList = { items: { metadata: { name: string; deletionTimestamp?: string }; spec: { containers: { image: string }[] }; status?: { phase?: string } }[] };

test('ctl drives a real cluster: run, rollout status, get pods, expose, apply v2, history, undo, set image, scale', async (t) => {
  const s = await startCtlTestServer();
  const dataDir = mkdtempSync(join(tmpdir(), 'vigil-ctl-e2e-'));
  const manager = new ControllerManager(s.api.registry, { identity: 'ctl-test', resyncMs: 0, leaseDurationMs: 2000, renewDeadlineMs: 1500, retryPeriodMs: 200 });
  const agent = new NodeAgent({
    client: new ApiClient(s.url, { retryDelayMs: 50 }),
    nodeName: 'node-e',
    dataDir,
    labels: {},
    capacity: { cpu: '4', memory: '8Gi', pods: '20' },
    listenAddress: '127.0.0.1:0',
    portRange: { low: 51000, high: 51499 },
    leaseRenewMs: 100,
    probeSecondMs: 50,
    drainMs: 50,
    sampleMs: 100,
  });
  await agent.start();
  await manager.start();
  t.after(async () => {
    await manager.stop();
    await agent.stop();
    await s.close();
    rmSync(dataDir, { recursive: true, force: true });
  });
  const image = (v: string) => `${process.execPath} ${APP} --version ${v}`;

  const run = await s.ctl(['run', 'web', '--image', image('v1'), '--replicas', '2']);
  assert.equal(run.out, 'deployment.apps/web created');
  const st = await s.ctl(['rollout', 'status', 'deployment/web', '--timeout', '30s']);
  assert.equal(st.code, 0, st.err);
  assert.equal(st.out.split('\n').at(-1), 'deployment "web" successfully rolled out');

  const pods = await s.ctl(['get', 'pods', '-l', 'run=web', '-o', 'wide']);
  const rows = pods.out.split('\n').slice(1);
  assert.equal(rows.length, 2, pods.out);
  for (const r of rows) assert.match(r, /^web-[a-z0-9]+-[a-z0-9]+ +1\/1 +Running +0 +[0-9]+s +127\.0\.0\.1 +node-e$/);
  const deploy = await s.ctl(['get', 'deploy', 'web']);
  assert.match(deploy.out.split('\n')[1]!, /^web +2\/2 +2 +2 +[0-9]+s$/);

  // expose: a Service over the Deployment's pods; the agent's proxy serves it on the Service port.
  const port = await freePort();
  const ex = await s.ctl(['expose', 'deployment/web', `--port=${port}`]);
  assert.deepEqual(ex, { code: 0, out: 'service/web exposed', err: '' });
  const svc = await s.ctl(['get', 'svc', 'web', '-o', 'wide']);
  assert.match(svc.out.split('\n')[1]!, new RegExp(`^web +ClusterIP +<none> +<none> +${port}/TCP +[0-9]+s +run=web$`));
  const served = async (version: string) => {
    let body = '';
    const until = Date.now() + 15_000;
    while (!body.startsWith(version) && Date.now() < until) {
      body = await fetch(`http://127.0.0.1:${port}/`).then((r) => r.text(), () => '');
      if (!body.startsWith(version)) await new Promise((r) => setTimeout(r, 100));
    }
    return body;
  };
  assert.match(await served('v1'), /^v1 [0-9]+/);

  // A new version through apply (the Deployment as `run` made it, with the v2 command line).
  const file = join(dataDir, 'web.yaml');
  writeFileSync(
    file,
    `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  labels: {run: web}\nspec:\n  replicas: 2\n  selector:\n    matchLabels: {run: web}\n  template:\n    metadata:\n      labels: {run: web}\n    spec:\n      containers:\n      - name: web\n        image: ${JSON.stringify(image('v2'))}\n        ports: [{name: http}]\n`,
  );
  assert.equal((await s.ctl(['apply', '-f', file])).out, 'deployment.apps/web configured');
  assert.equal((await s.ctl(['rollout', 'status', 'deploy/web', '--timeout', '30s'])).code, 0);
  const images = async () => {
    const l = JSON.parse((await s.ctl(['get', 'pods', '-l', 'run=web', '-o', 'json'])).out) as PodList;
    return l.items.filter((p) => p.metadata.deletionTimestamp === undefined).map((p) => p.spec.containers[0]!.image);
  };
  assert.deepEqual(await images(), [image('v2'), image('v2')]);
  const h = await s.ctl(['rollout', 'history', 'deployment/web']);
  assert.match(h.out, /^deployment\.apps\/web\nREVISION +CHANGE-CAUSE\n1 +<none>\n2 +<none>\n$/);

  assert.equal((await s.ctl(['rollout', 'undo', 'deployment/web'])).out, 'deployment.apps/web rolled back');
  assert.equal((await s.ctl(['rollout', 'status', 'deployment/web', '--timeout', '30s'])).code, 0);
  assert.deepEqual(await images(), [image('v1'), image('v1')]);
  // The old revision came back as the newest one.
  assert.match((await s.ctl(['rollout', 'history', 'deployment/web'])).out, /\n2 +<none>\n3 +<none>\n$/);

  // set image: another rolling update, to v3.
  assert.equal((await s.ctl(['set', 'image', 'deployment/web', `web=${image('v3')}`])).out, 'deployment.apps/web image updated');
  assert.equal((await s.ctl(['rollout', 'status', 'deployment/web', '--timeout', '30s'])).code, 0);
  assert.deepEqual(await images(), [image('v3'), image('v3')]);
  assert.match(await served('v3'), /^v3 [0-9]+/);

  assert.equal((await s.ctl(['scale', 'deploy/web', '--replicas=1'])).out, 'deployment.apps/web scaled');
  assert.equal((await s.ctl(['rollout', 'status', 'deployment/web', '--timeout', '30s'])).code, 0);
  const end = Date.now() + 15_000;
  while ((await images()).length !== 1 && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
  assert.deepEqual(await images(), [image('v3')]);

  // The scheduler's event shows up in describe.
  const l = JSON.parse((await s.ctl(['get', 'pods', '-l', 'run=web', '-o', 'json'])).out) as PodList;
  const name = l.items.find((p) => p.metadata.deletionTimestamp === undefined)!.metadata.name;
  const d = await s.ctl(['describe', 'pod', name]);
  assert.match(d.out, /\nEvents:\n {2}Type +Reason +Age +From +Message\n/);
  assert.match(d.out, /\n {2}Normal +Scheduled +[0-9]+s +default-scheduler +/);
});
