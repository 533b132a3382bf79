import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import bcrypt from 'bcryptjs';
import { main } from './vigil.js';

test('vigil check web-config prints promtool-style results and exits 0 only when all files are valid', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-checkweb-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const good = join(dir, 'good.yml');
  const bad = join(dir, 'bad.yml');
  writeFileSync(good, `basic_auth_users:\n  alice: ${bcrypt.hashSync('x', 4)}\n`);
  writeFileSync(bad, 'tls_server_config:\n  cert_file: x.crt\n');
  const out: string[] = [];
  const err: string[] = [];
  const io = { log: (s: string) => void out.push(s), err: (s: string) => void err.push(s) };
  assert.equal(await main(['check', 'web-config', good], io), 0);
  assert.equal(out[0], `${good} SUCCESS`);
  assert.match(out[1] ?? '', /WARNING: .*clear text/);
  out.length = 0;
  assert.equal(await main(['check', 'web-config', bad, good], io), 1);
  assert.equal(err.length, 1);
  assert.match(err[0] ?? '', new RegExp(`^${bad.replace(/[.]/g, '\\.')} FAILED: ${bad.replace(/[.]/g, '\\.')}:1:1: tls_server_config: missing key_file`));
  assert.equal(out[0], `${good} SUCCESS`);
});
