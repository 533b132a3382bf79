#!/usr/bin/env node
// `npm run fuzz`: runs the fuzz targets (dist/**/fuzz/*.test.js) for longer than `npm test` does.
// VIGIL_FUZZ_SECONDS sets the budget per target (default 60 here); VIGIL_FUZZ_SEED replays a run.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const dir = join(root, 'dist', 'test', 'fuzz');
const files = readdirSync(dir).filter((f) => f.endsWith('.test.js')).map((f) => relative(root, join(dir, f)));
const seconds = process.env.VIGIL_FUZZ_SECONDS ?? '60';
console.error(`fuzz: ${files.length} files, ${seconds} s per target`);
const res = spawnSync(process.execPath, ['--test', '--test-concurrency=2', ...files], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, VIGIL_FUZZ_SECONDS: seconds, VIGIL_REPO_ROOT: root },
});
process.exit(res.status ?? 1);
