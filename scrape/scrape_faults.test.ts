import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemoryStorage } from '../tsdb/memory_storage.js';
import { find, readAll, scrapeConfigs, TestTarget } from './_test_support.js';
import { ScrapeLoop } from './scrape_loop.js';
import { targetsFromGroup } from './target.js';

// Faulty targets next to a healthy one, scraped at the same time with real timers and a
// 300 ms scrape timeout: each faulty target gives up 0 and a precise error; the healthy one
// is unaffected; a target that never answers costs exactly one timeout per scrape.
test('scrape faults: hang, close mid-body, 500, garbage — up 0 with precise errors, healthy target unaffected', async (t) => {
  const kinds = ['good', 'hang', 'close', 'status500', 'garbage', 'refused'] as const;
  const servers = new Map<string, TestTarget>();
  const addrs = new Map<string, string>();
  for (const k of kinds) {
    const s = new TestTarget();
    const addr = await s.listen();
    servers.set(k, s);
    addrs.set(k, addr);
  }
  t.after(async () => {
    for (const s of servers.values()) await s.close().catch(() => {});
  });
  servers.get('good')!.serve('ok_metric 1\n');
  servers.get('hang')!.handler = () => {
    // Never answers.
  };
  servers.get('close')!.handler = (_req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4', 'Content-Length': '1000' });
    res.write('partial_metric 1\npartial_');
    setTimeout(() => res.socket?.destroy(), 20);
  };
  servers.get('status500')!.handler = (_req, res) => {
    res.writeHead(500, { 'Content-Type': 'text/plain' });
    res.end('internal error');
  };
  servers.get('garbage')!.handler = (_req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4' });
    res.end('good_one 1\nthis is { not an exposition\n');
  };
  // A port with nothing listening: close that server first.
  await servers.get('refused')!.close();

  const cfg = scrapeConfigs('scrape_configs:\n  - job_name: faults\n    scrape_interval: 1s\n    scrape_timeout: 300ms\n')[0]!;
  const storage = new MemoryStorage();
  const loops = new Map<string, ScrapeLoop>();
  for (const k of kinds) {
    const target = targetsFromGroup({ targets: [{ __address__: addrs.get(k)! }], labels: { kind: k }, source: k }, cfg).active[0]!;
    loops.set(k, new ScrapeLoop(target, cfg, storage));
  }
  const started = Date.now();
  await Promise.all([...loops.values()].map((l) => l.scrapeAndReport(started)));
  const elapsed = Date.now() - started;

  const err = (k: string) => loops.get(k)!.lastError;
  assert.equal(loops.get('good')!.health, 'up');
  assert.equal(err('good'), '');
  assert.ok(loops.get('good')!.lastScrapeDuration < 0.3, 'the healthy target does not wait for the others');
  assert.equal(err('hang'), `Get "http://${addrs.get('hang')}/metrics": context deadline exceeded`);
  assert.equal(err('close'), 'unexpected EOF');
  assert.equal(err('status500'), 'server returned HTTP status 500 Internal Server Error');
  assert.match(err('garbage'), /^text format parsing error in line 2: /);
  assert.match(err('refused'), new RegExp(`^Get "http://${addrs.get('refused')}/metrics": .*ECONNREFUSED`));
  for (const k of kinds) if (k !== 'good') assert.equal(loops.get(k)!.health, 'down', k);

  // The hang costs one timeout, not more: duration ≈ 300 ms, whole round well under 2 timeouts.
  const hangDuration = loops.get('hang')!.lastScrapeDuration;
  assert.ok(hangDuration >= 0.29 && hangDuration < 0.6, `hang took ${hangDuration}s`);
  assert.ok(elapsed < 600, `all scrapes took ${elapsed} ms`);
  assert.equal(servers.get('hang')!.requests, 1);

  const all = await readAll(storage);
  for (const k of kinds) {
    const up = find(all, `{__name__="up", instance="${addrs.get(k)}", job="faults", kind="${k}"}`);
    assert.ok(up, k);
    assert.equal(up.vs[0], k === 'good' ? 1 : 0, k);
  }
  // Nothing of the garbage or truncated bodies is stored, even the lines before the fault.
  assert.equal(all.filter((s) => s.record.__name__ === 'good_one' || s.record.__name__ === 'partial_metric').length, 0);
  assert.ok(find(all, `{__name__="ok_metric", instance="${addrs.get('good')}", job="faults", kind="good"}`));

  // A second round: the hanging target costs one more timeout and one more request.
  await loops.get('hang')!.scrapeAndReport(started + 1000);
  assert.equal(servers.get('hang')!.requests, 2);
});
