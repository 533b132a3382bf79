// Installs the Debian packages that the test suite drives as real components
// (test/debian-packages.txt, one "command package" pair a line). It runs as part of
// `npm test`, so a fresh machine needs nothing but `npm ci && npm test`. When a
// command is already on PATH nothing is installed; when apt-get is unavailable or
// we are not root the tests that need the component say so and fail.
import { execSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

function have(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

export function ensureDebianPackages() {
  const list = readFileSync(fileURLToPath(new URL('./debian-packages.txt', import.meta.url)), 'utf8');
  const missing = [];
  for (const line of list.split('\n')) {
    const t = line.replace(/#.*/, '').trim();
    if (!t) continue;
    const [cmd, pkg] = t.split(/\s+/);
    if (cmd && pkg && !have(cmd)) missing.push(pkg);
  }
  if (missing.length === 0) return;
  if (process.getuid?.() !== 0 || !have('apt-get')) {
    console.error(`setup_deps: missing Debian packages ${missing.join(' ')} and cannot install them (need root and apt-get)`);
    return;
  }
  console.error(`setup_deps: installing Debian packages: ${missing.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execSync('apt-get update -qq', { stdio: 'inherit', env });
  execSync(`apt-get install -y -qq --no-install-recommends ${[...new Set(missing)].join(' ')}`, { stdio: 'inherit', env });
}
