/**
 * `EncBuf`: a growable byte buffer for writing binary formats (index, chunks,
 * tombstones, WAL records). Big-endian fixed-width integers, Go varints and
 * length-prefixed UTF-8 strings are appended at the end; `reset()` keeps the
 * allocation so one buffer serves many records.
 */
import { putUvarint, putVarint } from './varint.js';

const utf8 = new TextEncoder();
const f64 = new DataView(new ArrayBuffer(8));
const TWO32 = 4294967296;

export class EncBuf {
  /** Backing storage; valid bytes are `buf[0, len)`. Re-read after writes: growth replaces it. */
  buf: Uint8Array;
  /** Number of bytes written. */
  len: number;

  constructor(initialCapacity = 1024) {
    this.buf = new Uint8Array(Math.max(16, initialCapacity));
    this.len = 0;
  }

  /** Forgets the content, keeping the allocation. */
  reset(): void {
    this.len = 0;
  }

  /** A view of the written bytes (shares memory; invalid after the next write that grows). */
  get(): Uint8Array {
    return this.buf.subarray(0, this.len);
  }

  /** Makes room for `n` more bytes. */
  ensure(n: number): void {
    const need = this.len + n;
    if (need <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < need) cap *= 2;
    const nb = new Uint8Array(cap);
    nb.set(this.buf.subarray(0, this.len));
    this.buf = nb;
  }

  putByte(b: number): void {
    this.ensure(1);
    this.buf[this.len++] = b;
  }

  putBytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
  }

  putBE16(v: number): void {
    this.ensure(2);
    const b = this.buf;
    b[this.len] = v >>> 8;
    b[this.len + 1] = v;
    this.len += 2;
  }

  putBE32(v: number): void {
    this.ensure(4);
    const b = this.buf;
    const o = this.len;
    b[o] = v >>> 24;
    b[o + 1] = v >>> 16;
    b[o + 2] = v >>> 8;
    b[o + 3] = v;
    this.len += 4;
  }

  /** Writes a non-negative integer (< 2^53) as 8 big-endian bytes. */
  putBE64(v: number): void {
    this.putBE32(Math.floor(v / TWO32));
    this.putBE32(v >>> 0);
  }

  /** Writes the IEEE-754 bits of `v` big-endian (NaN payloads preserved). */
  putFloat64(v: number): void {
    f64.setFloat64(0, v);
    this.putBE32(f64.getUint32(0));
    this.putBE32(f64.getUint32(4));
  }

  putUvarint(v: number): void {
    this.ensure(10);
    this.len = putUvarint(this.buf, this.len, v);
  }

  putVarint(v: number): void {
    this.ensure(10);
    this.len = putVarint(this.buf, this.len, v);
  }

  /** Writes `s` as UTF-8 preceded by its byte length as a uvarint. */
  putUvarintStr(s: string): void {
    // A UTF-16 code unit never needs more than 3 UTF-8 bytes.
    this.ensure(10 + s.length * 3);
    const start = this.len;
    if (isAscii(s)) {
      this.len = putUvarint(this.buf, this.len, s.length);
      for (let i = 0; i < s.length; i++) this.buf[this.len++] = s.charCodeAt(i);
      return;
    }
    const bytes = utf8.encode(s);
    this.len = putUvarint(this.buf, start, bytes.length);
    this.buf.set(bytes, this.len);
    this.len += bytes.length;
  }

  /** Pads with zero bytes until `len` is a multiple of `n`. */
  padTo(n: number): void {
    const rem = this.len % n;
    if (rem === 0) return;
    const pad = n - rem;
    this.ensure(pad);
    this.buf.fill(0, this.len, this.len + pad);
    this.len += pad;
  }

  /** Overwrites 4 bytes at `off` (already written) with `v` big-endian. */
  setBE32(off: number, v: number): void {
    const b = this.buf;
    b[off] = v >>> 24;
    b[off + 1] = v >>> 16;
    b[off + 2] = v >>> 8;
    b[off + 3] = v;
  }
}

function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false;
  return true;
}
