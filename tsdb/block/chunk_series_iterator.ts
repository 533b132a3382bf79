/**
 * Iterates the samples of one series stored as a list of chunks (non-overlapping,
 * in time order), restricted to `[mint, maxt]` and skipping deleted intervals.
 * Chunks are opened lazily through `open(i)`; chunks that end before `mint` or a
 * `seek` target are skipped without being opened.
 */
import type { Chunk } from '../chunkenc/chunk.js';
import { XORIterator } from '../chunkenc/xor.js';
import { type SampleBuffer, WORD_HI, WORD_LO } from '../sample_buffer.js';
import { type SampleIterator, ValueType } from '../storage.js';
import { isDeleted } from './tombstones.js';

/** Provides the chunks of a series by position. */
export interface ChunkList {
  readonly length: number;
  /** Time of the last sample of chunk `i` (ms). */
  maxTime(i: number): number;
  /** Opens chunk `i`; may throw (a damaged chunk). */
  open(i: number): Chunk;
}

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);

export class ChunkSeriesIterator implements SampleIterator {
  private list: ChunkList;
  private mint: number;
  private maxt: number;
  private deleted: readonly number[] | null;
  private idx: number;
  private cur: SampleIterator | null;
  private spare: SampleIterator | undefined;
  private t: number;
  private v: number;
  private done: boolean;
  private error: Error | null;

  constructor(list: ChunkList, mint: number, maxt: number, deleted: readonly number[] | null) {
    this.list = list;
    this.mint = mint;
    this.maxt = maxt;
    this.deleted = deleted;
    this.idx = -1;
    this.cur = null;
    this.spare = undefined;
    this.t = Number.NaN;
    this.v = Number.NaN;
    this.done = false;
    this.error = null;
  }

  /** Restarts on another series (recycling the inner chunk iterator). */
  reset(list: ChunkList, mint: number, maxt: number, deleted: readonly number[] | null): void {
    this.list = list;
    this.mint = mint;
    this.maxt = maxt;
    this.deleted = deleted;
    this.idx = -1;
    if (this.cur !== null) this.spare = this.cur;
    this.cur = null;
    this.t = Number.NaN;
    this.v = Number.NaN;
    this.done = false;
    this.error = null;
  }

  private openNext(): boolean {
    this.idx++;
    // Chunks ending before the range are skipped unopened (no read, no decode).
    while (this.idx < this.list.length && this.list.maxTime(this.idx) < this.mint) this.idx++;
    if (this.idx >= this.list.length) {
      this.done = true;
      return false;
    }
    try {
      const c = this.list.open(this.idx);
      this.cur = c.iterator(this.cur ?? this.spare);
    } catch (e) {
      this.error = e instanceof Error ? e : new Error(String(e));
      this.done = true;
      return false;
    }
    return true;
  }

  next(): ValueType {
    if (this.done) return ValueType.None;
    for (;;) {
      const it = this.cur;
      if (it === null || it.next() === ValueType.None) {
        if (it !== null) {
          const e = it.err();
          if (e !== null) {
            this.error = e;
            this.done = true;
            return ValueType.None;
          }
        }
        if (!this.openNext()) return ValueType.None;
        continue;
      }
      const t = it.atT();
      if (t < this.mint) continue;
      if (t > this.maxt) {
        this.done = true;
        return ValueType.None;
      }
      if (this.deleted !== null && isDeleted(this.deleted, t)) continue;
      this.t = t;
      this.v = it.atV();
      return ValueType.Float;
    }
  }

  /** Appends every remaining sample to `buf`, decoding XOR chunks in bulk (see sample_buffer.ts). */
  drainInto(buf: SampleBuffer): void {
    while (!this.done) {
      const it = this.cur;
      if (it !== null && this.drainChunk(it, buf)) {
        this.done = true;
        return;
      }
      if (!this.openNext()) return;
    }
  }

  /** Drains the open chunk's iterator; true when iteration is over (past `maxt`, or failed). */
  private drainChunk(it: SampleIterator, buf: SampleBuffer): boolean {
    if (this.deleted === null && it instanceof XORIterator) {
      const past = it.decodeInto(buf, this.mint, this.maxt);
      const e = it.err();
      if (e !== null) this.error = e;
      return past || e !== null;
    }
    while (it.next() !== ValueType.None) {
      const t = it.atT();
      if (t < this.mint) continue;
      if (t > this.maxt) return true;
      if (this.deleted !== null && isDeleted(this.deleted, t)) continue;
      f64[0] = it.atV();
      buf.pushBits(t, u32[WORD_HI]!, u32[WORD_LO]!);
    }
    const e = it.err();
    if (e !== null) {
      this.error = e;
      return true;
    }
    return false;
  }

  seek(t: number): ValueType {
    if (this.done) return ValueType.None;
    if (this.cur !== null && this.t >= t) return ValueType.Float;
    if (t > this.mint) this.mint = t;
    // Stay in the open chunk if it reaches t; otherwise jump to the first later chunk that does.
    if (this.cur !== null && this.idx >= 0 && this.list.maxTime(this.idx) >= t) return this.next();
    let j = this.idx + 1;
    while (j < this.list.length && this.list.maxTime(j) < t) j++;
    this.idx = j - 1;
    if (this.cur !== null) this.spare = this.cur;
    this.cur = null;
    return this.next();
  }

  atT(): number {
    return this.t;
  }

  atV(): number {
    return this.v;
  }

  err(): Error | null {
    return this.error;
  }
}
