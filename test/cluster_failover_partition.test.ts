/**
 * Fencing with real processes: one of three `vigil agent` processes reaches the
 * server only through a TCP proxy in this test; cutting the proxy partitions that
 * node (open connections are closed, new ones are accepted and left hanging, as
 * a dead link does). Its pod keeps running on its own until the agent fences it
 * (failoverAfter − 3 s without a renewal); the control plane's NodeDown failover
 * then starts a replacement elsewhere. A sampler reads the real pod processes
 * from /proc every 25 ms: there are never more than 3 copies of the replicas, the
 * partitioned copy is gone before its replacement exists, and when the link comes
 * back the node rejoins without restarting the failed-over pod. A pod whose
 * Deployment sets `vigil.dev/failover-after: "0"` on the partitioned node is
 * neither fenced nor failed over: the same process runs throughout.
 */
import assert from 'node:assert/strict';
import { readlinkSync } from 'node:fs';
import { createServer, type Server, type Socket, connect } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { createDeployment, processesWith, readyOf, sleep, startFailoverCluster, waitFor, waitSpread, waitNodesReady, webDeployment } from './failover_cluster.js';

/** A TCP proxy that can be cut (connections dropped, new ones held open unanswered) and restored. */
class CuttableProxy {
  private cut = false;
  private readonly open = new Set<Socket>();
  private readonly held = new Set<Socket>();
  readonly server: Server;
  port = 0;

  constructor(private readonly target: { host: string; port: number }) {
    this.server = createServer((client) => {
      client.on('error', () => undefined);
      if (this.cut) {
        this.held.add(client);
        client.once('close', () => this.held.delete(client));
        return;
      }
      const up = connect(this.target.port, this.target.host);
      up.on('error', () => client.destroy());
      client.on('error', () => up.destroy());
      this.open.add(client);
      this.open.add(up);
      const forget = () => {
        this.open.delete(client);
        this.open.delete(up);
      };
      client.once('close', () => {
        up.destroy();
        forget();
      });
      up.once('close', () => {
        client.destroy();
        forget();
      });
      client.pipe(up);
      up.pipe(client);
    });
  }

  async listen(): Promise<void> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', () => r()));
    const a = this.server.address();
    this.port = typeof a === 'object' && a !== null ? a.port : 0;
  }

  partition(): void {
    this.cut = true;
    for (const s of this.open) s.destroy();
  }

  heal(): void {
    this.cut = false;
    for (const s of this.held) s.destroy();
  }

  close(): Promise<void> {
    for (const s of [...this.open, ...this.held]) s.destroy();
    return new Promise((r) => this.server.close(() => r()));
  }
}

test('a partitioned agent fences its pod before the failover: never two copies running; it rejoins without restarting it', async (t) => {
  const c = await startFailoverCluster(57000);
  t.after(() => c.close());
  const port = Number(new URL(c.url).port);
  const proxy = new CuttableProxy({ host: '127.0.0.1', port });
  await proxy.listen();
  t.after(() => proxy.close());
  c.startAgent('pt-a');
  c.startAgent('pt-b');
  c.startAgent('pt-c', `http://127.0.0.1:${proxy.port}`);
  await waitNodesReady(c, ['pt-a', 'pt-b', 'pt-c']);

  const marker = `part-${process.pid}-${Date.now()}`;
  await createDeployment(c, webDeployment('web', 3, ['--version', marker]));
  const before = await waitSpread(c, 'app=web', 3);
  // A Deployment that must never move (failoverAfter 0), pinned to the node that will be cut off.
  const pinnedMarker = `pinned-${process.pid}-${Date.now()}`;
  const pinned = webDeployment('pinned', 1, ['--version', pinnedMarker], { 'vigil.dev/failover-after': '0' });
  pinned.spec.template.spec.nodeSelector = { 'kubernetes.io/hostname': 'pt-c' };
  await createDeployment(c, pinned);
  await waitFor('the pinned pod Ready on pt-c', async () => (await c.pods('app=pinned')).some((p) => readyOf(p) && p.spec.nodeName === 'pt-c'), 30_000, c.diag);
  const pinnedPids = processesWith(pinnedMarker);
  assert.equal(pinnedPids.length, 1);
  const cDir = join(c.dir, 'pt-c');
  const inC = (pid: number) => {
    try {
      return readlinkSync(`/proc/${pid}/cwd`).startsWith(cDir);
    } catch {
      return false;
    }
  };
  const initial = processesWith(marker);
  assert.equal(initial.length, 3, 'one process per replica');
  const victimPids = initial.filter(inC);
  assert.equal(victimPids.length, 1, 'one replica runs on the partitioned node');
  const victimPod = before.find((p) => p.spec.nodeName === 'pt-c')!;

  // Sample the real processes every 25 ms for the rest of the test.
  let max = 0;
  let victimGoneAt = 0;
  let replacementAt = 0;
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      const pids = processesWith(marker);
      max = Math.max(max, pids.length);
      const now = Date.now();
      if (victimGoneAt === 0 && !pids.includes(victimPids[0]!)) victimGoneAt = now;
      if (replacementAt === 0 && pids.some((p) => !initial.includes(p))) replacementAt = now;
      await sleep(25);
    }
  })();
  t.after(async () => {
    sampling = false;
    await sampler;
  });

  const cutAt = Date.now();
  proxy.partition();
  const after = await waitFor(
    '3 Ready replicas, none on the partitioned node',
    async () => {
      const ps = await c.pods('app=web');
      return ps.length === 3 && ps.every((p) => readyOf(p) && p.spec.nodeName !== 'pt-c') ? ps : undefined;
    },
    30_000,
    c.diag,
    50,
  );
  assert.ok(!after.some((p) => p.metadata.uid === victimPod.metadata.uid));
  await waitFor('the replacement process', async () => replacementAt > 0, 5000, c.diag);
  t.diagnostic(`partition: pod fenced ${victimGoneAt - cutAt} ms after the cut, replacement process at ${replacementAt - cutAt} ms, Ready at ${Date.now() - cutAt} ms`);
  assert.ok(victimGoneAt > 0 && victimGoneAt < replacementAt, 'the partitioned copy stopped before its replacement started');
  assert.ok(victimGoneAt - cutAt < 10_000, `fenced within failoverAfter (${victimGoneAt - cutAt} ms)`);
  assert.ok(c.procs.find((p) => p.name === 'pt-c')?.output.includes('fencing the pod'), 'the agent logged its fence');

  // The link comes back: the node rejoins; the failed-over pod is not restarted there.
  proxy.heal();
  await waitFor(
    'pt-c rejoined (failed taint removed)',
    async () => {
      const n = (await c.nodes()).find((x) => x.metadata.name === 'pt-c');
      return n !== undefined && !(n.spec.taints ?? []).some((x) => x.key === 'vigil.dev/failed');
    },
    30_000,
    c.diag,
  );
  await waitFor('the agent relisted after its fence', async () => c.procs.find((p) => p.name === 'pt-c')?.output.includes('relisting pods'), 15_000, c.diag);
  await sleep(2000);
  sampling = false;
  await sampler;
  assert.equal(max, 3, `at most 3 replica processes at any sample (saw ${max})`);
  assert.deepEqual(processesWith(pinnedMarker), pinnedPids, 'the failoverAfter 0 pod kept running, neither fenced nor restarted');
  const pinnedPods = await c.pods('app=pinned');
  assert.equal(pinnedPods.length, 1);
  assert.equal(pinnedPods[0]?.spec.nodeName, 'pt-c');
  assert.equal(processesWith(marker).filter(inC).length, 0, 'nothing runs on the rejoined node');
  assert.equal((await c.pods('app=web')).filter((p) => p.spec.nodeName === 'pt-c').length, 0);
});
