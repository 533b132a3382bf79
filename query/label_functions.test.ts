import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Labels } from '../tsdb/labels.js';
import { EvalSeries } from './eval_series.js';
import { expandTemplate, labelJoin, labelReplace } from './label_functions.js';

const groups: Record<string, string> = { '0': 'whole', '1': 'a', '2': 'b', name: 'N' };
const g = (k: number | string): string => groups[String(k)] ?? '';

test('expandTemplate follows Go regexp.Expand', () => {
  assert.equal(expandTemplate('$1-$2', g), 'a-b');
  // biome-ignore lint/suspicious/noTemplateCurlyInString: Go template syntax, not a JS template
  assert.equal(expandTemplate('${1}x', g), 'ax');
  // `$1x` names the group "1x", which does not exist.
  assert.equal(expandTemplate('$1x', g), '');
  // biome-ignore lint/suspicious/noTemplateCurlyInString: Go template syntax, not a JS template
  assert.equal(expandTemplate('$name/${name}', g), 'N/N');
  assert.equal(expandTemplate('cost: $$5', g), 'cost: $5');
  // A `$` not followed by a name stays literal.
  assert.equal(expandTemplate('a$ b$', g), 'a$ b$');
  assert.equal(expandTemplate('${bad', g), '${bad');
});

function series(l: Record<string, string>): EvalSeries {
  const s = new EvalSeries(Labels.from(l), false, 1);
  s.push(0, 1);
  return s;
}

test('label_replace rewrites matching series only and is fully anchored', () => {
  const out = labelReplace([series({ __name__: 'up', instance: 'host:9100' }), series({ __name__: 'up', instance: 'x' })], 'host', '$1', 'instance', '(.*):.*');
  assert.equal(out[0]!.labels.get('host'), 'host');
  assert.equal(out[1]!.labels.get('host'), '', 'no match: unchanged');
  const partial = labelReplace([series({ a: 'abc' })], 'b', 'yes', 'a', 'b');
  assert.equal(partial[0]!.labels.get('b'), '', 'the regex must match the whole value');
  assert.throws(() => labelReplace([], 'dst', '', 'src', '('), /invalid regular expression in label_replace\(\): \(/);
});

test('label_replace that makes two series equal merges them, or fails if they overlap in time', () => {
  assert.throws(
    () => labelReplace([series({ a: '1', b: 'x' }), series({ a: '2', b: 'x' })], 'a', '', 'a', '.*'),
    /vector cannot contain metrics with the same labelset/,
  );
});

test('label_join joins source values with the separator', () => {
  const out = labelJoin([series({ a: '1', b: '2' })], 'ab', '-', ['a', 'b', 'missing']);
  assert.equal(out[0]!.labels.get('ab'), '1-2-');
});
