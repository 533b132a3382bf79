import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FanoutStorage } from './fanout.js';
import { Labels } from './labels.js';
import { MatchType, Matcher } from './matcher.js';
import { MemoryStorage } from './memory_storage.js';
import { EmptySeriesSet } from './series_set.js';
import { NO_REF, type Querier, type Queryable, ValueType } from './storage.js';
import { runStorageConformance } from './storage_conformance.js';

// The contract holds with no secondaries and with an (empty) secondary that forces the merge path.
runStorageConformance('fanout (no secondaries)', async () => {
  const storage = new FanoutStorage(new MemoryStorage(), () => []);
  return { storage, cleanup: () => storage.close() };
});
runStorageConformance('fanout (with an empty secondary)', async () => {
  const secondary = new MemoryStorage();
  const storage = new FanoutStorage(new MemoryStorage(), () => [secondary]);
  return { storage, cleanup: () => storage.close() };
});

const eq = (n: string, v: string) => new Matcher(MatchType.Equal, n, v);

async function fill(s: MemoryStorage, rows: [Labels, number, number][]): Promise<void> {
  const app = s.appender();
  for (const [l, t, v] of rows) app.append(NO_REF, l, t, v);
  await app.commit();
}

async function read(q: Querier): Promise<{ series: string[]; samples: string[][]; warnings: readonly string[] }> {
  const ss = await q.select(false, null, [eq('__name__', 'm')]);
  const series: string[] = [];
  const samples: string[][] = [];
  while (ss.next()) {
    series.push(ss.at().labels.toString());
    const it = ss.at().iterator();
    const list: string[] = [];
    while (it.next() !== ValueType.None) list.push(`${it.atT()}=${it.atV()}`);
    samples.push(list);
  }
  assert.equal(ss.err(), null);
  return { series, samples, warnings: ss.warnings() };
}

test('fanout merges sorted series from all sources; at equal timestamps the primary wins', async () => {
  const primary = new MemoryStorage();
  const remote = new MemoryStorage();
  const a = Labels.fromStrings('__name__', 'm', 'i', 'a');
  const b = Labels.fromStrings('__name__', 'm', 'i', 'b');
  const c = Labels.fromStrings('__name__', 'm', 'i', 'c');
  await fill(primary, [[b, 20, 1], [b, 30, 1], [c, 10, 1]]);
  await fill(remote, [[a, 10, 2], [b, 10, 2], [b, 20, 2], [b, 40, 2]]);
  const fan = new FanoutStorage(primary, () => [remote]);
  const got = await read(await fan.querier(0, 100));
  assert.deepEqual(got.series, ['{__name__="m", i="a"}', '{__name__="m", i="b"}', '{__name__="m", i="c"}']);
  assert.deepEqual(got.samples[1], ['10=2', '20=1', '30=1', '40=2']);
  assert.deepEqual(got.warnings, []);
  // seek on a merged series.
  const q = await fan.querier(0, 100);
  const ss = await q.select(true, null, [eq('i', 'b')]);
  assert.ok(ss.next());
  const it = ss.at().iterator();
  assert.equal(it.seek(25), ValueType.Float);
  assert.deepEqual([it.atT(), it.atV()], [30, 1]);
  assert.equal(it.next(), ValueType.Float);
  assert.deepEqual([it.atT(), it.atV()], [40, 2]);
  assert.equal(it.next(), ValueType.None);
});

test('secondary failures become warnings; label lookups take the union', async () => {
  const primary = new MemoryStorage();
  await fill(primary, [[Labels.fromStrings('__name__', 'm', 'x', '1'), 1, 1]]);
  const broken: Queryable = {
    querier: async () => {
      throw new Error('remote_read r1: connection refused');
    },
  };
  const warns: Queryable = {
    querier: async () => ({
      select: async () => new EmptySeriesSet(null, ['remote_read r2: HTTP 500']),
      labelNames: async () => ['only_remote'],
      labelValues: async () => ['2'],
      close: async () => {},
    }),
  };
  const fan = new FanoutStorage(primary, () => [broken, warns]);
  const q = await fan.querier(0, 10);
  const got = await read(q);
  assert.deepEqual(got.series, ['{__name__="m", x="1"}']);
  assert.deepEqual([...got.warnings].sort(), ['remote_read r1: connection refused', 'remote_read r2: HTTP 500']);
  assert.deepEqual(await q.labelNames([]), ['__name__', 'only_remote', 'x']);
  assert.deepEqual(await q.labelValues('x', []), ['1', '2']);
});
