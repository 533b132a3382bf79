import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ChunkList } from './block/chunk_series_iterator.js';
import { ChunkSeriesIterator } from './block/chunk_series_iterator.js';
import { isDeleted } from './block/tombstones.js';
import { type Chunk, encodeXOR } from './chunkenc/chunk.js';
import { ChainSampleIterator } from './querier.js';
import { SampleBuffer, WORD_HI, WORD_LO, drainInto } from './sample_buffer.js';
import { ArraySampleIterator } from './series_set.js';
import { STALE_NAN, type SampleIterator, ValueType, isStaleNaN } from './storage.js';

class Chunks implements ChunkList {
  constructor(
    private readonly cs: Chunk[],
    private readonly maxts: number[],
  ) {}
  get length(): number {
    return this.cs.length;
  }
  maxTime(i: number): number {
    return this.maxts[i]!;
  }
  open(i: number): Chunk {
    return this.cs[i]!;
  }
}

function rng(seed: number): () => number {
  let s = seed;
  return () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 4294967296;
}

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);

/** What `next` yields: timestamps and value bits (hi, lo) of every remaining sample. */
function viaNext(it: SampleIterator): { ts: number[]; bits: number[] } {
  const ts: number[] = [];
  const bits: number[] = [];
  while (it.next() !== ValueType.None) {
    ts.push(it.atT());
    f64[0] = it.atV();
    bits.push(u32[WORD_HI]!, u32[WORD_LO]!);
  }
  return { ts, bits };
}

function viaDrain(it: SampleIterator, buf: SampleBuffer): { ts: number[]; bits: number[] } {
  const from = buf.n;
  drainInto(it, buf);
  const ts: number[] = [];
  const bits: number[] = [];
  for (let i = from; i < buf.n; i++) {
    ts.push(buf.ts[i]!);
    bits.push(buf.words[2 * i + WORD_HI]!, buf.words[2 * i + WORD_LO]!);
  }
  return { ts, bits };
}

/** Random sorted samples with varied values: repeats, decimals, NaN, stale markers, infinities. */
function randomSeries(rnd: () => number, n: number, t0: number): { ts: number[]; vs: Float64Array } {
  const ts: number[] = [];
  const vs = new Float64Array(n);
  let t = t0;
  let v = 0;
  for (let i = 0; i < n; i++) {
    ts.push(t);
    // Gaps of every delta-of-delta bucket size, up to the 64-bit one.
    const g = rnd();
    t += 1 + Math.floor(rnd() * (g < 0.02 ? 1e9 : g < 0.05 ? 400_000 : g < 0.1 ? 60_000 : g < 0.2 ? 5_000 : 30));
    const r = rnd();
    if (r < 0.05) vs[i] = STALE_NAN;
    else if (r < 0.07) vs[i] = Number.NaN;
    else if (r < 0.08) vs[i] = Number.POSITIVE_INFINITY;
    else if (r < 0.5) vs[i] = v;
    else {
      v += rnd() < 0.5 ? Math.floor(rnd() * 1000) : rnd() * 1e6 - 5e5;
      vs[i] = v;
    }
  }
  return { ts, vs };
}

function chunked(rnd: () => number, ts: number[], vs: Float64Array): Chunks {
  const cs: Chunk[] = [];
  const maxts: number[] = [];
  for (let i = 0; i < ts.length; ) {
    const j = Math.min(ts.length, i + 1 + Math.floor(rnd() * 150));
    cs.push(encodeXOR(ts, vs, i, j));
    maxts.push(ts[j - 1]!);
    i = j;
  }
  return new Chunks(cs, maxts);
}

test('drainInto of a chunk series equals next(), bit for bit, with bounds, tombstones and partial iteration', () => {
  const rnd = rng(4242);
  const buf = new SampleBuffer(4);
  for (let round = 0; round < 300; round++) {
    const { ts, vs } = randomSeries(rnd, Math.floor(rnd() * 700), Math.floor(rnd() * 1000) - 500);
    const list = chunked(rnd, ts, vs);
    const last = ts.length > 0 ? ts[ts.length - 1]! : 0;
    const mint = Math.floor(rnd() * (last + 1000)) - 600;
    const maxt = rnd() < 0.3 ? Number.POSITIVE_INFINITY : mint + Math.floor(rnd() * (last + 1000));
    const del = rnd() < 0.3 ? [mint + 50, mint + 400, mint + 900, mint + 1000] : null;
    const a = new ChunkSeriesIterator(list, mint, maxt, del);
    const b = new ChunkSeriesIterator(list, mint, maxt, del);
    // Sometimes start draining mid-way, after a few next() calls or a seek.
    const pre = Math.floor(rnd() * 4);
    for (let k = 0; k < pre; k++) {
      const ra = k === 2 ? a.seek(mint + 3000) : a.next();
      const rb = k === 2 ? b.seek(mint + 3000) : b.next();
      assert.equal(ra, rb);
    }
    if (rnd() < 0.5) buf.n = 0;
    const want = viaNext(a);
    const got = viaDrain(b, buf);
    assert.deepEqual(got.ts, want.ts, `round ${round}: timestamps`);
    assert.deepEqual(got.bits, want.bits, `round ${round}: value bits`);
    assert.equal(b.next(), ValueType.None, 'exhausted after drainInto');
    for (const t of got.ts) assert.ok(t >= mint && t <= maxt && !isDeleted(del, t));
  }
});

test('drainInto of a chain merges overlapping inputs like next(): earliest input wins on equal timestamps', () => {
  const rnd = rng(99);
  const buf = new SampleBuffer(16);
  for (let round = 0; round < 200; round++) {
    const k = 1 + Math.floor(rnd() * 3);
    const inputs: { list: Chunks; ts: number[]; vs: Float64Array }[] = [];
    for (let i = 0; i < k; i++) {
      // Overlapping, disjoint or identical ranges (coarse timestamps make collisions likely).
      const { ts, vs } = randomSeries(rnd, Math.floor(rnd() * 300), rnd() < 0.5 ? 0 : Math.floor(rnd() * 5000));
      inputs.push({ list: chunked(rnd, ts, vs), ts, vs });
    }
    const mk = (): SampleIterator[] =>
      inputs.map((x, i) => (i % 2 === 0 ? new ChunkSeriesIterator(x.list, -1e9, 1e15, null) : new ArraySampleIterator(Float64Array.from(x.ts), x.vs, x.ts.length)));
    const a = new ChainSampleIterator(mk());
    const b = new ChainSampleIterator(mk());
    if (rnd() < 0.3) {
      assert.equal(a.next(), b.next());
    }
    const want = viaNext(a);
    const got = viaDrain(b, buf);
    assert.deepEqual(got.ts, want.ts, `round ${round}: timestamps`);
    assert.deepEqual(got.bits, want.bits, `round ${round}: value bits`);
  }
});

test('drainInto keeps the staleness marker and grows through beforeGrow, which may refuse', () => {
  const ts = Float64Array.from([1, 2, 3, 4]);
  const vs = Float64Array.from([1, 0, 2, 3]);
  vs[1] = STALE_NAN;
  const buf = new SampleBuffer(2);
  const asked: number[] = [];
  buf.beforeGrow = (n) => asked.push(n);
  drainInto(new ArraySampleIterator(ts, vs, 4), buf);
  assert.equal(buf.n, 4);
  assert.ok(isStaleNaN(buf.vs[1]!));
  assert.deepEqual(asked, [4]);
  buf.beforeGrow = () => {
    throw new Error('over the limit');
  };
  assert.throws(() => drainInto(new ArraySampleIterator(ts, vs, 4), buf), /over the limit/);
  // A chunk's stale marker too.
  const c = encodeXOR([10, 20, 30], vs, 0, 3);
  const cb = new SampleBuffer(1);
  drainInto(new ChunkSeriesIterator(new Chunks([c], [30]), 0, 100, null), cb);
  assert.deepEqual(Array.from(cb.ts.subarray(0, cb.n)), [10, 20, 30]);
  assert.ok(isStaleNaN(cb.vs[1]!));
  assert.equal(cb.vs[2], 2);
});
