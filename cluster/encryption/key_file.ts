/**
 * The Secret encryption key file, `<storage path>/cluster/encryption.keys`
 * (mode 0600), YAML:
 *
 *   # The first key encrypts; every key decrypts.
 *   keys:
 *     - name: key-1764285000
 *       secret: <base64 of 32 random bytes>
 *
 * Created with one fresh key on first start. Names are 1..64 characters of
 * `[A-Za-z0-9_.-]` (they appear in the stored envelope prefix).
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parse, stringify } from 'yaml';

/** One AES-256 key. */
export interface EncryptionKey {
  readonly name: string;
  /** 32 bytes. */
  readonly secret: Buffer;
}

/** A key file that cannot be used, or data no key opens: says which file/key and why. */
export class EncryptionError extends Error {
  readonly code = 'encryption';
  constructor(message: string) {
    super(message);
    this.name = 'EncryptionError';
  }
}

const NAME = /^[A-Za-z0-9_.-]{1,64}$/;

/** A new random key named `key-<unix seconds>` (plus a suffix when `taken` has that name). */
export function newKey(now = Date.now(), taken: readonly string[] = []): EncryptionKey {
  let name = `key-${Math.floor(now / 1000)}`;
  for (let i = 2; taken.includes(name); i++) name = `key-${Math.floor(now / 1000)}-${i}`;
  return { name, secret: randomBytes(32) };
}

/** Parses key file text; `path` names the file in errors. */
export function parseKeyFile(text: string, path: string): EncryptionKey[] {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (e) {
    throw new EncryptionError(`${path}: not valid YAML: ${e instanceof Error ? e.message : String(e)}`);
  }
  const list = typeof doc === 'object' && doc !== null ? (doc as { keys?: unknown }).keys : undefined;
  if (!Array.isArray(list) || list.length === 0) throw new EncryptionError(`${path}: expected "keys:" with at least one {name, secret} entry`);
  const out: EncryptionKey[] = [];
  list.forEach((k: unknown, i) => {
    const e = (typeof k === 'object' && k !== null ? k : {}) as { name?: unknown; secret?: unknown };
    if (typeof e.name !== 'string' || !NAME.test(e.name)) throw new EncryptionError(`${path}: keys[${i}].name: expected 1..64 characters of A-Z a-z 0-9 _ . -, got ${JSON.stringify(e.name)}`);
    if (out.some((o) => o.name === e.name)) throw new EncryptionError(`${path}: keys[${i}].name: "${e.name}" appears twice`);
    const secret = typeof e.secret === 'string' ? Buffer.from(e.secret, 'base64') : Buffer.alloc(0);
    if (secret.length !== 32) throw new EncryptionError(`${path}: keys[${i}].secret (key "${e.name}"): expected base64 of 32 bytes (AES-256), got ${secret.length} bytes`);
    out.push({ name: e.name, secret });
  });
  return out;
}

/** Writes the key file atomically with mode 0600. */
export function writeKeyFile(path: string, keys: readonly EncryptionKey[]): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const text = `# Vigil Secret encryption keys. The first key encrypts; every key decrypts. Keep this file private (0600).\n${stringify({
    keys: keys.map((k) => ({ name: k.name, secret: k.secret.toString('base64') })),
  })}`;
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, text, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, path);
}

/** Reads the key file, creating it with one new key when absent. */
export function loadOrCreateKeyFile(path: string, now = Date.now()): { keys: EncryptionKey[]; created: boolean } {
  if (!existsSync(path)) {
    const keys = [newKey(now)];
    writeKeyFile(path, keys);
    return { keys, created: true };
  }
  return { keys: parseKeyFile(readFileSync(path, 'utf8'), path), created: false };
}
