/**
 * One series in the head: its labels, the open XOR chunk being appended to, the
 * references of its full chunks already moved to head chunk files, and (with an
 * out-of-order window) a small sorted buffer of out-of-order samples.
 *
 * Kept small on purpose (a few numbers, one chunk, one typed array of flushed
 * chunk triples), because the head holds one per active series. Not safe for
 * concurrent use; the head's single JS thread serialises access.
 */
import type { Chunk } from '../chunkenc/chunk.js';
import type { ChunkCutState } from '../chunkenc/chunk_range.js';
import { shouldCut, startChunk } from '../chunkenc/chunk_range.js';
import { XORChunk } from '../chunkenc/xor.js';
import type { Labels } from '../labels.js';
import { WORD_HI, WORD_LO } from '../sample_buffer.js';
import type { HeadChunkFiles } from './head_chunks.js';

const NO_CHUNKS = new Float64Array(0);

/** Where full chunks go: to head chunk files, or (null) kept in memory. */
export type ChunkSink = HeadChunkFiles | null;

export class MemSeries implements ChunkCutState {
  readonly ref: number;
  readonly labels: Labels;
  /** The open chunk (its own appender), or null before the first sample / after truncation. */
  chunk: XORChunk | null;
  chunkMinT: number;
  chunkMaxT: number;
  /** Chunk-cut deadline (see chunk_range.ts). */
  nextAt: number;
  /** Newest in-order sample time; -Infinity when none was appended. */
  lastT: number;
  /** Bits of the newest in-order value (for Prometheus's duplicate check). */
  lastHi: number;
  lastLo: number;
  /** Full chunks: triples `[ref, minT, maxT]`; `ref` is a head chunk file reference. */
  mm: Float64Array;
  mmCount: number;
  /** Full chunks kept in memory when there is no chunk file sink (tests, in-memory heads). */
  memChunks: Chunk[] | null;
  /** Out-of-order samples, sorted by time; null until the first one. */
  oooT: Float64Array | null;
  oooV: Float64Array | null;
  oooCount: number;
  /** Byte size of the last full chunk: the next chunk's initial capacity, to avoid regrowth. */
  capHint: number;

  constructor(ref: number, labels: Labels) {
    this.ref = ref;
    this.labels = labels;
    this.chunk = null;
    this.chunkMinT = 0;
    this.chunkMaxT = 0;
    this.nextAt = 0;
    this.lastT = Number.NEGATIVE_INFINITY;
    this.lastHi = 0;
    this.lastLo = 0;
    this.mm = NO_CHUNKS;
    this.mmCount = 0;
    this.memChunks = null;
    this.oooT = null;
    this.oooV = null;
    this.oooCount = 0;
    this.capHint = 64;
  }

  /**
   * Appends the in-order sample `i` of a batch (`t = ts[i]` > `lastT`, checked by the
   * caller; value bits in `words[2i + WORD_HI]`, `words[2i + WORD_LO]`). Returns 1 if a new
   * chunk was cut, else 0. It takes the batch and an index rather than a time and a value
   * because V8 boxes every float passed to a call it does not inline: this runs per sample.
   */
  appendAt(ts: Float64Array, words: Uint32Array, i: number, chunkRange: number, samplesPerChunk: number, sink: ChunkSink): number {
    const t = ts[i]!;
    const hi = words[2 * i + WORD_HI]!;
    const lo = words[2 * i + WORD_LO]!;
    let cut = 0;
    const c = this.chunk;
    if (c === null) {
      this.cutChunk(t, chunkRange);
      cut = 1;
    } else {
      const n = c.numSamples();
      // Most samples cannot end a chunk: only these need the cut rule (a call with boxed times).
      if ((n === samplesPerChunk >> 2 || t >= this.nextAt || n >= samplesPerChunk * 2) && shouldCut(this, n, this.chunkMinT, this.chunkMaxT, t, samplesPerChunk)) {
        this.flushChunk(sink);
        this.cutChunk(t, chunkRange);
        cut = 1;
      }
    }
    const open = this.chunk!;
    if (cut === 1) open.appendFirst(t, hi, lo);
    else {
      // An int32 delta is passed as a small integer; a float (even integral) would be boxed.
      const d = t - open.t;
      open.appendNext(d <= 0x7fffffff ? d | 0 : d, hi | 0, lo | 0);
    }
    this.chunkMaxT = t;
    this.lastT = t;
    this.lastHi = hi;
    this.lastLo = lo;
    return cut;
  }

  private cutChunk(t: number, chunkRange: number): void {
    const c = new XORChunk(this.capHint);
    this.chunk = c;
    this.chunkMinT = t;
    this.chunkMaxT = t;
    startChunk(this, t, chunkRange);
  }

  /** Moves the open chunk to the sink (or the in-memory list) and forgets it. */
  flushChunk(sink: ChunkSink): void {
    const c = this.chunk;
    if (c === null) return;
    this.capHint = c.len + (c.len >> 3) + 8;
    if (sink === null) {
      c.compact();
      if (this.memChunks === null) this.memChunks = [];
      this.memChunks.push(c);
      this.pushMm(this.memChunks.length - 1, this.chunkMinT, this.chunkMaxT);
    } else {
      this.pushMm(sink.write(this.ref, this.chunkMinT, this.chunkMaxT, c), this.chunkMinT, this.chunkMaxT);
    }
    this.chunk = null;
  }

  private pushMm(ref: number, minT: number, maxT: number): void {
    const at = this.mmCount * 3;
    if (at + 3 > this.mm.length) {
      const nb = new Float64Array(Math.max(6, this.mm.length * 2));
      nb.set(this.mm.subarray(0, at));
      this.mm = nb;
    }
    this.mm[at] = ref;
    this.mm[at + 1] = minT;
    this.mm[at + 2] = maxT;
    this.mmCount++;
  }

  /** Inserts an out-of-order sample; returns false for a timestamp already present. */
  insertOoo(t: number, v: number): boolean {
    let ts = this.oooT;
    let vs = this.oooV;
    const n = this.oooCount;
    if (ts === null || vs === null || n === ts.length) {
      const cap = ts === null ? 8 : ts.length * 2;
      const nt = new Float64Array(cap);
      const nv = new Float64Array(cap);
      if (ts !== null && vs !== null) {
        nt.set(ts.subarray(0, n));
        nv.set(vs.subarray(0, n));
      }
      this.oooT = ts = nt;
      this.oooV = vs = nv;
    }
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (ts[mid]! < t) lo = mid + 1;
      else hi = mid;
    }
    if (lo < n && ts[lo] === t) return false;
    // Shift in place: a querier snapshot copies out-of-order samples, never views them.
    ts.copyWithin(lo + 1, lo, n);
    vs.copyWithin(lo + 1, lo, n);
    ts[lo] = t;
    vs[lo] = v;
    this.oooCount = n + 1;
    return true;
  }

  /** Oldest sample time held (in-order or out-of-order); +Infinity when empty. */
  minTime(): number {
    let m = Number.POSITIVE_INFINITY;
    if (this.mmCount > 0) m = this.mm[1]!;
    else if (this.chunk !== null) m = this.chunkMinT;
    if (this.oooCount > 0 && this.oooT![0]! < m) m = this.oooT![0]!;
    return m;
  }

  /** Newest sample time held; -Infinity when empty. */
  maxTime(): number {
    let m = Number.NEGATIVE_INFINITY;
    if (this.chunk !== null) m = this.chunkMaxT;
    else if (this.mmCount > 0) m = this.mm[this.mmCount * 3 - 1]!;
    if (this.oooCount > 0 && this.oooT![this.oooCount - 1]! > m) m = this.oooT![this.oooCount - 1]!;
    return m;
  }

  /**
   * Drops data older than `mint`: full chunks ending before it, the open chunk if
   * it ends before it, out-of-order samples before it. Returns the number of
   * chunks dropped. Arrays are replaced, never edited, so querier snapshots stay valid.
   */
  truncateBefore(mint: number): number {
    let drop = 0;
    while (drop < this.mmCount && this.mm[drop * 3 + 2]! < mint) drop++;
    if (drop > 0) {
      const keep = this.mmCount - drop;
      this.mm = keep === 0 ? NO_CHUNKS : this.mm.slice(drop * 3, this.mmCount * 3);
      this.mmCount = keep;
      if (this.memChunks !== null) {
        // In-memory chunks are addressed by index: renumber.
        this.memChunks = this.memChunks.slice(drop);
        for (let i = 0; i < keep; i++) this.mm[i * 3] = i;
      }
    }
    if (this.chunk !== null && this.chunkMaxT < mint) {
      this.chunk = null;
      drop++;
    }
    if (this.oooCount > 0) {
      let k = 0;
      while (k < this.oooCount && this.oooT![k]! < mint) k++;
      if (k === this.oooCount) {
        this.oooT = null;
        this.oooV = null;
        this.oooCount = 0;
      } else if (k > 0) {
        this.oooT = this.oooT!.slice(k, this.oooCount);
        this.oooV = this.oooV!.slice(k, this.oooCount);
        this.oooCount -= k;
      }
    }
    return drop;
  }

  /** Whether the series holds no samples at all. */
  isEmpty(): boolean {
    return this.chunk === null && this.mmCount === 0 && this.oooCount === 0;
  }
}
