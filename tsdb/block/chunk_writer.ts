/**
 * Writes a block's chunk segment files (format in chunk_segments.ts). Buffers in
 * memory and writes in large pieces; cuts a new segment before a chunk would push
 * the current one past `segmentSize` (default 512 MiB), batching exactly as
 * Prometheus does so multi-segment blocks come out the same.
 */
import { mkdir, open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import type { Chunk } from '../chunkenc/chunk.js';
import { crc32c } from '../encoding/crc32.js';
import { EncBuf } from '../encoding/encbuf.js';
import { packChunkRef } from '../index/chunk_meta.js';
import { CHUNKS_FORMAT_V1, CHUNKS_MAGIC, DEFAULT_SEGMENT_SIZE, SEGMENT_HEADER_SIZE, segmentPath } from './chunk_segments.js';

const FLUSH_AT = 4 * 1024 * 1024;
// Worst-case bytes around a chunk's data: 5-byte length, encoding byte, CRC.
const CHUNK_OVERHEAD = 5 + 1 + 4;

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
   * Appends the chunks of one series and returns their references. Buffered data
   * goes to disk every 4 MiB, so memory stays bounded whatever the block size.
   */
  async writeSeriesChunks(chunks: readonly Chunk[]): Promise<number[]> {
    // Prometheus's batching (`chunks.Writer.WriteChunks`): a series' chunks go into
    // the current segment until the next one would overflow it, then a new segment
    // is cut; a segment never starts empty-handed unless one chunk alone is too big.
    const bounds: number[] = [0];
    let batchSize = 0;
    let firstBatch = true;
    for (let i = 0; i < chunks.length; i++) {
      const size = CHUNK_OVERHEAD + chunks[i]!.bytes().length;
      batchSize += size;
      let cut = i !== 0 && batchSize + SEGMENT_HEADER_SIZE > this.segmentSize;
      if (firstBatch && this.n > SEGMENT_HEADER_SIZE) {
        cut = batchSize + this.n > this.segmentSize;
        if (cut) firstBatch = false;
      }
      if (cut) {
        bounds.push(i);
        batchSize = size;
      }
    }
    bounds.push(chunks.length);
    if (this.seg < 0) await this.cut();
    const refs: number[] = new Array(chunks.length);
    const b = this.buf;
    for (let k = 0; k + 1 < bounds.length; k++) {
      for (let i = bounds[k]!; i < bounds[k + 1]!; i++) {
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
      if (k + 2 < bounds.length) await this.cut();
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

