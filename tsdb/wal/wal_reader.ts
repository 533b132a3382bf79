/**
 * Reads WAL segments back into records, checking every fragment's framing and
 * CRC32C (Prometheus's `wlog.Reader`). The first damage found ends reading and is
 * reported as a `WalCorruption` naming the segment, the byte offset where the
 * damaged record starts (everything before it is intact) and why.
 *
 * A segment is read whole into memory (≤ 128 MiB by default); records are handed
 * to the callback as views into that buffer, valid only during the call.
 */
import { readFileSync } from 'node:fs';
import snappy from 'snappyjs';
import { crc32c } from '../encoding/crc32.js';
import {
  FRAG_FIRST,
  FRAG_FULL,
  FRAG_LAST,
  FRAG_MIDDLE,
  FRAG_PAGE_TERM,
  FRAG_SNAPPY,
  FRAG_ZSTD,
  PAGE_SIZE,
  RECORD_HEADER_SIZE,
  segmentPath,
} from './segment.js';

/** Where and why a WAL stops being readable. */
export class WalCorruption {
  /** Directory holding the segment. */
  readonly dir: string;
  readonly segment: number;
  /** Offset in the segment of the first byte not known to belong to a complete record. */
  readonly offset: number;
  readonly reason: string;
  constructor(dir: string, segment: number, offset: number, reason: string) {
    this.dir = dir;
    this.segment = segment;
    this.offset = offset;
    this.reason = reason;
  }

  toString(): string {
    return `segment ${segmentPath(this.dir, this.segment)} at offset ${this.offset}: ${this.reason}`;
  }
}

/** Largest decompressed record accepted (bounds memory on hostile input). */
const MAX_RECORD = 256 * 1024 * 1024;

/**
 * The WAL uses a feature Vigil cannot read (zstd-compressed records). Not a
 * corruption: nothing is repaired or dropped; opening fails with this error.
 */
export class WalUnsupportedError extends Error {
  readonly code = 'wal_unsupported';
  constructor(message: string) {
    super(message);
    this.name = 'WalUnsupportedError';
  }
}

/** Called with each record, the segment it came from and the offset where the record starts. */
export type RecordHandler = (rec: Uint8Array, segment: number, offset: number) => void;

/**
 * Reads records of segment `n` in `dir`. Returns null when the whole segment is
 * intact, else the first corruption. `onRecord` may throw to abort reading.
 */
export function readSegment(dir: string, n: number, onRecord: RecordHandler): WalCorruption | null {
  const buf = readFileSync(segmentPath(dir, n));
  return readSegmentBytes(buf, dir, n, onRecord);
}

/** As `readSegment`, over bytes already in memory. */
export function readSegmentBytes(buf: Uint8Array, dir: string, n: number, onRecord: RecordHandler): WalCorruption | null {
  let off = 0;
  const len = buf.length;
  // Reassembly of a record split into fragments.
  let parts: Uint8Array[] | null = null;
  let recStart = 0;
  while (off < len) {
    const pageEnd = (Math.floor(off / PAGE_SIZE) + 1) * PAGE_SIZE;
    if (pageEnd - off < RECORD_HEADER_SIZE) {
      // Too little room for a header: must be zero padding.
      for (let i = off; i < Math.min(pageEnd, len); i++) {
        if (buf[i] !== 0) return new WalCorruption(dir, n, parts === null ? off : recStart, `non-zero padding at offset ${i}`);
      }
      off = pageEnd;
      continue;
    }
    if (off + RECORD_HEADER_SIZE > len) {
      return new WalCorruption(dir, n, parts === null ? off : recStart, `torn record header: ${len - off} bytes at the end of the segment`);
    }
    const typByte = buf[off]!;
    const typ = typByte & 7;
    if (typ === FRAG_PAGE_TERM) {
      // The rest of the page must be zeros.
      const end = Math.min(pageEnd, len);
      for (let i = off; i < end; i++) {
        if (buf[i] !== 0) return new WalCorruption(dir, n, parts === null ? off : recStart, `non-zero byte ${buf[i]} in page padding at offset ${i}`);
      }
      off = end;
      continue;
    }
    if ((typByte & FRAG_ZSTD) !== 0 && (typByte & ~0x1f) === 0 && typ <= FRAG_LAST) {
      throw new WalUnsupportedError(
        `${segmentPath(dir, n)} at offset ${off}: zstd-compressed WAL records are not supported; restart Prometheus with --storage.tsdb.wal-compression-type=snappy (or none) and let it cut a new segment`,
      );
    }
    if ((typByte & ~(FRAG_SNAPPY | 7)) !== 0 || typ > FRAG_LAST) {
      return new WalCorruption(dir, n, parts === null ? off : recStart, `invalid fragment type byte 0x${typByte.toString(16)} at offset ${off}`);
    }
    const compressed = (typByte & FRAG_SNAPPY) !== 0;
    const l = (buf[off + 1]! << 8) | buf[off + 2]!;
    const crc = ((buf[off + 3]! << 24) | (buf[off + 4]! << 16) | (buf[off + 5]! << 8) | buf[off + 6]!) >>> 0;
    const dataStart = off + RECORD_HEADER_SIZE;
    if (dataStart + l > pageEnd) {
      return new WalCorruption(dir, n, parts === null ? off : recStart, `fragment of ${l} bytes at offset ${off} crosses the page end`);
    }
    if (dataStart + l > len) {
      return new WalCorruption(dir, n, parts === null ? off : recStart, `torn fragment at offset ${off}: ${l} bytes announced, ${len - dataStart} present`);
    }
    if (crc32c(buf, dataStart, dataStart + l) !== crc) {
      return new WalCorruption(dir, n, parts === null ? off : recStart, `checksum mismatch in fragment at offset ${off}`);
    }
    const data = buf.subarray(dataStart, dataStart + l);
    if (typ === FRAG_FULL) {
      if (parts !== null) return new WalCorruption(dir, n, recStart, `full fragment at offset ${off} inside an unfinished record`);
      const rec = compressed ? decompress(data) : data;
      if (rec === null) return new WalCorruption(dir, n, off, `undecodable snappy-compressed record at offset ${off}`);
      onRecord(rec, n, off);
    } else if (typ === FRAG_FIRST) {
      if (parts !== null) return new WalCorruption(dir, n, recStart, `first fragment at offset ${off} inside an unfinished record`);
      parts = [data];
      recStart = off;
    } else if (typ === FRAG_MIDDLE) {
      if (parts === null) return new WalCorruption(dir, n, off, `middle fragment at offset ${off} without a first fragment`);
      parts.push(data);
    } else {
      if (parts === null) return new WalCorruption(dir, n, off, `last fragment at offset ${off} without a first fragment`);
      parts.push(data);
      let total = 0;
      for (const p of parts) total += p.length;
      const rec = new Uint8Array(total);
      let o = 0;
      for (const p of parts) {
        rec.set(p, o);
        o += p.length;
      }
      parts = null;
      const out = compressed ? decompress(rec) : rec;
      if (out === null) return new WalCorruption(dir, n, recStart, `undecodable snappy-compressed record at offset ${recStart}`);
      onRecord(out, n, recStart);
    }
    off = dataStart + l;
  }
  if (parts !== null) return new WalCorruption(dir, n, recStart, 'record unfinished at the end of the segment');
  return null;
}

/** Snappy block decompression; null when the data is not valid Snappy. */
function decompress(b: Uint8Array): Uint8Array | null {
  try {
    return snappy.uncompress(b, MAX_RECORD);
  } catch {
    return null;
  }
}
