/**
 * The engine over the real TSDB (a persisted block plus the head, head chunks in
 * files, deletions, staleness markers) answers exactly as over the in-memory
 * reference storage: the TSDB read path's fast paths (bulk chunk decoding, chunk
 * skipping, the newest-sample shortcut of instant selectors, the head chunk read
 * cache, block/head merging) must not change a single value bit.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { openDB } from '../tsdb/db.js';
import { Labels } from '../tsdb/labels.js';
import { Matcher, MatchType } from '../tsdb/matcher.js';
import { MemoryStorage } from '../tsdb/memory_storage.js';
import { NO_REF, STALE_NAN, type Queryable, type SeriesRef } from '../tsdb/storage.js';
import { Engine } from './engine.js';
import type { Value } from './value.js';

const STEP = 15_000;
const POINTS = 500;
const T0 = 1_700_000_123_000;

function rng(seed: number): () => number {
  let s = seed;
  return () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 4294967296;
}

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);
function bits(v: number): string {
  f64[0] = v;
  return `${u32[1]!.toString(16)}:${u32[0]!.toString(16)}`;
}

/** A comparable rendering of a result: labels, timestamps and exact value bits. */
function render(v: Value): string[] {
  switch (v.type) {
    case 'vector':
      return v.series.map((s) => `${s.labels.toString()} ${s.t} ${bits(s.v)}`).sort();
    case 'matrix':
      return v.series.map((s) => `${s.labels.toString()} ${Array.from(s.ts).join(',')} ${Array.from(s.vs, bits).join(',')}`).sort();
    case 'scalar':
      return [`${v.t} ${bits(v.v)}`];
    default:
      return [`${v.t} ${v.v}`];
  }
}

test('engine answers over the TSDB (block + head) exactly as over the in-memory storage', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-engine-tsdb-'));
  const end = T0 + (POINTS - 1) * STEP;
  const db = await openDB(dir, { chunkRange: 3600_000, autoCompact: false, retentionMs: 0, log: () => {}, now: () => end });
  try {
    const mem = new MemoryStorage();
    const rnd = rng(2024);
    const series: { labels: Labels; vs: Float64Array; from: number; to: number }[] = [];
    for (let i = 0; i < 60; i++) {
      const vs = new Float64Array(POINTS);
      let v = rnd() * 100;
      for (let k = 0; k < POINTS; k++) {
        const r = rnd();
        if (r < 0.03) vs[k] = STALE_NAN;
        else {
          // Counters with occasional resets, some gauges with decimals.
          v = r < 0.05 ? 0 : v + (i % 3 === 0 ? rnd() * 10 - 5 : Math.floor(rnd() * 50));
          vs[k] = v;
        }
      }
      // Some series start late or stop early (churn); some have gaps.
      const from = i % 5 === 0 ? Math.floor(rnd() * 300) : 0;
      const to = i % 7 === 0 ? POINTS - Math.floor(rnd() * 200) : POINTS;
      series.push({ labels: Labels.from({ __name__: i % 2 === 0 ? 'c_total' : 'g', job: `j${i % 4}`, instance: `h${i}` }), vs, from, to });
    }
    const refs: SeriesRef[] = series.map(() => NO_REF);
    for (let k = 0; k < POINTS; k++) {
      const a = db.appender();
      const b = mem.appender();
      for (let i = 0; i < series.length; i++) {
        const s = series[i]!;
        if (k < s.from || k >= s.to || (i % 11 === 0 && k % 37 < 3)) continue;
        // Jittered timestamps stay off the 15 s grid of the queries.
        const t = T0 + k * STEP + (i % 5) * 1000;
        refs[i] = a.append(refs[i]!, s.labels, t, s.vs[k]!);
        b.append(NO_REF, s.labels, t, s.vs[k]!);
      }
      await a.commit();
      await b.commit();
    }
    await db.compact();
    assert.ok(db.blocks.blocks().length >= 1, 'a block was persisted');
    assert.ok(db.head.numSeries() > 0, 'the head still holds data');

    const engine = new Engine({ timeoutMs: 60_000, maxSamples: 50_000_000, lookbackDeltaMs: 300_000, maxConcurrency: 4 });
    const queries = [
      'c_total',
      'g',
      '{__name__=~"c_total|g"}',
      'timestamp(g)',
      'rate(c_total[5m])',
      'increase(c_total[10m])',
      'sum by (job) (rate(c_total[5m]))',
      'topk(3, rate(c_total[5m]))',
      'count({__name__=~".+"})',
      'max_over_time(g[7m])',
      'g offset 20m',
      'last_over_time(g[1h])',
      'avg(g @ ' + String((T0 + 200 * STEP) / 1000) + ')',
      'max_over_time(rate(c_total[5m])[30m:1m])',
    ];
    const times = [T0 + 30 * STEP, T0 + 241 * STEP + 7000, T0 + 300 * STEP, end, end + 120_000, end + 400_000];
    const check = async (q: string, run: (st: Queryable) => Promise<{ value: Value }>, what: string): Promise<void> => {
      const want = render((await run(mem)).value);
      const got = render((await run(db)).value);
      assert.deepEqual(got, want, `${what}: ${q}`);
    };
    for (const q of queries) {
      for (const t of times) await check(q, (st) => engine.instantQuery(st, q, t), `instant at ${t}`);
      await check(q, (st) => engine.rangeQuery(st, q, T0, end + 60_000, 60_000), 'range');
    }

    // Deletions (tombstones in the head and the block) apply to every path.
    const sel = [new Matcher(MatchType.Equal, 'job', 'j1')];
    await db.delete(T0 + 100 * STEP, T0 + 420 * STEP, sel);
    const afterDelete = render((await engine.instantQuery(db, 'g', T0 + 400 * STEP)).value);
    for (const line of afterDelete) assert.ok(!line.includes('job="j1"'), `deleted series still answered: ${line}`);
    const range = render((await engine.rangeQuery(db, 'count(c_total{job="j1"})', T0 + 150 * STEP, T0 + 400 * STEP, 60_000)).value);
    assert.deepEqual(range, [], 'nothing left of job j1 in the deleted interval');
  } finally {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
