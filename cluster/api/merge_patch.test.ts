import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyMergePatch, applyStrategicPatch } from './merge_patch.js';

test('merge patch follows RFC 7386 examples', () => {
  // The examples of RFC 7386 section 3.
  const cases: [unknown, unknown, unknown][] = [
    [{ a: 'b' }, { a: 'c' }, { a: 'c' }],
    [{ a: 'b' }, { b: 'c' }, { a: 'b', b: 'c' }],
    [{ a: 'b' }, { a: null }, {}],
    [{ a: 'b', b: 'c' }, { a: null }, { b: 'c' }],
    [{ a: ['b'] }, { a: 'c' }, { a: 'c' }],
    [{ a: 'c' }, { a: ['b'] }, { a: ['b'] }],
    [{ a: { b: 'c' } }, { a: { b: 'd', c: null } }, { a: { b: 'd' } }],
    [{ a: [{ b: 'c' }] }, { a: [1] }, { a: [1] }],
    [['a', 'b'], ['c', 'd'], ['c', 'd']],
    [{ a: 'b' }, ['c'], ['c']],
    [{ a: 'foo' }, null, null],
    [{ a: 'foo' }, 'bar', 'bar'],
    [{ e: null }, { a: 1 }, { e: null, a: 1 }],
    [[1, 2], { a: 'b', c: null }, { a: 'b' }],
    [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
  ];
  for (const [target, patch, want] of cases) assert.deepEqual(applyMergePatch(target, patch), want, JSON.stringify([target, patch]));
  const t = { a: { b: 1 } };
  applyMergePatch(t, { a: { b: 2 } });
  assert.deepEqual(t, { a: { b: 1 } }, 'the target is not modified');
});

test('strategic patch merges containers by name, container ports by containerPort, service ports by port', () => {
  const pod = {
    spec: {
      containers: [
        { name: 'app', image: 'v1', ports: [{ containerPort: 80, name: 'http' }], env: [{ name: 'A', value: '1' }] },
        { name: 'side', image: 's1' },
      ],
    },
  };
  const out = applyStrategicPatch(pod, {
    spec: { containers: [{ name: 'app', ports: [{ containerPort: 80, name: 'web' }, { containerPort: 81 }], env: [{ name: 'B', value: '2' }] }, { name: 'new', image: 'n' }] },
  });
  assert.deepEqual(out, {
    spec: {
      containers: [
        { name: 'app', image: 'v1', ports: [{ containerPort: 80, name: 'web' }, { containerPort: 81 }], env: [{ name: 'A', value: '1' }, { name: 'B', value: '2' }] },
        { name: 'side', image: 's1' },
        { name: 'new', image: 'n' },
      ],
    },
  });
  const removed = applyStrategicPatch(pod, { spec: { containers: [{ name: 'side', $patch: 'delete' }] } }) as typeof pod;
  assert.deepEqual(
    removed.spec.containers.map((c) => c.name),
    ['app'],
  );
  const svc = { spec: { ports: [{ port: 80, targetPort: 8080 }, { port: 443 }] } };
  assert.deepEqual(applyStrategicPatch(svc, { spec: { ports: [{ port: 80, targetPort: 9090 }] } }), {
    spec: { ports: [{ port: 80, targetPort: 9090 }, { port: 443 }] },
  });
  assert.deepEqual(applyStrategicPatch({ metadata: { finalizers: ['a'] } }, { metadata: { finalizers: ['b', 'a'] } }), { metadata: { finalizers: ['a', 'b'] } });
  assert.deepEqual(applyStrategicPatch({ metadata: { labels: { a: '1' } } }, { metadata: { labels: { a: null, b: '2' } } }), { metadata: { labels: { b: '2' } } });
});

test('patches nested deeper than the limit are refused', () => {
  let p: unknown = 1;
  for (let i = 0; i < 100; i++) p = { a: p };
  assert.throws(() => applyMergePatch({}, p), /nested deeper than 64/);
  assert.throws(() => applyStrategicPatch({}, p), /nested deeper than 64/);
});
