/**
 * The XOR ("Gorilla") float chunk, bit for bit as Prometheus's
 * `tsdb/chunkenc/xor.go` writes it:
 *
 * - bytes 0–1: big-endian sample count;
 * - sample 0: timestamp as a zig-zag varint, value as its raw 64 bits;
 * - sample 1: timestamp delta as an unsigned varint, value XOR-encoded;
 * - sample n ≥ 2: delta-of-delta `dod` in one of the buckets `0`, `10`+14 bits,
 *   `110`+17, `1110`+20, `1111`+64 (two's complement; a bucket of n bits holds
 *   -(2^(n-1)-1) … 2^(n-1)), then the value XOR-encoded.
 *
 * XOR value encoding: `0` when the value's bits are unchanged; else `1`, then
 * either `0` + the meaningful bits inside the previous leading/trailing-zero
 * window, or `1` + 5 bits leading zeros (capped at 31, Prometheus's clamp) +
 * 6 bits of significant-bit count (64 is written as 0) + the significant bits.
 *
 * Values are handled as two 32-bit halves of their IEEE-754 bits, so every NaN
 * payload (the staleness marker 0x7ff0000000000002 included) survives exactly.
 * Timestamps within one chunk must be strictly increasing (the head guarantees it).
 */
import { type SampleBuffer, WORD_HI, WORD_LO } from '../sample_buffer.js';
import { type SampleIterator, ValueType } from '../storage.js';
import { BitReader, BitWriter } from './bstream.js';
import { CorruptChunkError } from './corrupt_chunk_error.js';
import { Encoding } from './encoding.js';
import { readUvarint, readVarint, writeUvarint, writeVarint } from './varint.js';

/** Size of the sample-count header at the start of every XOR chunk. */
export const XOR_HEADER_SIZE = 2;

// Module-level scratch for float <-> bits; indices depend on platform endianness.
const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const HI = LITTLE_ENDIAN ? 1 : 0;
const LO = LITTLE_ENDIAN ? 0 : 1;
const TWO32 = 4294967296;
const EMPTY_BYTES = new Uint8Array(0);

/**
 * A chunk of float samples in the XOR encoding. Owns its byte buffer: the chunk is its own
 * bit writer, and it carries the encoder state (the last sample, delta and XOR window), so
 * appending to the head's open chunk touches one object and its bytes, not a chain of
 * chunk, appender and writer (100k series apart in memory, each hop is a cache miss).
 */
export class XORChunk extends BitWriter {
  /** Encoder state: time of the last sample, its value's 32-bit halves (as int32), the last time delta. */
  t: number;
  vhi: number;
  vlo: number;
  tDelta: number;
  /** Current leading-zero window (0xff: none yet) and trailing zeros. */
  leading: number;
  trailing: number;

  /** An empty chunk (header only) with room for `capacity` bytes before growing. */
  constructor(capacity = 32) {
    super(capacity);
    this.t = 0;
    this.vhi = 0;
    this.vlo = 0;
    this.tDelta = 0;
    this.leading = 0xff;
    this.trailing = 0;
    this.writeBits(0, 16, 0);
  }

  /**
   * A chunk over existing encoded bytes (`data` starts with the count header).
   * `data` is referenced, not copied; the chunk is read-only unless `appender()`
   * is called, which first copies it.
   */
  static fromData(data: Uint8Array): XORChunk {
    // Room for the header write, so building the placeholder never regrows it.
    const c = new XORChunk(4);
    c.reset(data, data.length, 0);
    return c;
  }

  encoding(): Encoding {
    return Encoding.XOR;
  }

  /** Number of samples, from the header. */
  numSamples(): number {
    const buf = this.buf;
    return this.len < 2 ? 0 : (buf[0]! << 8) | buf[1]!;
  }

  /** Drops spare capacity (call when the chunk is complete). */
  compact(): void {
    if (this.buf.length > this.len) this.reset(this.buf.slice(0, this.len), this.len, this.free);
  }

  /** An iterator over the samples, reusing `reuse` when it is an `XORIterator`. */
  iterator(reuse?: SampleIterator): XORIterator {
    if (reuse instanceof XORIterator) {
      reuse.reset(this.bytes());
      return reuse;
    }
    return new XORIterator(this.bytes());
  }

  /** An iterator over the first `n` samples only (for a snapshot of a growing chunk). */
  iteratorLimited(n: number, reuse?: SampleIterator): XORIterator {
    if (reuse instanceof XORIterator) {
      reuse.reset(this.bytes(), n);
      return reuse;
    }
    const it = new XORIterator(EMPTY_BYTES);
    it.reset(this.bytes(), n);
    return it;
  }

  /**
   * An appender continuing after the last sample. For a chunk built from data this
   * decodes it once to recover the encoder state, as Prometheus's `Appender()` does
   * (including its quirk: a resumed chunk whose values never changed starts from a
   * 0/0 window rather than "no window", which changes later bits but not values).
   */
  appender(): XORAppender {
    const it = new XORIterator(this.bytes());
    while (it.next() !== ValueType.None) {}
    const e = it.err();
    if (e !== null) throw e;
    if (it.numRead > 0) {
      // Continue exactly at the bit where the last sample ended.
      const bits = it.bitPos();
      const len = Math.ceil(bits / 8);
      const copy = new Uint8Array(Math.max(len + 16, 32));
      copy.set(this.buf.subarray(0, len));
      this.reset(copy, len, len * 8 - bits);
      this.t = it.t;
      this.vhi = it.vhi | 0;
      this.vlo = it.vlo | 0;
      this.tDelta = it.tDelta;
      this.leading = it.leading;
      this.trailing = it.trailing;
    }
    return new XORAppender(this);
  }

  /** Appends the sample (t ms, v). `t` must be greater than the previous sample's. */
  appendSample(t: number, v: number): void {
    f64[0] = v;
    if (this.buf[0] !== 0 || this.buf[1] !== 0) this.appendNext(t - this.t, u32[HI]!, u32[LO]!);
    else this.appendFirst(t, u32[HI]!, u32[LO]!);
  }

  /** Appends the chunk's first sample: time `t`, value bits `hi:lo` (32-bit halves, signed or unsigned). */
  appendFirst(t: number, hi: number, lo: number): void {
    hi |= 0;
    lo |= 0;
    writeVarint(this, t);
    this.writeBits64(hi, lo, 64);
    this.t = t;
    this.vhi = hi;
    this.vlo = lo;
    this.tDelta = 0;
    this.buf[0] = 0;
    this.buf[1] = 1;
  }

  /**
   * Appends a sample `tDelta` (> 0) ms after the last one, which must exist, with value
   * bits `hi:lo` (32-bit halves, signed or unsigned). The head's hot path: its arguments
   * are small integers, so calling it boxes no number (V8 would box a timestamp or a float).
   */
  appendNext(tDelta: number, hi: number, lo: number): void {
    hi |= 0;
    lo |= 0;
    const num = (this.buf[0]! << 8) | this.buf[1]!;
    if (num === 1) {
      writeUvarint(this, tDelta);
    } else {
      const dod = tDelta - this.tDelta;
      if (dod === 0) {
        this.writeBit(0);
      } else if (dod >= -8191 && dod <= 8192) {
        this.writeBits((0b10 << 14) | (dod & 0x3fff), 16);
      } else if (dod >= -65535 && dod <= 65536) {
        this.writeBits((0b110 << 17) | (dod & 0x1ffff), 20);
      } else if (dod >= -524287 && dod <= 524288) {
        this.writeBits((0b1110 << 20) | (dod & 0xfffff), 24);
      } else {
        this.writeBits(0b1111, 4);
        const dhi = Math.floor(dod / TWO32);
        this.writeBits64(dhi | 0, (dod - dhi * TWO32) | 0, 64);
      }
    }
    this.writeValue(hi, lo);
    this.t += tDelta;
    this.vhi = hi;
    this.vlo = lo;
    this.tDelta = tDelta;
    const n = num + 1;
    // The buffer may have grown while writing: read it again.
    const buf = this.buf;
    buf[0] = n >>> 8;
    buf[1] = n & 0xff;
  }

  private writeValue(hi: number, lo: number): void {
    const dhi = hi ^ this.vhi;
    const dlo = lo ^ this.vlo;
    if (dhi === 0 && dlo === 0) {
      this.writeBit(0);
      return;
    }
    let lead = dhi !== 0 ? Math.clz32(dhi) : 32 + Math.clz32(dlo);
    const trail = dlo !== 0 ? 31 - Math.clz32(dlo & -dlo) : 63 - Math.clz32(dhi & -dhi);
    // Prometheus clamps leading zeros to 31 so they fit in 5 bits.
    if (lead >= 32) lead = 31;
    if (this.leading !== 0xff && lead >= this.leading && trail >= this.trailing) {
      this.writeBits(0b10, 2);
      writeShifted(this, dhi, dlo, this.trailing, 64 - this.leading - this.trailing);
      return;
    }
    this.leading = lead;
    this.trailing = trail;
    const sig = 64 - lead - trail;
    // `11`, 5 bits leading, 6 bits significant count (64 wraps to 0, decoded back to 64).
    this.writeBits((0b11 << 11) | (lead << 6) | (sig & 63), 13);
    writeShifted(this, dhi, dlo, trail, sig);
  }
}

/** Appends samples to an `XORChunk` (whose encoder state it is). One per chunk; not safe for concurrent use. */
export class XORAppender {
  private readonly c: XORChunk;

  constructor(c: XORChunk) {
    this.c = c;
  }

  /** Appends the sample (t ms, v). `t` must be greater than the previous sample's. */
  append(t: number, v: number): void {
    this.c.appendSample(t, v);
  }
}

/** Writes the `n` low bits of `(hi:lo) >>> s` (halves as int32: no boxed numbers in calls). */
function writeShifted(b: BitWriter, hi: number, lo: number, s: number, n: number): void {
  if (s >= 32) {
    lo = (hi >>> (s - 32)) | 0;
    hi = 0;
  } else if (s > 0) {
    lo = (lo >>> s) | (hi << (32 - s));
    hi = (hi >>> s) | 0;
  }
  b.writeBits64(hi, lo, n);
}

/**
 * Iterates the samples of an XOR chunk. Allocates nothing per sample; `atV`
 * rebuilds the float from its bits on demand. A corrupt or truncated chunk ends
 * iteration with `err()` set.
 */
export class XORIterator implements SampleIterator {
  private readonly br: BitReader;
  numTotal: number;
  numRead: number;
  t: number;
  tDelta: number;
  vhi: number;
  vlo: number;
  leading: number;
  trailing: number;
  private error: CorruptChunkError | null;

  constructor(data: Uint8Array) {
    this.br = new BitReader();
    this.numTotal = 0;
    this.numRead = 0;
    this.t = Number.MIN_SAFE_INTEGER;
    this.tDelta = 0;
    this.vhi = 0;
    this.vlo = 0;
    this.leading = 0;
    this.trailing = 0;
    this.error = null;
    this.reset(data);
  }

  /**
   * Restarts on another chunk's bytes (header included), reading at most
   * `maxSamples` samples (a snapshot of a chunk that is still being appended to).
   */
  reset(data: Uint8Array, maxSamples = 65535): void {
    this.br.reset(data, XOR_HEADER_SIZE);
    const n = data.length >= 2 ? (data[0]! << 8) | data[1]! : 0;
    this.numTotal = Math.min(n, maxSamples);
    this.numRead = 0;
    this.t = Number.MIN_SAFE_INTEGER;
    this.tDelta = 0;
    this.vhi = 0;
    this.vlo = 0;
    this.leading = 0;
    this.trailing = 0;
    this.error = data.length >= 2 || data.length === 0 ? null : corrupt('chunk shorter than its 2-byte header');
  }

  /** The bit position just after the last sample read. */
  bitPos(): number {
    return this.br.pos;
  }

  next(): ValueType {
    if (this.error !== null || this.numRead === this.numTotal) return ValueType.None;
    const br = this.br;
    if (this.numRead === 0) {
      const t = readVarint(br);
      this.vhi = br.readBits(32);
      this.vlo = br.readBits(32);
      if (br.overrun || Number.isNaN(t)) return this.fail('truncated first sample');
      this.t = t;
      this.numRead = 1;
      return ValueType.Float;
    }
    if (this.numRead === 1) {
      const d = readUvarint(br);
      if (d < 0) return this.fail('truncated timestamp delta');
      this.tDelta = d;
      this.t += d;
    } else if (br.readBit() !== 0) {
      // Non-zero delta of delta; the zero case (the common one) skips all of this.
      // Count further 1 bits of the bucket prefix (10, 110, 1110, 1111).
      let ones = 1;
      while (ones < 4 && br.readBit() !== 0) ones++;
      let dod: number;
      if (ones === 1) {
        dod = br.readBits(14);
        if (dod > 8192) dod -= 16384;
      } else if (ones === 2) {
        dod = br.readBits(17);
        if (dod > 65536) dod -= 131072;
      } else if (ones === 3) {
        dod = br.readBits(20);
        if (dod > 524288) dod -= 1048576;
      } else {
        const hi = br.readBits(32);
        dod = (hi | 0) * TWO32 + br.readBits(32);
      }
      this.tDelta += dod;
      this.t += this.tDelta;
    } else {
      this.t += this.tDelta;
    }
    // Value.
    if (br.readBit() !== 0) {
      let mbits: number;
      if (br.readBit() === 0) {
        mbits = 64 - this.leading - this.trailing;
      } else {
        const lm = br.readBits(11);
        this.leading = lm >>> 6;
        mbits = lm & 63;
        if (mbits === 0) mbits = 64;
        this.trailing = 64 - this.leading - mbits;
        if (this.trailing < 0) return this.fail('invalid leading/significant bit counts');
      }
      let hi = 0;
      let lo: number;
      if (mbits > 32) {
        hi = br.readBits(mbits - 32);
        lo = br.readBits(32);
      } else {
        lo = br.readBits(mbits);
      }
      const s = this.trailing;
      if (s >= 32) {
        hi = lo << (s - 32);
        lo = 0;
      } else if (s > 0) {
        hi = (hi << s) | (lo >>> (32 - s));
        lo = lo << s;
      }
      this.vhi = (this.vhi ^ hi) >>> 0;
      this.vlo = (this.vlo ^ lo) >>> 0;
    }
    if (br.overrun) return this.fail(`truncated at sample ${this.numRead}`);
    this.numRead++;
    return ValueType.Float;
  }

  /**
   * Decodes the remaining samples with timestamps in `[mint, maxt]` straight into
   * `buf` (value bits copied exactly). Returns true when it stopped at a sample
   * after `maxt` (which, like the ones before `mint`, is not written); false when
   * the chunk ran out or failed (see `err`).
   */
  decodeInto(buf: SampleBuffer, mint: number, maxt: number): boolean {
    if (this.error !== null) return false;
    buf.ensure(this.numTotal - this.numRead);
    const ts = buf.ts;
    const words = buf.words;
    let n = buf.n;
    let stop = false;
    if (this.numRead === 0 && this.numTotal > 0) {
      if (this.next() === ValueType.None) return false;
      if (this.t > maxt) return true;
      if (this.t >= mint) {
        ts[n] = this.t;
        words[2 * n + WORD_HI] = this.vhi;
        words[2 * n + WORD_LO] = this.vlo;
        n++;
      }
    }
    if (this.numRead === 1 && this.numTotal > 1) {
      if (this.next() === ValueType.None) {
        buf.n = n;
        return false;
      }
      if (this.t > maxt) {
        buf.n = n;
        return true;
      }
      if (this.t >= mint) {
        ts[n] = this.t;
        words[2 * n + WORD_HI] = this.vhi;
        words[2 * n + WORD_LO] = this.vlo;
        n++;
      }
    }
    const br = this.br;
    // The bit reader's state in locals; `peek32` reads 32 bits at any bit position.
    const b = br.buf;
    const endBit = br.end;
    let pos = br.pos;
    let t = this.t;
    let tDelta = this.tDelta;
    let vhi = this.vhi;
    let vlo = this.vlo;
    let leading = this.leading;
    let trailing = this.trailing;
    let read = this.numRead;
    const total = this.numTotal;
    while (read < total) {
      let w = peek32(b, pos);
      if (w >= 0x80000000) {
        // Non-zero delta of delta: bucket prefix 10, 110, 1110 or 1111.
        let dod: number;
        if ((w & 0x40000000) === 0) {
          dod = peek32(b, pos + 2) >>> 18;
          pos += 16;
          if (dod > 8192) dod -= 16384;
        } else if ((w & 0x20000000) === 0) {
          dod = peek32(b, pos + 3) >>> 15;
          pos += 20;
          if (dod > 65536) dod -= 131072;
        } else if ((w & 0x10000000) === 0) {
          dod = peek32(b, pos + 4) >>> 12;
          pos += 24;
          if (dod > 524288) dod -= 1048576;
        } else {
          const h = peek32(b, pos + 4);
          dod = (h | 0) * TWO32 + peek32(b, pos + 36);
          pos += 68;
        }
        tDelta += dod;
        w = peek32(b, pos);
      } else {
        pos += 1;
        w = (w << 1) >>> 0;
      }
      t += tDelta;
      // Value: 0 = unchanged; 10 = same window; 11 = new window.
      if (w < 0x80000000) {
        pos += 1;
      } else {
        let mbits: number;
        if ((w & 0x40000000) === 0) {
          pos += 2;
          mbits = 64 - leading - trailing;
        } else {
          const lm = peek32(b, pos + 2) >>> 21;
          pos += 13;
          leading = lm >>> 6;
          mbits = lm & 63;
          if (mbits === 0) mbits = 64;
          trailing = 64 - leading - mbits;
          if (trailing < 0) {
            this.error = corrupt('invalid leading/significant bit counts');
            break;
          }
        }
        let hi = 0;
        let lo: number;
        if (mbits > 32) {
          hi = peek32(b, pos) >>> (64 - mbits);
          pos += mbits - 32;
          lo = peek32(b, pos);
          pos += 32;
        } else {
          lo = peek32(b, pos) >>> (32 - mbits);
          pos += mbits;
        }
        const sh = trailing;
        if (sh >= 32) {
          hi = lo << (sh - 32);
          lo = 0;
        } else if (sh > 0) {
          hi = (hi << sh) | (lo >>> (32 - sh));
          lo = lo << sh;
        }
        vhi = (vhi ^ hi) >>> 0;
        vlo = (vlo ^ lo) >>> 0;
      }
      if (pos > endBit) {
        br.overrun = true;
        this.error = corrupt(`truncated at sample ${read}`);
        break;
      }
      read++;
      if (t > maxt) {
        stop = true;
        break;
      }
      if (t >= mint) {
        ts[n] = t;
        words[2 * n + WORD_HI] = vhi;
        words[2 * n + WORD_LO] = vlo;
        n++;
      }
    }
    br.pos = pos;
    this.t = t;
    this.tDelta = tDelta;
    this.vhi = vhi;
    this.vlo = vlo;
    this.leading = leading;
    this.trailing = trailing;
    this.numRead = read;
    buf.n = n;
    return stop;
  }

  seek(t: number): ValueType {
    if (this.error !== null) return ValueType.None;
    while (this.numRead === 0 || t > this.t) {
      if (this.next() === ValueType.None) return ValueType.None;
    }
    return ValueType.Float;
  }

  atT(): number {
    return this.t;
  }

  atV(): number {
    u32[HI] = this.vhi;
    u32[LO] = this.vlo;
    return f64[0]!;
  }

  err(): Error | null {
    return this.error;
  }

  private fail(what: string): ValueType {
    this.error = corrupt(what);
    return ValueType.None;
  }
}

/** The 32 bits starting at bit `pos` of `b` (zeros past its end), as an unsigned integer. */
function peek32(b: Uint8Array, pos: number): number {
  const i = pos >>> 3;
  if (i + 4 >= b.length) return peek32Tail(b, pos);
  const sh = pos & 7;
  const w = (b[i]! << 24) | (b[i + 1]! << 16) | (b[i + 2]! << 8) | b[i + 3]!;
  return sh === 0 ? w >>> 0 : ((w << sh) | (b[i + 4]! >>> (8 - sh))) >>> 0;
}

/** `peek32` near the end of the bytes (kept apart so `peek32` stays small enough to inline). */
function peek32Tail(b: Uint8Array, pos: number): number {
  const i = pos >>> 3;
  let w = 0;
  for (let k = 0; k < 5; k++) w = w * 256 + (i + k < b.length ? b[i + k]! : 0);
  // w holds 40 bits; drop the `pos & 7` leading ones already consumed and keep the next 32.
  return Math.floor(w / 2 ** (8 - (pos & 7))) % TWO32;
}

function corrupt(what: string): CorruptChunkError {
  return new CorruptChunkError(`corrupt XOR chunk: ${what}`);
}
