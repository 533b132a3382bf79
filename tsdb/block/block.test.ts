import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { encodeXOR } from '../chunkenc/chunk.js';
import { compareLabelsUtf8 } from '../index/index_writer.js';
import { Labels } from '../labels.js';
import { MatchType, Matcher } from '../matcher.js';
import { STALE_NAN, type SeriesSet, ValueType, isStaleNaN } from '../storage.js';
import { Block } from './block.js';
import { BlockChunk, writeBlock } from './block_writer.js';
import { parseMeta } from './meta.js';
import { OpaqueChunk } from './opaque_chunk.js';
import { isDeleted, Tombstones } from './tombstones.js';
import { isULID, newULID, ulidTime } from './ulid.js';

interface Fixture {
  labels: Labels;
  ts: number[];
  vs: number[];
}

/** Deterministic series: 15s scrapes with jitter, a mix of counters and gauges, a stale marker. */
function fixtures(n: number, samples: number, t0: number): Fixture[] {
  const out: Fixture[] = [];
  let seed = 7;
  const rnd = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 4294967296);
  for (let i = 0; i < n; i++) {
    const ts: number[] = [];
    const vs: number[] = [];
    let t = t0 + i;
    let v = i * 10;
    for (let k = 0; k < samples; k++) {
      ts.push(t);
      v = i % 2 === 0 ? v + Math.floor(rnd() * 5) : Math.round(rnd() * 1e6) / 100;
      vs.push(k === samples - 1 && i === 3 ? STALE_NAN : v);
      t += 15000 + (rnd() < 0.1 ? Math.floor(rnd() * 40) - 20 : 0);
    }
    out.push({ labels: Labels.from({ __name__: i % 2 === 0 ? 'requests_total' : 'temperature', job: 'j', instance: `i${i}` }), ts, vs });
  }
  return out.sort((a, b) => compareLabelsUtf8(a.labels, b.labels));
}

/** Cuts a fixture into chunks of at most 120 samples. */
export function chunksOf(f: Fixture): BlockChunk[] {
  const out: BlockChunk[] = [];
  for (let i = 0; i < f.ts.length; i += 120) {
    const j = Math.min(f.ts.length, i + 120);
    out.push(new BlockChunk(encodeXOR(f.ts, f.vs, i, j), f.ts[i]!, f.ts[j - 1]!));
  }
  return out;
}

function collect(ss: SeriesSet): Map<string, { ts: number[]; vs: number[] }> {
  const out = new Map<string, { ts: number[]; vs: number[] }>();
  while (ss.next()) {
    const s = ss.at();
    const it = s.iterator();
    const ts: number[] = [];
    const vs: number[] = [];
    while (it.next() !== ValueType.None) {
      ts.push(it.atT());
      vs.push(it.atV());
    }
    assert.equal(it.err(), null);
    out.set(s.labels.toString(), { ts, vs });
  }
  assert.equal(ss.err(), null);
  return out;
}

test('ulid: 26 chars, sortable by time, time recoverable', () => {
  const a = newULID(1_700_000_000_000);
  const b = newULID(1_700_000_000_001);
  assert.ok(isULID(a) && isULID(b));
  assert.ok(a < b);
  assert.equal(ulidTime(a), 1_700_000_000_000);
  assert.equal(newULID(0, new Uint8Array(10)), '00000000000000000000000000');
  assert.ok(!isULID('not-a-ulid'));
});

test('tombstones merge intervals and round trip through the file format', async () => {
  const t = new Tombstones();
  t.add(5, 10, 20);
  t.add(5, 30, 40);
  t.add(5, 21, 25); // adjacent to the first: merges
  t.add(9, -100, -50);
  assert.deepEqual(t.get(5), [10, 25, 30, 40]);
  assert.ok(isDeleted(t.get(5), 22) && !isDeleted(t.get(5), 27) && isDeleted(t.get(5), 40));
  const back = Tombstones.decode(t.encode(), 'x');
  assert.deepEqual([...back.entries()], [...t.entries()]);
  assert.equal(back.count(), 3);
  const bad = t.encode();
  bad[6]! ^= 1;
  assert.throws(() => Tombstones.decode(bad, 'blk/tombstones'), /blk\/tombstones: checksum mismatch/);
});

test('block written by Vigil reads back every sample, honours ranges, matchers and tombstones', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'vigil-block-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const t0 = 1_700_000_000_000;
  const fx = fixtures(20, 500, t0);
  const maxT = Math.max(...fx.map((f) => f.ts[f.ts.length - 1]!));
  const meta = await writeBlock(dir, fx.map((f) => f.labels), (i) => chunksOf(fx[i]!), { minTime: t0, maxTime: maxT + 1 });
  assert.equal(meta.stats.numSeries, 20);
  assert.equal(meta.stats.numSamples, 20 * 500);
  assert.equal(meta.stats.numChunks, 20 * 5);
  assert.deepEqual((await readdir(join(dir, meta.ulid))).sort(), ['chunks', 'index', 'meta.json', 'tombstones']);
  const m2 = parseMeta(await readFile(join(dir, meta.ulid, 'meta.json'), 'utf8'), 'm');
  assert.deepEqual(m2, meta);

  const b = await Block.open(join(dir, meta.ulid));
  const q = b.querier(t0, maxT);
  const all = collect(await q.select(true, null, []));
  assert.equal(all.size, 20);
  // The same block with its index paged from disk in tiny pages reads the same.
  const paged = await Block.open(join(dir, meta.ulid), { indexInMemoryMax: 0, indexPageSize: 64, indexCachePages: 2 });
  assert.deepEqual(collect(await paged.querier(t0, maxT).select(true, null, [])), all);
  await paged.close();
  for (const f of fx) {
    const got = all.get(f.labels.toString())!;
    assert.deepEqual(got.ts, f.ts);
    for (let k = 0; k < f.vs.length; k++) {
      if (isStaleNaN(f.vs[k]!)) assert.ok(isStaleNaN(got.vs[k]!), 'stale marker survives bit for bit');
      else assert.equal(got.vs[k], f.vs[k]);
    }
  }
  // Range restriction and seek.
  const from = t0 + 3_000_000;
  const to = t0 + 4_000_000;
  const part = collect(await b.querier(from, to).select(true, null, [new Matcher(MatchType.Equal, '__name__', 'temperature')]));
  assert.equal(part.size, 10);
  for (const f of fx.filter((x) => x.labels.metricName() === 'temperature')) {
    assert.deepEqual(part.get(f.labels.toString())!.ts, f.ts.filter((x) => x >= from && x <= to));
  }
  const ss = await q.select(true, null, [new Matcher(MatchType.Equal, 'instance', 'i4')]);
  assert.ok(ss.next());
  const it = ss.at().iterator();
  const target = fx.find((f) => f.labels.get('instance') === 'i4')!;
  const want = target.ts.find((x) => x >= t0 + 5_000_001)!;
  assert.equal(it.seek(t0 + 5_000_001), ValueType.Float);
  assert.equal(it.atT(), want);
  assert.equal(it.seek(t0), ValueType.Float, 'seek never moves backwards');
  assert.equal(it.atT(), want);
  assert.equal(it.seek(maxT + 1), ValueType.None);
  // Label metadata.
  assert.deepEqual(await q.labelNames([]), ['__name__', 'instance', 'job']);
  assert.deepEqual(await q.labelValues('__name__', []), ['requests_total', 'temperature']);
  assert.deepEqual(await q.labelValues('instance', [new Matcher(MatchType.Regexp, 'instance', 'i1.?')]), [
    'i1', 'i10', 'i11', 'i12', 'i13', 'i14', 'i15', 'i16', 'i17', 'i18', 'i19',
  ]);
  // A range outside the block yields nothing.
  assert.equal(collect(await b.querier(maxT + 10, maxT + 20).select(true, null, [])).size, 0);

  // Deletes via tombstones: a middle slice of i4, and all of i5.
  await b.delete(t0 + 1_000_000, t0 + 2_000_000, [new Matcher(MatchType.Equal, 'instance', 'i4')]);
  await b.delete(t0 - 1, maxT + 1, [new Matcher(MatchType.Equal, 'instance', 'i5')]);
  const b2 = await Block.open(join(dir, meta.ulid)); // reads the tombstones file back
  assert.equal(b2.meta.stats.numTombstones, 2);
  const after = collect(await b2.querier(t0, maxT).select(true, null, []));
  assert.equal(after.size, 19);
  assert.deepEqual(after.get(target.labels.toString())!.ts, target.ts.filter((x) => x < t0 + 1_000_000 || x > t0 + 2_000_000));
});

test('block with a flipped chunk byte reports a checksum error from the iterator, not wrong data', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'vigil-block-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const fx = fixtures(2, 50, 1000);
  const meta = await writeBlock(dir, fx.map((f) => f.labels), (i) => chunksOf(fx[i]!), { minTime: 0, maxTime: 10_000_000 });
  const seg = join(dir, meta.ulid, 'chunks', '000001');
  const bytes = await readFile(seg);
  bytes[20]! ^= 0xff;
  await writeFile(seg, bytes);
  const b = await Block.open(join(dir, meta.ulid));
  const ss = await b.querier(0, 10_000_000).select(true, null, []);
  assert.ok(ss.next());
  const it = ss.at().iterator();
  while (it.next() !== ValueType.None) {}
  assert.match(String(it.err()), /chunk checksum mismatch at offset 8/);
});

test('chunks larger than one read and blocks split over several segment files read back exactly', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'vigil-block-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const series: Fixture[] = [];
  for (let i = 0; i < 6; i++) {
    const ts: number[] = [];
    const vs: number[] = [];
    for (let k = 0; k < 3000; k++) {
      ts.push(k * 1000 + (k % 7));
      vs.push(Math.sin(k * (i + 1)) * 1e6);
    }
    series.push({ labels: Labels.from({ __name__: 'big', i: String(i) }), ts, vs });
  }
  // One 3000-sample chunk per series (~25 KiB, beyond the first read), 40 KiB segments.
  const meta = await writeBlock(
    dir,
    series.map((s) => s.labels),
    (i) => [new BlockChunk(encodeXOR(series[i]!.ts, series[i]!.vs), series[i]!.ts[0]!, series[i]!.ts[2999]!)],
    { minTime: 0, maxTime: 3_000_000, segmentSize: 40 * 1024 },
  );
  const segs = await readdir(join(dir, meta.ulid, 'chunks'));
  assert.ok(segs.length >= 3, `expected several segments, got ${segs}`);
  const b = await Block.open(join(dir, meta.ulid));
  t.after(() => b.close());
  const got = collect(await b.querier(0, 3_000_000).select(true, null, []));
  for (const s of series) assert.deepEqual(got.get(s.labels.toString()), { ts: s.ts, vs: s.vs });
  // Selecting a single series reads only its chunk.
  const one = collect(await b.querier(0, 3_000_000).select(true, null, [new Matcher(MatchType.Equal, 'i', '4')]));
  assert.deepEqual(one.get(series[4]!.labels.toString())!.vs, series[4]!.vs);
});

test('native histogram chunks in a block are skipped with a warning; float chunks still serve', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'vigil-block-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const hist = () => new OpaqueChunk(2, Uint8Array.from([0, 3, 1, 2, 3, 4, 5, 6]));
  const ts = [10, 20, 30];
  const vs = [1, 2, 3];
  const labels = [Labels.from({ __name__: 'f' }), Labels.from({ __name__: 'h' }), Labels.from({ __name__: 'm' })];
  const meta = await writeBlock(
    dir,
    labels,
    (i) =>
      i === 0
        ? [new BlockChunk(encodeXOR(ts, vs), 10, 30)]
        : i === 1
          ? [new BlockChunk(hist(), 10, 30)]
          : [new BlockChunk(encodeXOR(ts, vs), 10, 30), new BlockChunk(hist(), 40, 60)],
    { minTime: 0, maxTime: 100 },
  );
  assert.equal(meta.stats.numSamples, 3 + 3 + 6, 'histogram chunk sample counts come from their header');
  const b = await Block.open(join(dir, meta.ulid));
  t.after(() => b.close());
  const ss = await b.querier(0, 100).select(true, null, []);
  const got = collect(ss);
  assert.deepEqual([...got.keys()], ['{__name__="f"}', '{__name__="m"}']);
  assert.deepEqual(got.get('{__name__="m"}')!.ts, ts);
  assert.equal(ss.warnings().length, 1);
  assert.match(ss.warnings()[0]!, /skipped 2 chunks in an encoding other than XOR/);
});
