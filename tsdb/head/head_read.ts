/**
 * Reading the head (Prometheus's `tsdb/head_read.go`): a `Querier` over
 * `[mint, maxt]` that selects series through the in-memory postings and hands out
 * series whose chunks are snapshotted at `select` time. A snapshot records how
 * many samples the open chunk had, so samples committed later are not seen
 * (read isolation), and it keeps references to chunks that a later cut or
 * truncation may drop.
 *
 * Full chunks are read back from head chunk files lazily, when an iterator
 * reaches them (a synchronous read from the page cache, as Prometheus's mmap
 * reads are page faults); out-of-order samples are merged in by time.
 */
import { ListSeriesSet } from '../block/block_querier.js';
import { type ChunkList, ChunkSeriesIterator } from '../block/chunk_series_iterator.js';
import type { Chunk } from '../chunkenc/chunk.js';
import { Encoding } from '../chunkenc/encoding.js';
import type { XORChunk } from '../chunkenc/xor.js';
import { Labels, cmpStr } from '../labels.js';
import type { Matcher } from '../matcher.js';
import type { SampleBuffer } from '../sample_buffer.js';
import { type LabelHints, type Querier, type SampleIterator, type Series, type SelectHints, type SeriesSet, ValueType } from '../storage.js';
import type { Head } from './head.js';
import type { MemSeries } from './mem_series.js';

/** The open head chunk, limited to the samples it had when snapshotted. */
class OpenChunkView implements Chunk {
  private readonly c: XORChunk;
  private readonly n: number;
  constructor(c: XORChunk, n: number) {
    this.c = c;
    this.n = n;
  }
  encoding(): Encoding {
    return Encoding.XOR;
  }
  bytes(): Uint8Array {
    return this.c.bytes();
  }
  numSamples(): number {
    return this.n;
  }
  iterator(reuse?: SampleIterator): SampleIterator {
    return this.c.iteratorLimited(this.n, reuse);
  }
}

/** The chunks of one series at snapshot time, in time order. */
class HeadChunkList implements ChunkList {
  private readonly head: Head;
  private readonly mm: Float64Array;
  private readonly mmCount: number;
  private readonly memChunks: Chunk[] | null;
  private readonly openView: OpenChunkView | null;
  private readonly openMaxT: number;
  readonly length: number;

  constructor(head: Head, s: MemSeries) {
    this.head = head;
    this.mm = s.mm;
    this.mmCount = s.mmCount;
    this.memChunks = s.memChunks;
    this.openView = s.chunk === null ? null : new OpenChunkView(s.chunk, s.chunk.numSamples());
    this.openMaxT = s.chunkMaxT;
    this.length = this.mmCount + (this.openView === null ? 0 : 1);
  }

  maxTime(i: number): number {
    return i < this.mmCount ? this.mm[i * 3 + 2]! : this.openMaxT;
  }

  open(i: number): Chunk {
    if (i >= this.mmCount) return this.openView!;
    const ref = this.mm[i * 3]!;
    if (this.memChunks !== null) return this.memChunks[ref]!;
    return this.head.sink!.read(ref);
  }
}

/** Merges an in-order iterator with sorted out-of-order samples (in-order wins on equal times). */
class OooMergeIterator implements SampleIterator {
  private readonly a: SampleIterator;
  private readonly ts: Float64Array;
  private readonly vs: Float64Array;
  private j: number;
  private aOk: boolean;
  private aStarted: boolean;
  private t: number;
  private fromA: boolean;

  constructor(a: SampleIterator, ts: Float64Array, vs: Float64Array) {
    this.a = a;
    this.ts = ts;
    this.vs = vs;
    this.j = -1;
    this.aOk = false;
    this.aStarted = false;
    this.t = Number.NEGATIVE_INFINITY;
    this.fromA = false;
  }

  next(): ValueType {
    if (!this.aStarted) {
      this.aStarted = true;
      this.aOk = this.a.next() !== ValueType.None;
      this.j = 0;
    } else if (this.fromA) {
      this.aOk = this.a.next() !== ValueType.None;
    } else {
      this.j++;
    }
    return this.pick();
  }

  private pick(): ValueType {
    const hasB = this.j < this.ts.length;
    if (this.aOk) {
      const ta = this.a.atT();
      // Skip out-of-order samples duplicating an in-order timestamp.
      while (this.j < this.ts.length && this.ts[this.j]! === ta) this.j++;
      if (this.j >= this.ts.length || ta < this.ts[this.j]!) {
        this.fromA = true;
        this.t = ta;
        return ValueType.Float;
      }
    } else if (!hasB) {
      return ValueType.None;
    }
    if (this.j >= this.ts.length) return ValueType.None;
    this.fromA = false;
    this.t = this.ts[this.j]!;
    return ValueType.Float;
  }

  seek(t: number): ValueType {
    if (this.aStarted && (this.aOk || this.j < this.ts.length) && this.t >= t) return ValueType.Float;
    while (this.next() !== ValueType.None) if (this.t >= t) return ValueType.Float;
    return ValueType.None;
  }

  atT(): number {
    return this.t;
  }

  atV(): number {
    return this.fromA ? this.a.atV() : this.vs[this.j]!;
  }

  err(): Error | null {
    return this.a.err();
  }
}

/** One head series as seen by a querier. */
class HeadSeriesView implements Series {
  readonly labels: Labels;
  private readonly list: HeadChunkList;
  private readonly mint: number;
  private readonly maxt: number;
  private readonly deleted: readonly number[] | null;
  private readonly oooT: Float64Array | null;
  private readonly oooV: Float64Array | null;
  /** The newest in-order sample at snapshot time (time, value bits). */
  private readonly lastT: number;
  private readonly lastHi: number;
  private readonly lastLo: number;

  constructor(head: Head, s: MemSeries, mint: number, maxt: number) {
    this.labels = s.labels;
    this.lastT = s.lastT;
    this.lastHi = s.lastHi;
    this.lastLo = s.lastLo;
    this.list = new HeadChunkList(head, s);
    this.mint = mint;
    this.maxt = maxt;
    this.deleted = head.tombstones.get(s.ref);
    if (s.oooCount > 0) {
      // Copy the in-range out-of-order samples, minus deleted ones: the series' buffer changes in place.
      const ts: number[] = [];
      const idx: number[] = [];
      for (let i = 0; i < s.oooCount; i++) {
        const t = s.oooT![i]!;
        if (t < mint || t > maxt) continue;
        if (this.deleted !== null && isDeletedAt(this.deleted, t)) continue;
        ts.push(t);
        idx.push(i);
      }
      this.oooT = Float64Array.from(ts);
      this.oooV = new Float64Array(idx.length);
      for (let k = 0; k < idx.length; k++) this.oooV[k] = s.oooV![idx[k]!]!;
    } else {
      this.oooT = null;
      this.oooV = null;
    }
  }

  /**
   * The newest sample in `[mint, maxt]` without decoding, when it is the series'
   * last appended one and nothing (out-of-order samples, deletions) can hide or beat it.
   */
  latestInto(mint: number, maxt: number, buf: SampleBuffer): boolean {
    const t = this.lastT;
    if (this.oooT !== null || this.deleted !== null || this.list.length === 0) return false;
    if (t > maxt || t > this.maxt || t < mint || t < this.mint) return false;
    buf.pushBits(t, this.lastHi, this.lastLo);
    return true;
  }

  iterator(reuse?: SampleIterator): SampleIterator {
    let base: ChunkSeriesIterator;
    if (reuse instanceof ChunkSeriesIterator && this.oooT === null) {
      reuse.reset(this.list, this.mint, this.maxt, this.deleted);
      base = reuse;
    } else {
      base = new ChunkSeriesIterator(this.list, this.mint, this.maxt, this.deleted);
    }
    if (this.oooT === null || this.oooT.length === 0) return base;
    return new OooMergeIterator(base, this.oooT, this.oooV!);
  }
}

function isDeletedAt(iv: readonly number[], t: number): boolean {
  for (let i = 0; i < iv.length; i += 2) if (t >= iv[i]! && t <= iv[i + 1]!) return true;
  return false;
}

export class HeadQuerier implements Querier {
  private readonly head: Head;
  private readonly mint: number;
  private readonly maxt: number;

  constructor(head: Head, mint: number, maxt: number) {
    this.head = head;
    this.mint = mint;
    this.maxt = maxt;
  }

  /** Matching series with samples in range, as snapshots. */
  private matching(matchers: readonly Matcher[], limit: number): MemSeries[] {
    const head = this.head;
    const refs = head.postingsFor(matchers);
    const out: MemSeries[] = [];
    for (let i = 0; i < refs.length; i++) {
      const s = head.getByRef(refs[i]!);
      if (s === undefined || s.isEmpty()) continue;
      if (s.maxTime() < this.mint || s.minTime() > this.maxt) continue;
      out.push(s);
    }
    if (limit > 0 && out.length > limit) out.length = limit;
    return out;
  }

  select(sortSeries: boolean, hints: SelectHints | null, matchers: readonly Matcher[]): Promise<SeriesSet> {
    const found = this.matching(matchers, 0);
    if (sortSeries || (hints?.limit ?? 0) > 0) found.sort((a, b) => Labels.compare(a.labels, b.labels));
    const limit = hints?.limit ?? 0;
    const list: Series[] = [];
    for (const s of found) {
      if (limit > 0 && list.length >= limit) break;
      list.push(new HeadSeriesView(this.head, s, this.mint, this.maxt));
    }
    return Promise.resolve(new ListSeriesSet(list));
  }

  labelNames(matchers: readonly Matcher[], hints?: LabelHints): Promise<string[]> {
    const names = new Set<string>();
    if (matchers.length === 0 && this.coversHead()) {
      for (const n of this.head.postings.names()) names.add(n);
    } else {
      for (const s of this.matching(matchers, 0)) for (let i = 0; i < s.labels.length; i++) names.add(s.labels.name(i));
    }
    return Promise.resolve(limitSorted(names, hints));
  }

  labelValues(name: string, matchers: readonly Matcher[], hints?: LabelHints): Promise<string[]> {
    const values = new Set<string>();
    if (matchers.length === 0 && this.coversHead()) {
      for (const v of this.head.postings.values(name)) values.add(v);
    } else {
      for (const s of this.matching(matchers, 0)) {
        const v = s.labels.get(name);
        if (v !== '') values.add(v);
      }
    }
    return Promise.resolve(limitSorted(values, hints));
  }

  /** Whether the range covers all head data, so the postings alone answer metadata calls. */
  private coversHead(): boolean {
    return this.mint <= this.head.minT && this.maxt >= this.head.maxT;
  }

  /** A snapshot view of one series restricted to this querier's range (for head compaction). */
  seriesView(s: MemSeries): Series {
    return new HeadSeriesView(this.head, s, this.mint, this.maxt);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

function limitSorted(set: Set<string>, hints?: LabelHints): string[] {
  const out = [...set].sort(cmpStr);
  const limit = hints?.limit ?? 0;
  if (limit > 0 && out.length > limit) out.length = limit;
  return out;
}
