/**
 * Rule file parsing: Prometheus's rulefmt cases (../shared/conformance/rules/rulefmt),
 * the community corpus (../shared/corpora/rules, all accepted by promtool) and
 * error positions/messages.
 */
import assert from 'node:assert/strict';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parseRuleFile, parseRules } from './rule_file.js';

const root = process.env['VIGIL_REPO_ROOT'] ?? fileURLToPath(new URL('../..', import.meta.url));
const shared = join(root, '..', 'shared');
const rulefmt = join(shared, 'conformance', 'rules', 'rulefmt');

// Expected messages from Prometheus's model/rulefmt/rulefmt_test.go.
const BAD: Record<string, string> = {
  'bad_expr.bad.yaml': 'parse error',
  'bad_field.bad.yaml': 'field annotation not found',
  'duplicate_grp.bad.yaml': 'groupname: "yolo" is repeated in the same file',
  'invalid_label_name.bad.yaml': 'invalid label name',
  'invalid_record_name.bad.yaml': 'braces present in the recording rule name; should it be in expr?: strawberry{flavor="sweet"}',
  'legacy_validation_annotation.bad.yaml': 'invalid annotation name: ins-tance',
  'no_rec_alert.bad.yaml': "one of 'record' or 'alert' must be set",
  'noexpr.bad.yaml': "field 'expr' must be set in rule",
  'record_and_alert.bad.yaml': "only one of 'record' and 'alert' must be set",
  'record_and_for.bad.yaml': "invalid field 'for' in recording rule",
  'record_and_keep_firing_for.bad.yaml': "invalid field 'keep_firing_for' in recording rule",
};

test('rulefmt conformance: every bad file is rejected with its message, every good file accepted', async () => {
  const files = readdirSync(rulefmt).sort();
  assert.ok(files.length >= 16, `expected the 16 rulefmt files, found ${files.length}`);
  let pass = 0;
  for (const f of files) {
    const legacy = f.startsWith('legacy_validation');
    const r = await parseRuleFile(join(rulefmt, f), { nameValidationScheme: legacy ? 'legacy' : 'utf8' });
    if (f.includes('.bad.')) {
      const want = BAD[f];
      assert.ok(want !== undefined, `no expectation for ${f}`);
      assert.ok(r.errors.some((e) => e.includes(want)), `${f}: expected an error containing ${JSON.stringify(want)}, got ${JSON.stringify(r.errors)}`);
    } else {
      assert.deepEqual(r.errors, [], f);
      assert.ok(r.groups.length > 0, f);
    }
    pass++;
  }
  assert.equal(pass, files.length);
});

test('community rule corpus: all 120 files parse and validate', async () => {
  const dir = join(shared, 'corpora', 'rules');
  const files: string[] = [];
  for (const d of readdirSync(dir)) {
    const p = join(dir, d);
    if (!statSync(p).isDirectory()) continue;
    for (const f of readdirSync(p)) if (/\.ya?ml$/.test(f)) files.push(join(p, f));
  }
  assert.equal(files.length, 120);
  let rules = 0;
  for (const f of files) {
    const r = await parseRuleFile(f);
    assert.deepEqual(r.errors, [], f);
    rules += r.groups.reduce((s, g) => s + g.rules.length, 0);
  }
  assert.equal(rules, 1188);
});

test('errors carry line:column of the offending node', () => {
  const text = 'groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: rate(x)\n      - record: r\n        expr: up\n        for: 5m\n';
  const r = parseRules(text);
  assert.deepEqual(r.errors, [
    '5:15: group "g", rule 1, "A": could not parse expression: 1:6: parse error: expected type range vector in call to function "rate", got instant vector',
    '6:17: group "g", rule 2, "r": invalid field \'for\' in recording rule',
  ]);
});

test('unknown fields, type errors, bad durations and YAML syntax errors', () => {
  assert.deepEqual(parseRules('groups:\n  - name: g\n    foo: 1\n    rules: []\n').errors, ['yaml: unmarshal errors:\n  line 3: field foo not found in type rulefmt.RuleGroup']);
  assert.deepEqual(parseRules('groups:\n  - name: g\n    foo: 1\n', { ignoreUnknownFields: true }).errors, []);
  assert.deepEqual(parseRules('groups:\n  - name: g\n    limit: many\n').errors, ['yaml: unmarshal errors:\n  line 3: cannot unmarshal !!str `many` into int']);
  assert.deepEqual(parseRules('groups:\n  - name: g\n    interval: 5x\n').errors, ['not a valid duration string: "5x"']);
  assert.match(parseRules('groups:\n  - name: [g\n').errors[0] ?? '', /^yaml: line \d+: /);
  assert.deepEqual(parseRules('').errors, []);
});

test('group fields and aliases/merge keys decode like yaml.v3', () => {
  const text = [
    'groups:',
    '  - name: g',
    '    interval: 30s',
    '    query_offset: 1m',
    '    limit: 10',
    '    labels: {team: a}',
    '    rules:',
    '      - &base',
    '        alert: A',
    '        expr: up == 0',
    '        for: 5m',
    '        keep_firing_for: 1m',
    '        labels: {severity: page}',
    '        annotations: {summary: "{{ $labels.instance }} down"}',
    '      - <<: *base',
    '        alert: B',
  ].join('\n');
  const r = parseRules(text);
  assert.deepEqual(r.errors, []);
  const g = r.groups[0]!;
  assert.equal(g.intervalMs, 30_000);
  assert.equal(g.queryOffsetMs, 60_000);
  assert.equal(g.limit, 10);
  assert.deepEqual(g.labels, { team: 'a' });
  assert.equal(g.rules[1]!.alert, 'B');
  assert.equal(g.rules[1]!.expr, 'up == 0');
  assert.equal(g.rules[1]!.forMs, 300_000);
  assert.equal(g.rules[1]!.keepFiringForMs, 60_000);
});
