#!/usr/bin/env node
// Runs every compiled unit and end-to-end test (dist/**/*.test.js) with node:test.
// Before that it makes sure the real components the tests talk to are installed
// (see test/setup_deps.mjs), so `npm ci && npm test` works on a fresh machine.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureDebianPackages } from './setup_deps.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = join(root, 'dist');

function findTests(dir, out) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) findTests(p, out);
    else if (name.endsWith('.test.js')) out.push(relative(root, p));
  }
  return out;
}

ensureDebianPackages();
const filter = process.argv.slice(2);
let files = findTests(dist, []).sort();
if (filter.length > 0) files = files.filter((f) => filter.some((s) => f.includes(s)));
if (files.length === 0) {
  console.error('run_tests: no compiled test files found under dist/ (did the build run?)');
  process.exit(1);
}
const res = spawnSync(
  process.execPath,
  ['--test', '--test-concurrency=3', '--test-timeout=300000', ...files],
  { cwd: root, stdio: 'inherit', env: { ...process.env, VIGIL_REPO_ROOT: root } },
);
process.exit(res.status ?? 1);
