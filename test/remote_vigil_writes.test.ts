/**
 * End-to-end: Vigil's remote write sender feeds a real Prometheus 2.42
 * (`--web.enable-remote-write-receiver`) and a real VictoriaMetrics at the same time.
 * Both receive the same series (external labels added, write_relabel_configs applied)
 * and samples; then both receivers are stopped, Vigil keeps committing, the receivers
 * come back on the same addresses, and nothing queued in the meantime is lost.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Labels } from '../tsdb/labels.js';
import { NO_REF } from '../tsdb/storage.js';
import type { RemoteStorage } from '../tsdb/remote/remote_storage.js';
import { eventually, freePort, rawSamples, seriesKey, startPrometheus, startVictoria, startVigil, tempDir } from './remote_peers.js';

const SERIES = 20;

async function commitRound(storage: RemoteStorage, round: number, t0: number): Promise<void> {
  const app = storage.appender();
  for (let s = 0; s < SERIES; s++) {
    app.append(NO_REF, Labels.fromStrings('__name__', 'rw_test_total', 'series', String(s), 'job', 'gen'), t0 + round * 1000, s * 1000 + round);
  }
  // Dropped by write_relabel_configs: must never reach a receiver.
  app.append(NO_REF, Labels.fromStrings('__name__', 'rw_test_debug', 'job', 'gen'), t0 + round * 1000, round);
  await app.commit();
}

function expected(rounds: number, t0: number): Map<string, [number, number][]> {
  const want = new Map<string, [number, number][]>();
  for (let s = 0; s < SERIES; s++) {
    const key = seriesKey({ __name__: 'rw_test_total', series: String(s), job: 'gen', site: 'vigil' });
    want.set(key, Array.from({ length: rounds }, (_, r) => [t0 + r * 1000, s * 1000 + r] as [number, number]));
  }
  return want;
}

function sameSamples(got: Map<string, [number, number][]>, want: Map<string, [number, number][]>): string {
  if (got.size !== want.size) return `got ${got.size} series, want ${want.size}: ${[...got.keys()].slice(0, 3).join(' ')}`;
  for (const [k, w] of want) {
    const g = got.get(k);
    if (g === undefined) return `missing ${k}`;
    if (JSON.stringify(g) !== JSON.stringify(w)) return `${k}: got ${g.length} samples ${JSON.stringify(g.slice(-2))}, want ${w.length} ${JSON.stringify(w.slice(-2))}`;
  }
  return '';
}

async function fromPrometheus(base: string): Promise<Map<string, [number, number][]>> {
  const raw = await rawSamples(base, '{__name__=~"rw_test.*"}', '1h', Date.now() / 1000 + 60);
  return new Map([...raw].map(([k, v]) => [k, v.map(([t, x]) => [t, Number(x)] as [number, number])]));
}

async function fromVictoria(base: string): Promise<Map<string, [number, number][]>> {
  const res = await fetch(`${base}/api/v1/export?match[]=${encodeURIComponent('{__name__=~"rw_test.*"}')}&start=0`);
  assert.equal(res.status, 200);
  const out = new Map<string, [number, number][]>();
  for (const line of (await res.text()).split('\n')) {
    if (line.trim() === '') continue;
    const row = JSON.parse(line) as { metric: Record<string, string>; values: number[]; timestamps: number[] };
    const pairs = row.timestamps.map((t, i) => [t, row.values[i]!] as [number, number]).sort((a, b) => a[0] - b[0]);
    out.set(seriesKey(row.metric), pairs);
  }
  return out;
}

describe('Vigil remote-writes into Prometheus 2.42 and VictoriaMetrics', () => {
  test('same series and samples on both sides, across a receiver outage', async (t) => {
    const dir = tempDir(t, 'vigil-rw-out-');
    const promPort = await freePort();
    const vmPort = await freePort();
    const promCfg = 'global:\n  scrape_interval: 1m\n';
    const prom = await startPrometheus(t, dir, promCfg, ['--web.enable-remote-write-receiver'], promPort);
    const vm = await startVictoria(t, dir, vmPort);
    const queue = `    queue_config:
      batch_send_deadline: 200ms
      min_backoff: 50ms
      max_backoff: 300ms
    write_relabel_configs:
      - source_labels: [__name__]
        regex: rw_test_debug
        action: drop
`;
    const { server, storage } = await startVigil(
      t,
      dir,
      `global:
  external_labels:
    site: vigil
remote_write:
  - url: http://127.0.0.1:${promPort}/api/v1/write
    name: prom
${queue}  - url: http://127.0.0.1:${vmPort}/api/v1/write
    name: vm
${queue}`,
    );
    assert.equal(storage.writeQueues().length, 2);
    const t0 = Date.now() - 60_000;

    for (let r = 0; r < 10; r++) await commitRound(storage, r, t0);
    let diff = '';
    const bothHave = (rounds: number) => async () => {
      const want = expected(rounds, t0);
      diff = `prometheus: ${sameSamples(await fromPrometheus(prom.base), want)}`;
      if (diff !== 'prometheus: ') return false;
      diff = `victoria-metrics: ${sameSamples(await fromVictoria(vm.base), want)}`;
      return diff === 'victoria-metrics: ';
    };
    await eventually('both receivers to hold rounds 0..9', bothHave(10), 15_000).catch((e: unknown) => assert.fail(`${String(e)}; ${diff}`));

    // Outage: both receivers go away; Vigil keeps committing.
    await Promise.all([prom.stop(), vm.stop()]);
    for (let r = 10; r < 20; r++) await commitRound(storage, r, t0);
    await new Promise((r) => setTimeout(r, 1500));
    const prom2 = await startPrometheus(t, dir, promCfg, ['--web.enable-remote-write-receiver'], promPort);
    const vm2 = await startVictoria(t, dir, vmPort);
    const back = async () => {
      const want = expected(20, t0);
      diff = `prometheus: ${sameSamples(await fromPrometheus(prom2.base), want)}`;
      if (diff !== 'prometheus: ') return false;
      diff = `victoria-metrics: ${sameSamples(await fromVictoria(vm2.base), want)}`;
      return diff === 'victoria-metrics: ';
    };
    await eventually('both receivers to hold rounds 0..19 after the outage', back, 20_000).catch((e: unknown) => assert.fail(`${String(e)}; ${diff}`));

    let metrics = '';
    const value = (name: string, remote: string) => {
      const m = new RegExp(`^${name}\\{remote_name="${remote}",url="[^"]+"\\} (\\S+)$`, 'm').exec(metrics);
      return m === null ? Number.NaN : Number(m[1]);
    };
    // A receiver stores a batch before it answers: let the sender see the last answers.
    await eventually('the sender to count every sample as sent', async () => {
      metrics = await (await fetch(`${server.url}/metrics`)).text();
      return value('prometheus_remote_storage_samples_total', 'prom') === 20 * SERIES && value('prometheus_remote_storage_samples_total', 'vm') === 20 * SERIES;
    }, 5000);
    for (const remote of ['prom', 'vm']) {
      assert.equal(value('prometheus_remote_storage_samples_failed_total', remote), 0, `${remote} samples_failed_total`);
      assert.ok(value('prometheus_remote_storage_samples_retried_total', remote) > 0, `${remote} retried during the outage`);
      assert.equal(value('prometheus_remote_storage_samples_dropped_total', remote), 20, `${remote} dropped by relabeling`);
      assert.equal(value('prometheus_remote_storage_queue_highest_sent_timestamp_seconds', remote), (t0 + 19_000) / 1000);
    }
  });
});
