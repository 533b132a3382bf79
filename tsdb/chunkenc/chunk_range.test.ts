import assert from 'node:assert/strict';
import { test } from 'node:test';
import { computeChunkEndTime, rangeForTimestamp, shouldCut, startChunk } from './chunk_range.js';

const H2 = 2 * 3600 * 1000;

test('rangeForTimestamp returns the end of the 2h slot, truncating toward zero like Go', () => {
  assert.equal(rangeForTimestamp(0, H2), H2);
  assert.equal(rangeForTimestamp(H2 - 1, H2), H2);
  assert.equal(rangeForTimestamp(H2, H2), 2 * H2);
  // Go: (-1 / 7200000) * 7200000 + 7200000 = 7200000 (division truncates toward zero).
  assert.equal(rangeForTimestamp(-1, H2), H2);
  assert.equal(rangeForTimestamp(-H2 - 5, H2), 0);
});

test('computeChunkEndTime splits the rest of the slot evenly or keeps its end', () => {
  // 30 samples at 15s from 0: (7200000-0)/((435000+1)*4) = 4.137… → floor 4 → 1800000.
  assert.equal(computeChunkEndTime(0, 29 * 15000, H2, 4), 1_800_000);
  // Sparse: few samples over most of the slot → n ≤ 1 keeps maxT.
  assert.equal(computeChunkEndTime(0, 3_600_000, H2, 4), H2);
});

test('chunk cutting at 15s scrape interval yields 120-sample chunks per 2h slot', () => {
  const state = { nextAt: 0 };
  const sizes: number[] = [];
  let n = 0;
  let minT = 0;
  let maxT = 0;
  for (let t = 0; t < 2 * H2; t += 15000) {
    if (n === 0) {
      startChunk(state, t, H2);
      minT = t;
    } else if (shouldCut(state, n, minT, maxT, t)) {
      sizes.push(n);
      startChunk(state, t, H2);
      n = 0;
      minT = t;
    }
    n++;
    maxT = t;
  }
  sizes.push(n);
  assert.deepEqual(sizes, [120, 120, 120, 120, 120, 120, 120, 120]);
});

test('chunk cutting caps a chunk at 240 samples when samples arrive faster than predicted', () => {
  const state = { nextAt: 0 };
  let n = 0;
  let minT = 0;
  let maxT = 0;
  const sizes: number[] = [];
  // 1 sample per second for 30 samples, then 1000 per second.
  for (let i = 0, t = 0; i < 2000; i++, t += i < 30 ? 1000 : 1) {
    if (n === 0) {
      startChunk(state, t, H2);
      minT = t;
    } else if (shouldCut(state, n, minT, maxT, t)) {
      sizes.push(n);
      startChunk(state, t, H2);
      n = 0;
      minT = t;
    }
    n++;
    maxT = t;
  }
  assert.equal(sizes[0], 240);
  assert.ok(sizes.every((s) => s <= 240));
});
