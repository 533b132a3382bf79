import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { checkRuleFileContent, runCheckRules } from '../../alert/check_rules.js';
import { RuleManager } from '../../alert/manager.js';
import { runRuleTests } from '../../alert/rule_test/unit_test.js';
import { Labels } from '../../tsdb/labels.js';
import { MemoryStorage } from '../../tsdb/memory_storage.js';
import { defaultRulesCommand } from './default_rules_command.js';
import { CLUSTER_DEFAULT_RULES, CLUSTER_RULES_NAME, CLUSTER_RULES_YAML } from './default_rules.js';
import { builtinClusterRules, failoverFlagsFrom } from './failover_flags.js';

/** A promtool unit test of the shipped rules: a dead node, a live one, one with failover disabled. */
const UNIT_TEST = `rule_files: [cluster.rules.yml]
evaluation_interval: 1s
tests:
  - interval: 1s
    input_series:
      - series: 'vigil_node_lease_age_seconds{node="dead"}'
        values: '0+1x15'
      - series: 'vigil_node_failover_after_seconds{node="dead"}'
        values: '10x15'
      - series: 'vigil_node_lease_age_seconds{node="alive"}'
        values: '0 1 2 0 1 2 0 1 2 0 1 2 0 1 2 0'
      - series: 'vigil_node_failover_after_seconds{node="alive"}'
        values: '10x15'
      - series: 'vigil_node_lease_age_seconds{node="pinned"}'
        values: '0+1x15'
      - series: 'vigil_node_failover_after_seconds{node="pinned"}'
        values: '0x15'
      - series: 'vigil_node_lease_age_seconds{node="quick"}'
        values: '0+1x15'
      - series: 'vigil_node_failover_after_seconds{node="quick"}'
        values: '4x15'
    alert_rule_test:
      - eval_time: 6s
        alertname: NodeSuspect
        exp_alerts: []
      - eval_time: 7s
        alertname: NodeSuspect
        exp_alerts:
          - exp_labels: { severity: warning, node: dead }
            exp_annotations:
              summary: "Node dead missed 3 lease renewals"
              description: "The control plane has not seen node dead renew its lease for 7s."
          - exp_labels: { severity: warning, node: pinned }
            exp_annotations:
              summary: "Node pinned missed 3 lease renewals"
              description: "The control plane has not seen node pinned renew its lease for 7s."
          - exp_labels: { severity: warning, node: quick }
            exp_annotations:
              summary: "Node quick missed 3 lease renewals"
              description: "The control plane has not seen node quick renew its lease for 7s."
      - eval_time: 3s
        alertname: NodeDown
        exp_alerts: []
      - eval_time: 9s
        alertname: NodeDown
        exp_alerts:
          - exp_labels: { severity: critical, node: quick }
            exp_annotations:
              summary: "Node quick is down; failing its pods over"
              description: "Node quick has not renewed its lease for 9s."
              action: "failover node/quick"
              action_cooldown: 5s
      - eval_time: 10s
        alertname: NodeDown
        exp_alerts:
          - exp_labels: { severity: critical, node: dead }
            exp_annotations:
              summary: "Node dead is down; failing its pods over"
              description: "Node dead has not renewed its lease for 10s."
              action: "failover node/dead"
              action_cooldown: 5s
          - exp_labels: { severity: critical, node: quick }
            exp_annotations:
              summary: "Node quick is down; failing its pods over"
              description: "Node quick has not renewed its lease for 10s."
              action: "failover node/quick"
              action_cooldown: 5s
`;

function io() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { log: (s: string) => out.push(s), err: (s: string) => err.push(s) }, out, err };
}

function tmpRules(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-default-rules-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'cluster.rules.yml'), CLUSTER_RULES_YAML);
  writeFileSync(join(dir, 'cluster.test.yml'), UNIT_TEST);
  return dir;
}

test('the shipped rules pass vigil check rules (actions included) and, when installed, promtool check rules', async (t) => {
  assert.deepEqual(checkRuleFileContent(CLUSTER_RULES_NAME, CLUSTER_RULES_YAML), { ok: true, rules: 3 });
  const dir = tmpRules(t);
  const o = io();
  assert.equal(await runCheckRules([join(dir, 'cluster.rules.yml')], o.io), 0, o.err.join('\n'));
  assert.match(o.out.join('\n'), /SUCCESS: 3 rules found/);
  let promtool = true;
  try {
    execFileSync('promtool', ['--version'], { stdio: 'ignore' });
  } catch {
    promtool = false;
  }
  if (!promtool) return t.diagnostic('promtool not installed: skipped its check');
  const r = execFileSync('promtool', ['check', 'rules', join(dir, 'cluster.rules.yml')], { encoding: 'utf8' });
  assert.match(r, /SUCCESS: 3 rules found/);
});

test('the shipped rules behave as documented: suspect after 3 missed renewals, down at failoverAfter, never with 0 (vigil test rules and promtool)', async (t) => {
  const dir = tmpRules(t);
  const o = io();
  assert.equal(await runRuleTests([join(dir, 'cluster.test.yml')], o.io), 0, `${o.out.join('\n')}\n${o.err.join('\n')}`);
  try {
    execFileSync('promtool', ['--version'], { stdio: 'ignore' });
  } catch {
    return t.diagnostic('promtool not installed: skipped its run');
  }
  // Prometheus itself agrees on the same test.
  const r = execFileSync('promtool', ['test', 'rules', join(dir, 'cluster.test.yml')], { encoding: 'utf8' });
  assert.match(r, /SUCCESS/);
});

test('builtin rule files load into the rule manager under their name; --no-cluster.default-rules leaves them out', async (t) => {
  assert.deepEqual(builtinClusterRules({ asStrings: {} }), [CLUSTER_DEFAULT_RULES]);
  assert.deepEqual(builtinClusterRules({ asStrings: { 'cluster.default-rules': 'false' } }), []);
  assert.equal(failoverFlagsFrom({ 'cluster.failover-after': '0s' }).failoverAfterMs, 0);
  assert.equal(failoverFlagsFrom({}).failoverAfterMs, 10_000);
  assert.throws(() => failoverFlagsFrom({ 'cluster.failover-after': 'soon' }), /--cluster\.failover-after: expected a duration/);

  const s = new MemoryStorage();
  const m = new RuleManager({ query: async () => [], appendable: s, queryable: s, send: null, logger: { warn() {} }, externalUrl: () => 'http://x' });
  t.after(() => m.stop());
  await m.update({ evaluationIntervalMs: 15_000, queryOffsetMs: 0, externalLabels: Labels.EMPTY, files: [], builtin: [CLUSTER_DEFAULT_RULES] });
  const g = m.groups();
  assert.deepEqual(g.map((x) => [x.file, x.name, x.intervalMs]), [[CLUSTER_RULES_NAME, 'vigil-cluster', 500]]);
  await assert.rejects(
    m.update({ evaluationIntervalMs: 15_000, queryOffsetMs: 0, externalLabels: Labels.EMPTY, files: [], builtin: [{ name: '<builtin>/broken.yml', yamlText: 'groups:\n  - name: x\n    rules:\n      - alert: A\n        expr: up ==\n' }] }),
    /<builtin>\/broken\.yml: 5:15: group "x", rule 1, "A": could not parse expression/,
  );
  assert.equal(m.groups()[0]?.file, CLUSTER_RULES_NAME, 'a broken reload keeps the running groups');
});

test('vigil cluster default-rules prints the shipped group', async () => {
  const o = io();
  assert.equal(await defaultRulesCommand.run({ values: new Map(), positionals: [], lists: new Map() } as never, o.io), 0);
  assert.equal(`${o.out.join('\n')}\n`, CLUSTER_RULES_YAML);
});
