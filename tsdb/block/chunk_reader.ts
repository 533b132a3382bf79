/**
 * Reads chunks from a block's segment files (format in chunk_segments.ts) with
 * positional reads: `ChunkReader.read(refs)` fetches the chunks a query needs
 * (nearby chunks in one read) into a `LoadedChunks`, whose `chunk(ref)` is then
 * synchronous. Nothing is cached between reads, so memory follows what queries
 * hold, not the size of the block.
 */
import { open, readdir } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { type Chunk, Encoding, chunkFromData } from '../chunkenc/chunk.js';
import { crc32c } from '../encoding/crc32.js';
import { VarintResult, getUvarint } from '../encoding/varint.js';
import { chunkRefOffset, chunkRefSegment } from '../index/chunk_meta.js';
import { CHUNKS_FORMAT_V1, CHUNKS_MAGIC, ChunkFileError, SEGMENT_HEADER_SIZE } from './chunk_segments.js';
import { OpaqueChunk } from './opaque_chunk.js';

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

  /** The encoding byte of the loaded chunk at `ref`, or -1 when it cannot be read. */
  encodingOf(ref: number): number {
    const r = this.find(chunkRefSegment(ref), chunkRefOffset(ref));
    if (r === null) return -1;
    const parsed = parseChunkAt(r.buf, chunkRefOffset(ref) - r.start, this.vr);
    return parsed === null || parsed.encAt >= r.buf.length ? -1 : r.buf[parsed.encAt]!;
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
