import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseCommandArgs } from '../cmd/cli.js';
import { SERVER_FLAGS, serverFlagsFrom } from '../cmd/flags.js';
import { StructuredLogger } from '../cmd/logger.js';
import { startServer } from '../cmd/server.js';
import { MemoryStorage } from '../tsdb/memory_storage.js';
import { readAll } from './_test_support.js';

async function until(what: string, fn: () => Promise<boolean>, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!(await fn())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('vigil server scrapes itself and the demo, serves the targets API, and applies reloads', { timeout: 30_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-scrape-part-'));
  t.after(() => rmSync(dir, { recursive: true, force: true, maxRetries: 10 }));
  const cfg = join(dir, 'vigil.yml');
  // The server's port is unknown before it listens: the demo and self jobs use a file SD
  // file written once the port is known.
  const sd = join(dir, 'self.json');
  writeFileSync(sd, '[]');
  const jobs = (withDemo: boolean) =>
    `global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: vigil\n    file_sd_configs: [{files: ['${sd}']}]\n${
      withDemo ? `  - job_name: demo\n    metrics_path: /demo/metrics\n    file_sd_configs: [{files: ['${sd}']}]\n` : ''
    }`;
  writeFileSync(cfg, jobs(true));
  const storage = new MemoryStorage();
  const flags = serverFlagsFrom(parseCommandArgs(['--web.listen-address=127.0.0.1:0', `--config.file=${cfg}`, `--storage.tsdb.path=${join(dir, 'data')}`], SERVER_FLAGS, { min: 0, max: 0 }));
  const s = await startServer(flags, { logger: new StructuredLogger({ level: 'error', caller: false, sink: { write: () => {} } }), openStorage: async () => storage });
  t.after(() => s.close());
  writeFileSync(sd, JSON.stringify([{ targets: [`127.0.0.1:${s.port}`] }]));

  type Targets = { data: { activeTargets: { scrapePool: string; health: string; lastError: string }[] } };
  await until(
    'both targets up',
    async () => {
      const r = (await (await fetch(`${s.url}/api/v1/targets?state=active`)).json()) as Targets;
      return r.data.activeTargets.length === 2 && r.data.activeTargets.every((x) => x.health === 'up');
    },
    20_000,
  );
  const all = await readAll(storage);
  assert.ok(all.some((x) => x.record.__name__ === 'http_requests_total' && x.record.job === 'demo'));
  assert.ok(all.some((x) => x.record.__name__ === 'prometheus_build_info' && x.record.job === 'vigil'));
  const metrics = await (await fetch(`${s.url}/metrics`)).text();
  assert.match(metrics, /prometheus_target_scrape_pool_targets\{scrape_job="demo"\} 1/);
  assert.match(metrics, /prometheus_sd_discovered_targets\{config="vigil",name="scrape"\} 1/);
  assert.match(metrics, /\nprometheus_sd_file_read_errors_total 0\n/);
  assert.match(metrics, /\nvigil_target_scrapes_total [1-9]/);
  const pools = (await (await fetch(`${s.url}/api/v1/scrape_pools`)).json()) as { data: { scrapePools: string[] } };
  assert.deepEqual(pools.data.scrapePools, ['demo', 'vigil']);

  writeFileSync(cfg, jobs(false));
  const outcome = await s.reload();
  assert.deepEqual(outcome, { ok: true });
  const after = (await (await fetch(`${s.url}/api/v1/scrape_pools`)).json()) as { data: { scrapePools: string[] } };
  assert.deepEqual(after.data.scrapePools, ['vigil']);
});
