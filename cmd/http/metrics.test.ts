import assert from 'node:assert/strict';
import { test } from 'node:test';
import Fastify from 'fastify';
import { buildInfo } from '../build_info.js';
import { createServerRegistry, metricsRoutes } from './metrics.js';

function sampleValue(body: string, series: string): number | undefined {
  for (const line of body.split('\n')) {
    if (line.startsWith(`${series} `)) return Number(line.slice(series.length + 1));
  }
  return undefined;
}

test('/metrics exposes server state and per-route request counts in the text format', async (t) => {
  let reloadOk = true;
  const registry = createServerRegistry({
    buildInfo: buildInfo(),
    lastReloadSuccessful: () => reloadOk,
    lastReloadSuccessTimeMs: () => 1_700_000_000_000,
    isReady: () => true,
  });
  const app = Fastify();
  t.after(() => app.close());
  await metricsRoutes(app, registry);
  app.get('/things/:id', async () => 'ok');
  await app.inject('/things/1');
  await app.inject('/things/2');

  const res = await app.inject('/metrics');
  assert.equal(res.statusCode, 200);
  assert.match(String(res.headers['content-type']), /^text\/plain; version=0\.0\.4/);
  const body = res.body;
  assert.equal(sampleValue(body, 'prometheus_config_last_reload_successful'), 1);
  assert.equal(sampleValue(body, 'prometheus_config_last_reload_success_timestamp_seconds'), 1_700_000_000);
  assert.equal(sampleValue(body, 'prometheus_ready'), 1);
  // The route pattern is the handler label, so ids in URLs do not create series.
  assert.equal(sampleValue(body, 'prometheus_http_requests_total{handler="/things/:id",code="200"}'), 2);
  assert.match(body, /^prometheus_build_info\{version="2\.55\.0",.*\} 1$/m);
  assert.match(body, /^process_cpu_user_seconds_total \d/m);

  reloadOk = false;
  const again = await app.inject('/metrics');
  assert.equal(sampleValue(again.body, 'prometheus_config_last_reload_successful'), 0);
});
