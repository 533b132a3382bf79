import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseRules } from '../../alert/rule_file.js';
import { AUTOSCALER_METRICS_MISSING_RULE_YAML, autoscalerRuleGroupYaml } from './autoscaler_rules.js';

function hasPromtool(): boolean {
  try {
    execFileSync('promtool', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

test('autoscaler rules: the group parses in Vigil with the rule, its for and labels', () => {
  const r = parseRules(autoscalerRuleGroupYaml('30s'));
  assert.deepEqual(r.errors, []);
  const rule = r.groups[0]?.rules[0];
  assert.equal(rule?.alert, 'AutoscalerMetricsMissing');
  assert.match(rule?.expr ?? '', /vigil_autoscaler_metrics_missing/);
  assert.equal(rule?.forMs, 30_000);
  assert.equal(rule?.labels.severity, 'warning');
  assert.ok(AUTOSCALER_METRICS_MISSING_RULE_YAML.startsWith('      - alert: AutoscalerMetricsMissing'), 'indented for groups[].rules[]');
});

test('autoscaler rules: promtool accepts the rule file', { skip: hasPromtool() ? false : 'promtool is not installed' }, (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-asrules-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const f = join(dir, 'rules.yml');
  writeFileSync(f, autoscalerRuleGroupYaml());
  const out = execFileSync('promtool', ['check', 'rules', f], { encoding: 'utf8' });
  assert.match(out, /SUCCESS: 1 rules found/);
});
