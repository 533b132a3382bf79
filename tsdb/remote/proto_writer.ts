/**
 * A protobuf encoder that writes straight into one growable buffer: no object per
 * field (protobufjs's `Writer` queues one operation object per primitive, which is
 * what a per-sample encode loop must avoid). Nested messages reserve five bytes for
 * their length, are written in place, and are then moved back over the unused length
 * bytes (`begin`/`end`), so lengths never have to be computed twice.
 *
 * Reuse one writer per sender: `reset()` keeps the buffer.
 */

const f64 = new Float64Array(1);
const f64Bytes = new Uint8Array(f64.buffer);

/** Wire types. */
export const WIRE_VARINT = 0;
export const WIRE_FIXED64 = 1;
export const WIRE_BYTES = 2;
export const WIRE_FIXED32 = 5;

export class ProtoWriter {
  private buf: Buffer;
  /** Bytes written so far. */
  pos: number;

  constructor(initialCapacity = 64 * 1024) {
    this.buf = Buffer.allocUnsafe(initialCapacity);
    this.pos = 0;
  }

  /** Forgets the content, keeps the buffer. */
  reset(): this {
    this.pos = 0;
    return this;
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.pos + n) cap *= 2;
    const next = Buffer.allocUnsafe(cap);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  /** An unsigned varint of up to 2^53 (timestamps and sizes). Negative values are written as 64-bit two's complement. */
  varint(v: number): this {
    this.ensure(10);
    const b = this.buf;
    if (v < 0) {
      // int64 two's complement: 10 bytes.
      let lo = v % 0x100000000 >>> 0;
      let hi = Math.floor(v / 0x100000000) >>> 0;
      for (let i = 0; i < 9; i++) {
        b[this.pos++] = (lo & 0x7f) | 0x80;
        lo = ((lo >>> 7) | (hi << 25)) >>> 0;
        hi >>>= 7;
      }
      b[this.pos++] = lo & 0x01;
      return this;
    }
    while (v >= 0x80) {
      b[this.pos++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    b[this.pos++] = v;
    return this;
  }

  /** A field tag. */
  tag(field: number, wire: number): this {
    return this.varint(field * 8 + wire);
  }

  /** A float64 in little-endian byte order (NaN payloads such as the staleness marker are kept). */
  double(v: number): this {
    this.ensure(8);
    f64[0] = v;
    this.buf.set(f64Bytes, this.pos);
    this.pos += 8;
    return this;
  }

  /** A length-prefixed UTF-8 string. */
  string(s: string): this {
    const n = s.length;
    // ASCII fast path: one pass, no native call.
    if (n < 128) {
      this.ensure(n + 1);
      const b = this.buf;
      const start = this.pos + 1;
      let i = 0;
      for (; i < n; i++) {
        const c = s.charCodeAt(i);
        if (c >= 0x80) break;
        b[start + i] = c;
      }
      if (i === n) {
        b[this.pos] = n;
        this.pos = start + n;
        return this;
      }
    }
    const len = Buffer.byteLength(s, 'utf8');
    this.varint(len);
    this.ensure(len);
    this.buf.write(s, this.pos, len, 'utf8');
    this.pos += len;
    return this;
  }

  /** Raw bytes (already encoded fields). */
  raw(bytes: Uint8Array): this {
    this.ensure(bytes.length);
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
    return this;
  }

  /** Starts a length-delimited field; returns a mark for `end`. */
  begin(field: number): number {
    this.tag(field, WIRE_BYTES);
    this.ensure(5);
    const mark = this.pos;
    this.pos += 5;
    return mark;
  }

  /** Ends the field started at `mark`, writing its length and closing the reserved gap. */
  end(mark: number): this {
    const contentStart = mark + 5;
    const len = this.pos - contentStart;
    let lenBytes = 1;
    for (let v = len; v >= 0x80; v = Math.floor(v / 0x80)) lenBytes++;
    const b = this.buf;
    let p = mark;
    let v = len;
    while (v >= 0x80) {
      b[p++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    b[p++] = v;
    if (lenBytes < 5) {
      b.copyWithin(mark + lenBytes, contentStart, this.pos);
      this.pos -= 5 - lenBytes;
    }
    return this;
  }

  /** The bytes written so far (a view: valid until the next write or reset). */
  view(): Uint8Array {
    return this.buf.subarray(0, this.pos);
  }

  /** A copy of the bytes written so far. */
  finish(): Uint8Array {
    return Uint8Array.prototype.slice.call(this.buf, 0, this.pos);
  }
}
