/**
 * `vigil test rules` over Prometheus's promtool test files
 * (../shared/conformance/rules/promtool), with the exit codes listed in the
 * conformance README (from cmd/promtool/unittest_test.go).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { runRuleTests } from './unit_test.js';

const root = process.env['VIGIL_REPO_ROOT'] ?? fileURLToPath(new URL('../../..', import.meta.url));
const dir = join(root, '..', 'shared', 'conformance', 'rules', 'promtool');

const quiet = { log: () => undefined, err: () => undefined };

const EXPECTED: [string, number, { run?: string[]; ignoreUnknownFields?: boolean }?, string?][] = [
  ['unittest.yml', 0, {}, 'native histogram series and expectations (float-only engine)'],
  ['long-period.yml', 0],
  ['bad-input-series.yml', 1],
  ['bad-promql.yml', 1],
  ['bad-rules-syntax-test.yml', 1],
  ['bad-rules-error-test.yml', 1],
  ['failing.yml', 1],
  ['at-modifier-test.yml', 0],
  ['negative-offset-test.yml', 0],
  ['no-test-group-interval.yml', 0],
  ['start-time-test.yml', 0],
  ['rules_run.yml', 1],
  ['rules_run.yml', 0, { run: ['correct'] }],
  ['rules_run.yml', 1, { run: ['wrong'] }],
  ['rules_run_extrafields.yml', 0, { ignoreUnknownFields: true }],
  ['rules_run_extrafields.yml', 1],
  ['rules_run_no_fuzzy.yml', 1],
  ['rules_run_fuzzy.yml', 0, { run: ['correct'] }],
  ['rules_run_fuzzy.yml', 1, { run: ['wrong'] }],
];

for (const [f, code, opts, skip] of EXPECTED) {
  test(`test rules ${f} ${JSON.stringify(opts ?? {})} exits ${code} as promtool`, { skip }, async () => {
    assert.equal(await runRuleTests([join(dir, f)], quiet, opts ?? {}), code);
  });
}

test('test rules reports failures in promtool form', async () => {
  const err: string[] = [];
  const out: string[] = [];
  await runRuleTests([join(dir, 'failing.yml')], { log: (s) => out.push(s), err: (s) => err.push(s) });
  assert.equal(out[0], `Unit Testing:  ${join(dir, 'failing.yml')}`);
  assert.equal(err[0], '  FAILED:');
  assert.ok(err.includes('    name: Failing test,\n    alertname: Test, time: 0s, \n        exp:[\n            0:\n              Labels:{alertname="Test"}\n              Annotations:{}\n            ], \n        got:[]'), err.join('\n---\n'));
  assert.ok(err.includes('    expr: "test", time: 0s,\n        exp: {__name__="test"} 1E+00\n        got: {__name__="test"} 0E+00'), err.join('\n---\n'));
});
