import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { clusterApi } from '../api/http.js';
import { Registry } from '../api/registry.js';
import { SqliteStore } from '../store/sqlite_store.js';
import { ADMIN_TOKEN_FILE, ClusterAuth, ensureAdminToken } from './cluster_auth.js';
import { TokenAuthority } from './tokens.js';

type Body = Record<string, unknown>;

async function setup(t: TestContext, opts: { uiReadAccess?: boolean; now?: () => number } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-cluster-auth-'));
  const store = new SqliteStore(join(dir, 'c.db'), { pollIntervalMs: 0, leaseSweepIntervalMs: 0 });
  const registry = new Registry(store);
  await registry.ensureSystemNamespaces();
  const auth = await ClusterAuth.open(registry, { dir, uiReadAccess: opts.uiReadAccess ?? false, ...(opts.now ? { now: opts.now } : {}) });
  const app: FastifyInstance = Fastify();
  await app.register(clusterApi, { registry, authenticate: auth.authenticate, authorize: auth.authorize, tokenRequest: auth.tokenRequest, audit: auth.audit, accessReview: auth.accessReview });
  await app.ready();
  t.after(async () => {
    await app.close();
    await auth.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const admin = await auth.adminToken();
  /** A request as the holder of `token` ('' = no Authorization header). */
  const call = async (token: string, method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, body?: Body) => {
    const headers: Record<string, string> = token !== '' ? { authorization: `Bearer ${token}` } : {};
    if (method === 'PATCH') headers['content-type'] = 'application/merge-patch+json';
    const r = await app.inject({ method, url, headers, ...(body !== undefined ? { payload: body } : {}) });
    let json: Body = {};
    try {
      json = r.json() as Body;
    } catch {
      // a watch stream with no events
    }
    return { code: r.statusCode, json };
  };
  /** As the admin; asserts success. */
  const ok = async (method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, body?: Body) => {
    const r = await call(admin, method, url, body);
    assert.ok(r.code < 300, `${method} ${url}: ${r.code} ${JSON.stringify(r.json)}`);
    return r.json;
  };
  return { dir, registry, auth, app, admin, call, ok };
}

const ns = (name: string) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
const secret = (name: string) => ({ apiVersion: 'v1', kind: 'Secret', metadata: { name }, stringData: { password: `pw-${name}` } });
const cm = (name: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { k: 'v' } });
const binding = (name: string, namespace: string, subject: Body, roleKind: string, role: string) => ({
  apiVersion: 'rbac.authorization.k8s.io/v1',
  kind: namespace === '' ? 'ClusterRoleBinding' : 'RoleBinding',
  metadata: { name },
  subjects: [subject],
  roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: roleKind, name: role },
});
const pod = (name: string, node: string, extra: Body = {}) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name },
  spec: { nodeName: node, containers: [{ name: 'app', image: 'node app.js' }], ...extra },
});

test('cluster auth: the admin token is created 0600 once, reused, and is cluster-admin', async (t) => {
  const { dir, admin, call, auth } = await setup(t);
  const file = join(dir, ADMIN_TOKEN_FILE);
  assert.equal(statSync(file).mode & 0o777, 0o600);
  assert.equal(readFileSync(file, 'utf8').trim(), admin);
  assert.equal(await ensureAdminToken(dir), admin, 'the standalone function returns the same token');
  assert.equal(await auth.adminToken(), admin);
  assert.deepEqual(auth.verifyToken(admin), { name: 'vigil-admin', groups: ['system:masters'] });
  assert.equal((await call(admin, 'POST', '/api/v1/namespaces/default/secrets', secret('s'))).code, 201);
  assert.equal((await call(admin, 'GET', '/apis/rbac.authorization.k8s.io/v1/clusterroles/cluster-admin')).code, 200, 'default roles exist');
});

test('cluster auth: without credentials 401; with the UI read access only non-Secret reads', async (t) => {
  const closed = await setup(t, { uiReadAccess: false });
  assert.equal((await closed.call('', 'GET', '/api/v1/namespaces/default/pods')).code, 401);
  assert.equal((await closed.call('', 'GET', '/api')).code, 401, 'discovery too');
  const open = await setup(t, { uiReadAccess: true });
  await open.ok('POST', '/api/v1/namespaces/default/secrets', secret('s'));
  assert.equal((await open.call('', 'GET', '/api/v1/namespaces/default/pods')).code, 200);
  assert.equal((await open.call('', 'GET', '/api/v1/nodes')).code, 200);
  assert.equal((await open.call('', 'GET', '/api')).code, 200);
  assert.equal((await open.call('', 'GET', '/api/v1/namespaces/default/secrets')).code, 401);
  assert.equal((await open.call('', 'GET', '/api/v1/namespaces/default/secrets/s')).code, 401);
  assert.equal((await open.call('', 'POST', '/api/v1/namespaces/default/configmaps', cm('c'))).code, 401);
  assert.equal((await open.call('', 'DELETE', '/api/v1/namespaces/default/secrets/s')).code, 401);
  // A bad token is refused, never treated as the UI user.
  assert.equal((await open.call('not-a-token', 'GET', '/api/v1/namespaces/default/pods')).code, 401);
});

test('cluster auth: expired and tampered tokens are refused with 401', async (t) => {
  let now = Date.parse('2026-05-01T00:00:00Z');
  const { auth, call } = await setup(t, { now: () => now });
  const tok = auth.issueToken({ name: 'vigil-admin', groups: ['system:masters'] }, 60);
  assert.equal((await call(tok, 'GET', '/api/v1/nodes')).code, 200);
  const [p, payload, sig] = tok.split('.') as [string, string, string];
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Body;
  const longer = Buffer.from(JSON.stringify({ ...claims, exp: (claims.exp as number) + 86_400 })).toString('base64url');
  assert.equal((await call(`${p}.${longer}.${sig}`, 'GET', '/api/v1/nodes')).code, 401, 'extended expiry without the key');
  assert.equal((await call(new TokenAuthority(Buffer.alloc(32, 1), { now: () => now }).issueToken({ name: 'vigil-admin', groups: ['system:masters'] }), 'GET', '/api/v1/nodes')).code, 401, 'signed with another key');
  now += 61_000;
  assert.equal((await call(tok, 'GET', '/api/v1/nodes')).code, 401, 'expired');
});

test('cluster auth: a user bound in namespace A cannot read namespace B; a namespace-confined token stays in its namespace', async (t) => {
  const { auth, call, ok } = await setup(t);
  for (const n of ['team-a', 'team-b']) {
    await ok('POST', '/api/v1/namespaces', ns(n));
    await ok('POST', `/api/v1/namespaces/${n}/secrets`, secret('db'));
  }
  const alice = auth.issueToken({ name: 'alice', groups: [] });
  assert.equal((await call(alice, 'GET', '/api/v1/namespaces/team-a/secrets/db')).code, 403, 'no bindings, nothing allowed');
  await ok('POST', '/apis/rbac.authorization.k8s.io/v1/namespaces/team-a/rolebindings', binding('alice-edit', 'team-a', { kind: 'User', name: 'alice' }, 'ClusterRole', 'edit'));
  // The binding holds from the next request on (the cache is invalidated by the write).
  const got = await call(alice, 'GET', '/api/v1/namespaces/team-a/secrets/db');
  assert.equal(got.code, 200);
  assert.equal(Buffer.from((got.json.data as Record<string, string>).password!, 'base64').toString(), 'pw-db');
  assert.equal((await call(alice, 'GET', '/api/v1/namespaces/team-a/secrets')).code, 200);
  assert.equal((await call(alice, 'GET', '/api/v1/namespaces/team-b/secrets/db')).code, 403);
  assert.equal((await call(alice, 'GET', '/api/v1/namespaces/team-b/secrets')).code, 403);
  assert.equal((await call(alice, 'GET', '/api/v1/secrets')).code, 403, 'all-namespace list');
  assert.equal((await call(alice, 'GET', '/api/v1/secrets?watch=true')).code, 403, 'all-namespace watch');
  const forbidden = await call(alice, 'GET', '/api/v1/namespaces/team-b/secrets/db');
  assert.match(String(forbidden.json.message), /User "alice" cannot get resource "secrets" in API group "" in the namespace "team-b"/);
  // edit may not grant itself more (no rolebindings).
  assert.equal((await call(alice, 'POST', '/apis/rbac.authorization.k8s.io/v1/namespaces/team-a/rolebindings', binding('x', 'team-a', { kind: 'User', name: 'alice' }, 'ClusterRole', 'admin'))).code, 403);
  // A Role (not a ClusterRole) in team-b naming only one ConfigMap.
  await ok('POST', '/api/v1/namespaces/team-b/configmaps', cm('public'));
  await ok('POST', '/api/v1/namespaces/team-b/configmaps', cm('private'));
  await ok('POST', '/apis/rbac.authorization.k8s.io/v1/namespaces/team-b/roles', {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'Role',
    metadata: { name: 'read-public' },
    rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get'], resourceNames: ['public'] }],
  });
  await ok('POST', '/apis/rbac.authorization.k8s.io/v1/namespaces/team-b/rolebindings', binding('alice-public', 'team-b', { kind: 'User', name: 'alice' }, 'Role', 'read-public'));
  assert.equal((await call(alice, 'GET', '/api/v1/namespaces/team-b/configmaps/public')).code, 200);
  assert.equal((await call(alice, 'GET', '/api/v1/namespaces/team-b/configmaps/private')).code, 403);
  assert.equal((await call(alice, 'GET', '/api/v1/namespaces/team-b/configmaps')).code, 403);
  // Removing the binding revokes at once.
  await ok('DELETE', '/apis/rbac.authorization.k8s.io/v1/namespaces/team-a/rolebindings/alice-edit');
  assert.equal((await call(alice, 'GET', '/api/v1/namespaces/team-a/secrets/db')).code, 403);

  // A token confined to team-a, even for a cluster-admin group, cannot leave team-a.
  await ok('POST', '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', binding('ops-admin', '', { kind: 'Group', name: 'ops' }, 'ClusterRole', 'cluster-admin'));
  const scoped = auth.issueToken({ name: 'ci', groups: ['ops'], namespace: 'team-a' });
  assert.equal((await call(scoped, 'GET', '/api/v1/namespaces/team-a/secrets/db')).code, 200);
  assert.equal((await call(scoped, 'GET', '/api/v1/namespaces/team-b/secrets/db')).code, 403);
  assert.equal((await call(scoped, 'GET', '/api/v1/nodes')).code, 403);
  const unscoped = auth.issueToken({ name: 'ci', groups: ['ops'] });
  assert.equal((await call(unscoped, 'GET', '/api/v1/namespaces/team-b/secrets/db')).code, 200);
});

test('cluster auth: view reads workloads but never Secrets, and writes nothing', async (t) => {
  const { auth, call, ok } = await setup(t);
  await ok('POST', '/api/v1/namespaces/default/secrets', secret('db'));
  await ok('POST', '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', binding('viewers', '', { kind: 'Group', name: 'viewers' }, 'ClusterRole', 'view'));
  const v = auth.issueToken({ name: 'victor', groups: ['viewers'] });
  assert.equal((await call(v, 'GET', '/api/v1/namespaces/default/pods')).code, 200);
  assert.equal((await call(v, 'GET', '/apis/apps/v1/deployments')).code, 200);
  assert.equal((await call(v, 'GET', '/api/v1/namespaces/default/configmaps')).code, 200);
  assert.equal((await call(v, 'GET', '/api/v1/namespaces/default/secrets/db')).code, 403);
  assert.equal((await call(v, 'GET', '/api/v1/namespaces/default/secrets')).code, 403);
  assert.equal((await call(v, 'GET', '/api/v1/secrets?watch=1')).code, 403);
  assert.equal((await call(v, 'POST', '/api/v1/namespaces/default/configmaps', cm('c'))).code, 403);
  assert.equal((await call(v, 'DELETE', '/api/v1/namespaces/default/secrets/db')).code, 403);
});

test('cluster auth: a node reads only what its pods use and writes only its own node and pods', async (t) => {
  const { auth, call, ok } = await setup(t);
  for (const n of ['n1', 'n2']) await ok('POST', '/api/v1/nodes', { apiVersion: 'v1', kind: 'Node', metadata: { name: n }, spec: {} });
  for (const s of ['s1', 's2', 'env-secret']) await ok('POST', '/api/v1/namespaces/default/secrets', secret(s));
  for (const c of ['c1', 'c2']) await ok('POST', '/api/v1/namespaces/default/configmaps', cm(c));
  await ok('POST', '/api/v1/namespaces/default/pods', pod('p1', 'n1', {
    volumes: [{ name: 'sec', secret: { secretName: 's1' } }, { name: 'cfg', configMap: { name: 'c1' } }],
    containers: [{ name: 'app', image: 'node app.js', env: [{ name: 'PW', valueFrom: { secretKeyRef: { name: 'env-secret', key: 'password' } } }] }],
  }));
  await ok('POST', '/api/v1/namespaces/default/pods', pod('p2', 'n2', { volumes: [{ name: 'sec', secret: { secretName: 's2' } }, { name: 'cfg', configMap: { name: 'c2' } }] }));
  const n1 = await auth.issueNodeCredential('n1');
  const base = '/api/v1/namespaces/default';
  const code = async (method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, body?: Body) => (await call(n1, method, url, body)).code;

  // Pods: its own, and lists/watches only with its own node selector.
  assert.equal(await code('GET', `${base}/pods/p1`), 200);
  assert.equal(await code('GET', `${base}/pods/p2`), 403);
  assert.equal(await code('GET', '/api/v1/pods?fieldSelector=spec.nodeName%3Dn1'), 200);
  assert.equal(await code('GET', '/api/v1/pods?watch=true&fieldSelector=spec.nodeName%3Dn2'), 403);
  assert.equal(await code('GET', '/api/v1/pods'), 403);
  assert.equal(await code('PATCH', `${base}/pods/p1/status`, { status: { phase: 'Running' } }), 200);
  assert.equal(await code('PATCH', `${base}/pods/p2/status`, { status: { phase: 'Failed' } }), 403, "another node's pod status");
  assert.equal(await code('PATCH', `${base}/pods/p2`, { metadata: { annotations: { x: 'y' } } }), 403, "another node's pod");
  assert.equal(await code('DELETE', `${base}/pods/p2`), 403, "deleting another node's pod");
  assert.equal(await code('POST', `${base}/pods`, pod('p3', 'n1')), 403, 'nodes create no pods');
  // Secrets and ConfigMaps: those its pods refer to (volumes and env), by name only.
  assert.equal(await code('GET', `${base}/secrets/s1`), 200);
  assert.equal(await code('GET', `${base}/secrets/env-secret`), 200);
  assert.equal(await code('GET', `${base}/configmaps/c1`), 200);
  assert.equal(await code('GET', `${base}/secrets/s2`), 403, 'secret of a pod on another node');
  assert.equal(await code('GET', `${base}/configmaps/c2`), 403);
  assert.equal(await code('GET', `${base}/secrets`), 403);
  assert.equal(await code('GET', `${base}/secrets?fieldSelector=metadata.name%3Ds1`), 200, 'a list pinned to one referenced name');
  assert.equal(await code('GET', `${base}/secrets?fieldSelector=metadata.name%3Ds2`), 403);
  assert.equal(await code('PUT', `${base}/secrets/s1`, secret('s1')), 403, 'read only');
  // Nodes, leases, services, events.
  assert.equal(await code('PATCH', '/api/v1/nodes/n1/status', { status: { conditions: [{ type: 'Ready', status: 'True' }] } }), 200);
  assert.equal(await code('PATCH', '/api/v1/nodes/n2/status', { status: { conditions: [{ type: 'Ready', status: 'False' }] } }), 403);
  assert.equal(await code('PATCH', '/api/v1/nodes/n2', { spec: { unschedulable: true } }), 403);
  assert.equal(await code('DELETE', '/api/v1/nodes/n1'), 403);
  const lease = (n: string) => ({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: n }, spec: { holderIdentity: n } });
  assert.equal(await code('POST', '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases', lease('n1')), 201);
  assert.equal(await code('POST', '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases', lease('n2')), 403);
  assert.equal(await code('GET', '/api/v1/services'), 200);
  assert.equal(await code('GET', '/api/v1/endpoints?watch=true&timeoutSeconds=1'), 200);
  assert.equal(await code('GET', '/apis/apps/v1/deployments'), 403);
  // A pod bound to n1 later is visible at once (the cache reloads before refusing).
  await ok('POST', `${base}/pods`, pod('p4', 'n1', { volumes: [{ name: 'sec', secret: { secretName: 's2' } }] }));
  assert.equal(await code('GET', `${base}/secrets/s2`), 200);
  // Node credentials are refused for malformed names.
  await assert.rejects(auth.issueNodeCredential('N1/../x'), TypeError);
});

test('cluster auth: service account tokens are bound to a pod on the asking node and die with it', async (t) => {
  const { auth, call, ok, registry } = await setup(t);
  await ok('POST', '/api/v1/namespaces', ns('apps'));
  // The controller creates `default` in every namespace.
  const sa = registry.list.bind(registry);
  const saInfo = (await import('../api/resources.js')).RESOURCES.find((r) => r.resource === 'serviceaccounts')!;
  for (let i = 0; i < 200 && !(await sa(saInfo, 'apps')).items.some((o) => o.metadata.name === 'default'); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok((await sa(saInfo, 'apps')).items.some((o) => o.metadata.name === 'default'), 'default service account in a new namespace');
  await ok('POST', '/api/v1/namespaces/apps/serviceaccounts', { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'builder' } });
  const p1 = await ok('POST', '/api/v1/namespaces/apps/pods', pod('p1', 'n1', { serviceAccountName: 'builder' }));
  await ok('POST', '/api/v1/namespaces/apps/pods', pod('p2', 'n2', { serviceAccountName: 'builder' }));
  const n1 = await auth.issueNodeCredential('n1');
  const tr = (podName: string | null, sa = 'builder') => ({
    apiVersion: 'authentication.k8s.io/v1',
    kind: 'TokenRequest',
    spec: { expirationSeconds: 3600, ...(podName !== null ? { boundObjectRef: { kind: 'Pod', name: podName } } : {}) },
    metadata: { name: sa },
  });
  const url = '/api/v1/namespaces/apps/serviceaccounts/builder/token';
  assert.equal((await call(n1, 'POST', url, tr('p2'))).code, 403, "a token for another node's pod");
  assert.equal((await call(n1, 'POST', url, tr(null))).code, 403, 'a node must name the pod');
  assert.equal((await call(n1, 'POST', '/api/v1/namespaces/apps/serviceaccounts/default/token', tr('p1', 'default'))).code, 403, 'a service account no pod of n1 uses');
  const r = await call(n1, 'POST', url, tr('p1'));
  assert.equal(r.code, 201, JSON.stringify(r.json));
  const token = (r.json.status as { token: string }).token;
  assert.equal((r.json.spec as { boundObjectRef: { uid: string } }).boundObjectRef.uid, (p1.metadata as { uid: string }).uid);
  assert.deepEqual(auth.verifyToken(token)?.groups, ['system:serviceaccounts', 'system:serviceaccounts:apps']);
  assert.equal((await call(token, 'GET', '/api/v1/namespaces/apps/pods')).code, 403, 'no bindings yet');
  await ok('POST', '/apis/rbac.authorization.k8s.io/v1/namespaces/apps/rolebindings', binding('builder-view', 'apps', { kind: 'ServiceAccount', name: 'builder' }, 'ClusterRole', 'view'));
  assert.equal((await call(token, 'GET', '/api/v1/namespaces/apps/pods')).code, 200);
  assert.equal((await call(token, 'GET', '/api/v1/namespaces/default/pods')).code, 403);
  // The positive pod check is cached for a few seconds: fresh authenticators (same key) see the change at once.
  const fresh = () => ClusterAuth.open(registry, { dir: join(auth.auditLog!.path, '..'), defaultRoles: false, serviceAccounts: false, auditLog: null });
  const req = { headers: { authorization: `Bearer ${token}` } } as Parameters<ClusterAuth['authenticate']>[0];
  const before = await fresh();
  assert.equal((await before.authenticate(req))?.name, 'system:serviceaccount:apps:builder');
  await ok('DELETE', '/api/v1/namespaces/apps/pods/p1?gracePeriodSeconds=0');
  const after = await fresh();
  assert.equal(await after.authenticate(req), null, 'the token of a deleted pod is refused');
  await ok('POST', '/api/v1/namespaces/apps/pods', pod('p1', 'n1', { serviceAccountName: 'builder' }));
  assert.equal(await (await fresh()).authenticate(req), null, 'a new pod of the same name has another uid');
});

test('cluster auth: the audit log records who did what with which result, and no reads', async (t) => {
  const { auth, call, ok } = await setup(t);
  const eve = auth.issueToken({ name: 'eve', groups: ['interns'] });
  await ok('POST', '/api/v1/namespaces/default/configmaps', cm('c1'));
  await ok('GET', '/api/v1/namespaces/default/configmaps/c1');
  assert.equal((await call(eve, 'DELETE', '/api/v1/namespaces/default/configmaps/c1')).code, 403);
  assert.equal((await call('', 'POST', '/api/v1/namespaces/default/configmaps', cm('c2'))).code, 401);
  await ok('PATCH', '/api/v1/namespaces/default/configmaps/c1', { data: { k: 'w' } });
  assert.equal((await call(auth.issueToken({ name: 'vigil-admin', groups: ['system:masters'] }), 'DELETE', '/api/v1/namespaces/default/configmaps/nope')).code, 404);
  await auth.auditLog!.flush();
  const lines = readFileSync(auth.auditLog!.path, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Body);
  const rows = lines.filter((l) => l.resource === 'configmaps' || l.resource === '').map((l) => [l.user, l.verb, l.resource, l.namespace, l.name, l.code]);
  assert.deepEqual(rows, [
    ['vigil-admin', 'create', 'configmaps', 'default', 'c1', 201],
    ['eve', 'delete', 'configmaps', 'default', 'c1', 403],
    ['', 'post', '', '', '', 401],
    ['vigil-admin', 'patch', 'configmaps', 'default', 'c1', 200],
    ['vigil-admin', 'delete', 'configmaps', 'default', 'nope', 404],
  ]);
  const first = lines.find((l) => l.resource === 'configmaps')!;
  assert.deepEqual(first.groups, ['system:masters', 'system:authenticated']);
  assert.equal(first.sourceIP, '127.0.0.1');
  assert.match(String(first.time), /^\d{4}-\d\d-\d\dT/);
  assert.equal(statSync(auth.auditLog!.path).mode & 0o777, 0o600);
});

test('cluster auth: a revoked token is refused from the next request on; others keep working; a revoked admin token is replaced', async (t) => {
  const { auth, call, admin, ok } = await setup(t);
  const a = auth.issueToken({ name: 'vigil-admin', groups: ['system:masters'] });
  const b = auth.issueToken({ name: 'vigil-admin', groups: ['system:masters'] });
  assert.equal((await call(a, 'GET', '/api/v1/nodes')).code, 200);
  assert.equal(await auth.revokeToken(a), true);
  assert.equal(await auth.revokeToken('garbage'), false);
  assert.equal((await call(a, 'GET', '/api/v1/nodes')).code, 401);
  assert.equal((await call(b, 'GET', '/api/v1/nodes')).code, 200);
  // Revoking by editing the ConfigMap through the API works too.
  const jti = auth.tokens.verifyClaims(b)!.jti;
  const cm = await ok('GET', '/api/v1/namespaces/kube-system/configmaps/vigil-token-revocations');
  await ok('PATCH', '/api/v1/namespaces/kube-system/configmaps/vigil-token-revocations', { data: { ...(cm.data as Record<string, string>), [jti]: '0' } });
  assert.equal((await call(b, 'GET', '/api/v1/nodes')).code, 401);
  await auth.revokeToken(admin);
  const fresh = await auth.adminToken();
  assert.notEqual(fresh, admin);
  assert.equal((await call(fresh, 'GET', '/api/v1/nodes')).code, 200);
  assert.equal((await call(admin, 'GET', '/api/v1/nodes')).code, 401);
});

test('cluster auth: authenticateToken never lets a header-less request in, even with the UI read access on', async (t) => {
  const { auth } = await setup(t, { uiReadAccess: true });
  const bare = { headers: {} } as Parameters<ClusterAuth['authenticate']>[0];
  assert.equal((await auth.authenticate(bare))?.name, 'system:anonymous-ui');
  assert.equal(await auth.authenticateToken(bare), null);
  const tok = auth.issueToken({ name: 'alice', groups: ['dev'] });
  const withToken = { headers: { authorization: `Bearer ${tok}` } } as Parameters<ClusterAuth['authenticate']>[0];
  assert.deepEqual(await auth.authenticateToken(withToken), { name: 'alice', groups: ['dev', 'system:authenticated'] });
});

test('cluster auth: access reviews answer for a token, and only nodes (or admins) may ask', async (t) => {
  const { auth, call, admin } = await setup(t);
  const n1 = await auth.issueNodeCredential('n1');
  const nobody = auth.issueToken({ name: 'nobody', groups: [] });
  const review = (token: string) => ({ token, verb: 'get', resource: 'pods/log', namespace: 'default', name: 'p' });
  const url = '/apis/authorization.vigil.dev/v1/accessreviews';
  assert.deepEqual((await call(n1, 'POST', url, review(admin))).json, { kind: 'AccessReview', authenticated: true, allowed: true, user: 'vigil-admin' });
  assert.deepEqual((await call(n1, 'POST', url, review(nobody))).json, { kind: 'AccessReview', authenticated: true, allowed: false, user: 'nobody' });
  assert.deepEqual((await call(n1, 'POST', url, review('forged'))).json, { kind: 'AccessReview', authenticated: false, allowed: false, user: '' });
  assert.deepEqual((await call(n1, 'POST', url, review(''))).json, { kind: 'AccessReview', authenticated: false, allowed: false, user: '' });
  assert.equal((await call(n1, 'POST', url, { ...review(admin), verb: 'explode' })).code, 400);
  assert.equal((await call(nobody, 'POST', url, review(admin))).code, 403, 'users cannot probe tokens');
  assert.equal((await call('', 'POST', url, review(admin))).code, 401);
});
