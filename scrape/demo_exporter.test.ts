import assert from 'node:assert/strict';
import { test } from 'node:test';
import Fastify from 'fastify';
import { TextParser } from './parser/text_parser.js';
import { Entry } from './parser/parser.js';
import { DemoExporter, demoExporterRoutes } from './demo_exporter.js';

/** Parses an exposition into `series text → value`. */
function samples(text: string): Map<string, number> {
  const p = new TextParser(new TextEncoder().encode(text));
  const out = new Map<string, number>();
  for (let e = p.next(); e !== Entry.EOF; e = p.next()) if (e === Entry.Series) out.set(p.labels().toString(), p.value());
  return out;
}

function sum(m: Map<string, number>, re: RegExp): number {
  let s = 0;
  for (const [k, v] of m) if (re.test(k)) s += v;
  return s;
}

test('demo exporter simulates traffic consistently: counters grow, histogram counts match requests', async () => {
  let now = 1_700_000_000_000;
  const demo = new DemoExporter({ now: () => now, seed: 42 });
  const first = samples(await demo.metrics());
  assert.equal(sum(first, /__name__="http_requests_total"/), 0);
  now += 60_000;
  const second = samples(await demo.metrics());
  const requests = sum(second, /__name__="http_requests_total"/);
  // ~39 req/s on average, scaled by the wave (0.15–1.85): between 5 and 100 req/s over a minute.
  assert.ok(requests > 300 && requests < 6000, `requests ${requests}`);
  const observed = sum(second, /__name__="http_request_duration_seconds_count"/);
  assert.ok(Math.abs(observed - requests) <= requests * 0.01 + 6, `observed ${observed} vs requests ${requests}`);
  now += 60_000;
  const third = samples(await demo.metrics());
  for (const [k, v] of second) if (k.includes('"http_requests_total"')) assert.ok((third.get(k) ?? 0) >= v, k);
  assert.ok(third.has('{__name__="build_info", branch="main", revision="a1b2c3d", version="1.4.2"}'));
  assert.ok([...third.keys()].some((k) => k.startsWith('{__name__="queue_depth"')));
  assert.ok(DemoExporter.load(0) > 0.3 && DemoExporter.load(15 * 60_000) > 1.5);
});

test('demo exporter is served at /demo/metrics in the text format', async (t) => {
  const app = Fastify();
  await demoExporterRoutes(app);
  t.after(() => app.close());
  const res = await app.inject('/demo/metrics');
  assert.equal(res.statusCode, 200);
  assert.match(res.headers['content-type'] as string, /^text\/plain; version=0\.0\.4/);
  assert.match(res.body, /# TYPE http_requests_total counter/);
});
