/**
 * The `Querier` of one block: matchers become postings through the index, series
 * are read with their chunk metas, chunk segments are loaded before the series
 * set is handed out (await at the boundary) and iteration is synchronous. Samples
 * outside the querier range and in tombstoned intervals are dropped; series left
 * with nothing are omitted.
 */
import { type Chunk, Encoding } from '../chunkenc/chunk.js';
import type { ChunkMeta } from '../index/chunk_meta.js';
import { SeriesEntry } from '../index/index_reader.js';
import { postingsForMatchers } from '../index/postings_for_matchers.js';
import { compareUtf8 } from '../index/utf8_order.js';
import { Labels } from '../labels.js';
import type { Matcher } from '../matcher.js';
import type { LabelHints, Querier, SampleIterator, SelectHints, Series, SeriesSet } from '../storage.js';
import type { Block } from './block.js';
import { type ChunkList, ChunkSeriesIterator } from './chunk_series_iterator.js';
import type { LoadedChunks } from './chunk_reader.js';

class BlockSeriesChunks implements ChunkList {
  private readonly metas: ChunkMeta[];
  private readonly loaded: LoadedChunks;
  constructor(metas: ChunkMeta[], loaded: LoadedChunks) {
    this.metas = metas;
    this.loaded = loaded;
  }
  get length(): number {
    return this.metas.length;
  }
  maxTime(i: number): number {
    return this.metas[i]!.maxTime;
  }
  open(i: number): Chunk {
    return this.loaded.chunk(this.metas[i]!.ref);
  }
}

class BlockSeries implements Series {
  readonly labels: Labels;
  private readonly chunks: BlockSeriesChunks;
  private readonly mint: number;
  private readonly maxt: number;
  private readonly deleted: readonly number[] | null;

  constructor(labels: Labels, chunks: BlockSeriesChunks, mint: number, maxt: number, deleted: readonly number[] | null) {
    this.labels = labels;
    this.chunks = chunks;
    this.mint = mint;
    this.maxt = maxt;
    this.deleted = deleted;
  }

  iterator(reuse?: SampleIterator): SampleIterator {
    if (reuse instanceof ChunkSeriesIterator) {
      reuse.reset(this.chunks, this.mint, this.maxt, this.deleted);
      return reuse;
    }
    return new ChunkSeriesIterator(this.chunks, this.mint, this.maxt, this.deleted);
  }
}

/** A series set over an array of ready series. */
export class ListSeriesSet implements SeriesSet {
  private readonly list: readonly Series[];
  private i: number;
  private readonly warns: readonly string[];
  private readonly error: Error | null;
  constructor(list: readonly Series[], warnings: readonly string[] = [], error: Error | null = null) {
    this.list = list;
    this.i = -1;
    this.warns = warnings;
    this.error = error;
  }
  next(): boolean {
    if (this.error !== null) return false;
    this.i++;
    return this.i < this.list.length;
  }
  at(): Series {
    return this.list[this.i]!;
  }
  err(): Error | null {
    return this.error;
  }
  warnings(): readonly string[] {
    return this.warns;
  }
}

/** A readable chunk encoding other than XOR. */
function isForeign(enc: number): boolean {
  return enc >= 0 && enc !== Encoding.XOR;
}

/** Whether `[a, b]` lies entirely within one of the flat sorted intervals. */
function fullyDeleted(iv: readonly number[], a: number, b: number): boolean {
  for (let i = 0; i < iv.length; i += 2) if (iv[i]! <= a && b <= iv[i + 1]!) return true;
  return false;
}

export class BlockQuerier implements Querier {
  private readonly block: Block;
  private readonly mint: number;
  private readonly maxt: number;
  private closed: boolean;

  constructor(block: Block, mint: number, maxt: number) {
    this.block = block;
    this.mint = mint;
    this.maxt = maxt;
    this.closed = false;
  }

  async select(_sortSeries: boolean, hints: SelectHints | null, matchers: readonly Matcher[]): Promise<SeriesSet> {
    const b = this.block;
    const mint = this.mint;
    const maxt = this.maxt;
    try {
      const ids = postingsForMatchers(b.index, matchers);
      const picked: { labels: Labels; keep: ChunkMeta[]; deleted: readonly number[] | null }[] = [];
      const refs: number[] = [];
      const e = new SeriesEntry();
      const limit = hints?.limit ?? 0;
      for (let i = 0; i < ids.length; i++) {
        const id = ids[i]!;
        b.index.series(id, e);
        const deleted = b.tombstones.get(id);
        const keep: ChunkMeta[] = [];
        let live = false;
        for (const c of e.chunks) {
          if (c.maxTime < mint || c.minTime > maxt) continue;
          keep.push(c);
          if (deleted === null || !fullyDeleted(deleted, Math.max(c.minTime, mint), Math.min(c.maxTime, maxt))) live = true;
        }
        if (!live) continue;
        for (const c of keep) refs.push(c.ref);
        picked.push({ labels: e.labels, keep, deleted });
        if (limit > 0 && picked.length >= limit) break;
      }
      const loaded = await b.chunks.read(refs);
      // Native histogram chunks (from Prometheus blocks) are left out with a warning:
      // Vigil serves float samples only. Unreadable chunks stay, to surface the damage.
      let skipped = 0;
      const out: BlockSeries[] = [];
      for (const p of picked) {
        let keep = p.keep;
        if (keep.some((c) => isForeign(loaded.encodingOf(c.ref)))) {
          keep = keep.filter((c) => !isForeign(loaded.encodingOf(c.ref)));
          skipped += p.keep.length - keep.length;
          if (keep.length === 0) continue;
        }
        out.push(new BlockSeries(p.labels, new BlockSeriesChunks(keep, loaded), mint, maxt, p.deleted));
      }
      const warnings =
        skipped > 0 ? [`block ${b.ulid}: skipped ${skipped} chunks in an encoding other than XOR (native histograms); Vigil serves float samples only`] : [];
      // Index order (UTF-8 bytes) equals `Labels.compare` order except for exotic
      // label text; re-sort only in that rare case.
      for (let i = 1; i < out.length; i++) {
        if (Labels.compare(out[i - 1]!.labels, out[i]!.labels) > 0) {
          out.sort((x, y) => Labels.compare(x.labels, y.labels));
          break;
        }
      }
      return new ListSeriesSet(out, warnings);
    } catch (err) {
      return new ListSeriesSet([], [], err instanceof Error ? err : new Error(String(err)));
    }
  }

  private matchingEntries(matchers: readonly Matcher[], fn: (labels: Labels) => void): void {
    const ids = postingsForMatchers(this.block.index, matchers);
    const e = new SeriesEntry();
    for (let i = 0; i < ids.length; i++) {
      this.block.index.series(ids[i]!, e);
      if (e.chunks.some((c) => c.minTime <= this.maxt && this.mint <= c.maxTime)) fn(e.labels);
    }
  }

  async labelNames(matchers: readonly Matcher[], hints?: LabelHints): Promise<string[]> {
    let names: string[];
    if (matchers.length === 0) names = [...this.block.index.labelNames()];
    else {
      const s = new Set<string>();
      this.matchingEntries(matchers, (ls) => {
        for (let i = 0; i < ls.length; i++) s.add(ls.name(i));
      });
      names = [...s].sort(compareUtf8);
    }
    return limitList(names, hints);
  }

  async labelValues(name: string, matchers: readonly Matcher[], hints?: LabelHints): Promise<string[]> {
    let values: string[];
    if (matchers.length === 0) values = [...this.block.index.labelValues(name)];
    else {
      const s = new Set<string>();
      this.matchingEntries(matchers, (ls) => {
        const v = ls.get(name);
        if (v !== '') s.add(v);
      });
      values = [...s].sort(compareUtf8);
    }
    return limitList(values, hints);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.block.releaseReader();
  }
}

function limitList(xs: string[], hints?: LabelHints): string[] {
  const l = hints?.limit ?? 0;
  return l > 0 && xs.length > l ? xs.slice(0, l) : xs;
}
