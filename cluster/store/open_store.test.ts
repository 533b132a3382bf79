import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { defaultStoreUrl, openStore, StoreUrlError } from './open_store.js';

test('openStore opens a sqlite file, creating its directory', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-open-store-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const url = defaultStoreUrl(join(dir, 'data'));
  assert.equal(url, `sqlite://${join(dir, 'data', 'cluster.db')}`);
  const s = await openStore(url, { sqlite: { pollIntervalMs: 0, leaseSweepIntervalMs: 0 } });
  t.after(() => s.close());
  assert.equal(s.backend, 'sqlite');
  await s.create('/k', 'v');
  assert.ok(existsSync(join(dir, 'data', 'cluster.db')));
});

test('openStore rejects malformed URLs with what it expected', async () => {
  const cases: [string, RegExp][] = [
    ['cluster.db', /expected sqlite:\/\/PATH or etcd:\/\/HOST:PORT/],
    ['sqlite://', /needs a file path/],
    ['etcd://localhost', /needs HOST:PORT/],
    ['etcd://localhost:99999', /port in 1\.\.65535/],
    ['mysql://x', /unknown scheme "mysql"/],
  ];
  for (const [url, re] of cases) {
    await assert.rejects(openStore(url), (e: unknown) => e instanceof StoreUrlError && re.test(e.message), url);
  }
});

test('openStore fails at start-up when etcd is unreachable', async () => {
  await assert.rejects(
    openStore('etcd://127.0.0.1:1', { etcdDialTimeoutMs: 300 }),
    (e: unknown) => e instanceof StoreUrlError && /cannot reach etcd/.test(e.message),
  );
});
