import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { StorageError } from '../errors.js';
import { Labels } from '../labels.js';
import { MatchType, Matcher } from '../matcher.js';
import { NO_REF, STALE_NAN, type SeriesSet, ValueType } from '../storage.js';
import { HEAD_CHUNKS_MAGIC } from './head_chunks.js';
import { Head } from './head.js';

const dv = new DataView(new ArrayBuffer(8));
function bits(v: number): bigint {
  dv.setFloat64(0, v);
  return dv.getBigUint64(0);
}

async function collect(ss: SeriesSet): Promise<Map<string, [number, number][]>> {
  const out = new Map<string, [number, number][]>();
  while (ss.next()) {
    const s = ss.at();
    const it = s.iterator();
    const samples: [number, number][] = [];
    while (it.next() !== ValueType.None) samples.push([it.atT(), it.atV()]);
    assert.equal(it.err(), null);
    out.set(s.labels.toString(), samples);
  }
  assert.equal(ss.err(), null);
  return out;
}

const eq = (n: string, v: string) => new Matcher(MatchType.Equal, n, v);
const a = Labels.fromStrings('__name__', 'up', 'job', 'a');
const b = Labels.fromStrings('__name__', 'up', 'job', 'b');
const c = Labels.fromStrings('__name__', 'other', 'job', 'a', 'x', 'y');

test('head appender samples are invisible until commit and visible after', async () => {
  const h = new Head();
  const app = h.appender();
  const ref = app.append(NO_REF, a, 1000, 1);
  app.append(ref, a, 2000, 2);
  let q = h.querier(0, 10_000);
  assert.equal((await collect(await q.select(true, null, [eq('job', 'a')]))).size, 0);
  await app.commit();
  q = h.querier(0, 10_000);
  const got = await collect(await q.select(true, null, [eq('job', 'a')]));
  assert.deepEqual(got.get(a.toString()), [
    [1000, 1],
    [2000, 2],
  ]);
  assert.equal(h.stats.samplesAppended, 2);
  assert.equal(h.numSeries(), 1);
});

test('head rollback discards samples', async () => {
  const h = new Head();
  const app = h.appender();
  app.append(NO_REF, a, 1000, 1);
  await app.rollback();
  const got = await collect(await h.querier(0, 10_000).select(true, null, [eq('job', 'a')]));
  assert.equal(got.size, 0);
});

test('head rejects out-of-order, duplicate and out-of-bounds samples with typed errors', async () => {
  const h = new Head();
  let app = h.appender();
  app.append(NO_REF, a, 10_000_000, 5);
  await app.commit();
  app = h.appender();
  assert.throws(() => app.append(NO_REF, a, 9_999_999, 1), (e: unknown) => e instanceof StorageError && e.code === 'out_of_order_sample');
  assert.throws(() => app.append(NO_REF, a, 10_000_000, 6), (e: unknown) => e instanceof StorageError && e.code === 'duplicate_sample_for_timestamp');
  // Same timestamp and same value: silent no-op.
  app.append(NO_REF, a, 10_000_000, 5);
  // More than chunkRange/2 (1h) behind the head's newest sample: out of bounds.
  assert.throws(() => app.append(NO_REF, b, 10_000_000 - 3_600_001, 1), (e: unknown) => e instanceof StorageError && e.code === 'out_of_bounds');
  // The transaction stays usable.
  app.append(NO_REF, a, 10_000_001, 7);
  await app.commit();
  const got = await collect(await h.querier(0, 20_000_000).select(true, null, [eq('job', 'a')]));
  assert.deepEqual(got.get(a.toString()), [
    [10_000_000, 5],
    [10_000_001, 7],
  ]);
  assert.equal(h.stats.outOfOrderRejected, 1);
  assert.equal(h.stats.duplicateRejected, 1);
  assert.equal(h.stats.outOfBoundsRejected, 1);
});

test('head out-of-order window accepts older samples within it and merges them in time order', async () => {
  const h = new Head({ outOfOrderWindow: 60_000 });
  let app = h.appender();
  for (let t = 100_000; t <= 200_000; t += 20_000) app.append(NO_REF, a, t, t / 1000);
  await app.commit();
  app = h.appender();
  app.append(NO_REF, a, 150_000, 150);
  app.append(NO_REF, a, 190_000, 190);
  assert.throws(() => app.append(NO_REF, a, 139_999, 1), (e: unknown) => e instanceof StorageError && e.code === 'too_old_sample');
  await app.commit();
  const got = await collect(await h.querier(0, 300_000).select(true, null, [eq('job', 'a')]));
  assert.deepEqual(
    got.get(a.toString())!.map((s) => s[0]),
    [100_000, 120_000, 140_000, 150_000, 160_000, 180_000, 190_000, 200_000],
  );
  const it = (await h.querier(0, 300_000).select(true, null, [eq('job', 'a')]));
  it.next();
  const si = it.at().iterator();
  assert.equal(si.seek(185_000), ValueType.Float);
  assert.equal(si.atT(), 190_000);
  assert.equal(si.atV(), 190);
});

test('head select uses matchers, sorts series and restricts to the querier range', async () => {
  const h = new Head();
  const app = h.appender();
  for (let t = 0; t < 100; t++) {
    app.append(NO_REF, a, t * 1000, t);
    app.append(NO_REF, b, t * 1000, -t);
    app.append(NO_REF, c, t * 1000, t * 2);
  }
  await app.commit();
  const q = h.querier(10_000, 12_000);
  const got = await collect(await q.select(true, null, [eq('__name__', 'up')]));
  assert.deepEqual([...got.keys()], [a.toString(), b.toString()]);
  assert.deepEqual(got.get(b.toString()), [
    [10_000, -10],
    [11_000, -11],
    [12_000, -12],
  ]);
  const re = await collect(await q.select(true, null, [new Matcher(MatchType.Regexp, 'job', 'a'), new Matcher(MatchType.NotEqual, 'x', 'y')]));
  assert.deepEqual([...re.keys()], [a.toString()]);
  assert.deepEqual(await q.labelNames([]), ['__name__', 'job', 'x']);
  assert.deepEqual(await q.labelNames([eq('__name__', 'up')]), ['__name__', 'job']);
  assert.deepEqual(await q.labelValues('job', []), ['a', 'b']);
  assert.deepEqual(await q.labelValues('__name__', [eq('job', 'a')]), ['other', 'up']);
  // Nothing in range: no series.
  const none = await collect(await h.querier(200_000, 300_000).select(true, null, []));
  assert.equal(none.size, 0);
});

test('head writes full chunks to chunks_head files in Prometheus format and reads them back', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-head-'));
  try {
    const h = new Head({ chunkDir: join(dir, 'chunks_head') });
    const n = 2000;
    const stale = new Float64Array(1);
    stale[0] = STALE_NAN;
    for (let i = 0; i < n; i += 100) {
      const app = h.appender();
      for (let k = i; k < i + 100; k++) app.append(NO_REF, a, k * 15_000, k === 1234 ? stale[0]! : k * 0.5);
      await app.commit();
    }
    const s = h.getByLabels(a)!;
    assert.ok(s.mmCount >= 10, `full chunks flushed (${s.mmCount})`);
    h.sink!.flush();
    const files = readdirSync(join(dir, 'chunks_head'));
    assert.deepEqual(files, ['000001']);
    const buf = readFileSync(join(dir, 'chunks_head', '000001'));
    assert.equal(buf.readUInt32BE(0), HEAD_CHUNKS_MAGIC);
    assert.equal(buf.readBigUInt64BE(8), BigInt(s.ref), 'first chunk names its series');
    const got = await collect(await h.querier(0, n * 15_000).select(true, null, [eq('job', 'a')]));
    const samples = got.get(a.toString())!;
    assert.equal(samples.length, n);
    for (let k = 0; k < n; k++) {
      assert.equal(samples[k]![0], k * 15_000);
      if (k !== 1234) assert.equal(samples[k]![1], k * 0.5);
    }
    // The stale marker keeps its bits through chunk files.
    const ss = await h.querier(1234 * 15_000, 1234 * 15_000).select(false, null, [eq('job', 'a')]);
    ss.next();
    const it = ss.at().iterator();
    assert.equal(it.next(), ValueType.Float);
    assert.equal(bits(it.atV()), 0x7ff0000000000002n);
    h.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('head truncation drops old chunks and empty series and raises the minimum valid time', async () => {
  const h = new Head({ chunkRange: 100_000 });
  let app = h.appender();
  for (let t = 0; t < 100_000; t += 1000) app.append(NO_REF, a, t, 1);
  app.append(NO_REF, b, 5000, 1);
  await app.commit();
  app = h.appender();
  for (let t = 100_000; t < 200_000; t += 1000) app.append(NO_REF, a, t, 2);
  await app.commit();
  assert.equal(h.truncate(100_000), 1, 'series b removed');
  assert.equal(h.numSeries(), 1);
  assert.equal(h.minT, 100_000);
  const got = await collect(await h.querier(0, 300_000).select(true, null, []));
  assert.equal(got.get(a.toString())!.length, 100);
  assert.deepEqual(await h.querier(0, 300_000).labelValues('job', []), ['a']);
  app = h.appender();
  assert.throws(() => app.append(NO_REF, b, 99_999, 1), (e: unknown) => e instanceof StorageError && e.code === 'out_of_bounds');
});

test('head querier snapshot does not see samples committed after select', async () => {
  const h = new Head();
  let app = h.appender();
  app.append(NO_REF, a, 1000, 1);
  await app.commit();
  const ss = await h.querier(0, 100_000).select(false, null, []);
  app = h.appender();
  app.append(NO_REF, a, 2000, 2);
  await app.commit();
  ss.next();
  const it = ss.at().iterator();
  assert.equal(it.next(), ValueType.Float);
  assert.equal(it.next(), ValueType.None);
});

test('head finds each of many series again by its labels', async () => {
  const h = new Head();
  const app = h.appender();
  const refs = new Set<number>();
  for (let i = 0; i < 5000; i++) refs.add(app.append(NO_REF, Labels.fromStrings('__name__', 'm', 'i', String(i)), 1000, i));
  await app.commit();
  assert.equal(refs.size, 5000);
  for (let i = 0; i < 5000; i += 997) assert.equal(h.getByLabels(Labels.fromStrings('__name__', 'm', 'i', String(i)))?.ref !== undefined, true);
});

test('head out-of-order window never accepts samples before the minimum valid time (already persisted in blocks)', async () => {
  const h = new Head({ outOfOrderWindow: 3_600_000, chunkRange: 7_200_000 });
  let app = h.appender();
  for (let t = 0; t <= 10_000_000; t += 100_000) app.append(NO_REF, a, t, 1);
  await app.commit();
  h.truncate(9_000_000);
  app = h.appender();
  assert.throws(() => app.append(NO_REF, a, 8_999_999, 1), (e: unknown) => e instanceof StorageError && e.code === 'too_old_sample');
  app.append(NO_REF, a, 9_050_000, 2);
  await app.commit();
  assert.equal(h.stats.outOfOrderSamplesAppended, 1);
});
