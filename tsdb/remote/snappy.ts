/**
 * Snappy block format (the only framing remote write and remote read use), over
 * snappyjs, with the checks snappyjs leaves out for untrusted input:
 *
 * - the declared uncompressed length (the varint preamble) is read and compared with
 *   the caller's limit BEFORE anything is allocated, so a 5-byte body claiming 2 GiB
 *   costs nothing (snappyjs reads the preamble into a 32-bit int, which wraps);
 * - the element stream is walked once without copying: literal lengths must stay inside
 *   the input, copy offsets must point into what was already produced, and the total
 *   produced must equal the declared length. snappyjs itself accepts a truncated stream
 *   and zero-fills the rest, which would hand garbage to the protobuf decoder.
 */
// Types for snappyjs (CommonJS, no declarations of its own) are in tsdb/wal/snappyjs.d.ts.
import snappyjs from 'snappyjs';
import { RemoteError } from './remote_error.js';

/**
 * The uncompressed length a snappy block declares, or throws `snappy_corrupt` when the
 * preamble is missing or longer than 32 bits (the format's maximum).
 */
export function snappyDeclaredLength(buf: Uint8Array): { length: number; headerBytes: number } {
  let length = 0;
  let shift = 0;
  for (let i = 0; i < 5; i++) {
    if (i >= buf.length) break;
    const c = buf[i]!;
    length += (c & 0x7f) * 2 ** shift;
    if (c < 0x80) {
      if (length > 0xffffffff) break;
      return { length, headerBytes: i + 1 };
    }
    shift += 7;
  }
  throw new RemoteError('snappy_corrupt', `snappy: invalid block: the uncompressed-length preamble is ${buf.length === 0 ? 'missing (empty body)' : 'truncated or longer than 32 bits'}`);
}

/**
 * Walks the element stream and checks it produces exactly `declared` bytes with every
 * copy inside the output; throws `snappy_corrupt` with the offset of the first problem.
 */
function validateBlock(buf: Uint8Array, pos: number, declared: number): void {
  let out = 0;
  const n = buf.length;
  while (pos < n) {
    const start = pos;
    const c = buf[pos++]!;
    const kind = c & 3;
    let len: number;
    if (kind === 0) {
      len = (c >>> 2) + 1;
      if (len > 60) {
        const extra = len - 60; // 1..4 little-endian length bytes
        if (pos + extra > n) throw corrupt(start, 'literal length runs past the end of the input');
        len = 0;
        for (let k = extra - 1; k >= 0; k--) len = len * 256 + buf[pos + k]!;
        len += 1;
        pos += extra;
      }
      if (pos + len > n) throw corrupt(start, `literal of ${len} bytes runs past the end of the input`);
      pos += len;
      out += len;
    } else {
      let offset: number;
      if (kind === 1) {
        if (pos + 1 > n) throw corrupt(start, 'copy element is truncated');
        len = ((c >>> 2) & 7) + 4;
        offset = ((c >>> 5) << 8) | buf[pos]!;
        pos += 1;
      } else if (kind === 2) {
        if (pos + 2 > n) throw corrupt(start, 'copy element is truncated');
        len = (c >>> 2) + 1;
        offset = buf[pos]! | (buf[pos + 1]! << 8);
        pos += 2;
      } else {
        if (pos + 4 > n) throw corrupt(start, 'copy element is truncated');
        len = (c >>> 2) + 1;
        offset = (buf[pos]! | (buf[pos + 1]! << 8) | (buf[pos + 2]! << 16)) + buf[pos + 3]! * 0x1000000;
        pos += 4;
      }
      if (offset === 0 || offset > out) throw corrupt(start, `copy offset ${offset} points outside the ${out} bytes produced so far`);
      out += len;
    }
    if (out > declared) throw corrupt(start, `stream produces more than the declared ${declared} bytes`);
  }
  if (out !== declared) throw corrupt(n, `stream ends after ${out} of the declared ${declared} bytes (truncated body?)`);
}

function corrupt(offset: number, why: string): RemoteError {
  return new RemoteError('snappy_corrupt', `snappy: invalid block at byte ${offset}: ${why}`);
}

/**
 * Decompresses a snappy block. Throws `RemoteError` `snappy_too_large` when the declared
 * length exceeds `limit` bytes (checked before allocating), `snappy_corrupt` when the
 * block is malformed or truncated.
 */
export function snappyDecode(buf: Uint8Array, limit: number): Uint8Array {
  const { length, headerBytes } = snappyDeclaredLength(buf);
  if (length > limit) {
    throw new RemoteError('snappy_too_large', `snappy: the block declares ${length} uncompressed bytes, more than the limit of ${limit}`);
  }
  validateBlock(buf, headerBytes, length);
  if (length === 0) return new Uint8Array(0);
  try {
    return snappyjs.uncompress(buf, limit);
  } catch (e) {
    // snappyjs refuses a few valid but non-canonical streams (a long-form literal length
    // within the last 4 bytes): still the caller's typed error, never a bare Error.
    throw new RemoteError('snappy_corrupt', `snappy: invalid block: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** Compresses `buf` as one snappy block. */
export function snappyEncode(buf: Uint8Array): Uint8Array {
  return snappyjs.compress(buf);
}
