import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ApiClient } from '../agent/api_client.js';
import { NodeAgent } from '../agent/node_agent.js';
import { startCtlTestServer } from './ctl_test_server.js';
import { tailLines } from './logs.js';

const APP = fileURLToPath(new URL('../../../test/fixtures/http_app.mjs', import.meta.url));

async function waitFor(what: string, fn: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await fn().catch(() => false))) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 30));
  }
}

test('tailLines keeps the last N lines', () => {
  assert.equal(tailLines('a\nb\nc\n', 2), 'b\nc\n');
  assert.equal(tailLines('a\nb\nc', 1), 'c\n');
  assert.equal(tailLines('a\nb\n', 5), 'a\nb\n');
  assert.equal(tailLines('a\nb\n', -1), 'a\nb\n');
  assert.equal(tailLines('a\nb\n', 0), '');
});

test('logs reads a running pod\'s output from its node agent; -f follows until the pod is gone', async (t) => {
  const s = await startCtlTestServer();
  const dataDir = mkdtempSync(join(tmpdir(), 'vigil-ctl-agent-'));
  const agent = new NodeAgent({
    client: new ApiClient(s.url, { retryDelayMs: 50 }),
    nodeName: 'node-l',
    dataDir,
    labels: {},
    capacity: { cpu: '2', memory: '4Gi', pods: '10' },
    listenAddress: '127.0.0.1:0',
    portRange: { low: 50000, high: 50499 },
    leaseRenewMs: 100,
    probeSecondMs: 50,
    drainMs: 50,
    sampleMs: 100,
  });
  await agent.start();
  t.after(async () => {
    await agent.stop();
    await s.close();
    rmSync(dataDir, { recursive: true, force: true });
  });
  const created = await s.api2('POST', '/api/v1/namespaces/default/pods', {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'logger' },
    spec: { nodeName: 'node-l', terminationGracePeriodSeconds: 5, containers: [{ name: 'app', image: `${process.execPath} ${APP} --version v7 --print-env GREETING`, env: [{ name: 'GREETING', value: 'hi' }] }] },
  });
  assert.equal(created.status, 201, JSON.stringify(created.json));
  await waitFor('the pod to log', async () => (await s.ctl(['logs', 'logger'])).out.includes('listening'));

  const r = await s.ctl(['logs', 'pod/logger', '-c', 'app']);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /^GREETING=hi\nlistening on [0-9]+ version v7$/);
  assert.equal((await s.ctl(['logs', 'logger', '--tail', '1'])).out.startsWith('listening on'), true);
  const wrong = await s.ctl(['logs', 'logger', '-c', 'nope']);
  assert.deepEqual(wrong, { code: 1, out: '', err: 'error: container nope is not valid for pod logger' });
  const prev = await s.ctl(['logs', 'logger', '--previous']);
  assert.equal(prev.code, 1);
  assert.match(prev.err, /previous terminated container "app" in pod "logger" not found/);

  // -f: prints what is there, keeps polling, and ends once the pod is gone.
  const lines: string[] = [];
  const following = s.ctl(['logs', 'logger', '-f'], { onOut: (l) => lines.push(l) });
  await waitFor('the first follow output', async () => lines.some((l) => l.includes('listening')));
  await s.api2('DELETE', '/api/v1/namespaces/default/pods/logger');
  const f = await following;
  assert.equal(f.code, 0, f.err);
  assert.match(f.out, /^GREETING=hi\nlistening on [0-9]+ version v7/);
});
