// Secret encryption at rest on a real etcd: the value etcd holds is an envelope, reads through the wrapper decrypt.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ApiObject } from '../api/objects.js';
import { Registry } from '../api/registry.js';
import { RESOURCES } from '../api/resources.js';
import { EtcdStore } from '../store/etcd_store.js';
import { startEtcd } from '../store/etcd_test_server.js';
import { EncryptingStore } from './encrypting_store.js';
import { newKey } from './key_file.js';
import { ENVELOPE_PREFIX, SecretCipher } from './secret_cipher.js';

const SECRETS = RESOURCES.find((r) => r.resource === 'secrets')!;

test('on etcd, a Secret is stored as an AES-GCM envelope without its plaintext and reads back decrypted', async (t) => {
  const etcd = await startEtcd();
  const raw = new EtcdStore(etcd.endpoint);
  const store = new EncryptingStore(new EtcdStore(etcd.endpoint), new SecretCipher([newKey()], 'test keys'));
  t.after(async () => {
    await store.close();
    await raw.close();
    await etcd.stop();
  });
  const reg = new Registry(store);
  await reg.ensureSystemNamespaces();
  await reg.create(SECRETS, 'default', { metadata: { name: 'api' }, stringData: { key: 'etcd-plaintext-canary' } });
  const kv = await raw.get('/registry/secrets/default/api');
  assert.ok(kv !== null);
  assert.ok(kv.value.startsWith(ENVELOPE_PREFIX));
  assert.ok(!kv.value.includes('etcd-plaintext-canary') && !kv.value.includes(Buffer.from('etcd-plaintext-canary').toString('base64')));
  assert.ok(!Buffer.from(kv.value.split(':').pop()!, 'base64').toString('latin1').includes('etcd-plaintext-canary'));
  const back = (await reg.get(SECRETS, 'default', 'api')) as ApiObject & { data?: Record<string, string> };
  assert.equal(Buffer.from(back.data!.key!, 'base64').toString(), 'etcd-plaintext-canary');
});
