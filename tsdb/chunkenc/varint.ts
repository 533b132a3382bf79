/**
 * Go-compatible varints (`encoding/binary` `PutUvarint`/`PutVarint`) written
 * into and read from bit streams, as the XOR chunk stores its first two
 * timestamps. Values are JS numbers and must be exact integers with
 * |x| < 2^53 (Prometheus's int64 milliseconds, within JS precision).
 */
import type { BitReader, BitWriter } from './bstream.js';

/** Writes `x` (0 ≤ x < 2^53) as an unsigned LEB128 varint. */
export function writeUvarint(w: BitWriter, x: number): void {
  while (x >= 0x80) {
    w.writeByte((x % 0x80) | 0x80);
    x = Math.floor(x / 0x80);
  }
  w.writeByte(x);
}

/** Writes `x` (|x| < 2^52) zig-zag encoded, as Go's `PutVarint`. */
export function writeVarint(w: BitWriter, x: number): void {
  writeUvarint(w, x >= 0 ? x * 2 : -x * 2 - 1);
}

/**
 * Reads an unsigned varint. Returns -1 when the stream ends inside it or it is
 * longer than 10 bytes (a corrupt chunk).
 */
export function readUvarint(r: BitReader): number {
  let x = 0;
  let mul = 1;
  for (let i = 0; i < 10; i++) {
    const b = r.readByte();
    if (r.overrun) return -1;
    x += (b & 0x7f) * mul;
    if (b < 0x80) return x;
    mul *= 0x80;
  }
  return -1;
}

/** Reads a zig-zag varint. Returns `NaN` on a truncated or over-long varint. */
export function readVarint(r: BitReader): number {
  const u = readUvarint(r);
  if (u < 0) return Number.NaN;
  // u is even for x ≥ 0 (u = 2x) and odd for x < 0 (u = -2x - 1).
  return u % 2 === 0 ? u / 2 : -(u + 1) / 2;
}
