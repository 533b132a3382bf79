import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { EtcdStore } from './etcd_store.js';
import { type EtcdProcess, startEtcd } from './etcd_test_server.js';
import { LeaderElector, type LeaderRecord } from './leader_election.js';
import { SqliteStore } from './sqlite_store.js';
import type { Store } from './store.js';

/** Deterministic pseudo-random order of who goes first in a round. */
function lcg(seed: number): () => number {
  let x = seed >>> 0;
  return () => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    return x / 2 ** 32;
  };
}

function electionSuite(name: string, open: () => Promise<{ a: Store; b: Store; done(): Promise<void> }>): void {
  describe(`leader election on ${name}`, () => {
    test('two contenders never both lead; the survivor takes over after the lease duration', async () => {
      const { a, b, done } = await open();
      try {
        let clock = 1_000_000;
        const now = () => clock;
        const key = `/registry/leases/vigil-system/${name}-ctrl`;
        const common = { key, leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000, now };
        let startedA = 0;
        const ea = new LeaderElector(a, { ...common, identity: 'server-a', onStartedLeading: () => startedA++ });
        const eb = new LeaderElector(b, { ...common, identity: 'server-b' });
        // Both try at the same instant on an empty store: compare-and-swap lets exactly one win.
        const [ra, rb] = await Promise.all([ea.tryAcquireOrRenew(), eb.tryAcquireOrRenew()]);
        assert.equal(Number(ra) + Number(rb), 1, 'exactly one contender wins the first round');
        const first = ra ? ea : eb;
        const second = ra ? eb : ea;
        const rnd = lcg(7);
        let aliveFirst = true;
        let leaderChanges = 0;
        let prev = first.identity;
        for (let round = 0; round < 60; round++) {
          clock += 500 + Math.floor(rnd() * 1500);
          if (round === 20) aliveFirst = false; // the first leader's process hangs: no more rounds
          const order = rnd() < 0.5 ? [first, second] : [second, first];
          for (const e of order) if (e !== first || aliveFirst) await e.tryAcquireOrRenew();
          assert.ok(!(first.isLeader() && second.isLeader()), `both lead at round ${round}, clock ${clock}`);
          const cur = first.isLeader() ? first.identity : second.isLeader() ? second.identity : '';
          if (cur !== '' && cur !== prev) {
            leaderChanges++;
            prev = cur;
          }
        }
        assert.equal(second.isLeader(), true, 'the survivor leads in the end');
        assert.equal(first.isLeader(), false);
        assert.equal(leaderChanges, 1);
        const rec = JSON.parse((await a.get(key))!.value) as LeaderRecord;
        assert.equal(rec.holderIdentity, second.identity);
        assert.equal(rec.leaseTransitions, 1);
        assert.equal(rec.leaseDurationSeconds, 15);
        assert.equal(startedA, 1, 'server-a started leading exactly once (at first, or at the takeover)');
      } finally {
        await done();
      }
    });

    test('a released lease is taken over at once, without waiting for the duration', async () => {
      const { a, b, done } = await open();
      try {
        let clock = 5_000_000;
        const now = () => clock;
        const key = `/registry/leases/vigil-system/${name}-release`;
        const ea = new LeaderElector(a, { key, identity: 'a', now });
        const eb = new LeaderElector(b, { key, identity: 'b', now });
        assert.equal(await ea.tryAcquireOrRenew(), true);
        clock += 1000;
        assert.equal(await eb.tryAcquireOrRenew(), false);
        assert.equal(eb.observedLeader(), 'a');
        await ea.release();
        assert.equal(ea.isLeader(), false);
        clock += 1;
        assert.equal(await eb.tryAcquireOrRenew(), true);
        clock += 1000;
        assert.equal(await ea.tryAcquireOrRenew(), false);
      } finally {
        await done();
      }
    });
  });
}

electionSuite('sqlite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-election-'));
  const path = join(dir, 'c.db');
  const opts = { pollIntervalMs: 0, leaseSweepIntervalMs: 0 };
  // Two store instances on one file, as two server processes would have.
  const a = new SqliteStore(path, opts);
  const b = new SqliteStore(path, opts);
  return {
    a,
    b,
    async done() {
      await a.close();
      await b.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

describe('etcd', () => {
  let etcd: EtcdProcess;
  before(async () => {
    etcd = await startEtcd();
  });
  after(async () => {
    await etcd.stop();
  });
  electionSuite('etcd', async () => {
    const a = new EtcdStore(etcd.endpoint);
    const b = new EtcdStore(etcd.endpoint);
    return {
      a,
      b,
      async done() {
        await a.close();
        await b.close();
      },
    };
  });
});

test('leader elector rejects timings that would let two contenders lead', () => {
  const s = {} as Store;
  assert.throws(
    () => new LeaderElector(s, { key: '/k', identity: 'x', leaseDurationMs: 5000, renewDeadlineMs: 5000 }),
    /renewDeadlineMs \(5000\) must be less than leaseDurationMs \(5000\)/,
  );
  assert.throws(() => new LeaderElector(s, { key: '/k', identity: ' ' }), /identity must not be empty/);
});

test('leader elector run() loop: one leads, stop() hands over promptly to the other', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-election-run-'));
  const path = join(dir, 'c.db');
  const a = new SqliteStore(path, { pollIntervalMs: 0, leaseSweepIntervalMs: 0 });
  const b = new SqliteStore(path, { pollIntervalMs: 0, leaseSweepIntervalMs: 0 });
  t.after(async () => {
    await a.close();
    await b.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const events: string[] = [];
  // Short real periods keep the loop test under a second; the safety properties are tested above with a fake clock.
  const timing = { key: '/registry/leases/vigil-system/run', leaseDurationMs: 3000, renewDeadlineMs: 2000, retryPeriodMs: 20 };
  const ea = new LeaderElector(a, { ...timing, identity: 'a', onStartedLeading: () => events.push('a+'), onStoppedLeading: () => events.push('a-') });
  const eb = new LeaderElector(b, { ...timing, identity: 'b', onStartedLeading: () => events.push('b+'), onStoppedLeading: () => events.push('b-') });
  await ea.run();
  await eb.run();
  assert.equal(ea.isLeader(), true);
  assert.equal(eb.isLeader(), false);
  await ea.stop();
  const deadline = Date.now() + 2000;
  while (!eb.isLeader() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  assert.equal(eb.isLeader(), true, 'b took over well before the 3 s lease duration');
  await eb.stop();
  assert.deepEqual(events, ['a+', 'a-', 'b+', 'b-']);
});
