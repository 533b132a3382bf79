/**
 * The assembled server answers the Prometheus query API over its own data: after
 * it has scraped itself, `up` and the self-metrics are queryable, as a user (or
 * Grafana) sees them on a fresh install.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseServerFlags } from '../cmd/flags.js';
import { StructuredLogger } from '../cmd/logger.js';
import { startServer } from '../cmd/server.js';

test('the server scrapes itself and answers PromQL over the result', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-server-query-'));
  t.after(() => rmSync(dir, { recursive: true, force: true, maxRetries: 10 }));
  const cfg = join(dir, 'prometheus.yml');
  // Port 0 is resolved after listen, so the self-scrape target is filled in by a reload below.
  writeFileSync(cfg, 'global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n');
  const flags = parseServerFlags(['--web.listen-address=127.0.0.1:0', `--storage.tsdb.path=${join(dir, 'data')}`, `--config.file=${cfg}`]);
  const server = await startServer(flags, { logger: new StructuredLogger({ level: 'error', caller: false, sink: { write: () => {} } }) });
  t.after(() => server.close());
  writeFileSync(
    cfg,
    `global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\nscrape_configs:\n  - job_name: self\n    static_configs:\n      - targets: ['127.0.0.1:${server.port}']\n`,
  );
  assert.deepEqual(await server.reload(), { ok: true });

  // Wait (bounded) for two scrapes, so rate() has data.
  const deadline = Date.now() + 20_000;
  let ups: { metric: Record<string, string>; value: [number, string] }[] = [];
  while (Date.now() < deadline) {
    const res = await server.app.inject(`/api/v1/query?query=${encodeURIComponent('count_over_time(up{job="self"}[1m])')}`);
    const body = res.json() as { status: string; data: { result: { metric: Record<string, string>; value: [number, string] }[] } };
    assert.equal(body.status, 'success');
    ups = body.data.result;
    if (ups.length === 1 && Number(ups[0]!.value[1]) >= 2) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  assert.equal(ups.length, 1, 'one self target');
  assert.deepEqual(ups[0]!.metric, { instance: `127.0.0.1:${server.port}`, job: 'self' });

  const up = (await server.app.inject('/api/v1/query?query=up')).json() as { data: { resultType: string; result: { value: [number, string] }[] } };
  assert.equal(up.data.resultType, 'vector');
  assert.equal(up.data.result[0]?.value[1], '1');

  // Grafana's way: a form-encoded POST of a range query over a self-metric.
  const now = Date.now() / 1000;
  const range = await server.app.inject({
    method: 'POST',
    url: '/api/v1/query_range',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ query: 'sum by (job) (scrape_samples_scraped)', start: String(now - 60), end: String(now), step: '1' }).toString(),
  });
  assert.equal(range.statusCode, 200, range.body);
  const r = range.json() as { data: { resultType: string; result: { metric: Record<string, string>; values: [number, string][] }[] } };
  assert.equal(r.data.resultType, 'matrix');
  assert.deepEqual(r.data.result[0]?.metric, { job: 'self' });
  assert.ok(Number(r.data.result[0]!.values.at(-1)![1]) > 10, 'the server exposes more than ten samples about itself');

  const names = (await server.app.inject('/api/v1/label/__name__/values')).json() as { data: string[] };
  assert.ok(names.data.includes('prometheus_tsdb_head_series'));
  const bad = await server.app.inject('/api/v1/query?query=sum(');
  assert.equal(bad.statusCode, 400);
  assert.equal((bad.json() as { errorType: string }).errorType, 'bad_data');
});
