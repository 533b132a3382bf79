import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FieldSelectorError, parseFieldSelector } from './field_selector.js';

test('field selector matches dotted paths with =, == and !=; missing fields are ""', () => {
  const pod = { metadata: { name: 'web', namespace: 'default' }, spec: { nodeName: 'n1' }, status: { phase: 'Running' } };
  assert.equal(parseFieldSelector('spec.nodeName=n1').matches(pod), true);
  assert.equal(parseFieldSelector('spec.nodeName==n2').matches(pod), false);
  assert.equal(parseFieldSelector('spec.nodeName=n1,status.phase!=Failed').matches(pod), true);
  assert.equal(parseFieldSelector('spec.nodeName=').matches({ spec: {} }), true, 'unbound pods have nodeName ""');
  assert.equal(parseFieldSelector('spec.nodeName!=').matches({ spec: {} }), false);
  assert.equal(parseFieldSelector('').empty, true);
});

test('field selector rejects unknown fields and bad syntax, naming what is allowed', () => {
  assert.throws(() => parseFieldSelector('spec.image=x'), (e: unknown) => e instanceof FieldSelectorError && /supported fields: metadata.name/.test(e.message));
  assert.throws(() => parseFieldSelector('spec.nodeName'), /expected FIELD=VALUE/);
});
