/**
 * Reads an index file in Prometheus's format v2 (format v1 is refused with a clear
 * error) from a `ByteSource` (the file in memory, or paged from disk for large
 * indexes). The symbol table is kept in memory and decoded lazily, the postings
 * offset table is decoded at open; series and postings lists are read on demand.
 * Every section read is checked against its CRC-32C, so a damaged index fails
 * loudly with the file offset.
 */
import { crc32c } from '../encoding/crc32.js';
import { DecBuf, DecodeError } from '../encoding/decbuf.js';
import { Labels } from '../labels.js';
import { ChunkMeta } from './chunk_meta.js';
import { INDEX_FORMAT_V2, INDEX_MAGIC, SERIES_ALIGN } from './index_writer.js';
import { EMPTY_POSTINGS, mergePostings } from './postings.js';
import { type ByteSource, MemorySource } from './byte_source.js';
import { compareUtf8 } from './utf8_order.js';

/** A damaged or unsupported index file; `message` names the file and offset. */
export class IndexCorruptError extends Error {
  readonly code = 'index_corrupt';
  constructor(path: string, message: string) {
    super(`${path}: ${message}`);
    this.name = 'IndexCorruptError';
  }
}

/** Section offsets from an index's table of contents. */
export interface IndexToc {
  readonly symbols: number;
  readonly series: number;
  readonly labelIndices: number;
  readonly labelIndicesTable: number;
  readonly postings: number;
  readonly postingsTable: number;
}

const TOC_LEN = 6 * 8 + 4;

interface ValueOffsets {
  values: string[];
  offsets: number[];
}

/** Reused output of `IndexReader.series`: the series' labels and chunk metas. */
export class SeriesEntry {
  labels: Labels;
  chunks: ChunkMeta[];
  constructor() {
    this.labels = Labels.EMPTY;
    this.chunks = [];
  }
}

export class IndexReader {
  readonly path: string;
  private readonly src: ByteSource;
  readonly toc: IndexToc;
  /** Number of symbols. */
  readonly symbolCount: number;
  /** The symbol table section (in memory); offsets below index into it. */
  private readonly symTable: Uint8Array;
  private readonly symbolOffsets: Uint32Array;
  private readonly symbolCache: (string | undefined)[];
  /** Label name → its values (sorted) and their postings offsets. */
  private readonly postingsTable: Map<string, ValueOffsets>;
  private readonly names: string[];

  /**
   * Parses the index in `src` (a whole file's bytes, or a `ByteSource`); `path` is
   * used in error messages. The reader owns `src` and closes it in `close()`.
   */
  constructor(src: Uint8Array | ByteSource, path: string) {
    this.path = path;
    const source = src instanceof Uint8Array ? new MemorySource(src) : src;
    this.src = source;
    try {
      const size = source.size;
      if (size < 5 + TOC_LEN) throw new IndexCorruptError(path, `file too short (${size} bytes) for an index`);
      const d = new DecBuf(source.read(0, 5));
      const magic = d.be32();
      if (magic !== INDEX_MAGIC) throw new IndexCorruptError(path, `invalid magic number ${magic.toString(16)}, expected baaad700`);
      const version = d.byte();
      if (version !== INDEX_FORMAT_V2) throw new IndexCorruptError(path, `unsupported index version ${version}, expected 2`);
      const tocStart = size - TOC_LEN;
      const tb = source.read(tocStart, TOC_LEN);
      const crc = crc32c(tb, 0, TOC_LEN - 4);
      const td = new DecBuf(tb, tocStart);
      const toc: IndexToc = {
        symbols: td.be64(),
        series: td.be64(),
        labelIndices: td.be64(),
        labelIndicesTable: td.be64(),
        postings: td.be64(),
        postingsTable: td.be64(),
      };
      if (td.be32() !== crc) throw new IndexCorruptError(path, `TOC checksum mismatch at offset ${tocStart}`);
      this.toc = toc;

      // Symbols: keep the table, remember where each string starts, decode on demand.
      const sym = this.section(toc.symbols, 'symbol table');
      this.symTable = sym.b;
      const count = sym.be32();
      // Every symbol takes at least its length byte: a larger count is corruption, not an allocation request.
      if (count > sym.remaining()) throw new IndexCorruptError(path, `symbol table at offset ${toc.symbols} claims ${count} symbols in ${sym.remaining()} bytes`);
      const offs = new Uint32Array(count);
      for (let i = 0; i < count; i++) {
        offs[i] = sym.off;
        const n = sym.uvarint();
        sym.skip(n);
      }
      this.symbolCount = count;
      this.symbolOffsets = offs;
      this.symbolCache = new Array<string | undefined>(count);

      this.postingsTable = new Map();
      this.names = [];
      if (toc.postingsTable !== 0) {
        const pt = this.section(toc.postingsTable, 'postings offset table');
        const n = pt.be32();
        let cur: ValueOffsets | null = null;
        let curName = '';
        for (let i = 0; i < n; i++) {
          const keys = pt.uvarint();
          if (keys !== 2) throw new IndexCorruptError(path, `postings offset table entry ${i} has ${keys} keys, expected 2`);
          const name = pt.uvarintStr();
          const value = pt.uvarintStr();
          const off = pt.uvarint();
          if (cur === null || name !== curName) {
            cur = this.postingsTable.get(name) ?? null;
            if (cur === null) {
              cur = { values: [], offsets: [] };
              this.postingsTable.set(name, cur);
              if (name !== '') this.names.push(name);
            }
            curName = name;
          }
          cur.values.push(value);
          cur.offsets.push(off);
        }
      }
      this.names.sort(compareUtf8);
    } catch (e) {
      source.close();
      if (e instanceof DecodeError) throw new IndexCorruptError(path, e.message);
      throw e;
    }
  }

  /** Releases the underlying file. */
  close(): void {
    this.src.close();
  }

  /** A cursor over the section at `off` (`len <4b>` … `CRC32 <4b>`), after checking its CRC. */
  private section(off: number, what: string): DecBuf {
    const size = this.src.size;
    if (off + 4 > size) throw new IndexCorruptError(this.path, `${what} at offset ${off} is past the end of the file`);
    const h = this.src.read(off, 4);
    const len = ((h[0]! << 24) | (h[1]! << 16) | (h[2]! << 8) | h[3]!) >>> 0;
    const end = off + 4 + len;
    if (end + 4 > size) throw new IndexCorruptError(this.path, `${what} at offset ${off} with length ${len} runs past the end of the file`);
    const b = this.src.read(off + 4, len + 4);
    const want = ((b[len]! << 24) | (b[len + 1]! << 16) | (b[len + 2]! << 8) | b[len + 3]!) >>> 0;
    if (crc32c(b, 0, len) !== want) throw new IndexCorruptError(this.path, `${what} checksum mismatch at offset ${off}`);
    return new DecBuf(b.subarray(0, len), off + 4);
  }

  /** The symbol with id `i`. */
  symbol(i: number): string {
    const c = this.symbolCache[i];
    if (c !== undefined) return c;
    const off = this.symbolOffsets[i];
    if (off === undefined) throw new IndexCorruptError(this.path, `symbol reference ${i} out of range (${this.symbolCount} symbols)`);
    const d = new DecBuf(this.symTable.subarray(off), this.toc.symbols + 4 + off);
    const s = d.uvarintStr();
    this.symbolCache[i] = s;
    return s;
  }

  /** All symbols in order. */
  symbols(): string[] {
    const out: string[] = new Array(this.symbolCount);
    for (let i = 0; i < this.symbolCount; i++) out[i] = this.symbol(i);
    return out;
  }

  /** Label names present in the index, sorted. */
  labelNames(): readonly string[] {
    return this.names;
  }

  /** Values of label `name` in the index, sorted (empty if the name is absent). */
  labelValues(name: string): readonly string[] {
    return this.postingsTable.get(name)?.values ?? [];
  }

  /** Series ids carrying `name="value"`. */
  postings(name: string, value: string): Uint32Array {
    const e = this.postingsTable.get(name);
    if (e === undefined) return EMPTY_POSTINGS;
    // Binary search the sorted values.
    let lo = 0;
    let hi = e.values.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const c = compareUtf8(e.values[mid]!, value);
      if (c === 0) return this.readPostings(e.offsets[mid]!);
      if (c < 0) lo = mid + 1;
      else hi = mid - 1;
    }
    return EMPTY_POSTINGS;
  }

  /** Series ids whose value of `name` satisfies `match` (the union of their postings). */
  postingsForMatching(name: string, match: (value: string) => boolean): Uint32Array {
    const e = this.postingsTable.get(name);
    if (e === undefined) return EMPTY_POSTINGS;
    const lists: Uint32Array[] = [];
    for (let i = 0; i < e.values.length; i++) if (match(e.values[i]!)) lists.push(this.readPostings(e.offsets[i]!));
    return mergePostings(lists);
  }

  /** Series ids that have label `name` at all. */
  postingsForName(name: string): Uint32Array {
    return this.postingsForMatching(name, () => true);
  }

  /** Every series id in the index. */
  allPostings(): Uint32Array {
    return this.postings('', '');
  }

  private readPostings(off: number): Uint32Array {
    const d = this.section(off, 'postings list');
    const n = d.be32();
    if (n * 4 > d.remaining()) throw new IndexCorruptError(this.path, `postings list at offset ${off} claims ${n} entries but holds fewer`);
    const out = new Uint32Array(n);
    const b = d.b;
    let p = d.off;
    for (let i = 0; i < n; i++, p += 4) out[i] = ((b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!) >>> 0;
    return out;
  }

  /**
   * Decodes series `id` into `out` (labels and chunk metas; `out.chunks` is replaced).
   * Throws `IndexCorruptError` if the entry is damaged.
   */
  series(id: number, out: SeriesEntry): SeriesEntry {
    const off = id * SERIES_ALIGN;
    const size = this.src.size;
    try {
      if (off >= size) throw new IndexCorruptError(this.path, `series ${id} at offset ${off} is past the end of the file`);
      const hd = new DecBuf(this.src.read(off, Math.min(10, size - off)), off);
      const len = hd.uvarint();
      const start = off + hd.off;
      const end = start + len;
      if (end + 4 > size) throw new IndexCorruptError(this.path, `series ${id} at offset ${off} runs past the end of the file`);
      const b = this.src.read(start, len + 4);
      const want = ((b[len]! << 24) | (b[len + 1]! << 16) | (b[len + 2]! << 8) | b[len + 3]!) >>> 0;
      if (crc32c(b, 0, len) !== want) throw new IndexCorruptError(this.path, `series ${id} checksum mismatch at offset ${off}`);
      const d = new DecBuf(b.subarray(0, len), start);
      const nl = d.uvarint();
      if (nl * 2 > d.remaining()) throw new IndexCorruptError(this.path, `series ${id} at offset ${off} claims ${nl} labels in ${d.remaining()} bytes`);
      const kv: string[] = new Array(nl * 2);
      for (let i = 0; i < nl; i++) {
        kv[2 * i] = this.symbol(d.uvarint());
        kv[2 * i + 1] = this.symbol(d.uvarint());
      }
      // The index orders names by UTF-8 bytes; `Labels` by UTF-16 units. They differ
      // only for exotic names, so re-sort just when the order disagrees.
      let ordered = true;
      for (let i = 2; i < kv.length; i += 2) if (kv[i - 2]! >= kv[i]!) ordered = false;
      out.labels = ordered ? Labels.unsafeFromSorted(kv) : Labels.fromStrings(...kv);
      const nc = d.uvarint();
      if (nc * 3 > d.remaining()) throw new IndexCorruptError(this.path, `series ${id} at offset ${off} claims ${nc} chunks in ${d.remaining()} bytes`);
      const chunks: ChunkMeta[] = new Array(nc);
      if (nc > 0) {
        let mint = d.varint();
        let maxt = mint + d.uvarint();
        let ref = d.uvarint();
        chunks[0] = new ChunkMeta(ref, mint, maxt);
        for (let i = 1; i < nc; i++) {
          mint = maxt + d.uvarint();
          maxt = mint + d.uvarint();
          ref += d.varint();
          chunks[i] = new ChunkMeta(ref, mint, maxt);
        }
      }
      out.chunks = chunks;
      return out;
    } catch (e) {
      if (e instanceof DecodeError) throw new IndexCorruptError(this.path, `series ${id}: ${e.message}`);
      throw e;
    }
  }
}
