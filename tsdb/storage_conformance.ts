/**
 * The conformance suite for the storage contract (tsdb/storage.ts). Every
 * `Storage` implementation runs it with one call from its own test file:
 *
 *   runStorageConformance('memory', async () => ({ storage: new MemoryStorage(), cleanup: async () => {} }));
 *
 * The factory returns a fresh, empty storage per test. `reopen`, when given,
 * closes and reopens the same storage (for durable implementations): the suite
 * then also checks that committed data survives.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { StorageError } from './errors.js';
import { Labels } from './labels.js';
import { MatchType, Matcher } from './matcher.js';
import { NO_REF, STALE_NAN, type Querier, type SeriesSet, type Storage, ValueType, isStaleNaN } from './storage.js';

export interface StorageUnderTest {
  storage: Storage;
  /** Closes `storage` and opens it again over the same data (durable implementations only). */
  reopen?: () => Promise<Storage>;
  cleanup: () => Promise<void>;
}

export interface ConformanceOptions {
  /** Tests to skip, by name, each with the reason (known gaps are listed, never deleted). */
  skip?: Record<string, string>;
}

interface Got {
  labels: string;
  ts: number[];
  vs: number[];
}

const lbl = (...nv: string[]) => Labels.fromStrings(...nv);
const eq = (n: string, v: string) => new Matcher(MatchType.Equal, n, v);

/** Reads a whole series set into plain arrays (test-side only). */
async function collect(ss: SeriesSet): Promise<Got[]> {
  const out: Got[] = [];
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
    out.push({ labels: s.labels.toString(), ts, vs });
  }
  assert.equal(ss.err(), null);
  return out;
}

async function selectAll(q: Querier, sort: boolean, ...matchers: Matcher[]): Promise<Got[]> {
  return collect(await q.select(sort, null, matchers));
}

async function query(st: Storage, mint: number, maxt: number, ...matchers: Matcher[]): Promise<Got[]> {
  const q = await st.querier(mint, maxt);
  try {
    return await selectAll(q, true, ...matchers);
  } finally {
    await q.close();
  }
}

/** Registers the suite under `describe(name)`. */
export function runStorageConformance(
  name: string,
  factory: () => Promise<StorageUnderTest>,
  opts: ConformanceOptions = {},
): void {
  const skip = opts.skip ?? {};
  const it = (title: string, fn: (u: StorageUnderTest) => Promise<void>) => {
    const reason = skip[title];
    test(title, reason !== undefined ? { skip: reason } : {}, async () => {
      const u = await factory();
      try {
        await fn(u);
      } finally {
        await u.cleanup();
      }
    });
  };

  describe(`storage conformance: ${name}`, () => {
    it('committed samples are returned in time order per series', async ({ storage }) => {
      const app = storage.appender();
      const a = lbl('__name__', 'up', 'job', 'a');
      let ref = NO_REF;
      for (let t = 1000; t <= 5000; t += 1000) ref = app.append(ref, a, t, t / 1000);
      await app.commit();
      const got = await query(storage, 0, 10_000, eq('__name__', 'up'));
      assert.deepEqual(got, [{ labels: '{__name__="up", job="a"}', ts: [1000, 2000, 3000, 4000, 5000], vs: [1, 2, 3, 4, 5] }]);
    });

    it('samples are invisible before commit and discarded by rollback', async ({ storage }) => {
      const a = lbl('__name__', 'm', 'i', '1');
      const app = storage.appender();
      app.append(NO_REF, a, 1000, 1);
      assert.deepEqual(await query(storage, 0, 10_000, eq('__name__', 'm')), []);
      await app.rollback();
      assert.deepEqual(await query(storage, 0, 10_000, eq('__name__', 'm')), []);
      const app2 = storage.appender();
      app2.append(NO_REF, a, 2000, 2);
      await app2.commit();
      const got = await query(storage, 0, 10_000, eq('__name__', 'm'));
      assert.deepEqual(got.map((g) => g.ts), [[2000]]);
    });

    it('the time range is inclusive at both ends', async ({ storage }) => {
      const app = storage.appender();
      const a = lbl('__name__', 'm');
      for (let t = 0; t <= 100; t += 10) app.append(NO_REF, a, t, t);
      await app.commit();
      const got = await query(storage, 20, 50, eq('__name__', 'm'));
      assert.deepEqual(got[0]?.ts, [20, 30, 40, 50]);
      assert.deepEqual(await query(storage, 101, 200, eq('__name__', 'm')), [], 'series without samples in range are omitted');
    });

    it('all four matcher types select the right series', async ({ storage }) => {
      const app = storage.appender();
      for (const job of ['api', 'web', 'db']) app.append(NO_REF, lbl('__name__', 'up', 'job', job), 1000, 1);
      app.append(NO_REF, lbl('__name__', 'up'), 1000, 1);
      await app.commit();
      const jobs = async (m: Matcher) => (await query(storage, 0, 2000, eq('__name__', 'up'), m)).map((g) => g.labels);
      assert.deepEqual(await jobs(eq('job', 'api')), ['{__name__="up", job="api"}']);
      assert.deepEqual(await jobs(new Matcher(MatchType.NotEqual, 'job', 'api')), [
        '{__name__="up"}',
        '{__name__="up", job="db"}',
        '{__name__="up", job="web"}',
      ]);
      assert.deepEqual(await jobs(new Matcher(MatchType.Regexp, 'job', 'a.*|w.b')), [
        '{__name__="up", job="api"}',
        '{__name__="up", job="web"}',
      ]);
      assert.deepEqual(await jobs(new Matcher(MatchType.NotRegexp, 'job', '.+')), ['{__name__="up"}']);
      assert.deepEqual(await jobs(eq('job', '')), ['{__name__="up"}'], 'an empty-value matcher selects series lacking the label');
      assert.deepEqual(await jobs(new Matcher(MatchType.Regexp, 'job', 'p')), [], 'regexes are fully anchored');
    });

    it('select with sortSeries returns series in label order', async ({ storage }) => {
      const app = storage.appender();
      for (const i of ['3', '1', '10', '2']) app.append(NO_REF, lbl('__name__', 'm', 'i', i), 1000, 1);
      await app.commit();
      const got = await query(storage, 0, 2000, eq('__name__', 'm'));
      assert.deepEqual(
        got.map((g) => g.labels),
        ['{__name__="m", i="1"}', '{__name__="m", i="10"}', '{__name__="m", i="2"}', '{__name__="m", i="3"}'],
      );
    });

    it('out-of-order samples are rejected with a typed error and the transaction stays usable', async ({ storage }) => {
      const a = lbl('__name__', 'm');
      const app = storage.appender();
      app.append(NO_REF, a, 2000, 2);
      await app.commit();
      const app2 = storage.appender();
      assert.throws(
        () => app2.append(NO_REF, a, 1000, 1),
        (e: unknown) => e instanceof StorageError && (e.code === 'out_of_order_sample' || e.code === 'out_of_bounds'),
      );
      app2.append(NO_REF, a, 3000, 3);
      await app2.commit();
      assert.deepEqual((await query(storage, 0, 5000, eq('__name__', 'm')))[0]?.ts, [2000, 3000]);
    });

    it('a duplicate timestamp with a different value is rejected; the same value is accepted silently', async ({ storage }) => {
      const a = lbl('__name__', 'm');
      const app = storage.appender();
      app.append(NO_REF, a, 1000, 1);
      await app.commit();
      const app2 = storage.appender();
      assert.throws(
        () => app2.append(NO_REF, a, 1000, 2),
        (e: unknown) => e instanceof StorageError && e.code === 'duplicate_sample_for_timestamp',
      );
      app2.append(NO_REF, a, 1000, 1);
      await app2.commit();
      assert.deepEqual(await query(storage, 0, 5000, eq('__name__', 'm')), [{ labels: '{__name__="m"}', ts: [1000], vs: [1] }]);
    });

    it('special float values survive bit for bit, including the staleness marker', async ({ storage }) => {
      const a = lbl('__name__', 'm');
      const app = storage.appender();
      // Typed arrays on the test side too: V8 may canonicalise NaN payloads held in a plain array.
      const values = Float64Array.of(Number.NaN, STALE_NAN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -0, 0, 1e308, -5e-324);
      for (let i = 0; i < values.length; i++) app.append(NO_REF, a, (i + 1) * 1000, values[i]!);
      await app.commit();
      const q = await storage.querier(0, 100_000);
      const ss = await q.select(true, null, [eq('__name__', 'm')]);
      assert.ok(ss.next());
      const iter = ss.at().iterator();
      const got = new Float64Array(values.length);
      const stale: boolean[] = [];
      let n = 0;
      while (iter.next()) {
        stale.push(isStaleNaN(iter.atV()));
        got[n++] = iter.atV();
      }
      await q.close();
      assert.equal(n, values.length);
      assert.deepEqual(stale, [false, true, false, false, false, false, false, false]);
      assert.ok(Number.isNaN(got[0]));
      assert.ok(Object.is(got[4], -0), 'negative zero keeps its sign');
      assert.deepEqual([...got.subarray(2)], [...values.subarray(2)]);
    });

    it('negative and large timestamps are stored exactly', async ({ storage }) => {
      const a = lbl('__name__', 'm');
      const app = storage.appender();
      const ts = [-86_400_000, -1, 0, 1_700_000_000_000, 4_102_444_800_000];
      for (const t of ts) app.append(NO_REF, a, t, t);
      await app.commit();
      const got = await query(storage, -100_000_000, 5_000_000_000_000, eq('__name__', 'm'));
      assert.deepEqual(got[0]?.ts, ts);
    });

    it('the series reference returned by append is a valid hint for the same series', async ({ storage }) => {
      const a = lbl('__name__', 'm', 'x', '1');
      const b = lbl('__name__', 'm', 'x', '2');
      const app = storage.appender();
      const ra = app.append(NO_REF, a, 1000, 1);
      const rb = app.append(NO_REF, b, 1000, 1);
      assert.notEqual(ra, rb);
      await app.commit();
      const app2 = storage.appender();
      assert.equal(app2.append(ra, a, 2000, 2), ra);
      assert.equal(app2.append(rb, b, 2000, 2), rb);
      await app2.commit();
      const got = await query(storage, 0, 5000, eq('__name__', 'm'));
      assert.deepEqual(got.map((g) => g.ts), [[1000, 2000], [1000, 2000]]);
    });

    it('label names and values respect matchers and are sorted and unique', async ({ storage }) => {
      const app = storage.appender();
      app.append(NO_REF, lbl('__name__', 'a', 'job', 'x', 'zone', 'eu'), 1000, 1);
      app.append(NO_REF, lbl('__name__', 'b', 'job', 'y', 'dc', 'one'), 1000, 1);
      app.append(NO_REF, lbl('__name__', 'b', 'job', 'x'), 1000, 1);
      await app.commit();
      const q = await storage.querier(0, 2000);
      try {
        assert.deepEqual(await q.labelNames([]), ['__name__', 'dc', 'job', 'zone']);
        assert.deepEqual(await q.labelNames([eq('__name__', 'b')]), ['__name__', 'dc', 'job']);
        assert.deepEqual(await q.labelValues('job', []), ['x', 'y']);
        assert.deepEqual(await q.labelValues('__name__', [eq('job', 'x')]), ['a', 'b']);
        assert.deepEqual(await q.labelValues('nope', []), []);
      } finally {
        await q.close();
      }
    });

    it('a querier does not see samples committed after it was opened', async ({ storage }) => {
      const a = lbl('__name__', 'm');
      const app = storage.appender();
      app.append(NO_REF, a, 1000, 1);
      await app.commit();
      const q = await storage.querier(0, 10_000);
      const ss = await q.select(true, null, [eq('__name__', 'm')]);
      const app2 = storage.appender();
      app2.append(NO_REF, a, 2000, 2);
      await app2.commit();
      const got = await collect(ss);
      await q.close();
      assert.deepEqual(got[0]?.ts, [1000]);
    });

    it('iterator seek moves forward only and finds the first sample at or after t', async ({ storage }) => {
      const a = lbl('__name__', 'm');
      const app = storage.appender();
      for (let t = 0; t < 1000 * 300; t += 1000) app.append(NO_REF, a, t, t);
      await app.commit();
      const q = await storage.querier(0, 1_000_000);
      const ss = await q.select(true, null, [eq('__name__', 'm')]);
      assert.ok(ss.next());
      const iter = ss.at().iterator();
      assert.equal(iter.seek(150_500), ValueType.Float);
      assert.equal(iter.atT(), 151_000);
      assert.equal(iter.seek(10_000), ValueType.Float, 'seeking backwards stays put');
      assert.equal(iter.atT(), 151_000);
      assert.equal(iter.next(), ValueType.Float);
      assert.equal(iter.atT(), 152_000);
      assert.equal(iter.seek(10_000_000), ValueType.None);
      await q.close();
    });

    it('many series and samples round-trip', async ({ storage }) => {
      const n = 200;
      const refs = new Array<ReturnType<typeof storage.appender>['append'] extends (...a: never[]) => infer R ? R : never>(n).fill(NO_REF);
      for (let t = 0; t < 300; t++) {
        const app = storage.appender();
        for (let i = 0; i < n; i++) refs[i] = app.append(refs[i]!, lbl('__name__', 'm', 'i', String(i)), t * 15_000, i * 1000 + t);
        await app.commit();
      }
      const got = await query(storage, 0, 300 * 15_000, eq('__name__', 'm'), eq('i', '123'));
      assert.equal(got.length, 1);
      assert.equal(got[0]!.ts.length, 300);
      assert.equal(got[0]!.vs[299], 123_299);
      const all = await query(storage, 0, 300 * 15_000, eq('__name__', 'm'));
      assert.equal(all.length, n);
    });

    it('committed data survives close and reopen', async (u) => {
      if (u.reopen === undefined) return; // not durable: nothing to check
      const a = lbl('__name__', 'm', 'k', 'v');
      const app = u.storage.appender();
      app.append(NO_REF, a, 1000, 42);
      await app.commit();
      u.storage = await u.reopen();
      assert.deepEqual(await query(u.storage, 0, 5000, eq('k', 'v')), [{ labels: '{__name__="m", k="v"}', ts: [1000], vs: [42] }]);
    });
  });
}
