/**
 * The cluster store conformance suite: every `Store` implementation runs it in
 * one line (`runStoreConformance('sqlite', factory)`). It pins down the
 * contract in store.ts — revisions, compare-and-swap, reads at a revision,
 * prefix lists with paging, resumable watches, compaction, leases, and a
 * second client on the same data. Known gaps are listed in `skip` with a reason.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { StoreError, type StoreErrorCode } from './errors.js';
import type { Store, WatchEvent, WatchStream } from './store.js';

/** What the suite needs from an implementation under test. */
export interface StoreHarness {
  /** A fresh, empty store. */
  readonly store: Store;
  /** A second client on the same data (another process in production). */
  openPeer(): Promise<Store>;
  /**
   * Lets `ms` milliseconds of lease time pass and expired leases take effect
   * (a fake clock plus a sweep where the store takes a clock; a real wait for etcd).
   */
  advance(ms: number): Promise<void>;
  /** Closes everything the harness opened. */
  cleanup(): Promise<void>;
}

export interface StoreConformanceOptions {
  /** Test name → reason it is skipped for this implementation. */
  skip?: Readonly<Record<string, string>>;
}

/** Collects `n` events from `w`, failing after `timeoutMs` (the events must already be on their way). */
export async function takeEvents(w: WatchStream, n: number, timeoutMs = 5000): Promise<WatchEvent[]> {
  const out: WatchEvent[] = [];
  if (n === 0) return out;
  const it = w[Symbol.asyncIterator]();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms with ${out.length}/${n} events`)), timeoutMs);
  });
  try {
    while (out.length < n) {
      const r = await Promise.race([it.next(), timeout]);
      if (r.done) break;
      out.push(r.value);
    }
  } finally {
    clearTimeout(timer);
  }
  return out;
}

async function rejectsWith(p: Promise<unknown>, code: StoreErrorCode): Promise<StoreError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof StoreError, `expected StoreError(${code}), got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    return e;
  }
  assert.fail(`expected StoreError(${code}), but the call succeeded`);
}

function summary(evs: WatchEvent[]): string[] {
  return evs.map((e) => `${e.type} ${e.kv.key}=${e.kv.value}`);
}

/** Registers the suite with node:test. `factory` is called once per test. */
export function runStoreConformance(
  name: string,
  factory: () => Promise<StoreHarness>,
  opts: StoreConformanceOptions = {},
): void {
  const skip = opts.skip ?? {};
  describe(`store conformance: ${name}`, () => {
    let h: StoreHarness;
    let s: Store;
    before(async () => {
      h = await factory();
      s = h.store;
    });
    after(async () => {
      await h.cleanup();
    });
    const t = (title: string, fn: () => Promise<void>) => test(title, { skip: skip[title] ?? false }, fn);
    let n = 0;
    // Each test works under its own prefix so that one store serves the whole suite.
    const p = () => `/t${++n}/`;

    t('create assigns increasing revisions and get returns the value', async () => {
      const k = p();
      const r0 = await s.currentRevision();
      const a = await s.create(`${k}a`, 'A');
      const b = await s.create(`${k}b`, 'B');
      assert.ok(a.modRevision > r0 && b.modRevision > a.modRevision);
      assert.equal(a.createRevision, a.modRevision);
      assert.equal(await s.currentRevision(), b.modRevision);
      const got = await s.get(`${k}a`);
      assert.deepEqual(got, { key: `${k}a`, value: 'A', createRevision: a.modRevision, modRevision: a.modRevision, lease: 0 });
      assert.equal(await s.get(`${k}missing`), null);
    });

    t('create of an existing key fails with already_exists', async () => {
      const k = `${p()}x`;
      await s.create(k, '1');
      await rejectsWith(s.create(k, '2'), 'already_exists');
      assert.equal((await s.get(k))?.value, '1');
    });

    t('update compares the expected revision (409 conflict when stale)', async () => {
      const k = `${p()}x`;
      const c = await s.create(k, 'v1');
      const u = await s.update(k, 'v2', c.modRevision);
      assert.ok(u.modRevision > c.modRevision);
      assert.equal(u.createRevision, c.modRevision);
      const e = await rejectsWith(s.update(k, 'v3', c.modRevision), 'conflict');
      assert.equal(e.key, k);
      assert.equal((await s.get(k))?.value, 'v2');
      const any = await s.update(k, 'v4', 0);
      assert.equal(any.value, 'v4');
      await rejectsWith(s.update(`${k}-missing`, 'v', 0), 'not_found');
    });

    t('delete returns the last value, honours the expected revision, and allows re-create', async () => {
      const k = `${p()}x`;
      const c = await s.create(k, 'v1');
      const u = await s.update(k, 'v2', c.modRevision);
      await rejectsWith(s.delete(k, c.modRevision), 'conflict');
      const d = await s.delete(k, u.modRevision);
      assert.equal(d.value, 'v2');
      assert.ok(d.modRevision > u.modRevision);
      assert.equal(await s.get(k), null);
      await rejectsWith(s.delete(k), 'not_found');
      const again = await s.create(k, 'v3');
      assert.equal(again.createRevision, again.modRevision);
      assert.ok(again.modRevision > d.modRevision);
    });

    t('get and list at a past revision see the state as of then', async () => {
      const k = p();
      const a1 = await s.create(`${k}a`, '1');
      await s.create(`${k}b`, '1');
      const mid = await s.currentRevision();
      await s.update(`${k}a`, '2', a1.modRevision);
      await s.delete(`${k}b`);
      await s.create(`${k}c`, '1');
      assert.equal((await s.get(`${k}a`, { revision: a1.modRevision }))?.value, '1');
      assert.equal((await s.get(`${k}a`))?.value, '2');
      const old = await s.list(k, { revision: mid });
      assert.deepEqual(
        old.items.map((i) => `${i.key}=${i.value}`),
        [`${k}a=1`, `${k}b=1`],
      );
      assert.equal(old.revision, mid);
      const now = await s.list(k);
      assert.deepEqual(
        now.items.map((i) => `${i.key}=${i.value}`),
        [`${k}a=2`, `${k}c=1`],
      );
      assert.equal(now.revision, await s.currentRevision());
      const future = (await s.currentRevision()) + 100;
      await rejectsWith(s.get(`${k}a`, { revision: future }), 'future_revision');
    });

    t('list matches the prefix exactly, sorts by key and pages with limit/continueAfter', async () => {
      const k = p();
      for (const name of ['d', 'b', 'a', 'c', 'e']) await s.create(`${k}ns/${name}`, name);
      await s.create(`${k}ns2/z`, 'other');
      await s.create(`${k}n`, 'short');
      const all = await s.list(`${k}ns/`);
      assert.deepEqual(
        all.items.map((i) => i.value),
        ['a', 'b', 'c', 'd', 'e'],
      );
      assert.equal(all.continueAfter, '');
      const p1 = await s.list(`${k}ns/`, { limit: 2 });
      assert.deepEqual(
        p1.items.map((i) => i.value),
        ['a', 'b'],
      );
      assert.equal(p1.continueAfter, `${k}ns/b`);
      const p2 = await s.list(`${k}ns/`, { limit: 2, startAfter: p1.continueAfter, revision: p1.revision });
      assert.deepEqual(
        p2.items.map((i) => i.value),
        ['c', 'd'],
      );
      const p3 = await s.list(`${k}ns/`, { limit: 2, startAfter: p2.continueAfter, revision: p1.revision });
      assert.deepEqual(
        p3.items.map((i) => i.value),
        ['e'],
      );
      assert.equal(p3.continueAfter, '');
    });

    t('concurrent updates from one revision: exactly one wins', async () => {
      const k = `${p()}x`;
      const c = await s.create(k, '0');
      const results = await Promise.allSettled([1, 2, 3, 4, 5].map((i) => s.update(k, String(i), c.modRevision)));
      const ok = results.filter((r) => r.status === 'fulfilled');
      assert.equal(ok.length, 1);
      for (const r of results)
        if (r.status === 'rejected') assert.ok(r.reason instanceof StoreError && r.reason.code === 'conflict');
    });

    t('watch streams ADDED, MODIFIED and DELETED after the revision, in order, only under the prefix', async () => {
      const k = p();
      const start = await s.currentRevision();
      const c = await s.create(`${k}w/a`, '1');
      await s.create(`${k}other`, 'x');
      const u = await s.update(`${k}w/a`, '2', c.modRevision);
      await s.delete(`${k}w/a`, u.modRevision);
      const w = s.watch(`${k}w/`, start);
      const evs = await takeEvents(w, 3);
      w.close();
      assert.deepEqual(summary(evs), [`ADDED ${k}w/a=1`, `MODIFIED ${k}w/a=2`, `DELETED ${k}w/a=2`]);
      assert.equal(evs[0]!.revision, c.modRevision);
      assert.deepEqual(
        evs.map((e) => e.prevValue),
        [null, '1', null],
        'MODIFIED carries the previous value',
      );
      assert.equal(evs[1]!.revision, u.modRevision);
      assert.ok(evs[2]!.revision > u.modRevision);
      for (const e of evs) assert.equal(e.revision, e.kv.modRevision);
    });

    t('watch from 0 sees only changes made after it started, live', async () => {
      const k = p();
      await s.create(`${k}before`, 'old');
      const w = s.watch(k, 0);
      // Give a remote watch time to be registered before writing.
      await new Promise((r) => setTimeout(r, 50));
      await s.create(`${k}after`, 'new');
      const evs = await takeEvents(w, 1);
      w.close();
      assert.deepEqual(summary(evs), [`ADDED ${k}after=new`]);
    });

    t('a watch resumed from the last revision seen misses and repeats nothing', async () => {
      const k = p();
      const start = await s.currentRevision();
      for (let i = 0; i < 6; i++) await s.create(`${k}${i}`, String(i));
      const w1 = s.watch(k, start);
      const first = await takeEvents(w1, 2);
      w1.close();
      const w2 = s.watch(k, first[1]!.revision);
      for (let i = 6; i < 8; i++) await s.create(`${k}${i}`, String(i));
      const rest = await takeEvents(w2, 6);
      w2.close();
      assert.deepEqual(
        [...first, ...rest].map((e) => e.kv.value),
        ['0', '1', '2', '3', '4', '5', '6', '7'],
      );
      const revs = [...first, ...rest].map((e) => e.revision);
      for (let i = 1; i < revs.length; i++) assert.ok(revs[i]! > revs[i - 1]!);
    });

    t('close ends a watch iteration normally', async () => {
      const w = s.watch(p(), 0);
      const it = w[Symbol.asyncIterator]();
      const pending = it.next();
      w.close();
      assert.equal((await pending).done, true);
    });

    t('compaction makes older revisions "too old" (410) and keeps the latest state', async () => {
      const k = p();
      const a = await s.create(`${k}a`, '1');
      const a2 = await s.update(`${k}a`, '2', a.modRevision);
      const b = await s.create(`${k}b`, '1');
      await s.delete(`${k}b`, b.modRevision);
      const at = await s.currentRevision();
      await s.create(`${k}c`, '1');
      await s.compact(at);
      assert.ok((await s.compactRevision()) >= at);
      const e = await rejectsWith(s.get(`${k}a`, { revision: a.modRevision }), 'compacted');
      assert.match(e.message, /too old resource version/);
      await rejectsWith(s.list(k, { revision: a.modRevision }), 'compacted');
      assert.deepEqual(
        (await s.list(k, { revision: at })).items.map((i) => `${i.key}=${i.value}@${i.modRevision}`),
        [`${k}a=2@${a2.modRevision}`],
      );
      assert.deepEqual(
        (await s.list(k)).items.map((i) => `${i.key}=${i.value}`),
        [`${k}a=2`, `${k}c=1`],
      );
      const w = s.watch(k, a.modRevision);
      await assert.rejects(takeEvents(w, 1), (err: unknown) => err instanceof StoreError && err.code === 'compacted');
      const ok = s.watch(k, at);
      const evs = await takeEvents(ok, 1);
      ok.close();
      assert.deepEqual(summary(evs), [`ADDED ${k}c=1`]);
    });

    t('a key attached to a lease is deleted when the lease expires', async () => {
      const k = `${p()}lease`;
      const lease = await s.grantLease(2);
      assert.ok(lease > 0);
      const start = await s.currentRevision();
      await s.create(k, 'held', { lease });
      assert.equal((await s.get(k))?.lease, lease);
      const w = s.watch(k, start);
      await h.advance(3500);
      const evs = await takeEvents(w, 2);
      w.close();
      assert.deepEqual(summary(evs), [`ADDED ${k}=held`, `DELETED ${k}=held`]);
      assert.equal(await s.get(k), null);
      await rejectsWith(s.keepAlive(lease), 'lease_not_found');
      await rejectsWith(s.create(`${k}2`, 'x', { lease }), 'lease_not_found');
    });

    t('keepAlive renews a lease and revoke deletes its keys at once', async () => {
      const k = p();
      const lease = await s.grantLease(2);
      await s.create(`${k}a`, '1', { lease });
      await h.advance(1200);
      await s.keepAlive(lease);
      await h.advance(1200);
      assert.equal((await s.get(`${k}a`))?.value, '1', 'renewed lease must not have expired');
      await s.revokeLease(lease);
      assert.equal(await s.get(`${k}a`), null);
      await s.revokeLease(lease);
    });

    t('a second client on the same data sees writes, watches and conflicts', async () => {
      const k = p();
      const peer = await h.openPeer();
      try {
        const w = peer.watch(k, await peer.currentRevision());
        const c = await s.create(`${k}x`, 'from-a');
        assert.equal((await peer.get(`${k}x`))?.value, 'from-a');
        const evs = await takeEvents(w, 1);
        w.close();
        assert.deepEqual(summary(evs), [`ADDED ${k}x=from-a`]);
        await peer.update(`${k}x`, 'from-b', c.modRevision);
        await rejectsWith(s.update(`${k}x`, 'late', c.modRevision), 'conflict');
      } finally {
        await peer.close();
      }
    });

    t('keys must be printable ASCII', async () => {
      await rejectsWith(s.create('', 'x'), 'invalid_key');
      await rejectsWith(s.create('/a b', 'x'), 'invalid_key');
      await rejectsWith(s.create('/é', 'x'), 'invalid_key');
    });
  });
}
