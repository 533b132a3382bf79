import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { SqliteStore } from './sqlite_store.js';
import { runStoreConformance, takeEvents } from './store_conformance.js';

runStoreConformance('sqlite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-sqlite-store-'));
  let clock = 1_700_000_000_000;
  const now = () => clock;
  const path = join(dir, 'cluster.db');
  const store = new SqliteStore(path, { now, pollIntervalMs: 0, leaseSweepIntervalMs: 0 });
  const peers: SqliteStore[] = [];
  return {
    store,
    async openPeer() {
      // Another process would poll; 10 ms keeps the test quick.
      const peer = new SqliteStore(path, { now, pollIntervalMs: 10, leaseSweepIntervalMs: 0 });
      peers.push(peer);
      return peer;
    },
    async advance(ms: number) {
      clock += ms;
      store.sweepLeases();
    },
    async cleanup() {
      for (const p of peers) await p.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

test('sqlite store keeps data and revisions across a reopen', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-sqlite-store-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'c.db');
  const a = new SqliteStore(path, { pollIntervalMs: 0, leaseSweepIntervalMs: 0 });
  const k = await a.create('/k', 'v');
  const d = await a.delete('/k');
  await a.close();
  const b = new SqliteStore(path, { pollIntervalMs: 0, leaseSweepIntervalMs: 0 });
  t.after(() => b.close());
  assert.equal(await b.currentRevision(), d.modRevision);
  assert.equal((await b.get('/k', { revision: k.modRevision }))?.value, 'v');
  const again = await b.create('/k', 'w');
  assert.equal(again.modRevision, d.modRevision + 1);
});

test('sqlite store: compaction of a trailing tombstone does not move the revision back', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-sqlite-store-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const s = new SqliteStore(join(dir, 'c.db'), { pollIntervalMs: 0, leaseSweepIntervalMs: 0 });
  t.after(() => s.close());
  await s.create('/a', '1');
  const d = await s.delete('/a');
  await s.compact(d.modRevision);
  assert.equal(await s.currentRevision(), d.modRevision);
  const c = await s.create('/a', '2');
  assert.equal(c.modRevision, d.modRevision + 1);
});

test('sqlite store closes a watcher that falls too far behind with watch_overflow', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-sqlite-store-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const s = new SqliteStore(join(dir, 'c.db'), { pollIntervalMs: 0, leaseSweepIntervalMs: 0, watchCapacity: 3 });
  t.after(() => s.close());
  const w = s.watch('/', 0);
  for (let i = 0; i < 5; i++) await s.create(`/k${i}`, String(i));
  await assert.rejects(takeEvents(w, 5), /fell more than 3 events behind/);
});

test('sqlite store: a watch sees writes made by another process (polling) and CAS holds across processes', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-sqlite-store-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'shared.db');
  const s = new SqliteStore(path, { pollIntervalMs: 20, leaseSweepIntervalMs: 0 });
  t.after(() => s.close());
  const base = await s.create('/shared/counter', '0');
  const w = s.watch('/shared/', base.modRevision);
  const moduleUrl = new URL('./sqlite_store.js', import.meta.url).href;
  const child = `
    import { SqliteStore } from ${JSON.stringify(moduleUrl)};
    const s = new SqliteStore(${JSON.stringify(path)}, { pollIntervalMs: 0, leaseSweepIntervalMs: 0 });
    for (let i = 0; i < 3; i++) await s.create('/shared/from-child-' + i, String(i));
    await s.update('/shared/counter', 'child', ${base.modRevision});
    let conflict = 'none';
    try { await s.update('/shared/counter', 'late', ${base.modRevision}); } catch (e) { conflict = e.code; }
    await s.close();
    process.stdout.write(conflict);
  `;
  const out = await new Promise<string>((resolve, reject) => {
    const p = spawn(process.execPath, ['--input-type=module', '-e', child], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('exit', (code) => (code === 0 ? resolve(stdout) : reject(new Error(`child exited ${code}: ${stderr}`))));
  });
  assert.equal(out, 'conflict', 'the stale update in the child was refused');
  const evs = await takeEvents(w, 4);
  w.close();
  assert.deepEqual(
    evs.map((e) => `${e.type} ${e.kv.key}=${e.kv.value}`),
    ['ADDED /shared/from-child-0=0', 'ADDED /shared/from-child-1=1', 'ADDED /shared/from-child-2=2', 'MODIFIED /shared/counter=child'],
  );
  await assert.rejects(s.update('/shared/counter', 'parent', base.modRevision), /was modified/);
});
