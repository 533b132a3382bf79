import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Service } from '../api/objects.js';
import { Informer, objectKey, splitKey } from './informer.js';
import { SERVICES } from './resources.js';
import { testCluster } from './test_env.js';

const svc = (name: string, port = 80): unknown => ({ apiVersion: 'v1', kind: 'Service', metadata: { name }, spec: { selector: { app: name }, ports: [{ port }] } });

async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(cond(), 'condition not reached within 2 s');
}

test('informer lists, then follows the watch: add, update and delete reach the cache and the handlers', async (t) => {
  const c = await testCluster(t);
  await c.registry.create(SERVICES, 'default', svc('before'));
  const inf = new Informer<Service>(c.registry, SERVICES);
  const seen: string[] = [];
  inf.addHandlers({
    onAdd: (o) => seen.push(`add ${objectKey(o)}`),
    onUpdate: (old, o) => seen.push(`update ${objectKey(o)} ${old.spec.ports[0]?.port}->${o.spec.ports[0]?.port}`),
    onDelete: (o) => seen.push(`delete ${objectKey(o)}`),
  });
  t.after(() => inf.stop());
  assert.equal(inf.hasSynced(), false);
  await inf.start();
  assert.equal(inf.hasSynced(), true);
  assert.deepEqual(seen, ['add default/before']);
  await c.registry.create(SERVICES, 'default', svc('web'));
  const cur = (await c.registry.get(SERVICES, 'default', 'web')) as Service;
  await c.registry.update(SERVICES, 'default', 'web', { ...cur, spec: { ...cur.spec, ports: [{ port: 81 }] } });
  await c.registry.delete(SERVICES, 'default', 'before');
  await until(() => seen.length === 4);
  assert.deepEqual(seen, ['add default/before', 'add default/web', 'update default/web 80->81', 'delete default/before']);
  assert.deepEqual(inf.list().map(objectKey), ['default/web']);
  assert.equal(inf.get('default/web')?.spec.ports[0]?.port, 81);
  // A resync offers every cached object again as an update of itself.
  inf.resync();
  assert.equal(seen.at(-1), 'update default/web 81->81');
});

test('object keys round-trip through splitKey', () => {
  assert.deepEqual(splitKey('ns/name'), { namespace: 'ns', name: 'name' });
  assert.deepEqual(splitKey('node-1'), { namespace: '', name: 'node-1' });
});
