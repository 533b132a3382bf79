import assert from 'node:assert/strict';
import { mkdtemp, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import Fastify from 'fastify';
import type { HttpClientConfig } from '../http_client_config.js';
import { defaultTlsConfig } from '../http_client_config.js';
import { DiscoverySet } from './discovery_set.js';
import { FileDiscoverer } from './file_discoverer.js';
import { HttpDiscoverer } from './http_discoverer.js';
import { StaticDiscoverer } from './static_discoverer.js';
import { parseTargetGroups, type TargetGroup } from './target_group.js';

const CLIENT: HttpClientConfig = { basicAuth: null, authorization: null, tlsConfig: defaultTlsConfig(), followRedirects: true, enableHttp2: true };

/** Collects updates; `next()` resolves with the next one (bounded wait). */
function collector() {
  const updates: (readonly TargetGroup[])[] = [];
  const errors: Error[] = [];
  let waiter: (() => void) | null = null;
  return {
    updates,
    errors,
    onUpdate: (g: readonly TargetGroup[]) => {
      updates.push(g);
      waiter?.();
    },
    onError: (e: Error) => {
      errors.push(e);
      waiter?.();
    },
    async waitFor(pred: () => boolean, ms = 5000): Promise<void> {
      const end = Date.now() + ms;
      while (!pred()) {
        if (Date.now() > end) throw new Error('timed out waiting for a discovery update');
        await new Promise<void>((r) => {
          waiter = r;
          setTimeout(r, 50);
        });
      }
    },
  };
}

test('parseTargetGroups reads JSON and YAML and reports problems with their place', () => {
  const g = parseTargetGroups('[{"targets":["a:1","b:2"],"labels":{"env":"prod"}}]', 'json', 'f.json', { __meta_filepath: 'f.json' });
  assert.deepEqual(g, [{ targets: [{ __address__: 'a:1' }, { __address__: 'b:2' }], labels: { env: 'prod', __meta_filepath: 'f.json' }, source: 'f.json:0' }]);
  const y = parseTargetGroups('- targets: [c:3]\n', 'yaml', 'f.yml', {});
  assert.deepEqual(y[0]!.targets, [{ __address__: 'c:3' }]);
  assert.throws(() => parseTargetGroups('{"targets":[]}', 'json', 'f.json', {}), /f\.json: expected a list of target groups, received a mapping/);
  assert.throws(() => parseTargetGroups('[null]', 'json', 'f.json', {}), /nil target group item found \(index 0\)/);
  assert.throws(() => parseTargetGroups('[{"targets":[1]}]', 'json', 'f.json', {}), /target group 0: target 0: expected a string, received number 1/);
  assert.throws(() => parseTargetGroups('[{"targets":[],"labels":{"a":1}}]', 'json', 'f.json', {}), /label "a": expected a string value/);
  assert.throws(() => parseTargetGroups('[{"target":[]}]', 'json', 'f.json', {}), /unknown field "target"/);
  assert.throws(() => parseTargetGroups('[{', 'json', 'f.json', {}), /f\.json: cannot parse JSON/);
});

test('static discoverer reports its groups once with index sources', () => {
  const c = collector();
  const d = new StaticDiscoverer([{ targets: ['a:1'], labels: { x: 'y' } }, { targets: ['b:2'], labels: {} }]);
  d.start(c.onUpdate, c.onError);
  assert.deepEqual(c.updates, [
    [
      { targets: [{ __address__: 'a:1' }], labels: { x: 'y' }, source: '0' },
      { targets: [{ __address__: 'b:2' }], labels: {}, source: '1' },
    ],
  ]);
});

test('file discoverer reads globs, notices changes, clears removed sources and keeps the last good on errors', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'vigil-filesd-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const a = join(dir, 'a.json');
  const b = join(dir, 'b.yml');
  await writeFile(a, JSON.stringify([{ targets: ['a:1'] }, { targets: ['a:2'], labels: { tier: 'db' } }]));
  await writeFile(b, '- targets: ["b:1"]\n');
  const c = collector();
  const set = new DiscoverySet([new FileDiscoverer({ files: [join(dir, '*.json'), join(dir, '*.yml')], refreshInterval: 3_600_000 })], c.onUpdate, { coalesceMs: 0, onError: (_m, e) => c.onError(e) });
  // DiscoverySet merges; drive the file discoverer through it.
  set.start();
  t.after(() => set.stop());
  await c.waitFor(() => c.updates.length >= 1);
  const addrs = (g: readonly TargetGroup[]) => g.flatMap((x) => x.targets.map((tt) => tt.__address__)).sort();
  assert.deepEqual(addrs(c.updates.at(-1)!), ['a:1', 'a:2', 'b:1']);
  const dbGroup = c.updates.at(-1)!.find((g) => g.source === `${a}:1`)!;
  assert.deepEqual(dbGroup.labels, { tier: 'db', __meta_filepath: a });

  // A change is picked up through fs.watch (no refresh interval elapses in this test).
  await writeFile(a, JSON.stringify([{ targets: ['a:9'] }]));
  await c.waitFor(() => addrs(c.updates.at(-1)!).join() === 'a:9,b:1');

  // A broken file keeps its last good groups and reports an error naming the file.
  const errorsBefore = c.errors.length;
  await writeFile(b, '- targets: [unclosed\n');
  await c.waitFor(() => c.errors.length > errorsBefore);
  assert.match(c.errors.at(-1)!.message, new RegExp(`${b.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: cannot parse YAML`));
  assert.deepEqual(addrs(set.current()), ['a:9', 'b:1']);

  // A removed file clears its groups.
  await unlink(a);
  await c.waitFor(() => addrs(set.current()).join() === 'b:1');
});

test('file discoverer re-reads every refresh interval', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'vigil-filesd-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const f = join(dir, 't.json');
  await writeFile(f, '[{"targets":["x:1"]}]');
  const d = new FileDiscoverer({ files: [f], refreshInterval: 3_600_000 });
  const c = collector();
  d.start(c.onUpdate, c.onError);
  t.after(() => d.stop());
  await c.waitFor(() => c.updates.length >= 1);
  await d.refresh();
  const n = c.updates.length;
  await d.refresh();
  assert.equal(c.updates.length, n + 1, 'each refresh reports the current groups');
});

test('http discoverer follows Prometheus format and checks, clears vanished groups, keeps last good on failure', async (t) => {
  const app = Fastify();
  let reply: { status: number; type: string; body: string } = { status: 200, type: 'application/json', body: '[{"targets":["h:1"],"labels":{"a":"b"}},{"targets":["h:2"]}]' };
  let accept = '';
  app.get('/sd', async (req, res) => {
    accept = req.headers.accept ?? '';
    return res.code(reply.status).type(reply.type).send(reply.body);
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  t.after(() => app.close());
  const url = `http://127.0.0.1:${(app.server.address() as { port: number }).port}/sd`;
  const d = new HttpDiscoverer({ url, refreshInterval: 3_600_000, httpClientConfig: CLIENT });
  const c = collector();
  d.start(c.onUpdate, c.onError);
  t.after(() => d.stop());
  await c.waitFor(() => c.updates.length >= 1);
  assert.equal(accept, 'application/json');
  assert.deepEqual(c.updates[0], [
    { targets: [{ __address__: 'h:1' }], labels: { a: 'b', __meta_url: url }, source: `${url}:0` },
    { targets: [{ __address__: 'h:2' }], labels: { __meta_url: url }, source: `${url}:1` },
  ]);

  reply = { status: 200, type: 'application/json; charset=utf-8', body: '[{"targets":["h:3"]}]' };
  await d.refresh();
  assert.deepEqual(c.updates.at(-1), [
    { targets: [{ __address__: 'h:3' }], labels: { __meta_url: url }, source: `${url}:0` },
    { targets: [], labels: {}, source: `${url}:1` },
  ]);

  const n = c.updates.length;
  reply = { status: 200, type: 'text/plain', body: '[]' };
  await d.refresh();
  assert.match(c.errors.at(-1)!.message, /unsupported content type "text\/plain/);
  reply = { status: 503, type: 'application/json', body: '[]' };
  await d.refresh();
  assert.match(c.errors.at(-1)!.message, /server returned HTTP status 503 Service Unavailable/);
  reply = { status: 200, type: 'application/json', body: '[{"targets":"x"}]' };
  await d.refresh();
  assert.match(c.errors.at(-1)!.message, /expected "targets" to be a list of strings/);
  assert.equal(c.updates.length, n, 'failed refreshes report nothing: the last good groups stay');
});

test('discovery set merges discoverers, removes emptied sources and coalesces bursts', async () => {
  const updates: string[][] = [];
  let push: ((g: readonly TargetGroup[]) => void) | null = null;
  const manual = {
    mechanism: 'manual',
    start(on: (g: readonly TargetGroup[]) => void) {
      push = on;
    },
    stop() {},
  };
  const set = new DiscoverySet([new StaticDiscoverer([{ targets: ['s:1'], labels: {} }]), manual], (g) => updates.push(g.flatMap((x) => x.targets.map((tt) => tt.__address__ ?? ''))), {
    coalesceMs: 20,
  });
  set.start();
  assert.deepEqual(updates, [['s:1']]);
  push!([{ targets: [{ __address__: 'm:1' }], labels: {}, source: 'x' }]);
  push!([{ targets: [{ __address__: 'm:2' }], labels: {}, source: 'x' }]);
  await new Promise((r) => setTimeout(r, 60));
  assert.deepEqual(updates, [['s:1'], ['s:1', 'm:2']]);
  push!([{ targets: [], labels: {}, source: 'x' }]);
  await new Promise((r) => setTimeout(r, 60));
  assert.deepEqual(updates.at(-1), ['s:1']);
  set.stop();
});
