/**
 * Random access to the bytes of a file that readers (the index) decode from:
 * either the whole file in memory, or a file read on demand in pages with a
 * bounded LRU cache, so a large index does not have to live on the heap. Reads
 * are synchronous; for a page-cache-hot file a miss costs one `pread`, the way a
 * page fault on Prometheus's mmapped index does.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

export interface ByteSource {
  /** File size in bytes. */
  readonly size: number;
  /**
   * Bytes `[off, off + len)`. The result may share memory with a cache; callers
   * must not modify it. Throws `RangeError` past the end.
   */
  read(off: number, len: number): Uint8Array;
  /** Releases the file, if any. */
  close(): void;
}

/** A file held entirely in memory. */
export class MemorySource implements ByteSource {
  private readonly b: Uint8Array;
  constructor(b: Uint8Array) {
    this.b = b;
  }
  get size(): number {
    return this.b.length;
  }
  read(off: number, len: number): Uint8Array {
    if (off < 0 || len < 0 || off + len > this.b.length) throw new RangeError(`read [${off}, ${off + len}) past the end (${this.b.length} bytes)`);
    return this.b.subarray(off, off + len);
  }
  close(): void {}
}

/** A file read in `pageSize` pages, at most `maxPages` cached (least recently used evicted). */
export class FileSource implements ByteSource {
  readonly size: number;
  private fd: number;
  private readonly pageSize: number;
  private readonly maxPages: number;
  /** Insertion order doubles as recency order (re-inserted on use). */
  private readonly pages: Map<number, Uint8Array>;

  constructor(path: string, pageSize = 64 * 1024, maxPages = 256) {
    this.fd = openSync(path, 'r');
    this.size = fstatSync(this.fd).size;
    this.pageSize = pageSize;
    this.maxPages = maxPages;
    this.pages = new Map();
  }

  private page(n: number): Uint8Array {
    const hit = this.pages.get(n);
    if (hit !== undefined) {
      this.pages.delete(n);
      this.pages.set(n, hit);
      return hit;
    }
    const start = n * this.pageSize;
    const buf = new Uint8Array(Math.min(this.pageSize, this.size - start));
    this.fill(buf, start);
    this.pages.set(n, buf);
    if (this.pages.size > this.maxPages) this.pages.delete(this.pages.keys().next().value as number);
    return buf;
  }

  private fill(buf: Uint8Array, pos: number): void {
    if (this.fd < 0) throw new Error('read from a closed file');
    let got = 0;
    while (got < buf.length) {
      const n = readSync(this.fd, buf, got, buf.length - got, pos + got);
      if (n === 0) throw new RangeError(`unexpected end of file at ${pos + got}`);
      got += n;
    }
  }

  read(off: number, len: number): Uint8Array {
    if (off < 0 || len < 0 || off + len > this.size) throw new RangeError(`read [${off}, ${off + len}) past the end (${this.size} bytes)`);
    const first = Math.floor(off / this.pageSize);
    const last = Math.floor((off + len - 1) / this.pageSize);
    if (len > 0 && first === last) {
      const p = this.page(first);
      const s = off - first * this.pageSize;
      return p.subarray(s, s + len);
    }
    // Spans pages: large reads bypass the cache.
    const out = new Uint8Array(len);
    this.fill(out, off);
    return out;
  }

  close(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
    this.pages.clear();
  }
}
