/**
 * `DecBuf`: a cursor over a `Uint8Array` for reading binary formats. Reads past
 * the end throw a `DecodeError` naming the offset (relative to `base`, the
 * position of this view in its file, so messages point at the file byte).
 */
import { VarintError, VarintResult, getUvarint, getVarint } from './varint.js';

const utf8 = new TextDecoder('utf-8', { fatal: false });
const TWO32 = 4294967296;

/** Malformed or truncated binary input. `offset` is the file offset where it was detected. */
export class DecodeError extends Error {
  readonly code = 'decode_error';
  readonly offset: number;
  constructor(message: string, offset: number) {
    super(`${message} at offset ${offset}`);
    this.name = 'DecodeError';
    this.offset = offset;
  }
}

export class DecBuf {
  readonly b: Uint8Array;
  /** Current position within `b`. */
  off: number;
  /** File offset of `b[0]`, for error messages. */
  readonly base: number;
  private readonly vr: VarintResult;

  constructor(b: Uint8Array, base = 0) {
    this.b = b;
    this.off = 0;
    this.base = base;
    this.vr = new VarintResult();
  }

  /** Bytes left after the cursor. */
  remaining(): number {
    return this.b.length - this.off;
  }

  private need(n: number, what: string): void {
    if (this.off + n > this.b.length) throw new DecodeError(`unexpected end of data reading ${what}`, this.base + this.off);
  }

  byte(): number {
    this.need(1, 'byte');
    return this.b[this.off++]!;
  }

  be16(): number {
    this.need(2, 'be16');
    const b = this.b;
    const o = this.off;
    this.off += 2;
    return (b[o]! << 8) | b[o + 1]!;
  }

  be32(): number {
    this.need(4, 'be32');
    const b = this.b;
    const o = this.off;
    this.off += 4;
    return ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
  }

  /** 8 big-endian bytes as a number (exact below 2^53). */
  be64(): number {
    const hi = this.be32();
    const lo = this.be32();
    return hi * TWO32 + lo;
  }

  uvarint(): number {
    try {
      getUvarint(this.b, this.off, this.vr);
    } catch (e) {
      if (e instanceof VarintError) throw new DecodeError('invalid uvarint', this.base + this.off);
      throw e;
    }
    this.off = this.vr.next;
    return this.vr.value;
  }

  varint(): number {
    try {
      getVarint(this.b, this.off, this.vr);
    } catch (e) {
      if (e instanceof VarintError) throw new DecodeError('invalid varint', this.base + this.off);
      throw e;
    }
    this.off = this.vr.next;
    return this.vr.value;
  }

  /** `n` bytes as a view sharing memory with the input. */
  bytes(n: number): Uint8Array {
    this.need(n, `${n} bytes`);
    const out = this.b.subarray(this.off, this.off + n);
    this.off += n;
    return out;
  }

  /** A uvarint byte length followed by that many UTF-8 bytes. */
  uvarintStr(): string {
    const n = this.uvarint();
    this.need(n, 'string');
    const o = this.off;
    this.off += n;
    return decodeUtf8(this.b, o, o + n);
  }

  skip(n: number): void {
    this.need(n, `${n} bytes`);
    this.off += n;
  }
}

/** Decodes `b[start, end)` as UTF-8, with an ASCII fast path for short strings. */
export function decodeUtf8(b: Uint8Array, start: number, end: number): string {
  if (end - start < 64) {
    let s = '';
    for (let i = start; i < end; i++) {
      const c = b[i]!;
      if (c > 0x7f) return utf8.decode(b.subarray(start, end));
      s += String.fromCharCode(c);
    }
    return s;
  }
  return utf8.decode(b.subarray(start, end));
}
