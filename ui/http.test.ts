import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import Fastify, { type FastifyInstance } from 'fastify';
import { UI_PAGES, uiPlugin } from './http.js';

const ROOT = process.env.VIGIL_REPO_ROOT ?? fileURLToPath(new URL('../..', import.meta.url));
type After = { after(fn: () => Promise<void> | void): void };

/** Builds the real bundle into a temp dir once for this file. */
const bundleDir = (() => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-ui-bundle-'));
  execFileSync(process.execPath, [join(ROOT, 'ui', 'build.mjs'), `--outdir=${dir}`], { cwd: ROOT, stdio: 'pipe' });
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  return dir;
})();

async function app(t: After, routePrefix: string, root = bundleDir): Promise<FastifyInstance> {
  const a = Fastify();
  await a.register(async (scope) => uiPlugin(scope, { routePrefix, root }), { prefix: routePrefix });
  await a.ready();
  t.after(() => a.close());
  return a;
}

describe('ui http', () => {
  test('every UI page answers index.html with no-cache and a base href at the route prefix', async (t) => {
    const a = await app(t, '');
    for (const p of [...UI_PAGES, '/cluster/nodes', '/graph?g0.expr=up&g0.tab=1']) {
      const res = await a.inject({ method: 'GET', url: p });
      assert.equal(res.statusCode, 200, p);
      assert.match(String(res.headers['content-type']), /^text\/html/);
      assert.equal(res.headers['cache-control'], 'no-cache');
      assert.match(res.body, /<base href="\/">/);
      assert.match(res.body, /<script type="module" src="assets\/main-[A-Z0-9]+\.js"><\/script>/);
    }
    const unknown = await a.inject({ method: 'GET', url: '/no-such-page' });
    assert.equal(unknown.statusCode, 404);
  });

  test("the server serves every page of the browser app's router (ui/app/routes.ts)", () => {
    const routes = readFileSync(join(ROOT, 'ui', 'app', 'routes.ts'), 'utf8');
    const paths = [...routes.matchAll(/\bpath: '(\/[^']*)'/g)].map((m) => m[1]);
    const aliases = [...routes.matchAll(/'(\/[^']*)': '\/[^']*'/g)].map((m) => m[1]);
    assert.ok(paths.length >= 9, `found the page table (${paths.length} paths)`);
    for (const p of [...paths, ...aliases]) assert.ok(UI_PAGES.includes(p ?? '') || (p ?? '').startsWith('/cluster/'), `${p} is served`);
  });

  test('hashed assets are immutable, served pre-compressed when accepted, and nothing else under /assets/', async (t) => {
    const a = await app(t, '');
    const js = readdirSync(join(bundleDir, 'assets')).find((f) => f.endsWith('.js'));
    assert.ok(js !== undefined);
    const plain = await a.inject({ method: 'GET', url: `/assets/${js}` });
    assert.equal(plain.statusCode, 200);
    assert.match(String(plain.headers['content-type']), /javascript/);
    assert.match(String(plain.headers['cache-control']), /immutable/);
    assert.match(String(plain.headers['cache-control']), /max-age=31536000/);
    const gz = await a.inject({ method: 'GET', url: `/assets/${js}`, headers: { 'accept-encoding': 'gzip' } });
    assert.equal(gz.headers['content-encoding'], 'gzip');
    assert.ok(gz.rawPayload.length < plain.rawPayload.length, 'gzip is smaller');
    const missing = await a.inject({ method: 'GET', url: '/assets/main-NOPE.js' });
    assert.equal(missing.statusCode, 404);
    const traversal = await a.inject({ method: 'GET', url: '/assets/../index.html' });
    assert.notEqual(traversal.statusCode, 200);
  });

  test('under a route prefix the base href and asset paths carry it', async (t) => {
    const a = await app(t, '/prom');
    const res = await a.inject({ method: 'GET', url: '/prom/targets' });
    assert.equal(res.statusCode, 200);
    assert.match(res.body, /<base href="\/prom\/">/);
    const js = /src="(assets\/[^"]+)"/.exec(res.body)?.[1];
    assert.ok(js !== undefined);
    assert.equal((await a.inject({ method: 'GET', url: `/prom/${js}` })).statusCode, 200);
    assert.equal((await a.inject({ method: 'GET', url: '/targets' })).statusCode, 404);
  });

  test('without a built bundle the pages answer 503 saying how to build it', async (t) => {
    const empty = mkdtempSync(join(tmpdir(), 'vigil-ui-empty-'));
    t.after(() => rmSync(empty, { recursive: true, force: true }));
    const a = await app(t, '', empty);
    const res = await a.inject({ method: 'GET', url: '/query' });
    assert.equal(res.statusCode, 503);
    assert.match(res.body, /npm run build/);
  });
});
