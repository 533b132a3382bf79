/**
 * End-to-end: the built `vigil` binary's command line — version, help for every
 * registered command, exit code 2 with a clear message for usage mistakes, and
 * `check config` dispatch with promtool's exit codes.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { COMMANDS } from '../cmd/vigil.js';

const ROOT = process.env.VIGIL_REPO_ROOT ?? fileURLToPath(new URL('../..', import.meta.url));
const VIGIL = join(ROOT, 'dist', 'cmd', 'vigil.js');

function vigil(...args: string[]): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [VIGIL, ...args], { encoding: 'utf8', timeout: 20_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('vigil command line (built binary)', () => {
  test('--version prints the package version and the Node.js version', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    const r = vigil('--version');
    assert.equal(r.code, 0, r.err);
    assert.ok(r.out.startsWith(`vigil, version ${pkg.version} `), r.out);
    assert.ok(r.out.includes(process.version), r.out);
  });

  test('--help lists every command; no command is a usage error', () => {
    const help = vigil('--help');
    assert.equal(help.code, 0);
    for (const c of COMMANDS) assert.ok(help.out.includes(c.path.join(' ')), `${c.path.join(' ')} listed`);
    const none = vigil();
    assert.equal(none.code, 2);
    assert.match(none.err, /^usage: vigil <command>/);
  });

  test('every command has --help with its usage', () => {
    for (const c of COMMANDS) {
      const name = c.path.join(' ');
      const r = vigil(...c.path, '--help');
      assert.equal(r.code, 0, `${name}: ${r.err}`);
      assert.ok(r.out.startsWith(`usage: vigil ${name}`), r.out);
      for (const f of c.flags) assert.ok(r.out.includes(`--${f.kind === 'bool' ? '[no-]' : ''}${f.name}`), `${name} --${f.name}`);
      const viaHelp = vigil('help', ...c.path);
      assert.equal(viaHelp.out, r.out);
    }
  });

  test('an unknown flag exits 2 naming the flag', () => {
    const r = vigil('server', '--frobnicate');
    assert.equal(r.code, 2);
    assert.equal(r.err, 'vigil server: error: unknown flag --frobnicate, try --help\n');
    const near = vigil('server', '--web.listen-adress=:1');
    assert.equal(near.code, 2);
    assert.match(near.err, /did you mean --web\.listen-address\?/);
  });

  test('a bad flag value exits 2 naming the flag, what was expected and the value', () => {
    const d = vigil('server', '--storage.tsdb.retention.time', 'forever');
    assert.equal(d.code, 2);
    assert.match(d.err, /--storage\.tsdb\.retention\.time expects a duration such as 5m or 1h30m .*got "forever", try --help/);
    const l = vigil('server', '--log.level=loud');
    assert.equal(l.code, 2);
    assert.match(l.err, /--log\.level expects one of debug, info, warn, error; got "loud"/);
    const a = vigil('server', '--web.listen-address=nowhere');
    assert.equal(a.code, 2);
    assert.match(a.err, /--web\.listen-address expects HOST:PORT/);
  });

  test('unknown commands and incomplete groups exit 2', () => {
    const u = vigil('frobnicate');
    assert.equal(u.code, 2);
    assert.match(u.err, /unknown command "frobnicate"; commands are: .*server/);
    const g = vigil('check');
    assert.equal(g.code, 2);
    assert.match(g.err, /^vigil: error: "check" needs a subcommand, one of: .*config, try --help/);
    const missingFile = vigil('check', 'config');
    assert.equal(missingFile.code, 2);
    assert.match(missingFile.err, /expected an argument, got none/);
    const flagFirst = vigil('--config.file=x');
    assert.equal(flagFirst.code, 2);
  });

  test('check config dispatches with promtool exit codes', (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-cli-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const good = join(dir, 'good.yml');
    const bad = join(dir, 'bad.yml');
    writeFileSync(good, 'global:\n  scrape_interval: 15s\n');
    writeFileSync(bad, 'global:\n  scrape_interval: 15 seconds\n');
    assert.equal(vigil('check', 'config', good).code, 0);
    const r = vigil('check', 'config', bad);
    assert.equal(r.code, 1);
    assert.match(r.out + r.err, /bad\.yml:2:\d+/);
  });
});
