import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Secret } from '../api/objects.js';
import { Registry } from '../api/registry.js';
import { RESOURCES } from '../api/resources.js';
import { SqliteStore } from '../store/sqlite_store.js';
import { BOOTSTRAP_TOKEN_TYPE, bootstrapTokenSecret, checkBootstrapToken, deleteExpiredTokens, generateBootstrapToken, TOKEN_PATTERN } from './bootstrap_token.js';

const SECRETS = RESOURCES.find((r) => r.resource === 'secrets')!;

test('bootstrap tokens: generated in kubeadm form, checked for secret, type and expiry', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-btok-'));
  const store = new SqliteStore(join(dir, 'c.db'), { pollIntervalMs: 0, leaseSweepIntervalMs: 0 });
  t.after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const reg = new Registry(store);
  await reg.ensureSystemNamespaces();
  const tokens = new Set(Array.from({ length: 50 }, () => generateBootstrapToken()));
  assert.equal(tokens.size, 50);
  for (const tok of tokens) assert.match(tok, TOKEN_PATTERN);
  assert.throws(() => bootstrapTokenSecret('not-a-token', 0), /expected <6 of \[a-z0-9\]>\.<16 of \[a-z0-9\]>, got "not-a-token"/);

  const now = Date.parse('2026-11-27T12:00:00Z');
  const tok = 'abc123.0123456789abcdef';
  const stored = (await reg.create(SECRETS, 'kube-system', bootstrapTokenSecret(tok, now + 3_600_000))) as Secret;
  assert.equal(stored.metadata.name, 'bootstrap-token-abc123');
  assert.equal(stored.type, BOOTSTRAP_TOKEN_TYPE);
  assert.deepEqual(await checkBootstrapToken(reg, tok, now), { ok: true, id: 'abc123' });
  assert.deepEqual(await checkBootstrapToken(reg, 'abc123.0123456789abcdee', now), { ok: false, reason: 'wrong secret for token id "abc123"' });
  assert.deepEqual(await checkBootstrapToken(reg, 'zzz999.0123456789abcdef', now), { ok: false, reason: 'unknown token id "zzz999"' });
  assert.deepEqual(await checkBootstrapToken(reg, 'ABC123.0123456789abcdef', now), { ok: false, reason: 'malformed token' });
  assert.deepEqual(await checkBootstrapToken(reg, tok, now + 3_600_000), { ok: false, reason: 'token "abc123" expired at 2026-11-27T13:00:00.000Z' });
  // A Secret with the right name but another type is not a token.
  await reg.create(SECRETS, 'kube-system', { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'bootstrap-token-fff000' }, stringData: { 'token-secret': '0123456789abcdef', expiration: '2099-01-01T00:00:00Z' } });
  assert.deepEqual(await checkBootstrapToken(reg, 'fff000.0123456789abcdef', now), { ok: false, reason: `secret bootstrap-token-fff000 is not of type ${BOOTSTRAP_TOKEN_TYPE}` });

  // The cleaner deletes expired tokens only, and leaves other Secrets alone.
  await reg.create(SECRETS, 'kube-system', bootstrapTokenSecret('old000.0123456789abcdef', now - 1));
  assert.deepEqual(await deleteExpiredTokens(reg, now), ['old000']);
  assert.deepEqual((await reg.list(SECRETS, 'kube-system', {})).items.map((s) => s.metadata.name).sort(), ['bootstrap-token-abc123', 'bootstrap-token-fff000']);
  assert.deepEqual(await deleteExpiredTokens(reg, now + 3_600_000), ['abc123']);
});
