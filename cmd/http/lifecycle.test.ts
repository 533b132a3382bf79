import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { type LifecycleOptions, lifecycleRoutes, type ReloadOutcome } from './lifecycle.js';

interface Harness {
  app: FastifyInstance;
  state: { ready: boolean; reloads: number; quits: number; next: ReloadOutcome };
}

async function harness(t: { after(fn: () => Promise<void>): void }, enableLifecycle: boolean): Promise<Harness> {
  const state = { ready: false, reloads: 0, quits: 0, next: { ok: true } as ReloadOutcome };
  const opts: LifecycleOptions = {
    enableLifecycle,
    isReady: () => state.ready,
    reload: async () => {
      state.reloads++;
      return state.next;
    },
    quit: () => {
      state.quits++;
    },
  };
  const app = Fastify({ logger: false });
  await app.register(async (scope) => lifecycleRoutes(scope, opts));
  t.after(() => app.close());
  return { app, state };
}

describe('lifecycle endpoints', () => {
  test('/-/healthy answers 200 on GET and HEAD, ready or not', async (t) => {
    const { app } = await harness(t, false);
    const get = await app.inject({ method: 'GET', url: '/-/healthy' });
    assert.equal(get.statusCode, 200);
    assert.equal(get.body, 'Vigil is Healthy.\n');
    const head = await app.inject({ method: 'HEAD', url: '/-/healthy' });
    assert.equal(head.statusCode, 200);
    assert.equal(head.body, '');
  });

  test('/-/ready is 503 until ready, then 200', async (t) => {
    const { app, state } = await harness(t, false);
    const before = await app.inject({ method: 'GET', url: '/-/ready' });
    assert.equal(before.statusCode, 503);
    assert.equal(before.body, 'Service Unavailable\n');
    assert.equal((await app.inject({ method: 'HEAD', url: '/-/ready' })).statusCode, 503);
    state.ready = true;
    const after = await app.inject({ method: 'GET', url: '/-/ready' });
    assert.equal(after.statusCode, 200);
    assert.equal(after.body, 'Vigil is Ready.\n');
  });

  test('without --web.enable-lifecycle, reload and quit are 403 and do nothing', async (t) => {
    const { app, state } = await harness(t, false);
    for (const method of ['POST', 'PUT'] as const) {
      for (const url of ['/-/reload', '/-/quit']) {
        const res = await app.inject({ method, url });
        assert.equal(res.statusCode, 403, `${method} ${url}`);
        assert.equal(res.body, 'Lifecycle API is not enabled.\n');
      }
    }
    assert.equal(state.reloads, 0);
    assert.equal(state.quits, 0);
  });

  test('GET on reload and quit is 405', async (t) => {
    const { app } = await harness(t, true);
    const res = await app.inject({ method: 'GET', url: '/-/reload' });
    assert.equal(res.statusCode, 405);
    assert.equal(res.body, 'Only POST or PUT requests allowed\n');
    assert.equal((await app.inject({ method: 'GET', url: '/-/quit' })).statusCode, 405);
  });

  test('reload reports success as 200 and failure as 500 with the reason', async (t) => {
    const { app, state } = await harness(t, true);
    const ok = await app.inject({ method: 'POST', url: '/-/reload' });
    assert.equal(ok.statusCode, 200);
    state.next = { ok: false, error: 'prometheus.yml:3:1: global: unknown field "scrape_intervl"' };
    const bad = await app.inject({ method: 'PUT', url: '/-/reload' });
    assert.equal(bad.statusCode, 500);
    assert.equal(bad.body, 'failed to reload config: prometheus.yml:3:1: global: unknown field "scrape_intervl"\n');
    assert.equal(state.reloads, 2);
  });

  test('quit answers first, then asks for shutdown once', async (t) => {
    const { app, state } = await harness(t, true);
    const res = await app.inject({ method: 'POST', url: '/-/quit' });
    assert.equal(res.statusCode, 200);
    assert.equal(res.body, 'Requesting termination... Goodbye!\n');
    assert.equal(state.quits, 1);
  });
});
