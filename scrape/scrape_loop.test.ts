import assert from 'node:assert/strict';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { MemoryStorage } from '../tsdb/memory_storage.js';
import { FakeTimers, find, readAll, scrapeConfigs, staleAt, TestTarget } from './_test_support.js';
import { ScrapeLoop, type ScrapeLoopOptions } from './scrape_loop.js';
import { targetsFromGroup } from './target.js';

async function setup(extraYaml = '', opts: ScrapeLoopOptions = {}) {
  const srv = new TestTarget();
  const addr = await srv.listen();
  const cfg = scrapeConfigs(`scrape_configs:\n  - job_name: app\n    scrape_interval: 10s\n${extraYaml}`)[0]!;
  const target = targetsFromGroup({ targets: [{ __address__: addr }], labels: {}, source: '0' }, cfg).active[0]!;
  const storage = new MemoryStorage();
  const loop = new ScrapeLoop(target, cfg, storage, opts);
  return { srv, addr, storage, loop, target };
}

test('scrape loop stores samples with target labels and the report series', async (t) => {
  const { srv, addr, storage, loop } = await setup();
  t.after(() => srv.close());
  srv.serve('# TYPE http_requests_total counter\nhttp_requests_total{code="200"} 5\nhttp_requests_total{code="500"} 1\ntemperature 21.5\n');
  await loop.scrapeAndReport(1_000_000);
  assert.equal(loop.health, 'up');
  assert.equal(loop.lastError, '');
  const all = await readAll(storage);
  const inst = `instance="${addr}", job="app"`;
  assert.deepEqual(
    all.map((s) => s.labels),
    [
      `{__name__="http_requests_total", code="200", ${inst}}`,
      `{__name__="http_requests_total", code="500", ${inst}}`,
      `{__name__="scrape_duration_seconds", ${inst}}`,
      `{__name__="scrape_samples_post_metric_relabeling", ${inst}}`,
      `{__name__="scrape_samples_scraped", ${inst}}`,
      `{__name__="scrape_series_added", ${inst}}`,
      `{__name__="temperature", ${inst}}`,
      `{__name__="up", ${inst}}`,
    ],
  );
  const v = (name: string) => find(all, `{__name__="${name}", ${inst}}`)!;
  assert.equal(v('up').vs[0], 1);
  assert.equal(v('up').ts[0], 1_000_000);
  assert.equal(v('scrape_samples_scraped').vs[0], 3);
  assert.equal(v('scrape_samples_post_metric_relabeling').vs[0], 3);
  assert.equal(v('scrape_series_added').vs[0], 3);
  assert.equal(v('temperature').vs[0], 21.5);
  assert.ok(v('scrape_duration_seconds').vs[0]! >= 0);

  // Second scrape: everything comes from the cache; no series added.
  await loop.scrapeAndReport(1_010_000);
  const all2 = await readAll(storage);
  assert.deepEqual([...find(all2, `{__name__="scrape_series_added", ${inst}}`)!.vs], [3, 0]);
  assert.equal(loop.cache.size(), 3);
  assert.deepEqual(loop.cache.metadata().get('http_requests_total')?.type, 'counter');
});

test('scrape loop writes staleness markers for series that vanish', async (t) => {
  const { srv, addr, storage, loop } = await setup();
  t.after(() => srv.close());
  srv.serve('a 1\nb 2\n');
  await loop.scrapeAndReport(1000);
  srv.serve('a 1\n');
  await loop.scrapeAndReport(2000);
  srv.serve('a 1\nb 3\n');
  await loop.scrapeAndReport(3000);
  const all = await readAll(storage);
  const b = find(all, `{__name__="b", instance="${addr}", job="app"}`)!;
  assert.deepEqual([...b.ts], [1000, 2000, 3000]);
  assert.equal(b.vs[0], 2);
  assert.ok(staleAt(b, 1));
  assert.equal(b.vs[2], 3);
  const a = find(all, `{__name__="a", instance="${addr}", job="app"}`)!;
  assert.ok(![0, 1, 2].some((i) => staleAt(a, i)));
});

test('scrape loop marks everything stale after a failed scrape', async (t) => {
  const { srv, addr, storage, loop } = await setup();
  t.after(() => srv.close());
  srv.serve('a 1\n');
  await loop.scrapeAndReport(1000);
  srv.handler = (_req, res) => {
    res.writeHead(500);
    res.end('boom');
  };
  await loop.scrapeAndReport(2000);
  assert.equal(loop.lastError, 'server returned HTTP status 500 Internal Server Error');
  const all = await readAll(storage);
  const a = find(all, `{__name__="a", instance="${addr}", job="app"}`)!;
  assert.ok(staleAt(a, 1));
  const up = find(all, `{__name__="up", instance="${addr}", job="app"}`)!;
  assert.deepEqual([...up.vs], [1, 0]);
  assert.equal(find(all, `{__name__="scrape_samples_scraped", instance="${addr}", job="app"}`)!.vs[1], 0);
});

test('scrape loop series with explicit timestamps get no staleness markers; honor_timestamps', async (t) => {
  const { srv, addr, storage, loop } = await setup();
  t.after(() => srv.close());
  srv.serve('a 1 500\nb 1\n');
  await loop.scrapeAndReport(1000);
  srv.serve('');
  await loop.scrapeAndReport(2000);
  const all = await readAll(storage);
  const a = find(all, `{__name__="a", instance="${addr}", job="app"}`)!;
  assert.deepEqual([...a.ts], [500]);
  const b = find(all, `{__name__="b", instance="${addr}", job="app"}`)!;
  assert.ok(staleAt(b, 1));

  const s2 = await setup('    honor_timestamps: false\n');
  t.after(() => s2.srv.close());
  s2.srv.serve('a 1 500\n');
  await s2.loop.scrapeAndReport(1000);
  const a2 = find(await readAll(s2.storage), `{__name__="a", instance="${s2.addr}", job="app"}`)!;
  assert.deepEqual([...a2.ts], [1000]);
});

test('scrape loop renames clashing exposed labels exported_* unless honor_labels', async (t) => {
  const { srv, addr, storage, loop } = await setup();
  t.after(() => srv.close());
  srv.serve('m{job="other",instance="i",exported_job="x"} 1\n');
  await loop.scrapeAndReport(1000);
  const all = await readAll(storage);
  assert.ok(
    find(all, `{__name__="m", exported_exported_job="other", exported_instance="i", exported_job="x", instance="${addr}", job="app"}`),
    all.map((s) => s.labels).join('\n'),
  );

  const h = await setup('    honor_labels: true\n');
  t.after(() => h.srv.close());
  h.srv.serve('m{job="other"} 1\n');
  await h.loop.scrapeAndReport(1000);
  assert.ok(find(await readAll(h.storage), `{__name__="m", instance="${h.addr}", job="other"}`));
});

test('scrape loop applies metric_relabel_configs and counts post-relabel samples', async (t) => {
  const { srv, addr, storage, loop } = await setup(`    metric_relabel_configs:
      - {source_labels: [__name__], regex: 'go_.*', action: drop}
      - {source_labels: [code], target_label: status}
`);
  t.after(() => srv.close());
  srv.serve('go_goroutines 5\nreq{code="200"} 1\n');
  await loop.scrapeAndReport(1000);
  await loop.scrapeAndReport(2000);
  const all = await readAll(storage);
  assert.equal(all.find((s) => s.record.__name__ === 'go_goroutines'), undefined);
  assert.ok(find(all, `{__name__="req", code="200", instance="${addr}", job="app", status="200"}`));
  assert.deepEqual([...find(all, `{__name__="scrape_samples_post_metric_relabeling", instance="${addr}", job="app"}`)!.vs], [1, 1]);
  assert.deepEqual([...find(all, `{__name__="scrape_samples_scraped", instance="${addr}", job="app"}`)!.vs], [2, 2]);
});

test('scrape loop limits fail the whole scrape with Prometheus messages', async (t) => {
  const cases: [string, string, string][] = [
    ['    sample_limit: 2\n', 'a 1\nb 1\nc 1\n', 'sample limit exceeded'],
    ['    label_limit: 3\n', 'a{x="1",y="2"} 1\n', 'label_limit exceeded (metric: a, number of labels: 5, limit: 3)'],
    ['    label_name_length_limit: 8\n', 'a{longername="1"} 1\n', 'label_name_length_limit exceeded (metric: a, label name: longername, length: 10, limit: 8)'],
    ['    label_value_length_limit: 16\n', 'a{x="12345678901234567"} 1\n', 'label_value_length_limit exceeded (metric: a, label name: x, value: "12345678901234567", length: 17, limit: 16)'],
    ['    body_size_limit: 10B\n', 'a 1\nbbbbbbbbbbbbbbbbbbbbbbbbbbbb 1\n', 'body size limit exceeded'],
  ];
  for (const [yaml, body, msg] of cases) {
    const s = await setup(yaml);
    t.after(() => s.srv.close());
    s.srv.serve('a 1\n');
    await s.loop.scrapeAndReport(1000);
    assert.equal(s.loop.health, 'up', yaml);
    s.srv.serve(body);
    await s.loop.scrapeAndReport(2000);
    assert.equal(s.loop.health, 'down', yaml);
    assert.equal(s.loop.lastError, msg);
    const all = await readAll(s.storage);
    const inst = `instance="${s.addr}", job="app"`;
    assert.deepEqual([...find(all, `{__name__="up", ${inst}}`)!.vs], [1, 0], yaml);
    // Nothing of the failed scrape is stored; the earlier series is marked stale.
    const a = find(all, `{__name__="a", ${inst}}`)!;
    assert.deepEqual([...a.ts], [1000, 2000], yaml);
    assert.ok(staleAt(a, 1), yaml);
    assert.equal(all.filter((x) => x.record.__name__ === 'b' || x.record.__name__ === 'c').length, 0, yaml);
  }
  // At the limit exactly is fine.
  const ok = await setup('    sample_limit: 2\n');
  t.after(() => ok.srv.close());
  ok.srv.serve('a 1\nb 1\n');
  await ok.loop.scrapeAndReport(1000);
  assert.equal(ok.loop.health, 'up');
});

test('scrape loop reads gzip bodies and OpenMetrics by Content-Type, and sends the Accept header', async (t) => {
  const { srv, addr, storage, loop } = await setup();
  t.after(() => srv.close());
  let accept = '';
  let encoding = '';
  srv.handler = (req, res) => {
    accept = req.headers.accept ?? '';
    encoding = req.headers['accept-encoding'] ?? '';
    res.writeHead(200, { 'Content-Type': 'application/openmetrics-text; version=1.0.0; charset=utf-8', 'Content-Encoding': 'gzip' });
    res.end(gzipSync('# TYPE c counter\nc_total 3 1.5\n# EOF\n'));
  };
  await loop.scrapeAndReport(5000);
  assert.match(accept, /^application\/openmetrics-text;version=1\.0\.0/);
  assert.equal(encoding, 'gzip');
  const c = find(await readAll(storage), `{__name__="c_total", instance="${addr}", job="app"}`)!;
  assert.deepEqual([...c.ts], [1500]);
});

test('scrape loop sends basic auth and bearer credentials', async (t) => {
  const b = await setup('    basic_auth: {username: u, password: p}\n');
  t.after(() => b.srv.close());
  let auth = '';
  b.srv.handler = (req, res) => {
    auth = req.headers.authorization ?? '';
    res.end('a 1\n');
  };
  await b.loop.scrapeAndReport(1000);
  assert.equal(auth, `Basic ${Buffer.from('u:p').toString('base64')}`);
  const a = await setup('    authorization: {credentials: tok}\n');
  t.after(() => a.srv.close());
  a.srv.handler = (req, res) => {
    auth = req.headers.authorization ?? '';
    res.end('a 1\n');
  };
  await a.loop.scrapeAndReport(1000);
  assert.equal(auth, 'Bearer tok');
});

test('scrape loop schedule: offset within the interval, then once per interval; end-of-run staleness', async (t) => {
  const timers = new FakeTimers(1_000_000);
  const { srv, addr, storage, loop, target } = await setup('', { timers });
  t.after(() => srv.close());
  srv.serve('a 1\n');
  loop.start();
  const offset = target.offset(10_000, 1_000_000);
  assert.ok(offset >= 0 && offset <= 10_000);
  await timers.advance(offset + 35_000);
  assert.equal(srv.requests, 4);
  const lastScrape = loop.lastScrape;
  assert.equal(lastScrape, 1_000_000 + offset + 30_000);
  loop.stop(true);
  // Staleness is written at the next scheduled time, after waiting one more interval + 10%.
  await timers.advance(10_000);
  let a = find(await readAll(storage), `{__name__="a", instance="${addr}", job="app"}`)!;
  assert.equal(a.ts.length, 4);
  await timers.advance(20_000);
  await loop.staleDone;
  const all = await readAll(storage);
  a = find(all, `{__name__="a", instance="${addr}", job="app"}`)!;
  assert.equal(a.ts.length, 5);
  assert.equal(a.ts[4], lastScrape + 10_000);
  assert.ok(staleAt(a, 4));
  const up = find(all, `{__name__="up", instance="${addr}", job="app"}`)!;
  assert.ok(staleAt(up, 4));
  assert.equal(srv.requests, 4);
});

test('scrape loop with extra_scrape_metrics reports timeout, sample limit and body size', async (t) => {
  const { srv, addr, storage, loop } = await setup('    extra_scrape_metrics: true\n    sample_limit: 50\n    scrape_timeout: 3s\n');
  t.after(() => srv.close());
  srv.serve('a 1\n');
  await loop.scrapeAndReport(1000);
  const all = await readAll(storage);
  const v = (name: string) => find(all, `{__name__="${name}", instance="${addr}", job="app"}`)?.vs[0];
  assert.equal(v('scrape_timeout_seconds'), 3);
  assert.equal(v('scrape_sample_limit'), 50);
  assert.equal(v('scrape_body_size_bytes'), 4);
});
