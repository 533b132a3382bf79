/**
 * The head of a data directory for the read-only `vigil tsdb` commands: samples
 * that are only in the write-ahead log (not yet in a block) are replayed into an
 * in-memory head, as promtool's read-only DB does, so `dump` shows them too.
 * The WAL is replayed from a temporary copy: replay repairs a damaged tail, and a
 * read-only command must not change the directory it reads.
 */
import { cp, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Head } from '../head/head.js';
import { replayWal } from '../head/head_wal.js';

/**
 * A head replayed from `<dir>/wal`, or null when there is no WAL. Samples before
 * `minValidTime` (the newest block's end) are left to the blocks, as at startup.
 * `log` receives replay messages (e.g. what a damaged tail cost).
 */
export async function openHeadReadOnly(dir: string, minValidTime: number, log: (msg: string) => void): Promise<Head | null> {
  const wal = join(dir, 'wal');
  let names: string[];
  try {
    names = await readdir(wal);
  } catch {
    return null;
  }
  if (names.length === 0) return null;
  const tmp = await mkdtemp(join(tmpdir(), 'vigil-wal-ro-'));
  try {
    await cp(wal, join(tmp, 'wal'), { recursive: true });
    const head = new Head({ chunkDir: null, log: null });
    head.minValidTime = minValidTime;
    replayWal(head, join(tmp, 'wal'), log);
    return head;
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}
