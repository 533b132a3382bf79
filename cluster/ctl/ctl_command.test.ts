import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { parse } from 'yaml';
import { type CtlTestServer, startCtlTestServer } from './ctl_test_server.js';

let s: CtlTestServer;
before(async () => {
  s = await startCtlTestServer();
});
after(() => s.close());

type Obj = Record<string, unknown> & { metadata: Record<string, unknown>; spec: Record<string, unknown> };

const POD_SPEC = { containers: [{ name: 'app', image: 'node app.js' }] };

async function makePod(ns: string, name: string, extra: Record<string, unknown> = {}, status?: Record<string, unknown>): Promise<Obj> {
  const c = await s.api2('POST', `/api/v1/namespaces/${ns}/pods`, { apiVersion: 'v1', kind: 'Pod', metadata: { name, labels: { app: 'web' } }, spec: { ...POD_SPEC, ...extra } });
  assert.equal(c.status, 201, JSON.stringify(c.json));
  if (status === undefined) return c.json as Obj;
  const u = await s.api2('PUT', `/api/v1/namespaces/${ns}/pods/${name}/status`, { ...c.json, status });
  assert.equal(u.status, 200, JSON.stringify(u.json));
  return u.json as Obj;
}

/** Splits a table into rows of cells at the header's column starts, checking every row aligns to them. */
function cells(table: string): string[][] {
  const lines = table.split('\n');
  const header = lines[0] ?? '';
  const starts: number[] = [];
  for (const m of header.matchAll(/(?:^|\s{2,})(\S(?:\S| (?=\S))*)/g)) starts.push((m.index ?? 0) + m[0].length - m[1]!.length);
  return lines.map((l) => {
    for (const st of starts.slice(1)) assert.equal(l[st - 1], ' ', `cell boundary at column ${st} in ${JSON.stringify(l)} (header ${JSON.stringify(header)})`);
    return starts.map((st, i) => l.slice(st, starts[i + 1] ?? l.length).trim());
  });
}

test('run creates a Deployment labelled run=NAME, get deployments prints the kubectl columns', async () => {
  const r = await s.ctl(['run', 'web', '--image', 'node app.js', '--replicas', '3', '--port', '8080', '--env', 'MODE=prod']);
  assert.deepEqual(r, { code: 0, out: 'deployment.apps/web created', err: '' });
  const d = (await s.api2('GET', '/apis/apps/v1/namespaces/default/deployments/web')).json as Obj;
  assert.equal(d.spec.replicas, 3);
  assert.deepEqual(d.spec.selector, { matchLabels: { run: 'web' } });
  const c = ((d.spec.template as Obj).spec as { containers: Record<string, unknown>[] }).containers[0]!;
  assert.equal(c.image, 'node app.js');
  assert.deepEqual(c.env, [{ name: 'MODE', value: 'prod' }]);
  assert.equal((c.ports as { containerPort: number }[])[0]!.containerPort, 8080);

  const created = Date.parse(String(d.metadata.creationTimestamp));
  const g = await s.ctl(['get', 'deploy'], { now: () => created + 185_000 });
  assert.equal(g.code, 0);
  const rows = cells(g.out);
  assert.deepEqual(rows[0], ['NAME', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'AGE']);
  assert.deepEqual(rows[1], ['web', '0/3', '0', '0', '3m5s']);
  // Columns are padded to the widest cell plus three spaces (kubectl's tabwriter).
  assert.match(g.out.split('\n')[0]!, /^NAME {3}READY {3}UP-TO-DATE {3}AVAILABLE {3}AGE$/);

  const wide = await s.ctl(['get', 'deployments.apps', 'web', '-o', 'wide']);
  assert.deepEqual(cells(wide.out)[0], ['NAME', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'AGE', 'CONTAINERS', 'IMAGES', 'SELECTOR']);
  assert.deepEqual(cells(wide.out)[1]!.slice(5), ['web', 'node app.js', 'run=web']);

  const dup = await s.ctl(['run', 'web', '--image', 'x']);
  assert.equal(dup.code, 1);
  assert.equal(dup.err, 'Error from server (AlreadyExists): deployments.apps "web" already exists');
});

test('get pods: READY, STATUS, RESTARTS, -o wide, -A, -l, and the empty-namespace message', async () => {
  await s.api2('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'podns' } });
  const now = new Date().toISOString().replace(/\.[0-9]{3}Z$/, 'Z');
  await makePod('podns', 'alpha', { nodeName: 'n1' }, {
    phase: 'Running',
    podIP: '127.0.0.1',
    containerStatuses: [{ name: 'app', ready: true, restartCount: 2, state: { running: { startedAt: now } } }],
  });
  await makePod('podns', 'beta-with-long-name', {}, {
    phase: 'Running',
    containerStatuses: [{ name: 'app', ready: false, restartCount: 0, state: { waiting: { reason: 'CrashLoopBackOff' } } }],
  });
  const g = await s.ctl(['get', 'pods', '-n', 'podns', '-o', 'wide']);
  assert.equal(g.code, 0, g.err);
  const rows = cells(g.out);
  assert.deepEqual(rows[0], ['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE', 'IP', 'NODE']);
  assert.deepEqual(rows[1]!.slice(0, 4), ['alpha', '1/1', 'Running', '2']);
  assert.deepEqual(rows[1]!.slice(5), ['127.0.0.1', 'n1']);
  assert.deepEqual(rows[2]!.slice(0, 4), ['beta-with-long-name', '0/1', 'CrashLoopBackOff', '0']);
  assert.deepEqual(rows[2]!.slice(5), ['<none>', '<none>']);
  assert.match(rows[1]![4]!, /^[0-9]+s$/);

  const all = await s.ctl(['get', 'po', '-A', '-l', 'app=web']);
  assert.deepEqual(cells(all.out)[0], ['NAMESPACE', 'NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE']);
  assert.ok(cells(all.out).some((r) => r[0] === 'podns' && r[1] === 'alpha'));

  const none = await s.ctl(['get', 'pods', '-n', 'podns', '-l', 'app=nothing']);
  assert.deepEqual(none, { code: 0, out: '', err: 'No resources found in podns namespace.' });

  const names = await s.ctl(['get', 'pods', '-n', 'podns', '-o', 'name']);
  assert.equal(names.out, 'pod/alpha\npod/beta-with-long-name');
});

test('create generators: secret generic, service clusterip, namespace; run --dry-run=client prints without creating', async () => {
  const file = join(s.dir, 'token.txt');
  writeFileSync(file, 'abc');
  assert.deepEqual(await s.ctl(['create', 'secret', 'generic', 'creds', '--from-literal=user=admin', `--from-file=${file}`]), { code: 0, out: 'secret/creds created', err: '' });
  const sec = (await s.api2('GET', '/api/v1/namespaces/default/secrets/creds')).json as { data: Record<string, string>; type: string };
  assert.deepEqual(sec.data, { user: Buffer.from('admin').toString('base64'), 'token.txt': Buffer.from('abc').toString('base64') });
  assert.deepEqual(cells((await s.ctl(['get', 'secrets'])).out).map((r) => r.slice(0, 3)), [['NAME', 'TYPE', 'DATA'], ['creds', 'Opaque', '2']]);

  assert.equal((await s.ctl(['create', 'service', 'clusterip', 'front', '--tcp=8080:http'])).out, 'service/front created');
  const svc = (await s.api2('GET', '/api/v1/namespaces/default/services/front')).json as Obj;
  assert.deepEqual(svc.spec.selector, { app: 'front' });
  assert.deepEqual((svc.spec.ports as Record<string, unknown>[])[0], { name: '8080-http', port: 8080, targetPort: 'http', protocol: 'TCP' });
  assert.equal((await s.ctl(['delete', 'svc', 'front'])).code, 0);

  const dry = await s.ctl(['run', 'ghost', '--image', 'sleep 1', '-n', 'podns', '--dry-run=client', '-o', 'yaml']);
  assert.equal(dry.code, 0);
  const obj = parse(dry.out) as Obj;
  assert.equal(obj.kind, 'Deployment');
  assert.deepEqual(obj.metadata, { name: 'ghost', namespace: 'podns', labels: { run: 'ghost' } });
  assert.equal((await s.api2('GET', '/apis/apps/v1/namespaces/podns/deployments/ghost')).status, 404);
});

test('get -o yaml and -o json round-trip the stored object; a missing name is NotFound with exit 1', async () => {
  await s.ctl(['create', 'configmap', 'settings', '--from-literal', 'a=1', '--from-literal=b=two']);
  const stored = (await s.api2('GET', '/api/v1/namespaces/default/configmaps/settings')).json;
  assert.deepEqual(stored.data, { a: '1', b: 'two' });
  const y = await s.ctl(['get', 'cm', 'settings', '-o', 'yaml']);
  assert.deepEqual(parse(y.out), stored);
  const j = await s.ctl(['get', 'configmap/settings', '-o', 'json']);
  assert.deepEqual(JSON.parse(j.out), stored);
  assert.match(j.out, /^\{\n {4}"apiVersion"/);
  const list = await s.ctl(['get', 'configmaps', '-o', 'json']);
  const l = JSON.parse(list.out) as { kind: string; items: unknown[] };
  assert.equal(l.kind, 'List');
  assert.ok(l.items.some((i) => JSON.stringify(i) === JSON.stringify(stored)));

  const missing = await s.ctl(['get', 'deployment', 'nope']);
  assert.equal(missing.code, 1);
  assert.equal(missing.err, 'Error from server (NotFound): deployments.apps "nope" not found');
});

test('apply -f creates, then is unchanged, then configured, and removes a field dropped from the manifest', async () => {
  const file = join(s.dir, 'app.yaml');
  const manifest = (replicas: number, extraLabel: boolean) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  labels:
    app: api${extraLabel ? '\n    tier: backend' : ''}
spec:
  replicas: ${replicas}
  selector:
    matchLabels: {app: api}
  template:
    metadata:
      labels: {app: api}
    spec:
      containers:
      - name: api
        image: node server.js
---
apiVersion: v1
kind: Service
metadata:
  name: api
spec:
  selector: {app: api}
  ports:
  - port: 80
    targetPort: 8080
`;
  writeFileSync(file, manifest(2, true));
  assert.deepEqual(await s.ctl(['apply', '-f', file]), { code: 0, out: 'deployment.apps/api created\nservice/api created', err: '' });
  assert.deepEqual(await s.ctl(['apply', '-f', file]), { code: 0, out: 'deployment.apps/api unchanged\nservice/api unchanged', err: '' });
  // A controller scaling is not undone by an unchanged manifest field? It is: replicas is in the manifest.
  writeFileSync(file, manifest(4, false));
  assert.deepEqual(await s.ctl(['apply', '-f', file]), { code: 0, out: 'deployment.apps/api configured\nservice/api unchanged', err: '' });
  const d = (await s.api2('GET', '/apis/apps/v1/namespaces/default/deployments/api')).json as Obj;
  assert.equal(d.spec.replicas, 4);
  assert.deepEqual(d.metadata.labels, { app: 'api' }, 'the dropped label is removed');
  // Fields the manifest never set (server defaults) are left alone.
  assert.equal(d.spec.revisionHistoryLimit, 10);

  const svc = await s.ctl(['get', 'svc', 'api']);
  assert.deepEqual(cells(svc.out), [
    ['NAME', 'TYPE', 'CLUSTER-IP', 'EXTERNAL-IP', 'PORT(S)', 'AGE'],
    ['api', 'ClusterIP', '<none>', '<none>', '80/TCP', cells(svc.out)[1]![5]!],
  ]);

  writeFileSync(join(s.dir, 'bad.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n---\nkind: Widget\napiVersion: v9\nmetadata: {name: w}\n');
  const bad = await s.ctl(['apply', '-f', join(s.dir, 'bad.yaml')]);
  assert.equal(bad.code, 1);
  assert.match(bad.err, /bad\.yaml:6:1: no matches for kind "Widget" in version "v9"/);
});

test('delete by name, by -l and by -f; scale sets replicas', async () => {
  assert.deepEqual(await s.ctl(['scale', 'deployment/api', '--replicas', '1']), { code: 0, out: 'deployment.apps/api scaled', err: '' });
  assert.equal(((await s.api2('GET', '/apis/apps/v1/namespaces/default/deployments/api')).json as Obj).spec.replicas, 1);
  const badScale = await s.ctl(['scale', 'deployment/api']);
  assert.equal(badScale.code, 2);

  await s.ctl(['create', 'configmap', 'c1']);
  await s.api2('POST', '/api/v1/namespaces/default/configmaps', { metadata: { name: 'c2', labels: { group: 'x' } } });
  await s.api2('POST', '/api/v1/namespaces/default/configmaps', { metadata: { name: 'c3', labels: { group: 'x' } } });
  assert.deepEqual(await s.ctl(['delete', 'cm', 'c1']), { code: 0, out: 'configmaps "c1" deleted', err: '' });
  assert.deepEqual(await s.ctl(['delete', 'configmaps', '-l', 'group=x']), { code: 0, out: 'configmaps "c2" deleted\nconfigmaps "c3" deleted', err: '' });
  assert.equal((await s.api2('GET', '/api/v1/namespaces/default/configmaps/c2')).status, 404);
  const again = await s.ctl(['delete', 'cm', 'c1']);
  assert.deepEqual(again, { code: 1, out: '', err: 'Error from server (NotFound): configmaps "c1" not found' });
  const viaFile = await s.ctl(['delete', '-f', join(s.dir, 'app.yaml')]);
  assert.equal(viaFile.out, 'deployments.apps "api" deleted\nservices "api" deleted');
});

test('get -w prints the list, then a row for each change', async () => {
  const ac = new AbortController();
  const seen: string[] = [];
  let notify: () => void = () => {};
  const gotRow = new Promise<void>((r) => (notify = r));
  const run = s.ctl(['get', 'configmaps', '-n', 'default', '-w'], {
    signal: ac.signal,
    onOut: (line) => {
      seen.push(line);
      if (line.startsWith('watched ')) notify();
    },
  });
  // The list prints first; then the change arrives through the watch stream.
  while (!seen.some((l) => l.startsWith('settings'))) await new Promise((r) => setTimeout(r, 10));
  await s.api2('POST', '/api/v1/namespaces/default/configmaps', { metadata: { name: 'watched' }, data: { k: 'v' } });
  await gotRow;
  ac.abort();
  const r = await run;
  assert.equal(r.code, 0);
  assert.equal(seen.filter((l) => l.startsWith('NAME')).length, 1, 'the header prints once');
  const header = seen[0]!;
  const row = seen.find((l) => l.startsWith('watched '))!;
  assert.equal(row.indexOf('1'), header.indexOf('DATA'), 'watch rows align with the listed table');
});

test('describe shows the fields and the Events about the object at the bottom', async () => {
  const pod = await makePod('default', 'dpod', { nodeName: 'n1' }, { phase: 'Pending' });
  const t = new Date(Date.now() - 65_000).toISOString().replace(/\.[0-9]{3}Z$/, 'Z');
  const ev = await s.api2('POST', '/api/v1/namespaces/default/events', {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: 'dpod.1' },
    involvedObject: { kind: 'Pod', namespace: 'default', name: 'dpod', uid: pod.metadata.uid },
    reason: 'FailedScheduling',
    message: '0/1 nodes are available: 1 Insufficient cpu.',
    type: 'Warning',
    source: { component: 'default-scheduler' },
    firstTimestamp: t,
    lastTimestamp: t,
    count: 1,
  });
  assert.equal(ev.status, 201, JSON.stringify(ev.json));
  const d = await s.ctl(['describe', 'pod', 'dpod'], { now: () => Date.parse(t) + 65_000 });
  assert.equal(d.code, 0, d.err);
  const lines = d.out.split('\n');
  assert.match(lines[0]!, /^Name: +dpod$/);
  assert.equal(lines[1]!.indexOf('default'), lines[0]!.indexOf('dpod'), 'values share one column');
  assert.ok(lines.some((l) => /^Status: +Pending$/.test(l)));
  const created = new Date(String(pod.metadata.creationTimestamp));
  const day = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'][created.getUTCDay()];
  assert.ok(lines.some((l) => l.startsWith('CreationTimestamp:') && l.includes(`${day}, `) && l.endsWith(`${created.toISOString().slice(11, 19)} +0000`)), 'RFC 1123 times');
  assert.ok(lines.some((l) => /^ {4}Image: +node app\.js$/.test(l)));
  const at = lines.indexOf('Events:');
  assert.ok(at > 0);
  assert.match(lines[at + 1]!, /^ {2}Type {5}Reason {12}Age {3}From {15}Message$/);
  assert.match(lines[at + 3]!, /^ {2}Warning {2}FailedScheduling {2}65s {3}default-scheduler {2}0\/1 nodes are available: 1 Insufficient cpu\.$/);

  const ge = await s.ctl(['get', 'events']);
  assert.deepEqual(cells(ge.out)[0], ['LAST SEEN', 'TYPE', 'REASON', 'OBJECT', 'MESSAGE']);
  assert.deepEqual(cells(ge.out).find((r) => r[3] === 'pod/dpod')!.slice(1), ['Warning', 'FailedScheduling', 'pod/dpod', '0/1 nodes are available: 1 Insufficient cpu.']);

  const none = await s.ctl(['describe', 'cm', 'settings']);
  assert.match(none.out, /\nEvents: +<none>$/);
});

async function makeRevision(dep: Obj, rev: number, image: string, replicas: number): Promise<void> {
  const hash = `h${rev}`;
  const r = await s.api2('POST', '/apis/apps/v1/namespaces/default/replicasets', {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: {
      name: `roll-${hash}`,
      labels: { app: 'roll', 'pod-template-hash': hash },
      annotations: { 'deployment.kubernetes.io/revision': String(rev), ...(rev === 2 ? { 'kubernetes.io/change-cause': 'image v2' } : {}) },
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'roll', uid: dep.metadata.uid, controller: true }],
    },
    spec: {
      replicas,
      selector: { matchLabels: { app: 'roll', 'pod-template-hash': hash } },
      template: { metadata: { labels: { app: 'roll', 'pod-template-hash': hash } }, spec: { containers: [{ name: 'roll', image }] } },
    },
  });
  assert.equal(r.status, 201, JSON.stringify(r.json));
}

test('rollout history, undo to the previous and to a chosen revision, pause/resume', async () => {
  await s.ctl(['create', 'deployment', 'roll', '--image', 'app v3']);
  const dep = (await s.api2('GET', '/apis/apps/v1/namespaces/default/deployments/roll')).json as Obj;
  assert.deepEqual(dep.spec.selector, { matchLabels: { app: 'roll' } });
  // The deployment controller's work, done by hand: three revisions, v3 current.
  await makeRevision(dep, 1, 'app v1', 0);
  await makeRevision(dep, 2, 'app v2', 0);
  await makeRevision(dep, 3, 'app v3', 1);
  const h = await s.ctl(['rollout', 'history', 'deployment/roll']);
  assert.equal(h.out, 'deployment.apps/roll\nREVISION  CHANGE-CAUSE\n1         <none>\n2         image v2\n3         <none>\n');
  const h2 = await s.ctl(['rollout', 'history', 'deploy/roll', '--revision', '2']);
  assert.match(h2.out, /Image:\tapp v2/);

  const image = async () => (((await s.api2('GET', '/apis/apps/v1/namespaces/default/deployments/roll')).json as Obj).spec.template as { spec: { containers: { image: string }[]; }; metadata: { labels: Record<string, string> } });
  assert.deepEqual(await s.ctl(['rollout', 'undo', 'deployment/roll']), { code: 0, out: 'deployment.apps/roll rolled back', err: '' });
  let t = await image();
  assert.equal(t.spec.containers[0]!.image, 'app v2');
  assert.deepEqual(t.metadata.labels, { app: 'roll' }, 'the pod-template-hash label is not copied back');
  assert.deepEqual(await s.ctl(['rollout', 'undo', 'deployment', 'roll', '--to-revision=1']), { code: 0, out: 'deployment.apps/roll rolled back', err: '' });
  t = await image();
  assert.equal(t.spec.containers[0]!.image, 'app v1');
  const same = await s.ctl(['rollout', 'undo', 'deployment/roll', '--to-revision=1']);
  assert.equal(same.out, 'deployment.apps/roll skipped rollback (current template already matches revision 1)');
  const missing = await s.ctl(['rollout', 'undo', 'deployment/roll', '--to-revision=9']);
  assert.deepEqual(missing, { code: 1, out: '', err: 'error: unable to find specified revision 9 in history' });

  assert.equal((await s.ctl(['rollout', 'pause', 'deployment/roll'])).out, 'deployment.apps/roll paused');
  assert.equal(((await s.api2('GET', '/apis/apps/v1/namespaces/default/deployments/roll')).json as Obj).spec.paused, true);
  const paused = await s.ctl(['rollout', 'undo', 'deployment/roll']);
  assert.equal(paused.code, 1);
  assert.match(paused.err, /you cannot rollback a paused deployment/);
  assert.equal((await s.ctl(['rollout', 'resume', 'deployment/roll'])).out, 'deployment.apps/roll resumed');

  const d = (await s.ctl(['describe', 'deploy', 'roll'])).out.split('\n');
  assert.ok(d.some((l) => /^Replicas: +1 desired \| 0 updated \| 0 total \| 0 available \| 0 unavailable$/.test(l)), d.join('\n'));
  assert.ok(d.some((l) => /^RollingUpdateStrategy: +25% max unavailable, 25% max surge$/.test(l)));
  assert.ok(d.some((l) => /^NewReplicaSet: +roll-h3 \(0\/1 replicas created\)$/.test(l)));
  assert.ok(d.some((l) => /^ {6}Image: +app v1$/.test(l)), 'the pod template shows the rolled-back image');

  const several = await s.ctl(['get', 'deploy,rs', '-l', 'app=roll']);
  const sections = several.out.split('\n\n');
  assert.equal(sections.length, 2);
  assert.deepEqual(cells(sections[0]!)[1]!.slice(0, 2), ['deployment.apps/roll', '0/1']);
  assert.deepEqual(cells(sections[1]!).map((r) => r[0]), ['NAME', 'replicaset.apps/roll-h1', 'replicaset.apps/roll-h2', 'replicaset.apps/roll-h3']);
  const badSet = await s.ctl(['set', 'image', 'deployment/roll', 'nope=x']);
  assert.deepEqual(badSet, { code: 1, out: '', err: 'error: unable to find container named "nope"' });
  assert.equal((await s.ctl(['expose', 'deployment/roll'])).code, 2, 'the template (rolled back to v1) declares no port: --port is needed');
  assert.equal((await s.ctl(['expose', 'deploy/roll', '--port=9999', '--name=roll-svc'])).out, 'service/roll-svc exposed');
  const rs = (await s.api2('GET', '/api/v1/namespaces/default/services/roll-svc')).json as Obj;
  assert.deepEqual(rs.spec.selector, { app: 'roll' });
  assert.deepEqual((rs.spec.ports as Record<string, unknown>[])[0], { port: 9999, targetPort: 9999, protocol: 'TCP' });
  await s.ctl(['delete', 'svc', 'roll-svc']);
  const allNames = await s.ctl(['get', 'all', '-l', 'app=roll', '-o', 'name']);
  assert.equal(allNames.out, 'deployment.apps/roll\nreplicaset.apps/roll-h1\nreplicaset.apps/roll-h2\nreplicaset.apps/roll-h3');
});

test('rollout status follows the Deployment status until it is rolled out, and times out otherwise', async () => {
  await s.ctl(['create', 'deployment', 'st', '--image', 'x', '--replicas', '2']);
  const path = '/apis/apps/v1/namespaces/default/deployments/st';
  const setStatus = async (status: Record<string, unknown>) => {
    const cur = (await s.api2('GET', path)).json as Obj;
    const r = await s.api2('PUT', `${path}/status`, { ...cur, status: { observedGeneration: cur.metadata.generation, ...status } });
    assert.equal(r.status, 200, JSON.stringify(r.json));
  };
  await setStatus({ replicas: 2, updatedReplicas: 2, availableReplicas: 1 });
  const lines: string[] = [];
  const run = s.ctl(['rollout', 'status', 'deployment/st', '--timeout', '20s'], { onOut: (l) => lines.push(l) });
  while (lines.length === 0) await new Promise((r) => setTimeout(r, 10));
  assert.equal(lines[0], 'Waiting for deployment "st" rollout to finish: 1 of 2 updated replicas are available...');
  await setStatus({ replicas: 2, updatedReplicas: 2, availableReplicas: 2, readyReplicas: 2 });
  const r = await run;
  assert.equal(r.code, 0);
  assert.equal(lines[lines.length - 1], 'deployment "st" successfully rolled out');

  await setStatus({ replicas: 3, updatedReplicas: 1, availableReplicas: 1 });
  const slow = await s.ctl(['rollout', 'status', 'deployment/st', '--timeout', '300ms']);
  assert.equal(slow.code, 1);
  assert.equal(slow.out, 'Waiting for deployment "st" rollout to finish: 1 out of 2 new replicas have been updated...');
  assert.equal(slow.err, 'error: timed out waiting for the condition');
});

test('cordon, uncordon and drain (waits for graceful termination, refuses unmanaged pods without --force)', async () => {
  const node = await s.api2('POST', '/api/v1/nodes', { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1' }, spec: {} });
  assert.equal(node.status, 201, JSON.stringify(node.json));
  assert.equal((await s.ctl(['cordon', 'n1'])).out, 'node/n1 cordoned');
  assert.equal((await s.ctl(['cordon', 'n1'])).out, 'node/n1 already cordoned');
  const g = await s.ctl(['get', 'nodes']);
  assert.deepEqual(cells(g.out)[0], ['NAME', 'STATUS', 'ROLES', 'AGE', 'VERSION']);
  assert.deepEqual(cells(g.out)[1]!.slice(0, 3), ['n1', 'Unknown,SchedulingDisabled', '<none>']);
  assert.equal((await s.ctl(['uncordon', 'n1'])).out, 'node/n1 uncordoned');
  assert.equal(((await s.api2('GET', '/api/v1/nodes/n1')).json as Obj).spec.unschedulable, false);

  // alpha (podns) and dpod (default) are bound to n1 and have no controller.
  const refused = await s.ctl(['drain', 'n1']);
  assert.equal(refused.code, 1);
  assert.match(refused.err, /cannot delete Pods that declare no controller \(use --force to override\): .*podns\/alpha/);
  await s.ctl(['uncordon', 'n1']);

  // The node agent's part: once a pod is marked for deletion, finish it (grace 0).
  let agentRuns = true;
  const agent = (async () => {
    while (agentRuns) {
      const list = (await s.api2('GET', '/api/v1/pods?fieldSelector=spec.nodeName=n1')).json as { items: Obj[] };
      for (const p of list.items) {
        if (p.metadata.deletionTimestamp !== undefined) await s.api2('DELETE', `/api/v1/namespaces/${p.metadata.namespace}/pods/${p.metadata.name}?gracePeriodSeconds=0`);
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  const d = await s.ctl(['drain', 'n1', '--force', '--timeout', '20s']);
  agentRuns = false;
  await agent;
  assert.equal(d.code, 0, d.err);
  const out = d.out.split('\n');
  assert.equal(out[0], 'node/n1 cordoned');
  assert.ok(out.includes('evicting pod podns/alpha'));
  assert.ok(out.includes('pod/alpha evicted'));
  assert.ok(out.includes('pod/dpod evicted'));
  assert.equal(out[out.length - 1], 'node/n1 drained');
  const left = (await s.api2('GET', '/api/v1/pods?fieldSelector=spec.nodeName=n1')).json as { items: unknown[] };
  assert.equal(left.items.length, 0);
});

test('delete waits until a graceful pod deletion is finished by the node (unless --wait=false)', async () => {
  await makePod('default', 'graceful', { nodeName: 'n9', terminationGracePeriodSeconds: 30 });
  const lines: string[] = [];
  const run = s.ctl(['delete', 'pod', 'graceful'], { onOut: (l) => lines.push(l) });
  while (lines.length === 0) await new Promise((r) => setTimeout(r, 10));
  assert.deepEqual(lines, ['pods "graceful" deleted']);
  let finished = false;
  void run.then(() => (finished = true));
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(finished, false, 'still waiting for the node to stop the pod');
  const marked = (await s.api2('GET', '/api/v1/namespaces/default/pods/graceful')).json as Obj;
  assert.equal(typeof marked.metadata.deletionTimestamp, 'string');
  // The node agent's part.
  await s.api2('DELETE', '/api/v1/namespaces/default/pods/graceful?gracePeriodSeconds=0');
  assert.equal((await run).code, 0);

  await makePod('default', 'graceful2', { nodeName: 'n9' });
  const quick = await s.ctl(['delete', 'pod', 'graceful2', '--wait=false']);
  assert.deepEqual(quick, { code: 0, out: 'pods "graceful2" deleted', err: '' });
  const t = await s.ctl(['delete', 'pod', 'graceful2', '--timeout', '300ms']);
  assert.equal(t.code, 1);
  assert.match(t.err, /timed out waiting for pods\/graceful2 to be deleted/);
  await s.api2('DELETE', '/api/v1/namespaces/default/pods/graceful2?gracePeriodSeconds=0');
});

test('logs needs a scheduled pod; top says metrics are not available when the server has no query API', async () => {
  await makePod('default', 'unbound');
  const l = await s.ctl(['logs', 'unbound']);
  assert.equal(l.code, 1);
  assert.match(l.err, /pod "unbound" has no node yet/);
  const top = await s.ctl(['top', 'pods']);
  assert.equal(top.code, 1);
  assert.match(top.err, /^error: metrics not available yet/);
});

test('usage errors exit 2; config set-context writes the file that later commands use', async () => {
  const bad = await s.ctl(['get', 'pods', '--bogus']);
  assert.equal(bad.code, 2);
  assert.match(bad.err, /unknown flag: --bogus/);
  assert.equal((await s.ctl(['frobnicate'])).code, 2);
  const unknownKind = await s.ctl(['get', 'widgets']);
  assert.deepEqual(unknownKind, { code: 1, out: '', err: 'error: the server doesn\'t have a resource type "widgets"' });

  const set = await s.ctl(['config', 'set-context', '--namespace', 'podns', '--token', 'abc']);
  assert.equal(set.code, 0);
  const cfg = parse(readFileSync(join(s.dir, 'config'), 'utf8')) as Record<string, string>;
  assert.deepEqual(cfg, { server: s.url, namespace: 'podns', token: 'abc' });
  const view = await s.ctl(['config', 'view']);
  assert.match(view.out, /token: REDACTED/);
  // The namespace now comes from the file.
  await makePod('podns', 'gamma');
  const g = await s.ctl(['get', 'pods', '-o', 'name']);
  assert.equal(g.out, 'pod/beta-with-long-name\npod/gamma');
  await s.ctl(['config', 'set-context', '--namespace=', '--token=']);
  assert.deepEqual(parse(readFileSync(join(s.dir, 'config'), 'utf8')), { server: s.url });
});
