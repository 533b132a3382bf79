/**
 * The quick-start demo part in a real server (TSDB and SQLite cluster store in a
 * temp dir, the rules part, the cluster part without a local agent): on the
 * embedded default it writes its rules (loaded by the rule manager), creates its
 * Namespace, Deployment and Service once — a restart reuses them, keeping the
 * replica count — and its load reaches the Service port until the server
 * closes. `--no-demo`, or a configuration file, leaves the cluster and rules empty.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { alertServerPart } from '../../alert/server_part.js';
import { parseCommandArgs } from '../../cmd/cli.js';
import { SERVER_FLAGS, type ServerFlags, serverFlagsFrom } from '../../cmd/flags.js';
import { StructuredLogger } from '../../cmd/logger.js';
import { type RunningServer, startServer } from '../../cmd/server.js';
import { queryPart } from '../../query/query_part.js';
import { clusterPart } from '../cluster_part.js';
import { demoPart, type DemoPart, demoRulesFile } from './demo_part.js';
import { DEMO_LABEL, DEMO_REPLICAS } from './demo_objects.js';

const quiet = () => new StructuredLogger({ level: 'error', caller: false, sink: { write: () => {} } });

/** Flags of a server in `dir` whose default config path does not exist (so the embedded default applies). */
function flagsFor(dir: string, ...extra: string[]): ServerFlags {
  const f = serverFlagsFrom(parseCommandArgs(['--web.listen-address=127.0.0.1:0', `--storage.tsdb.path=${join(dir, 'data')}`, ...extra], SERVER_FLAGS, { min: 0, max: 0 }));
  return f.configFileGiven ? f : { ...f, configFile: join(dir, 'prometheus.yml') };
}

async function start(flags: ServerFlags, demo: DemoPart): Promise<RunningServer> {
  return startServer(flags, { logger: quiet(), baseParts: [queryPart, alertServerPart(), clusterPart({ localAgent: false }), demo] });
}

async function json(s: RunningServer, path: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const r = await fetch(`${s.url}${path}`);
  return { status: r.status, body: (await r.json()) as Record<string, unknown> };
}

async function items(s: RunningServer, path: string): Promise<Record<string, unknown>[]> {
  const r = await json(s, path);
  assert.equal(r.status, 200, `${path}: ${JSON.stringify(r.body)}`);
  return r.body.items as Record<string, unknown>[];
}

async function ruleGroups(s: RunningServer): Promise<string[]> {
  const r = await json(s, '/api/v1/rules');
  return ((r.body.data as { groups: { name: string }[] }).groups ?? []).map((g) => g.name);
}

test('the demo creates its objects once, loads its rules, and its load stops with the server', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-demo-'));
  t.after(() => rmSync(dir, { recursive: true, force: true, maxRetries: 10 }));
  // Stands in for the Service proxy: counts the demo load's requests.
  let hits = 0;
  const target = createServer((_req, res) => {
    hits++;
    res.end('ok');
  });
  await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
  t.after(() => new Promise<void>((r) => target.close(() => r())));
  const addr = target.address();
  const port = typeof addr === 'object' && addr !== null ? addr.port : 0;

  const flags = flagsFor(dir);
  assert.equal(flags.demo, true, 'the demo is on by default');
  const demo = demoPart({ servicePort: port, load: { ratePerSecond: 40, onMs: 60_000, offMs: 1000 }, retryMs: 100 });
  const s = await start(flags, demo);
  let closed = false;
  t.after(async () => {
    if (!closed) await s.close();
  });
  assert.equal(demo.enabled(), true);
  const first = await demo.deployed();
  assert.deepEqual(first, { created: ['namespace/demo', 'service/demo/web', 'deployment/demo/web'], existing: [] });

  const deployments = await items(s, '/apis/apps/v1/namespaces/demo/deployments');
  assert.equal(deployments.length, 1);
  const d = deployments[0] as { metadata: { labels: Record<string, string>; annotations: Record<string, string> }; spec: { replicas: number; template: { metadata: { annotations: Record<string, string> } } } };
  assert.equal(d.spec.replicas, DEMO_REPLICAS);
  assert.equal(d.metadata.labels[DEMO_LABEL], 'true');
  assert.equal(d.metadata.annotations['vigil.dev/max-replicas'], '6');
  assert.equal(d.spec.template.metadata.annotations['prometheus.io/scrape'], 'true');
  assert.equal((await items(s, '/api/v1/namespaces/demo/services')).length, 1);

  // The rules file is written and listed in the embedded default's rule_files, and the rules are loaded.
  const rules = demoRulesFile(flags) ?? '';
  assert.ok(existsSync(rules), rules);
  assert.deepEqual(await ruleGroups(s), ['demo-autoscaling']);
  const cfg = await json(s, '/api/v1/status/config');
  assert.ok(String((cfg.body.data as { yaml: string }).yaml).includes(rules));

  // The load reaches the Service port; scale the Deployment so the restart can show it is kept.
  const end = Date.now() + 10_000;
  while (hits < 5 && Date.now() < end) await sleep(50);
  assert.ok(hits >= 5, `the load sent requests (${hits})`);
  const admin = `Bearer ${readFileSync(join(flags.storagePath, 'cluster', 'admin.token'), 'utf8').trim()}`;
  const r = await fetch(`${s.url}/apis/apps/v1/namespaces/demo/deployments/web`, { method: 'PATCH', headers: { 'content-type': 'application/merge-patch+json', authorization: admin }, body: JSON.stringify({ spec: { replicas: 5 } }) });
  assert.equal(r.status, 200);
  await s.close();
  closed = true;
  const after = hits;
  await sleep(400);
  assert.equal(hits, after, 'no request after the server closed');
  assert.ok((demo.load()?.stats.sent ?? 0) >= after, 'the load counted what it sent');

  // Restart on the same data: everything is reused, nothing duplicated, the replica count kept.
  const demo2 = demoPart({ servicePort: port, load: { ratePerSecond: 0 } });
  const s2 = await start(flagsFor(dir), demo2);
  t.after(() => s2.close());
  assert.deepEqual(await demo2.deployed(), { created: [], existing: ['namespace/demo', 'service/demo/web', 'deployment/demo/web'] });
  const again = await items(s2, '/apis/apps/v1/namespaces/demo/deployments');
  assert.equal(again.length, 1);
  assert.equal((again[0] as { spec: { replicas: number } }).spec.replicas, 5);
  assert.equal((await items(s2, '/api/v1/namespaces/demo/services')).length, 1);
  assert.equal(demo2.load(), null, 'rate 0 starts no load');
});

test('--no-demo, or a configuration file, starts clean: no demo objects, rules or load', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-nodemo-'));
  t.after(() => rmSync(dir, { recursive: true, force: true, maxRetries: 10 }));
  const flags = flagsFor(dir, '--no-demo');
  assert.equal(flags.demo, false);
  assert.equal(demoRulesFile(flags), undefined);
  const demo = demoPart({ retryMs: 100 });
  const s = await start(flags, demo);
  t.after(() => s.close());
  assert.equal(demo.enabled(), false);
  assert.equal(await demo.deployed(), null);
  assert.equal(demo.load(), null);
  assert.equal((await json(s, '/api/v1/namespaces/demo')).status, 404);
  assert.equal((await items(s, '/apis/apps/v1/deployments')).length, 0);
  assert.deepEqual(await ruleGroups(s), []);
  assert.ok(!existsSync(join(dir, 'data', 'demo')), 'no rules file');

  // With a configuration file the demo stays off even without --no-demo.
  const dir2 = mkdtempSync(join(tmpdir(), 'vigil-nodemo-cfg-'));
  t.after(() => rmSync(dir2, { recursive: true, force: true }));
  const cfg = join(dir2, 'vigil.yml');
  writeFileSync(cfg, 'global:\n  scrape_interval: 15s\n');
  const demo2 = demoPart();
  const s2 = await start(flagsFor(dir2, `--config.file=${cfg}`), demo2);
  t.after(() => s2.close());
  assert.equal(demo2.enabled(), false);
  assert.equal((await items(s2, '/api/v1/namespaces')).some((n) => (n.metadata as { name: string }).name === 'demo'), false);
});
