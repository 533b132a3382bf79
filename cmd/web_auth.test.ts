import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import bcrypt from 'bcryptjs';
import { MemoryStorage } from '../tsdb/memory_storage.js';
import { parseServerFlags } from './flags.js';
import { StructuredLogger } from './logger.js';
import { startServer } from './server.js';
import { Authenticator, requiredScope } from './web_auth.js';
import { parseWebConfig } from './web_config.js';

type After = { after(fn: () => Promise<void> | void): void };
const HASH = bcrypt.hashSync('s3cret', 4);
const OTHER = bcrypt.hashSync('other', 4);
const ADMIN_TOKEN = 'admin-token-0123456789abcdef';
const READ_TOKEN = 'read-token-0123456789abcdef';

function basic(user: string, pass: string): string {
  return `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
}

function tempDir(t: After): string {
  const d = mkdtempSync(join(tmpdir(), 'vigil-webauth-'));
  t.after(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

function sha(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}

const USERS = `basic_auth_users:
  alice: ${HASH}
  bob: ${HASH}
basic_auth_scopes:
  bob: read
bearer_tokens:
  - {token_sha256: ${sha(ADMIN_TOKEN)}, scope: admin}
  - {token_sha256: ${sha(READ_TOKEN)}, scope: read}
http_server_config:
  headers:
    X-Content-Type-Options: nosniff
`;

describe('web auth', () => {
  test('lifecycle, admin and write endpoints need admin; everything else read', () => {
    for (const p of ['/-/reload', '/-/quit', '/api/v1/admin/tsdb/snapshot', '/api/v1/admin/*', '/api/v1/write', '/api/v1/otlp/v1/metrics']) {
      assert.equal(requiredScope(p), 'admin', p);
    }
    for (const p of ['/-/healthy', '/-/ready', '/api/v1/query', '/api/v1/status/config', '/metrics', '/api/v1/writer-status-is-not-a-thing'.slice(0, 12)]) {
      assert.equal(requiredScope(p), 'read', p);
    }
  });

  test('basic auth: right password passes with the user scope, wrong or unknown fails; only successes are cached', async () => {
    const cfg = parseWebConfig(USERS, '/nonexistent/web.yml');
    const a = new Authenticator();
    assert.deepEqual(await a.authenticate(cfg, basic('alice', 's3cret')), { kind: 'basic', name: 'alice', scope: 'admin' });
    assert.deepEqual(await a.authenticate(cfg, basic('bob', 's3cret')), { kind: 'basic', name: 'bob', scope: 'read' });
    assert.equal(a.cachedCount(), 2);
    assert.equal(await a.authenticate(cfg, basic('alice', 'wrong')), null);
    assert.equal(await a.authenticate(cfg, basic('mallory', 's3cret')), null);
    assert.equal(await a.authenticate(cfg, basic('alice', '')), null);
    assert.equal(await a.authenticate(cfg, 'Basic !!!notbase64'), null);
    assert.equal(await a.authenticate(cfg, undefined), null);
    assert.equal(a.cachedCount(), 2, 'failures are not cached');
    // A changed hash must not be satisfied by the cached success of the old one.
    const changed = parseWebConfig(USERS.replace(`alice: ${HASH}`, `alice: ${OTHER}`), '/nonexistent/web.yml');
    assert.equal(await a.authenticate(changed, basic('alice', 's3cret')), null);
    assert.equal((await a.authenticate(changed, basic('alice', 'other')))?.scope, 'admin');
  });

  test('a cached success skips bcrypt: cost-10 hash checked once, then answered fast', async () => {
    const slow = bcrypt.hashSync('pw', 10);
    const cfg = parseWebConfig(`basic_auth_users:\n  carol: ${slow}\n`, '/x/web.yml');
    const a = new Authenticator();
    let t0 = performance.now();
    assert.ok(await a.authenticate(cfg, basic('carol', 'pw')));
    const first = performance.now() - t0;
    t0 = performance.now();
    for (let i = 0; i < 20; i++) assert.ok(await a.authenticate(cfg, basic('carol', 'pw')));
    const twenty = performance.now() - t0;
    assert.ok(twenty < first, `20 cached checks took ${twenty.toFixed(1)} ms, one bcrypt check ${first.toFixed(1)} ms`);
  });

  test('bearer tokens match by SHA-256 and carry their scope', async () => {
    const cfg = parseWebConfig(USERS, '/nonexistent/web.yml');
    const a = new Authenticator();
    assert.equal((await a.authenticate(cfg, `Bearer ${ADMIN_TOKEN}`))?.scope, 'admin');
    assert.equal((await a.authenticate(cfg, `bearer ${READ_TOKEN}`))?.scope, 'read');
    assert.equal(await a.authenticate(cfg, `Bearer ${READ_TOKEN}x`), null);
    assert.equal(await a.authenticate(cfg, 'Bearer'), null);
    assert.equal(await a.authenticate(cfg, `Token ${READ_TOKEN}`), null);
  });

  test('through the server: every path is protected, 401 names the schemes, read scope gets 403 on lifecycle, headers always set', async (t) => {
    const dir = tempDir(t);
    const web = join(dir, 'web.yml');
    writeFileSync(web, USERS);
    const cfgFile = join(dir, 'prometheus.yml');
    writeFileSync(cfgFile, 'global:\n  scrape_interval: 15s\n');
    const flags = parseServerFlags([`--config.file=${cfgFile}`, `--web.config.file=${web}`, '--web.listen-address=127.0.0.1:0', '--web.enable-lifecycle']);
    const s = await startServer(flags, { logger: new StructuredLogger({ level: 'error', sink: { write: () => {} } }), openStorage: async () => new MemoryStorage() });
    t.after(() => s.close());
    const req = async (method: 'GET' | 'POST', url: string, authorization?: string) => {
      const r = await s.app.inject({ method, url, headers: authorization === undefined ? {} : { authorization } });
      assert.equal(r.headers['x-content-type-options'], 'nosniff', `${method} ${url}`);
      return r;
    };
    for (const path of ['/-/healthy', '/-/ready', '/metrics', '/api/v1/status/config', '/no/such/page']) {
      const r = await req('GET', path);
      assert.equal(r.statusCode, 401, path);
      assert.deepEqual(r.headers['www-authenticate'], ['Basic', 'Bearer']);
    }
    assert.equal((await req('GET', '/-/healthy', basic('bob', 's3cret'))).statusCode, 200);
    assert.equal((await req('GET', '/api/v1/status/config', `Bearer ${READ_TOKEN}`)).statusCode, 200);
    assert.equal((await req('GET', '/-/healthy', basic('bob', 'nope'))).statusCode, 401);
    assert.equal((await req('POST', '/-/reload', basic('bob', 's3cret'))).statusCode, 403);
    assert.equal((await req('POST', '/-/%72eload', `Bearer ${READ_TOKEN}`)).statusCode, 403, 'percent-encoding does not dodge the scope');
    assert.equal((await req('POST', '/-/reload', basic('alice', 's3cret'))).statusCode, 200);
    assert.equal((await req('POST', '/-/reload', `Bearer ${ADMIN_TOKEN}`)).statusCode, 200);

    // Hot reload: a new user works on the next request; a broken file fails closed; fixing it recovers.
    const dave = bcrypt.hashSync('d4ve', 4);
    writeFileSync(web, `${USERS}\n`.replace('basic_auth_users:\n', `basic_auth_users:\n  dave: ${dave}\n`));
    assert.equal((await req('GET', '/-/healthy', basic('dave', 'd4ve'))).statusCode, 200);
    writeFileSync(web, `${USERS}bogus: true\n`);
    const broken = await s.app.inject({ method: 'GET', url: '/-/healthy', headers: { authorization: basic('alice', 's3cret') } });
    assert.equal(broken.statusCode, 500);
    writeFileSync(web, USERS);
    assert.equal((await req('GET', '/-/healthy', basic('alice', 's3cret'))).statusCode, 200);
    assert.equal((await req('GET', '/-/healthy', basic('dave', 'd4ve'))).statusCode, 401, 'the removed user is gone');
  });

  test('the route table walk: every route of every part answers 401 without credentials, admin routes 403 with read scope', async (t) => {
    const dir = tempDir(t);
    const web = join(dir, 'web.yml');
    writeFileSync(web, USERS);
    writeFileSync(join(dir, 'prometheus.yml'), '');
    const flags = parseServerFlags([`--config.file=${join(dir, 'prometheus.yml')}`, `--web.config.file=${web}`, '--web.listen-address=127.0.0.1:0', '--web.enable-lifecycle', '--web.enable-admin-api']);
    const s = await startServer(flags, { logger: new StructuredLogger({ level: 'error', sink: { write: () => {} } }), openStorage: async () => new MemoryStorage() });
    t.after(() => s.close());
    const routes = routeTable(s.app.printRoutes({ commonPrefix: false }));
    assert.ok(routes.length >= 10, `found ${routes.length} routes`);
    for (const { path, methods } of routes) {
      for (const method of methods) {
        const r = await s.app.inject({ method: method as 'GET', url: path });
        assert.equal(r.statusCode, 401, `${method} ${path} without credentials`);
        if (requiredScope(path) === 'admin') {
          const ro = await s.app.inject({ method: method as 'GET', url: path, headers: { authorization: `Bearer ${READ_TOKEN}` } });
          assert.equal(ro.statusCode, 403, `${method} ${path} with a read token`);
        }
      }
    }
  });

  test('an invalid web config stops start-up with its location', async (t) => {
    const dir = tempDir(t);
    const web = join(dir, 'web.yml');
    writeFileSync(web, 'basic_auth_users:\n  alice: plaintext\n');
    writeFileSync(join(dir, 'prometheus.yml'), '');
    const flags = parseServerFlags([`--web.config.file=${web}`, '--web.listen-address=127.0.0.1:0', `--config.file=${join(dir, 'prometheus.yml')}`]);
    await assert.rejects(startServer(flags, { logger: new StructuredLogger({ level: 'error', sink: { write: () => {} } }) }), /web\.yml:2:10: basic_auth_users\.alice: expected a bcrypt hash/);
  });
});

/** Routes from fastify's `printRoutes({commonPrefix: false})` tree, with parameters filled in. */
function routeTable(tree: string): { path: string; methods: string[] }[] {
  const out: { path: string; methods: string[] }[] = [];
  const stack: string[] = [];
  for (const line of tree.split('\n')) {
    const m = /^([│ ]*)[├└]── (\S+) \(([^)]*)\)/.exec(line);
    if (m === null) continue;
    const depth = m[1]!.length / 4;
    stack.length = depth;
    const path = (stack[depth - 1] ?? '') + m[2]!;
    stack.push(path);
    out.push({ path: path.replace(/:[^/]+/g, 'x').replace(/\*/g, 'x'), methods: m[3]!.split(', ') });
  }
  return out;
}
