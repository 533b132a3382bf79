import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { SqliteStore } from '../store/sqlite_store.js';
import { ApiError } from './api_error.js';
import { parseFieldSelector } from './field_selector.js';
import { parseSelector } from './label_selector.js';
import type { ApiObject, Deployment, Pod, ResourceQuota } from './objects.js';
import { Registry, type WatchEventOut } from './registry.js';
import { RESOURCES, type ResourceInfo } from './resources.js';

const R = (name: string): ResourceInfo => RESOURCES.find((r) => r.resource === name)!;
const pods = R('pods');
const deployments = R('deployments');
const replicasets = R('replicasets');
const namespaces = R('namespaces');
const quotas = R('resourcequotas');
const configmaps = R('configmaps');

async function setup(t: TestContext) {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-registry-'));
  const store = new SqliteStore(join(dir, 'c.db'), { pollIntervalMs: 0, leaseSweepIntervalMs: 0 });
  let clock = Date.parse('2026-01-02T03:04:05Z');
  let uid = 0;
  let suffix = 0;
  const reg = new Registry(store, {
    now: () => clock,
    uid: () => `uid-${++uid}`,
    nameSuffix: () => `x${String(++suffix).padStart(4, '0')}`,
  });
  await reg.ensureSystemNamespaces();
  t.after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { reg, store, advance: (ms: number) => (clock += ms) };
}

function pod(name: string, extra: Partial<Pod['spec']> = {}, labels: Record<string, string> = {}): unknown {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, labels }, spec: { containers: [{ name: 'app', image: 'node app.js' }], ...extra } };
}

function cpuPod(name: string, cpu: string | null, memory = '64Mi'): unknown {
  const requests: Record<string, string> = { memory };
  if (cpu !== null) requests.cpu = cpu;
  return { metadata: { name }, spec: { containers: [{ name: 'app', image: 'sleep 100', resources: { requests } }] } };
}

function deployment(name: string, replicas: number): unknown {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'web', image: 'node web.js' }] } },
    },
  };
}

async function rejects(p: Promise<unknown>, code: number, message: string | RegExp): Promise<ApiError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof ApiError, `expected ApiError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    if (typeof message === 'string') assert.equal(e.message, message);
    else assert.match(e.message, message);
    return e;
  }
  assert.fail('expected the call to fail');
}

test('registry create sets server fields, defaults and a fresh status', async (t) => {
  const { reg, store } = await setup(t);
  const created = (await reg.create(pods, 'default', { ...(pod('web') as object), status: { phase: 'Running' } })) as Pod;
  assert.equal(created.metadata.uid, 'uid-4'); // three system namespaces came first
  assert.equal(created.metadata.namespace, 'default');
  assert.equal(created.metadata.creationTimestamp, '2026-01-02T03:04:05Z');
  assert.equal(created.metadata.generation, 1);
  assert.equal(created.metadata.resourceVersion, String(await store.currentRevision()));
  assert.deepEqual(created.status, { phase: 'Pending' });
  assert.equal(created.spec.restartPolicy, 'Always');
  assert.equal(created.spec.terminationGracePeriodSeconds, 30);
  const got = await reg.get(pods, 'default', 'web');
  assert.deepEqual(got, created);
  await rejects(reg.create(pods, 'default', pod('web')), 409, 'pods "web" already exists');
  await rejects(reg.get(pods, 'default', 'nope'), 404, 'pods "nope" not found');
});

test('registry create rejects objects for a missing namespace and a mismatched namespace', async (t) => {
  const { reg } = await setup(t);
  await rejects(reg.create(pods, 'nope', pod('web')), 404, 'namespaces "nope" not found');
  await rejects(
    reg.create(pods, 'default', { metadata: { name: 'a', namespace: 'other' }, spec: { containers: [{ name: 'c', image: 'x' }] } }),
    400,
    /does not match the namespace sent on the request/,
  );
  await rejects(reg.create(pods, 'default', { apiVersion: 'apps/v1', kind: 'Pod', metadata: { name: 'a' } }), 400, /request is for v1\/Pod/);
});

test('registry validation errors read like Kubernetes and carry field causes', async (t) => {
  const { reg } = await setup(t);
  const d = deployment('web', -1);
  const e = await rejects(
    reg.create(deployments, 'default', d),
    422,
    'Deployment.apps "web" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0',
  );
  assert.equal(e.reason, 'Invalid');
  assert.deepEqual(e.details?.causes, [{ reason: 'FieldValueInvalid', message: 'Invalid value: -1: must be greater than or equal to 0', field: 'spec.replicas' }]);
  const bad = await rejects(
    reg.create(pods, 'default', { metadata: { name: 'Bad_Name' }, spec: { containers: [{ name: 'app' }], restartPolicy: 'Sometimes' } }),
    422,
    /^Pod "Bad_Name" is invalid: \[/,
  );
  const fields = (bad.details?.causes ?? []).map((c) => c.field);
  assert.deepEqual(fields, ['metadata.name', 'spec.containers[0].image', 'spec.restartPolicy']);
  await rejects(
    reg.create(deployments, 'default', {
      ...(deployment('x', 1) as object),
      spec: { ...((deployment('x', 1) as Deployment).spec as object), selector: { matchLabels: { app: 'other' } } },
    }),
    422,
    /spec.template.metadata.labels: Invalid value: .*`selector` does not match template `labels`/,
  );
});

test('registry update: a stale resourceVersion is a 409 conflict; spec changes bump generation', async (t) => {
  const { reg } = await setup(t);
  const d1 = (await reg.create(deployments, 'default', deployment('web', 2))) as Deployment;
  const labelled = structuredClone(d1);
  labelled.metadata.labels = { team: 'a' };
  const d2 = (await reg.update(deployments, 'default', 'web', labelled)) as Deployment;
  assert.equal(d2.metadata.generation, 1, 'metadata changes do not bump generation');
  const stale = structuredClone(d1);
  stale.spec.replicas = 5;
  await rejects(
    reg.update(deployments, 'default', 'web', stale),
    409,
    'Operation cannot be fulfilled on deployments.apps "web": the object has been modified; please apply your changes to the latest version and try again',
  );
  const fresh = structuredClone(d2);
  fresh.spec.replicas = 5;
  const d3 = (await reg.update(deployments, 'default', 'web', fresh)) as Deployment;
  assert.equal(d3.metadata.generation, 2);
  assert.equal(d3.metadata.uid, d1.metadata.uid);
  assert.ok(Number(d3.metadata.resourceVersion) > Number(d2.metadata.resourceVersion));
  await rejects(reg.update(deployments, 'default', 'other', fresh), 400, /does not match the name on the URL/);
});

test('registry status subresource: only /status changes status, and it cannot change spec', async (t) => {
  const { reg } = await setup(t);
  const d = (await reg.create(deployments, 'default', deployment('web', 2))) as Deployment;
  const withStatus = structuredClone(d);
  withStatus.status = { replicas: 2, readyReplicas: 2 };
  const afterMain = (await reg.update(deployments, 'default', 'web', withStatus)) as Deployment;
  assert.deepEqual(afterMain.status, {}, 'main resource update ignores status');
  const s = structuredClone(afterMain);
  s.status = { observedGeneration: 1, replicas: 2, readyReplicas: 1 };
  s.spec.replicas = 9;
  const afterStatus = (await reg.update(deployments, 'default', 'web', s, { subresource: 'status' })) as Deployment;
  assert.deepEqual(afterStatus.status, { observedGeneration: 1, replicas: 2, readyReplicas: 1 });
  assert.equal(afterStatus.spec.replicas, 2, 'status update ignores spec');
  assert.equal(afterStatus.metadata.generation, 1);
});

test('registry enforces ResourceQuota on pod creation with Kubernetes messages', async (t) => {
  const { reg } = await setup(t);
  await reg.create(namespaces, '', { metadata: { name: 'team-a' } });
  await reg.create(quotas, 'team-a', { metadata: { name: 'compute' }, spec: { hard: { pods: '2', 'requests.cpu': '1', 'requests.memory': '1Gi' } } });
  await reg.create(pods, 'team-a', cpuPod('p1', '500m'));
  await rejects(reg.create(pods, 'team-a', cpuPod('p2', '600m')), 403, 'pods "p2" is forbidden: exceeded quota: compute, requested: requests.cpu=600m, used: requests.cpu=500m, limited: requests.cpu=1');
  await reg.create(pods, 'team-a', cpuPod('p2', '500m'));
  await rejects(
    reg.create(pods, 'team-a', cpuPod('p3', '0')),
    403,
    'pods "p3" is forbidden: exceeded quota: compute, requested: pods=1, used: pods=2, limited: pods=2',
  );
  await rejects(reg.create(pods, 'team-a', cpuPod('p4', null)), 403, 'pods "p4" is forbidden: failed quota: compute: must specify requests.cpu');
  const q = (await reg.get(quotas, 'team-a', 'compute')) as ResourceQuota;
  assert.deepEqual(q.status?.used, { pods: '2', 'requests.cpu': '1', 'requests.memory': '128Mi' });
  await reg.delete(pods, 'team-a', 'p1');
  await reg.create(pods, 'team-a', cpuPod('p3', '500m'));
  // Pods in other namespaces are not charged.
  await reg.create(pods, 'default', cpuPod('elsewhere', '8'));
});

test('registry quota admission is serialised: concurrent creates never overshoot', async (t) => {
  const { reg } = await setup(t);
  await reg.create(quotas, 'default', { metadata: { name: 'q' }, spec: { hard: { pods: '3' } } });
  const results = await Promise.allSettled([0, 1, 2, 3, 4, 5, 6, 7].map((i) => reg.create(pods, 'default', pod(`p${i}`))));
  assert.equal(results.filter((r) => r.status === 'fulfilled').length, 3);
  assert.equal((await reg.list(pods, 'default')).items.length, 3);
});

test('registry patch: merge patch on labels, strategic patch merges containers by name', async (t) => {
  const { reg } = await setup(t);
  await reg.create(pods, 'default', {
    metadata: { name: 'two', labels: { a: '1', b: '2' } },
    spec: { containers: [{ name: 'app', image: 'node app.js' }, { name: 'sidecar', image: 'node side.js' }] },
  });
  const p1 = (await reg.patch(pods, 'default', 'two', { metadata: { labels: { b: null, c: '3' } } }, 'merge')) as Pod;
  assert.deepEqual(p1.metadata.labels, { a: '1', c: '3' });
  const p2 = (await reg.patch(pods, 'default', 'two', { spec: { containers: [{ name: 'sidecar', image: 'node side2.js' }] } }, 'strategic')) as Pod;
  assert.deepEqual(
    p2.spec.containers.map((c) => `${c.name}=${c.image}`),
    ['app=node app.js', 'sidecar=node side2.js'],
  );
  // A merge patch replaces the whole list, which would drop the app container: pods cannot change that way.
  await rejects(
    reg.patch(pods, 'default', 'two', { spec: { containers: [{ name: 'sidecar', image: 'x' }] } }, 'merge'),
    422,
    /pod updates may not change fields/,
  );
  await rejects(
    reg.patch(pods, 'default', 'two', { metadata: { resourceVersion: '1' }, spec: { nodeName: 'n1' } }, 'merge'),
    409,
    /the object has been modified/,
  );
  const scaled = (await reg.create(deployments, 'default', deployment('web', 1))) as Deployment;
  const s2 = (await reg.patch(deployments, 'default', 'web', { spec: { replicas: 3 } }, 'strategic')) as Deployment;
  assert.equal(s2.spec.replicas, 3);
  assert.equal(s2.metadata.generation, (scaled.metadata.generation ?? 0) + 1);
});

test('registry deletes a bound pod gracefully; the agent finishes with grace 0', async (t) => {
  const { reg } = await setup(t);
  await reg.create(pods, 'default', pod('web', { nodeName: 'node-1', terminationGracePeriodSeconds: 20 }));
  const marked = (await reg.delete(pods, 'default', 'web')) as Pod;
  assert.equal(marked.metadata.deletionTimestamp, '2026-01-02T03:04:25Z');
  assert.equal(marked.metadata.deletionGracePeriodSeconds, 20);
  assert.ok((await reg.get(pods, 'default', 'web')).metadata.deletionTimestamp);
  await reg.delete(pods, 'default', 'web', { gracePeriodSeconds: 0 });
  await rejects(reg.get(pods, 'default', 'web'), 404, 'pods "web" not found');
  // An unbound pod goes at once.
  await reg.create(pods, 'default', pod('pending'));
  await reg.delete(pods, 'default', 'pending');
  await rejects(reg.get(pods, 'default', 'pending'), 404, /not found/);
});

test('registry finalizers hold deletion until the last one is removed', async (t) => {
  const { reg } = await setup(t);
  await reg.create(configmaps, 'default', { metadata: { name: 'cfg', finalizers: ['vigil.dev/keep'] }, data: { a: '1' } });
  const marked = await reg.delete(configmaps, 'default', 'cfg');
  assert.ok(marked.metadata.deletionTimestamp);
  const cur = await reg.get(configmaps, 'default', 'cfg');
  cur.metadata.finalizers = [];
  await reg.update(configmaps, 'default', 'cfg', cur);
  await rejects(reg.get(configmaps, 'default', 'cfg'), 404, 'configmaps "cfg" not found');
});

test('registry delete preconditions and cascade from a deployment to its replica sets and pods', async (t) => {
  const { reg } = await setup(t);
  const d = (await reg.create(deployments, 'default', deployment('web', 1))) as Deployment;
  await rejects(reg.delete(deployments, 'default', 'web', { preconditions: { uid: 'other' } }), 409, /Precondition failed: UID in precondition: other/);
  const owner = (o: ApiObject) => [{ apiVersion: o.apiVersion, kind: o.kind, name: o.metadata.name, uid: o.metadata.uid!, controller: true }];
  const rs = await reg.create(replicasets, 'default', {
    metadata: { name: 'web-abc', ownerReferences: owner(d), labels: { app: 'web' } },
    spec: { replicas: 1, selector: { matchLabels: { app: 'web' } }, template: (d as Deployment).spec.template },
  });
  await reg.create(pods, 'default', { ...(pod('web-abc-1', {}, { app: 'web' }) as object), metadata: { name: 'web-abc-1', ownerReferences: owner(rs) } });
  await reg.create(pods, 'default', pod('unrelated'));
  await reg.delete(deployments, 'default', 'web');
  assert.deepEqual((await reg.list(replicasets, 'default')).items, []);
  assert.deepEqual(
    (await reg.list(pods, 'default')).items.map((p) => p.metadata.name),
    ['unrelated'],
  );
});

test('registry namespaces: system ones cannot be deleted; deleting one deletes its contents', async (t) => {
  const { reg } = await setup(t);
  await rejects(reg.delete(namespaces, '', 'default'), 403, 'namespaces "default" is forbidden: this namespace may not be deleted');
  await reg.create(namespaces, '', { metadata: { name: 'tmp' } });
  await reg.create(pods, 'tmp', pod('a'));
  await reg.create(configmaps, 'tmp', { metadata: { name: 'c' }, data: {} });
  await reg.delete(namespaces, '', 'tmp');
  await rejects(reg.get(namespaces, '', 'tmp'), 404, /not found/);
  assert.deepEqual((await reg.list(pods, 'tmp')).items, []);
  await rejects(reg.create(pods, 'tmp', pod('b')), 404, 'namespaces "tmp" not found');
});

test('registry list filters by label and field selectors and pages with continue', async (t) => {
  const { reg } = await setup(t);
  for (let i = 0; i < 5; i++) await reg.create(pods, 'default', pod(`p${i}`, i < 2 ? { nodeName: 'n1' } : {}, { app: i % 2 === 0 ? 'web' : 'api' }));
  const web = await reg.list(pods, 'default', { labelSelector: parseSelector('app=web') });
  assert.deepEqual(
    web.items.map((p) => p.metadata.name),
    ['p0', 'p2', 'p4'],
  );
  assert.equal(web.kind, 'PodList');
  const bound = await reg.list(pods, '', { fieldSelector: parseFieldSelector('spec.nodeName=n1') });
  assert.deepEqual(
    bound.items.map((p) => p.metadata.name),
    ['p0', 'p1'],
  );
  const page1 = await reg.list(pods, 'default', { limit: 2 });
  assert.ok(page1.metadata.continue);
  await reg.create(pods, 'default', pod('p5'));
  const page2 = await reg.list(pods, 'default', { limit: 10, continue: page1.metadata.continue! });
  assert.deepEqual(
    page2.items.map((p) => p.metadata.name),
    ['p2', 'p3', 'p4'],
    'later pages are read at the first page\'s revision',
  );
  assert.equal(page2.metadata.resourceVersion, page1.metadata.resourceVersion);
  await rejects(reg.list(pods, 'default', { continue: 'garbage' }), 400, /invalid continue token/);
});

test('registry generateName appends a random suffix', async (t) => {
  const { reg } = await setup(t);
  const p = await reg.create(pods, 'default', { metadata: { generateName: 'web-' }, spec: { containers: [{ name: 'a', image: 'x' }] } });
  assert.equal(p.metadata.name, 'web-x0001');
});

async function take(w: AsyncIterable<WatchEventOut>, n: number): Promise<WatchEventOut[]> {
  const out: WatchEventOut[] = [];
  if (n === 0) return out;
  for await (const ev of w) {
    out.push(ev);
    if (out.length >= n) break;
  }
  return out;
}

test('registry watch: initial ADDED from 0, resume from a resourceVersion, 410 after compaction', async (t) => {
  const { reg, store } = await setup(t);
  const a = await reg.create(pods, 'default', pod('a', {}, { app: 'web' }));
  await reg.create(pods, 'default', pod('b', {}, { app: 'api' }));
  const w0 = reg.watch(pods, 'default', { resourceVersion: '0', labelSelector: parseSelector('app=web') });
  const initial = await take(w0, 1);
  assert.deepEqual(
    initial.map((e) => `${e.type} ${(e.object as ApiObject).metadata.name}`),
    ['ADDED a'],
  );
  w0.close();
  const w1 = reg.watch(pods, 'default', { resourceVersion: a.metadata.resourceVersion! });
  const cur = await reg.get(pods, 'default', 'a');
  cur.metadata.labels = { app: 'web', v: '2' };
  const upd = await reg.update(pods, 'default', 'a', cur);
  await reg.delete(pods, 'default', 'b');
  const evs = await take(w1, 3);
  w1.close();
  assert.deepEqual(
    evs.map((e) => `${e.type} ${(e.object as ApiObject).metadata.name}`),
    ['ADDED b', 'MODIFIED a', 'DELETED b'],
  );
  assert.equal((evs[1]!.object as ApiObject).metadata.resourceVersion, upd.metadata.resourceVersion);
  assert.ok(Number((evs[2]!.object as ApiObject).metadata.resourceVersion) > Number(upd.metadata.resourceVersion));
  await store.compact(await store.currentRevision());
  const w2 = reg.watch(pods, 'default', { resourceVersion: a.metadata.resourceVersion! });
  const err = await take(w2, 1);
  w2.close();
  assert.equal(err[0]!.type, 'ERROR');
  const status = err[0]!.object as { code: number; reason: string; message: string };
  assert.equal(status.code, 410);
  assert.equal(status.reason, 'Expired');
  assert.match(status.message, /too old resource version/);
  await rejects(reg.get(pods, 'default', 'a', { resourceVersion: a.metadata.resourceVersion! }), 410, /too old resource version/);
});

test('registry secrets fold stringData into base64 data', async (t) => {
  const { reg } = await setup(t);
  const s = (await reg.create(R('secrets'), 'default', { metadata: { name: 's' }, stringData: { password: 'hunter2' } })) as ApiObject & {
    data?: Record<string, string>;
    stringData?: unknown;
    type?: string;
  };
  assert.deepEqual(s.data, { password: Buffer.from('hunter2').toString('base64') });
  assert.equal(s.stringData, undefined);
  assert.equal(s.type, 'Opaque');
  await rejects(reg.create(R('secrets'), 'default', { metadata: { name: 't' }, data: { k: 'not base64!' } }), 422, /must be base64 encoded/);
});

test('registry watch with a selector turns objects entering and leaving it into ADDED and DELETED', async (t) => {
  const { reg } = await setup(t);
  const start = await reg.list(pods, 'default');
  const w = reg.watch(pods, 'default', { resourceVersion: start.metadata.resourceVersion, labelSelector: parseSelector('tier=fe') });
  await reg.create(pods, 'default', pod('a', {}, { tier: 'be' }));
  await reg.patch(pods, 'default', 'a', { metadata: { labels: { tier: 'fe' } } }, 'merge');
  await reg.patch(pods, 'default', 'a', { metadata: { labels: { tier: 'fe', v: '2' } } }, 'merge');
  const left = await reg.patch(pods, 'default', 'a', { metadata: { labels: { tier: 'be' } } }, 'merge');
  const evs = await take(w, 3);
  w.close();
  assert.deepEqual(
    evs.map((e) => `${e.type} ${JSON.stringify((e.object as ApiObject).metadata.labels)}`),
    ['ADDED {"tier":"fe"}', 'MODIFIED {"tier":"fe","v":"2"}', 'DELETED {"tier":"fe","v":"2"}'],
  );
  assert.equal((evs[2]!.object as ApiObject).metadata.resourceVersion, left.metadata.resourceVersion);
});

test('registry pods are immutable except images, added tolerations and a one-time binding', async (t) => {
  const { reg } = await setup(t);
  await reg.create(pods, 'default', pod('web'));
  const bound = (await reg.patch(pods, 'default', 'web', { spec: { nodeName: 'n1' } }, 'merge')) as Pod;
  assert.equal(bound.spec.nodeName, 'n1');
  await rejects(
    reg.patch(pods, 'default', 'web', { spec: { nodeName: 'n2' } }, 'merge'),
    422,
    'Pod "web" is invalid: spec.nodeName: Forbidden: pod is already bound to node "n1"',
  );
  const img = (await reg.patch(pods, 'default', 'web', { spec: { containers: [{ name: 'app', image: 'node app.js --v2' }] } }, 'strategic')) as Pod;
  assert.equal(img.spec.containers[0]!.image, 'node app.js --v2');
  await reg.patch(pods, 'default', 'web', { spec: { tolerations: [{ key: 'a', operator: 'Exists' }] } }, 'merge');
  await rejects(
    reg.patch(pods, 'default', 'web', { spec: { restartPolicy: 'Never' } }, 'merge'),
    422,
    /spec: Forbidden: pod updates may not change fields other than/,
  );
  await rejects(reg.patch(pods, 'default', 'web', { spec: { tolerations: [] } }, 'merge'), 422, /pod updates may not change fields/);
  const labelled = (await reg.patch(pods, 'default', 'web', { metadata: { labels: { x: 'y' } } }, 'merge')) as Pod;
  assert.deepEqual(labelled.metadata.labels, { x: 'y' });
});

test('registry events expire with their store lease; updates keep the lease', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-registry-events-'));
  let clock = Date.parse('2026-01-02T03:04:05Z');
  const store = new SqliteStore(join(dir, 'c.db'), { pollIntervalMs: 0, leaseSweepIntervalMs: 0, now: () => clock });
  t.after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const reg = new Registry(store, { now: () => clock, eventTtlSeconds: 600 });
  await reg.ensureSystemNamespaces();
  const events = R('events');
  const ev = (name: string) => ({ metadata: { name }, involvedObject: { kind: 'Pod', name: 'web' }, reason: 'Scheduled', message: 'assigned to n1' });
  await reg.create(events, 'default', ev('e1'));
  clock += 30_000;
  await reg.create(events, 'default', ev('e2'));
  const e2 = await reg.get(events, 'default', 'e2');
  await reg.update(events, 'default', 'e2', { ...e2, count: 2 });
  clock += 120_000;
  await reg.create(events, 'default', ev('e3'));
  await reg.create(configmaps, 'default', { metadata: { name: 'not-an-event' } });
  // 600 s + the 60 s reuse window after the first lease was granted: e1 and e2 go, e3 stays.
  clock += 600_000 + 60_000 - 150_000 + 1;
  store.sweepLeases();
  assert.deepEqual(
    (await reg.list(events, 'default')).items.map((e) => e.metadata.name),
    ['e3'],
  );
  clock += 200_000;
  store.sweepLeases();
  assert.deepEqual((await reg.list(events, 'default')).items, []);
  assert.equal((await reg.list(configmaps, 'default')).items.length, 1, 'other kinds never expire');
});
