/**
 * The demo's rules (cmd/config.ts `demoRulesText`) as written to disk: valid for
 * `vigil check rules` (including the cluster `action` annotations) and for the real
 * `promtool check rules` (so the file stays portable), and the embedded default with
 * the rules file names it in `rule_files`.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { runCheckRules } from '../../alert/check_rules.js';
import { demoRulesText, embeddedDefaultConfig } from '../../cmd/config.js';
import { parseActionSpec } from '../actions/action_spec.js';

const PROMTOOL = '/usr/bin/promtool';

test('the demo rules pass vigil check rules and promtool check rules; their actions scale demo/web by one', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-demo-rules-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'rules.yml');
  writeFileSync(file, demoRulesText());
  const out: string[] = [];
  const code = await runCheckRules([file], { log: (s) => out.push(s), err: (s) => out.push(s) });
  assert.equal(code, 0, out.join('\n'));
  assert.match(out.join('\n'), /SUCCESS: 3 rules found/);
  const actions = [...demoRulesText().matchAll(/action: "([^"]+)"/g)].map((m) => parseActionSpec(m[1] ?? ''));
  assert.deepEqual(
    actions.map((a) => (a.verb === 'scale' ? `${a.target.namespace}/${a.target.name} ${a.change.op}${'n' in a.change ? a.change.n : ''}` : '')),
    ['demo/web +1', 'demo/web -1'],
  );
  if (!existsSync(PROMTOOL)) {
    t.diagnostic(`${PROMTOOL} is not installed: skipped the promtool check`);
    return;
  }
  const p = spawnSync(PROMTOOL, ['check', 'rules', file], { encoding: 'utf8' });
  assert.equal(p.status, 0, `${p.stdout}${p.stderr}`);
});

test('the embedded default lists the demo rules file only when asked to', () => {
  assert.deepEqual(embeddedDefaultConfig(9090).ruleFiles, []);
  assert.deepEqual(embeddedDefaultConfig(9090, { demoRulesFile: '/data/demo/rules.yml' }).ruleFiles, ['/data/demo/rules.yml']);
  assert.deepEqual(embeddedDefaultConfig(9090, { demoRulesFile: '/a dir/with "quotes"/rules.yml' }).ruleFiles, ['/a dir/with "quotes"/rules.yml']);
});
