/**
 * Go-compatible varints (`encoding/binary` `PutUvarint`/`PutVarint`): 7 bits per
 * byte, least significant group first, high bit set on every byte but the last.
 * Signed values are zig-zag encoded first.
 *
 * Values are JS numbers and exact up to 2^53 in magnitude (timestamps in ms and
 * file offsets fit easily). Encoders write into the caller's buffer at `off` and
 * return the next offset; decoders read at `off` and leave the value and the next
 * offset in a caller-supplied `VarintResult` so nothing is allocated per call.
 */

/** Where a decoded varint lands: `value` and the offset just past it (`next`). */
export class VarintResult {
  value: number;
  next: number;
  constructor() {
    this.value = 0;
    this.next = 0;
  }
}

/** Raised when a varint runs past the end of its buffer or exceeds 10 bytes. */
export class VarintError extends Error {
  readonly code = 'bad_varint';
  constructor(what: string, off: number) {
    super(`${what} at byte offset ${off}`);
    this.name = 'VarintError';
  }
}

const TWO32 = 4294967296;

/** Bytes `putUvarint` needs for `v` (0 <= v <= 2^53). */
export function uvarintSize(v: number): number {
  let n = 1;
  while (v >= 128) {
    v = Math.floor(v / 128);
    n++;
  }
  return n;
}

/** Writes unsigned `v` (integer, 0 <= v <= 2^53) at `buf[off]`; returns the next offset. */
export function putUvarint(buf: Uint8Array, off: number, v: number): number {
  // Fast path for the 32-bit range, which covers nearly every use.
  if (v < TWO32) {
    let x = v >>> 0;
    while (x >= 0x80) {
      buf[off++] = (x & 0x7f) | 0x80;
      x >>>= 7;
    }
    buf[off++] = x;
    return off;
  }
  while (v >= 128) {
    buf[off++] = (v % 128) | 0x80;
    v = Math.floor(v / 128);
  }
  buf[off++] = v;
  return off;
}

/** Writes signed `v` zig-zag encoded at `buf[off]`; returns the next offset. */
export function putVarint(buf: Uint8Array, off: number, v: number): number {
  // zig-zag: 0,-1,1,-2,… → 0,1,2,3,… done in float arithmetic to stay exact past 32 bits.
  return putUvarint(buf, off, v >= 0 ? v * 2 : -v * 2 - 1);
}

/** Reads an unsigned varint at `buf[off]` into `out`. Throws `VarintError` on truncation or overflow. */
export function getUvarint(buf: Uint8Array, off: number, out: VarintResult): VarintResult {
  const start = off;
  let b = buf[off++];
  if (b === undefined) throw new VarintError('truncated uvarint', start);
  if (b < 0x80) {
    out.value = b;
    out.next = off;
    return out;
  }
  let lo = b & 0x7f;
  let shift = 7;
  // First 28 bits with integer ops.
  while (shift < 28) {
    b = buf[off++];
    if (b === undefined) throw new VarintError('truncated uvarint', start);
    lo |= (b & 0x7f) << shift;
    if (b < 0x80) {
      out.value = lo >>> 0;
      out.next = off;
      return out;
    }
    shift += 7;
  }
  let v = lo >>> 0;
  let mul = 268435456; // 2^28
  for (let i = 4; i < 10; i++) {
    b = buf[off++];
    if (b === undefined) throw new VarintError('truncated uvarint', start);
    v += (b & 0x7f) * mul;
    if (b < 0x80) {
      out.value = v;
      out.next = off;
      return out;
    }
    mul *= 128;
  }
  throw new VarintError('uvarint longer than 10 bytes', start);
}

/** Reads a zig-zag signed varint at `buf[off]` into `out`. */
export function getVarint(buf: Uint8Array, off: number, out: VarintResult): VarintResult {
  getUvarint(buf, off, out);
  const u = out.value;
  // Odd → negative. `u % 2` is exact for all doubles up to 2^53.
  out.value = u % 2 === 0 ? u / 2 : -(u + 1) / 2;
  return out;
}
