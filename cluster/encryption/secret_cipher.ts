/**
 * AES-256-GCM envelopes for values stored at rest, shaped like Kubernetes'
 * encryption-at-rest values:
 *
 *   vigil:enc:aesgcm:v1:<key name>:<base64( 12-byte nonce | ciphertext | 16-byte tag )>
 *
 * The store key (e.g. `/registry/secrets/ns/name`) is the additional
 * authenticated data, so a ciphertext copied under another key does not open.
 * The keyring is mutable (rotation): the first key encrypts, every key decrypts.
 * Values without the prefix are plaintext written before encryption was on; they
 * read as they are.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { type EncryptionKey, EncryptionError } from './key_file.js';

export const ENVELOPE_PREFIX = 'vigil:enc:aesgcm:v1:';
const NONCE = 12;
const TAG = 16;

/** The key name of an envelope, or null for a plaintext value. */
export function envelopeKeyName(value: string): string | null {
  if (!value.startsWith(ENVELOPE_PREFIX)) return null;
  const end = value.indexOf(':', ENVELOPE_PREFIX.length);
  return end < 0 ? '' : value.slice(ENVELOPE_PREFIX.length, end);
}

export class SecretCipher {
  private keys: EncryptionKey[];
  /** `source` names where the keys came from (the key file) in errors. */
  constructor(
    keys: readonly EncryptionKey[],
    private readonly source: string,
  ) {
    if (keys.length === 0) throw new EncryptionError(`${source}: no encryption keys`);
    this.keys = [...keys];
  }

  /** Key names, the encrypting one first. */
  keyNames(): string[] {
    return this.keys.map((k) => k.name);
  }

  /** Replaces the keyring (the first key encrypts from now on). */
  setKeys(keys: readonly EncryptionKey[]): void {
    if (keys.length === 0) throw new EncryptionError(`${this.source}: no encryption keys`);
    this.keys = [...keys];
  }

  /** Encrypts `plain` stored under `storeKey` with the first key. */
  encrypt(plain: string, storeKey: string): string {
    const k = this.keys[0]!;
    const nonce = randomBytes(NONCE);
    const c = createCipheriv('aes-256-gcm', k.secret, nonce);
    c.setAAD(Buffer.from(storeKey, 'utf8'));
    const body = Buffer.concat([c.update(plain, 'utf8'), c.final()]);
    return `${ENVELOPE_PREFIX}${k.name}:${Buffer.concat([nonce, body, c.getAuthTag()]).toString('base64')}`;
  }

  /** Decrypts an envelope stored under `storeKey` (plaintext passes through). Throws `EncryptionError`. */
  decrypt(value: string, storeKey: string): string {
    const name = envelopeKeyName(value);
    if (name === null) return value;
    const k = this.keys.find((x) => x.name === name);
    if (k === undefined)
      throw new EncryptionError(`cannot decrypt ${storeKey}: it is encrypted with key "${name}", which is not in ${this.source} (keys there: ${this.keyNames().join(', ')})`);
    const raw = Buffer.from(value.slice(ENVELOPE_PREFIX.length + name.length + 1), 'base64');
    if (raw.length < NONCE + TAG) throw new EncryptionError(`cannot decrypt ${storeKey}: the envelope is truncated (${raw.length} bytes)`);
    try {
      const d = createDecipheriv('aes-256-gcm', k.secret, raw.subarray(0, NONCE));
      d.setAAD(Buffer.from(storeKey, 'utf8'));
      d.setAuthTag(raw.subarray(raw.length - TAG));
      return Buffer.concat([d.update(raw.subarray(NONCE, raw.length - TAG)), d.final()]).toString('utf8');
    } catch {
      throw new EncryptionError(`cannot decrypt ${storeKey} with key "${name}" from ${this.source}: authentication failed (a different key with the same name, or corrupted data)`);
    }
  }
}
