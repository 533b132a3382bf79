/**
 * Bit streams over `Uint8Array`, most significant bit first, as Prometheus's
 * `tsdb/chunkenc/bstream.go` lays them out: the first bit written is the top bit
 * of byte 0, and unused low bits of the last byte are zero.
 *
 * Values wider than 32 bits are written and read as two 32-bit halves (`hi`, `lo`),
 * so no call allocates and no BigInt is involved.
 */

/** Writes bits into a growable byte buffer. Not safe for concurrent use. */
export class BitWriter {
  /** Backing buffer; bytes `[0, len)` hold the stream. Replaced when it grows. */
  buf: Uint8Array;
  /** Number of bytes in use (the last one possibly partial). */
  len: number;
  /**
   * Free (unwritten) low bits in byte `len - 1`; 0 means the last byte is full,
   * 8 that the stream ends with an empty byte (see `writeBits`).
   */
  free: number;

  /** An empty stream with room for `capacity` bytes before the first growth. */
  constructor(capacity = 32) {
    this.buf = new Uint8Array(capacity > 0 ? capacity : 1);
    this.len = 0;
    this.free = 0;
  }

  /**
   * Adopts `bytes[0, len)` as the stream so far, with `free` unused low bits in
   * its last byte (0 for a stream that ends on a byte boundary). Takes ownership
   * of `bytes`, which may be longer than `len` (spare capacity).
   */
  reset(bytes: Uint8Array, len: number, free: number): void {
    this.buf = bytes;
    this.len = len;
    this.free = free;
  }

  /** Total number of bits written. */
  bitLength(): number {
    return this.len * 8 - this.free;
  }

  /** Makes room for at least `n` more bytes. */
  private grow(n: number): void {
    let cap = this.buf.length * 2;
    while (cap < this.len + n) cap *= 2;
    const nb = new Uint8Array(cap);
    nb.set(this.buf.subarray(0, this.len));
    this.buf = nb;
  }

  /** Appends one bit (0 or 1). */
  writeBit(bit: number): void {
    if (this.free === 0) {
      if (this.len === this.buf.length) this.grow(1);
      this.buf[this.len++] = 0;
      this.free = 8;
    }
    this.free--;
    if (bit !== 0) this.buf[this.len - 1]! |= 1 << this.free;
  }

  /**
   * Appends the low `n` bits (0 ≤ n ≤ 32) of `v`, most significant first.
   *
   * `asWritten` is the width of the logical write this call ends (defaults to
   * `n`), used to reproduce a Prometheus quirk: its `writeBits` writes whole bytes
   * with `writeByte`, which always leaves an empty byte at the end of the stream
   * when it ends on a byte boundary, so a chunk whose last write was a multiple of
   * 8 bits ending on a byte boundary carries one extra zero byte. Calls that are
   * the first half of a wider write pass 0.
   */
  writeBits(v: number, n: number, asWritten: number = n): void {
    if (this.len + 6 > this.buf.length) this.grow(6);
    const buf = this.buf;
    let free = this.free;
    let len = this.len;
    if (n <= free) {
      // Fits in the partial last byte.
      free -= n;
      buf[len - 1]! |= (v & ((1 << n) - 1)) << free;
    } else {
      if (free > 0) {
        n -= free;
        buf[len - 1]! |= (v >>> n) & ((1 << free) - 1);
      }
      while (n >= 8) {
        n -= 8;
        buf[len++] = (v >>> n) & 0xff;
      }
      if (n > 0) {
        buf[len++] = (v << (8 - n)) & 0xff;
        free = 8 - n;
      } else {
        free = 0;
      }
    }
    if (free === 0 && asWritten >= 8 && (asWritten & 7) === 0) {
      buf[len++] = 0;
      free = 8;
    }
    this.free = free;
    this.len = len;
  }

  /** Appends `n` (0 ≤ n ≤ 64) low bits of the 64-bit value `hi:lo`. */
  writeBits64(hi: number, lo: number, n: number): void {
    if (n > 32) {
      this.writeBits(hi, n - 32, 0);
      this.writeBits(lo, 32, n);
    } else {
      this.writeBits(lo, n);
    }
  }

  /** Appends a whole byte at the current bit position. */
  writeByte(b: number): void {
    this.writeBits(b & 0xff, 8);
  }

  /** A view of the stream's bytes (shares memory with the writer until it next grows). */
  bytes(): Uint8Array {
    return this.buf.subarray(0, this.len);
  }
}

/**
 * Reads bits from a byte range. Reading past the end yields zero bits and sets
 * `overrun`, which callers check once per sample rather than per read.
 */
export class BitReader {
  buf: Uint8Array;
  /** Current bit position, counted from bit 7 of `buf[0]`. */
  pos: number;
  /** Bit length of the readable stream. */
  end: number;
  /** Set when a read went past `end`. */
  overrun: boolean;

  constructor(buf: Uint8Array = EMPTY, startByte = 0) {
    this.buf = buf;
    this.pos = startByte * 8;
    this.end = buf.length * 8;
    this.overrun = false;
  }

  /** Repositions the reader on `buf`, starting at byte `startByte`. */
  reset(buf: Uint8Array, startByte: number): void {
    this.buf = buf;
    this.pos = startByte * 8;
    this.end = buf.length * 8;
    this.overrun = false;
  }

  /** Reads one bit. */
  readBit(): number {
    const p = this.pos;
    if (p >= this.end) {
      this.overrun = true;
      return 0;
    }
    this.pos = p + 1;
    return (this.buf[p >>> 3]! >>> (7 - (p & 7))) & 1;
  }

  /** Reads `n` bits (0 ≤ n ≤ 24) as an unsigned integer. */
  private read24(n: number): number {
    const p = this.pos;
    const i = p >>> 3;
    const b = this.buf;
    const len = b.length;
    // Four bytes cover any 24-bit field at any bit offset (24 + 7 ≤ 32).
    const w =
      (((i < len ? b[i]! : 0) << 24) |
        ((i + 1 < len ? b[i + 1]! : 0) << 16) |
        ((i + 2 < len ? b[i + 2]! : 0) << 8) |
        (i + 3 < len ? b[i + 3]! : 0)) >>>
      0;
    this.pos = p + n;
    if (this.pos > this.end) this.overrun = true;
    return n === 0 ? 0 : ((w << (p & 7)) >>> (32 - n)) >>> 0;
  }

  /** Reads `n` bits (0 ≤ n ≤ 32) as an unsigned integer. */
  readBits(n: number): number {
    if (n <= 24) return this.read24(n);
    const hi = this.read24(n - 16);
    return (hi * 65536 + this.read24(16)) >>> 0;
  }

  /**
   * Reads `n` bits (0 ≤ n ≤ 64) of a 64-bit value; the high half goes to
   * `out[0]`, the low half to `out[1]` (both unsigned 32-bit).
   */
  readBits64(n: number, out: Uint32Array): void {
    if (n > 32) {
      out[0] = this.readBits(n - 32);
      out[1] = this.readBits(32);
    } else {
      out[0] = 0;
      out[1] = this.readBits(n);
    }
  }

  /** Reads a whole byte from the current bit position. */
  readByte(): number {
    return this.read24(8);
  }
}

const EMPTY = new Uint8Array(0);
