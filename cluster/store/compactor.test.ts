import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Compactor } from './compactor.js';
import { StoreError } from './errors.js';
import { SqliteStore } from './sqlite_store.js';

test('compactor compacts to the revision seen one tick earlier, keeping one interval of history', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-compactor-'));
  const store = new SqliteStore(join(dir, 'c.db'), { pollIntervalMs: 0, leaseSweepIntervalMs: 0 });
  t.after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const c = new Compactor(store, { intervalMs: 0 });
  await store.create('/other', 'x');
  const first = await store.create('/k', 'v1');
  assert.equal(await c.tick(), 0, 'the first tick only remembers the revision');
  const second = await store.update('/k', 'v2', first.modRevision);
  assert.equal(await c.tick(), first.modRevision);
  // History after the remembered revision is still readable; before it is gone.
  assert.equal((await store.get('/k', { revision: first.modRevision }))?.value, 'v1');
  await assert.rejects(store.get('/k', { revision: first.modRevision - 1 }), (e: unknown) => e instanceof StoreError && e.code === 'compacted');
  assert.equal(await c.tick(), second.modRevision);
  assert.equal(await c.tick(), 0, 'nothing new to compact');
  c.stop();
});
