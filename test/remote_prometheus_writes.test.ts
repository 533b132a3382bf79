/**
 * End-to-end: a real Prometheus 2.42 scrapes itself and remote-writes into an
 * in-process Vigil (`--web.enable-remote-write-receiver`). Every series and sample
 * Prometheus stored (as its own HTTP API reports them) arrives in Vigil, metadata
 * requests are accepted, and Prometheus reports no failed sends.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MatchType, Matcher } from '../tsdb/matcher.js';
import { isStaleNaN, ValueType } from '../tsdb/storage.js';
import { apiData, eventually, freePort, rawSamples, seriesKey, startPrometheus, startVigil, tempDir } from './remote_peers.js';

function num(s: string): number {
  return s === '+Inf' ? Number.POSITIVE_INFINITY : s === '-Inf' ? Number.NEGATIVE_INFINITY : Number(s);
}

describe('Prometheus 2.42 remote-writes into Vigil', () => {
  test('every scraped series and sample arrives, bit for bit', async (t) => {
    const dir = tempDir(t, 'vigil-rw-in-');
    const { server, storage } = await startVigil(t, dir, 'global:\n  scrape_interval: 1m\n', ['--web.enable-remote-write-receiver']);
    const port = await freePort();
    const cfg = `global:
  scrape_interval: 1s
scrape_configs:
  - job_name: prom
    static_configs:
      - targets: ['127.0.0.1:${port}']
remote_write:
  - url: ${server.url}/api/v1/write
    queue_config:
      batch_send_deadline: 500ms
      min_backoff: 50ms
      max_backoff: 500ms
    metadata_config:
      send_interval: 1s
`;
    const prom2 = await startPrometheus(t, dir, cfg, [], port);

    await eventually('Prometheus to have scraped itself 4 times', async () => {
      const s = await rawSamples(prom2.base, 'up{job="prom"}', '1m', Date.now() / 1000);
      return [...s.values()].some((v) => v.length >= 4);
    }, 20_000);
    const at = Math.floor(Date.now() / 1000) - 1;
    const want = await rawSamples(prom2.base, '{__name__=~".+"}', '1h', at);
    assert.ok(want.size > 100, `Prometheus has ${want.size} series`);

    const vigilSamples = async () => {
      const q = await storage.primary.querier(0, at * 1000);
      const got = new Map<string, [number, number][]>();
      const ss = await q.select(true, null, [new Matcher(MatchType.Regexp, '__name__', '.+')]);
      const vb = new Float64Array(1);
      while (ss.next()) {
        const s = ss.at();
        const it = s.iterator();
        const list: [number, number][] = [];
        while (it.next() !== ValueType.None) {
          vb[0] = it.atV();
          if (!isStaleNaN(vb[0])) list.push([it.atT(), vb[0]]);
        }
        got.set(seriesKey(s.labels.toRecord()), list);
      }
      await q.close();
      return got;
    };
    let diff = '';
    await eventually('Vigil to hold every sample Prometheus stored', async () => {
      const got = await vigilSamples();
      diff = '';
      for (const [key, samples] of want) {
        const g = got.get(key);
        if (g === undefined) {
          diff = `missing series ${key}`;
          return false;
        }
        const w = samples.map(([ts, v]) => [ts, num(v)] as [number, number]);
        if (g.length !== w.length || g.some(([ts, v], i) => ts !== w[i]![0] || !(Object.is(v, w[i]![1]) || v === w[i]![1]))) {
          diff = `series ${key}: got ${JSON.stringify(g.slice(-3))}… (${g.length}), want ${JSON.stringify(w.slice(-3))}… (${w.length})`;
          return false;
        }
      }
      return true;
    }, 15_000).catch((e: unknown) => assert.fail(`${e instanceof Error ? e.message : String(e)}; ${diff}`));

    // Metadata requests were accepted and nothing failed on Prometheus's side.
    const failed = await apiData<{ result: { value: [number, string] }[] }>(
      prom2.base,
      `/api/v1/query?query=${encodeURIComponent('sum(prometheus_remote_storage_samples_failed_total) + sum(prometheus_remote_storage_metadata_failed_total)')}`,
    );
    assert.equal(failed.result[0]?.value[1], '0');
    const metadataSent = await apiData<{ result: { value: [number, string] }[] }>(
      prom2.base,
      `/api/v1/query?query=${encodeURIComponent('sum(prometheus_remote_storage_metadata_total)')}`,
    );
    assert.ok(Number(metadataSent.result[0]?.value[1]) > 0, 'Prometheus sent metadata');
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    assert.match(metrics, /vigil_remote_write_requests_total\{code="204"\} [1-9]/);
    assert.doesNotMatch(metrics, /vigil_remote_write_requests_total\{code="4/);
  });
});
