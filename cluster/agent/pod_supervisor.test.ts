import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { ConfigMap, Container, Pod, PodSpec, Secret } from '../api/objects.js';
import type { PodInputs } from './env.js';
import { PodSupervisor, type PodSupervisorOptions } from './pod_supervisor.js';
import { PortAllocator } from './ports.js';
import { sampleUsage } from './usage_sampler.js';

const APP = fileURLToPath(new URL('../../../test/fixtures/http_app.mjs', import.meta.url));
const NODE = process.execPath;

function pod(name: string, containers: Container[], spec: Partial<PodSpec> = {}): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', uid: `uid-${name}` },
    spec: { containers, restartPolicy: 'Always', terminationGracePeriodSeconds: 2, nodeName: 'n1', ...spec },
  };
}

const app = (name: string, args: string[] = [], extra: Partial<Container> = {}): Container => ({
  name,
  image: `${NODE} ${APP}`,
  args,
  ports: [{ name: 'http' }],
  ...extra,
});

const noInputs: PodInputs = { configMaps: new Map(), secrets: new Map(), services: [], serviceHost: '127.0.0.1' };

async function waitFor(what: string, pred: () => boolean, timeoutMs = 8000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function supervise(t: TestContext, p: Pod, opts: Partial<PodSupervisorOptions> = {}, inputs: PodInputs = noInputs) {
  const dataDir = mkdtempSync(join(tmpdir(), 'vigil-agent-'));
  const sup = new PodSupervisor(p, {
    dataDir,
    ports: new PortAllocator(41000, 41999),
    isolation: 'process-group',
    loadInputs: async () => inputs,
    backoff: { initialMs: 150, maxMs: 1000 },
    probeSecondMs: 50,
    onChange: () => {},
    ...opts,
  });
  t.after(async () => {
    await sup.terminate(0);
    rmSync(dataDir, { recursive: true, force: true });
  });
  return { sup, dataDir };
}

async function get(port: number, path = '/', method = 'GET'): Promise<{ status: number; body: string }> {
  const r = await fetch(`http://127.0.0.1:${port}${path}`, { method });
  return { status: r.status, body: await r.text() };
}

const readyCond = (sup: PodSupervisor) => sup.status().conditions?.find((c) => c.type === 'Ready')?.status;

test('pod supervisor runs a pod: Running and Ready, PORT and PORT_HTTP passed, app answers on its port', async (t) => {
  const { sup } = supervise(t, pod('web', [app('web', ['--version', 'v7', '--print-env', 'PORT_HTTP'])]));
  await sup.start();
  await waitFor('Ready', () => readyCond(sup) === 'True');
  const st = sup.status();
  assert.equal(st.phase, 'Running');
  assert.equal(st.podIP, '127.0.0.1');
  assert.ok(st.containerStatuses?.[0]?.state.running);
  const port = sup.hostPorts[0]![0]!;
  assert.ok(port >= 41000 && port <= 41999);
  await waitFor('app listening', () => readFileSync(join(sup.dir, 'logs', 'web.log'), 'utf8').includes('listening'));
  assert.deepEqual(await get(port), { status: 200, body: `v7 ${port}\n` });
  assert.match(readFileSync(join(sup.dir, 'logs', 'web.log'), 'utf8'), new RegExp(`PORT_HTTP=${port}`));
});

test('pod supervisor restarts a crashing container with growing backoff and reports CrashLoopBackOff', async (t) => {
  const { sup } = supervise(t, pod('crash', [app('c', ['--exit-after-ms', '30'])]));
  const waits: string[] = [];
  const starts: number[] = [];
  const orig = sup.status.bind(sup);
  await sup.start();
  const r = sup.runners[0]!;
  await waitFor('3 restarts', () => {
    const s = orig().containerStatuses?.[0];
    if (s?.state.waiting?.message !== undefined && !waits.includes(s.state.waiting.message)) waits.push(s.state.waiting.message);
    if (s?.state.running !== undefined && !starts.includes(Date.parse(s.state.running.startedAt))) starts.push(Date.now());
    return r.restartCount >= 3;
  });
  const s = sup.status().containerStatuses![0]!;
  assert.equal(s.lastState?.terminated?.exitCode, 1);
  assert.equal(s.lastState?.terminated?.reason, 'Error');
  assert.equal(sup.status().phase, 'Running');
  // First restart immediate, then 150 ms, 300 ms: the messages are Kubernetes' "back-off …" ones.
  assert.ok(waits.some((w) => /^back-off [0-9]+s restarting failed container=c$/.test(w)), JSON.stringify(waits));
});

test('pod supervisor: restartPolicy Never leaves a failed container terminated and the pod Failed; OnFailure ends Succeeded on exit 0', async (t) => {
  const { sup } = supervise(t, pod('never', [app('c', ['--exit-after-ms', '20'])], { restartPolicy: 'Never' }));
  await sup.start();
  await waitFor('Failed', () => sup.status().phase === 'Failed');
  assert.equal(sup.status().containerStatuses?.[0]?.state.terminated?.exitCode, 1);
  assert.equal(sup.runners[0]!.restartCount, 0);
  const { sup: ok } = supervise(t, pod('once', [{ name: 'true', image: `${NODE} -e process.exit(0)` }], { restartPolicy: 'OnFailure' }));
  await ok.start();
  await waitFor('Succeeded', () => ok.status().phase === 'Succeeded');
  assert.equal(ok.status().containerStatuses?.[0]?.state.terminated?.reason, 'Completed');
});

test('pod supervisor restarts a container whose liveness probe fails', async (t) => {
  // initialDelaySeconds 10 × 50 ms: the app listens before the first probe.
  const live = { httpGet: { path: '/healthz', port: 'http' }, initialDelaySeconds: 10, periodSeconds: 1, failureThreshold: 2, timeoutSeconds: 1 };
  const { sup } = supervise(t, pod('live', [app('c', [], { livenessProbe: live })]));
  await sup.start();
  const port = sup.hostPorts[0]![0]!;
  await waitFor('running', () => sup.runners[0]!.proc?.running === true);
  await waitFor('listening', () => existsSync(join(sup.dir, 'logs', 'c.log')) && readFileSync(join(sup.dir, 'logs', 'c.log'), 'utf8').includes('listening'));
  await new Promise((r) => setTimeout(r, 700));
  assert.equal(sup.runners[0]!.restartCount, 0, 'a passing liveness probe does not restart');
  const pid = sup.runners[0]!.proc!.pid;
  assert.equal((await get(port, '/fail-liveness', 'POST')).status, 200);
  await waitFor('restart after liveness failure', () => sup.runners[0]!.restartCount === 1 && sup.runners[0]!.proc?.running === true);
  assert.notEqual(sup.runners[0]!.proc!.pid, pid);
  assert.equal(sup.status().containerStatuses?.[0]?.lastState?.terminated?.exitCode, 0); // the app exits 0 on SIGTERM
});

test('pod supervisor: a failing readiness probe makes the pod not Ready, and recovery makes it Ready again', async (t) => {
  const ready = { httpGet: { path: '/ready', port: 'http' }, periodSeconds: 1, failureThreshold: 1, successThreshold: 1 };
  const { sup } = supervise(t, pod('rdy', [app('c', [], { readinessProbe: ready })]));
  await sup.start();
  await waitFor('Ready', () => readyCond(sup) === 'True');
  const port = sup.hostPorts[0]![0]!;
  await get(port, '/fail-readiness', 'POST');
  await waitFor('not Ready', () => readyCond(sup) === 'False');
  assert.equal(sup.status().conditions?.find((c) => c.type === 'ContainersReady')?.status, 'False');
  assert.equal(sup.runners[0]!.restartCount, 0);
  await get(port, '/recover-readiness', 'POST');
  await waitFor('Ready again', () => readyCond(sup) === 'True');
});

test('pod supervisor: a startup probe gates readiness until it succeeds', async (t) => {
  const startup = { exec: { command: ['sh', '-c', 'test -f started'] }, periodSeconds: 1, failureThreshold: 100 };
  const { sup } = supervise(t, pod('st', [app('c', [], { startupProbe: startup })]));
  await sup.start();
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(sup.status().containerStatuses?.[0]?.started, false);
  assert.equal(readyCond(sup), 'False');
  const { writeFileSync } = await import('node:fs');
  writeFileSync(join(sup.dir, 'started'), '');
  await waitFor('started and Ready', () => readyCond(sup) === 'True');
  assert.equal(sup.status().containerStatuses?.[0]?.started, true);
});

test('pod supervisor graceful stop: SIGTERM first; SIGKILL after the grace period when ignored', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-sigterm-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const marker = join(dir, 'got-term');
  const { sup } = supervise(t, pod('polite', [app('c', ['--sigterm-file', marker])]));
  await sup.start();
  await waitFor('listening', () => existsSync(join(sup.dir, 'logs', 'c.log')) && readFileSync(join(sup.dir, 'logs', 'c.log'), 'utf8').includes('listening'));
  await sup.terminate(5);
  assert.equal(readFileSync(marker, 'utf8'), 'SIGTERM\n');
  assert.equal(sup.status().containerStatuses?.[0]?.state.terminated?.exitCode, 0);

  const { sup: stubborn } = supervise(t, pod('stubborn', [app('c', ['--ignore-sigterm'])]));
  await stubborn.start();
  await waitFor('listening', () => existsSync(join(stubborn.dir, 'logs', 'c.log')) && readFileSync(join(stubborn.dir, 'logs', 'c.log'), 'utf8').includes('listening'));
  const t0 = Date.now();
  await stubborn.terminate(0.4);
  const took = Date.now() - t0;
  assert.ok(took >= 380 && took < 3000, `took ${took} ms`);
  const term = stubborn.status().containerStatuses?.[0]?.state.terminated;
  assert.equal(term?.exitCode, 137);
  assert.equal(term?.signal, 9);
  assert.match(readFileSync(join(stubborn.dir, 'logs', 'c.log'), 'utf8'), /got SIGTERM, ignoring/);
  assert.equal(readyCond(stubborn), 'False');
});

test('pod supervisor kills a container over its memory limit with reason OOMKilled (process-group RSS watching)', async (t) => {
  const { sup } = supervise(t, pod('hog', [app('c', [], { resources: { limits: { memory: '150Mi' } } })], { restartPolicy: 'Never' }));
  await sup.start();
  await waitFor('listening', () => existsSync(join(sup.dir, 'logs', 'c.log')) && readFileSync(join(sup.dir, 'logs', 'c.log'), 'utf8').includes('listening'));
  sampleUsage([sup]);
  const before = sup.runners[0]!.memoryBytes;
  assert.ok(before > 1024 * 1024 && before < 150 * 1024 * 1024, `rss ${before}`);
  await get(sup.hostPorts[0]![0]!, '/alloc?mb=200', 'POST');
  sampleUsage([sup]);
  await waitFor('OOMKilled', () => sup.status().containerStatuses?.[0]?.state.terminated !== undefined);
  const term = sup.status().containerStatuses?.[0]?.state.terminated;
  assert.equal(term?.reason, 'OOMKilled');
  assert.equal(term?.exitCode, 137);
});

test('pod supervisor caps logs by rotation and keeps the previous run as the previous log', async (t) => {
  const script = 'for(let i=0;i<200;i++)console.log("line "+String(i).padStart(4,"0")+" ".repeat(40));process.exit(3)';
  const { sup } = supervise(t, pod('chatty', [{ name: 'c', image: NODE, args: ['-e', script] }], { restartPolicy: 'OnFailure' }), { logMaxBytes: 2000, backoff: { initialMs: 60_000 } });
  await sup.start();
  await waitFor('restarted once', () => sup.runners[0]!.restartCount === 1 && sup.status().containerStatuses?.[0]?.state.waiting !== undefined);
  const logs = join(sup.dir, 'logs');
  // The rotated file exists only when the output arrived in several chunks (see logs.test.ts for rotation itself).
  for (const f of ['c.log', 'c.log.1', 'c.previous.log']) if (existsSync(join(logs, f))) assert.ok(statSync(join(logs, f)).size <= 2000, f);
  const cur = readFileSync(join(logs, 'c.log'), 'utf8');
  assert.match(cur, /line 0199/);
  assert.doesNotMatch(cur, /line 0000/);
  assert.match(readFileSync(join(logs, 'c.previous.log'), 'utf8'), /line 0199/);
});

test('pod supervisor materialises ConfigMap and Secret volumes (secret files 0600) and env from their keys', async (t) => {
  const cm: ConfigMap = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg' }, data: { 'app.conf': 'mode=fast\n', greeting: 'hello' } };
  const secret: Secret = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'creds' }, data: { password: Buffer.from('s3cret').toString('base64') } };
  const inputs: PodInputs = {
    configMaps: new Map([['cfg', cm]]),
    secrets: new Map([['creds', secret]]),
    services: [{ apiVersion: 'v1', kind: 'Service', metadata: { name: 'db-main' }, spec: { ports: [{ port: 5432, name: 'pg' }] } }],
    serviceHost: '127.0.0.1',
  };
  const script = 'sh';
  const c: Container = {
    name: 'c',
    image: script,
    args: ['-c', 'cat conf/app.conf; cat secret/password; echo; echo "G=$GREETING P=$PASSWORD L=$LIT H=$DB_MAIN_SERVICE_HOST S=$DB_MAIN_SERVICE_PORT N=$DB_MAIN_SERVICE_PORT_PG"'],
    env: [
      { name: 'LIT', value: 'x' },
      { name: 'GREETING', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'greeting' } } },
      { name: 'PASSWORD', valueFrom: { secretKeyRef: { name: 'creds', key: 'password' } } },
    ],
    volumeMounts: [
      { name: 'conf', mountPath: 'conf' },
      { name: 'sec', mountPath: 'secret' },
    ],
  };
  const p = pod('cfg', [c], { restartPolicy: 'Never', volumes: [{ name: 'conf', configMap: { name: 'cfg' } }, { name: 'sec', secret: { secretName: 'creds' } }] });
  const { sup } = supervise(t, p, {}, inputs);
  await sup.start();
  await waitFor('Succeeded', () => sup.status().phase === 'Succeeded');
  const out = readFileSync(join(sup.dir, 'logs', 'c.log'), 'utf8');
  assert.equal(out, 'mode=fast\ns3cret\nG=hello P=s3cret L=x H=127.0.0.1 S=5432 N=5432\n');
  assert.equal(statSync(join(sup.dir, 'secret', 'password')).mode & 0o777, 0o600);
  assert.equal(statSync(join(sup.dir, 'conf', 'app.conf')).mode & 0o777, 0o644);
});

test('pod supervisor: a missing ConfigMap key waits with CreateContainerConfigError and starts once it appears', async (t) => {
  const inputs: { cm: Map<string, ConfigMap> } = { cm: new Map() };
  const c: Container = { name: 'c', image: 'sh', args: ['-c', 'echo "V=$V"'], env: [{ name: 'V', valueFrom: { configMapKeyRef: { name: 'late', key: 'v' } } }] };
  const { sup } = supervise(t, pod('late', [c], { restartPolicy: 'Never' }), {
    configRetryMs: 50,
    loadInputs: async () => ({ configMaps: inputs.cm, secrets: new Map(), services: [], serviceHost: '127.0.0.1' }),
  });
  await sup.start();
  const w = sup.status().containerStatuses?.[0]?.state.waiting;
  assert.equal(w?.reason, 'CreateContainerConfigError');
  assert.match(w?.message ?? '', /configmap "late" not found/);
  assert.equal(sup.status().phase, 'Pending');
  inputs.cm.set('late', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'late' }, data: { v: '42' } });
  await waitFor('Succeeded', () => sup.status().phase === 'Succeeded');
  assert.equal(readFileSync(join(sup.dir, 'logs', 'c.log'), 'utf8'), 'V=42\n');
});

test('pod supervisor: two containers of one pod share the pod directory and reach each other on localhost', async (t) => {
  const web = app('web', ['--version', 'side']);
  const sidecar: Container = {
    name: 'side',
    image: 'sh',
    args: ['-c', `echo shared > shared.txt; sleep 30`],
  };
  const { sup } = supervise(t, pod('duo', [web, sidecar]));
  await sup.start();
  await waitFor('Ready', () => readyCond(sup) === 'True');
  await waitFor('shared file', () => existsSync(join(sup.dir, 'shared.txt')));
  const port = sup.hostPorts[0]![0]!;
  await waitFor('listening', () => readFileSync(join(sup.dir, 'logs', 'web.log'), 'utf8').includes('listening'));
  // The sidecar's environment does not carry web's port, but localhost reaches it.
  assert.equal((await get(port)).body, `side ${port}\n`);
  assert.equal(sup.status().containerStatuses?.length, 2);
});

test('pod supervisor retries a start that failed for a transient reason, and starts nothing when terminated meanwhile', async (t) => {
  let calls = 0;
  const { sup } = supervise(t, pod('flaky', [app('c')]), {
    configRetryMs: 30,
    loadInputs: async () => {
      calls++;
      if (calls === 1) throw new Error('connect ECONNREFUSED (API server down)');
      return noInputs;
    },
  });
  await sup.start();
  assert.equal(sup.runners.length, 0);
  assert.equal(sup.status().phase, 'Pending');
  await waitFor('started on retry', () => sup.runners[0]?.proc?.running === true);
  assert.equal(calls, 2);

  let release: () => void = () => {};
  const ports = new PortAllocator(41500, 41999);
  const { sup: slow } = supervise(t, pod('slow', [app('c')]), { ports, loadInputs: () => new Promise<PodInputs>((r) => (release = () => r(noInputs))) });
  const started = slow.start();
  await slow.terminate(1);
  release();
  await started;
  assert.equal(slow.runners.length, 0);
  assert.equal(ports.allocated, 0);
});
