/**
 * Writes an index file in Prometheus's format v2 (`tsdb/docs/format/index.md`):
 * header, symbol table, 16-byte-aligned series, label indices, postings, label
 * offset table, postings offset table and TOC, each section CRC-32C checked.
 * The layout matches what Prometheus 2.x writes (including the legacy label
 * indices, which older readers expect to find), so Prometheus and promtool read
 * Vigil's indexes and vice versa.
 *
 * The index is built in memory and returned as bytes by `finish()`; series must
 * be added in label order, each with its chunk metas in time order.
 */
import { crc32c } from '../encoding/crc32.js';
import { EncBuf } from '../encoding/encbuf.js';
import type { Labels } from '../labels.js';
import type { ChunkMeta } from './chunk_meta.js';
import { PostingsBuilder } from './postings.js';
import { compareUtf8 } from './utf8_order.js';

/** First four bytes of an index file. */
export const INDEX_MAGIC = 0xbaaad700;
/** The index format version written. */
export const INDEX_FORMAT_V2 = 2;
/** Series entries start at multiples of this; a series id is its offset divided by it. */
export const SERIES_ALIGN = 16;

/** A violation of the writer's ordering rules (a caller bug, with the offending input). */
export class IndexWriteError extends Error {
  readonly code = 'index_write';
  constructor(message: string) {
    super(message);
    this.name = 'IndexWriteError';
  }
}

/**
 * Every label name and value of `sets`, deduplicated and in UTF-8 byte order, for
 * the symbol table. The empty string is always included, as Prometheus's own
 * symbol tables include it (the key of the all-series postings), which keeps
 * Vigil's index byte-identical to Prometheus's for the same series.
 */
export function collectSymbols(sets: Iterable<Labels>): string[] {
  const seen = new Set<string>(['']);
  for (const ls of sets) {
    for (let i = 0; i < ls.length; i++) {
      seen.add(ls.name(i));
      seen.add(ls.value(i));
    }
  }
  return [...seen].sort(compareUtf8);
}

export class IndexWriter {
  private readonly out: EncBuf;
  private readonly scratch: EncBuf;
  private readonly symbolIds: Map<string, number>;
  private readonly symbols: readonly string[];
  /** name symbol id → value symbol id → series ids. */
  private readonly postings: Map<number, Map<number, PostingsBuilder>>;
  private readonly all: PostingsBuilder;
  private readonly tocSymbols: number;
  private readonly tocSeries: number;
  private lastLabels: Labels | null;
  private lastChunkRef: number;
  private done: boolean;

  /** Starts an index whose symbol table is `symbols` (sorted by `compareUtf8`, unique; see `collectSymbols`). */
  constructor(symbols: readonly string[]) {
    this.out = new EncBuf(1 << 16);
    this.scratch = new EncBuf(256);
    this.symbolIds = new Map();
    this.symbols = symbols;
    this.postings = new Map();
    this.all = new PostingsBuilder(1024);
    this.lastLabels = null;
    this.lastChunkRef = 0;
    this.done = false;

    const o = this.out;
    o.putBE32(INDEX_MAGIC);
    o.putByte(INDEX_FORMAT_V2);
    this.tocSymbols = o.len;
    o.putBE32(0); // length, patched below
    o.putBE32(symbols.length);
    for (let i = 0; i < symbols.length; i++) {
      const s = symbols[i]!;
      if (i > 0 && compareUtf8(symbols[i - 1]!, s) >= 0) {
        throw new IndexWriteError(`symbol ${JSON.stringify(s)} is out of order or repeated after ${JSON.stringify(symbols[i - 1])}`);
      }
      this.symbolIds.set(s, i);
      o.putUvarintStr(s);
    }
    o.setBE32(this.tocSymbols, o.len - this.tocSymbols - 4);
    o.putBE32(crc32c(o.buf, this.tocSymbols + 4, o.len));
    this.tocSeries = o.len;
  }

  private sym(s: string): number {
    const id = this.symbolIds.get(s);
    if (id === undefined) throw new IndexWriteError(`symbol ${JSON.stringify(s)} is not in the symbol table`);
    return id;
  }

  /**
   * Adds a series with its chunks and returns its id (offset / 16). Series must come
   * in strictly increasing label order; chunk refs must increase across the index
   * and chunks of a series must not overlap in time.
   */
  addSeries(lset: Labels, chunks: readonly ChunkMeta[]): number {
    if (this.done) throw new IndexWriteError('addSeries after finish');
    if (this.lastLabels !== null && compareLabelsUtf8(lset, this.lastLabels) <= 0) {
      throw new IndexWriteError(`out-of-order series ${lset.toString()} added after ${this.lastLabels.toString()}`);
    }
    let lastRef = this.lastChunkRef;
    for (let i = 0; i < chunks.length; i++) {
      const c = chunks[i]!;
      if (c.ref < lastRef) throw new IndexWriteError(`unsorted chunk reference ${c.ref} after ${lastRef} in ${lset.toString()}`);
      if (c.maxTime < c.minTime) throw new IndexWriteError(`chunk maxt ${c.maxTime} is less than mint ${c.minTime} in ${lset.toString()}`);
      if (i > 0 && c.minTime <= chunks[i - 1]!.maxTime) {
        throw new IndexWriteError(`chunk mint ${c.minTime} is not after the previous chunk's maxt ${chunks[i - 1]!.maxTime} in ${lset.toString()}`);
      }
      lastRef = c.ref;
    }
    const o = this.out;
    o.padTo(SERIES_ALIGN);
    const id = o.len / SERIES_ALIGN;
    if (id > 0xffffffff) throw new IndexWriteError('index exceeds the 64 GiB addressable by 32-bit series ids');

    const b = this.scratch;
    b.reset();
    b.putUvarint(lset.length);
    for (let i = 0; i < lset.length; i++) {
      const n = this.sym(lset.name(i));
      const v = this.sym(lset.value(i));
      b.putUvarint(n);
      b.putUvarint(v);
      let byValue = this.postings.get(n);
      if (byValue === undefined) {
        byValue = new Map();
        this.postings.set(n, byValue);
      }
      let p = byValue.get(v);
      if (p === undefined) {
        p = new PostingsBuilder();
        byValue.set(v, p);
      }
      p.push(id);
    }
    b.putUvarint(chunks.length);
    if (chunks.length > 0) {
      const c0 = chunks[0]!;
      b.putVarint(c0.minTime);
      b.putUvarint(c0.maxTime - c0.minTime);
      b.putUvarint(c0.ref);
      let t0 = c0.maxTime;
      let ref0 = c0.ref;
      for (let i = 1; i < chunks.length; i++) {
        const c = chunks[i]!;
        b.putUvarint(c.minTime - t0);
        b.putUvarint(c.maxTime - c.minTime);
        b.putVarint(c.ref - ref0);
        t0 = c.maxTime;
        ref0 = c.ref;
      }
    }
    o.putUvarint(b.len);
    o.putBytes(b.get());
    o.putBE32(crc32c(b.buf, 0, b.len));
    this.all.push(id);
    this.lastLabels = lset;
    this.lastChunkRef = lastRef;
    return id;
  }

  /** Writes the remaining sections and the TOC; returns the complete index file. */
  finish(): Uint8Array {
    if (this.done) throw new IndexWriteError('finish called twice');
    this.done = true;
    const o = this.out;
    const names = [...this.postings.keys()].sort((a, b) => a - b);

    // Legacy label indices: one per label name, its values as symbol ids.
    const tocLabelIndices = o.len;
    const labelIndexOffsets: number[] = [];
    for (const n of names) {
      const values = [...this.postings.get(n)!.keys()].sort((a, b) => a - b);
      o.padTo(4);
      labelIndexOffsets.push(o.len);
      const start = o.len;
      o.putBE32(0);
      o.putBE32(1);
      o.putBE32(values.length);
      for (const v of values) o.putBE32(v);
      this.closeSection(start);
    }

    // Postings: the all-series list under ("", ""), then by name and value.
    const tocPostings = o.len;
    o.padTo(4);
    const offsetTable = new EncBuf(4096);
    let offsetCount = 0;
    const writePostings = (name: string, value: string, p: Uint32Array) => {
      o.padTo(4);
      offsetTable.putUvarint(2);
      offsetTable.putUvarintStr(name);
      offsetTable.putUvarintStr(value);
      offsetTable.putUvarint(o.len);
      offsetCount++;
      const start = o.len;
      o.putBE32(0);
      o.putBE32(p.length);
      o.ensure(p.length * 4);
      for (let i = 0; i < p.length; i++) o.putBE32(p[i]!);
      this.closeSection(start);
    };
    writePostings('', '', this.all.view());
    for (const n of names) {
      const byValue = this.postings.get(n)!;
      const values = [...byValue.keys()].sort((a, b) => a - b);
      const name = this.symbols[n]!;
      for (const v of values) writePostings(name, this.symbols[v]!, byValue.get(v)!.view());
    }

    // Label offset table.
    const tocLabelTable = o.len;
    {
      const start = o.len;
      o.putBE32(0);
      o.putBE32(names.length);
      for (let i = 0; i < names.length; i++) {
        o.putUvarint(1);
        o.putUvarintStr(this.symbols[names[i]!]!);
        o.putUvarint(labelIndexOffsets[i]!);
      }
      this.closeSection(start);
    }

    // Postings offset table.
    const tocPostingsTable = o.len;
    {
      const start = o.len;
      o.putBE32(0);
      o.putBE32(offsetCount);
      o.putBytes(offsetTable.get());
      this.closeSection(start);
    }

    const tocStart = o.len;
    o.putBE64(this.tocSymbols);
    o.putBE64(this.tocSeries);
    o.putBE64(tocLabelIndices);
    o.putBE64(tocLabelTable);
    o.putBE64(tocPostings);
    o.putBE64(tocPostingsTable);
    o.putBE32(crc32c(o.buf, tocStart, o.len));
    return o.get();
  }

  /** Patches the 4-byte length at `start` and appends the CRC of the bytes after it. */
  private closeSection(start: number): void {
    const o = this.out;
    o.setBE32(start, o.len - start - 4);
    o.putBE32(crc32c(o.buf, start + 4, o.len));
  }
}

/** `Labels.compare` in UTF-8 byte order (Prometheus's series order in an index). */
export function compareLabelsUtf8(a: Labels, b: Labels): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const an = a.name(i);
    const bn = b.name(i);
    if (an !== bn) return compareUtf8(an, bn);
    const av = a.value(i);
    const bv = b.value(i);
    if (av !== bv) return compareUtf8(av, bv);
  }
  return a.length - b.length;
}
