/**
 * An in-memory `SampleSource`: a bounded FIFO of committed samples, kept in blocks of
 * typed arrays (memory grows only while a backlog exists), plus the `SeriesTable` that
 * maps the refs in it to label sets.
 *
 * It rides out receiver outages: while the queue cannot send, samples wait here, up to
 * `limit`. Beyond that, new samples are dropped and counted (`overflowed`), because an
 * unbounded buffer would eventually take the whole process down. Restarts of Vigil lose
 * the buffer; a WAL-backed source removes that gap (see sample_source.ts).
 */
import type { Labels } from '../labels.js';
import type { SampleBatch, SampleSource } from './sample_source.js';

const BLOCK = 8192;

/** Assigns a small, stable number to every label set seen, for refs in sample batches. Shared by all sources of one tee. */
export class SeriesTable {
  private readonly byKey: Map<string, number>;
  private readonly byRef: Labels[];

  constructor() {
    this.byKey = new Map();
    this.byRef = [];
  }

  /** The ref of `labels`, assigning one on first sight. */
  ref(labels: Labels): number {
    const key = labels.key();
    let r = this.byKey.get(key);
    if (r === undefined) {
      r = this.byRef.length;
      this.byRef.push(labels);
      this.byKey.set(key, r);
    }
    return r;
  }

  labels(ref: number): Labels | undefined {
    return this.byRef[ref];
  }

  get size(): number {
    return this.byRef.length;
  }
}

class Block {
  readonly refs = new Float64Array(BLOCK);
  readonly ts = new Float64Array(BLOCK);
  readonly vs = new Float64Array(BLOCK);
  /** Read position. */
  head = 0;
  /** Write position. */
  tail = 0;
}

export class MemorySampleSource implements SampleSource {
  private readonly table: SeriesTable;
  private readonly limit: number;
  private readonly blocks: Block[];
  private size: number;
  private closed: boolean;
  private wake: (() => void) | null;
  /** Samples dropped because the buffer was full. */
  overflowed: number;

  /** `limit`: most samples buffered (default 1,000,000, about 24 MB). */
  constructor(table: SeriesTable, limit = 1_000_000) {
    this.table = table;
    this.limit = limit;
    this.blocks = [];
    this.size = 0;
    this.closed = false;
    this.wake = null;
    this.overflowed = 0;
  }

  /** Appends `n` samples (refs from the shared table). Returns how many were dropped for lack of room. */
  push(refs: Float64Array, ts: Float64Array, vs: Float64Array, n: number): number {
    if (this.closed) return n;
    let i = 0;
    const room = Math.max(0, this.limit - this.size);
    const take = Math.min(n, room);
    while (i < take) {
      let b = this.blocks[this.blocks.length - 1];
      if (b === undefined || b.tail === BLOCK) {
        b = new Block();
        this.blocks.push(b);
      }
      const k = Math.min(BLOCK - b.tail, take - i);
      b.refs.set(refs.subarray(i, i + k), b.tail);
      b.ts.set(ts.subarray(i, i + k), b.tail);
      b.vs.set(vs.subarray(i, i + k), b.tail);
      b.tail += k;
      i += k;
    }
    this.size += take;
    this.overflowed += n - take;
    if (take > 0 && this.wake !== null) {
      const w = this.wake;
      this.wake = null;
      w();
    }
    return n - take;
  }

  async read(into: SampleBatch, waitMs: number): Promise<number> {
    if (this.size === 0 && !this.closed && waitMs > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          this.wake = null;
          resolve();
        }, waitMs);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    let n = 0;
    const cap = into.capacity;
    while (n < cap && this.size > 0) {
      const b = this.blocks[0]!;
      const k = Math.min(cap - n, b.tail - b.head);
      into.refs.set(b.refs.subarray(b.head, b.head + k), n);
      into.ts.set(b.ts.subarray(b.head, b.head + k), n);
      into.vs.set(b.vs.subarray(b.head, b.head + k), n);
      b.head += k;
      n += k;
      this.size -= k;
      if (b.head === b.tail && (b.tail === BLOCK || this.blocks.length > 1)) this.blocks.shift();
      else if (b.head === b.tail) b.head = b.tail = 0;
    }
    into.n = n;
    return n;
  }

  seriesLabels(ref: number): Labels | undefined {
    return this.table.labels(ref);
  }

  pending(): number {
    return this.size;
  }

  close(): void {
    this.closed = true;
    if (this.wake !== null) {
      const w = this.wake;
      this.wake = null;
      w();
    }
  }
}
