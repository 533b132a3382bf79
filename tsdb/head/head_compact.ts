/**
 * Persisting a time range of the head as a level-1 block (Prometheus's
 * `DB.compactHead` with a `RangeHead`): every series with samples in
 * `[mint, maxt)` is written in index order with its chunks for that range.
 *
 * Chunks are copied byte for byte when they lie inside the range and the series
 * has neither out-of-order samples nor tombstones there (chunks never span a
 * chunk-range boundary, and compaction ranges are aligned to it); otherwise the
 * samples are re-encoded into chunks of at most 120 samples, as Prometheus's
 * compactor does when it merges.
 */
import { BlockChunk, writeBlock } from '../block/block_writer.js';
import type { BlockMeta } from '../block/meta.js';
import { CHUNK_SAMPLES_TARGET, type Chunk, encodeXOR } from '../chunkenc/chunk.js';
import { XORChunk } from '../chunkenc/xor.js';
import { compareLabelsUtf8 } from '../index/index_writer.js';
import { ValueType } from '../storage.js';
import type { Head } from './head.js';
import type { MemSeries } from './mem_series.js';

/**
 * Writes the head's samples in `[mint, maxt)` (maxt exclusive) as a block under
 * `dir`. Returns the new block's meta, or null when the range holds no samples.
 */
export async function persistHeadRange(head: Head, dir: string, mint: number, maxt: number, now?: () => number): Promise<BlockMeta | null> {
  const picked: MemSeries[] = [];
  for (const s of head.series.values()) {
    if (s.isEmpty() || s.maxTime() < mint || s.minTime() >= maxt) continue;
    picked.push(s);
  }
  if (picked.length === 0) return null;
  picked.sort((a, b) => compareLabelsUtf8(a.labels, b.labels));
  const labels = picked.map((s) => s.labels);
  let total = 0;
  const chunksOf = (i: number): BlockChunk[] | Promise<BlockChunk[]> => {
    const out = chunksInRange(head, picked[i]!, mint, maxt);
    for (const c of out) total += c.chunk.numSamples();
    // Let scrapes and queries run every few thousand series: chunk reads are synchronous.
    if (i % 2048 === 2047) return new Promise((r) => setImmediate(() => r(out)));
    return out;
  };
  const meta = await writeBlock(dir, labels, chunksOf, { minTime: mint, maxTime: maxt, ...(now ? { now } : {}) });
  return total === 0 ? null : meta;
}

/** The chunks of `s` covering `[mint, maxt)`. */
function chunksInRange(head: Head, s: MemSeries, mint: number, maxt: number): BlockChunk[] {
  const out: BlockChunk[] = [];
  const hasOoo = s.oooCount > 0 && s.oooT![0]! < maxt && s.oooT![s.oooCount - 1]! >= mint;
  const deleted = head.tombstones.get(s.ref);
  if (!hasOoo && deleted === null) {
    let clean = true;
    const parts: BlockChunk[] = [];
    for (let i = 0; i < s.mmCount; i++) {
      const cmin = s.mm[i * 3 + 1]!;
      const cmax = s.mm[i * 3 + 2]!;
      if (cmax < mint || cmin >= maxt) continue;
      if (cmin < mint || cmax >= maxt) {
        clean = false;
        break;
      }
      const ref = s.mm[i * 3]!;
      const c: Chunk = s.memChunks !== null ? s.memChunks[ref]! : head.sink!.read(ref);
      parts.push(new BlockChunk(c, cmin, cmax));
    }
    if (clean && s.chunk !== null && s.chunkMaxT >= mint && s.chunkMinT < maxt) {
      if (s.chunkMinT < mint || s.chunkMaxT >= maxt) clean = false;
      else {
        // Copy: the open chunk keeps growing after this call.
        const bytes = Uint8Array.from(s.chunk.bytes());
        parts.push(new BlockChunk(XORChunk.fromData(bytes), s.chunkMinT, s.chunkMaxT));
      }
    }
    if (clean) return parts;
  }
  // Re-encode through the querier path (merges out-of-order samples, applies tombstones).
  const q = head.querier(mint, maxt - 1);
  const view = q.seriesView(s);
  const it = view.iterator();
  const ts: number[] = [];
  const vs = new Float64Array(CHUNK_SAMPLES_TARGET);
  let n = 0;
  const flush = (): void => {
    if (n === 0) return;
    const c = encodeXOR(ts, vs, 0, n);
    out.push(new BlockChunk(c, ts[0]!, ts[n - 1]!));
    ts.length = 0;
    n = 0;
  };
  while (it.next() !== ValueType.None) {
    ts.push(it.atT());
    vs[n++] = it.atV();
    if (n === CHUNK_SAMPLES_TARGET) flush();
  }
  flush();
  return out;
}
