import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { type TestContext, test } from 'node:test';
import Fastify from 'fastify';
import { SqliteStore } from '../store/sqlite_store.js';
import { type AuthorizeFn, clusterApi, objectPath } from './http.js';
import { Registry } from './registry.js';
import { RESOURCES } from './resources.js';

async function setup(t: TestContext, opts: { authorize?: AuthorizeFn; authenticate?: () => { name: string; groups: string[] } | null } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-api-http-'));
  const store = new SqliteStore(join(dir, 'c.db'), { pollIntervalMs: 0, leaseSweepIntervalMs: 0 });
  const registry = new Registry(store, { now: () => Date.parse('2026-03-04T05:06:07Z') });
  await registry.ensureSystemNamespaces();
  const app = Fastify();
  const logs: string[] = [];
  const logger = { debug: (m: string) => logs.push(`debug ${m}`), warn: (m: string) => logs.push(`warn ${m}`), error: (m: string) => logs.push(`error ${m}`) };
  await app.register(clusterApi, { registry, logger, ...opts });
  await app.ready();
  t.after(async () => {
    await app.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { app, store, logs };
}

const podBody = (name: string, labels: Record<string, string> = {}) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, labels },
  spec: { containers: [{ name: 'app', image: 'node app.js' }] },
});

const deployBody = (name: string, replicas: number) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name },
  spec: {
    replicas,
    selector: { matchLabels: { app: name } },
    template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'web', image: 'node web.js' }] } },
  },
});

test('http: create (201), get, list with a label selector, and Kubernetes Status on 404', async (t) => {
  const { app } = await setup(t);
  const c = await app.inject({ method: 'POST', url: '/api/v1/namespaces/default/pods', payload: podBody('web', { app: 'web' }) });
  assert.equal(c.statusCode, 201, c.body);
  const created = c.json();
  assert.equal(created.metadata.namespace, 'default');
  assert.match(created.metadata.resourceVersion, /^[0-9]+$/);
  await app.inject({ method: 'POST', url: '/api/v1/namespaces/default/pods', payload: podBody('api', { app: 'api' }) });
  const g = await app.inject({ method: 'GET', url: '/api/v1/namespaces/default/pods/web' });
  assert.equal(g.statusCode, 200);
  assert.deepEqual(g.json(), created);
  const l = await app.inject({ method: 'GET', url: `/api/v1/namespaces/default/pods?labelSelector=${encodeURIComponent('app in (web)')}` });
  const list = l.json();
  assert.equal(list.kind, 'PodList');
  assert.deepEqual(
    list.items.map((p: { metadata: { name: string } }) => p.metadata.name),
    ['web'],
  );
  const all = await app.inject({ method: 'GET', url: '/api/v1/pods' });
  assert.equal(all.json().items.length, 2);
  const nf = await app.inject({ method: 'GET', url: '/api/v1/namespaces/default/pods/nope' });
  assert.equal(nf.statusCode, 404);
  assert.deepEqual(nf.json(), {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message: 'pods "nope" not found',
    reason: 'NotFound',
    details: { name: 'nope', kind: 'pods' },
    code: 404,
  });
  const ns = await app.inject({ method: 'GET', url: '/api/v1/namespaces/default' });
  assert.equal(ns.json().status.phase, 'Active');
});

test('http: 409 Conflict on a stale resourceVersion and 422 with field causes', async (t) => {
  const { app } = await setup(t);
  const c = (await app.inject({ method: 'POST', url: '/apis/apps/v1/namespaces/default/deployments', payload: deployBody('web', 2) })).json();
  const u1 = await app.inject({ method: 'PUT', url: '/apis/apps/v1/namespaces/default/deployments/web', payload: { ...c, spec: { ...c.spec, replicas: 3 } } });
  assert.equal(u1.statusCode, 200);
  assert.equal(u1.json().metadata.generation, 2);
  const stale = await app.inject({ method: 'PUT', url: '/apis/apps/v1/namespaces/default/deployments/web', payload: { ...c, spec: { ...c.spec, replicas: 4 } } });
  assert.equal(stale.statusCode, 409);
  assert.equal(stale.json().reason, 'Conflict');
  assert.equal(
    stale.json().message,
    'Operation cannot be fulfilled on deployments.apps "web": the object has been modified; please apply your changes to the latest version and try again',
  );
  assert.deepEqual(stale.json().details, { name: 'web', group: 'apps', kind: 'deployments' });
  const bad = await app.inject({ method: 'POST', url: '/apis/apps/v1/namespaces/default/deployments', payload: deployBody('neg', -1) });
  assert.equal(bad.statusCode, 422);
  assert.equal(bad.json().message, 'Deployment.apps "neg" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0');
  assert.deepEqual(bad.json().details.causes, [
    { reason: 'FieldValueInvalid', message: 'Invalid value: -1: must be greater than or equal to 0', field: 'spec.replicas' },
  ]);
  const garbage = await app.inject({ method: 'POST', url: '/api/v1/namespaces/default/pods', headers: { 'content-type': 'application/json' }, payload: '{"a":' });
  assert.equal(garbage.statusCode, 400);
  assert.equal(garbage.json().kind, 'Status');
});

test('http: merge and strategic merge patches; JSON patch is refused with 415', async (t) => {
  const { app } = await setup(t);
  await app.inject({ method: 'POST', url: '/apis/apps/v1/namespaces/default/deployments', payload: deployBody('web', 1) });
  const url = '/apis/apps/v1/namespaces/default/deployments/web';
  const p1 = await app.inject({
    method: 'PATCH',
    url,
    headers: { 'content-type': 'application/merge-patch+json' },
    payload: JSON.stringify({ spec: { replicas: 4 }, metadata: { labels: { tier: 'fe' } } }),
  });
  assert.equal(p1.statusCode, 200, p1.body);
  assert.equal(p1.json().spec.replicas, 4);
  assert.deepEqual(p1.json().metadata.labels, { tier: 'fe' });
  const p2 = await app.inject({
    method: 'PATCH',
    url,
    headers: { 'content-type': 'application/strategic-merge-patch+json' },
    payload: JSON.stringify({ spec: { template: { spec: { containers: [{ name: 'sidecar', image: 'node side.js' }] } } } }),
  });
  assert.equal(p2.statusCode, 200, p2.body);
  assert.deepEqual(
    p2.json().spec.template.spec.containers.map((c: { name: string }) => c.name),
    ['web', 'sidecar'],
  );
  const jp = await app.inject({ method: 'PATCH', url, headers: { 'content-type': 'application/json-patch+json' }, payload: '[]' });
  assert.equal(jp.statusCode, 415);
  assert.equal(jp.json().reason, 'UnsupportedMediaType');
  const st = await app.inject({
    method: 'PATCH',
    url: `${url}/status`,
    headers: { 'content-type': 'application/merge-patch+json' },
    payload: JSON.stringify({ status: { readyReplicas: 2 } }),
  });
  assert.equal(st.json().status.readyReplicas, 2);
});

test('http: delete honours gracePeriodSeconds for bound pods', async (t) => {
  const { app } = await setup(t);
  const body = podBody('web');
  await app.inject({ method: 'POST', url: '/api/v1/namespaces/default/pods', payload: { ...body, spec: { ...body.spec, nodeName: 'n1' } } });
  const d1 = await app.inject({ method: 'DELETE', url: '/api/v1/namespaces/default/pods/web' });
  assert.equal(d1.statusCode, 200);
  assert.equal(d1.json().metadata.deletionTimestamp, '2026-03-04T05:06:37Z');
  const d2 = await app.inject({ method: 'DELETE', url: '/api/v1/namespaces/default/pods/web?gracePeriodSeconds=0' });
  assert.equal(d2.statusCode, 200);
  assert.equal((await app.inject({ method: 'GET', url: '/api/v1/namespaces/default/pods/web' })).statusCode, 404);
});

test('http: bad selectors and unknown resources are 400/404 Status objects', async (t) => {
  const { app } = await setup(t);
  const b = await app.inject({ method: 'GET', url: `/api/v1/pods?labelSelector=${encodeURIComponent('a in x')}` });
  assert.equal(b.statusCode, 400);
  assert.match(b.json().message, /column 6: expected "\(" after "in"/);
  const f = await app.inject({ method: 'GET', url: '/api/v1/pods?fieldSelector=spec.image=x' });
  assert.equal(f.statusCode, 400);
  assert.match(f.json().message, /field "spec.image" is not supported/);
  const u = await app.inject({ method: 'GET', url: '/api/v1/widgets' });
  assert.equal(u.statusCode, 404);
  assert.equal(u.json().kind, 'Status');
  const cs = await app.inject({ method: 'GET', url: '/api/v1/namespaces/default/nodes' });
  assert.equal(cs.statusCode, 404);
});

test('http: discovery lists resources, verbs and status subresources', async (t) => {
  const { app } = await setup(t);
  const v1 = (await app.inject({ method: 'GET', url: '/api/v1' })).json();
  assert.equal(v1.groupVersion, 'v1');
  const names = v1.resources.map((r: { name: string }) => r.name);
  for (const n of ['pods', 'pods/status', 'nodes', 'services', 'configmaps', 'secrets', 'resourcequotas', 'events', 'namespaces']) assert.ok(names.includes(n), n);
  const apps = (await app.inject({ method: 'GET', url: '/apis/apps/v1' })).json();
  assert.deepEqual(
    apps.resources.map((r: { name: string }) => r.name),
    ['deployments', 'deployments/status', 'replicasets', 'replicasets/status'],
  );
  const groups = (await app.inject({ method: 'GET', url: '/apis' })).json();
  assert.deepEqual(
    groups.groups.map((g: { name: string }) => g.name),
    ['apps', 'coordination.k8s.io', 'autoscaling.vigil.dev', 'rbac.authorization.k8s.io'],
  );
  assert.equal(objectPath(RESOURCES.find((r) => r.kind === 'Deployment')!, 'default', 'web'), '/apis/apps/v1/namespaces/default/deployments/web');
});

test('http: every request is authenticated and authorized with verb, resource, namespace and name', async (t) => {
  const calls: string[] = [];
  const authorize: AuthorizeFn = (user, verb, resource, namespace, name) => {
    calls.push(`${user.name} ${verb} ${resource} ${namespace} ${name}`);
    return verb === 'delete' ? 'deny' : 'allow';
  };
  const { app, logs } = await setup(t, { authorize, authenticate: () => ({ name: 'alice', groups: [] }) });
  await app.inject({ method: 'POST', url: '/api/v1/namespaces/default/pods', payload: podBody('web') });
  await app.inject({ method: 'GET', url: '/api/v1/namespaces/default/pods/web' });
  await app.inject({ method: 'GET', url: '/api/v1/namespaces/default/pods' });
  await app.inject({ method: 'PUT', url: '/api/v1/namespaces/default/pods/web/status', payload: podBody('web') });
  await app.inject({ method: 'GET', url: '/api/v1' });
  const d = await app.inject({ method: 'DELETE', url: '/api/v1/namespaces/default/pods/web' });
  assert.equal(d.statusCode, 403);
  assert.equal(d.json().message, 'pods "web" is forbidden: User "alice" cannot delete resource "pods" in API group "" in the namespace "default"');
  assert.deepEqual(calls, [
    'alice create pods default web',
    'alice get pods default web',
    'alice list pods default ',
    'alice update pods/status default web',
    'alice get /api/v1  ',
    'alice delete pods default web',
  ]);
  assert.equal((await app.inject({ method: 'GET', url: '/api/v1/namespaces/default/pods/web' })).statusCode, 200, 'the denied delete did nothing');
  assert.ok(!logs.some((l) => l.includes('not configured')), 'no allow-all warning when an authorizer is given');
});

test('http: unauthenticated requests get 401; the default authorizer allows and logs', async (t) => {
  const denied = await setup(t, { authenticate: () => null });
  const r = await denied.app.inject({ method: 'GET', url: '/api/v1/pods' });
  assert.equal(r.statusCode, 401);
  assert.equal(r.json().reason, 'Unauthorized');
  const open = await setup(t);
  assert.equal((await open.app.inject({ method: 'GET', url: '/api/v1/pods' })).statusCode, 200);
  assert.ok(open.logs.includes('warn cluster API authorization is not configured: every request is allowed'));
  assert.ok(open.logs.includes('debug cluster API request allowed (no authorizer configured)'));
});

/** Reads newline-delimited JSON events from a streamed response until `n` arrived. */
async function readEvents(stream: Readable, n: number): Promise<{ type: string; object: { metadata: { name: string; resourceVersion: string }; code?: number; reason?: string } }[]> {
  const out: { type: string; object: { metadata: { name: string; resourceVersion: string } } }[] = [];
  let buf = '';
  for await (const chunk of stream) {
    buf += String(chunk);
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      out.push(JSON.parse(buf.slice(0, i)));
      buf = buf.slice(i + 1);
    }
    if (out.length >= n) break;
  }
  return out;
}

test('http: watch streams newline-delimited events from a resourceVersion and resumes', async (t) => {
  const { app } = await setup(t);
  const first = (await app.inject({ method: 'POST', url: '/api/v1/namespaces/default/configmaps', payload: { metadata: { name: 'a' }, data: { k: '1' } } })).json();
  const res = await app.inject({
    method: 'GET',
    url: `/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=${first.metadata.resourceVersion}`,
    payloadAsStream: true,
  });
  assert.equal(res.statusCode, 200);
  assert.match(String(res.headers['content-type']), /application\/json/);
  await app.inject({ method: 'POST', url: '/api/v1/namespaces/default/configmaps', payload: { metadata: { name: 'b' }, data: {} } });
  await app.inject({ method: 'PATCH', url: '/api/v1/namespaces/default/configmaps/a', headers: { 'content-type': 'application/merge-patch+json' }, payload: '{"data":{"k":"2"}}' });
  await app.inject({ method: 'DELETE', url: '/api/v1/namespaces/default/configmaps/b' });
  const evs = await readEvents(res.stream(), 3);
  assert.deepEqual(
    evs.map((e) => `${e.type} ${e.object.metadata.name}`),
    ['ADDED b', 'MODIFIED a', 'DELETED b'],
  );
  // Resume after the second event: only the third comes again.
  const again = await app.inject({
    method: 'GET',
    url: `/api/v1/namespaces/default/configmaps?watch=1&resourceVersion=${evs[1]!.object.metadata.resourceVersion}`,
    payloadAsStream: true,
  });
  const rest = await readEvents(again.stream(), 1);
  assert.deepEqual(
    rest.map((e) => `${e.type} ${e.object.metadata.name}`),
    ['DELETED b'],
  );
});

test('http: a watch from a compacted resourceVersion gets one ERROR event with 410 Expired and ends', async (t) => {
  const { app, store } = await setup(t);
  const a = (await app.inject({ method: 'POST', url: '/api/v1/namespaces/default/configmaps', payload: { metadata: { name: 'a' } } })).json();
  await app.inject({ method: 'POST', url: '/api/v1/namespaces/default/configmaps', payload: { metadata: { name: 'b' } } });
  await store.compact(await store.currentRevision());
  const res = await app.inject({ method: 'GET', url: `/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=${a.metadata.resourceVersion}` });
  assert.equal(res.statusCode, 200);
  const lines = res.body.trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(lines.length, 1);
  assert.equal(lines[0].type, 'ERROR');
  assert.equal(lines[0].object.code, 410);
  assert.equal(lines[0].object.reason, 'Expired');
  const list = await app.inject({ method: 'GET', url: `/api/v1/namespaces/default/configmaps?resourceVersion=${a.metadata.resourceVersion}` });
  assert.equal(list.statusCode, 410);
});

test('http: quota rejection is a 403 Forbidden Status', async (t) => {
  const { app } = await setup(t);
  await app.inject({ method: 'POST', url: '/api/v1/namespaces/default/resourcequotas', payload: { metadata: { name: 'q' }, spec: { hard: { pods: '1' } } } });
  assert.equal((await app.inject({ method: 'POST', url: '/api/v1/namespaces/default/pods', payload: podBody('a') })).statusCode, 201);
  const r = await app.inject({ method: 'POST', url: '/api/v1/namespaces/default/pods', payload: podBody('b') });
  assert.equal(r.statusCode, 403);
  assert.equal(r.json().message, 'pods "b" is forbidden: exceeded quota: q, requested: pods=1, used: pods=1, limited: pods=1');
});

test('http: a watch over a real socket sends headers at once and streams events as they happen', async (t) => {
  const { app } = await setup(t);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
  const ac = new AbortController();
  t.after(() => ac.abort());
  // fetch resolves on the headers: this would hang if the server waited for the first event.
  const res = await fetch(`http://127.0.0.1:${port}/api/v1/namespaces/default/pods?watch=true`, { signal: ac.signal });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'application/json');
  const reader = res.body!.getReader();
  await app.inject({ method: 'POST', url: '/api/v1/namespaces/default/pods', payload: podBody('live') });
  let text = '';
  while (!text.includes('\n')) {
    const { value, done } = await reader.read();
    if (done) break;
    text += Buffer.from(value).toString('utf8');
  }
  const ev = JSON.parse(text.split('\n')[0]!);
  assert.equal(ev.type, 'ADDED');
  assert.equal(ev.object.metadata.name, 'live');
  ac.abort();
});
