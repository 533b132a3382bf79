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
 * `ChunkReader` loads a segment into memory the first time it is needed
 * (`load`), after which `chunk(ref)` is synchronous.
 */
import { mkdir, open, readFile, readdir } from 'node:fs/promises';
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

export class ChunkReader {
  private readonly dir: string;
  /** Segment file names in order (index = segment number in refs). */
  private readonly files: string[];
  private readonly segs: (Uint8Array | null)[];
  private readonly vr: VarintResult;

  private constructor(dir: string, files: string[]) {
    this.dir = dir;
    this.files = files;
    this.segs = files.map(() => null);
    this.vr = new VarintResult();
  }

  /** Lists the segments of `<dir>` (a block's `chunks/`); loads none of them yet. */
  static async open(dir: string): Promise<ChunkReader> {
    const names = (await readdir(dir)).filter((n) => /^\d{6,}$/.test(n)).sort();
    return new ChunkReader(dir, names);
  }

  /** Number of segment files. */
  get segmentCount(): number {
    return this.files.length;
  }

  /** Total size of the segments loaded so far plus the sizes found on disk (bytes). */
  segmentFile(i: number): string {
    return join(this.dir, this.files[i] ?? '?');
  }

  /** Makes sure segment `i` (0-based) is in memory, checking its header. */
  async loadSegment(i: number): Promise<void> {
    if (this.segs[i] !== null && this.segs[i] !== undefined) return;
    const name = this.files[i];
    if (name === undefined) throw new ChunkFileError(`${this.dir}: no segment file for segment index ${i} (${this.files.length} files)`);
    const file = join(this.dir, name);
    const b = await readFile(file);
    if (b.length < SEGMENT_HEADER_SIZE) throw new ChunkFileError(`${file}: too short for a chunks segment header (${b.length} bytes)`);
    const magic = b.readUInt32BE(0);
    if (magic !== CHUNKS_MAGIC) throw new ChunkFileError(`${file}: invalid magic number ${magic.toString(16)}, expected 85bd40dd`);
    if (b[4] !== CHUNKS_FORMAT_V1) throw new ChunkFileError(`${file}: unsupported chunks format version ${b[4]}`);
    this.segs[i] = b;
  }

  /** Loads every segment a reference in `refs` points into. */
  async load(refs: Iterable<number>): Promise<void> {
    const need = new Set<number>();
    for (const r of refs) need.add(chunkRefSegment(r));
    for (const s of need) await this.loadSegment(s);
  }

  /**
   * The chunk at `ref`, whose segment must be loaded. The chunk references the
   * segment's memory (no copy). Throws `ChunkFileError` on a bad reference or CRC.
   */
  chunk(ref: number): Chunk {
    const si = chunkRefSegment(ref);
    const off = chunkRefOffset(ref);
    const b = this.segs[si];
    if (b === null || b === undefined) throw new ChunkFileError(`${this.dir}: segment ${si} of chunk ref ${ref} is not loaded`);
    if (off < SEGMENT_HEADER_SIZE || off >= b.length) {
      throw new ChunkFileError(`${this.segmentFile(si)}: chunk offset ${off} out of range (file is ${b.length} bytes)`);
    }
    let len: number;
    let p: number;
    try {
      getUvarint(b, off, this.vr);
      len = this.vr.value;
      p = this.vr.next;
    } catch {
      throw new ChunkFileError(`${this.segmentFile(si)}: bad chunk length at offset ${off}`);
    }
    const end = p + 1 + len;
    if (end + 4 > b.length) throw new ChunkFileError(`${this.segmentFile(si)}: chunk at offset ${off} runs past the end of the file`);
    const want = ((b[end]! << 24) | (b[end + 1]! << 16) | (b[end + 2]! << 8) | b[end + 3]!) >>> 0;
    if (crc32c(b, p, end) !== want) throw new ChunkFileError(`${this.segmentFile(si)}: chunk checksum mismatch at offset ${off}`);
    const enc = b[p]!;
    const data = b.subarray(p + 1, end);
    // Chunks Vigil cannot decode (native histograms) still copy through compaction intact.
    return enc === Encoding.XOR ? chunkFromData(enc, data) : new OpaqueChunk(enc, data);
  }

  /** Forgets loaded segments (memory is released once chunks referencing it are gone). */
  release(): void {
    for (let i = 0; i < this.segs.length; i++) this.segs[i] = null;
  }
}
