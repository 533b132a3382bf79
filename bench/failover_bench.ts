/**
 * Failover benchmark (part of `npm run bench:cluster`): the built `vigil server`
 * (shipped rule group, default failoverAfter 10 s) and three `vigil agent`
 * processes on loopback, one Deployment of 3 replicas of the fixture app. Each of
 * TRIALS trials SIGKILLs an agent that runs at least one replica, together with
 * its pods, and measures the time until all 3 replicas are Ready again on the
 * other nodes (polled every 50 ms through the API); the killed agent is then
 * restarted and rejoins before the next trial. Prints every trial, the median
 * and the maximum, the server's own `vigil_failover_duration_seconds` (last lease
 * renewal seen → replacements created), beside the defaults of Kubernetes and
 * Nomad from the reference (docs/… /work/shared/reference/cluster.md §2.4, §5.2).
 *
 * Run: `npm run build && node dist/bench/failover_bench.js`. Never fails on timings.
 */
import { readyOf, sleep, startFailoverCluster, waitFor, waitNodesReady, webDeployment, createDeployment } from '../test/failover_cluster.js';

const TRIALS = Number(process.env.FAILOVER_TRIALS ?? 10);
const NODES = ['bench-a', 'bench-b', 'bench-c'];

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

async function main(): Promise<void> {
  const c = await startFailoverCluster(58000);
  try {
    for (const n of NODES) c.startAgent(n);
    await waitNodesReady(c, NODES);
    await createDeployment(c, webDeployment('web', 3, ['--version', 'bench']));
    const allReady = async (avoid: string | null) => {
      const ps = await c.pods('app=web');
      return ps.length === 3 && ps.every((p) => readyOf(p) && p.spec.nodeName !== avoid) ? ps : undefined;
    };
    await waitFor('3 Ready replicas', () => allReady(null), 60_000, c.diag);
    const times: number[] = [];
    for (let i = 0; i < TRIALS; i++) {
      const ps = (await allReady(null)) ?? [];
      // Rotate over the nodes that run a replica.
      const hosts = NODES.filter((n) => ps.some((p) => p.spec.nodeName === n));
      const victim = hosts[i % hosts.length]!;
      // A random phase against the 2 s lease renewal, as a real crash would have.
      await sleep(Math.floor(Math.random() * 2000));
      const t0 = Date.now();
      await c.killAgent(victim);
      await waitFor(`3 Ready replicas off ${victim}`, () => allReady(victim), 60_000, c.diag, 50);
      const ms = Date.now() - t0;
      times.push(ms);
      console.log(`  trial ${i + 1}: killed ${victim} (${ps.filter((p) => p.spec.nodeName === victim).length} replica(s)) → 3 Ready elsewhere in ${(ms / 1000).toFixed(2)} s`);
      c.startAgent(victim);
      await waitFor(
        `${victim} rejoined`,
        async () => {
          const n = (await c.nodes()).find((x) => x.metadata.name === victim);
          return n !== undefined && !(n.spec.taints ?? []).some((x) => x.key === 'vigil.dev/failed') && (n.status?.conditions ?? []).some((k) => k.type === 'Ready' && k.status === 'True');
        },
        60_000,
        c.diag,
      );
      await sleep(2500);
    }
    const text = await (await fetch(`${c.url}/metrics`)).text();
    const count = Number(/^vigil_failover_duration_seconds_count (\S+)$/m.exec(text)?.[1] ?? 0);
    const sum = Number(/^vigil_failover_duration_seconds_sum (\S+)$/m.exec(text)?.[1] ?? 0);
    const med = median(times) / 1000;
    const max = Math.max(...times) / 1000;
    console.log('');
    console.log('| failover (kill agent + its pods → all replicas Ready elsewhere) | figure |');
    console.log('|---|---|');
    console.log(`| Vigil, ${times.length} trials, default failoverAfter 10 s: median | ${med.toFixed(2)} s |`);
    console.log(`| Vigil: max | ${max.toFixed(2)} s |`);
    console.log(`| Vigil: min | ${(Math.min(...times) / 1000).toFixed(2)} s |`);
    console.log(`| Vigil server metric: mean last renewal seen → replacements created (${count} failovers) | ${count > 0 ? (sum / count).toFixed(2) : 'n/a'} s |`);
    console.log('| Kubernetes defaults (node-monitor-grace 40–50 s + NoExecute toleration 300 s) | ≈ 340–350 s (≈ 6 min) |');
    console.log('| Nomad (heartbeat TTL; 5 min after a leader change) | 20–30 s |');
    console.log(`| target: median < 10 s, max < 15 s | ${med < 10 ? 'median met' : 'median NOT met'}, ${max < 15 ? 'max met' : 'max NOT met'} |`);
  } finally {
    await c.close();
  }
}

await main();
