import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { runPromqltest } from './promqltest_command.js';

const SCRIPT = `load 1m
  http_requests_total{job="a"} 0+60x10
  hist {{schema:0 sum:1 count:1}}x10

# Correct: 1 per second.
eval instant at 5m rate(http_requests_total[2m])
  {job="a"} 1

# Wrong on purpose.
eval instant at 5m sum(http_requests_total)
  {} 999

eval range from 0 to 2m step 1m http_requests_total
  http_requests_total{job="a"} 0 60 120

# Needs native histograms.
eval instant at 1m hist
  hist {{schema:0 sum:1 count:1}}

eval instant at 1m vector(1) / 0
  expect fail
`;

test('runPromqltest reports failing evals, skips with reasons, per-file counts and a final summary line', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'promqltest-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'sample.test');
  await writeFile(file, SCRIPT);
  let out = '';
  const code = await runPromqltest([file], { write: (s: string) => (out += s) });
  assert.equal(code, 1);
  const lines = out.trimEnd().split('\n');
  assert.equal(lines.at(-1), '2 passed, 2 failed, 1 skipped');
  assert.ok(lines.includes(`${file}: 2 passed, 2 failed, 1 skipped`));
  assert.ok(lines.some((l) => l.startsWith(`FAIL ${file}:10: sum(http_requests_total): {}: expected 999, got 300`)), out);
  assert.ok(lines.some((l) => l.startsWith(`FAIL ${file}:20: vector(1) / 0: expected an error`)), out);
  assert.ok(lines.some((l) => /1\tnative histograms: expected values are histograms/.test(l)), out);
});

test('runPromqltest exits 0 when everything passes', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'promqltest-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'ok.test');
  await writeFile(file, 'load 1m\n  m 1 2 3\n\neval instant at 2m m * 2\n  {} 6\n');
  let out = '';
  assert.equal(await runPromqltest([file], { write: (s: string) => (out += s) }), 0);
  assert.equal(out.trimEnd().split('\n').at(-1), '1 passed, 0 failed, 0 skipped');
});
