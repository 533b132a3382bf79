import assert from 'node:assert/strict';
import { test } from 'node:test';
import Fastify from 'fastify';
import { sendApiError, toApiError } from '../cmd/http/api_envelope.js';
import { MemoryStorage } from '../tsdb/memory_storage.js';
import { FakeTimers, find, readAll, scrapeConfigs, staleAt, TestTarget } from './_test_support.js';
import { scrapeRoutes } from './http.js';
import { ScrapeManager } from './manager.js';

async function targets(n: number, t: { after: (fn: () => Promise<void>) => void }) {
  const out: { srv: TestTarget; addr: string }[] = [];
  for (let i = 0; i < n; i++) {
    const srv = new TestTarget();
    const addr = await srv.listen();
    srv.serve(`# HELP m_total A counter.\n# TYPE m_total counter\nm_total{i="${i}"} ${i}\n`);
    t.after(() => srv.close());
    out.push({ srv, addr });
  }
  return out;
}

function yaml(jobs: { name: string; addrs: string[]; extra?: string }[]): string {
  return `scrape_configs:\n${jobs
    .map((j) => `  - job_name: ${j.name}\n    scrape_interval: 10s\n${j.extra ?? ''}    static_configs:\n      - targets: [${j.addrs.map((a) => `'${a}'`).join(', ')}]\n`)
    .join('')}`;
}

test('manager reload keeps unchanged jobs running, reloads changed ones, stales removed ones', async (t) => {
  const ts = await targets(3, t);
  const timers = new FakeTimers(1_700_000_000_000);
  const storage = new MemoryStorage();
  const m = new ScrapeManager(storage, { timers, discoveryCoalesceMs: 0 });
  t.after(() => m.stop());
  m.applyConfig(scrapeConfigs(yaml([{ name: 'a', addrs: [ts[0]!.addr] }, { name: 'b', addrs: [ts[1]!.addr] }, { name: 'c', addrs: [ts[2]!.addr] }])));
  await timers.advance(25_000);
  const loopA = m.pool('a')!.activeLoops()[0]!;
  const loopB = m.pool('b')!.activeLoops()[0]!;
  assert.equal(loopA.health, 'up');
  const scrapesA = ts[0]!.srv.requests;
  assert.ok(scrapesA >= 2);

  // Same a, changed b (sample_limit), c removed.
  m.applyConfig(scrapeConfigs(yaml([{ name: 'a', addrs: [ts[0]!.addr] }, { name: 'b', addrs: [ts[1]!.addr], extra: '    sample_limit: 100\n' }])));
  await timers.advance(1);
  assert.equal(m.pool('a')!.activeLoops()[0], loopA, 'unchanged job keeps its loop');
  const newB = m.pool('b')!.activeLoops()[0]!;
  assert.notEqual(newB, loopB, 'changed job gets a new loop');
  assert.equal(newB.cache, loopB.cache, 'the new loop inherits the scrape cache');
  assert.equal(m.pool('c'), undefined);
  await timers.advance(40_000);
  const all = await readAll(storage);
  const c = find(all, `{__name__="m_total", i="2", instance="${ts[2]!.addr}", job="c"}`)!;
  assert.ok(staleAt(c, c.vs.length - 1), 'removed job gets end-of-run staleness markers');
  const a = find(all, `{__name__="m_total", i="0", instance="${ts[0]!.addr}", job="a"}`)!;
  assert.ok(a.ts.length >= 6);
  for (let i = 0; i < a.vs.length; i++) assert.ok(!staleAt(a, i));
  const b = find(all, `{__name__="m_total", i="1", instance="${ts[1]!.addr}", job="b"}`)!;
  for (let i = 0; i < b.vs.length; i++) assert.ok(!staleAt(b, i), 'a reloaded job loses no data and gets no staleness markers');
  // No gap: b was scraped every 10 s across the reload.
  for (let i = 1; i < b.ts.length; i++) assert.ok(b.ts[i]! - b.ts[i - 1]! <= 10_000, `gap at ${i}`);
});

test('manager target_limit fails every scrape of the pool', async (t) => {
  const ts = await targets(2, t);
  const timers = new FakeTimers(1_700_000_000_000);
  const m = new ScrapeManager(new MemoryStorage(), { timers, discoveryCoalesceMs: 0 });
  t.after(() => m.stop());
  m.applyConfig(scrapeConfigs(yaml([{ name: 'a', addrs: ts.map((x) => x.addr), extra: '    target_limit: 1\n' }])));
  await timers.advance(11_000);
  for (const l of m.pool('a')!.activeLoops()) {
    assert.equal(l.health, 'down');
    assert.equal(l.lastError, 'target_limit exceeded (number of targets: 2, limit: 1)');
  }
  assert.equal(ts[0]!.srv.requests + ts[1]!.srv.requests, 0);
});

test('targets API lists active and dropped targets with filters; metadata and scrape pools', async (t) => {
  const ts = await targets(2, t);
  const timers = new FakeTimers(1_700_000_000_000);
  const m = new ScrapeManager(new MemoryStorage(), { timers, discoveryCoalesceMs: 0 });
  t.after(() => m.stop());
  m.applyConfig(
    scrapeConfigs(
      yaml([
        { name: 'web', addrs: [ts[0]!.addr, 'dropme:1'], extra: "    relabel_configs:\n      - {source_labels: [__address__], regex: 'dropme:.*', action: drop}\n" },
        { name: 'db', addrs: [ts[1]!.addr] },
      ]),
    ),
  );
  await timers.advance(11_000);
  const app = Fastify();
  app.setErrorHandler((err, _req, reply) => sendApiError(reply, toApiError(err)));
  await scrapeRoutes(app, { manager: () => m });
  t.after(() => app.close());

  const all = (await app.inject('/api/v1/targets')).json();
  assert.equal(all.status, 'success');
  assert.deepEqual(
    all.data.activeTargets.map((x: { scrapePool: string }) => x.scrapePool),
    ['db', 'web'],
  );
  const web = all.data.activeTargets[1];
  assert.deepEqual(web.labels, { instance: ts[0]!.addr, job: 'web' });
  assert.deepEqual(web.discoveredLabels, {
    __address__: ts[0]!.addr,
    __metrics_path__: '/metrics',
    __scheme__: 'http',
    __scrape_interval__: '10s',
    __scrape_timeout__: '10s',
    job: 'web',
  });
  assert.equal(web.scrapeUrl, `http://${ts[0]!.addr}/metrics`);
  assert.equal(web.health, 'up');
  assert.equal(web.lastError, '');
  assert.equal(web.scrapeInterval, '10s');
  assert.equal(web.scrapeTimeout, '10s');
  assert.match(web.lastScrape, /^2023-11-14T22:1\d:\d\d\.\d{3}Z$/);
  assert.equal(typeof web.lastScrapeDuration, 'number');
  assert.deepEqual(all.data.droppedTargets, [
    { discoveredLabels: { __address__: 'dropme:1', __metrics_path__: '/metrics', __scheme__: 'http', __scrape_interval__: '10s', __scrape_timeout__: '10s', job: 'web' } },
  ]);

  const active = (await app.inject('/api/v1/targets?state=active&scrapePool=db')).json();
  assert.equal(active.data.activeTargets.length, 1);
  assert.deepEqual(active.data.droppedTargets, []);
  const dropped = (await app.inject('/api/v1/targets?state=dropped')).json();
  assert.deepEqual(dropped.data.activeTargets, []);
  assert.equal(dropped.data.droppedTargets.length, 1);

  const md = (await app.inject(`/api/v1/targets/metadata?match_target=${encodeURIComponent('{job="db"}')}`)).json();
  assert.deepEqual(md.data, [{ target: { instance: ts[1]!.addr, job: 'db' }, metric: 'm_total', type: 'counter', help: 'A counter.', unit: '' }]);
  const md2 = (await app.inject('/api/v1/targets/metadata?metric=nope')).json();
  assert.deepEqual(md2.data, []);
  const bad = await app.inject('/api/v1/targets/metadata?match_target=job');
  assert.equal(bad.statusCode, 400);
  assert.match(bad.json().error, /expected "\{"/);

  const pools = (await app.inject('/api/v1/scrape_pools')).json();
  assert.deepEqual(pools.data, { scrapePools: ['db', 'web'] });
});
