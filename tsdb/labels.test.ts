import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Labels, LabelsBuilder, quoteString } from './labels.js';

test('labels are sorted by name and drop empty values', () => {
  const l = Labels.from({ zone: 'eu', __name__: 'up', job: 'api', empty: '' });
  assert.deepEqual(l.toArray().map((x) => x.name), ['__name__', 'job', 'zone']);
  assert.equal(l.length, 3);
  assert.equal(l.get('job'), 'api');
  assert.equal(l.get('empty'), '');
  assert.equal(l.get('missing'), '');
  assert.equal(l.metricName(), 'up');
});

test('a duplicated name keeps its last value', () => {
  assert.equal(Labels.fromStrings('a', '1', 'a', '2').toString(), '{a="2"}');
  assert.equal(Labels.fromStrings('a', '1', 'a', '').toString(), '{}');
});

test('equal label sets have equal keys and hashes; different ones differ', () => {
  const a = Labels.from({ a: '1', b: '2' });
  const b = Labels.fromStrings('b', '2', 'a', '1');
  const c = Labels.from({ a: '12' });
  const d = Labels.from({ a: '1', b: '2', c: '3' });
  assert.ok(a.equals(b));
  assert.equal(a.hash(), b.hash());
  assert.equal(a.key(), b.key());
  assert.ok(!a.equals(c) && !a.equals(d));
  // The separator keeps ("a","bc") and ("ab","c") apart.
  assert.notEqual(Labels.fromStrings('a', 'bc').hash(), Labels.fromStrings('ab', 'c').hash());
  assert.ok(Number.isSafeInteger(a.hash()) && a.hash() >= 0);
});

test('hashes spread over many label sets without collisions', () => {
  const seen = new Set<number>();
  for (let i = 0; i < 100_000; i++) seen.add(Labels.fromStrings('__name__', 'm', 'i', String(i)).hash());
  assert.equal(seen.size, 100_000);
});

test('string form quotes and escapes values as Prometheus does', () => {
  const l = Labels.from({ __name__: 'up', path: 'a"b\\c\nd', 'odd.name': 'x' });
  assert.equal(l.toString(), '{__name__="up", "odd.name"="x", path="a\\"b\\\\c\\nd"}');
  assert.equal(quoteString('tab\there\x01'), '"tab\\there\\x01"');
});

test('selector form puts a legacy metric name before the braces and quotes a UTF-8 one', () => {
  assert.equal(Labels.from({ __name__: 'up', job: 'a' }).toSelectorString(), 'up{job="a"}');
  assert.equal(Labels.from({ __name__: 'up' }).toSelectorString(), 'up');
  assert.equal(Labels.from({ job: 'a' }).toSelectorString(), '{job="a"}');
  assert.equal(Labels.from({ __name__: 'my.metric', job: 'a' }).toSelectorString(), '{"my.metric", job="a"}');
});

test('compare orders label sets label by label, shorter first', () => {
  const sets = [
    Labels.from({ a: '2' }),
    Labels.from({ a: '1', b: '1' }),
    Labels.from({ a: '1' }),
    Labels.from({ b: '0' }),
  ];
  sets.sort(Labels.compare);
  assert.deepEqual(sets.map(String), ['{a="1"}', '{a="1", b="1"}', '{a="2"}', '{b="0"}']);
});

test('builder sets, deletes and keeps labels and yields a sorted immutable set', () => {
  const base = Labels.from({ __name__: 'up', job: 'api', instance: 'h:1' });
  const b = new LabelsBuilder(base);
  b.set('zone', 'eu').set('job', 'web').del('instance').set('a', '1');
  assert.equal(b.get('job'), 'web');
  assert.equal(b.get('instance'), '');
  assert.equal(b.labels().toString(), '{__name__="up", a="1", job="web", zone="eu"}');
  b.keep('__name__', 'zone');
  assert.equal(b.labels().toString(), '{__name__="up", zone="eu"}');
  b.set('zone', '');
  assert.equal(b.labels().toString(), '{__name__="up"}');
  assert.equal(base.toString(), '{__name__="up", instance="h:1", job="api"}', 'the base set is untouched');
  assert.equal(new LabelsBuilder(base).labels(), base, 'no changes returns the base itself');
});

test('grouping hashes ignore the labels they should', () => {
  const a = Labels.from({ __name__: 'x', job: 'a', instance: '1' });
  const b = Labels.from({ __name__: 'y', job: 'a', instance: '2' });
  assert.equal(a.hashForLabels(['job']), b.hashForLabels(['job']));
  assert.notEqual(a.hashForLabels(['instance', 'job']), b.hashForLabels(['instance', 'job']));
  assert.equal(a.hashWithoutLabels(['instance']), b.hashWithoutLabels(['instance']), '__name__ is always dropped by without');
  assert.equal(a.withoutMetricName().toString(), '{instance="1", job="a"}');
});
