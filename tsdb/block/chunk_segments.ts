/**
 * Block chunk segment files (`<block>/chunks/000001`, `000002`, …) as
 * `tsdb/docs/format/chunks.md` describes: an 8-byte header (magic 0x85BD40DD,
 * version 1, 3 bytes of padding), then chunks as `len uvarint | encoding byte |
 * data | CRC-32C(encoding + data)`. A chunk reference is (segment index << 32) |
 * byte offset, the segment index counting from 0 for the first file.
 *
 * `ChunkWriter` buffers in memory and writes in large pieces; it keeps the chunks
 * of one series in one segment and cuts a new segment before a series' chunks would
 * push a segment past `segmentSize` (Prometheus's rule, default 512 MiB).
 * `ChunkReader.read(refs)` fetches chunks with positional reads (nearby chunks in
 * one read) into a `LoadedChunks`, whose `chunk(ref)` is then synchronous.
 */
import { mkdir, open, readdir } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { type Chunk, Encoding, chunkFromData } from '../chunkenc/chunk.js';
import { OpaqueChunk } from './opaque_chunk.js';
import { crc32c } from '../encoding/crc32.js';
import { EncBuf } from '../encoding/encbuf.js';
import { VarintResult, getUvarint } from '../encoding/varint.js';
import { chunkRefOffset, chunkRefSegment, packChunkRef } from '../index/chunk_meta.js';

export const CHUNKS_MAGIC = 0x85bd40dd;
export const CHUNKS_FORMAT_V1 = 1;
export const SEGMENT_HEADER_SIZE = 8;
/** Prometheus's `DefaultChunkSegmentSize`. */
export const DEFAULT_SEGMENT_SIZE = 512 * 1024 * 1024;
const FLUSH_AT = 4 * 1024 * 1024;
// Worst-case bytes around a chunk's data: 5-byte length, encoding byte, CRC.
const CHUNK_OVERHEAD = 5 + 1 + 4;

/** A chunk file that is damaged or a reference that points nowhere; names the file and offset. */
export class ChunkFileError extends Error {
  readonly code = 'chunk_file_corrupt';
  constructor(message: string) {
    super(message);
    this.name = 'ChunkFileError';
  }
}

/** The path of segment `seq` (1-based, as named on disk) in a chunks directory. */
export function segmentPath(dir: string, seq: number): string {
  return join(dir, String(seq).padStart(6, '0'));
}

export class ChunkWriter {
  private readonly dir: string;
  private readonly segmentSize: number;
  private readonly buf: EncBuf;
  private fh: FileHandle | null;
  /** 0-based index of the current segment, -1 before the first. */
  private seg: number;
  /** Bytes in the current segment, buffered ones included. */
  private n: number;
  /** Segment file sizes, for reporting. */
  readonly sizes: number[];

  constructor(dir: string, segmentSize: number = DEFAULT_SEGMENT_SIZE) {
    this.dir = dir;
    this.segmentSize = segmentSize;
    this.buf = new EncBuf(1 << 20);
    this.fh = null;
    this.seg = -1;
    this.n = 0;
    this.sizes = [];
  }

  /**
   * Appends the chunks of one series and returns their references. Call
   * `flushIfFull` between series to bound memory.
   */
  async writeSeriesChunks(chunks: readonly Chunk[]): Promise<number[]> {
    let total = 0;
    for (const c of chunks) total += c.bytes().length + CHUNK_OVERHEAD;
    if (this.seg < 0 || (this.n > SEGMENT_HEADER_SIZE && this.n + total > this.segmentSize)) await this.cut();
    const refs: number[] = new Array(chunks.length);
    const b = this.buf;
    for (let i = 0; i < chunks.length; i++) {
      const c = chunks[i]!;
      const data = c.bytes();
      refs[i] = packChunkRef(this.seg, this.n);
      const start = b.len;
      b.putUvarint(data.length);
      const encAt = b.len;
      b.putByte(c.encoding());
      b.putBytes(data);
      b.putBE32(crc32c(b.buf, encAt, b.len));
      this.n += b.len - start;
    }
    if (b.len >= FLUSH_AT) await this.flush();
    return refs;
  }

  private async flush(): Promise<void> {
    if (this.fh === null || this.buf.len === 0) return;
    await this.fh.write(this.buf.buf, 0, this.buf.len);
    this.buf.reset();
  }

  private async cut(): Promise<void> {
    await this.finishSegment();
    if (this.seg < 0) await mkdir(this.dir, { recursive: true });
    this.seg++;
    this.fh = await open(segmentPath(this.dir, this.seg + 1), 'w');
    this.buf.putBE32(CHUNKS_MAGIC);
    this.buf.putByte(CHUNKS_FORMAT_V1);
    this.buf.putByte(0);
    this.buf.putByte(0);
    this.buf.putByte(0);
    this.n = SEGMENT_HEADER_SIZE;
  }

  private async finishSegment(): Promise<void> {
    if (this.fh === null) return;
    await this.flush();
    await this.fh.sync();
    await this.fh.close();
    this.sizes.push(this.n);
    this.fh = null;
  }

  /** Flushes, fsyncs and closes the last segment. Creates the directory even when no chunk was written. */
  async close(): Promise<void> {
    await this.finishSegment();
    await mkdir(this.dir, { recursive: true });
  }
}

/** Bytes read past a chunk's start before its length is known; most chunks fit. */
const CHUNK_GUESS = 2048;
/** Chunks closer than this are fetched in one read. */
const COALESCE_GAP = 64 * 1024;

/** One contiguous piece of a segment file read into memory. */
interface LoadedRange {
  readonly seg: number;
  readonly start: number;
  buf: Uint8Array;
}

/**
 * Chunks fetched by one `ChunkReader.read` call. They live as long as this object
 * (a querier's series keep it), independent of later reads or block deletion.
 */
export class LoadedChunks {
  private readonly reader: ChunkReader;
  /** Sorted by (segment, start). */
  private readonly ranges: LoadedRange[];
  private readonly vr: VarintResult;

  constructor(reader: ChunkReader, ranges: LoadedRange[]) {
    this.reader = reader;
    this.ranges = ranges;
    this.vr = new VarintResult();
  }

  /**
   * The chunk at `ref`, which must have been among the refs read. References the
   * loaded memory (no copy). Throws `ChunkFileError` on a bad reference or CRC.
   */
  chunk(ref: number): Chunk {
    const seg = chunkRefSegment(ref);
    const off = chunkRefOffset(ref);
    const r = this.find(seg, off);
    if (r === null) throw new ChunkFileError(`${this.reader.segmentFile(seg)}: chunk ref ${ref} (offset ${off}) was not loaded`);
    const p = off - r.start;
    const parsed = parseChunkAt(r.buf, p, this.vr);
    if (parsed === null || parsed.end + 4 > r.buf.length) {
      throw new ChunkFileError(`${this.reader.segmentFile(seg)}: chunk at offset ${off} is truncated or has a bad length`);
    }
    const b = r.buf;
    const want = ((b[parsed.end]! << 24) | (b[parsed.end + 1]! << 16) | (b[parsed.end + 2]! << 8) | b[parsed.end + 3]!) >>> 0;
    if (crc32c(b, parsed.encAt, parsed.end) !== want) throw new ChunkFileError(`${this.reader.segmentFile(seg)}: chunk checksum mismatch at offset ${off}`);
    const enc = b[parsed.encAt]!;
    const data = b.subarray(parsed.encAt + 1, parsed.end);
    // Chunks Vigil cannot decode (native histograms) still copy through compaction intact.
    return enc === Encoding.XOR ? chunkFromData(enc, data) : new OpaqueChunk(enc, data);
  }

  private find(seg: number, off: number): LoadedRange | null {
    let lo = 0;
    let hi = this.ranges.length - 1;
    let best: LoadedRange | null = null;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const r = this.ranges[mid]!;
      if (r.seg < seg || (r.seg === seg && r.start <= off)) {
        best = r;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return best !== null && best.seg === seg && off < best.start + best.buf.length ? best : null;
  }
}

/** Where a chunk's encoding byte and data end lie, relative to `b`; null if the length is unreadable. */
function parseChunkAt(b: Uint8Array, p: number, vr: VarintResult): { encAt: number; end: number } | null {
  try {
    getUvarint(b, p, vr);
  } catch {
    return null;
  }
  return { encAt: vr.next, end: vr.next + 1 + vr.value };
}

/**
 * Reads chunks from a block's segment files with positional reads: nothing is
 * cached between reads, so memory follows what queries hold, not the block size.
 */
export class ChunkReader {
  private readonly dir: string;
  /** Segment file names in order (index = segment number in refs). */
  private readonly files: string[];
  private readonly handles: (FileHandle | null)[];
  private readonly sizes: number[];

  private constructor(dir: string, files: string[]) {
    this.dir = dir;
    this.files = files;
    this.handles = files.map(() => null);
    this.sizes = files.map(() => -1);
  }

  /** Lists the segments of `<dir>` (a block's `chunks/`) and checks each header. */
  static async open(dir: string): Promise<ChunkReader> {
    const names = (await readdir(dir)).filter((n) => /^\d{6,}$/.test(n)).sort();
    const r = new ChunkReader(dir, names);
    for (let i = 0; i < names.length; i++) await r.handle(i);
    return r;
  }

  /** Number of segment files. */
  get segmentCount(): number {
    return this.files.length;
  }

  /** Path of segment `i` (0-based), for messages. */
  segmentFile(i: number): string {
    return join(this.dir, this.files[i] ?? `<segment ${i}>`);
  }

  private async handle(i: number): Promise<FileHandle> {
    const h = this.handles[i];
    if (h !== null && h !== undefined) return h;
    const name = this.files[i];
    if (name === undefined) throw new ChunkFileError(`${this.dir}: no segment file for segment index ${i} (${this.files.length} files)`);
    const file = join(this.dir, name);
    const fh = await open(file, 'r');
    const size = (await fh.stat()).size;
    const hdr = new Uint8Array(SEGMENT_HEADER_SIZE);
    const { bytesRead } = await fh.read(hdr, 0, SEGMENT_HEADER_SIZE, 0);
    const fail = async (msg: string) => {
      await fh.close();
      throw new ChunkFileError(`${file}: ${msg}`);
    };
    if (bytesRead < SEGMENT_HEADER_SIZE) await fail(`too short for a chunks segment header (${size} bytes)`);
    const magic = ((hdr[0]! << 24) | (hdr[1]! << 16) | (hdr[2]! << 8) | hdr[3]!) >>> 0;
    if (magic !== CHUNKS_MAGIC) await fail(`invalid magic number ${magic.toString(16)}, expected 85bd40dd`);
    if (hdr[4] !== CHUNKS_FORMAT_V1) await fail(`unsupported chunks format version ${hdr[4]}`);
    this.handles[i] = fh;
    this.sizes[i] = size;
    return fh;
  }

  private async readAt(seg: number, start: number, end: number): Promise<Uint8Array> {
    const fh = await this.handle(seg);
    const stop = Math.min(end, this.sizes[seg]!);
    if (start >= stop) throw new ChunkFileError(`${this.segmentFile(seg)}: chunk offset ${start} is past the end of the file (${this.sizes[seg]} bytes)`);
    const buf = new Uint8Array(stop - start);
    let got = 0;
    while (got < buf.length) {
      const { bytesRead } = await fh.read(buf, got, buf.length - got, start + got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    return got === buf.length ? buf : buf.subarray(0, got);
  }

  /**
   * Fetches the chunks at `refs` (ascending, as a block's index lists them), reading
   * nearby chunks together. Throws `ChunkFileError` for refs outside the files.
   */
  async read(refs: ArrayLike<number>): Promise<LoadedChunks> {
    const ranges: LoadedRange[] = [];
    const vr = new VarintResult();
    let i = 0;
    while (i < refs.length) {
      const seg = chunkRefSegment(refs[i]!);
      const start = chunkRefOffset(refs[i]!);
      if (start < SEGMENT_HEADER_SIZE) throw new ChunkFileError(`${this.segmentFile(seg)}: chunk offset ${start} is inside the segment header`);
      let j = i + 1;
      let last = start;
      while (j < refs.length && chunkRefSegment(refs[j]!) === seg && chunkRefOffset(refs[j]!) >= last && chunkRefOffset(refs[j]!) - last <= COALESCE_GAP) {
        last = chunkRefOffset(refs[j]!);
        j++;
      }
      const r: LoadedRange = { seg, start, buf: await this.readAt(seg, start, last + CHUNK_GUESS) };
      // Extend the read when a chunk runs past what was fetched (large chunks, or the last one).
      for (let k = i; k < j; k++) {
        const p = chunkRefOffset(refs[k]!) - start;
        if (p + 10 > r.buf.length && r.start + r.buf.length < this.sizes[seg]!) await this.extend(r, p + 10);
        const c = parseChunkAt(r.buf, p, vr);
        if (c !== null && c.end + 4 > r.buf.length && r.start + r.buf.length < this.sizes[seg]!) await this.extend(r, c.end + 4);
      }
      ranges.push(r);
      i = j;
    }
    return new LoadedChunks(this, ranges);
  }

  private async extend(r: LoadedRange, len: number): Promise<void> {
    const more = await this.readAt(r.seg, r.start + r.buf.length, r.start + len);
    const nb = new Uint8Array(r.buf.length + more.length);
    nb.set(r.buf);
    nb.set(more, r.buf.length);
    r.buf = nb;
  }

  /** Closes the segment files. */
  async close(): Promise<void> {
    for (let i = 0; i < this.handles.length; i++) {
      const h = this.handles[i];
      this.handles[i] = null;
      if (h) await h.close();
    }
  }
}
