/**
 * Failover with real processes: the built `vigil server` (its shipped rule group
 * `<builtin>/vigil-cluster.rules.yml` evaluated every second) and three
 * `vigil agent` processes; a Deployment of 3 replicas of the fixture app spreads
 * one per node. SIGKILL one agent and its pods: within 15 s of the kill all 3
 * replicas are Ready again on the two other nodes, driven by the NodeDown rule
 * and its `failover node/…` action; the dead node carries the failed taint, a
 * NodeFailover Event and the failover metrics. A restarted agent rejoins (the
 * taint goes) and its old pods do not come back.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Event, Node } from '../cluster/api/objects.js';
import { createDeployment, readyOf, sleep, startFailoverCluster, waitFor, waitSpread, waitNodesReady, webDeployment } from './failover_cluster.js';

const NODES = ['fo-a', 'fo-b', 'fo-c'];

test('SIGKILL of an agent and its pods: all 3 replicas Ready on the other nodes within 15 s; the node rejoins without its old pods', async (t) => {
  const c = await startFailoverCluster(56000);
  t.after(() => c.close());
  for (const n of NODES) c.startAgent(n);
  await waitNodesReady(c, NODES);

  // The shipped group is loaded under its builtin name.
  const rules = await c.api<{ data: { groups: { name: string; file: string; rules: { name: string }[] }[] } }>('/api/v1/rules');
  const g = rules.data.groups.find((x) => x.name === 'vigil-cluster');
  assert.equal(g?.file, '<builtin>/vigil-cluster.rules.yml');
  assert.deepEqual(g?.rules.map((r) => r.name), ['NodeSuspect', 'NodeDown', 'AutoscalerMetricsMissing']);

  await createDeployment(c, webDeployment('web', 3, ['--version', 'kill-test']));
  const before = await waitSpread(c, 'app=web', 3);
  const victim = before[0]!.spec.nodeName!;
  const survivors = before.filter((p) => p.spec.nodeName !== victim).map((p) => p.metadata.uid);

  const killedAt = Date.now();
  await c.killAgent(victim);
  const after = await waitFor(
    `3 Ready replicas, none on ${victim}`,
    async () => {
      const ps = await c.pods('app=web');
      return ps.length === 3 && ps.every((p) => readyOf(p) && p.spec.nodeName !== victim) ? ps : undefined;
    },
    25_000,
    c.diag,
    50,
  );
  const took = Date.now() - killedAt;
  t.diagnostic(`failover: kill → 3 replicas Ready elsewhere in ${took} ms`);
  assert.ok(took < 15_000, `replicas Ready elsewhere ${took} ms after the kill (limit 15 000)`);
  for (const uid of survivors) assert.ok(after.some((p) => p.metadata.uid === uid), 'the healthy replicas were left alone');

  const node = (await c.nodes()).find((n) => n.metadata.name === victim) as Node;
  assert.ok((node.spec.taints ?? []).some((x) => x.key === 'vigil.dev/failed' && x.effect === 'NoExecute'), 'the dead node is marked failed');
  const events = (await c.api<{ items: Event[] }>('/api/v1/namespaces/default/events')).items;
  const fo = events.find((e) => e.reason === 'NodeFailover' && e.involvedObject.name === victim);
  assert.match(fo?.message ?? '', /node marked failed .*1 pod\(s\) deleted for rescheduling: default\/web-/);
  const metrics = await waitFor(
    'the failover duration metric',
    async () => {
      const text = await (await fetch(`${c.url}/metrics`)).text();
      return /^vigil_failover_duration_seconds_count 1$/m.test(text) ? text : undefined;
    },
    10_000,
    c.diag,
  );
  const sum = Number(/^vigil_failover_duration_seconds_sum (\S+)$/m.exec(metrics)?.[1]);
  assert.ok(sum > 5 && sum < 15, `lease loss → replacements created: ${sum} s`);
  assert.match(metrics, /^vigil_failovers_total\{result="replaced"\} 1$/m);
  assert.match(metrics, /^vigil_cluster_actions_total\{verb="failover",result="ok"\} 1$/m);

  // The node comes back: it rejoins, and nothing of its old pods returns.
  c.startAgent(victim);
  await waitFor(
    `${victim} rejoined (failed taint removed)`,
    async () => {
      const n = (await c.nodes()).find((x) => x.metadata.name === victim);
      return n !== undefined && !(n.spec.taints ?? []).some((x) => x.key === 'vigil.dev/failed');
    },
    20_000,
    c.diag,
  );
  await sleep(1500);
  const final = await c.pods('app=web');
  assert.equal(final.length, 3);
  assert.ok(final.every((p) => p.spec.nodeName !== victim), 'no pod of the old node came back');
});
