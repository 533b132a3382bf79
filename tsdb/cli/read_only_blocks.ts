/**
 * Opens the blocks of a data directory for the read-only `vigil tsdb` commands:
 * unlike `BlockStore`, nothing is moved, deleted or compacted; a block that fails
 * to open is an error naming it (as promtool reports it).
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Block } from '../block/block.js';
import { isULID } from '../block/ulid.js';

/** Every block in `dir`, sorted by minTime. Throws when a block cannot be opened. */
export async function openBlocksReadOnly(dir: string): Promise<Block[]> {
  const names = (await readdir(dir)).filter(isULID);
  const out: Block[] = [];
  for (const n of names) {
    try {
      out.push(await Block.open(join(dir, n)));
    } catch (e) {
      throw new Error(`open block ${join(dir, n)}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  return out.sort((a, b) => a.minTime - b.minTime || (a.ulid < b.ulid ? -1 : 1));
}
