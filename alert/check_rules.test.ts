/** `vigil check rules` against promtool's expected exit codes and output. */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { runCheckConfig } from '../cmd/check_config.js';
import { checkRuleFileContent, runCheckRules } from './check_rules.js';

const root = process.env['VIGIL_REPO_ROOT'] ?? fileURLToPath(new URL('../..', import.meta.url));
const dir = join(root, '..', 'shared', 'conformance', 'rules', 'promtool');

function capture(): { io: { log(s: string): void; err(s: string): void }; out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { log: (s) => out.push(s), err: (s) => err.push(s) }, out, err };
}

test('check rules: exit codes as promtool (valid 0, invalid 1, duplicates lint 0 or 3 with --lint-fatal)', async () => {
  const cases: [string, number, { lintFatal?: boolean }?][] = [
    ['rules.yml', 0],
    ['rules-bad.yml', 1],
    ['bad-rules-syntax.yml', 1],
    ['rules_duplicates.yml', 0],
    ['rules_duplicates.yml', 3, { lintFatal: true }],
    ['prometheus-rules.lint.yml', 0],
    ['prometheus-rules.lint.yml', 3, { lintFatal: true }],
    ['features.yml', 0],
    ['rules_extrafields.yml', 1],
  ];
  for (const [f, code, opts] of cases) {
    const c = capture();
    assert.equal(await runCheckRules([join(dir, f)], c.io, opts ?? {}), code, `${f} ${JSON.stringify(opts ?? {})}: ${c.err.join('\n')}`);
  }
});

test('check rules prints promtool lines: Checking, SUCCESS count, FAILED with file-prefixed errors', async () => {
  const ok = capture();
  await runCheckRules([join(dir, 'rules.yml')], ok.io);
  assert.deepEqual(ok.out, [`Checking ${join(dir, 'rules.yml')}`, '  SUCCESS: 5 rules found', '']);
  const bad = capture();
  await runCheckRules([join(dir, 'rules-bad.yml')], bad.io);
  assert.deepEqual(bad.err, [
    `  FAILED:\n${join(dir, 'rules-bad.yml')}: group "alerts", rule 1, "InstanceDown": annotation "summary": template: __alert_InstanceDown:1: undefined variable "$label"`,
  ]);
  const dup = capture();
  await runCheckRules([join(dir, 'rules_duplicates.yml')], dup.io);
  assert.deepEqual(dup.err, ['  FAILED:\nlint error 1 duplicate rule(s) found.\nMetric: job:test:count_over_time1m\nLabel(s):\nMight cause inconsistency while recording expressions']);
});

test('check rules: a missing file fails with its path', async () => {
  const c = capture();
  assert.equal(await runCheckRules([join(dir, 'nope.yml')], c.io), 1);
  assert.match(c.err.join('\n'), /nope\.yml: open .*nope\.yml: no such file or directory/);
});

test('checkRuleFileContent plugs into vigil check config', async (t) => {
  const tmp = await mkdtemp(join(tmpdir(), 'vigil-checkcfg-'));
  t.after(() => rm(tmp, { recursive: true, force: true }));
  await writeFile(join(tmp, 'prometheus.yml'), 'rule_files: [good.yml, bad.yml]\n');
  await writeFile(join(tmp, 'good.yml'), 'groups:\n- name: a\n  rules:\n  - record: x\n    expr: up\n');
  await writeFile(join(tmp, 'bad.yml'), 'groups:\n- name: a\n  rules:\n  - record: x\n    expr: up +\n');
  const c = capture();
  assert.equal(await runCheckConfig([join(tmp, 'prometheus.yml')], c.io, { checkRuleFile: checkRuleFileContent }), 1);
  assert.ok(c.out.includes('  SUCCESS: 1 rules found'), c.out.join('\n'));
  assert.ok(c.err.some((e) => e.includes(`${join(tmp, 'bad.yml')}: 5:11: group "a", rule 1, "x": could not parse expression: 1:5: parse error: unexpected end of input`)), c.err.join('\n'));
});
