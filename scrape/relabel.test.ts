import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigDoc } from '../tsdb/config_reader.js';
import { Labels } from '../tsdb/labels.js';
import { expandTemplate, hashmod, relabel } from './relabel.js';
import { parseRelabelConfigs, type RelabelConfig } from './relabel_config.js';

function rules(yaml: string): RelabelConfig[] {
  return parseRelabelConfigs(ConfigDoc.parse(yaml, 'relabel.yml').root(), 'r', 'utf8');
}

function run(input: Record<string, string>, yaml: string): Record<string, string> | null {
  const out = relabel(Labels.from(input), rules(yaml));
  return out === null ? null : out.toRecord();
}

test('relabel with no rules returns the same label set', () => {
  const l = Labels.from({ a: '1' });
  assert.equal(relabel(l, []), l);
});

test('relabel replace with the defaults copies the joined source value', () => {
  assert.deepEqual(run({ a: 'x', b: 'y' }, 'r: [{source_labels: [a, b], target_label: c}]'), { a: 'x', b: 'y', c: 'x;y' });
});

test('relabel replace uses capture groups, separators and anchoring', () => {
  const yaml = `r:
  - source_labels: [__address__]
    regex: '(.+):(\\d+)'
    target_label: host
    replacement: 'h-$1'
  - source_labels: [__address__]
    regex: ':\\d+'
    target_label: unanchored
    replacement: matched`;
  assert.deepEqual(run({ __address__: 'web:80' }, yaml), { __address__: 'web:80', host: 'h-web' });
});

test('relabel replace with an empty result deletes the target label', () => {
  assert.deepEqual(run({ a: 'x', b: 'y' }, 'r: [{source_labels: [missing], regex: "(.*)", target_label: a}]'), { b: 'y' });
});

test('relabel replace does nothing when the regex does not match', () => {
  assert.deepEqual(run({ a: 'x' }, 'r: [{source_labels: [a], regex: "y", target_label: b, replacement: z}]'), { a: 'x' });
});

test('relabel replace expands references in the target label', () => {
  const yaml = `r: [{source_labels: [k, v], regex: '(\\w+);(.*)', target_label: 'tag_$1', replacement: '$2'}]`;
  assert.deepEqual(run({ k: 'env', v: 'prod' }, yaml), { k: 'env', v: 'prod', tag_env: 'prod' });
});

// biome-ignore lint/suspicious/noTemplateCurlyInString: Go replacement syntax, not a JS template
test('relabel replace with named groups and ${name}', () => {
  const yaml = `r: [{source_labels: [a], regex: '(?P<first>[a-z]+)-(?P<second>[0-9]+)', target_label: b, replacement: '\${second}.\${first}.$first'}]`;
  assert.deepEqual(run({ a: 'abc-42' }, yaml), { a: 'abc-42', b: '42.abc.abc' });
});

test('expandTemplate follows Go regexp.Expand rules', () => {
  const g = ['whole', 'one', 'two'];
  const named = { n: 'N' };
  assert.equal(expandTemplate('$1', g, named), 'one');
  // biome-ignore lint/suspicious/noTemplateCurlyInString: Go replacement syntax, not a JS template
  assert.equal(expandTemplate('${1}x', g, named), 'onex');
  // `$1x` names the group "1x", which does not exist: empty.
  assert.equal(expandTemplate('$1x', g, named), '');
  assert.equal(expandTemplate('$$1', g, named), '$1');
  assert.equal(expandTemplate('a$', g, named), 'a$');
  assert.equal(expandTemplate('$-', g, named), '$-');
  assert.equal(expandTemplate('${1', g, named), '${1');
  // biome-ignore lint/suspicious/noTemplateCurlyInString: Go replacement syntax, not a JS template
  assert.equal(expandTemplate('${}', g, named), '${}');
  assert.equal(expandTemplate('$0', g, named), 'whole');
  assert.equal(expandTemplate('$9', g, named), '');
  // Leading zeros make a name, not a number.
  assert.equal(expandTemplate('$01', g, named), '');
  // biome-ignore lint/suspicious/noTemplateCurlyInString: Go replacement syntax, not a JS template
  assert.equal(expandTemplate('$n/${n}', g, named), 'N/N');
  assert.equal(expandTemplate('$unknown.', g, named), '.');
  assert.equal(expandTemplate('$1.$2', g, named), 'one.two');
  assert.equal(expandTemplate('no refs', g, named), 'no refs');
});

test('relabel keep and drop', () => {
  assert.equal(run({ a: 'foo' }, 'r: [{source_labels: [a], regex: "bar", action: keep}]'), null);
  assert.deepEqual(run({ a: 'bar' }, 'r: [{source_labels: [a], regex: "bar", action: keep}]'), { a: 'bar' });
  assert.equal(run({ a: 'bar' }, 'r: [{source_labels: [a], regex: "b.*", action: drop}]'), null);
  assert.deepEqual(run({ a: 'xbar' }, 'r: [{source_labels: [a], regex: "b.*", action: drop}]'), { a: 'xbar' });
  // A missing label is the empty string: keep with `.+` drops it.
  assert.equal(run({ a: 'x' }, 'r: [{source_labels: [b], regex: ".+", action: keep}]'), null);
});

test('relabel stops at the first rule that drops', () => {
  const yaml = 'r: [{source_labels: [a], regex: x, action: drop}, {target_label: b, replacement: never}]';
  assert.equal(run({ a: 'x' }, yaml), null);
});

test('relabel keepequal and dropequal compare with the target label', () => {
  assert.deepEqual(run({ a: '1', b: '1' }, 'r: [{source_labels: [a], target_label: b, action: keepequal}]'), { a: '1', b: '1' });
  assert.equal(run({ a: '1', b: '2' }, 'r: [{source_labels: [a], target_label: b, action: keepequal}]'), null);
  assert.equal(run({ a: '1', b: '1' }, 'r: [{source_labels: [a], target_label: b, action: dropequal}]'), null);
  assert.deepEqual(run({ a: '1', b: '2' }, 'r: [{source_labels: [a], target_label: b, action: dropequal}]'), { a: '1', b: '2' });
});

test('relabel lowercase and uppercase', () => {
  assert.deepEqual(run({ a: 'AbÇ' }, 'r: [{source_labels: [a], target_label: b, action: lowercase}]'), { a: 'AbÇ', b: 'abç' });
  assert.deepEqual(run({ a: 'AbÇ' }, 'r: [{source_labels: [a], target_label: b, action: uppercase}]'), { a: 'AbÇ', b: 'ABÇ' });
});

test('relabel labelmap copies matching labels under the expanded name', () => {
  const yaml = `r: [{regex: '__meta_kubernetes_pod_label_(.+)', action: labelmap}]`;
  assert.deepEqual(run({ __meta_kubernetes_pod_label_app: 'web', __meta_kubernetes_pod_label_tier: 'fe', other: 'x' }, yaml), {
    __meta_kubernetes_pod_label_app: 'web',
    __meta_kubernetes_pod_label_tier: 'fe',
    app: 'web',
    tier: 'fe',
    other: 'x',
  });
  const yaml2 = `r: [{regex: '(a)(b)', replacement: 'x_\${2}_$1', action: labelmap}]`;
  assert.deepEqual(run({ ab: 'v' }, yaml2), { ab: 'v', x_b_a: 'v' });
});

test('relabel labeldrop and labelkeep match label names fully', () => {
  assert.deepEqual(run({ a: '1', ab: '2', b: '3' }, 'r: [{regex: "a", action: labeldrop}]'), { ab: '2', b: '3' });
  assert.deepEqual(run({ a: '1', ab: '2', b: '3' }, 'r: [{regex: "a.*", action: labelkeep}]'), { a: '1', ab: '2' });
});

// Values computed by a real Prometheus 2.42 (static targets with these relabel rules, read
// back from /api/v1/targets), so sharding agrees with Prometheus.
test('relabel hashmod agrees with Prometheus 2.42', () => {
  const want: [string, string, string, string][] = [
    ['a:1', '5', '113355', '2014116905846636176'],
    ['b:2', '3', '499373', '911193230757260069'],
    ['node-17.example.com:9100', '1', '916542', '8769293718441482010'],
    ['10.0.0.1:80', '2', '119780', '11097921703657247629'],
    ['ü:9', '0', '453028', '9562864254600239471'],
  ];
  const yaml = `r:
  - {source_labels: [__address__], modulus: 7, target_label: shard7, action: hashmod}
  - {source_labels: [__address__, job], modulus: 1000003, target_label: shardbig, action: hashmod}`;
  for (const [addr, s7, sbig, smax] of want) {
    const out = run({ __address__: addr, job: 'hm' }, yaml);
    assert.equal(out?.shard7, s7, addr);
    assert.equal(out?.shardbig, sbig, addr);
    // modulus 2^64-1 (not representable as a JS number) through the function directly.
    assert.equal(hashmod(addr, 18446744073709551615n).toString(), smax, addr);
  }
});

test('relabel replace ignores an invalid target label name produced by expansion', () => {
  // Expands to the empty string: not a valid label name, so nothing happens.
  assert.deepEqual(run({ a: 'x' }, `r: [{source_labels: [a], target_label: '$2', replacement: v}]`), { a: 'x' });
});

test('relabel regex is RE2 with . matching newlines', () => {
  assert.deepEqual(run({ a: 'x\ny' }, `r: [{source_labels: [a], regex: 'x.y', target_label: b, replacement: ok}]`), { a: 'x\ny', b: 'ok' });
});
