import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { MAX_TOKEN_BYTES, TokenAuthority, TokenKeyError } from './tokens.js';

const key = Buffer.alloc(32, 7);

test('tokens: an issued token verifies to its user, groups and namespace', () => {
  const ta = new TokenAuthority(key, { now: () => 1_000_000 });
  const tok = ta.issueToken({ name: 'alice', groups: ['dev', 'ops'], namespace: 'team-a' }, 60);
  assert.match(tok, /^vigil1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
  assert.deepEqual(ta.verifyToken(tok), { name: 'alice', groups: ['dev', 'ops'], namespace: 'team-a' });
  const c = ta.verifyClaims(tok)!;
  assert.equal(c.iat, 1000);
  assert.equal(c.exp, 1060);
  assert.notEqual(ta.verifyClaims(ta.issueToken({ name: 'alice', groups: [] }))!.jti, c.jti, 'every token has its own id');
});

test('tokens: expired, not-yet-valid, tampered, re-signed and foreign-key tokens are refused', () => {
  let now = 1_000_000;
  const ta = new TokenAuthority(key, { now: () => now });
  const tok = ta.issueToken({ name: 'alice', groups: [] }, 60);
  now += 59_000;
  assert.notEqual(ta.verifyToken(tok), null, 'valid just before expiry');
  now += 1000;
  assert.equal(ta.verifyToken(tok), null, 'expired at exp');
  now = 1_000_000;
  const [prefix, payload, sig] = tok.split('.') as [string, string, string];
  // Raise the privileges in the claims and keep the old MAC.
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
  const forged = Buffer.from(JSON.stringify({ ...claims, groups: ['system:masters'] })).toString('base64url');
  assert.equal(ta.verifyToken(`${prefix}.${forged}.${sig}`), null);
  // Flip one bit of the MAC.
  const bad = Buffer.from(sig, 'base64url');
  bad[0]! ^= 1;
  assert.equal(ta.verifyToken(`${prefix}.${payload}.${bad.toString('base64url')}`), null);
  assert.equal(ta.verifyToken(`${prefix}.${payload}.`), null);
  assert.equal(ta.verifyToken(`vigil2.${payload}.${sig}`), null);
  assert.equal(ta.verifyToken(''), null);
  assert.equal(ta.verifyToken('x'.repeat(MAX_TOKEN_BYTES + 1)), null);
  const other = new TokenAuthority(Buffer.alloc(32, 8), { now: () => now });
  assert.equal(other.verifyToken(tok), null, 'another key does not accept it');
  // Issued "in the future" (a clock far ahead when signing): refused.
  const ahead = new TokenAuthority(key, { now: () => now + 3_600_000 }).issueToken({ name: 'alice', groups: [] }, 7200);
  assert.equal(ta.verifyToken(ahead), null);
  // ttl 0: never expires.
  const forever = ta.issueToken({ name: 'admin', groups: [] }, 0);
  now += 10 * 365 * 86_400_000;
  assert.notEqual(ta.verifyToken(forever), null);
});

test('tokens: the key file is created 0600 once, reused, and refused when others can read it', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-tokens-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'cluster', 'token-signing.key');
  const a = await TokenAuthority.open(path);
  assert.equal(statSync(path).mode & 0o777, 0o600);
  const keyText = readFileSync(path, 'utf8');
  const b = await TokenAuthority.open(path);
  assert.equal(readFileSync(path, 'utf8'), keyText, 'the second open reuses the key');
  assert.notEqual(b.verifyToken(a.issueToken({ name: 'x', groups: [] })), null);
  chmodSync(path, 0o644);
  await assert.rejects(TokenAuthority.open(path), (e: unknown) => e instanceof TokenKeyError && /mode 644.*chmod 600/.test(e.message));
  chmodSync(path, 0o600);
  writeFileSync(path, 'not hex\n');
  await assert.rejects(TokenAuthority.open(path), /expected 32 to 128 hex digits/);
});
