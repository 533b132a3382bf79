/**
 * End to end: `vigil server` with its local node agent runs a pod of the HTTP fixture
 * annotated for scraping; the embedded default configuration's cluster jobs discover
 * it (and the node agent) through `vigil_sd_configs`, and the samples reach the TSDB,
 * read back through the query API.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseCommandArgs } from '../cmd/cli.js';
import { embeddedDefaultConfigText } from '../cmd/config.js';
import { SERVER_FLAGS, serverFlagsFrom } from '../cmd/flags.js';
import { StructuredLogger } from '../cmd/logger.js';
import { startServer } from '../cmd/server.js';
import { ApiClient, NODES as NODES_REF, PODS } from '../cluster/agent/api_client.js';
import type { Pod } from '../cluster/api/objects.js';
import { clusterPart } from '../cluster/cluster_part.js';
import { queryPart } from '../query/query_part.js';
import { scrapePart } from '../scrape/scrape_part.js';

const APP = fileURLToPath(new URL('../../test/fixtures/http_app.mjs', import.meta.url));

interface Sample {
  metric: Record<string, string>;
  value: [number, string];
}

test('the server runs a local agent; an annotated pod and the node agent are scraped into the TSDB', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-cluster-mon-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  // The real embedded default, scraping every 500ms so the test is quick.
  const cfg = join(dir, 'vigil.yml');
  writeFileSync(cfg, embeddedDefaultConfigText(1).replace('scrape_interval: 1m', 'scrape_interval: 500ms'));
  const flags = serverFlagsFrom(parseCommandArgs(['--web.listen-address=127.0.0.1:0', `--config.file=${cfg}`, `--storage.tsdb.path=${join(dir, 'data')}`], SERVER_FLAGS, { min: 0, max: 0 }));
  assert.equal(flags.clusterLocalAgent, true, 'the local agent is on by default');
  const part = clusterPart({ localAgent: { portRange: { low: 41000, high: 41999 }, nodeStatusMs: 1000 } });
  const server = await startServer(flags, { logger: new StructuredLogger({ level: 'error', caller: false, sink: { write: () => {} } }), baseParts: [queryPart, scrapePart, part] });
  let closed = false;
  t.after(async () => {
    if (!closed) await server.close();
  });
  const agent = part.agent();
  assert.ok(agent !== null, 'the local agent started once the server was ready');

  const admin = await part.auth()!.adminToken();
  const client = new ApiClient(server.url, { headers: () => ({ authorization: `Bearer ${admin}` }) });
  const node = hostname().toLowerCase();
  assert.equal((await client.get(NODES_REF, node)).metadata.name, node, 'the node is registered under the host name');

  await client.create<Pod>(PODS('default'), {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'metrics-app', labels: { app: 'shop' }, annotations: { 'prometheus.io/scrape': 'true', 'prometheus.io/path': '/metrics' } },
    spec: { containers: [{ name: 'app', image: `${process.execPath} ${APP} --version v7`, ports: [{ name: 'http' }] }], terminationGracePeriodSeconds: 5 },
  });
  // Another pod that does not ask to be scraped.
  await client.create<Pod>(PODS('default'), {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'quiet-app', labels: { app: 'quiet' } },
    spec: { containers: [{ name: 'app', image: `${process.execPath} ${APP}`, ports: [{ name: 'http' }] }], terminationGracePeriodSeconds: 5 },
  });

  const query = async (q: string): Promise<Sample[]> => {
    const r = await fetch(`${server.url}/api/v1/query?query=${encodeURIComponent(q)}`);
    const body = (await r.json()) as { status: string; data: { result: Sample[] } };
    assert.equal(body.status, 'success', JSON.stringify(body));
    return body.data.result;
  };
  const waitFor = async (q: string): Promise<Sample[]> => {
    const end = Date.now() + 30_000;
    let res: Sample[] = [];
    while (Date.now() < end) {
      res = await query(q);
      if (res.length > 0) return res;
      await sleep(200);
    }
    const targets = await (await fetch(`${server.url}/api/v1/targets`)).text();
    assert.fail(`no result for ${q} within 30 s; targets: ${targets.slice(0, 4000)}`);
  };

  const info = await waitFor('http_app_info');
  assert.equal(info.length, 1);
  const m = info[0]!.metric;
  assert.equal(m.version, 'v7');
  assert.equal(m.job, 'vigil-pods');
  assert.equal(m.namespace, 'default');
  assert.equal(m.pod, 'metrics-app');
  assert.equal(m.app, 'shop');
  assert.equal(m.node, node);
  assert.match(m.instance ?? '', /^127\.0\.0\.1:41[0-9]{3}$/, 'the instance is the pod address with its allocated port');

  const nodeUp = await waitFor('up{job="vigil-nodes"} == 1');
  assert.equal(nodeUp[0]?.metric.instance, node);
  // The agent's own metrics about its pods came in through the node job.
  assert.ok((await query('up{job="vigil-pods"}')).every((s) => s.metric.pod === 'metrics-app'), 'the unannotated pod is not scraped');

  closed = true;
  const t0 = Date.now();
  await server.close();
  assert.equal(part.agent(), null, 'closing the server stops the local agent');
  assert.ok(Date.now() - t0 < 15_000, 'closing is bounded');
});

