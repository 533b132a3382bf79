import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { checkRuleFileContent, runCheckRules } from '../../alert/check_rules.js';

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { log: (s: string) => out.push(s), err: (s: string) => err.push(s) }, out, err };
}

const GOOD = `groups:
  - name: scaling
    rules:
      - alert: HighLoad
        expr: up == 1
        annotations:
          action: "scale deployment/{{ $labels.namespace }}/{{ $labels.job }} +1"
          action_cooldown: 5m
      - alert: NodeDown
        expr: up == 0
        annotations:
          action: "failover node/{{ $labels.instance }}"
`;

const BAD = `groups:
  - name: scaling
    rules:
      - record: job:up
        expr: up
      - alert: Fine
        expr: up == 1
        annotations:
          action: "cordon node/n1"
      - alert: Broken
        expr: up == 1
        annotations:
          action: "scale deployment/{{ $labels.job }} +1"
          summary: hi
      - alert: BadCooldown
        expr: up == 1
        annotations:
          action: "rollback deployment/a/b"
          action_cooldown: later
`;

test('vigil check rules accepts templated actions and rejects malformed ones with file:line', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'vigil-actions-check-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const good = join(dir, 'good.yml');
  const bad = join(dir, 'bad.yml');
  await writeFile(good, GOOD);
  await writeFile(bad, BAD);

  const g = capture();
  assert.equal(await runCheckRules([good], g.io), 0);
  assert.deepEqual(g.err, []);
  assert.ok(g.out.includes('  SUCCESS: 2 rules found'));

  const b = capture();
  assert.equal(await runCheckRules([bad], b.io), 1);
  const text = b.err.join('\n');
  assert.match(text, new RegExp(`${bad.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:10:16: group "scaling", rule 3, "Broken": annotation "action": scale: target "deployment/\\{\\{…\\}\\}" must be deployment/NAMESPACE/NAME`));
  assert.match(text, /:15:16: group "scaling", rule 4, "BadCooldown": annotation "action_cooldown": action_cooldown "later"/);
  assert.doesNotMatch(text, /"Fine"/);
});

test('check config path (checkRuleFileContent) reports the same problems', () => {
  const r = checkRuleFileContent('x.yml', BAD);
  assert.equal(r.ok, false);
  if (!r.ok) assert.equal(r.errors.length, 2);
  assert.deepEqual(checkRuleFileContent('x.yml', GOOD), { ok: true, rules: 2 });
});
