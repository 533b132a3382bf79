/**
 * Autoscaling benchmark (`npm run bench:cluster`): scale-up reaction time of a
 * ScalingPolicy, from the start of a load to the new replicas being Ready.
 *
 * Setup (test/autoscale_cluster.ts, the same as the end-to-end test): `vigil server`
 * with its local node agent on loopback, scrape and evaluation interval 1 s, a
 * Deployment of test/fixtures/load_app.mjs behind a Service, and a ScalingPolicy
 * `sum(rate(load_app_requests_total[3s])) / $replicas` with 10 requests/s per
 * replica, max 4. Each trial starts a ~60 requests/s load loop through the Service
 * proxy at 1 replica and measures: the first scale decision (spec.replicas > 1),
 * the first new replica Ready, and all 4 Ready. Between trials the load stops,
 * the rate drains and the Deployment is scaled back to 1 by hand.
 *
 * Printed beside the defaults of the stacks users run today (reference
 * cluster.md §1.1, §2): the Kubernetes HPA syncs every 15 s on metrics that
 * metrics-server resolves every 60 s; KEDA polls every 30 s and then goes
 * through the HPA; Prometheus alert → Alertmanager webhook needs ≥ 2–3 min.
 *
 * Run: `npm run build && node dist/bench/autoscale_bench.js [TRIALS]` (default 5). Never fails on timings.
 */
import { DEPLOYMENTS } from '../cluster/controllers/resources.js';
import { runLoad, sleep, startAutoscaleCluster, waitFor } from '../test/autoscale_cluster.js';

const TRIALS = Math.max(1, Math.min(20, Number(process.argv[2] ?? '5') || 5));

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

const sec = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

async function main(): Promise<void> {
  console.log(`autoscale: scale-up reaction time, ${TRIALS} trials (scrape and evaluation every 1 s, 60 req/s, 10 per replica, 1 → 4 replicas)`);
  const c = await startAutoscaleCluster({ targetPerReplica: 10, maxReplicas: 4, windowSeconds: 30, portRange: { low: 44000, high: 44999 } });
  const decide: number[] = [];
  const first: number[] = [];
  const all: number[] = [];
  try {
    await waitFor('the first replica Ready', async () => (await c.size()).ready === 1, 60_000);
    // Scraped and evaluated with data at least once.
    await sleep(5000);
    for (let i = 0; i < TRIALS; i++) {
      const stop = new AbortController();
      const t0 = Date.now();
      const load = runLoad(c.servicePort, 60, stop.signal, 60_000);
      let tDecide = 0;
      let tFirst = 0;
      try {
        await waitFor(
          'all 4 replicas Ready',
          async () => {
            const s = await c.size();
            const now = Date.now() - t0;
            if (tDecide === 0 && s.spec > 1) tDecide = now;
            if (tFirst === 0 && s.ready >= 2) tFirst = now;
            return s.ready >= 4;
          },
          60_000,
          25,
        );
        decide.push(tDecide);
        first.push(tFirst);
        all.push(Date.now() - t0);
        console.log(`  trial ${i + 1}: decision ${sec(tDecide)}, first new replica Ready ${sec(tFirst)}, all 4 Ready ${sec(Date.now() - t0)}`);
      } catch (e) {
        console.log(`  trial ${i + 1}: ${e instanceof Error ? e.message : String(e)}`);
      }
      stop.abort();
      await load;
      // Let the 3 s rate drain, then back to 1 replica by hand (the policy's window holds no higher proposal
      // than the load gave, and with no load it never scales up again).
      await sleep(5000);
      await c.registry.patch(DEPLOYMENTS, 'default', 'web', { spec: { replicas: 1 } }, 'merge');
      await waitFor('back to 1 replica', async () => {
        const s = await c.size();
        return s.spec === 1 && s.ready === 1;
      }, 60_000);
      await sleep(2000);
    }
  } finally {
    await c.close();
  }
  if (all.length === 0) {
    console.log('no trial completed');
    return;
  }
  const line = (what: string, xs: number[]) => console.log(`  ${what.padEnd(42)} median ${sec(median(xs)).padStart(8)}   max ${sec(Math.max(...xs)).padStart(8)}`);
  console.log('\nVigil (load start →):');
  line('scale decision (spec.replicas > 1)', decide);
  line('first new replica Ready', first);
  line('all 4 replicas Ready', all);
  console.log('\nDefaults of other stacks (reference cluster.md §1.1, §2; before any pod starts):');
  console.log('  Kubernetes HPA + metrics-server            decision after up to 15 s sync + 60 s metric resolution (≈ 15–75 s)');
  console.log('  KEDA Prometheus scaler → HPA               30 s polling + 15 s HPA sync (+ scrape interval)');
  console.log('  Prometheus alert → Alertmanager webhook    ≥ 2–3 min (1 m scrape + 1 m evaluation + 30 s group_wait)');
}

await main();
