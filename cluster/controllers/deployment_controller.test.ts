import assert from 'node:assert/strict';
import { type TestContext, test } from 'node:test';
import type { Deployment, Event, Pod, ReplicaSet } from '../api/objects.js';
import { REVISION_ANNOTATION } from '../api/objects.js';
import { DeploymentController, ROLLBACK_ANNOTATION, templateOfRevision } from './deployment_controller.js';
import { EventRecorder } from './event_recorder.js';
import { isPodActive, isPodReady } from './pod_state.js';
import { ReplicaSetController } from './replicaset_controller.js';
import { DEPLOYMENTS, EVENTS, REPLICASETS } from './resources.js';
import { type TestCluster, testCluster } from './test_env.js';

async function setup(t: TestContext) {
  const c = await testCluster(t);
  const events = new EventRecorder(c.registry, 'deployment-controller', { now: c.now });
  const dc = new DeploymentController(c.registry, { now: c.now, events });
  const rc = new ReplicaSetController(c.registry, { now: c.now });
  return { c, dc, rc };
}

function deployment(name: string, image: string, replicas: number, extra: Partial<Deployment['spec']> = {}): unknown {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'app', image }] } },
      ...extra,
    },
  };
}

async function getD(c: TestCluster, name: string): Promise<Deployment> {
  return (await c.registry.get(DEPLOYMENTS, 'default', name)) as Deployment;
}

async function replicaSets(c: TestCluster): Promise<ReplicaSet[]> {
  return (await c.registry.list(REPLICASETS, 'default')).items as ReplicaSet[];
}

/** One control-plane round: the deployment controller, then every ReplicaSet's controller. */
async function round(s: Awaited<ReturnType<typeof setup>>, name: string): Promise<void> {
  await s.dc.sync(`default/${name}`);
  for (const rs of await replicaSets(s.c)) await s.rc.sync(`default/${rs.metadata.name}`);
}

/** Reports every pending pod Ready (as agents would), then a round; until nothing changes. */
async function settle(s: Awaited<ReturnType<typeof setup>>, name: string, makeReady = true): Promise<void> {
  for (let i = 0; i < 40; i++) {
    const before = JSON.stringify(await s.c.pods());
    if (makeReady) for (const p of await s.c.pods()) if (isPodActive(p) && !isPodReady(p)) await s.c.setPodReady(p, true);
    await round(s, name);
    await round(s, name);
    if (JSON.stringify(await s.c.pods()) === before) return;
  }
  assert.fail('did not settle within 40 rounds');
}

const image = (p: Pod) => p.spec.containers[0]?.image;

test('deployment creates a revision-1 ReplicaSet and its pods, and reports available replicas', async (t) => {
  const s = await setup(t);
  await s.c.registry.create(DEPLOYMENTS, 'default', deployment('web', 'node v1.js', 3));
  await settle(s, 'web');
  const rss = await replicaSets(s.c);
  assert.equal(rss.length, 1);
  assert.equal(rss[0]!.metadata.annotations?.[REVISION_ANNOTATION], '1');
  assert.match(rss[0]!.metadata.name, /^web-[a-z0-9]+$/);
  const pods = (await s.c.pods()).filter(isPodActive);
  assert.equal(pods.length, 3);
  assert.ok(pods.every((p) => p.metadata.labels?.['pod-template-hash'] === rss[0]!.metadata.labels?.['pod-template-hash']));
  const d = await getD(s.c, 'web');
  assert.equal(d.status?.availableReplicas, 3);
  assert.equal(d.metadata.annotations?.[REVISION_ANNOTATION], '1');
  assert.equal(d.status?.conditions?.find((x) => x.type === 'Progressing')?.reason, 'NewReplicaSetAvailable');
  assert.equal(d.status?.conditions?.find((x) => x.type === 'Available')?.status, 'True');
});

for (const [surge, unavail, replicas] of [
  [undefined, undefined, 4],
  [1, 0, 3],
  [0, 1, 3],
  ['50%', '50%', 5],
  [2, 1, 10],
] as const) {
  test(`rolling update of ${replicas} replicas (maxSurge ${surge ?? '25%'}, maxUnavailable ${unavail ?? '25%'}) never breaks its bounds`, async (t) => {
    const s = await setup(t);
    const ru: Record<string, string | number> = {};
    if (surge !== undefined) ru.maxSurge = surge;
    if (unavail !== undefined) ru.maxUnavailable = unavail;
    await s.c.registry.create(DEPLOYMENTS, 'default', deployment('web', 'node v1.js', replicas, { strategy: { type: 'RollingUpdate', rollingUpdate: ru } }));
    await settle(s, 'web');
    // Kubernetes' rounding: surge up, unavailable down.
    const pct = (v: number | string | undefined, up: boolean) =>
      v === undefined ? (up ? Math.ceil(replicas * 0.25) : Math.floor(replicas * 0.25)) : typeof v === 'number' ? v : up ? Math.ceil((Number.parseInt(v, 10) * replicas) / 100) : Math.floor((Number.parseInt(v, 10) * replicas) / 100);
    const maxSurge = pct(surge, true);
    const maxUnavailable = pct(unavail, false);
    const d = await getD(s.c, 'web');
    await s.c.registry.update(DEPLOYMENTS, 'default', 'web', { ...d, spec: { ...d.spec, template: { ...d.spec.template, spec: { containers: [{ name: 'app', image: 'node v2.js' }] } } } });
    let maxSeen = 0;
    let minAvail = Number.POSITIVE_INFINITY;
    let rounds = 0;
    for (; rounds < 200; rounds++) {
      await round(s, 'web');
      const active = (await s.c.pods()).filter(isPodActive);
      const ready = active.filter(isPodReady);
      maxSeen = Math.max(maxSeen, active.length);
      minAvail = Math.min(minAvail, ready.length);
      assert.ok(active.length <= replicas + maxSurge, `round ${rounds}: ${active.length} pods > ${replicas} + ${maxSurge}`);
      assert.ok(ready.length >= replicas - maxUnavailable, `round ${rounds}: ${ready.length} ready < ${replicas} - ${maxUnavailable}`);
      if (active.length === replicas && ready.length === replicas && active.every((p) => image(p) === 'node v2.js')) break;
      // Agents report one new pod Ready per round: the slowest realistic progress.
      const pending = active.find((p) => !isPodReady(p));
      if (pending !== undefined) await s.c.setPodReady(pending, true);
    }
    assert.ok(rounds < 200, 'rollout did not finish');
    // The bounds were reached, not merely respected by a rollout that did nothing.
    assert.ok(maxSeen > replicas || minAvail < replicas, 'the rollout used neither surge nor unavailability');
    await settle(s, 'web');
    const rss = await replicaSets(s.c);
    assert.equal(rss.length, 2);
    const newRS = rss.find((r) => r.metadata.annotations?.[REVISION_ANNOTATION] === '2')!;
    assert.equal(newRS.spec.replicas, replicas);
    assert.equal(rss.find((r) => r !== newRS)!.spec.replicas, 0);
    const done = await getD(s.c, 'web');
    assert.equal(done.status?.updatedReplicas, replicas);
    assert.equal(done.metadata.annotations?.[REVISION_ANNOTATION], '2');
  });
}

test('rollback by annotation returns to the previous template; the old ReplicaSet becomes revision 3', async (t) => {
  const s = await setup(t);
  await s.c.registry.create(DEPLOYMENTS, 'default', deployment('web', 'node v1.js', 2));
  await settle(s, 'web');
  let d = await getD(s.c, 'web');
  await s.c.registry.update(DEPLOYMENTS, 'default', 'web', { ...d, spec: { ...d.spec, template: { ...d.spec.template, spec: { containers: [{ name: 'app', image: 'node v2.js' }] } } } });
  await settle(s, 'web');
  assert.ok((await s.c.pods()).filter(isPodActive).every((p) => image(p) === 'node v2.js'));
  const v1 = (await replicaSets(s.c)).find((r) => r.metadata.annotations?.[REVISION_ANNOTATION] === '1')!;
  d = await getD(s.c, 'web');
  await s.c.registry.update(DEPLOYMENTS, 'default', 'web', { ...d, metadata: { ...d.metadata, annotations: { ...d.metadata.annotations, [ROLLBACK_ANNOTATION]: '0' } } });
  await settle(s, 'web');
  const active = (await s.c.pods()).filter(isPodActive);
  assert.equal(active.length, 2);
  assert.ok(active.every((p) => image(p) === 'node v1.js'));
  const rss = await replicaSets(s.c);
  assert.equal(rss.length, 2, 'no third ReplicaSet: the v1 one is reused');
  const again = rss.find((r) => r.metadata.uid === v1.metadata.uid)!;
  assert.equal(again.metadata.annotations?.[REVISION_ANNOTATION], '3');
  d = await getD(s.c, 'web');
  assert.equal(d.metadata.annotations?.[ROLLBACK_ANNOTATION], undefined);
  assert.equal(d.metadata.annotations?.[REVISION_ANNOTATION], '3');
  const evs = (await s.c.registry.list(EVENTS, 'default')).items as Event[];
  assert.ok(evs.some((e) => e.reason === 'DeploymentRollback' && e.message.includes('to revision 1')));
  // A revision that does not exist is reported and the template is left alone.
  await s.c.registry.update(DEPLOYMENTS, 'default', 'web', { ...d, metadata: { ...d.metadata, annotations: { ...d.metadata.annotations, [ROLLBACK_ANNOTATION]: '7' } } });
  await s.dc.sync('default/web');
  const evs2 = (await s.c.registry.list(EVENTS, 'default')).items as Event[];
  assert.ok(evs2.some((e) => e.reason === 'RollbackRevisionNotFound'));
  assert.equal((await getD(s.c, 'web')).spec.template.spec.containers[0]?.image, 'node v1.js');
});

test('revision history keeps revisionHistoryLimit idle ReplicaSets, deleting the oldest', async (t) => {
  const s = await setup(t);
  await s.c.registry.create(DEPLOYMENTS, 'default', deployment('web', 'node v1.js', 1, { revisionHistoryLimit: 2 }));
  await settle(s, 'web');
  for (let v = 2; v <= 5; v++) {
    const d = await getD(s.c, 'web');
    await s.c.registry.update(DEPLOYMENTS, 'default', 'web', { ...d, spec: { ...d.spec, template: { ...d.spec.template, spec: { containers: [{ name: 'app', image: `node v${v}.js` }] } } } });
    await settle(s, 'web');
  }
  const revs = (await replicaSets(s.c)).map((r) => Number(r.metadata.annotations?.[REVISION_ANNOTATION])).sort();
  assert.deepEqual(revs, [3, 4, 5]);
});

test('paused deployment does not roll out a new template but applies scaling; resume rolls out', async (t) => {
  const s = await setup(t);
  await s.c.registry.create(DEPLOYMENTS, 'default', deployment('web', 'node v1.js', 2));
  await settle(s, 'web');
  let d = await getD(s.c, 'web');
  await s.c.registry.update(DEPLOYMENTS, 'default', 'web', { ...d, spec: { ...d.spec, paused: true, replicas: 3, template: { ...d.spec.template, spec: { containers: [{ name: 'app', image: 'node v2.js' }] } } } });
  await settle(s, 'web');
  let active = (await s.c.pods()).filter(isPodActive);
  assert.equal(active.length, 3);
  assert.ok(active.every((p) => image(p) === 'node v1.js'));
  assert.equal((await replicaSets(s.c)).length, 1);
  d = await getD(s.c, 'web');
  assert.equal(d.status?.conditions?.find((x) => x.type === 'Progressing')?.reason, 'DeploymentPaused');
  await s.c.registry.update(DEPLOYMENTS, 'default', 'web', { ...d, spec: { ...d.spec, paused: false } });
  await settle(s, 'web');
  active = (await s.c.pods()).filter(isPodActive);
  assert.equal(active.length, 3);
  assert.ok(active.every((p) => image(p) === 'node v2.js'));
});

test('progress deadline: a rollout whose pods never become Ready is marked ProgressDeadlineExceeded', async (t) => {
  const s = await setup(t);
  await s.c.registry.create(DEPLOYMENTS, 'default', deployment('web', 'node v1.js', 2, { progressDeadlineSeconds: 30 }));
  await settle(s, 'web');
  const d = await getD(s.c, 'web');
  await s.c.registry.update(DEPLOYMENTS, 'default', 'web', { ...d, spec: { ...d.spec, template: { ...d.spec.template, spec: { containers: [{ name: 'app', image: 'node broken.js' }] } } } });
  await settle(s, 'web', false);
  const progressing = async () => (await getD(s.c, 'web')).status?.conditions?.find((x) => x.type === 'Progressing');
  assert.equal((await progressing())?.status, 'True');
  s.c.advance(20_000);
  const r = await s.dc.sync('default/web');
  assert.equal((await progressing())?.status, 'True', 'not before the deadline');
  assert.ok(r !== undefined && r.requeueAfterMs > 0 && r.requeueAfterMs <= 11_000, `requeued for the deadline, got ${JSON.stringify(r)}`);
  s.c.advance(11_000);
  await s.dc.sync('default/web');
  const p = await progressing();
  assert.equal(p?.status, 'False');
  assert.equal(p?.reason, 'ProgressDeadlineExceeded');
  const evs = (await s.c.registry.list(EVENTS, 'default')).items as Event[];
  assert.ok(evs.some((e) => e.reason === 'ProgressDeadlineExceeded'));
  // Old pods keep serving: availability was never given up.
  assert.ok((await s.c.pods()).filter((p2) => isPodActive(p2) && isPodReady(p2)).length >= 1);
});

test('minReadySeconds: pods count as available only after being Ready that long', async (t) => {
  const s = await setup(t);
  await s.c.registry.create(DEPLOYMENTS, 'default', deployment('web', 'node v1.js', 2, { minReadySeconds: 10 }));
  await settle(s, 'web');
  let d = await getD(s.c, 'web');
  assert.equal(d.status?.readyReplicas, 2);
  assert.equal(d.status?.availableReplicas, 0);
  s.c.advance(10_000);
  await round(s, 'web');
  await round(s, 'web');
  d = await getD(s.c, 'web');
  assert.equal(d.status?.availableReplicas, 2);
});

test('Recreate strategy removes every old pod before creating new ones', async (t) => {
  const s = await setup(t);
  await s.c.registry.create(DEPLOYMENTS, 'default', deployment('web', 'node v1.js', 3, { strategy: { type: 'Recreate' } }));
  await settle(s, 'web');
  const d = await getD(s.c, 'web');
  await s.c.registry.update(DEPLOYMENTS, 'default', 'web', { ...d, spec: { ...d.spec, template: { ...d.spec.template, spec: { containers: [{ name: 'app', image: 'node v2.js' }] } } } });
  for (let i = 0; i < 20; i++) {
    await round(s, 'web');
    const active = (await s.c.pods()).filter(isPodActive);
    const imgs = new Set(active.map(image));
    assert.ok(imgs.size <= 1, `round ${i}: old and new pods at once: ${[...imgs].join(', ')}`);
    for (const p of active) if (!isPodReady(p)) await s.c.setPodReady(p, true);
  }
  const active = (await s.c.pods()).filter(isPodActive);
  assert.equal(active.length, 3);
  assert.ok(active.every((p) => image(p) === 'node v2.js'));
});

test('a client-side rollback (the old revision template written back, as `vigil ctl rollout undo` does) reuses the old ReplicaSet', async (t) => {
  const s = await setup(t);
  await s.c.registry.create(DEPLOYMENTS, 'default', deployment('web', 'node v1.js', 2));
  await settle(s, 'web');
  let d = await getD(s.c, 'web');
  await s.c.registry.update(DEPLOYMENTS, 'default', 'web', { ...d, spec: { ...d.spec, template: { ...d.spec.template, spec: { containers: [{ name: 'app', image: 'node v2.js' }] } } } });
  await settle(s, 'web');
  const v1 = (await replicaSets(s.c)).find((r) => r.metadata.annotations?.[REVISION_ANNOTATION] === '1')!;
  d = await getD(s.c, 'web');
  await s.c.registry.update(DEPLOYMENTS, 'default', 'web', { ...d, spec: { ...d.spec, template: templateOfRevision(v1) } });
  await settle(s, 'web');
  const rss = await replicaSets(s.c);
  assert.equal(rss.length, 2);
  assert.equal(rss.find((r) => r.metadata.uid === v1.metadata.uid)?.spec.replicas, 2);
  assert.equal(rss.find((r) => r.metadata.uid === v1.metadata.uid)?.metadata.annotations?.[REVISION_ANNOTATION], '3');
});

test('scaling a deployment paused mid-rollout shares the change between both revisions', async (t) => {
  const s = await setup(t);
  await s.c.registry.create(DEPLOYMENTS, 'default', deployment('web', 'node v1.js', 4));
  await settle(s, 'web');
  let d = await getD(s.c, 'web');
  await s.c.registry.update(DEPLOYMENTS, 'default', 'web', { ...d, spec: { ...d.spec, template: { ...d.spec.template, spec: { containers: [{ name: 'app', image: 'node v2.js' }] } } } });
  // Two rounds without readiness: the new revision surged, the old one gave up what it may.
  await round(s, 'web');
  await round(s, 'web');
  d = await getD(s.c, 'web');
  await s.c.registry.update(DEPLOYMENTS, 'default', 'web', { ...d, spec: { ...d.spec, paused: true } });
  await round(s, 'web');
  const before = new Map((await replicaSets(s.c)).map((r) => [r.metadata.name, r.spec.replicas ?? 0]));
  const total = [...before.values()].reduce((a, b) => a + b, 0);
  assert.ok([...before.values()].every((n) => n > 0), `both revisions have pods: ${JSON.stringify([...before])}`);
  d = await getD(s.c, 'web');
  await s.c.registry.update(DEPLOYMENTS, 'default', 'web', { ...d, spec: { ...d.spec, replicas: 8 } });
  await round(s, 'web');
  const after = new Map((await replicaSets(s.c)).map((r) => [r.metadata.name, r.spec.replicas ?? 0]));
  const allowed = 8 + 2; // maxSurge 25% of 8
  assert.equal([...after.values()].reduce((a, b) => a + b, 0), allowed);
  for (const [name, n] of before) {
    const got = after.get(name) ?? 0;
    assert.ok(got >= n, `${name} grew (${n} → ${got})`);
    assert.ok(Math.abs(got - (n * allowed) / total) <= 1, `${name}: ${got} is its proportional share of ${allowed} (${n}/${total})`);
  }
  // Still paused: no rollout step, so the sizes hold.
  await round(s, 'web');
  assert.deepEqual(new Map((await replicaSets(s.c)).map((r) => [r.metadata.name, r.spec.replicas ?? 0])), after);
});
