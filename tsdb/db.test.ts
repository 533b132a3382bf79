import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDB, type TSDB } from './db.js';
import { runStorageConformance } from './storage_conformance.js';

const quiet = (): void => {};

runStorageConformance('tsdb', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-db-conf-'));
  let db: TSDB = await openDB(dir, { log: quiet, autoCompact: false });
  return {
    storage: db,
    reopen: async () => {
      await db.close();
      db = await openDB(dir, { log: quiet, autoCompact: false });
      return db;
    },
    cleanup: async () => {
      await db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});
