/**
 * Every route the cluster part and the cluster-actions part register is
 * protected: the routes are collected from fastify's `onRoute` hook as they are
 * added (so a route added later is walked too, without touching this test),
 * each is called with every method it serves on concrete URLs (every resource,
 * collection and object, subresources, watch), and:
 *
 * - without credentials and `--no-cluster.ui-read-access`: 401 everywhere;
 * - without credentials and the UI read access on: GET/HEAD of non-Secret kinds
 *   and discovery answer (200/404), everything else 401;
 * - with a valid token of a user who has no bindings: 403 everywhere except
 *   discovery (never a success on a resource).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { parseCommandArgs } from '../../cmd/cli.js';
import { SERVER_FLAGS, serverFlagsFrom } from '../../cmd/flags.js';
import { StructuredLogger } from '../../cmd/logger.js';
import { type ServerPart, startServer } from '../../cmd/server.js';
import { actionsPart, WEBHOOK_PATH } from '../actions/actions_part.js';
import { RESOURCES } from '../api/resources.js';
import { clusterPart } from '../cluster_part.js';

type Method = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

interface Call {
  method: Method;
  url: string;
  /** The HTTP layer accepts this method on this URL (so an authorized caller would get past routing). */
  wellFormed: boolean;
  /** A read of something the UI may read without a token. */
  uiReadable: boolean;
  discovery: boolean;
  /** A watch request (streams for a second when allowed). */
  watch?: boolean;
}

/** Concrete calls for one collected route. */
function expand(method: Method, url: string): Call[] {
  const read = method === 'GET' || method === 'HEAD';
  if (url === '/api' || url === '/apis') return [{ method, url, wellFormed: read, uiReadable: read, discovery: read }];
  if (url !== '/api/*' && url !== '/apis/*') {
    const concrete = url.replace(/:[A-Za-z0-9_]+/g, 'x').replace(/\*/g, 'x');
    // Pod logs are a read the UI may make (its logs tail), like Kubernetes' `view` role.
    const podLog = read && /^\/api\/v1\/namespaces\/x\/pods\/x\/log$/.test(concrete);
    return [{ method, url: concrete, wellFormed: true, uiReadable: podLog, discovery: false }];
  }
  const grouped = url === '/apis/*';
  const out: Call[] = [];
  const seenGroups = new Set<string>();
  for (const r of RESOURCES) {
    if ((r.group !== '') !== grouped) continue;
    const base = grouped ? `/apis/${r.group}/${r.version}` : `/api/${r.version}`;
    if (!seenGroups.has(base)) {
      seenGroups.add(base);
      out.push({ method, url: base, wellFormed: read, uiReadable: read, discovery: read });
    }
    const ui = read && r.resource !== 'secrets';
    const colls = r.namespaced ? [`${base}/namespaces/default/${r.resource}`, `${base}/${r.resource}`] : [`${base}/${r.resource}`];
    for (const c of colls) {
      out.push({ method, url: c, wellFormed: read || method === 'POST', uiReadable: ui, discovery: false });
      if (method === 'GET') out.push({ method, url: `${c}?watch=true&timeoutSeconds=1`, wellFormed: true, uiReadable: ui, discovery: false, watch: true });
    }
    const obj = `${colls[0]}/x`;
    out.push({ method, url: obj, wellFormed: method !== 'POST', uiReadable: ui, discovery: false });
    if (r.hasStatus) out.push({ method, url: `${obj}/status`, wellFormed: method !== 'POST' && method !== 'DELETE', uiReadable: ui, discovery: false });
    if (r.resource === 'serviceaccounts') out.push({ method, url: `${obj}/token`, wellFormed: method === 'POST', uiReadable: false, discovery: false });
  }
  return out;
}

async function startWith(t: TestContext, extraFlags: string[]) {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-routes-'));
  const cfg = join(dir, 'vigil.yml');
  writeFileSync(cfg, 'global:\n  scrape_interval: 15s\n');
  const flags = serverFlagsFrom(
    parseCommandArgs(['--web.listen-address=127.0.0.1:0', `--config.file=${cfg}`, `--storage.tsdb.path=${join(dir, 'data')}`, ...extraFlags], SERVER_FLAGS, { min: 0, max: 0 }),
  );
  const routes: { method: Method; url: string }[] = [];
  const collector: ServerPart = {
    name: 'route-collector',
    register: async (app: FastifyInstance) => {
      app.addHook('onRoute', (r) => {
        for (const m of Array.isArray(r.method) ? r.method : [r.method]) routes.push({ method: m as Method, url: r.url ?? r.path ?? '' });
      });
    },
  };
  const cluster = clusterPart({ localAgent: false, noControllers: true });
  const actions = actionsPart({ registry: () => cluster.api()?.registry ?? null, tickMs: 0 });
  const s = await startServer(flags, { logger: new StructuredLogger({ level: 'error', caller: false, sink: { write: () => {} } }), baseParts: [collector, cluster, actions] });
  // Hooks run in registration order: close the server before removing its data directory.
  t.after(async () => {
    await s.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const calls = routes.flatMap((r) => expand(r.method, r.url));
  const urls = new Set(routes.map((r) => r.url));
  for (const u of ['/api', '/apis', '/api/*', '/apis/*', WEBHOOK_PATH]) assert.ok(urls.has(u), `route ${u} collected`);
  assert.ok(calls.length > 300, `walks many calls (${calls.length})`);
  const send = async (c: Call, token: string) => {
    const headers: Record<string, string> = {};
    if (token !== '') headers.authorization = `Bearer ${token}`;
    const body = c.method === 'POST' || c.method === 'PUT' || c.method === 'PATCH' ? '{}' : undefined;
    if (body !== undefined) headers['content-type'] = c.method === 'PATCH' ? 'application/merge-patch+json' : 'application/json';
    return (await s.app.inject({ method: c.method, url: c.url, headers, ...(body !== undefined ? { payload: body } : {}) })).statusCode;
  };
  return { calls, send, cluster };
}

test('every cluster route answers 401 without credentials when the UI read access is off', async (t) => {
  const { calls, send } = await startWith(t, ['--no-cluster.ui-read-access']);
  const wrong: string[] = [];
  for (const c of calls) {
    const code = await send(c, '');
    if (code !== 401) wrong.push(`${c.method} ${c.url} → ${code}`);
  }
  assert.deepEqual(wrong, []);
});

test('with the UI read access on, only reads of non-Secret kinds pass without credentials', async (t) => {
  const { calls, send } = await startWith(t, []);
  const wrong: string[] = [];
  let readable = 0;
  for (const c of calls) {
    // An allowed watch streams until its timeout; the list of the same collection is checked instead.
    if (c.watch === true && c.uiReadable) continue;
    const code = await send(c, '');
    if (c.uiReadable) {
      readable++;
      if (code !== 200 && code !== 404) wrong.push(`${c.method} ${c.url} → ${code} (expected a read)`);
    } else if (code !== 401) wrong.push(`${c.method} ${c.url} → ${code} (expected 401)`);
  }
  assert.deepEqual(wrong, []);
  assert.ok(readable > 50, `some calls are UI reads (${readable})`);
});

test('a valid token without bindings gets 403 on every cluster route (discovery aside)', async (t) => {
  const { calls, send, cluster } = await startWith(t, []);
  const token = cluster.auth()!.issueToken({ name: 'mallory', groups: ['nobody'] });
  const wrong: string[] = [];
  for (const c of calls) {
    const code = await send(c, token);
    if (c.discovery) {
      if (code !== 200) wrong.push(`${c.method} ${c.url} → ${code} (discovery)`);
    } else if (c.wellFormed ? code !== 403 : code !== 403 && code !== 405) wrong.push(`${c.method} ${c.url} → ${code}`);
  }
  assert.deepEqual(wrong, []);
});
