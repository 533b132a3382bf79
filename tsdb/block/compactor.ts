/**
 * Compaction: merges blocks into one new block (the parents stay until the caller
 * deletes them). Series are merged by labels across the inputs. A series whose
 * chunks come from one block, or from several without overlap, and which has no
 * deletions keeps its chunks byte for byte (no re-encoding; chunks Vigil cannot
 * decode survive too). Otherwise its samples are merged in time order with
 * duplicates dropped and tombstoned ranges removed, and re-encoded into XOR
 * chunks of 120 samples, as Prometheus's vertical compaction does.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { CHUNK_SAMPLES_TARGET, encodeXOR } from '../chunkenc/chunk.js';
import type { ChunkMeta } from '../index/chunk_meta.js';
import { SeriesEntry } from '../index/index_reader.js';
import { compareLabelsUtf8 } from '../index/index_writer.js';
import type { Labels } from '../labels.js';
import { ChainSampleIterator } from '../querier.js';
import { type SampleIterator, ValueType } from '../storage.js';
import type { Block } from './block.js';
import { BlockChunk, writeBlock } from './block_writer.js';
import { type ChunkList, ChunkSeriesIterator } from './chunk_series_iterator.js';
import type { LoadedChunks } from './chunk_reader.js';
import { type BlockMeta, writeMeta } from './meta.js';
import { newULID } from './ulid.js';

export interface CompactOptions {
  /** Chunk segment size limit (bytes); default 512 MiB. */
  readonly segmentSize?: number;
  /** Clock (ms) for the new ULID. */
  readonly now?: () => number;
  /** Level of the new block; default max(parents) + 1 (a tombstone rewrite keeps the parent's level). */
  readonly level?: number;
}

/** Series whose chunks are read together. */
const BATCH = 512;

/** The chunks one input block holds for a series. */
class SeriesPart {
  readonly block: Block;
  readonly id: number;
  readonly metas: ChunkMeta[];
  constructor(block: Block, id: number, metas: ChunkMeta[]) {
    this.block = block;
    this.id = id;
    this.metas = metas;
  }
}

class PartChunks implements ChunkList {
  private readonly part: SeriesPart;
  private readonly loaded: LoadedChunks;
  constructor(part: SeriesPart, loaded: LoadedChunks) {
    this.part = part;
    this.loaded = loaded;
  }
  get length(): number {
    return this.part.metas.length;
  }
  maxTime(i: number): number {
    return this.part.metas[i]!.maxTime;
  }
  open(i: number) {
    return this.loaded.chunk(this.part.metas[i]!.ref);
  }
}

/** Labels and chunk metas of every series of `b`, in index order. */
function readAllSeries(b: Block): { labels: Labels[]; parts: SeriesPart[] } {
  const ids = b.index.allPostings();
  const labels: Labels[] = [];
  const parts: SeriesPart[] = [];
  const e = new SeriesEntry();
  for (let i = 0; i < ids.length; i++) {
    b.index.series(ids[i]!, e);
    labels.push(e.labels);
    parts.push(new SeriesPart(b, ids[i]!, e.chunks));
  }
  return { labels, parts };
}

/**
 * Merges `blocks` into a new block under `destDir` and returns its meta, or null
 * when the result would hold no samples (then the inputs are marked deletable in
 * their meta.json, as Prometheus does).
 */
export async function compactBlocks(destDir: string, blocks: readonly Block[], opts: CompactOptions = {}): Promise<BlockMeta | null> {
  if (blocks.length === 0) throw new RangeError('compactBlocks: no blocks given');
  const inputs = blocks.map(readAllSeries);
  // k-way merge of the sorted series lists.
  const labels: Labels[] = [];
  const groups: SeriesPart[][] = [];
  const pos = inputs.map(() => 0);
  for (;;) {
    let min: Labels | null = null;
    for (let k = 0; k < inputs.length; k++) {
      const l = inputs[k]!.labels[pos[k]!];
      if (l !== undefined && (min === null || compareLabelsUtf8(l, min) < 0)) min = l;
    }
    if (min === null) break;
    const g: SeriesPart[] = [];
    for (let k = 0; k < inputs.length; k++) {
      const l = inputs[k]!.labels[pos[k]!];
      if (l?.equals(min)) {
        g.push(inputs[k]!.parts[pos[k]!]!);
        pos[k]!++;
      }
    }
    labels.push(min);
    groups.push(g);
  }

  const minTime = Math.min(...blocks.map((b) => b.minTime));
  const maxTime = Math.max(...blocks.map((b) => b.maxTime));
  const ulid = newULID((opts.now ?? Date.now)());
  const sources = [...new Set(blocks.flatMap((b) => b.meta.compaction.sources))].sort();
  const level = opts.level ?? Math.max(...blocks.map((b) => b.meta.compaction.level)) + 1;
  const parents = blocks.map((b) => ({ ulid: b.ulid, minTime: b.minTime, maxTime: b.maxTime }));

  const ts: { buf: Float64Array } = { buf: new Float64Array(1024) };
  const vs: { buf: Float64Array } = { buf: new Float64Array(1024) };
  // Chunks are fetched for BATCH series at a time: one read pass per block per batch.
  let batchStart = -1;
  const batch = new Map<Block, LoadedChunks>();
  const loadBatch = async (from: number) => {
    batch.clear();
    batchStart = from;
    const refs = new Map<Block, number[]>(blocks.map((b) => [b, []]));
    for (let k = from; k < Math.min(groups.length, from + BATCH); k++) for (const p of groups[k]!) for (const m of p.metas) refs.get(p.block)!.push(m.ref);
    for (const [b, r] of refs) batch.set(b, await b.chunks.read(r.sort((x, y) => x - y)));
  };
  const chunksOf = async (i: number): Promise<BlockChunk[]> => {
    const g = groups[i]!;
    if (batchStart < 0 || i >= batchStart + BATCH) await loadBatch(i);
    // Fast path: copy chunks when no deletions apply and chunks do not overlap in time.
    const all: { p: SeriesPart; m: ChunkMeta }[] = [];
    let deleted = false;
    for (const p of g) {
      if (p.block.tombstones.get(p.id) !== null) deleted = true;
      for (const m of p.metas) if (m.minTime >= minTime && m.maxTime < maxTime) all.push({ p, m });
    }
    if (g.length > 1) all.sort((a, b) => a.m.minTime - b.m.minTime);
    let overlap = false;
    for (let k = 1; k < all.length; k++) if (all[k]!.m.minTime <= all[k - 1]!.m.maxTime) overlap = true;
    if (!deleted && !overlap) return all.map(({ p, m }) => new BlockChunk(batch.get(p.block)!.chunk(m.ref), m.minTime, m.maxTime));
    // Slow path: merge samples and re-encode.
    const its: SampleIterator[] = g.map((p) => new ChunkSeriesIterator(new PartChunks(p, batch.get(p.block)!), minTime, maxTime - 1, p.block.tombstones.get(p.id)));
    const it = its.length === 1 ? its[0]! : new ChainSampleIterator(its);
    let n = 0;
    while (it.next() !== ValueType.None) {
      if (n === ts.buf.length) {
        ts.buf = grow(ts.buf);
        vs.buf = grow(vs.buf);
      }
      ts.buf[n] = it.atT();
      vs.buf[n] = it.atV();
      n++;
    }
    const e = it.err();
    if (e !== null) throw new Error(`compacting ${labels[i]!.toString()}: ${e.message}`);
    const out: BlockChunk[] = [];
    for (let s = 0; s < n; s += CHUNK_SAMPLES_TARGET) {
      const end = Math.min(n, s + CHUNK_SAMPLES_TARGET);
      out.push(new BlockChunk(encodeXOR(ts.buf, vs.buf, s, end), ts.buf[s]!, ts.buf[end - 1]!));
    }
    return out;
  };

  const meta = await writeBlock(destDir, labels, chunksOf, {
    minTime,
    maxTime,
    ulid,
    level,
    sources,
    parents,
    ...(opts.segmentSize !== undefined ? { segmentSize: opts.segmentSize } : {}),
  });
  if (meta.stats.numSamples === 0) {
    await rm(join(destDir, ulid), { recursive: true, force: true });
    for (const b of blocks) {
      b.meta = { ...b.meta, compaction: { ...b.meta.compaction, deletable: true } };
      await writeMeta(b.dir, b.meta);
    }
    return null;
  }
  return meta;
}

function grow(a: Float64Array): Float64Array {
  const b = new Float64Array(a.length * 2);
  b.set(a);
  return b;
}
