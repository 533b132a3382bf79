import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PostingsBuilder, intersectPostings, mergePostings, seekIndex, withoutPostings } from './postings.js';

function rnd(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

function randomList(r: () => number, n: number, max: number): Uint32Array {
  const s = new Set<number>();
  for (let i = 0; i < n; i++) s.add(Math.floor(r() * max));
  return Uint32Array.from([...s].sort((a, b) => a - b));
}

test('postings set operations agree with Set-based reference on random lists', () => {
  const r = rnd(42);
  for (let round = 0; round < 200; round++) {
    const k = 1 + Math.floor(r() * 4);
    const lists = Array.from({ length: k }, () => randomList(r, Math.floor(r() * 300), 1 + Math.floor(r() * 2000)));
    const sets = lists.map((l) => new Set(l));
    const inter = [...sets[0]!].filter((x) => sets.every((s) => s.has(x))).sort((a, b) => a - b);
    assert.deepEqual([...intersectPostings(lists)], inter);
    const uni = [...new Set(lists.flatMap((l) => [...l]))].sort((a, b) => a - b);
    assert.deepEqual([...mergePostings(lists)], uni);
    const without = [...lists[0]!].filter((x) => !(lists[1] ?? new Uint32Array()).includes(x));
    assert.deepEqual([...withoutPostings(lists[0]!, lists[1] ?? new Uint32Array())], without);
  }
  assert.equal(intersectPostings([]).length, 0);
  assert.equal(mergePostings([]).length, 0);
});

test('seekIndex finds the first element not below the target', () => {
  const p = Uint32Array.from([1, 3, 5, 7, 9, 11]);
  assert.equal(seekIndex(p, 0, 0), 0);
  assert.equal(seekIndex(p, 0, 6), 3);
  assert.equal(seekIndex(p, 2, 5), 2);
  assert.equal(seekIndex(p, 0, 12), 6);
  assert.equal(seekIndex(p, 4, 1), 4);
});

test('postings builder grows and keeps order', () => {
  const b = new PostingsBuilder(1);
  for (let i = 0; i < 1000; i++) b.push(i * 3);
  assert.equal(b.length, 1000);
  assert.equal(b.view()[999], 2997);
});
