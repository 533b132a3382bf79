#!/usr/bin/env node
// Runs the compiled benchmarks (dist/bench/*_bench.js), optionally filtered by a
// substring: `npm run bench -- tsdb`. Benchmarks print figures; they never fail on timings.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const dir = join(root, 'dist', 'bench');
// Groups whose benchmarks' file names do not carry the group's name.
const GROUPS = { cluster: ['autoscale', 'failover'] };
const filter = process.argv.slice(2).flatMap((s) => [s, ...(GROUPS[s] ?? [])]);
const files = existsSync(dir)
  ? readdirSync(dir)
      .filter((f) => f.endsWith('_bench.js'))
      .filter((f) => filter.length === 0 || filter.some((s) => f.includes(s)))
      .sort()
  : [];
if (files.length === 0) {
  console.log('no benchmarks matched');
  process.exit(0);
}
let failed = 0;
for (const f of files) {
  console.log(`\n=== ${f} ===`);
  const r = spawnSync(process.execPath, ['--expose-gc', join(dir, f)], { stdio: 'inherit', cwd: root });
  if (r.status !== 0) failed++;
}
process.exit(failed === 0 ? 0 : 1);
