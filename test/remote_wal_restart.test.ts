/**
 * End-to-end: Vigil over its real TSDB remote-writes into a real Prometheus 2.42. The
 * receiver goes away, Vigil keeps committing and is then stopped with samples unsent;
 * both come back (Vigil on the same data directory) and every committed sample reaches
 * Prometheus: the queue resumes from the WAL at the position its progress file recorded.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { parseCommandArgs } from '../cmd/cli.js';
import { SERVER_FLAGS, serverFlagsFrom } from '../cmd/flags.js';
import { StructuredLogger } from '../cmd/logger.js';
import { startServer } from '../cmd/server.js';
import { openDB } from '../tsdb/db.js';
import { Labels } from '../tsdb/labels.js';
import { RemoteStorage } from '../tsdb/remote/remote_storage.js';
import { NO_REF } from '../tsdb/storage.js';
import { type After, eventually, freePort, rawSamples, startPrometheus, tempDir } from './remote_peers.js';

const SERIES = 10;

async function startVigil(t: After, dir: string, config: string) {
  const cfg = join(dir, 'vigil.yml');
  writeFileSync(cfg, config);
  const flags = serverFlagsFrom(parseCommandArgs(['--web.listen-address=127.0.0.1:0', `--config.file=${cfg}`, `--storage.tsdb.path=${join(dir, 'data')}`], SERVER_FLAGS, { min: 0, max: 0 }));
  let storage: RemoteStorage | null = null;
  const server = await startServer(flags, {
    logger: new StructuredLogger({ level: 'error', caller: false, sink: { write: () => {} } }),
    openStorage: async () => {
      const db = await openDB(join(dir, 'data'), { autoCompact: false, log: () => {}, walSegmentSize: 32 * 1024 });
      storage = new RemoteStorage(db, { flushDeadlineMs: 300, shardUpdateIntervalMs: 1000 });
      return storage;
    },
  });
  t.after(() => server.close());
  return { server, storage: storage! };
}

async function commitRound(storage: RemoteStorage, round: number, t0: number): Promise<void> {
  const app = storage.appender();
  for (let s = 0; s < SERIES; s++) app.append(NO_REF, Labels.fromStrings('__name__', 'walrw_total', 'series', String(s)), t0 + round * 1000, s * 1000 + round);
  await app.commit();
}

async function countIn(base: string): Promise<number> {
  const raw = await rawSamples(base, '{__name__="walrw_total"}', '2h', Date.now() / 1000 + 60);
  let n = 0;
  for (const v of raw.values()) n += v.length;
  return n;
}

describe('remote write from the WAL across a Vigil restart', () => {
  test('a receiver outage plus a Vigil restart lose nothing (real Prometheus 2.42)', async (t) => {
    const promDir = tempDir(t, 'vigil-walrw-prom-');
    const vigilDir = tempDir(t, 'vigil-walrw-');
    const promPort = await freePort();
    const promCfg = 'global:\n  scrape_interval: 1m\n';
    const vcfg = `remote_write:\n  - url: http://127.0.0.1:${promPort}/api/v1/write\n    name: prom\n    queue_config: {batch_send_deadline: 100ms, min_backoff: 30ms, max_backoff: 200ms, max_samples_per_send: 20}\n`;
    const prom = await startPrometheus(t, promDir, promCfg, ['--web.enable-remote-write-receiver'], promPort);
    const v1 = await startVigil(t, vigilDir, vcfg);
    assert.ok(v1.storage.readsWal(), 'the queue reads the TSDB WAL');
    const t0 = Date.now() - 30 * 60_000;
    for (let r = 0; r < 20; r++) await commitRound(v1.storage, r, t0);
    await eventually('rounds 0..19 at Prometheus', async () => (await countIn(prom.base)) === 20 * SERIES, 15_000);

    // Outage, then Vigil stops while its samples are still unsent.
    await prom.stop();
    for (let r = 20; r < 120; r++) await commitRound(v1.storage, r, t0);
    await v1.server.close();
    assert.ok(existsSync(join(vigilDir, 'data', 'remote')) && readdirSync(join(vigilDir, 'data', 'remote')).length === 1, 'one progress file');

    const prom2 = await startPrometheus(t, promDir, promCfg, ['--web.enable-remote-write-receiver'], promPort);
    const v2 = await startVigil(t, vigilDir, vcfg);
    for (let r = 120; r < 130; r++) await commitRound(v2.storage, r, t0);
    await eventually('every committed sample at Prometheus', async () => (await countIn(prom2.base)) === 130 * SERIES, 20_000);
    const raw = await rawSamples(prom2.base, '{__name__="walrw_total"}', '2h', Date.now() / 1000 + 60);
    assert.equal(raw.size, SERIES);
    for (const [k, v] of raw) {
      const s = Number(/"series","(\d+)"/.exec(k)?.[1]);
      assert.deepEqual(
        v.map(([ts, x]) => [ts, Number(x)]),
        Array.from({ length: 130 }, (_, r) => [t0 + r * 1000, s * 1000 + r]),
        k,
      );
    }
  });
});
