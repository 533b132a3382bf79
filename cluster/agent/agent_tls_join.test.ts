import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { openClusterApi } from '../api/api_server.js';
import type { Node } from '../api/objects.js';
import { RESOURCES } from '../api/resources.js';
import { bootstrapTokenSecret, generateBootstrapToken } from '../pki/bootstrap_token.js';
import { startClusterTls } from '../pki/cluster_tls.js';
import { tlsFetch } from '../pki/tls_fetch.js';

const VIGIL = fileURLToPath(new URL('../../cmd/vigil.js', import.meta.url));
const SECRETS = RESOURCES.find((r) => r.resource === 'secrets')!;
const NODES = RESOURCES.find((r) => r.resource === 'nodes')!;
const PODS = RESOURCES.find((r) => r.resource === 'pods')!;
const APP = fileURLToPath(new URL('../../../test/fixtures/http_app.mjs', import.meta.url));

function run(args: string[]): { exited: Promise<number | null>; stderr: () => string; kill: (s: NodeJS.Signals) => void } {
  const child = spawn(process.execPath, [VIGIL, 'agent', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr.on('data', (b: Buffer) => {
    err += b.toString();
  });
  return { exited: new Promise((r) => child.once('exit', (c) => r(c))), stderr: () => err, kill: (s) => child.kill(s) };
}

test('vigil agent joins over TLS with a bootstrap token and CA pin, restarts on the stored credential, and refuses a wrong CA hash', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-agent-tls-'));
  const users: string[] = [];
  const api = await openClusterApi(`sqlite://${join(dir, 'c.db')}`, {
    compactIntervalMs: 0,
    quotaResyncMs: 0,
    maxWatchSeconds: 5,
    agentClientTls: () => tlsRef?.agentClientTls() ?? null,
    authenticate: (req) => {
      if (req.headers.authorization === 'Bearer admin') return { name: 'admin', groups: ['system:masters'] };
      const m = /^Bearer node-token-([a-z0-9.-]+)$/.exec(String(req.headers.authorization ?? ''));
      if (m === null) return null;
      users.push(m[1]!);
      return { name: `system:node:${m[1]}`, groups: ['system:nodes'] };
    },
  });
  let tlsRef: Awaited<ReturnType<typeof startClusterTls>> | null = null;
  const tls = await startClusterTls({
    clusterDir: join(dir, 'cluster'),
    listen: { host: '127.0.0.1', port: 0 },
    api,
    ensureAdminToken: async () => 'admin',
    issueNodeCredential: async (n) => `node-token-${n}`,
  });
  tlsRef = tls;
  t.after(async () => {
    await tls.close();
    await api.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const token = generateBootstrapToken();
  await api.registry.create(SECRETS, 'kube-system', bootstrapTokenSecret(token, Date.now() + 600_000));
  const dataDir = join(dir, 'agent');
  const common = ['--node-name=tls-node', `--data-dir=${dataDir}`, '--listen-address=127.0.0.1:0', '--port-range=47000-47099'];

  const wrong = run([`--server=${tls.url}`, `--token=${token}`, `--ca-cert-hash=sha256:${'ab'.repeat(32)}`, ...common]);
  assert.equal(await wrong.exited, 1);
  assert.match(wrong.stderr(), /cannot join https:\/\/127\.0\.0\.1:[0-9]+: the server's CA does not match --ca-cert-hash/);

  const ready = async (a: ReturnType<typeof run>, what: string) => {
    for (let i = 0; i < 400; i++) {
      const n = (await api.registry.get(NODES, '', 'tls-node').catch(() => null)) as Node | null;
      // Running = its SIGTERM handler is installed.
      if (n?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') && a.stderr().includes('node agent running')) return;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error(`${what}: the node did not become Ready; agent stderr:\n${a.stderr()}`);
  };
  const first = run([`--server=${tls.url}`, `--token=${token}`, `--ca-cert-hash=${tls.caCertHash}`, ...common]);
  t.after(() => first.kill('SIGKILL'));
  await ready(first, 'first start');
  assert.equal(statSync(join(dataDir, 'node.conf')).mode & 0o777, 0o600);
  assert.equal(statSync(join(dataDir, 'agent.key')).mode & 0o777, 0o600);
  assert.match(first.stderr(), /joined the cluster with the bootstrap token/);

  // The agent's TLS endpoint: /metrics open, /logs only with the API server's client certificate; logs reach ctl through the API.
  const node = (await api.registry.get(NODES, '', 'tls-node')) as Node;
  const securePort = Number(node.metadata.annotations?.['vigil.dev/agent-secure-port']);
  const plainPort = node.status!.daemonEndpoints!.agentEndpoint.Port;
  assert.ok(securePort > 0 && securePort !== plainPort);
  const trusting = tlsFetch({ ca: tls.caCertPem });
  assert.equal((await trusting(`https://127.0.0.1:${securePort}/metrics`)).status, 200);
  await api.registry.create(PODS, 'default', {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'logger', namespace: 'default' },
    spec: { nodeName: 'tls-node', terminationGracePeriodSeconds: 2, containers: [{ name: 'app', image: `${process.execPath} ${APP}`, ports: [{ name: 'http' }] }] },
  });
  const logPath = '/logs/default/logger/app';
  let proxied = '';
  for (let i = 0; i < 400 && !proxied.includes('listening'); i++) {
    const r = await trusting(`${tls.url}/api/v1/namespaces/default/pods/logger/log`, { headers: { authorization: 'Bearer admin' } });
    proxied = r.status === 200 ? await r.text() : '';
    if (!proxied.includes('listening')) await new Promise((res) => setTimeout(res, 25));
  }
  assert.match(proxied, /listening/, 'ctl-style log read through the API server and the agent TLS endpoint');
  assert.equal((await trusting(`https://127.0.0.1:${securePort}${logPath}`)).status, 403, 'no client certificate: refused');
  const nodeCert = tlsFetch({ ca: tls.caCertPem, cert: readFileSync(join(dataDir, 'agent.crt'), 'utf8'), key: readFileSync(join(dataDir, 'agent.key'), 'utf8') });
  assert.equal((await nodeCert(`https://127.0.0.1:${securePort}${logPath}`)).status, 403, 'a CA certificate that is not the API server\'s: refused');
  assert.equal((await tlsFetch(tls.agentClientTls())(`https://127.0.0.1:${securePort}${logPath}`)).status, 200);
  assert.equal((await fetch(`http://127.0.0.1:${plainPort}${logPath}`)).status, 404, 'the plain port serves no logs');
  assert.equal((await fetch(`http://127.0.0.1:${plainPort}/metrics`)).status, 200, 'the plain port keeps /metrics for scraping');
  await api.registry.delete(PODS, 'default', 'logger', { gracePeriodSeconds: 0 });
  first.kill('SIGTERM');
  assert.equal(await first.exited, 0, first.stderr());

  // The bootstrap token is gone; the agent needs only its stored credential now.
  await api.registry.delete(SECRETS, 'kube-system', `bootstrap-token-${token.split('.')[0]}`);
  await api.registry.update(NODES, '', 'tls-node', { ...(await api.registry.get(NODES, '', 'tls-node')), status: { conditions: [{ type: 'Ready', status: 'False' }] } }, { subresource: 'status' });
  const second = run([`--server=${tls.url}`, ...common]);
  t.after(() => second.kill('SIGKILL'));
  await ready(second, 'restart');
  assert.match(second.stderr(), /using the stored node credential/);
  second.kill('SIGTERM');
  assert.equal(await second.exited, 0, second.stderr());
  assert.ok(users.length > 0 && users.every((u) => u === 'tls-node'), 'every request carried the node credential');
});
