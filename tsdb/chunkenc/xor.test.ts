import assert from 'node:assert/strict';
import { test } from 'node:test';
import { STALE_NAN, ValueType } from '../storage.js';
import { BitReader, BitWriter } from './bstream.js';
import { CorruptChunkError, chunkFromData, decodeChunk, Encoding, encodeXOR, XORAppender, XORChunk } from './chunk.js';

const dv = new DataView(new ArrayBuffer(8));
function bits(v: number): bigint {
  dv.setFloat64(0, v);
  return dv.getBigUint64(0);
}
function fromBits(b: bigint): number {
  dv.setBigUint64(0, b);
  return dv.getFloat64(0);
}

/** Deterministic PRNG (mulberry32) so failures reproduce. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function roundTrip(ts: ArrayLike<number>, vs: ArrayLike<number>): void {
  const c = new XORChunk();
  const a = new XORAppender(c);
  for (let i = 0; i < ts.length; i++) a.append(ts[i]!, vs[i]!);
  assert.equal(c.numSamples(), ts.length);
  const it = c.iterator();
  for (let i = 0; i < ts.length; i++) {
    assert.equal(it.next(), ValueType.Float, `sample ${i}`);
    assert.equal(it.atT(), ts[i], `timestamp ${i}`);
    assert.equal(bits(it.atV()), bits(vs[i]!), `value bits ${i} (${vs[i]})`);
  }
  assert.equal(it.next(), ValueType.None);
  assert.equal(it.err(), null);
  // The same bytes, read through the on-disk path.
  const copy = Uint8Array.from(c.bytes());
  const d = chunkFromData(Encoding.XOR, copy);
  const outT = new Float64Array(ts.length);
  const outV = new Float64Array(ts.length);
  assert.equal(decodeChunk(d, outT, outV, 0), ts.length);
  for (let i = 0; i < ts.length; i++) {
    assert.equal(outT[i], ts[i]);
    assert.equal(bits(outV[i]!), bits(vs[i]!), `Float64Array keeps value bits ${i}`);
  }
}

test('bstream writes most significant bit first and reads back fields of every width', () => {
  const w = new BitWriter(1);
  w.writeBit(1);
  w.writeBits(0b0101, 4);
  w.writeBits(0xdeadbeef, 32);
  w.writeBits(0x1ffff, 17);
  assert.equal(w.bitLength(), 54);
  assert.equal(w.bytes()[0], 0b1010_1110);
  const r = new BitReader(w.bytes());
  assert.equal(r.readBit(), 1);
  assert.equal(r.readBits(4), 0b0101);
  assert.equal(r.readBits(32), 0xdeadbeef);
  assert.equal(r.readBits(17), 0x1ffff);
  assert.equal(r.overrun, false);
  r.readBits(16);
  assert.equal(r.overrun, true);
});

test('xor chunk of two samples has the exact bytes of the Prometheus layout', () => {
  // t0=1000 → zig-zag 2000 → varint D0 0F; v=1.0 → 3FF0000000000000;
  // delta 1000 → uvarint E8 07; unchanged value → one 0 bit, padded to a byte.
  const c = encodeXOR([1000, 2000], [1, 1]);
  assert.deepEqual(
    Array.from(c.bytes()),
    [0x00, 0x02, 0xd0, 0x0f, 0x3f, 0xf0, 0, 0, 0, 0, 0, 0, 0xe8, 0x07, 0x00],
  );
});

test('xor chunk encodes the delta-of-delta buckets and value window by hand-computed bits', () => {
  // Third sample: dod = 1 → '10' + 14-bit 1; value 1.0 → 2.0: bits 3FF0… ^ 4000… = 7FF0000000000000,
  // leading 1, trailing 52, sigbits 11 → '1' '1' 00001 001011 11111111111.
  const c = encodeXOR([0, 10, 21], [1, 1, 2]);
  const r = new BitReader(c.bytes(), 2);
  assert.equal(r.readByte(), 0); // varint(0)
  r.readBits(32);
  r.readBits(32);
  assert.equal(r.readByte(), 10); // uvarint(10)
  assert.equal(r.readBit(), 0); // value unchanged
  assert.equal(r.readBits(2), 0b10);
  assert.equal(r.readBits(14), 1);
  assert.equal(r.readBits(2), 0b11);
  assert.equal(r.readBits(5), 1);
  assert.equal(r.readBits(6), 11);
  assert.equal(r.readBits(11), 0x7ff);
});

test('xor round trip over edge-case values keeps every bit (NaN, stale NaN, ±Inf, -0, extremes)', () => {
  // Values given as bits and held in a Float64Array: a plain JS array of doubles
  // would quiet the signalling stale NaN (0x7ff0…02 → 0x7ff8…02) before the chunk sees it.
  const vb = new BigUint64Array([
    bits(0),
    bits(-0),
    bits(1),
    bits(1),
    0x7ff8000000000000n, // NaN
    0x7ff0000000000002n, // stale marker
    0x7ff0000000000002n,
    bits(Number.POSITIVE_INFINITY),
    bits(Number.NEGATIVE_INFINITY),
    bits(Number.MAX_VALUE),
    bits(Number.MIN_VALUE),
    bits(-Number.MAX_VALUE),
    0x7ff8000000000001n,
    0xfff0000000000001n,
    bits(1e-300),
    bits(123456.789),
    0x7ff0000000000002n,
    bits(0),
  ]);
  const vs = new Float64Array(vb.buffer);
  const ts = Array.from(vs, (_, i) => 1_600_000_000_000 + i * 15_000);
  roundTrip(ts, vs);
  const it = encodeXOR(ts, vs).iterator();
  for (let i = 0; i < 6; i++) it.next();
  assert.equal(bits(it.atV()), 0x7ff0000000000002n, 'stale marker bits survive');
  assert.equal(bits(STALE_NAN), 0x7ff0000000000002n);
  const sv = new Float64Array(2);
  sv[0] = STALE_NAN;
  sv[1] = 1;
  const one = encodeXOR([0, 1], sv).iterator();
  one.next();
  assert.equal(bits(one.atV()), 0x7ff0000000000002n, 'STALE_NAN passed straight through survives');
});

test('xor round trip over large gaps, negative timestamps and every dod bucket boundary', () => {
  const deltas = [1, 8193, 1, -8190 + 8193, 65537 + 1, 1, 524289 + 2, 1, 2 ** 40, 1, 3 ** 30, 7];
  const ts: number[] = [-5_000_000_000_000];
  for (const d of deltas) ts.push(ts[ts.length - 1]! + Math.abs(d) + 1);
  // Every bucket edge of the dod: ±(2^(n-1)-1) and 2^(n-1) and one beyond.
  let t = -100;
  const ts2 = [t, (t += 10)];
  let delta = 10;
  for (const dod of [0, 8192, -8191, 8193, -8192, 65536, -65535, 65537, -65536, 524288, -524287, 524289, -524288, 2 ** 45]) {
    if (delta + dod <= 0) continue;
    delta += dod;
    ts2.push((t += delta));
  }
  roundTrip(ts, ts.map((_, i) => i * 1.5));
  roundTrip(ts2, ts2.map(() => 42));
});

test('xor round trip over random series of counters, gauges and noise', () => {
  const r = rng(7);
  for (let s = 0; s < 200; s++) {
    const n = 1 + Math.floor(r() * 300);
    const ts: number[] = [];
    const vs: number[] = [];
    let t = Math.floor((r() - 0.5) * 2e12);
    let v = r() * 1000;
    const kind = s % 4;
    for (let i = 0; i < n; i++) {
      t += kind === 3 ? 1 + Math.floor(r() * 1e9) : 15000 + Math.floor((r() - 0.5) * 40);
      if (kind === 0) v += Math.floor(r() * 10);
      else if (kind === 1) v = Math.round(r() * 100) / 4;
      else if (kind === 2) v = fromBits((BigInt(Math.floor(r() * 2 ** 32)) << 32n) | BigInt(Math.floor(r() * 2 ** 32)));
      else v = r() < 0.5 ? v : r() * 1e6;
      ts.push(t);
      vs.push(v);
    }
    roundTrip(ts, vs);
  }
});

test('xor iterator seek finds the first sample at or after t and never moves backwards', () => {
  const ts = Array.from({ length: 100 }, (_, i) => i * 10);
  const c = encodeXOR(ts, ts.map((t) => t / 10));
  const it = c.iterator();
  assert.equal(it.seek(55), ValueType.Float);
  assert.equal(it.atT(), 60);
  assert.equal(it.atV(), 6);
  assert.equal(it.seek(10), ValueType.Float, 'seek backwards stays');
  assert.equal(it.atT(), 60);
  assert.equal(it.seek(60), ValueType.Float);
  assert.equal(it.atT(), 60);
  assert.equal(it.next(), ValueType.Float);
  assert.equal(it.atT(), 70);
  assert.equal(it.seek(991), ValueType.None, 'xor iterator seek past the end returns false');
  const it2 = c.iterator(it);
  assert.equal(it2, it, 'iterator is reused');
  assert.equal(it2.seek(-1), ValueType.Float);
  assert.equal(it2.atT(), 0);
});

test('xor appender resumes on a chunk loaded from bytes and continues at the right bit', () => {
  const ts = [5, 17, 29, 44, 45, 1000];
  const vs = [1.5, 2.5, STALE_NAN, 2.5, 2.5, -7];
  const c = encodeXOR(ts.slice(0, 3), vs.slice(0, 3));
  const resumed = XORChunk.fromData(Uint8Array.from(c.bytes()));
  const a = resumed.appender();
  for (let i = 3; i < ts.length; i++) a.append(ts[i]!, vs[i]!);
  const outT = new Float64Array(6);
  const outV = new Float64Array(6);
  decodeChunk(resumed, outT, outV, 0);
  assert.deepEqual(Array.from(outT), ts);
  for (let i = 0; i < 6; i++) assert.equal(bits(outV[i]!), bits(vs[i]!));
  // An empty chunk behaves like a new one: same bytes as encoding from scratch.
  const e = new XORChunk();
  const ea = e.appender();
  for (let i = 0; i < ts.length; i++) ea.append(ts[i]!, vs[i]!);
  assert.deepEqual(e.bytes(), encodeXOR(ts, vs).bytes());
});

test('xor iterator reports a truncated chunk as CorruptChunkError instead of inventing samples', () => {
  const ts = Array.from({ length: 50 }, (_, i) => i * 1000 + (i % 3));
  const c = encodeXOR(ts, ts.map((t) => Math.sin(t)));
  const cut = c.bytes().subarray(0, c.bytes().length - 20);
  const it = XORChunk.fromData(cut).iterator();
  let n = 0;
  while (it.next() !== ValueType.None) n++;
  assert.ok(n < 50);
  assert.ok(it.err() instanceof CorruptChunkError);
  assert.throws(() => chunkFromData(Encoding.Histogram, c.bytes()), CorruptChunkError);
});

test('encodeXOR rejects timestamps that do not increase', () => {
  assert.throws(() => encodeXOR([1, 1], [0, 0]), /does not increase/);
});
