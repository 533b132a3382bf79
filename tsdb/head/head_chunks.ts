/**
 * Head chunk files: full head chunks moved out of the JavaScript heap into
 * `chunks_head/NNNNNN`, in Prometheus's format (`tsdb/docs/format/head_chunks.md`):
 *
 *   file:  magic 0x0130BC91 (4) | version 1 (1) | padding (3) | chunk…
 *   chunk: series ref (8, BE) | mint (8) | maxt (8) | encoding (1) | len (uvarint)
 *          | data | CRC32-Castagnoli of everything before it in the chunk (4)
 *
 * A chunk reference is `file sequence × 2^32 + offset`. Writes are buffered
 * (`bufferSize`) and handed to the OS when the buffer fills, on `flush()` and
 * on close; reads of chunks still in the buffer are served from it. Files are
 * cut at `maxFileSize` (128 MiB, as Prometheus).
 *
 * Durability is not needed: the WAL holds every sample, and on open Vigil
 * rebuilds the head from the WAL and starts these files afresh.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readdirSync, readSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { type Chunk, chunkFromData } from '../chunkenc/chunk.js';
import { crc32c } from '../encoding/crc32.js';
import { putUvarint } from '../encoding/varint.js';

export const HEAD_CHUNKS_MAGIC = 0x0130bc91;
export const HEAD_CHUNK_FILE_HEADER = 8;
export const DEFAULT_HEAD_CHUNK_FILE_SIZE = 128 * 1024 * 1024;
const TWO32 = 4294967296;
// series ref + mint + maxt + encoding + max uvarint.
const MAX_CHUNK_HEADER = 8 + 8 + 8 + 1 + 5;
// Bytes read at once when fetching a chunk: a 120-sample chunk is usually 150–700 bytes.
const READ_AHEAD = 1024;
// Read cache: flushed file contents in pages (Prometheus mmaps these files; the page
// cache plays that part), so a query's chunk reads are not one syscall each.
const PAGE_SIZE = 64 * 1024;
const PAGE_KEY = 2 ** 21;
/** Default bound of the read cache (bytes). */
export const DEFAULT_HEAD_CHUNK_READ_CACHE = 32 * 1024 * 1024;

/** A cached page: its bytes (shorter than a page at the end of a file) and the chunk offsets whose CRC was checked. */
interface Page {
  bytes: Uint8Array;
  verified: Set<number>;
}

/** A head chunk file could not be written or read back. */
export class HeadChunkError extends Error {
  readonly code = 'head_chunk_io';
  constructor(message: string) {
    super(message);
    this.name = 'HeadChunkError';
  }
}

export interface HeadChunkFilesOptions {
  /** Largest file before a new one is started (bytes); default 128 MiB. */
  readonly maxFileSize?: number;
  /** Write buffer (bytes); default 1 MiB. */
  readonly bufferSize?: number;
  /** Bound of the read cache of file pages (bytes); default 32 MiB, 0 disables. */
  readonly readCacheSize?: number;
}

/** Writer and reader of one `chunks_head/` directory. Single-threaded use only. */
export class HeadChunkFiles {
  readonly dir: string;
  private readonly maxFileSize: number;
  private buf: Uint8Array;
  private dv: DataView;
  /** Bytes in `buf` not yet written to the file. */
  private bufLen: number;
  /** File offset of `buf[0]`. */
  private bufStart: number;
  private seq: number;
  private fd: number;
  private readonly readFds: Map<number, number>;
  private readonly hdr: Uint8Array;
  private readonly hdv: DataView;
  private readonly fileSizes: Map<number, number>;
  /** Total bytes written to all live files (for size-based retention and metrics). */
  size: number;
  /** Failed writes (e.g. a full disk); chunks then stay in the write buffer and are retried. */
  ioErrors: number;
  /** Read cache, oldest page first (evicted first). */
  private readonly pages: Map<number, Page>;
  private readonly maxPages: number;

  /** Opens `dir`, discarding any files in it (the head is rebuilt from the WAL). */
  constructor(dir: string, opts: HeadChunkFilesOptions = {}) {
    this.dir = dir;
    this.maxFileSize = opts.maxFileSize ?? DEFAULT_HEAD_CHUNK_FILE_SIZE;
    const bs = opts.bufferSize ?? 1024 * 1024;
    this.buf = new Uint8Array(bs);
    this.dv = new DataView(this.buf.buffer);
    this.hdr = new Uint8Array(MAX_CHUNK_HEADER);
    this.hdv = new DataView(this.hdr.buffer);
    this.fileSizes = new Map();
    this.bufLen = 0;
    this.bufStart = 0;
    this.seq = 0;
    this.fd = -1;
    this.readFds = new Map();
    this.size = 0;
    this.ioErrors = 0;
    this.pages = new Map();
    this.maxPages = Math.floor((opts.readCacheSize ?? DEFAULT_HEAD_CHUNK_READ_CACHE) / PAGE_SIZE);
    mkdirSync(dir, { recursive: true });
    for (const f of readdirSync(dir)) if (/^\d{6}$/.test(f)) rmSync(join(dir, f), { force: true });
    this.nextFile();
  }

  private nextFile(): void {
    this.flush();
    // The old file's descriptor stays open in readFds: its chunks are still read.
    const path = join(this.dir, String(this.seq + 1).padStart(6, '0'));
    this.fd = openSync(path, 'w+');
    this.seq++;
    this.readFds.set(this.seq, this.fd);
    this.bufStart = 0;
    this.dv.setUint32(0, HEAD_CHUNKS_MAGIC);
    this.buf[4] = 1;
    this.buf[5] = 0;
    this.buf[6] = 0;
    this.buf[7] = 0;
    this.bufLen = HEAD_CHUNK_FILE_HEADER;
    this.size += HEAD_CHUNK_FILE_HEADER;
    this.fileSizes.set(this.seq, HEAD_CHUNK_FILE_HEADER);
  }

  /** Writes a chunk of series `seriesRef` spanning `[mint, maxt]`; returns its reference. */
  write(seriesRef: number, mint: number, maxt: number, chunk: Chunk): number {
    const data = chunk.bytes();
    const h = this.hdr;
    const hv = this.hdv;
    putInt64(hv, 0, seriesRef);
    putInt64(hv, 8, mint);
    putInt64(hv, 16, maxt);
    h[24] = chunk.encoding();
    const hl = putUvarint(h, 25, data.length);
    const total = hl + data.length + 4;
    if (this.bufStart + this.bufLen + total > this.maxFileSize && this.bufStart + this.bufLen > HEAD_CHUNK_FILE_HEADER) {
      try {
        this.nextFile();
      } catch {
        // Cannot start a new file (disk full?): keep writing to the current one.
        this.ioErrors++;
      }
    }
    if (this.bufLen + total > this.buf.length) {
      this.tryFlush();
      // Still no room (a failing disk, or a huge chunk): grow the buffer rather than lose the chunk.
      if (this.bufLen + total > this.buf.length) this.growBuffer(this.bufLen + total);
    }
    const off = this.bufStart + this.bufLen;
    const ref = this.seq * TWO32 + off;
    const b = this.buf;
    const at = this.bufLen;
    b.set(h.subarray(0, hl), at);
    b.set(data, at + hl);
    const crc = crc32c(b, at, at + hl + data.length);
    this.dv.setUint32(at + hl + data.length, crc);
    this.bufLen += total;
    this.size += total;
    this.fileSizes.set(this.seq, off + total);
    return ref;
  }

  private growBuffer(need: number): void {
    let cap = this.buf.length * 2;
    while (cap < need) cap *= 2;
    const nb = new Uint8Array(cap);
    nb.set(this.buf.subarray(0, this.bufLen));
    this.buf = nb;
    this.dv = new DataView(nb.buffer);
  }

  /** `flush`, counting instead of throwing on I/O errors (the data stays buffered for the next try). */
  tryFlush(): void {
    try {
      this.flush();
    } catch {
      this.ioErrors++;
    }
  }

  private writeAll(b: Uint8Array, from: number, to: number, pos: number): void {
    while (from < to) {
      const n = writeSync(this.fd, b, from, to - from, pos);
      from += n;
      pos += n;
    }
  }

  /** Hands buffered chunks to the OS. */
  flush(): void {
    if (this.bufLen === 0 || this.fd < 0) return;
    this.writeAll(this.buf, 0, this.bufLen, this.bufStart);
    this.bufStart += this.bufLen;
    this.bufLen = 0;
  }

  /**
   * Reads back the chunk at `ref`, verifying its CRC. The returned chunk owns a
   * fresh copy of the data. Throws `HeadChunkError` for a bad reference or checksum.
   */
  read(ref: number): Chunk {
    const seq = Math.floor(ref / TWO32);
    const off = ref - seq * TWO32;
    if (this.maxPages > 0 && !(seq === this.seq && off >= this.bufStart)) {
      const c = this.readCached(ref, seq, off);
      if (c !== null) return c;
    }
    let head: Uint8Array;
    let fromBuf = false;
    let got = 0;
    if (seq === this.seq && off >= this.bufStart) {
      head = this.buf.subarray(off - this.bufStart, this.bufLen);
      fromBuf = true;
    } else {
      const fd = this.readFds.get(seq);
      if (fd === undefined) throw new HeadChunkError(`head chunk ${ref}: file ${seq} is not open`);
      // One read covers header and data of a typical chunk; larger ones take a second read.
      head = new Uint8Array(READ_AHEAD);
      got = readSync(fd, head, 0, READ_AHEAD, off);
      if (got < MAX_CHUNK_HEADER) head = head.subarray(0, got);
    }
    // Decode the uvarint length after the 25 fixed bytes.
    let len = 0;
    let mul = 1;
    let p = 25;
    for (;;) {
      if (p >= head.length) throw new HeadChunkError(`head chunk ${ref}: truncated header in file ${seq}`);
      const c = head[p++]!;
      len += (c & 0x7f) * mul;
      if (c < 0x80) break;
      mul *= 128;
    }
    const enc = head[24]!;
    const total = p + len + 4;
    let rec: Uint8Array;
    if (fromBuf || total <= got) {
      if (total > head.length) throw new HeadChunkError(`head chunk ${ref}: truncated chunk in file ${seq}`);
      rec = head.subarray(0, total);
    } else {
      rec = new Uint8Array(total);
      const fd = this.readFds.get(seq)!;
      const n = readSync(fd, rec, 0, total, off);
      if (n !== total) throw new HeadChunkError(`head chunk ${ref}: short read in file ${seq} (${n} of ${total} bytes)`);
    }
    const want = new DataView(rec.buffer, rec.byteOffset, rec.byteLength).getUint32(p + len);
    if (crc32c(rec, 0, p + len) !== want) throw new HeadChunkError(`head chunk ${ref}: checksum mismatch in file ${seq} at offset ${off}`);
    // Buffered chunks are copied (the buffer is reused); file reads own their bytes already.
    return chunkFromData(enc, fromBuf ? rec.slice(p, p + len) : rec.subarray(p, p + len));
  }

  /**
   * Reads the chunk at `ref` through the page cache, or returns null when it
   * straddles a page boundary (then `read` fetches it directly). The chunk views
   * the page: flushed file bytes never change.
   */
  private readCached(ref: number, seq: number, off: number): Chunk | null {
    const pi = Math.floor(off / PAGE_SIZE);
    const within = off - pi * PAGE_SIZE;
    let page = this.page(seq, pi, false);
    if (page === null) return null;
    let b = page.bytes;
    let p = within + 25;
    let len = 0;
    let mul = 1;
    for (;;) {
      if (p >= b.length) {
        // Past the bytes cached: a partial last page may have grown since; else the chunk straddles.
        if (b.length === PAGE_SIZE) return null;
        page = this.page(seq, pi, true);
        if (page === null || page.bytes.length === b.length) return null;
        b = page.bytes;
        continue;
      }
      const c = b[p++]!;
      len += (c & 0x7f) * mul;
      if (c < 0x80) break;
      mul *= 128;
    }
    const end = p + len + 4;
    if (end > b.length) {
      if (b.length === PAGE_SIZE) return null;
      page = this.page(seq, pi, true);
      if (page === null || end > page.bytes.length) return null;
      b = page.bytes;
    }
    if (!page.verified.has(within)) {
      const want = ((b[p + len]! << 24) | (b[p + len + 1]! << 16) | (b[p + len + 2]! << 8) | b[p + len + 3]!) >>> 0;
      if (crc32c(b, within, p + len) !== want) throw new HeadChunkError(`head chunk ${ref}: checksum mismatch in file ${seq} at offset ${off}`);
      page.verified.add(within);
    }
    return chunkFromData(b[within + 24]!, b.subarray(p, p + len));
  }

  /** Page `pi` of file `seq` (read from disk when missing or when `reload`); null if the file is gone. */
  private page(seq: number, pi: number, reload: boolean): Page | null {
    const key = seq * PAGE_KEY + pi;
    if (!reload) {
      const hit = this.pages.get(key);
      if (hit !== undefined) return hit;
    }
    const fd = this.readFds.get(seq);
    if (fd === undefined) return null;
    // Only bytes handed to the OS: the current file's tail still sits in the write buffer.
    const flushed = seq === this.seq ? this.bufStart : (this.fileSizes.get(seq) ?? 0);
    const want = Math.min(PAGE_SIZE, flushed - pi * PAGE_SIZE);
    if (want <= 0) return null;
    const bytes = new Uint8Array(want);
    let got = 0;
    while (got < want) {
      const n = readSync(fd, bytes, got, want - got, pi * PAGE_SIZE + got);
      if (n <= 0) break;
      got += n;
    }
    const page: Page = { bytes: got === want ? bytes : bytes.subarray(0, got), verified: new Set() };
    this.pages.delete(key);
    this.pages.set(key, page);
    while (this.pages.size > this.maxPages) {
      const oldest = this.pages.keys().next();
      if (oldest.done === true) break;
      this.pages.delete(oldest.value);
    }
    return page;
  }

  /**
   * Deletes files whose every chunk is older than what the head still needs:
   * all files with sequence < `minLiveSeq` (never the current one).
   */
  dropFilesBefore(minLiveSeq: number): void {
    for (const [seq, fd] of this.readFds) {
      if (seq >= minLiveSeq || seq === this.seq) continue;
      closeSync(fd);
      this.readFds.delete(seq);
      for (const key of this.pages.keys()) if (Math.floor(key / PAGE_KEY) === seq) this.pages.delete(key);
      this.size -= this.fileSizes.get(seq) ?? 0;
      this.fileSizes.delete(seq);
      rmSync(join(this.dir, String(seq).padStart(6, '0')), { force: true });
    }
  }

  /** Sequence number of the file currently written. */
  currentSeq(): number {
    return this.seq;
  }

  /** Flushes and fsyncs the current file. */
  sync(): void {
    this.flush();
    if (this.fd >= 0) fsyncSync(this.fd);
  }

  close(): void {
    this.tryFlush();
    for (const fd of this.readFds.values()) closeSync(fd);
    this.readFds.clear();
    this.pages.clear();
    this.fd = -1;
  }
}

/** Writes an integer |v| < 2^53 as a big-endian two's-complement int64. */
function putInt64(dv: DataView, off: number, v: number): void {
  const hi = Math.floor(v / TWO32);
  dv.setInt32(off, hi);
  dv.setUint32(off + 4, v - hi * TWO32);
}

/** File sequence of a head chunk reference. */
export function headChunkSeq(ref: number): number {
  return Math.floor(ref / TWO32);
}
