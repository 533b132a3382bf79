/**
 * Writes a complete block in Prometheus's on-disk format: `chunks/000001…`,
 * `index`, `tombstones` (empty) and `meta.json`, first into
 * `<ulid>.tmp-for-creation` and then renamed into place, so a crash never leaves a
 * half-written block under a ULID name (Prometheus ignores and removes `.tmp` dirs).
 */
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Chunk } from '../chunkenc/chunk.js';
import { ChunkMeta } from '../index/chunk_meta.js';
import { IndexWriter, collectSymbols } from '../index/index_writer.js';
import type { Labels } from '../labels.js';
import { DEFAULT_SEGMENT_SIZE } from './chunk_segments.js';
import { ChunkWriter } from './chunk_writer.js';
import { type BlockDesc, type BlockMeta, newBlockMeta, writeMeta } from './meta.js';
import { Tombstones } from './tombstones.js';
import { newULID } from './ulid.js';

/** Suffix of a block directory still being written. */
export const TMP_FOR_CREATION = '.tmp-for-creation';
/** Suffix of a block directory being deleted. */
export const TMP_FOR_DELETION = '.tmp-for-deletion';

/** One chunk of a series with the times of its first and last sample (ms, inclusive). */
export class BlockChunk {
  readonly chunk: Chunk;
  readonly minTime: number;
  readonly maxTime: number;
  constructor(chunk: Chunk, minTime: number, maxTime: number) {
    this.chunk = chunk;
    this.minTime = minTime;
    this.maxTime = maxTime;
  }
}

export interface BlockWriteOptions {
  /** Block start (ms, inclusive). */
  readonly minTime: number;
  /** Block end (ms, exclusive): every sample must be before it. */
  readonly maxTime: number;
  /** Defaults to a fresh ULID from `now`. */
  readonly ulid?: string;
  /** Compaction level; default 1. */
  readonly level?: number;
  /** Source ULIDs; default `[ulid]`. */
  readonly sources?: readonly string[];
  /** Parent blocks (for compaction); default none. */
  readonly parents?: readonly BlockDesc[];
  /** Chunk segment size limit in bytes; default 512 MiB. */
  readonly segmentSize?: number;
  /** Clock for the ULID (ms); default `Date.now`. */
  readonly now?: () => number;
}

/**
 * Writes a block into `parentDir/<ulid>` and returns its meta. `labels` must be
 * sorted as the index requires (`compareLabelsUtf8`) and unique; `chunksOf(i)`
 * yields the chunks of series `i` in time order (called once per series, in order).
 * Series without chunks are left out. Throws (and removes the temp directory) on
 * any error.
 */
export async function writeBlock(
  parentDir: string,
  labels: readonly Labels[],
  chunksOf: (i: number) => readonly BlockChunk[] | Promise<readonly BlockChunk[]>,
  opts: BlockWriteOptions,
): Promise<BlockMeta> {
  const ulid = opts.ulid ?? newULID((opts.now ?? Date.now)());
  const meta = newBlockMeta(ulid, opts.minTime, opts.maxTime);
  meta.compaction.level = opts.level ?? 1;
  meta.compaction.sources = opts.sources ? [...opts.sources] : [ulid];
  meta.compaction.parents = opts.parents ? opts.parents.map((p) => ({ ...p })) : [];
  const final = join(parentDir, ulid);
  const tmp = final + TMP_FOR_CREATION;
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp, { recursive: true });
  try {
    const cw = new ChunkWriter(join(tmp, 'chunks'), opts.segmentSize ?? DEFAULT_SEGMENT_SIZE);
    const iw = new IndexWriter(collectSymbols(labels));
    const rawChunks: Chunk[] = [];
    for (let i = 0; i < labels.length; i++) {
      const chks = await chunksOf(i);
      if (chks.length === 0) continue;
      rawChunks.length = 0;
      for (const c of chks) {
        if (c.minTime < opts.minTime || c.maxTime >= opts.maxTime) {
          throw new RangeError(
            `chunk [${c.minTime}, ${c.maxTime}] of ${labels[i]!.toString()} is outside the block range [${opts.minTime}, ${opts.maxTime})`,
          );
        }
        rawChunks.push(c.chunk);
        meta.stats.numSamples += c.chunk.numSamples();
      }
      const refs = await cw.writeSeriesChunks(rawChunks);
      const metas = chks.map((c, k) => new ChunkMeta(refs[k]!, c.minTime, c.maxTime));
      iw.addSeries(labels[i]!, metas);
      meta.stats.numSeries++;
      meta.stats.numChunks += chks.length;
    }
    await cw.close();
    await writeFileSynced(join(tmp, 'index'), iw.finish());
    await new Tombstones().write(tmp);
    await writeMeta(tmp, meta);
    await syncDir(tmp);
    await rename(tmp, final);
    await syncDir(parentDir);
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    throw e;
  }
  return meta;
}

async function writeFileSynced(path: string, data: Uint8Array): Promise<void> {
  const fh = await open(path, 'w');
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** fsyncs a directory so renames inside it are durable (best effort where unsupported). */
export async function syncDir(dir: string): Promise<void> {
  let fh: Awaited<ReturnType<typeof open>> | null = null;
  try {
    fh = await open(dir, 'r');
    await fh.sync();
  } catch {
    // Some filesystems refuse fsync on directories; the data files are synced already.
  } finally {
    await fh?.close();
  }
}
