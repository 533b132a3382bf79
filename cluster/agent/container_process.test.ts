import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { CommandLineError, ContainerProcess, containerArgv, splitCommandLine } from './container_process.js';

test('splitCommandLine splits words like a shell: quotes, escapes, no expansion', () => {
  assert.deepEqual(splitCommandLine('node app.js --port 8080'), ['node', 'app.js', '--port', '8080']);
  assert.deepEqual(splitCommandLine(`sh -c 'echo "$HOME" x'`), ['sh', '-c', 'echo "$HOME" x']);
  assert.deepEqual(splitCommandLine(`a "b c" d\\ e "" 'f'"g"`), ['a', 'b c', 'd e', '', 'fg']);
  assert.deepEqual(splitCommandLine(`"a \\" b"`), ['a " b']);
  assert.deepEqual(splitCommandLine('  '), []);
  assert.throws(() => splitCommandLine(`echo 'oops`), (e: unknown) => e instanceof CommandLineError && /unterminated ' quote/.test(e.message));
});

test('containerArgv: command replaces the image words, args are appended', () => {
  assert.deepEqual(containerArgv({ name: 'c', image: 'node app.js', args: ['--v', '2'] }), ['node', 'app.js', '--v', '2']);
  assert.deepEqual(containerArgv({ name: 'c', image: 'node app.js', command: ['python3', 'x.py'], args: ['-q'] }), ['python3', 'x.py', '-q']);
  assert.deepEqual(containerArgv({ name: 'c', image: 'node app.js', command: [] }), ['node', 'app.js']);
  assert.throws(() => containerArgv({ name: 'c', image: ' ' }), /container "c": empty command line/);
});

test('container process: a missing binary ends with exit code 127 and says so in the log', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-cp-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const p = new ContainerProcess({ argv: ['/nonexistent/binary'], cwd: dir, env: {}, logDir: dir, name: 'x' });
  const exit = await p.exited;
  assert.equal(exit.exitCode, 127);
  assert.match(readFileSync(join(dir, 'x.log'), 'utf8'), /cannot start "\/nonexistent\/binary"/);
});

test('container process: stop kills the whole process group, children included', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-cp-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const p = new ContainerProcess({ argv: ['sh', '-c', 'sleep 30 & echo child=$!; wait'], cwd: dir, env: { PATH: process.env.PATH ?? '' }, logDir: dir, name: 'x' });
  let child = 0;
  for (let i = 0; i < 200 && child === 0; i++) {
    await new Promise((r) => setTimeout(r, 10));
    const m = /child=([0-9]+)/.exec(readFileSync(join(dir, 'x.log'), 'utf8'));
    if (m) child = Number(m[1]);
  }
  assert.ok(child > 0);
  const exit = await p.stop(2000);
  assert.equal(exit.signal, 'SIGTERM');
  assert.equal(exit.exitCode, 143);
  await new Promise((r) => setTimeout(r, 50));
  // Gone or a zombie (this machine's PID 1 may not reap orphans).
  let state = 'gone';
  try {
    state = readFileSync(`/proc/${child}/stat`, 'utf8').split(') ')[1]?.[0] ?? 'gone';
  } catch {
    // gone
  }
  assert.ok(state === 'gone' || state === 'Z', `the background child still runs (state ${state})`);
});
