import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { encodeXOR } from '../chunkenc/chunk.js';
import { compareLabelsUtf8 } from '../index/index_writer.js';
import { Labels } from '../labels.js';
import { MatchType, Matcher } from '../matcher.js';
import { type Querier, ValueType } from '../storage.js';
import { Block } from './block.js';
import { BlockStore } from './block_store.js';
import { BlockChunk, writeBlock } from './block_writer.js';
import { type DirMeta, blockRanges, maxBlockDuration, planCompaction, splitByRange } from './compaction_plan.js';
import { compactBlocks } from './compactor.js';
import { type BlockMeta, newBlockMeta } from './meta.js';
import { beyondSizeRetention, beyondTimeRetention } from './retention.js';
import { newULID } from './ulid.js';

const H = 3600_000;

function dm(name: string, minTime: number, maxTime: number, extra: Partial<BlockMeta['stats']> = {}): DirMeta {
  const m = newBlockMeta(newULID(0), minTime, maxTime);
  m.stats = { ...m.stats, ...extra };
  return { dir: name, meta: m };
}

test('block ranges follow Prometheus: 2h·3^n capped at min(31d, retention/10)', () => {
  assert.deepEqual(blockRanges(2 * H, maxBlockDuration(15 * 24 * H)), [2 * H, 6 * H, 18 * H]);
  assert.equal(maxBlockDuration(15 * 24 * H), 36 * H);
  assert.equal(maxBlockDuration(0), 31 * 24 * H);
  assert.deepEqual(blockRanges(2 * H, maxBlockDuration(0)), [2, 6, 18, 54, 162, 486].map((h) => h * H));
  assert.deepEqual(blockRanges(2 * H, H), [2 * H], 'the first range always stays');
});

test('compaction planner: Prometheus cases with ranges 20, 60, 180, 540', () => {
  const r = [20, 60, 180, 540];
  const plan = (...ds: DirMeta[]) => planCompaction(ds, r);
  assert.deepEqual(plan(), []);
  assert.deepEqual(plan(dm('1', 0, 20)), []);
  assert.deepEqual(plan(dm('1', 0, 20), dm('2', 20, 40)), [], 'the newest block is left alone');
  assert.deepEqual(plan(dm('1', 0, 20), dm('2', 20, 40), dm('3', 40, 60)), [], 'window not full and last not before newest');
  assert.deepEqual(plan(dm('1', 0, 20), dm('2', 20, 40), dm('3', 40, 60), dm('4', 60, 80)), ['1', '2', '3']);
  assert.deepEqual(plan(dm('1', 0, 60), dm('4', 60, 80), dm('5', 80, 100), dm('6', 100, 120), dm('7', 120, 140)), ['4', '5', '6']);
  assert.deepEqual(plan(dm('1', 0, 20), dm('2', 60, 80), dm('3', 80, 100)), [], 'gap: a single block in its window');
  assert.deepEqual(
    plan(dm('1', 0, 60), dm('2', 60, 120), dm('3', 120, 180), dm('4', 180, 200)),
    ['1', '2', '3'],
    'second level',
  );
  // Overlapping blocks come first, whatever else could be compacted.
  assert.deepEqual(plan(dm('1', 0, 20), dm('2', 19, 40), dm('3', 40, 60), dm('4', 60, 80)), ['1', '2']);
  assert.deepEqual(plan(dm('1', 0, 20), dm('2', 20, 40), dm('3', 30, 50), dm('4', 45, 60), dm('5', 80, 100)), ['2', '3', '4']);
  // Tombstones: a big block with >5% deleted series is rewritten alone.
  assert.deepEqual(plan(dm('1', 0, 180, { numSeries: 10, numTombstones: 1 }), dm('2', 180, 200)), ['1']);
  assert.deepEqual(plan(dm('1', 0, 180, { numSeries: 100, numTombstones: 1 }), dm('2', 180, 200)), []);
  assert.deepEqual(plan(dm('1', 0, 20, { numSeries: 3, numTombstones: 3 }), dm('2', 20, 40)), ['1'], 'fully deleted small block');
  // Negative times align like Go's truncating division.
  assert.deepEqual(
    splitByRange([dm('a', -60, -40), dm('b', -40, -20), dm('c', -20, 0)], 60).map((g) => g.map((d) => d.dir)),
    [['a', 'b', 'c']],
  );
});

test('retention: by time from the newest maxTime, by size counting newest first', () => {
  const b = (ulid: string, minTime: number, maxTime: number, size: number) => ({ ulid, minTime, maxTime, size });
  const blocks = [b('A', 0, 10, 5), b('B', 10, 20, 5), b('C', 20, 30, 5), b('D', 30, 40, 5)];
  assert.deepEqual(beyondTimeRetention(blocks, 0), []);
  assert.deepEqual(beyondTimeRetention(blocks, 25).sort(), ['A']);
  assert.deepEqual(beyondTimeRetention(blocks, 20).sort(), ['A', 'B']);
  assert.deepEqual(beyondTimeRetention(blocks, 1000), []);
  assert.deepEqual(beyondTimeRetention([b('A', 0, 10, 1)], 1), [], 'the newest block is never removed by time');
  assert.deepEqual(beyondSizeRetention(blocks, 0), []);
  assert.deepEqual(beyondSizeRetention(blocks, 20), []);
  assert.deepEqual(beyondSizeRetention(blocks, 19).sort(), ['A']);
  assert.deepEqual(beyondSizeRetention(blocks, 19, 6).sort(), ['A', 'B'], 'WAL bytes count too');
});

/** Writes a block of `names` series with one sample every `step` ms in [mint, maxt). */
async function makeBlock(dir: string, mint: number, maxt: number, names: string[], step: number, valueOffset = 0): Promise<BlockMeta> {
  const labels = names.map((n) => Labels.from({ __name__: 'm', s: n })).sort(compareLabelsUtf8);
  return writeBlock(
    dir,
    labels,
    (i) => {
      const ts: number[] = [];
      const vs: number[] = [];
      for (let t = mint + (i % 3); t < maxt; t += step) {
        ts.push(t);
        vs.push(t / 1000 + valueOffset);
      }
      const out: BlockChunk[] = [];
      for (let k = 0; k < ts.length; k += 50) {
        const e = Math.min(ts.length, k + 50);
        out.push(new BlockChunk(encodeXOR(ts, vs, k, e), ts[k]!, ts[e - 1]!));
      }
      return out;
    },
    { minTime: mint, maxTime: maxt, now: () => 1_700_000_000_000 + mint },
  );
}

async function dump(q: Querier): Promise<Map<string, [number, number][]>> {
  const ss = await q.select(true, null, []);
  const out = new Map<string, [number, number][]>();
  while (ss.next()) {
    const it = ss.at().iterator();
    const xs: [number, number][] = [];
    while (it.next() !== ValueType.None) xs.push([it.atT(), it.atV()]);
    assert.equal(it.err(), null);
    out.set(ss.at().labels.toString(), xs);
  }
  assert.equal(ss.err(), null);
  return out;
}

test('block store compacts 1s blocks into 3s and 9s levels, data unchanged, parents deleted', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'vigil-compact-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  // 10 one-second blocks; series come and go.
  for (let k = 0; k < 10; k++) await makeBlock(dir, k * 1000, (k + 1) * 1000, [`a${k % 4}`, `b${k % 2}`, 'c'], 10);
  const logs: string[] = [];
  const store = await BlockStore.open(dir, { minBlockDuration: 1000, maxBlockDuration: 9000, retentionMs: 0, log: (m) => logs.push(m) });
  assert.deepEqual(store.ranges, [1000, 3000, 9000]);
  const before = await dump(store.querier(0, 10_000));
  const n = await store.compact();
  assert.ok(n >= 3, `expected at least 3 compactions, got ${n}`);
  const blocks = store.blocks();
  // [0,9000) at level 3 (three 3s blocks), and the newest 1s block untouched.
  assert.deepEqual(
    blocks.map((b) => [b.minTime, b.maxTime]),
    [
      [0, 9000],
      [9000, 10000],
    ],
  );
  assert.equal(blocks[0]!.meta.compaction.level, 3);
  assert.equal(blocks[0]!.meta.compaction.sources.length, 9);
  assert.equal(blocks[0]!.meta.compaction.parents.length, 3);
  const after = await dump(store.querier(0, 10_000));
  assert.deepEqual(after, before);
  const dirs = (await readdir(dir)).sort();
  assert.deepEqual(dirs, blocks.map((b) => b.ulid).sort(), 'parents were deleted');
  assert.ok(logs.some((l) => l.includes('msg="compact blocks"')));
  // Chunks were copied, not re-encoded: same number of chunks as the inputs.
  const total = blocks[0]!.meta.stats.numChunks;
  assert.ok(total > 0);
  await store.close();
});

test('vertical compaction merges overlapping blocks and drops duplicate samples', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'vigil-vertical-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await makeBlock(dir, 0, 2000, ['x', 'y'], 20);
  await makeBlock(dir, 1000, 3000, ['x', 'z'], 30, 0); // overlaps; same value at shared timestamps
  const store = await BlockStore.open(dir, { minBlockDuration: 1000, maxBlockDuration: 9000, retentionMs: 0, log: () => {} });
  const before = await dump(store.querier(0, 3000));
  assert.equal(await store.compact(), 1);
  assert.equal(store.blocks().length, 1);
  const after = await dump(store.querier(0, 3000));
  assert.deepEqual(after, before);
  const xs = after.get('{__name__="m", s="x"}')!;
  for (let i = 1; i < xs.length; i++) assert.ok(xs[i]![0] > xs[i - 1]![0], 'strictly increasing, no duplicates');
  assert.ok(xs.some(([t]) => t % 20 === 0 && t % 30 === 0 && t > 1000 && t < 2000), 'shared timestamps present once');
  await store.close();
});

test('compaction removes tombstoned samples and a fully deleted result marks inputs deletable', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'vigil-tomb-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const m = await makeBlock(dir, 0, 1000, ['a', 'b'], 10);
  const b = await Block.open(join(dir, m.ulid));
  await b.delete(100, 500, [new Matcher(MatchType.Equal, 's', 'a')]);
  const out = join(dir, 'out');
  const res = await compactBlocks(out, [b]);
  assert.ok(res !== null);
  const nb = await Block.open(join(out, res.ulid));
  const d = await dump(nb.querier(0, 1000));
  assert.ok(d.get('{__name__="m", s="a"}')!.every(([t]) => t < 100 || t > 500));
  assert.equal(d.get('{__name__="m", s="b"}')!.length, 100);
  assert.equal(nb.meta.stats.numTombstones, 0);
  // Delete everything: the compaction yields nothing and the input is marked deletable.
  await nb.delete(-1, 2000, []);
  assert.equal(await compactBlocks(join(dir, 'out2'), [nb]), null);
  assert.equal(JSON.parse(await readFile(join(out, res.ulid, 'meta.json'), 'utf8')).compaction.deletable, true);
});

test('a corrupt block is moved aside with a log line and the rest is served', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'vigil-corrupt-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const good = await makeBlock(dir, 0, 1000, ['a'], 10);
  const badIndex = await makeBlock(dir, 1000, 2000, ['a'], 10);
  const badMeta = await makeBlock(dir, 2000, 3000, ['a'], 10);
  const idx = join(dir, badIndex.ulid, 'index');
  const bytes = await readFile(idx);
  bytes[bytes.length - 20]! ^= 0xff; // inside the TOC
  await writeFile(idx, bytes);
  await writeFile(join(dir, badMeta.ulid, 'meta.json'), '{"ulid": ');
  await writeFile(join(dir, `${newULID(5)}.tmp-for-creation`), 'leftover');
  const logs: string[] = [];
  const store = await BlockStore.open(dir, { log: (m) => logs.push(m), retentionMs: 0 });
  assert.deepEqual(store.blocks().map((b) => b.ulid), [good.ulid]);
  assert.equal(logs.length, 2);
  assert.ok(logs.some((l) => l.includes(`block=${badIndex.ulid}`) && l.includes('TOC checksum mismatch')));
  assert.ok(logs.some((l) => l.includes(`block=${badMeta.ulid}`) && l.includes('meta.json')));
  assert.ok((await stat(join(dir, 'corrupted', badIndex.ulid))).isDirectory());
  assert.ok((await stat(join(dir, 'corrupted', badMeta.ulid))).isDirectory());
  assert.deepEqual((await readdir(dir)).sort(), [good.ulid, 'corrupted'].sort(), 'tmp leftovers removed');
  assert.equal((await dump(store.querier(0, 3000))).size, 1);
  await store.close();
});

test('block store retention deletes old blocks by time and by size', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'vigil-ret-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  for (let k = 0; k < 5; k++) await makeBlock(dir, k * 1000, (k + 1) * 1000, ['a'], 10);
  const s1 = await BlockStore.open(dir, { minBlockDuration: 1000, retentionMs: 2500, log: () => {} });
  const del = await s1.applyRetention();
  assert.equal(del.length, 2);
  assert.deepEqual(s1.blocks().map((b) => b.minTime), [2000, 3000, 4000]);
  assert.equal((await readdir(dir)).length, 3);
  await s1.close();
  const s2 = await BlockStore.open(dir, { minBlockDuration: 1000, retentionMs: 0, retentionBytes: 1, log: () => {} });
  const two = (await s2.blocks()[1]!.size()) + (await s2.blocks()[2]!.size());
  await s2.close();
  const s3 = await BlockStore.open(dir, { minBlockDuration: 1000, retentionMs: 0, retentionBytes: two, log: () => {} });
  await s3.applyRetention();
  assert.deepEqual(s3.blocks().map((b) => b.minTime), [3000, 4000]);
  await s3.close();
});

test('clean tombstones rewrites deleted data away and snapshot hard-links every block', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'vigil-clean-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await makeBlock(dir, 0, 1000, ['a', 'b'], 10);
  await makeBlock(dir, 1000, 2000, ['a', 'b'], 10);
  const store = await BlockStore.open(dir, { minBlockDuration: 1000, retentionMs: 0, log: () => {} });
  for (const b of store.blocks()) await b.delete(0, 5000, [new Matcher(MatchType.Equal, 's', 'a')]);
  const before = await dump(store.querier(0, 2000));
  assert.equal(before.size, 1);
  assert.equal(await store.cleanTombstones(), 2);
  assert.equal(store.blocks().length, 2);
  for (const b of store.blocks()) {
    assert.equal(b.tombstones.size, 0);
    assert.equal(b.meta.compaction.level, 1, 'level kept');
    assert.equal(b.meta.stats.numSeries, 1, 'deleted series gone from the index');
  }
  assert.deepEqual(await dump(store.querier(0, 2000)), before);
  assert.equal((await readdir(dir)).length, 2, 'originals removed');
  const snap = join(dir, 'snap');
  const ids = await store.snapshot(snap);
  assert.deepEqual(ids.sort(), store.blocks().map((b) => b.ulid).sort());
  const copy = await BlockStore.open(snap, { retentionMs: 0, log: () => {} });
  assert.deepEqual(await dump(copy.querier(0, 2000)), before);
  const st = await stat(join(snap, ids[0]!, 'index'));
  assert.ok(st.nlink >= 2, 'hard link');
  await copy.close();
  await store.close();
});

test('a query started before compaction deletes its blocks still reads them', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'vigil-inflight-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  for (let k = 0; k < 4; k++) await makeBlock(dir, k * 1000, (k + 1) * 1000, ['a'], 10);
  const store = await BlockStore.open(dir, { minBlockDuration: 1000, maxBlockDuration: 9000, retentionMs: 0, log: () => {} });
  const q = store.querier(0, 4000); // opened before compaction
  const want = await dump(store.querier(0, 4000));
  assert.ok((await store.compact()) >= 1);
  assert.ok(store.blocks().length < 4);
  assert.deepEqual(await dump(q), want, 'parents were deleted on disk but the open querier still reads them');
  await q.close();
  await store.close();
});

test('reload leaves a block that is being written alone', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'vigil-tmp-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const store = await BlockStore.open(dir, { retentionMs: 0, log: () => {} });
  const inProgress = join(dir, `${newULID(1)}.tmp-for-creation`);
  await writeFile(inProgress, 'being written');
  await store.reload();
  assert.ok((await stat(inProgress)).isFile(), 'a concurrent writer keeps its temp dir');
  await store.close();
  await BlockStore.open(dir, { retentionMs: 0, log: () => {} });
  await assert.rejects(stat(inProgress), 'removed at the next open');
});

test('overlapping reload, compaction and retention calls are serialised', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'vigil-serial-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  for (let k = 0; k < 10; k++) await makeBlock(dir, k * 1000, (k + 1) * 1000, ['a', 'b'], 10);
  const store = await BlockStore.open(dir, { minBlockDuration: 1000, maxBlockDuration: 9000, retentionMs: 0, log: () => {} });
  const want = await dump(store.querier(0, 10_000));
  // Fire them together, as a background compaction and an explicit one can be.
  const results = await Promise.all([store.compact(), store.reload(), store.compact(), store.applyRetention(), store.reload()]);
  assert.ok((results[0] as number) >= 3);
  assert.equal(results[2], 0, 'the second compaction found nothing left to do');
  assert.deepEqual(await dump(store.querier(0, 10_000)), want);
  assert.deepEqual((await readdir(dir)).sort(), store.blocks().map((b) => b.ulid).sort());
  await store.close();
});
