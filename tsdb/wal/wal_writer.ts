/**
 * The WAL writer: Prometheus's page and fragment framing (`tsdb/wlog/wlog.go`).
 *
 * Records are split into fragments `type | len (2, BE) | CRC32C (4, BE) | data`
 * that never cross a 32 KiB page; a page with fewer than 7 bytes left is padded
 * with zeros; a record never crosses a segment (a new one is started when the
 * record does not fit). `log()` writes the bytes of the records to the segment
 * file with `writeSync` before returning, so once it returns a killed process
 * loses nothing; the OS's cache reaches the disk at the next `fsync`, which runs
 * every `syncIntervalMs` (0 = after every `log`). Like Prometheus, the writer
 * always starts a fresh segment when opened.
 *
 * After a failed write (e.g. ENOSPC) the segment is truncated back to its last
 * complete record and the next `log()` starts a new segment, so a failed commit
 * never leaves a half record that a later commit would bury.
 */
import { closeSync, fsync, fsyncSync, ftruncateSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { crc32c } from '../encoding/crc32.js';
import {
  DEFAULT_SEGMENT_SIZE,
  FRAG_FIRST,
  FRAG_FULL,
  FRAG_LAST,
  FRAG_MIDDLE,
  PAGE_SIZE,
  RECORD_HEADER_SIZE,
  listSegments,
  segmentPath,
} from './segment.js';

/** Schedules a repeating task; returns a function that cancels it. Injectable for tests. */
export type Every = (ms: number, fn: () => void) => () => void;

const realEvery: Every = (ms, fn) => {
  const h = setInterval(fn, ms);
  h.unref();
  return () => clearInterval(h);
};

export interface WalWriterOptions {
  /** Segment size limit (bytes), a multiple of 32 KiB; default 128 MiB. */
  readonly segmentSize?: number;
  /** fsync period (ms); 0 fsyncs after every `log`. Default 1000. */
  readonly syncIntervalMs?: number;
  /** Timer used for periodic fsync (default `setInterval`, unref'd). */
  readonly every?: Every;
  /** Clock for fsync durations (ms). */
  readonly now?: () => number;
}

/** A WAL write failed; the records were not logged. */
export class WalWriteError extends Error {
  readonly code = 'wal_write_failed';
  override readonly cause: unknown;
  constructor(message: string, cause: unknown) {
    super(message);
    this.name = 'WalWriteError';
    this.cause = cause;
  }
}

export class WalWriter {
  readonly dir: string;
  private readonly segmentSize: number;
  private readonly syncIntervalMs: number;
  private readonly now: () => number;
  private readonly page: Uint8Array;
  private alloc: number;
  private flushed: number;
  private donePages: number;
  private seg: number;
  private fd: number;
  /** File size of the segment after the last fully written `log`. */
  private goodSize: number;
  /** Current file size of the segment. */
  private fileSize: number;
  private broken: boolean;
  private dirty: boolean;
  private syncing: boolean;
  private readonly cancelTimer: (() => void) | null;
  private closed: boolean;
  /** Self-metrics. */
  fsyncCount = 0;
  fsyncSeconds = 0;
  bytesWritten = 0;
  recordsWritten = 0;
  writeFailures = 0;
  segmentsCreated = 0;

  /** Opens `dir` (created if missing) and starts a new segment after the last existing one. */
  constructor(dir: string, opts: WalWriterOptions = {}) {
    this.dir = dir;
    const size = opts.segmentSize ?? DEFAULT_SEGMENT_SIZE;
    if (size % PAGE_SIZE !== 0 || size <= 0) throw new RangeError(`WAL segment size ${size} is not a positive multiple of ${PAGE_SIZE}`);
    this.segmentSize = size;
    this.syncIntervalMs = opts.syncIntervalMs ?? 1000;
    this.now = opts.now ?? Date.now;
    this.page = new Uint8Array(PAGE_SIZE);
    this.alloc = 0;
    this.flushed = 0;
    this.donePages = 0;
    this.fd = -1;
    this.goodSize = 0;
    this.fileSize = 0;
    this.broken = false;
    this.dirty = false;
    this.syncing = false;
    this.closed = false;
    mkdirSync(dir, { recursive: true });
    const segs = listSegments(dir);
    this.seg = segs.length === 0 ? -1 : segs[segs.length - 1]!;
    this.openNext();
    this.cancelTimer = this.syncIntervalMs > 0 ? (opts.every ?? realEvery)(this.syncIntervalMs, () => this.syncAsync()) : null;
  }

  /** Sequence number of the segment being written. */
  currentSegment(): number {
    return this.seg;
  }

  private openNext(): void {
    if (this.fd >= 0) {
      // Finish the old segment: pad its last page, make it durable.
      if (this.alloc > 0) this.flushPage(true);
      const old = this.fd;
      this.fd = -1;
      try {
        fsyncSync(old);
      } finally {
        closeSync(old);
      }
    }
    this.seg++;
    this.fd = openSync(segmentPath(this.dir, this.seg), 'w');
    this.page.fill(0);
    this.alloc = 0;
    this.flushed = 0;
    this.donePages = 0;
    this.goodSize = 0;
    this.fileSize = 0;
    this.segmentsCreated++;
  }

  /** Closes the current segment and starts the next (Prometheus's `NextSegment`). */
  nextSegment(): number {
    this.openNext();
    return this.seg;
  }

  private pagesPerSegment(): number {
    return this.segmentSize / PAGE_SIZE;
  }

  /**
   * Logs the records, in order, handing them to the OS before returning. Throws
   * `WalWriteError` when the write fails; then none of the records count as logged.
   */
  log(records: readonly Uint8Array[]): void {
    if (this.closed) throw new WalWriteError('cannot write to the WAL: it is closed', null);
    try {
      if (this.broken) {
        // The page holds parts of the failed record: drop it, leave the old segment as truncated.
        this.page.fill(0);
        this.alloc = 0;
        this.flushed = 0;
        this.openNext();
        this.broken = false;
      }
      for (let i = 0; i < records.length; i++) this.logOne(records[i]!, i === records.length - 1);
    } catch (e) {
      this.writeFailures++;
      this.recover();
      const what = e instanceof Error ? e.message : String(e);
      throw new WalWriteError(`cannot write to the WAL segment ${segmentPath(this.dir, this.seg)}: ${what}`, e);
    }
    this.goodSize = this.fileSize;
    this.dirty = true;
    if (this.syncIntervalMs === 0) this.sync();
  }

  /** Drops whatever a failed `log` wrote after the last good record. */
  private recover(): void {
    this.broken = true;
    try {
      if (this.fd >= 0) ftruncateSync(this.fd, this.goodSize);
    } catch {
      // The next log() starts a new segment anyway; a reader stops at the torn tail.
    }
  }

  private logOne(rec: Uint8Array, final: boolean): void {
    let left = PAGE_SIZE - this.alloc - RECORD_HEADER_SIZE;
    left += (PAGE_SIZE - RECORD_HEADER_SIZE) * (this.pagesPerSegment() - this.donePages - 1);
    if (rec.length > left && (this.donePages > 0 || this.alloc > 0)) this.openNext();
    let off = 0;
    for (let i = 0; i === 0 || off < rec.length; i++) {
      const room = PAGE_SIZE - this.alloc - RECORD_HEADER_SIZE;
      const l = Math.min(rec.length - off, room);
      const last = off + l === rec.length;
      const typ = i === 0 ? (last ? FRAG_FULL : FRAG_FIRST) : last ? FRAG_LAST : FRAG_MIDDLE;
      const p = this.page;
      const a = this.alloc;
      const crc = crc32c(rec, off, off + l);
      p[a] = typ;
      p[a + 1] = l >>> 8;
      p[a + 2] = l & 0xff;
      p[a + 3] = crc >>> 24;
      p[a + 4] = (crc >>> 16) & 0xff;
      p[a + 5] = (crc >>> 8) & 0xff;
      p[a + 6] = crc & 0xff;
      p.set(rec.subarray(off, off + l), a + RECORD_HEADER_SIZE);
      this.alloc = a + RECORD_HEADER_SIZE + l;
      off += l;
      if (PAGE_SIZE - this.alloc < RECORD_HEADER_SIZE) this.flushPage(true);
    }
    this.recordsWritten++;
    if (final && this.alloc > this.flushed) this.flushPage(false);
  }

  /** Writes the unwritten part of the page; `clear` pads it to its end and starts a new page. */
  private flushPage(clear: boolean): void {
    if (clear) this.alloc = PAGE_SIZE; // the page buffer is zero past the data
    let from = this.flushed;
    const to = this.alloc;
    while (from < to) {
      const n = writeSync(this.fd, this.page, from, to - from, this.donePages * PAGE_SIZE + from);
      from += n;
      this.bytesWritten += n;
    }
    this.flushed = to;
    this.fileSize = this.donePages * PAGE_SIZE + to;
    if (clear) {
      this.page.fill(0);
      this.alloc = 0;
      this.flushed = 0;
      this.donePages++;
    }
  }

  /** fsyncs the current segment now (synchronously). */
  sync(): void {
    if (this.fd < 0 || !this.dirty) return;
    const start = this.now();
    fsyncSync(this.fd);
    this.dirty = false;
    this.fsyncCount++;
    this.fsyncSeconds += (this.now() - start) / 1000;
  }

  /** Periodic fsync without blocking the event loop. */
  private syncAsync(): void {
    if (this.fd < 0 || !this.dirty || this.syncing || this.closed) return;
    this.syncing = true;
    this.dirty = false;
    const start = this.now();
    const fd = this.fd;
    fsync(fd, (err) => {
      this.syncing = false;
      if (err) {
        this.dirty = true;
        return;
      }
      this.fsyncCount++;
      this.fsyncSeconds += (this.now() - start) / 1000;
    });
  }

  /** Flushes, fsyncs and closes; the writer is unusable afterwards. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.cancelTimer?.();
    if (this.fd >= 0) {
      // A pending async fsync holds the fd: fsyncSync first, closeSync waits for nothing else.
      try {
        fsyncSync(this.fd);
      } finally {
        closeSync(this.fd);
        this.fd = -1;
      }
    }
  }
}
