/**
 * Reading helpers over protobufjs/minimal's `Reader` for the primitives whose stock
 * readers allocate: protobufjs returns int64 as a `Long` object and reads doubles
 * through a shared array; these read straight from `r.buf` at `r.pos` into numbers.
 * Every helper throws `RemoteError('protobuf_malformed')` when the input ends early.
 */
import pb from 'protobufjs/minimal.js';
import { RemoteError } from './remote_error.js';

export const { Reader } = pb;
export type Reader = pb.Reader;

const f64 = new Float64Array(1);
const f64Bytes = new Uint8Array(f64.buffer);

/** An int64 varint as a number (exact for |v| < 2^53; timestamps in ms always are). */
export function readInt64(r: Reader): number {
  const buf = r.buf;
  let lo = 0;
  let hi = 0;
  let i = 0;
  let b: number;
  // Low 28 bits.
  for (; i < 4; i++) {
    if (r.pos >= r.len) throw truncated(r, 'varint');
    b = buf[r.pos++]!;
    lo |= (b & 0x7f) << (i * 7);
    if (b < 0x80) return lo >>> 0;
  }
  // Bits 28..34 straddle the two halves.
  if (r.pos >= r.len) throw truncated(r, 'varint');
  b = buf[r.pos++]!;
  lo = (lo | ((b & 0x0f) << 28)) >>> 0;
  hi = (b & 0x7f) >>> 4;
  if (b >= 0x80) {
    for (i = 0; i < 5; i++) {
      if (r.pos >= r.len) throw truncated(r, 'varint');
      b = buf[r.pos++]!;
      hi |= (b & 0x7f) << (i * 7 + 3);
      if (b < 0x80) break;
    }
    if (b! >= 0x80) throw new RemoteError('protobuf_malformed', `protobuf: varint longer than 10 bytes at byte ${r.pos}`);
  }
  hi >>>= 0;
  // Negative int64: two's complement over 64 bits.
  if (hi & 0x80000000) return -((~hi >>> 0) * 0x100000000 + ((~lo >>> 0) + 1));
  return hi * 0x100000000 + lo;
}

/** A little-endian float64, bit-exact (NaN payloads are kept). */
export function readDouble(r: Reader): number {
  if (r.pos + 8 > r.len) throw truncated(r, 'double');
  const buf = r.buf;
  const p = r.pos;
  for (let i = 0; i < 8; i++) f64Bytes[i] = buf[p + i]!;
  r.pos = p + 8;
  return f64[0]!;
}

/** Reads a length prefix and returns the end offset of the length-delimited field, checked against the input. */
export function readLengthEnd(r: Reader): number {
  const len = r.uint32();
  const end = r.pos + len;
  if (end > r.len) throw truncated(r, `length-delimited field of ${len} bytes`);
  return end;
}

export function truncated(r: Reader, what: string): RemoteError {
  return new RemoteError('protobuf_malformed', `protobuf: unexpected end of input reading a ${what} at byte ${r.pos} of ${r.len}`);
}

/**
 * Runs a decode function, turning protobufjs's RangeError/Error (truncation, bad wire
 * types) into `RemoteError('protobuf_malformed')` naming the message.
 */
export function decodeMessage<T>(what: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof RemoteError) throw new RemoteError(e.code, `${what}: ${e.message}`);
    const msg = e instanceof Error ? e.message : String(e);
    throw new RemoteError('protobuf_malformed', `${what}: malformed protobuf: ${msg}`);
  }
}

/** Skips an unknown field of wire type `wire` (unknown fields must be tolerated). */
export function skipField(r: Reader, wire: number): void {
  if (wire === 3 || wire === 4) throw new RemoteError('protobuf_malformed', `protobuf: group wire type ${wire} at byte ${r.pos} is not supported`);
  if (wire === 2) {
    r.pos = readLengthEnd(r);
    return;
  }
  r.skipType(wire);
}
