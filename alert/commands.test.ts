/** `vigil check rules` / `vigil test rules` through the command dispatcher (flags, exit codes). */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { main } from '../cmd/vigil.js';

const root = process.env['VIGIL_REPO_ROOT'] ?? fileURLToPath(new URL('../..', import.meta.url));
const dir = join(root, '..', 'shared', 'conformance', 'rules', 'promtool');

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(argv, { log: (s) => void (out += `${s}\n`), err: (s) => void (err += `${s}\n`) });
  return { code, out, err };
}

test('check rules: flags --lint, --lint-fatal, --ignore-unknown-fields', async () => {
  assert.equal((await run('check', 'rules', join(dir, 'rules.yml'))).code, 0);
  assert.equal((await run('check', 'rules', '--lint-fatal', join(dir, 'rules_duplicates.yml'))).code, 3);
  assert.equal((await run('check', 'rules', '--lint=none', '--lint-fatal', join(dir, 'rules_duplicates.yml'))).code, 0);
  assert.equal((await run('check', 'rules', join(dir, 'rules_extrafields.yml'))).code, 1);
  assert.equal((await run('check', 'rules', '--ignore-unknown-fields', join(dir, 'rules_extrafields.yml'))).code, 0);
  const bad = await run('check', 'rules', '--lint=everything', join(dir, 'rules.yml'));
  assert.equal(bad.code, 2);
  assert.match(bad.err, /--lint: expected duplicate-rules, all or none/);
  assert.equal((await run('check', 'rules')).code, 2);
});

test('test rules: --run selects groups, exit codes as promtool', async () => {
  const r = await run('test', 'rules', '--run', 'correct', join(dir, 'rules_run.yml'));
  assert.equal(r.code, 0);
  assert.match(r.out, /Unit Testing: {2}.*rules_run\.yml\n {2}SUCCESS\n/);
  assert.equal((await run('test', 'rules', join(dir, 'rules_run.yml'))).code, 1);
  assert.equal((await run('test', 'rules', '--run', '(', join(dir, 'rules_run.yml'))).code, 2);
});
