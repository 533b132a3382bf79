import assert from 'node:assert/strict';
import { test } from 'node:test';
import { dns1123Label } from './names.js';
import type { PodTemplateSpec } from './objects.js';
import { canonicalJson, podTemplateHash } from './pod_template_hash.js';

const tpl = (image: string): PodTemplateSpec => ({ metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image }] } });

test('pod template hash ignores key order and changes with the template', () => {
  const a: PodTemplateSpec = { spec: { containers: [{ name: 'web', image: 'v1' }] }, metadata: { labels: { b: '2', a: '1' } } };
  const b: PodTemplateSpec = { metadata: { labels: { a: '1', b: '2' } }, spec: { containers: [{ image: 'v1', name: 'web' }] } };
  assert.equal(podTemplateHash(a), podTemplateHash(b));
  assert.notEqual(podTemplateHash(tpl('node app.js --v1')), podTemplateHash(tpl('node app.js --v2')));
  assert.notEqual(podTemplateHash(tpl('x')), podTemplateHash(tpl('x'), 1), 'collisionCount perturbs the hash');
  assert.equal(canonicalJson({ b: [2, { d: 1, c: undefined }], a: 'x' }), '{"a":"x","b":[2,{"d":1}]}');
});

test('pod template hashes are valid DNS labels over many templates, with few collisions', () => {
  const seen = new Set<string>();
  for (let i = 0; i < 2000; i++) {
    const h = podTemplateHash(tpl(`node app.js --rev=${i}`));
    assert.deepEqual(dns1123Label(`web-${h}`), [], h);
    assert.ok(h.length >= 1 && h.length <= 10);
    seen.add(h);
  }
  assert.ok(seen.size >= 1998, `${2000 - seen.size} collisions in 2000`);
});
