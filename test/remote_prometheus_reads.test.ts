/**
 * End-to-end with a real Prometheus 2.42 reading from Vigil in the two ways
 * Prometheus users do: `remote_read` (Vigil as secondary storage: raw samples and
 * aggregations answer exactly as Vigil's data says) and federation (a `/federate`
 * scrape job with `honor_labels: true`: the latest sample of each series arrives with
 * its own labels, Vigil's external labels and no instance label).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Labels } from '../tsdb/labels.js';
import { NO_REF } from '../tsdb/storage.js';
import { apiData, eventually, freePort, rawSamples, seriesKey, startPrometheus, startVigil, tempDir } from './remote_peers.js';

describe('Prometheus 2.42 reads from Vigil', () => {
  test('remote_read returns Vigil data; federation with honor_labels carries the latest samples', async (t) => {
    const dir = tempDir(t, 'vigil-rr-');
    const { server, storage } = await startVigil(t, dir, 'global:\n  external_labels:\n    site: vigil\n');
    const host = new URL(server.url).host;
    const now = Date.now();
    const t0 = now - 120_000;
    const app = storage.appender();
    for (let s = 0; s < 5; s++) {
      for (let i = 0; i < 100; i++) {
        app.append(NO_REF, Labels.fromStrings('__name__', 'rr_test', 'series', String(s), 'job', 'gen'), t0 + i * 1000, s * 100 + i * 0.5);
        app.append(NO_REF, Labels.fromStrings('__name__', 'fed_test', 'series', String(s), 'job', 'gen'), t0 + i * 1000, s * 10 + i);
      }
    }
    await app.commit();

    const port = await freePort();
    const prom = await startPrometheus(
      t,
      dir,
      `global:
  scrape_interval: 1s
remote_read:
  - url: ${server.url}/api/v1/read
    read_recent: true
    # Keeps fed_test queries local, so the federation check sees only federated samples.
    required_matchers:
      __name__: rr_test
scrape_configs:
  - job_name: federate
    honor_labels: true
    metrics_path: /federate
    params:
      'match[]': ['{__name__="fed_test"}']
    static_configs:
      - targets: ['${host}']
`,
      [],
      port,
    );

    // Remote read: raw samples over the whole range, as Vigil holds them (plus the external label).
    const at = (t0 + 99_000) / 1000;
    const got = await rawSamples(prom.base, 'rr_test', '5m', at);
    assert.equal(got.size, 5);
    for (let s = 0; s < 5; s++) {
      const key = seriesKey({ __name__: 'rr_test', series: String(s), job: 'gen', site: 'vigil' });
      const want = Array.from({ length: 100 }, (_, i) => [t0 + i * 1000, String(s * 100 + i * 0.5)]);
      assert.deepEqual(got.get(key), want, key);
    }
    // An aggregation evaluated by Prometheus over remote-read data.
    const sum = await apiData<{ result: { metric: Record<string, string>; value: [number, string] }[] }>(
      prom.base,
      `/api/v1/query?query=${encodeURIComponent('sum by (site) (rr_test)')}&time=${at}`,
    );
    assert.deepEqual(sum.result, [{ metric: { site: 'vigil' }, value: [at, String(0 + 100 + 200 + 300 + 400 + 5 * 99 * 0.5)] }]);
    // Matchers on the external label are honoured (site="vigil" matches, site="other" does not).
    assert.equal((await rawSamples(prom.base, 'rr_test{site="vigil"}', '5m', at)).size, 5);
    assert.equal((await rawSamples(prom.base, 'rr_test{site="other"}', '5m', at)).size, 0);

    // Federation: Prometheus scrapes /federate; each series' latest sample arrives with honored labels.
    await eventually('Prometheus to federate fed_test', async () => {
      const r = await apiData<{ result: { metric: Record<string, string>; value: [number, string] }[] }>(prom.base, `/api/v1/query?query=fed_test`);
      return r.result.length === 5;
    });
    const fed = await apiData<{ result: { metric: Record<string, string>; value: [number, string] }[] }>(prom.base, `/api/v1/query?query=fed_test`);
    const bySeries = fed.result.map((r) => r.metric).sort((a, b) => Number(a.series) - Number(b.series));
    assert.deepEqual(bySeries[0], { __name__: 'fed_test', series: '0', job: 'gen', site: 'vigil' }, 'job honored, external label added, no instance');
    const latest = await rawSamples(prom.base, 'fed_test', '10m', Date.now() / 1000);
    for (let s = 0; s < 5; s++) {
      const samples = latest.get(seriesKey({ __name__: 'fed_test', series: String(s), job: 'gen', site: 'vigil' }));
      assert.ok(samples !== undefined && samples.length >= 1);
      // Every federated sample is Vigil's newest one: timestamp and value.
      for (const [ts, v] of samples) assert.deepEqual([ts, v], [t0 + 99_000, String(s * 10 + 99)]);
    }
  });
});
