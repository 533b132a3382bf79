import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ApiClient } from '../agent/api_client.js';
import { NodeAgent } from '../agent/node_agent.js';
import { startCtlTestServer } from './ctl_test_server.js';
import { formatCores, formatMemory } from './top.js';

const APP = fileURLToPath(new URL('../../../test/fixtures/http_app.mjs', import.meta.url));
const HAVE_PROMETHEUS = spawnSync('prometheus', ['--version']).status === 0;

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const a = srv.address();
  await new Promise((r) => srv.close(r));
  return typeof a === 'object' && a !== null ? a.port : 0;
}

async function waitFor(what: string, fn: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await fn().catch(() => false))) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('formatCores and formatMemory print kubectl top units', () => {
  assert.equal(formatCores(0.25), '250m');
  assert.equal(formatCores(0), '0m');
  assert.equal(formatMemory(512 * 1024 * 1024), '512Mi');
});

test(
  'top pods and top nodes read the agent metrics through a real Prometheus query API',
  { skip: HAVE_PROMETHEUS ? false : 'prometheus is not installed (test/setup_deps.mjs installs it)' },
  async (t) => {
    const s = await startCtlTestServer();
    const dataDir = mkdtempSync(join(tmpdir(), 'vigil-ctl-top-'));
    const agent = new NodeAgent({
      client: new ApiClient(s.url, { retryDelayMs: 50 }),
      nodeName: 'node-t',
      dataDir,
      labels: {},
      capacity: { cpu: '2', memory: '4Gi', pods: '10' },
      listenAddress: '127.0.0.1:0',
      portRange: { low: 50500, high: 50999 },
      leaseRenewMs: 100,
      probeSecondMs: 50,
      drainMs: 50,
      sampleMs: 100,
    });
    await agent.start();
    const promPort = await freePort();
    writeFileSync(
      join(dataDir, 'prometheus.yml'),
      `global: {scrape_interval: 1s}\nscrape_configs:\n  - job_name: agent\n    static_configs: [{targets: ['127.0.0.1:${agent.port}']}]\n`,
    );
    let prom: ChildProcess | null = null;
    t.after(async () => {
      prom?.kill('SIGKILL');
      await agent.stop();
      await s.close();
      rmSync(dataDir, { recursive: true, force: true });
    });

    // Before any metrics exist the command says so.
    const early = await s.ctl(['top', 'pods', `--metrics-server=http://127.0.0.1:${promPort}`]);
    assert.equal(early.code, 1);
    assert.match(early.err, /^error: metrics not available yet/);

    prom = spawn(
      'prometheus',
      [`--config.file=${join(dataDir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dataDir, 'prom')}`, `--web.listen-address=127.0.0.1:${promPort}`],
      { stdio: 'ignore' },
    );
    const created = await s.api2('POST', '/api/v1/namespaces/default/pods', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'busy' },
      spec: { nodeName: 'node-t', containers: [{ name: 'app', image: `${process.execPath} ${APP}` }] },
    });
    assert.equal(created.status, 201);
    const flag = `--metrics-server=http://127.0.0.1:${promPort}`;
    let out = '';
    await waitFor('top pods to show the pod', async () => {
      const r = await s.ctl(['top', 'pods', flag]);
      out = r.out;
      return r.code === 0;
    });
    const lines = out.split('\n');
    assert.match(lines[0]!, /^NAME {3}CPU\(cores\) {3}MEMORY\(bytes\)$/);
    const m = /^busy {3}([0-9]+)m {4,}([0-9]+)Mi$/.exec(lines[1]!);
    assert.ok(m, lines[1]);
    assert.ok(Number(m[2]) > 5, `a node process uses more than 5 MiB, got ${m[2]}Mi`);

    const nodes = await s.ctl(['top', 'nodes', flag]);
    assert.equal(nodes.code, 0, nodes.err);
    const nl = nodes.out.split('\n');
    assert.match(nl[0]!, /^NAME {5}CPU\(cores\) {3}CPU% {3}MEMORY\(bytes\) {3}MEMORY%$/);
    assert.match(nl[1]!, /^node-t {3}[0-9]+m +[0-9]+% +[0-9]+Mi +[0-9]+%$/);
  },
);
