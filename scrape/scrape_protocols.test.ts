/**
 * `scrape_protocols` and `fallback_scrape_protocol` end to end through a scrape loop and a
 * real HTTP target: the Accept header the target receives, and how answers without a usable
 * Content-Type are parsed or refused (Prometheus 3 semantics).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemoryStorage } from '../tsdb/memory_storage.js';
import { find, readAll, scrapeConfigs, TestTarget } from './_test_support.js';
import { ScrapeLoop } from './scrape_loop.js';
import { targetsFromGroup } from './target.js';

async function setup(extraYaml: string) {
  const srv = new TestTarget();
  const addr = await srv.listen();
  const cfg = scrapeConfigs(`scrape_configs:\n  - job_name: app\n    scrape_interval: 10s\n${extraYaml}`)[0]!;
  const target = targetsFromGroup({ targets: [{ __address__: addr }], labels: {}, source: '0' }, cfg).active[0]!;
  const storage = new MemoryStorage();
  const loop = new ScrapeLoop(target, cfg, storage);
  return { srv, addr, storage, loop };
}

/** Serves `body` with the given Content-Type (none when null) and records the Accept headers received. */
function serveWith(srv: TestTarget, body: string, contentType: string | null, accepts: string[]): void {
  srv.handler = (req, res) => {
    accepts.push(req.headers.accept ?? '');
    res.writeHead(200, contentType === null ? {} : { 'Content-Type': contentType });
    res.end(body);
  };
}

test('the target receives the Accept header of the job scrape_protocols', async (t) => {
  const d = await setup('');
  t.after(() => d.srv.close());
  const accepts: string[] = [];
  serveWith(d.srv, 'a 1\n', 'text/plain; version=0.0.4', accepts);
  await d.loop.scrapeAndReport(1000);
  assert.equal(
    accepts[0],
    'application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6,application/openmetrics-text;version=0.0.1;q=0.5,' +
      'text/plain;version=1.0.0;escaping=allow-utf-8;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2',
  );

  const e = await setup('    scrape_protocols: [PrometheusText0.0.4, OpenMetricsText1.0.0]\n    metric_name_validation_scheme: legacy\n');
  t.after(() => e.srv.close());
  const accepts2: string[] = [];
  serveWith(e.srv, 'a 1\n', 'text/plain; version=0.0.4', accepts2);
  await e.loop.scrapeAndReport(1000);
  assert.equal(accepts2[0], 'text/plain;version=0.0.4;q=0.6,application/openmetrics-text;version=1.0.0;escaping=underscores;q=0.5,*/*;q=0.4');
  assert.equal(e.loop.health, 'up');
});

test('without fallback_scrape_protocol, a blank or unknown Content-Type fails the scrape and keeps nothing', async (t) => {
  const d = await setup('');
  t.after(() => d.srv.close());
  serveWith(d.srv, 'a 1\n', null, []);
  await d.loop.scrapeAndReport(1000);
  assert.equal(d.loop.health, 'down');
  assert.equal(d.loop.lastError, 'non-compliant scrape target sending blank Content-Type and no fallback_scrape_protocol specified for target');
  serveWith(d.srv, 'a 1\n', 'application/json', []);
  await d.loop.scrapeAndReport(2000);
  assert.equal(d.loop.lastError, 'received unsupported Content-Type "application/json" and no fallback_scrape_protocol specified for target');
  const all = await readAll(d.storage);
  assert.equal(find(all, `{__name__="a", instance="${d.addr}", job="app"}`), undefined);
  assert.deepEqual([...find(all, `{__name__="up", instance="${d.addr}", job="app"}`)!.vs], [0, 0]);
  // A recognised Content-Type works as usual.
  serveWith(d.srv, 'a 1\n', 'text/plain', []);
  await d.loop.scrapeAndReport(3000);
  assert.equal(d.loop.health, 'up');
});

test('fallback_scrape_protocol parses answers without a usable Content-Type in the configured format', async (t) => {
  const text = await setup('    fallback_scrape_protocol: PrometheusText0.0.4\n');
  t.after(() => text.srv.close());
  serveWith(text.srv, 'a{x="1"} 7\n', null, []);
  await text.loop.scrapeAndReport(1000);
  assert.equal(text.loop.health, 'up', text.loop.lastError);
  const a = find(await readAll(text.storage), `{__name__="a", instance="${text.addr}", job="app", x="1"}`)!;
  assert.equal(a.vs[0], 7);

  // OpenMetrics: timestamps are seconds, and `# EOF` is required (its absence is an OpenMetrics error).
  const om = await setup('    fallback_scrape_protocol: OpenMetricsText1.0.0\n');
  t.after(() => om.srv.close());
  serveWith(om.srv, '# TYPE b gauge\nb 3 1.5\n# EOF\n', 'garbage', []);
  await om.loop.scrapeAndReport(2000);
  assert.equal(om.loop.health, 'up', om.loop.lastError);
  const b = find(await readAll(om.storage), `{__name__="b", instance="${om.addr}", job="app"}`)!;
  assert.deepEqual([...b.ts], [1500]);
  serveWith(om.srv, 'b 4\n', '', []);
  await om.loop.scrapeAndReport(3000);
  assert.equal(om.loop.health, 'down');
  assert.match(om.loop.lastError, /EOF/);
});
