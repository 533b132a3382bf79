/**
 * A node agent under the real authorizers: it runs with a node credential,
 * starts a pod with a Secret volume, writes the pod's service account token
 * into the pod directory (a token that authenticates as the pod's service
 * account), and keeps the Secret volume current by polling what its pod uses.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parseCommandArgs } from '../../cmd/cli.js';
import { SERVER_FLAGS, serverFlagsFrom } from '../../cmd/flags.js';
import { StructuredLogger } from '../../cmd/logger.js';
import { startServer } from '../../cmd/server.js';
import { ApiClient, PODS, SECRETS } from '../agent/api_client.js';
import { NodeAgent } from '../agent/node_agent.js';
import { serviceAccountTokenPath } from '../agent/pod_dir.js';
import type { Pod, Secret } from '../api/objects.js';
import { clusterPart } from '../cluster_part.js';

const APP = fileURLToPath(new URL('../../../test/fixtures/http_app.mjs', import.meta.url));

async function waitFor<T>(what: string, fn: () => Promise<T | undefined | null | false>, timeoutMs = 15_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined && v !== null && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('a node agent with a node credential runs a pod with a Secret volume and its service account token', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-agent-cred-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const cfg = join(dir, 'vigil.yml');
  writeFileSync(cfg, 'global:\n  scrape_interval: 15s\n');
  const flags = serverFlagsFrom(parseCommandArgs(['--web.listen-address=127.0.0.1:0', `--config.file=${cfg}`, `--storage.tsdb.path=${join(dir, 'data')}`], SERVER_FLAGS, { min: 0, max: 0 }));
  const part = clusterPart({ localAgent: false, noControllers: true });
  const server = await startServer(flags, { logger: new StructuredLogger({ level: 'error', caller: false, sink: { write: () => {} } }), baseParts: [part] });
  const auth = part.auth()!;
  const adminToken = await auth.adminToken();
  const admin = new ApiClient(server.url, { headers: () => ({ authorization: `Bearer ${adminToken}` }) });
  const credential = await auth.issueNodeCredential('node-s');
  const agent = new NodeAgent({
    client: new ApiClient(server.url, { retryDelayMs: 50, headers: () => ({ authorization: `Bearer ${credential}` }) }),
    nodeName: 'node-s',
    dataDir: join(dir, 'agent'),
    capacity: { cpu: '2', memory: '2Gi', pods: '10' },
    listenAddress: '127.0.0.1:0',
    portRange: { low: 43000, high: 43499 },
    leaseRenewMs: 500,
    probeSecondMs: 100,
    drainMs: 50,
    volumeRefreshMs: 100,
  });
  await agent.start();
  t.after(async () => {
    await agent.stop();
    await server.close();
  });
  await admin.create<Secret>(SECRETS('default'), { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'app-secret', namespace: 'default' }, stringData: { password: 'one' } });
  await admin.create<Pod>(PODS('default'), {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'app', namespace: 'default' },
    spec: {
      nodeName: 'node-s',
      terminationGracePeriodSeconds: 2,
      volumes: [{ name: 'sec', secret: { secretName: 'app-secret' } }],
      containers: [{ name: 'app', image: `${process.execPath} ${APP}`, ports: [{ name: 'http' }], volumeMounts: [{ name: 'sec', mountPath: 'secret' }] }],
    },
  });
  const running = await waitFor('the pod Running', async () => {
    const p = await admin.get<Pod>(PODS('default'), 'app');
    return p.status?.phase === 'Running' ? p : undefined;
  });
  const podDir = [...agent.pods.values()][0]!.dir;
  assert.equal(readFileSync(join(podDir, 'secret', 'password'), 'utf8'), 'one');
  // The service account token: 0600, bound to this pod, authenticating as default/default.
  const tokenFile = serviceAccountTokenPath(join(dir, 'agent'), running);
  await waitFor('the token file', async () => existsSync(tokenFile));
  assert.equal(statSync(tokenFile).mode & 0o777, 0o600);
  const token = readFileSync(tokenFile, 'utf8');
  const claims = auth.tokens.verifyClaims(token)!;
  assert.equal(claims.sub, 'system:serviceaccount:default:default');
  assert.deepEqual(claims.pod, { namespace: 'default', name: 'app', uid: running.metadata.uid });
  const asPod = await fetch(`${server.url}/api/v1/namespaces/default/secrets/app-secret`, { headers: { authorization: `Bearer ${token}` } });
  assert.equal(asPod.status, 403, 'the service account has no bindings');
  assert.match(((await asPod.json()) as { message: string }).message, /User "system:serviceaccount:default:default" cannot get/);
  // Logs from the agent: only for callers whose token may get pods/log of the pod (asked of the API server).
  const node = await admin.get<{ apiVersion: string; kind: string; metadata: { name: string }; status?: { daemonEndpoints?: { agentEndpoint: { Port: number } } } }>({ prefix: '/api/v1', resource: 'nodes' }, 'node-s');
  const logs = `http://127.0.0.1:${node.status?.daemonEndpoints?.agentEndpoint.Port}/logs/default/app/app`;
  assert.equal((await fetch(logs)).status, 401, 'no token');
  assert.equal((await fetch(logs, { headers: { authorization: `Bearer ${token}` } })).status, 403, 'a token without pods/log');
  assert.equal((await fetch(logs, { headers: { authorization: `Bearer ${adminToken}` } })).status, 200);
  // The Secret volume follows the Secret (polled by name: the node may not watch all Secrets).
  const s = await admin.get<Secret>(SECRETS('default'), 'app-secret');
  await admin.update<Secret>(SECRETS('default'), { ...s, data: { password: Buffer.from('two').toString('base64') } });
  await waitFor('the refreshed secret volume', async () => readFileSync(join(podDir, 'secret', 'password'), 'utf8') === 'two');
  // The pod is gone: so is its token's validity.
  await admin.delete(PODS('default'), 'app');
  await waitFor('the pod deleted', async () => (await admin.tryGet<Pod>(PODS('default'), 'app')) === null);
  const fresh = await fetch(`${server.url}/api/v1/namespaces/default/pods`, { headers: { authorization: `Bearer ${token}` } });
  // The authenticator may trust its positive pod check for a few seconds; after that the token is dead.
  assert.ok(fresh.status === 401 || fresh.status === 403);
  await waitFor('the token refused', async () => (await fetch(`${server.url}/api/v1/namespaces/default/pods`, { headers: { authorization: `Bearer ${token}` } })).status === 401, 10_000);
});
