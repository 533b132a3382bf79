/**
 * The pods `log` subresource through the cluster API plugin (http.ts) on a real
 * SQLite registry, fetching from a stand-in node agent: a real HTTP server on
 * 127.0.0.1 that the Node object publishes as its agent endpoint and that serves
 * `/logs/<ns>/<pod>/<container>` like the agent (agent_http.ts) does.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { test } from 'node:test';
import Fastify from 'fastify';
import { testCluster } from '../controllers/test_env.js';
import { NODES, PODS } from '../controllers/resources.js';
import { clusterApi } from './http.js';
import type { Node } from './objects.js';
import { lastLines, parsePodLogQuery } from './pod_log.js';

const LOG = 'line 1\nline 2\nline 3\n';
const PREVIOUS = 'old run\n';

/** The stand-in agent: records request URLs; serves LOG / PREVIOUS for pod default/app, container c. */
async function agent(t: { after(fn: () => Promise<void>): void }): Promise<{ port: number; seen: string[] }> {
  const seen: string[] = [];
  const server: Server = createServer((req, res) => {
    seen.push(req.url ?? '');
    const u = new URL(req.url ?? '/', 'http://x');
    if (u.pathname === '/logs/default/app/c') {
      if (u.searchParams.get('previous') === 'true') res.writeHead(400).end('previous terminated container "c" in pod "app" not found\n');
      else res.writeHead(200, { 'content-type': 'text/plain' }).end(LOG);
    } else if (u.pathname === '/logs/default/prev/c') {
      res.writeHead(200).end(u.searchParams.get('previous') === 'true' ? PREVIOUS : LOG);
    } else res.writeHead(404).end(`pod does not run on this node\n`);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => new Promise<void>((r) => server.close(() => r())));
  const addr = server.address();
  return { port: typeof addr === 'object' && addr !== null ? addr.port : 0, seen };
}

test('parsePodLogQuery validates tailLines, limitBytes, previous and refuses follow', () => {
  assert.deepEqual(parsePodLogQuery({}), { container: '', previous: false, tailLines: -1, limitBytes: 0 });
  assert.deepEqual(parsePodLogQuery({ container: 'c', previous: 'true', tailLines: '5', limitBytes: '10' }), { container: 'c', previous: true, tailLines: 5, limitBytes: 10 });
  assert.throws(() => parsePodLogQuery({ tailLines: '-1' }), /invalid tailLines "-1": must be an integer >= 0/);
  assert.throws(() => parsePodLogQuery({ limitBytes: '0' }), /invalid limitBytes "0": must be an integer >= 1/);
  assert.throws(() => parsePodLogQuery({ previous: 'maybe' }), /invalid previous "maybe"/);
  assert.throws(() => parsePodLogQuery({ follow: 'true' }), /follow=true is not supported/);
});

test('lastLines keeps the last N lines, with or without a final newline', () => {
  const b = (s: string) => Buffer.from(s);
  assert.equal(lastLines(b('a\nb\nc\n'), 2).toString(), 'b\nc\n');
  assert.equal(lastLines(b('a\nb\nc'), 2).toString(), 'b\nc');
  assert.equal(lastLines(b('a\nb\nc\n'), 5).toString(), 'a\nb\nc\n');
  assert.equal(lastLines(b('a\nb\n'), 0).toString(), '');
  assert.equal(lastLines(b('a\nb\n'), -1).toString(), 'a\nb\n');
  assert.equal(lastLines(b(''), 3).toString(), '');
});

test('GET /api/v1/namespaces/<ns>/pods/<name>/log proxies to the agent the Node publishes', async (t) => {
  const c = await testCluster(t);
  const a = await agent(t);
  const node = await c.addNode('n1');
  await c.registry.update(NODES, '', 'n1', { ...node, status: { ...node.status, daemonEndpoints: { agentEndpoint: { Port: a.port } } } } as Node, { subresource: 'status' });
  await c.addNode('silent');
  const pod = (name: string, containers: string[], nodeName?: string) =>
    c.registry.create(PODS, 'default', { apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { ...(nodeName === undefined ? {} : { nodeName }), containers: containers.map((n) => ({ name: n, image: 'sleep 1' })) } });
  await pod('app', ['c'], 'n1');
  await pod('prev', ['c'], 'n1');
  await pod('two', ['a', 'b'], 'n1');
  await pod('pending', ['c']);
  await pod('elsewhere', ['c'], 'silent');

  const app = Fastify();
  await app.register(clusterApi, { registry: c.registry });
  t.after(() => app.close());
  const get = (url: string) => app.inject({ method: 'GET', url });

  const all = await get('/api/v1/namespaces/default/pods/app/log');
  assert.equal(all.statusCode, 200);
  assert.match(String(all.headers['content-type']), /^text\/plain/);
  assert.equal(all.body, LOG);
  assert.equal(a.seen.at(-1), '/logs/default/app/c');

  assert.equal((await get('/api/v1/namespaces/default/pods/app/log?tailLines=2')).body, 'line 2\nline 3\n');
  assert.equal((await get('/api/v1/namespaces/default/pods/app/log?tailLines=2&limitBytes=4')).body, 'line');
  assert.equal((await get('/api/v1/namespaces/default/pods/app/log?container=c&tailLines=0')).body, '');
  const prev = await get('/api/v1/namespaces/default/pods/prev/log?previous=true');
  assert.equal(prev.body, PREVIOUS);
  assert.equal(a.seen.at(-1), '/logs/default/prev/c?previous=true');

  const status = async (url: string, code: number, message: RegExp) => {
    const r = await get(url);
    assert.equal(r.statusCode, code, `${url}: ${r.body}`);
    const s = r.json() as { kind: string; code: number; message: string };
    assert.equal(s.kind, 'Status');
    assert.equal(s.code, code);
    assert.match(s.message, message);
  };
  await status('/api/v1/namespaces/default/pods/app/log?previous=true', 400, /previous terminated container "c" in pod "app" not found/);
  await status('/api/v1/namespaces/default/pods/two/log', 400, /a container name must be specified for pod two, choose one of: \[a b\]/);
  await status('/api/v1/namespaces/default/pods/app/log?container=zzz', 400, /container zzz is not valid for pod app/);
  await status('/api/v1/namespaces/default/pods/pending/log', 400, /is waiting to start: the pod is not scheduled to a node yet/);
  await status('/api/v1/namespaces/default/pods/nope/log', 404, /pods "nope" not found/);
  await status('/api/v1/namespaces/default/pods/elsewhere/log', 503, /node "silent" publishes no agent endpoint/);
  await status('/api/v1/namespaces/default/pods/app/log?tailLines=x', 400, /invalid tailLines "x"/);
  // The two-container pod by name: the agent answers 404 for it, which is passed on as NotFound.
  await status('/api/v1/namespaces/default/pods/two/log?container=a', 404, /does not run on this node/);
});

test('pods/log is authorized as get on pods/log', async (t) => {
  const c = await testCluster(t);
  await c.addNode('n1');
  await c.registry.create(PODS, 'default', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'app' }, spec: { nodeName: 'n1', containers: [{ name: 'c', image: 'sleep 1' }] } });
  const asked: string[] = [];
  const app = Fastify();
  await app.register(clusterApi, {
    registry: c.registry,
    // An authenticated caller (an anonymous one is answered 401 before any authorization).
    authenticate: () => ({ name: 'alice', groups: [] }),
    authorize: (_u, verb, resource, ns, name) => {
      asked.push(`${verb} ${resource} ${ns} ${name}`);
      return 'deny';
    },
  });
  t.after(() => app.close());
  const r = await app.inject({ method: 'GET', url: '/api/v1/namespaces/default/pods/app/log' });
  assert.equal(r.statusCode, 403);
  assert.deepEqual(asked, ['get pods/log default app']);
});
