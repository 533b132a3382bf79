import assert from 'node:assert/strict';
import { readdirSync, readFileSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import type { ApiObject } from '../api/objects.js';
import { Registry } from '../api/registry.js';
import { RESOURCES } from '../api/resources.js';
import { SqliteStore } from '../store/sqlite_store.js';
import { EncryptingStore } from './encrypting_store.js';
import { EncryptionError, loadOrCreateKeyFile, newKey, parseKeyFile, writeKeyFile } from './key_file.js';
import { resealAll, rotateEncryptionKey } from './key_rotation.js';
import { ENVELOPE_PREFIX, envelopeKeyName, SecretCipher } from './secret_cipher.js';

const SECRETS = RESOURCES.find((r) => r.resource === 'secrets')!;
const CONFIGMAPS = RESOURCES.find((r) => r.resource === 'configmaps')!;
type SecretObj = ApiObject & { data?: Record<string, string> };

/** Every byte the SQLite store wrote (database, WAL, shared memory), as latin1 text for searching. */
function rawBytes(dir: string): string {
  return readdirSync(dir)
    .filter((f) => f.startsWith('c.db'))
    .map((f) => readFileSync(join(dir, f)).toString('latin1'))
    .join('\n');
}

async function open(t: TestContext, dir: string) {
  const keyFile = join(dir, 'encryption.keys');
  const { keys } = loadOrCreateKeyFile(keyFile, Date.parse('2026-11-27T00:00:00Z'));
  const inner = new SqliteStore(join(dir, 'c.db'), { pollIntervalMs: 0, leaseSweepIntervalMs: 0 });
  const store = new EncryptingStore(inner, new SecretCipher(keys, keyFile));
  const reg = new Registry(store);
  await reg.ensureSystemNamespaces();
  let closed = false;
  const close = async () => {
    if (!closed) await store.close();
    closed = true;
  };
  t.after(close);
  return { keyFile, inner, store, reg, close };
}

test('secrets are stored as AES-GCM envelopes: no plaintext in the SQLite files, reads and watches decrypt', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-enc-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const { keyFile, inner, reg, store, close } = await open(t, dir);
  assert.equal(statSync(keyFile).mode & 0o777, 0o600);
  const events: SecretObj[] = [];
  const watch = reg.watch(SECRETS, 'default', { resourceVersion: String(await store.currentRevision()) });
  const w = (async () => {
    for await (const ev of watch) {
      if (ev.type !== 'ERROR') events.push(ev.object as SecretObj);
      if (events.length >= 1) break;
    }
  })();
  await reg.create(SECRETS, 'default', { metadata: { name: 'db' }, stringData: { password: 'hunter2-correct-horse' } });
  await reg.create(CONFIGMAPS, 'default', { metadata: { name: 'cm' }, data: { visible: 'plain-config-value' } });
  const got = (await reg.get(SECRETS, 'default', 'db')) as SecretObj;
  assert.equal(Buffer.from(got.data!.password!, 'base64').toString(), 'hunter2-correct-horse');
  const listed = (await reg.list(SECRETS, '', {})).items as SecretObj[];
  assert.deepEqual(listed.map((s) => s.metadata.name), ['db']);
  await Promise.race([w, new Promise((r) => setTimeout(r, 3000))]);
  watch.close();
  assert.equal(events[0]?.data?.password, Buffer.from('hunter2-correct-horse').toString('base64'), 'the watch event is decrypted');

  const raw = await inner.get('/registry/secrets/default/db');
  assert.ok(raw?.value.startsWith(`${ENVELOPE_PREFIX}key-`), raw?.value.slice(0, 40));
  await close();
  const bytes = rawBytes(dir);
  assert.ok(!bytes.includes('hunter2-correct-horse'), 'no plaintext secret in the store files');
  assert.ok(!bytes.includes(Buffer.from('hunter2-correct-horse').toString('base64')), 'no base64 of the secret in the store files');
  assert.ok(bytes.includes('plain-config-value'), 'ConfigMaps are not encrypted (sanity check of the byte search)');
});

test('rotation re-encrypts every secret with a new key and drops the old one; old-key data opens until then', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-enc-rot-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const { keyFile, inner, reg, store } = await open(t, dir);
  const oldName = store.cipher.keyNames()[0]!;
  for (let i = 0; i < 5; i++) await reg.create(SECRETS, 'default', { metadata: { name: `s${i}` }, stringData: { v: `value-${i}` } });
  // Step 1 by hand: a new key first, the old one still present: everything still reads.
  const nk = newKey(Date.parse('2026-11-28T00:00:00Z'), [oldName]);
  const both = [nk, ...parseKeyFile(readFileSync(keyFile, 'utf8'), keyFile)];
  writeKeyFile(keyFile, both);
  store.cipher.setKeys(both);
  await reg.create(SECRETS, 'default', { metadata: { name: 'fresh' }, stringData: { v: 'new' } });
  assert.equal(envelopeKeyName((await inner.get('/registry/secrets/default/s0'))!.value), oldName);
  assert.equal(envelopeKeyName((await inner.get('/registry/secrets/default/fresh'))!.value), nk.name);
  assert.equal(Buffer.from(((await reg.get(SECRETS, 'default', 's3')) as SecretObj).data!.v!, 'base64').toString(), 'value-3');
  // A plaintext value from before encryption is sealed by the rotation too.
  await inner.create('/registry/secrets/default/legacy', JSON.stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'legacy', namespace: 'default', uid: 'u' }, type: 'Opaque', data: { v: 'bGVnYWN5' } }));
  assert.equal(await resealAll(store), 6, 'five old-key secrets and one plaintext value re-sealed');

  const r = await rotateEncryptionKey(store, keyFile, Date.parse('2026-11-29T00:00:00Z'));
  assert.deepEqual(r.droppedKeys, [nk.name, oldName]);
  assert.equal(r.rewritten, 7);
  assert.deepEqual(parseKeyFile(readFileSync(keyFile, 'utf8'), keyFile).map((k) => k.name), [r.newKey]);
  assert.equal(statSync(keyFile).mode & 0o777, 0o600);
  for (const kv of (await inner.list('/registry/secrets/')).items) assert.equal(envelopeKeyName(kv.value), r.newKey, kv.key);
  const all = (await reg.list(SECRETS, 'default', {})).items as SecretObj[];
  assert.deepEqual(
    all.map((s) => Buffer.from(s.data!.v!, 'base64').toString()),
    ['new', 'legacy', 'value-0', 'value-1', 'value-2', 'value-3', 'value-4'],
  );
});

test('a wrong or missing key fails the read with an error naming the key and the key file', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-enc-bad-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const { keyFile, reg, store } = await open(t, dir);
  await reg.create(SECRETS, 'default', { metadata: { name: 'x' }, stringData: { v: 'top' } });
  const name = store.cipher.keyNames()[0]!;
  // Same name, other bytes: GCM authentication fails.
  store.cipher.setKeys([{ name, secret: Buffer.alloc(32, 7) }]);
  await assert.rejects(reg.get(SECRETS, 'default', 'x'), (e: unknown) => e instanceof EncryptionError && e.message.includes(`with key "${name}"`) && e.message.includes('authentication failed'));
  store.cipher.setKeys([newKey(0, [name])]);
  await assert.rejects(reg.get(SECRETS, 'default', 'x'), (e: unknown) => e instanceof EncryptionError && e.message.includes(`encrypted with key "${name}", which is not in ${keyFile}`));
});

test('the key file is validated with the file and entry named', () => {
  assert.throws(() => parseKeyFile('keys: []\n', 'k.keys'), /k\.keys: expected "keys:" with at least one/);
  assert.throws(() => parseKeyFile('keys:\n  - name: a\n    secret: c2hvcnQ=\n', 'k.keys'), /k\.keys: keys\[0\]\.secret \(key "a"\): expected base64 of 32 bytes \(AES-256\), got 5 bytes/);
  assert.throws(() => parseKeyFile('keys:\n  - name: "a b"\n    secret: x\n', 'k.keys'), /keys\[0\]\.name: expected 1\.\.64 characters/);
  const dir = mkdtempSync(join(tmpdir(), 'vigil-keys-'));
  try {
    const p = join(dir, 'e.keys');
    const a = newKey(1000);
    const b = newKey(1000, [a.name]);
    assert.notEqual(a.name, b.name);
    writeKeyFile(p, [a, b]);
    const back = parseKeyFile(readFileSync(p, 'utf8'), p);
    assert.deepEqual(back.map((k) => [k.name, k.secret.toString('hex')]), [a, b].map((k) => [k.name, k.secret.toString('hex')]));
    writeFileSync(p, 'keys:\n  - name: a\n    secret: x\n  - name: a\n    secret: x\n');
    assert.throws(() => loadOrCreateKeyFile(p), /keys\[0\]\.secret|appears twice/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
