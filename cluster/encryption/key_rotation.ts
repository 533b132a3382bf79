/**
 * Rotation of the Secret encryption key, in three steps that each leave every
 * Secret readable, so a crash at any point loses nothing:
 *
 *   1. a new key is put first in the key file (and the live keyring): new writes use it,
 *      old envelopes still open with the old keys;
 *   2. every stored value under the encrypted prefixes not already sealed with the new
 *      key is rewritten (compare-and-swap on its revision, retried on a concurrent
 *      write) — plaintext values written before encryption was on are sealed too;
 *   3. the old keys are dropped from the file and the keyring.
 *
 * A failure in step 2 leaves the file with the new and old keys (everything opens);
 * running the rotation again finishes the job.
 */
import { readFileSync } from 'node:fs';
import { StoreError } from '../store/errors.js';
import type { EncryptingStore } from './encrypting_store.js';
import { newKey, parseKeyFile, writeKeyFile } from './key_file.js';
import { envelopeKeyName } from './secret_cipher.js';

export interface RotationResult {
  /** The key now encrypting (and the only one left). */
  readonly newKey: string;
  /** The keys removed. */
  readonly droppedKeys: string[];
  /** Values rewritten with the new key. */
  readonly rewritten: number;
}

/** Re-seals every value under `store`'s encrypted prefixes with the cipher's first key; returns how many were rewritten. */
export async function resealAll(store: EncryptingStore, prefixes: readonly string[] = ['/registry/secrets/']): Promise<number> {
  const current = store.cipher.keyNames()[0]!;
  let n = 0;
  for (const prefix of prefixes) {
    const raw = await store.inner.list(prefix);
    for (const item of raw.items) {
      if (envelopeKeyName(item.value) === current) continue;
      for (let attempt = 0; ; attempt++) {
        const kv = await store.get(item.key);
        if (kv === null) break;
        try {
          await store.update(kv.key, kv.value, kv.modRevision, { lease: kv.lease });
          n++;
          break;
        } catch (e) {
          if (e instanceof StoreError && e.code === 'not_found') break;
          if (!(e instanceof StoreError && e.code === 'conflict') || attempt >= 20) throw e;
        }
      }
    }
  }
  return n;
}

/** Rotates the key of `store` whose key file is `keyFile` (see the file comment). */
export async function rotateEncryptionKey(store: EncryptingStore, keyFile: string, now = Date.now()): Promise<RotationResult> {
  const old = parseKeyFile(readFileSync(keyFile, 'utf8'), keyFile);
  const nk = newKey(now, old.map((k) => k.name));
  writeKeyFile(keyFile, [nk, ...old]);
  store.cipher.setKeys([nk, ...old]);
  const rewritten = await resealAll(store);
  writeKeyFile(keyFile, [nk]);
  store.cipher.setKeys([nk]);
  return { newKey: nk.name, droppedKeys: old.map((k) => k.name), rewritten };
}
