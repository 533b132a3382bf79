/**
 * WAL record encoding, as Prometheus's `tsdb/record/record.go`:
 *
 * - Series (type 1): per series `ref` (8 bytes BE), label count (uvarint), then
 *   each name and value as uvarint length + UTF-8 bytes.
 * - Samples (type 2): first `ref` and `t` (8 bytes BE each), then per sample
 *   `ref - firstRef` (varint), `t - firstT` (varint), value bits (8 bytes BE).
 * - Tombstones (type 3): per interval `ref` (8 BE), `mint` (varint), `maxt` (varint).
 *
 * Encoders append into a caller's `EncBuf`; the sample decoder fills a reusable
 * `SampleBatch` of typed arrays. Values are copied as raw bits, so NaN payloads
 * (the staleness marker) survive.
 */
import type { EncBuf } from '../encoding/encbuf.js';
import { Labels } from '../labels.js';

export enum RecordType {
  Unknown = 255,
  Series = 1,
  Samples = 2,
  Tombstones = 3,
  Exemplars = 4,
  MmapMarkers = 5,
  Metadata = 6,
  HistogramSamples = 7,
  FloatHistogramSamples = 8,
}

/** A WAL record that cannot be decoded. */
export class RecordDecodeError extends Error {
  readonly code = 'wal_record_corrupt';
  constructor(what: string) {
    super(`corrupt WAL record: ${what}`);
    this.name = 'RecordDecodeError';
  }
}

const TWO32 = 4294967296;
const utf8dec = new TextDecoder();

/** Decoded samples (struct of arrays). Grows as needed; reuse across records. */
export class SampleBatch {
  refs: Uint32Array;
  ts: Float64Array;
  vs: Float64Array;
  /** Raw value words, aliasing `vs`: `[2i]` low, `[2i+1]` high on little-endian hosts. */
  vw: Uint32Array;
  n: number;

  constructor(cap = 1024) {
    this.refs = new Uint32Array(cap);
    this.ts = new Float64Array(cap);
    this.vs = new Float64Array(cap);
    this.vw = new Uint32Array(this.vs.buffer);
    this.n = 0;
  }

  ensure(cap: number): void {
    if (cap <= this.refs.length) return;
    let c = this.refs.length * 2;
    while (c < cap) c *= 2;
    const r = new Uint32Array(c);
    const t = new Float64Array(c);
    const v = new Float64Array(c);
    r.set(this.refs.subarray(0, this.n));
    t.set(this.ts.subarray(0, this.n));
    v.set(this.vs.subarray(0, this.n));
    this.refs = r;
    this.ts = t;
    this.vs = v;
    this.vw = new Uint32Array(v.buffer);
  }
}

const LE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const HI = LE ? 1 : 0;
const LO = LE ? 0 : 1;

/** The record's type byte (Unknown for an empty record). */
export function recordType(rec: Uint8Array): RecordType {
  return rec.length === 0 ? RecordType.Unknown : (rec[0]! as RecordType);
}

/** Appends a Series record for the given series. */
export function encodeSeries(buf: EncBuf, refs: readonly number[], labels: readonly Labels[]): void {
  buf.putByte(RecordType.Series);
  for (let i = 0; i < refs.length; i++) {
    buf.putBE64(refs[i]!);
    const l = labels[i]!;
    buf.putUvarint(l.length);
    for (let j = 0; j < l.length; j++) {
      buf.putUvarintStr(l.name(j));
      buf.putUvarintStr(l.value(j));
    }
  }
}

/**
 * Appends a Samples record for samples `[0, n)` of the arrays; `vw` are the raw
 * 32-bit words of `vs` (see `SampleBatch.vw`). Hot path: writes bytes directly.
 */
export function encodeSamples(buf: EncBuf, refs: Uint32Array, ts: Float64Array, vw: Uint32Array, n: number): void {
  buf.putByte(RecordType.Samples);
  if (n === 0) return;
  const r0 = refs[0]!;
  const t0 = ts[0]!;
  buf.putBE64(r0);
  putBE64Signed(buf, t0);
  buf.ensure(n * 28);
  const b = buf.buf;
  let o = buf.len;
  for (let i = 0; i < n; i++) {
    o = putVarintAt(b, o, refs[i]! - r0);
    o = putVarintAt(b, o, ts[i]! - t0);
    const hi = vw[2 * i + HI]!;
    const lo = vw[2 * i + LO]!;
    b[o] = hi >>> 24;
    b[o + 1] = (hi >>> 16) & 0xff;
    b[o + 2] = (hi >>> 8) & 0xff;
    b[o + 3] = hi & 0xff;
    b[o + 4] = lo >>> 24;
    b[o + 5] = (lo >>> 16) & 0xff;
    b[o + 6] = (lo >>> 8) & 0xff;
    b[o + 7] = lo & 0xff;
    o += 8;
  }
  buf.len = o;
}

/** Appends a Tombstones record from `[ref, mint, maxt]` triples. */
export function encodeTombstones(buf: EncBuf, triples: readonly number[]): void {
  buf.putByte(RecordType.Tombstones);
  for (let i = 0; i + 2 < triples.length; i += 3) {
    buf.putBE64(triples[i]!);
    buf.putVarint(triples[i + 1]!);
    buf.putVarint(triples[i + 2]!);
  }
}

function putBE64Signed(buf: EncBuf, v: number): void {
  const hi = Math.floor(v / TWO32);
  buf.putBE32(hi >>> 0);
  buf.putBE32(v - hi * TWO32);
}

/** Zig-zag varint of an integer |v| < 2^52 into `b` at `o` (room assumed); returns the next offset. */
function putVarintAt(b: Uint8Array, o: number, v: number): number {
  let u = v >= 0 ? v * 2 : -v * 2 - 1;
  if (u < 0x80000000) {
    u = u >>> 0;
    while (u >= 0x80) {
      b[o++] = (u & 0x7f) | 0x80;
      u >>>= 7;
    }
    b[o++] = u;
    return o;
  }
  while (u >= 0x80) {
    b[o++] = (u % 0x80) | 0x80;
    u = Math.floor(u / 0x80);
  }
  b[o++] = u;
  return o;
}

// Decoding ----------------------------------------------------------------

/** Cursor shared by the decoders (module-level to avoid allocation). */
let pos = 0;

function readVarint(b: Uint8Array): number {
  let u = 0;
  let mul = 1;
  for (let i = 0; i < 10; i++) {
    if (pos >= b.length) throw new RecordDecodeError(`varint runs past the end at byte ${pos}`);
    const c = b[pos++]!;
    u += (c & 0x7f) * mul;
    if (c < 0x80) return u % 2 === 0 ? u / 2 : -(u + 1) / 2;
    mul *= 128;
  }
  throw new RecordDecodeError(`varint longer than 10 bytes at byte ${pos}`);
}

function readUvarint(b: Uint8Array): number {
  let u = 0;
  let mul = 1;
  for (let i = 0; i < 10; i++) {
    if (pos >= b.length) throw new RecordDecodeError(`uvarint runs past the end at byte ${pos}`);
    const c = b[pos++]!;
    u += (c & 0x7f) * mul;
    if (c < 0x80) return u;
    mul *= 128;
  }
  throw new RecordDecodeError(`uvarint longer than 10 bytes at byte ${pos}`);
}

function readBE64(b: Uint8Array, signed: boolean): number {
  if (pos + 8 > b.length) throw new RecordDecodeError(`8-byte field runs past the end at byte ${pos}`);
  const hi = ((b[pos]! << 24) | (b[pos + 1]! << 16) | (b[pos + 2]! << 8) | b[pos + 3]!) >>> 0;
  const lo = ((b[pos + 4]! << 24) | (b[pos + 5]! << 16) | (b[pos + 6]! << 8) | b[pos + 7]!) >>> 0;
  pos += 8;
  return (signed ? hi | 0 : hi) * TWO32 + lo;
}

/** Decodes a Samples record into `out` (replacing its content). Throws `RecordDecodeError`. */
export function decodeSamples(rec: Uint8Array, out: SampleBatch): void {
  out.n = 0;
  pos = 1;
  if (rec.length === 1) return;
  const r0 = readBE64(rec, false);
  const t0 = readBE64(rec, true);
  // Each sample takes at least 10 bytes: bounds the batch size up front.
  out.ensure(Math.ceil((rec.length - pos) / 10));
  const refs = out.refs;
  const ts = out.ts;
  const vw = out.vw;
  let n = 0;
  const len = rec.length;
  while (pos < len) {
    const dr = readVarint(rec);
    const dt = readVarint(rec);
    if (pos + 8 > len) throw new RecordDecodeError(`sample value runs past the end at byte ${pos}`);
    const p = pos;
    refs[n] = r0 + dr;
    ts[n] = t0 + dt;
    vw[2 * n + HI] = ((rec[p]! << 24) | (rec[p + 1]! << 16) | (rec[p + 2]! << 8) | rec[p + 3]!) >>> 0;
    vw[2 * n + LO] = ((rec[p + 4]! << 24) | (rec[p + 5]! << 16) | (rec[p + 6]! << 8) | rec[p + 7]!) >>> 0;
    pos = p + 8;
    n++;
  }
  out.n = n;
}

/** Decodes a Series record into parallel arrays of references and label sets. */
export function decodeSeries(rec: Uint8Array, refs: number[], labels: Labels[]): void {
  pos = 1;
  while (pos < rec.length) {
    const ref = readBE64(rec, false);
    const n = readUvarint(rec);
    if (n > rec.length) throw new RecordDecodeError(`label count ${n} exceeds the record size`);
    const kv: string[] = [];
    for (let i = 0; i < 2 * n; i++) {
      const l = readUvarint(rec);
      if (pos + l > rec.length) throw new RecordDecodeError(`label string runs past the end at byte ${pos}`);
      kv.push(utf8dec.decode(rec.subarray(pos, pos + l)));
      pos += l;
    }
    refs.push(ref);
    labels.push(Labels.fromStrings(...kv));
  }
}

/** Decodes a Tombstones record into `[ref, mint, maxt]` triples. */
export function decodeTombstones(rec: Uint8Array, out: number[]): void {
  pos = 1;
  while (pos < rec.length) {
    const ref = readBE64(rec, false);
    const mint = readVarint(rec);
    const maxt = readVarint(rec);
    out.push(ref, mint, maxt);
  }
}
