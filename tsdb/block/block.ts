/**
 * A persisted block opened for reading: `meta.json`, the index (read whole into
 * memory), tombstones, and chunk segments loaded on first use. A block hands out
 * `Querier`s over a time range (see block_querier.ts), can mark series deleted
 * (tombstones) and reports its size on disk.
 */
import { readFile, readdir, stat } from 'node:fs/promises';
import { FileSource } from '../index/byte_source.js';
import { join } from 'node:path';
import { IndexReader, SeriesEntry } from '../index/index_reader.js';
import { postingsForMatchers } from '../index/postings_for_matchers.js';
import type { Matcher } from '../matcher.js';
import type { Querier } from '../storage.js';
import { BlockQuerier } from './block_querier.js';
import { ChunkReader } from './chunk_reader.js';
import { type BlockMeta, readMeta, writeMeta } from './meta.js';
import { Tombstones } from './tombstones.js';

/** How a block's index is held. */
export interface BlockOpenOptions {
  /** Indexes up to this size (bytes) are read into memory; larger ones are paged from disk. Default 128 MiB. */
  readonly indexInMemoryMax?: number;
  /** Page size (bytes) for paged indexes; default 64 KiB. */
  readonly indexPageSize?: number;
  /** Pages cached per paged index; default 256 (16 MiB with the default page size). */
  readonly indexCachePages?: number;
}

export class Block {
  readonly dir: string;
  meta: BlockMeta;
  readonly index: IndexReader;
  readonly chunks: ChunkReader;
  tombstones: Tombstones;
  private readonly indexSize: number;
  /** Open queriers; files stay open until the last one closes, even after `close()`. */
  private readers: number;
  private closing: boolean;

  private constructor(dir: string, meta: BlockMeta, index: IndexReader, chunks: ChunkReader, tombstones: Tombstones, indexSize: number) {
    this.dir = dir;
    this.meta = meta;
    this.index = index;
    this.chunks = chunks;
    this.tombstones = tombstones;
    this.indexSize = indexSize;
    this.readers = 0;
    this.closing = false;
  }

  /**
   * Opens the block in `dir`. Throws `BlockMetaError`, `IndexCorruptError`,
   * `TombstonesError` or a file-system error when any part is missing or damaged.
   */
  static async open(dir: string, opts: BlockOpenOptions = {}): Promise<Block> {
    const meta = await readMeta(dir);
    const indexPath = join(dir, 'index');
    const size = (await stat(indexPath)).size;
    const index =
      size <= (opts.indexInMemoryMax ?? 128 * 1024 * 1024)
        ? new IndexReader(await readFile(indexPath), indexPath)
        : new IndexReader(new FileSource(indexPath, opts.indexPageSize, opts.indexCachePages), indexPath);
    try {
      const chunks = await ChunkReader.open(join(dir, 'chunks'));
      const tombstones = await Tombstones.read(dir);
      return new Block(dir, meta, index, chunks, tombstones, size);
    } catch (e) {
      index.close();
      throw e;
    }
  }

  get ulid(): string {
    return this.meta.ulid;
  }
  get minTime(): number {
    return this.meta.minTime;
  }
  /** Exclusive end of the block's range. */
  get maxTime(): number {
    return this.meta.maxTime;
  }

  /** Whether the block holds data in `[mint, maxt]` (inclusive query range). */
  overlaps(mint: number, maxt: number): boolean {
    return this.meta.minTime <= maxt && mint < this.meta.maxTime;
  }

  /**
   * A querier over `[mint, maxt]` (ms, inclusive). The block's files stay open
   * until the querier is closed, even if the block is closed or deleted meanwhile
   * (compaction and retention do that while queries run).
   */
  querier(mint: number, maxt: number): Querier {
    this.readers++;
    return new BlockQuerier(this, mint, maxt);
  }

  /** @internal Called by `BlockQuerier.close`. */
  releaseReader(): Promise<void> {
    this.readers--;
    return this.closing && this.readers === 0 ? this.closeFiles() : Promise.resolve();
  }

  private async closeFiles(): Promise<void> {
    this.index.close();
    await this.chunks.close();
  }

  /** Bytes on disk: index, chunk segments, tombstones and meta.json. */
  async size(): Promise<number> {
    let n = this.indexSize;
    const cdir = join(this.dir, 'chunks');
    for (const f of await readdir(cdir)) n += (await stat(join(cdir, f))).size;
    for (const f of ['tombstones', 'meta.json']) {
      try {
        n += (await stat(join(this.dir, f))).size;
      } catch {
        // Optional file.
      }
    }
    return n;
  }

  /**
   * Marks samples in `[mint, maxt]` of every series matching `matchers` deleted by
   * writing tombstones (the data goes on the next compaction). Returns how many
   * series were affected.
   */
  async delete(mint: number, maxt: number, matchers: readonly Matcher[]): Promise<number> {
    const ids = postingsForMatchers(this.index, matchers);
    const e = new SeriesEntry();
    const next = new Tombstones();
    for (const [ref, iv] of this.tombstones.entries()) for (let i = 0; i < iv.length; i += 2) next.add(ref, iv[i]!, iv[i + 1]!);
    let n = 0;
    for (let i = 0; i < ids.length; i++) {
      this.index.series(ids[i]!, e);
      if (e.chunks.some((c) => c.minTime <= maxt && mint <= c.maxTime)) {
        next.add(ids[i]!, mint, maxt);
        n++;
      }
    }
    if (n === 0) return 0;
    await next.write(this.dir);
    this.tombstones = next;
    this.meta = { ...this.meta, stats: { ...this.meta.stats, numTombstones: next.count() } };
    await writeMeta(this.dir, this.meta);
    return n;
  }

  /** Closes the index and chunk files once no querier is open. Series already selected keep their loaded chunks. */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    if (this.readers === 0) await this.closeFiles();
  }
}
