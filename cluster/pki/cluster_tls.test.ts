import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { FastifyRequest } from 'fastify';
import { parseCommandArgs } from '../../cmd/cli.js';
import { parseServerFlags, SERVER_FLAGS, serverFlagsFrom } from '../../cmd/flags.js';
import { StructuredLogger } from '../../cmd/logger.js';
import { startServer } from '../../cmd/server.js';
import { ApiClient, NODES } from '../agent/api_client.js';
import type { ApiUser } from '../api/http.js';
import type { Node } from '../api/objects.js';
import { RESOURCES } from '../api/resources.js';
import { clusterPart } from '../cluster_part.js';
import { readConfig } from '../ctl/ctl_config.js';
import { runCtl } from '../ctl/ctl_command.js';
import { credentialsPath, JoinError, joinCluster, nodeCredentials } from './agent_join.js';
import { bootstrapTokenSecret, generateBootstrapToken } from './bootstrap_token.js';
import { caCertHash, loadOrCreateCa } from './ca.js';
import { tlsFetch } from './tls_fetch.js';

const SECRETS = RESOURCES.find((r) => r.resource === 'secrets')!;
const PODS = RESOURCES.find((r) => r.resource === 'pods')!;
const APP = fileURLToPath(new URL('../../../test/fixtures/http_app.mjs', import.meta.url));

/** Stand-ins for the authentication part: fixed admin token, `node-token-<name>` node credentials. */
const seen = new Set<string>();
function authenticate(req: FastifyRequest): ApiUser | null {
  const h = String(req.headers.authorization ?? '');
  seen.add(`${h}@${(req.raw.socket as { encrypted?: boolean }).encrypted === true ? 'tls' : 'plain'}`);
  if (h === 'Bearer admin-token') return { name: 'admin', groups: ['system:masters'] };
  const m = /^Bearer node-token-([a-z0-9.-]+)$/.exec(h);
  return m !== null ? { name: `system:node:${m[1]}`, groups: ['system:nodes'] } : null;
}

/** Servers a test started, closed before its directory is removed (hooks run in registration order). */
const opened = new Map<TestContext, { close(): Promise<void> }[]>();

/** Removes `dir` after the test, once every server the test started on it is closed (close is idempotent). */
function removeAfter(t: TestContext, dir: string): void {
  opened.set(t, []);
  t.after(async () => {
    for (const s of opened.get(t) ?? []) await s.close();
    opened.delete(t);
    rmSync(dir, { recursive: true, force: true });
  });
}

async function start(t: TestContext, dir: string, localAgent: false | { nodeName: string; portRange: { low: number; high: number } } = false) {
  const flags = serverFlagsFrom(
    parseCommandArgs(['--web.listen-address=127.0.0.1:0', `--config.file=${join(dir, 'vigil.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`], SERVER_FLAGS, { min: 0, max: 0 }),
  );
  const part = clusterPart({
    localAgent,
    noControllers: true,
    api: { authenticate, compactIntervalMs: 0, quotaResyncMs: 0 },
    security: { ensureAdminToken: async () => 'admin-token', issueNodeCredential: async (n) => `node-token-${n}` },
  });
  const s = await startServer(flags, { logger: new StructuredLogger({ level: 'error', caller: false, sink: { write: () => {} } }), baseParts: [part] });
  opened.get(t)?.push(s);
  t.after(() => s.close());
  const tls = part.tls();
  assert.ok(tls !== null, 'the TLS listener started');
  return { s, part, tls };
}

async function ctl(words: string[], dir: string): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  // No VIGIL_CONFIG and an empty HOME: the config must come from ./data/cluster/admin.conf.
  const code = await runCtl(words, { log: (s) => out.push(s), err: (s) => err.push(s) }, { env: { HOME: join(dir, 'home') }, cwd: dir });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

function plainHttp(port: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path: '/api/v1/namespaces' }, (res) => {
      let body = '';
      res.on('data', (b: Buffer) => {
        body += b.toString();
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('first start: CA, 0600 admin.conf found by ctl without flags, TLS end to end, plain HTTP refused, restart reuses everything', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-tls-'));
  removeAfter(t, dir);
  writeFileSync(join(dir, 'vigil.yml'), 'global:\n  scrape_interval: 15s\n');
  const { tls, s } = await start(t, dir);
  const pki = join(dir, 'data', 'cluster', 'pki');
  assert.equal(statSync(join(pki, 'ca.key')).mode & 0o777, 0o600);
  assert.equal(statSync(tls.adminConfigPath).mode & 0o777, 0o600);
  assert.equal(tls.adminConfigPath, join(dir, 'data', 'cluster', 'admin.conf'));
  const conf = readConfig(tls.adminConfigPath);
  assert.equal(conf.server, `https://127.0.0.1:${tls.port}`);
  assert.equal(conf.token, 'admin-token');
  assert.equal(conf['certificate-authority'], readFileSync(join(pki, 'ca.crt'), 'utf8'));

  assert.deepEqual(await ctl(['get', 'ns', 'kube-system', '-o', 'name'], dir), { code: 0, out: 'namespace/kube-system', err: '' });
  // ctl verifies the server with the CA: trusting another CA fails the handshake.
  loadOrCreateCa(join(dir, 'other-ca'));
  const other = await ctl(['get', 'ns', '--certificate-authority', join(dir, 'other-ca', 'ca.crt')], dir);
  assert.equal(other.code, 1);
  assert.match(other.err, /cannot reach the server 127\.0\.0\.1:[0-9]+: (unable to verify|self[- ]signed)/);
  const noToken = await tlsFetch({ ca: tls.caCertPem })(`${tls.url}/api/v1/namespaces`);
  assert.equal(noToken.status, 401, 'unauthenticated requests on the TLS port are refused');
  const plain = await plainHttp(tls.port);
  assert.equal(plain.status, 400);
  assert.match(plain.body, /Client sent an HTTP request to an HTTPS server/);

  const caBefore = readFileSync(join(pki, 'ca.crt'), 'utf8');
  const servingBefore = readFileSync(join(pki, 'apiserver.crt'), 'utf8');
  await s.close();
  const again = await start(t, dir);
  assert.equal(readFileSync(join(pki, 'ca.crt'), 'utf8'), caBefore, 'the CA is reused');
  assert.equal(readFileSync(join(pki, 'apiserver.crt'), 'utf8'), servingBefore, 'the serving certificate is reused');
  assert.equal(again.tls.caCertHash, caCertHash(caBefore));
  assert.equal(readConfig(again.tls.adminConfigPath).server, `https://127.0.0.1:${again.tls.port}`, 'admin.conf follows the new port');
  assert.deepEqual(await ctl(['get', 'ns', 'default', '-o', 'name'], dir), { code: 0, out: 'namespace/default', err: '' });
});

test('agent bootstrap: ctl token create prints the join command; wrong CA hash, unknown and expired tokens are refused; the credential is stored 0600 and reused', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-join-'));
  removeAfter(t, dir);
  writeFileSync(join(dir, 'vigil.yml'), 'global:\n  scrape_interval: 15s\n');
  const { tls, part } = await start(t, dir);
  const created = await ctl(['token', 'create', '--ttl', '10m'], dir);
  assert.equal(created.code, 0, created.err);
  const [token = '', join1 = ''] = created.out.split('\n');
  assert.match(token, /^[a-z0-9]{6}\.[a-z0-9]{16}$/);
  assert.equal(join1, `vigil agent --server ${tls.url} --token ${token} --ca-cert-hash ${tls.caCertHash}`);
  const agentDir = join(dir, 'agent');
  mkdirSync(agentDir);

  const wrongHash = `sha256:${'0'.repeat(64)}`;
  await assert.rejects(joinCluster({ server: tls.url, bootstrapToken: token, caCertHash: wrongHash, nodeName: 'n1', dataDir: agentDir }), (e: unknown) => e instanceof JoinError && /does not match --ca-cert-hash/.test(e.message));
  await assert.rejects(joinCluster({ server: tls.url, bootstrapToken: 'abcdef.0123456789abcdef', caCertHash: tls.caCertHash, nodeName: 'n1', dataDir: agentDir }), (e: unknown) => e instanceof JoinError && /refused the bootstrap token/.test(e.message));
  const expired = generateBootstrapToken();
  await part.api()!.registry.create(SECRETS, 'kube-system', bootstrapTokenSecret(expired, Date.now() - 1000));
  await assert.rejects(joinCluster({ server: tls.url, bootstrapToken: expired, caCertHash: tls.caCertHash, nodeName: 'n1', dataDir: agentDir }), (e: unknown) => e instanceof JoinError && /refused the bootstrap token/.test(e.message));
  await assert.rejects(nodeCredentials({ server: tls.url, bootstrapToken: '', caCertHash: '', nodeName: 'n1', dataDir: agentDir }), /the first start needs --token/);
  assert.equal(existsSync(credentialsPath(agentDir)), false, 'nothing stored after refusals');

  const first = await nodeCredentials({ server: tls.url, bootstrapToken: token, caCertHash: tls.caCertHash, nodeName: 'n1', dataDir: agentDir });
  assert.equal(first.joined, true);
  assert.equal(first.creds.token, 'node-token-n1');
  assert.equal(statSync(credentialsPath(agentDir)).mode & 0o777, 0o600);
  const second = await nodeCredentials({ server: tls.url, bootstrapToken: 'ignored.0000000000000000', caCertHash: wrongHash, nodeName: 'n1', dataDir: agentDir });
  assert.deepEqual(second, { creds: first.creds, joined: false }, 'a restart reuses the stored credential');

  const client = new ApiClient(first.creds.server, { fetchImpl: tlsFetch({ ca: first.creds.caCert }), headers: () => ({ authorization: `Bearer ${first.creds.token}` }) });
  await client.create<Node>(NODES, { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1' }, spec: {} });
  assert.deepEqual((await client.list<Node>(NODES)).items.map((n) => n.metadata.name), ['n1']);
  const listed = await ctl(['token', 'list'], dir);
  assert.equal(listed.code, 0, listed.err);
  const lines = listed.out.split('\n');
  assert.match(lines[0]!, /^TOKEN-ID\s+TTL\s+EXPIRES\s+DESCRIPTION$/);
  assert.ok(lines.some((l) => l.startsWith(token.split('.')[0]!) && /\s(9m|10m)/.test(l) && l.includes('created by vigil ctl token create')), listed.out);
  assert.ok(lines.some((l) => l.startsWith(expired.split('.')[0]!) && l.includes('<expired>')), listed.out);
  assert.ok(!listed.out.includes(token.split('.')[1]!), 'the secret part is never printed');
  // `token delete` revokes a token.
  assert.equal((await ctl(['token', 'delete', token.split('.')[0]!], dir)).code, 0);
  await assert.rejects(joinCluster({ server: tls.url, bootstrapToken: token, caCertHash: tls.caCertHash, nodeName: 'n2', dataDir: join(dir, 'agent2') }), /refused the bootstrap token/);
});

test('ctl encryption rotate-key re-encrypts Secrets through the server; reads keep working', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-rotate-'));
  removeAfter(t, dir);
  writeFileSync(join(dir, 'vigil.yml'), 'global:\n  scrape_interval: 15s\n');
  const { part } = await start(t, dir);
  assert.equal((await ctl(['create', 'secret', 'generic', 'db', '--from-literal=password=s3cret-value'], dir)).code, 0);
  const keyFile = join(dir, 'data', 'cluster', 'encryption.keys');
  assert.equal(statSync(keyFile).mode & 0o777, 0o600);
  const before = readFileSync(keyFile, 'utf8');
  const raw = async () => (await part.api()!.store.get('/registry/secrets/default/db'))?.value ?? '';
  const inner = (part.api()!.store as { inner?: { get(k: string): Promise<{ value: string } | null> } }).inner!;
  const sealedBefore = (await inner.get('/registry/secrets/default/db'))!.value;
  assert.ok(sealedBefore.startsWith('vigil:enc:aesgcm:v1:'), sealedBefore.slice(0, 30));
  const r = await ctl(['encryption', 'rotate-key'], dir);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /^encryption key rotated: new key "key-[0-9-]+", [1-9][0-9]* secret\(s\) re-encrypted, dropped "key-[0-9-]+"$/);
  assert.notEqual(readFileSync(keyFile, 'utf8'), before);
  const sealedAfter = (await inner.get('/registry/secrets/default/db'))!.value;
  assert.notEqual(sealedAfter.split(':')[4], sealedBefore.split(':')[4], 'sealed with another key');
  assert.match(await raw(), /"password":"czNjcmV0LXZhbHVl"/);
  const got = await ctl(['get', 'secret', 'db', '-o', 'json'], dir);
  assert.equal(JSON.parse(got.out).data.password, Buffer.from('s3cret-value').toString('base64'));
  // Without the admin token: 401.
  const anon = await runCtl(['encryption', 'rotate-key', '--token', 'wrong'], { log: () => {}, err: () => {} }, { env: { HOME: join(dir, 'home') }, cwd: dir });
  assert.equal(anon, 1);
});

test('--cluster.listen-address defaults to the web host with port 9443 (0 with a web port 0), "none" turns it off; --cluster.tls-san collects names', () => {
  assert.deepEqual(parseServerFlags([]).clusterListenAddress, { host: '0.0.0.0', port: 9443 });
  assert.deepEqual(parseServerFlags(['--web.listen-address=127.0.0.1:0']).clusterListenAddress, { host: '127.0.0.1', port: 0 });
  assert.deepEqual(parseServerFlags(['--cluster.listen-address=10.0.0.5:6443']).clusterListenAddress, { host: '10.0.0.5', port: 6443 });
  assert.equal(parseServerFlags(['--cluster.listen-address=none']).clusterListenAddress, null);
  assert.throws(() => parseServerFlags(['--cluster.listen-address=nowhere']), /flag --cluster\.listen-address expects HOST:PORT \(e\.g\. 0\.0\.0\.0:9443\), got "nowhere": missing port/);
  const f = parseServerFlags(['--cluster.tls-san=a.example,10.0.0.5', '--cluster.tls-san=b.example']);
  assert.deepEqual(f.clusterTlsSans, ['a.example', '10.0.0.5', 'b.example']);
  assert.equal(f.asStrings['cluster.tls-san'], 'a.example,10.0.0.5,b.example');
});

test('the server\'s own node agent talks to the TLS port with its node credential, and ctl logs reads its pods through the API', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-local-agent-tls-'));
  removeAfter(t, dir);
  writeFileSync(join(dir, 'vigil.yml'), 'global:\n  scrape_interval: 15s\n');
  const { part } = await start(t, dir, { nodeName: 'local-n', portRange: { low: 47100, high: 47199 } });
  for (let i = 0; i < 400 && part.agent() === null; i++) await new Promise((r) => setTimeout(r, 25));
  assert.ok(part.agent() !== null, 'the local agent started');
  const reg = part.api()!.registry;
  const node = (await reg.get(RESOURCES.find((r) => r.resource === 'nodes')!, '', 'local-n')) as Node;
  assert.ok(Number(node.metadata.annotations?.['vigil.dev/agent-secure-port']) > 0, 'the local agent published its TLS endpoint');
  assert.ok(seen.has('Bearer node-token-local-n@tls'), 'the local agent authenticates with its node credential over TLS');
  assert.ok(!seen.has('Bearer node-token-local-n@plain'), 'and never over the plain port');
  await reg.create(PODS, 'default', {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'logger' },
    spec: { nodeName: 'local-n', terminationGracePeriodSeconds: 2, containers: [{ name: 'app', image: `${process.execPath} ${APP}`, ports: [{ name: 'http' }] }] },
  });
  let logs = { code: -1, out: '', err: '' };
  for (let i = 0; i < 400 && !logs.out.includes('listening'); i++) {
    logs = await ctl(['logs', 'logger'], dir);
    if (!logs.out.includes('listening')) await new Promise((r) => setTimeout(r, 25));
  }
  assert.equal(logs.code, 0, logs.err);
  assert.match(logs.out, /listening/);
  await reg.delete(PODS, 'default', 'logger', { gracePeriodSeconds: 0 });
});
