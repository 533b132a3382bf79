import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type Chunk, encodeXOR } from '../chunkenc/chunk.js';
import { ValueType } from '../storage.js';
import { type ChunkList, ChunkSeriesIterator } from './chunk_series_iterator.js';
import { isDeleted } from './tombstones.js';

class Chunks implements ChunkList {
  opened = 0;
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
    this.opened++;
    return this.cs[i]!;
  }
}

test('chunk series iterator: range bounds, tombstones and seek agree with a filtered reference', () => {
  let seed = 777;
  const rnd = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 4294967296);
  for (let round = 0; round < 200; round++) {
    const ts: number[] = [];
    let t = Math.floor(rnd() * 100) - 50;
    const n = Math.floor(rnd() * 400);
    for (let i = 0; i < n; i++) {
      ts.push(t);
      t += 1 + Math.floor(rnd() * 20);
    }
    const vs = ts.map((x) => x * 0.5);
    const cs: Chunk[] = [];
    const maxts: number[] = [];
    for (let i = 0; i < n; ) {
      const j = Math.min(n, i + 1 + Math.floor(rnd() * 120));
      cs.push(encodeXOR(ts, vs, i, j));
      maxts.push(ts[j - 1]!);
      i = j;
    }
    const mint = Math.floor(rnd() * 2000) - 100;
    const maxt = mint + Math.floor(rnd() * 6000);
    const deleted: number[] = [];
    if (rnd() < 0.5) {
      let a = Math.floor(rnd() * 3000);
      for (let k = 0; k < 3; k++) {
        const b = a + Math.floor(rnd() * 300);
        deleted.push(a, b);
        a = b + 2 + Math.floor(rnd() * 500);
      }
    }
    const del = deleted.length > 0 ? deleted : null;
    const want = ts.filter((x) => x >= mint && x <= maxt && !isDeleted(del, x));
    const it = new ChunkSeriesIterator(new Chunks(cs, maxts), mint, maxt, del);
    let pos = -1;
    for (let step = 0; step < 80; step++) {
      let r: ValueType;
      if (rnd() < 0.25) {
        const target = Math.floor(rnd() * 9000) - 200;
        r = it.seek(target);
        let p = Math.max(pos, 0);
        if (!(pos >= 0 && want[pos]! >= target)) while (p < want.length && want[p]! < target) p++;
        pos = p;
      } else {
        r = it.next();
        pos++;
      }
      if (pos >= want.length) {
        assert.equal(r, ValueType.None, `round ${round} step ${step}`);
        break;
      }
      assert.equal(r, ValueType.Float, `round ${round} step ${step}`);
      assert.equal(it.atT(), want[pos]);
      assert.equal(it.atV(), want[pos]! * 0.5);
    }
    assert.equal(it.err(), null);
  }
});

test('chunk series iterator seek skips whole chunks without opening them', () => {
  const ts = Array.from({ length: 1000 }, (_, i) => i * 10);
  const vs = ts.map(() => 1);
  const cs: Chunk[] = [];
  const maxts: number[] = [];
  for (let i = 0; i < 1000; i += 100) {
    cs.push(encodeXOR(ts, vs, i, i + 100));
    maxts.push(ts[i + 99]!);
  }
  const list = new Chunks(cs, maxts);
  const it = new ChunkSeriesIterator(list, 0, 100_000, null);
  assert.equal(it.seek(9_505), ValueType.Float);
  assert.equal(it.atT(), 9_510);
  assert.equal(list.opened, 1);
});
