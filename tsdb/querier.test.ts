import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ListSeriesSet } from './block/block_querier.js';
import { Labels } from './labels.js';
import type { Matcher } from './matcher.js';
import { ChainSampleIterator, MergeQuerier, MergeSeriesSet } from './querier.js';
import { type Querier, type SampleIterator, type Series, type SeriesSet, ValueType } from './storage.js';

class ArrayIterator implements SampleIterator {
  private i = -1;
  constructor(
    private readonly ts: Float64Array,
    private readonly vs: Float64Array,
  ) {}
  next(): ValueType {
    this.i++;
    return this.i < this.ts.length ? ValueType.Float : ValueType.None;
  }
  seek(t: number): ValueType {
    if (this.i < 0) this.i = 0;
    while (this.i < this.ts.length && this.ts[this.i]! < t) this.i++;
    return this.i < this.ts.length ? ValueType.Float : ValueType.None;
  }
  atT(): number {
    return this.ts[this.i]!;
  }
  atV(): number {
    return this.vs[this.i]!;
  }
  err(): Error | null {
    return null;
  }
}

class ArraySeries implements Series {
  constructor(
    readonly labels: Labels,
    private readonly ts: Float64Array,
    private readonly vs: Float64Array,
  ) {}
  iterator(): SampleIterator {
    return new ArrayIterator(this.ts, this.vs);
  }
}

function series(name: string, ts: number[], v: number): Series {
  return new ArraySeries(Labels.from({ __name__: name }), Float64Array.from(ts), Float64Array.from(ts.map(() => v)));
}

class FixedQuerier implements Querier {
  closed = false;
  constructor(private readonly list: Series[]) {}
  async select(): Promise<SeriesSet> {
    return new ListSeriesSet(this.list);
  }
  async labelNames(): Promise<string[]> {
    return ['__name__'];
  }
  async labelValues(_n: string, _m: readonly Matcher[]): Promise<string[]> {
    return this.list.map((s) => s.labels.metricName());
  }
  async close(): Promise<void> {
    this.closed = true;
  }
}

function drain(it: SampleIterator): [number, number][] {
  const out: [number, number][] = [];
  while (it.next() !== ValueType.None) out.push([it.atT(), it.atV()]);
  return out;
}

test('chain iterator merges by time and keeps the first input on equal timestamps', () => {
  const a = new ArrayIterator(Float64Array.from([1, 3, 5, 7]), Float64Array.from([10, 30, 50, 70]));
  const b = new ArrayIterator(Float64Array.from([2, 3, 6, 7, 9]), Float64Array.from([2, -3, 6, -7, 9]));
  assert.deepEqual(drain(new ChainSampleIterator([a, b])), [
    [1, 10], [2, 2], [3, 30], [5, 50], [6, 6], [7, 70], [9, 9],
  ]);
});

test('chain iterator seek lands on the first merged sample at or after t and never goes back', () => {
  const mk = () =>
    new ChainSampleIterator([
      new ArrayIterator(Float64Array.from([1, 4, 8]), Float64Array.from([1, 4, 8])),
      new ArrayIterator(Float64Array.from([2, 5, 8, 12]), Float64Array.from([2, 5, -8, 12])),
    ]);
  const it = mk();
  assert.equal(it.seek(5), ValueType.Float);
  assert.equal(it.atT(), 5);
  assert.equal(it.seek(3), ValueType.Float);
  assert.equal(it.atT(), 5);
  assert.equal(it.next(), ValueType.Float);
  assert.deepEqual([it.atT(), it.atV()], [8, 8]);
  assert.equal(it.next(), ValueType.Float);
  assert.equal(it.atT(), 12);
  assert.equal(it.seek(13), ValueType.None);
  const it2 = mk();
  it2.next();
  assert.equal(it2.seek(9), ValueType.Float);
  assert.equal(it2.atT(), 12);
});

test('merge series set: k-way merge by labels, identical series merged and de-duplicated', () => {
  const s1 = new ListSeriesSet([series('a', [1, 2], 1), series('c', [1], 1), series('d', [5], 1)]);
  const s2 = new ListSeriesSet([series('b', [1], 2), series('c', [1, 3], 2)]);
  const s3 = new ListSeriesSet([series('c', [2], 3), series('e', [9], 3)]);
  const m = new MergeSeriesSet([s1, s2, s3]);
  const got: string[] = [];
  while (m.next()) {
    const s = m.at();
    got.push(`${s.labels.metricName()}:${drain(s.iterator()).map(([t, v]) => `${t}=${v}`).join(',')}`);
  }
  assert.deepEqual(got, ['a:1=1,2=1', 'b:1=2', 'c:1=1,2=3,3=2', 'd:5=1', 'e:9=3']);
  assert.equal(m.err(), null);
});

test('merge series set stops with the error of a failing input', () => {
  const bad = new ListSeriesSet([], [], new Error('disk on fire'));
  const m = new MergeSeriesSet([new ListSeriesSet([series('a', [1], 1)]), bad]);
  assert.equal(m.next(), false);
  assert.match(String(m.err()), /disk on fire/);
});

test('merge querier unions label values and closes every querier', async () => {
  const q1 = new FixedQuerier([series('x', [1], 1), series('y', [1], 1)]);
  const q2 = new FixedQuerier([series('w', [1], 1), series('y', [2], 1)]);
  const mq = new MergeQuerier([q1, q2]);
  assert.deepEqual(await mq.labelValues('__name__', []), ['w', 'x', 'y']);
  assert.deepEqual(await mq.labelValues('__name__', [], { limit: 2 }), ['w', 'x']);
  const ss = await mq.select(false, null, []);
  const names: string[] = [];
  while (ss.next()) names.push(`${ss.at().labels.metricName()}${drain(ss.at().iterator()).length}`);
  assert.deepEqual(names, ['w1', 'x1', 'y2']);
  const limited = await mq.select(false, { start: 0, end: 10, step: 0, func: '', range: 0, grouping: [], by: false, limit: 2 }, []);
  let n = 0;
  while (limited.next()) n++;
  assert.equal(n, 2, 'the limit hint bounds the merged result');
  await mq.close();
  assert.ok(q1.closed && q2.closed);
});

test('chain iterator agrees with a sorted-union reference under random next/seek mixes', () => {
  let seed = 12345;
  const rnd = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 4294967296);
  for (let round = 0; round < 300; round++) {
    const k = 1 + Math.floor(rnd() * 4);
    const inputs: { ts: number[]; vs: number[] }[] = [];
    for (let i = 0; i < k; i++) {
      // Sometimes disjoint ranges (like blocks), sometimes interleaved.
      const base = rnd() < 0.5 ? i * 1000 : 0;
      const set = new Set<number>();
      const n = Math.floor(rnd() * 40);
      for (let j = 0; j < n; j++) set.add(base + Math.floor(rnd() * 600));
      const ts = [...set].sort((a, b) => a - b);
      inputs.push({ ts, vs: ts.map((t) => t * 10 + i) });
    }
    // Reference: first input wins on equal timestamps.
    const ref = new Map<number, number>();
    for (const inp of inputs) {
      for (let j = 0; j < inp.ts.length; j++) if (!ref.has(inp.ts[j]!)) ref.set(inp.ts[j]!, inp.vs[j]!);
    }
    const want = [...ref.entries()].sort((a, b) => a[0] - b[0]);
    const it = new ChainSampleIterator(inputs.map((x) => new ArrayIterator(Float64Array.from(x.ts), Float64Array.from(x.vs))));
    let pos = -1;
    for (let step = 0; step < 60; step++) {
      if (rnd() < 0.3) {
        const target = Math.floor(rnd() * 4000);
        const r = it.seek(target);
        // seek never moves backwards: from the current position, first sample >= target.
        let p = Math.max(pos, 0);
        while (p < want.length && want[p]![0] < target) p++;
        if (pos >= 0 && want[pos] !== undefined && want[pos]![0] >= target) p = pos;
        pos = p;
        if (pos >= want.length) {
          assert.equal(r, ValueType.None);
          break;
        }
        assert.equal(r, ValueType.Float);
      } else {
        const r = it.next();
        pos++;
        if (pos >= want.length) {
          assert.equal(r, ValueType.None);
          break;
        }
        assert.equal(r, ValueType.Float);
      }
      assert.deepEqual([it.atT(), it.atV()], want[pos], `round ${round} step ${step}`);
    }
  }
});
