/**
 * End to end (real processes on loopback, see autoscale_cluster.ts): a bounded load
 * loop through a Service drives a ScalingPolicy on the request rate per replica;
 * replicas rise within an evaluation interval plus a few seconds; when the pod
 * scrape job is removed (no data) the replicas hold and AutoscalerMetricsMissing
 * fires; once data is back and the load is gone they fall back only after the
 * stabilization window, and never flap in between. `vigil ctl explain` tells the story.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runCtl } from '../cluster/ctl/ctl_command.js';
import { flapIndex, runLoad, sampleReplicas, sleep, startAutoscaleCluster, waitFor } from './autoscale_cluster.js';

const WINDOW_S = 30;

test('autoscale e2e: load scales up fast; missing data holds and alerts; scale-down waits for the window; no flapping', async (t) => {
  const c = await startAutoscaleCluster({ targetPerReplica: 10, maxReplicas: 4, windowSeconds: WINDOW_S, portRange: { low: 43000, high: 43999 } });
  t.after(() => c.close());
  const stopAll = new AbortController();
  t.after(() => stopAll.abort());
  await waitFor('the first replica Ready', async () => (await c.size()).ready === 1, 30_000);
  const q = async (expr: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]> => {
    const r = (await (await fetch(`${c.server.url}/api/v1/query?query=${encodeURIComponent(expr)}`)).json()) as { data: { result: { metric: Record<string, string>; value: [number, string] }[] } };
    return r.data.result;
  };
  await waitFor('the pod scraped', async () => (await q('load_app_requests_total{app="web"}')).length === 1, 30_000);
  await waitFor('the autoscaler evaluating with data', async () => (await q('vigil_autoscaler_metrics_missing == 0')).length === 1, 30_000);
  const sampler = sampleReplicas(c.size, stopAll.signal);

  // Phase 1: ~60 req/s against 10 per replica → 6 wanted, 4 allowed.
  const loadStop = new AbortController();
  const loadStart = Date.now();
  const load = runLoad(c.servicePort, 60, loadStop.signal, 60_000);
  await waitFor('a scale-up', async () => (await c.size()).spec > 1, 15_000, 50);
  const firstUpMs = Date.now() - loadStart;
  await waitFor('4 replicas Ready', async () => (await c.size()).ready === 4, 30_000, 50);
  const readyMs = Date.now() - loadStart;
  t.diagnostic(`load start → first scale-up ${firstUpMs} ms, → 4 replicas Ready ${readyMs} ms`);
  // 1 s evaluation + 1 s scrape + a 3 s rate window to see the load, plus slack for 2 shared cores.
  assert.ok(firstUpMs < 10_000, `replicas rose ${firstUpMs} ms after the load started`);

  // Phase 2: stop scraping the pods while the load goes on: no data → hold, gauge, alert.
  await sleep(2000);
  await c.setPodScraping(false);
  const missingFrom = Date.now();
  const firing = await waitFor(
    'AutoscalerMetricsMissing firing',
    async () => {
      const r = (await (await fetch(`${c.server.url}/api/v1/alerts`)).json()) as { data: { alerts: { labels: Record<string, string>; state: string }[] } };
      return r.data.alerts.find((a) => a.labels.alertname === 'AutoscalerMetricsMissing' && a.state === 'firing');
    },
    20_000,
  );
  assert.equal(firing.labels.scalingpolicy, 'web');
  assert.equal(firing.labels.namespace, 'default');
  loadStop.abort();
  const loaded = await load;
  assert.ok(loaded.ok > 50, `the load loop got answers (${JSON.stringify(loaded)})`);
  // Keep the data away a while longer without load: a scaler reading "no data" as 0 would now head for 1.
  await sleep(4000);
  assert.equal((await c.size()).spec, 4, 'replicas held while metrics are missing');
  const ex = await explain(c.server.url);
  assert.match(ex, /metrics_missing/, ex);

  // Phase 3: data back (and no load): down only after the stabilization window.
  await c.setPodScraping(true);
  const backAt = Date.now();
  await waitFor('scale-down to 1', async () => (await c.size()).spec === 1, (WINDOW_S + 25) * 1000, 200);
  const downAt = sampler.samples.find((s) => s.tMs > missingFrom && s.spec < 4)?.tMs ?? Date.now();
  t.diagnostic(`data back → first scale-down ${downAt - backAt} ms (window ${WINDOW_S}s)`);
  // Every proposal from the held phase counted as 4: the first decrease waits a whole window from then on.
  assert.ok(downAt - backAt >= (WINDOW_S - 2) * 1000, `scale-down ${downAt - backAt} ms after data came back, before the ${WINDOW_S}s window`);
  await sleep(500);
  stopAll.abort();
  await sampler.done;
  const counts = sampler.samples.map((s) => s.spec);
  assert.equal(flapIndex(counts), -1, `replica counts flapped: ${counts.join(',')}`);
  assert.equal(Math.max(...counts), 4);

  const text = await explain(c.server.url);
  // The rate ramps up over its 3 s range, so the way up may take one or two steps.
  assert.match(text, /scale_up\s+1→[2-4]\s/, text);
  assert.match(text, /scale_up\s+[1-3]→4\s/, text);
  assert.match(text, /scale_down\s+4→1/, text);
  assert.match(text, /held_by_stabilization/, text);
  const metrics = await (await fetch(`${c.server.url}/metrics`)).text();
  assert.match(metrics, /vigil_autoscaler_decisions_total\{namespace="default",scalingpolicy="web",reason="metrics_missing"\} [1-9]/);
  assert.match(metrics, /vigil_autoscaler_desired_replicas\{namespace="default",scalingpolicy="web",deployment="web"\} 1/);
});

async function explain(url: string): Promise<string> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCtl(['explain', 'deployment/default/web', `--server=${url}`], { log: (s) => out.push(s), err: (s) => err.push(s) }, { env: { VIGIL_CONFIG: '/nonexistent/vigil-config', HOME: '/nonexistent' } });
  assert.equal(code, 0, err.join('\n'));
  return out.join('\n');
}
