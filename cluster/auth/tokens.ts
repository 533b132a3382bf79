/**
 * Self-contained bearer tokens for the cluster API, signed with HMAC-SHA256:
 *
 *   vigil1.<base64url(JSON claims)>.<base64url(HMAC-SHA256(key, "vigil1.<claims>"))>
 *
 * Claims: `sub` (user name), `groups`, `iat` and `exp` (Unix seconds; `exp` 0 =
 * never expires), `jti` (random id, for audit and revocation), optionally `ns`
 * (the token only works inside that namespace) and `pod` (a service account
 * token bound to a pod: it stops working when that pod is gone, see authenticator.ts).
 *
 * The key is 32 random bytes in a file created with mode 0600 on first use
 * (`<storage path>/cluster/token-signing.key`); a key file readable by group or
 * others is refused. Replacing the key file (and restarting) revokes every
 * token at once. Verification compares MACs with `timingSafeEqual`, bounds the
 * token's size before decoding and never throws for bad input.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmod, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { ApiUser } from '../api/http.js';

export const TOKEN_PREFIX = 'vigil1';
/** Longest token accepted (bytes); longer ones are refused before any decoding. */
export const MAX_TOKEN_BYTES = 8192;
/** Default lifetime of an issued token: 24 hours. */
export const DEFAULT_TOKEN_TTL_SECONDS = 86_400;
/** Tolerated clock skew for `iat` in the future. */
const SKEW_SECONDS = 60;
const KEY_BYTES = 32;

/** Who a token is for. `namespace` confines the token to one namespace. */
export interface TokenSubject {
  readonly name: string;
  readonly groups: readonly string[];
  readonly namespace?: string;
}

/** The pod a service account token is bound to. */
export interface BoundPod {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
}

/** The decoded, verified content of a token. */
export interface TokenClaims {
  readonly sub: string;
  readonly groups: readonly string[];
  readonly iat: number;
  /** 0 = no expiry. */
  readonly exp: number;
  readonly jti: string;
  readonly ns?: string;
  readonly pod?: BoundPod;
}

/** A token signing key that cannot be used (unreadable, wrong size, too open permissions). */
export class TokenKeyError extends Error {
  readonly code = 'token_key';
  constructor(message: string) {
    super(message);
    this.name = 'TokenKeyError';
  }
}

export interface TokenAuthorityOptions {
  /** Clock in ms. Default `Date.now`. */
  now?: () => number;
}

function b64(buf: Buffer): string {
  return buf.toString('base64url');
}

function isStringArray(v: unknown): v is string[] {
  return Array.isArray(v) && v.length <= 256 && v.every((x) => typeof x === 'string' && x.length <= 253);
}

function parseClaims(json: string): TokenClaims | null {
  let o: unknown;
  try {
    o = JSON.parse(json);
  } catch {
    return null;
  }
  if (typeof o !== 'object' || o === null || Array.isArray(o)) return null;
  const c = o as Record<string, unknown>;
  if (typeof c.sub !== 'string' || c.sub === '' || !isStringArray(c.groups)) return null;
  if (typeof c.iat !== 'number' || typeof c.exp !== 'number' || typeof c.jti !== 'string') return null;
  if (c.ns !== undefined && typeof c.ns !== 'string') return null;
  let pod: BoundPod | undefined;
  if (c.pod !== undefined) {
    const p = c.pod as Record<string, unknown>;
    if (typeof p !== 'object' || p === null || typeof p.namespace !== 'string' || typeof p.name !== 'string' || typeof p.uid !== 'string') return null;
    pod = { namespace: p.namespace, name: p.name, uid: p.uid };
  }
  return {
    sub: c.sub,
    groups: c.groups,
    iat: c.iat,
    exp: c.exp,
    jti: c.jti,
    ...(typeof c.ns === 'string' ? { ns: c.ns } : {}),
    ...(pod !== undefined ? { pod } : {}),
  };
}

/** Issues and verifies tokens with one key. Cheap to call from request handlers (no I/O). */
export class TokenAuthority {
  private readonly key: Buffer;
  private readonly now: () => number;

  constructor(key: Buffer, opts: TokenAuthorityOptions = {}) {
    if (key.length < 16) throw new TokenKeyError(`token signing key: expected at least 16 bytes, got ${key.length}`);
    this.key = Buffer.from(key);
    this.now = opts.now ?? Date.now;
  }

  /**
   * Loads the key from `path`, creating it (32 random bytes, hex, mode 0600, parent directory 0700)
   * when missing. Throws TokenKeyError when the file is readable by group/others or malformed.
   */
  static async open(path: string, opts: TokenAuthorityOptions = {}): Promise<TokenAuthority> {
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    try {
      await writeFile(path, `${randomBytes(KEY_BYTES).toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw new TokenKeyError(`cannot create the token signing key ${path}: ${(e as Error).message}`);
    }
    const st = await stat(path);
    if ((st.mode & 0o077) !== 0)
      throw new TokenKeyError(`token signing key ${path} has mode ${(st.mode & 0o777).toString(8)}: it must not be readable by group or others (chmod 600 ${path})`);
    const text = (await readFile(path, 'utf8')).trim();
    if (!/^[0-9a-f]{32,128}$/.test(text)) throw new TokenKeyError(`token signing key ${path}: expected 32 to 128 hex digits`);
    return new TokenAuthority(Buffer.from(text, 'hex'), opts);
  }

  private mac(signed: string): Buffer {
    return createHmac('sha256', this.key).update(signed).digest();
  }

  /**
   * A token for `user`, valid `ttlSeconds` (default 24 h; 0 = never expires). `pod` binds a
   * service account token to a pod. The groups are stored as given (no implicit groups).
   */
  issueToken(user: TokenSubject, ttlSeconds: number = DEFAULT_TOKEN_TTL_SECONDS, pod?: BoundPod): string {
    if (user.name === '') throw new TypeError('issueToken: the user name is empty');
    if (!Number.isInteger(ttlSeconds) || ttlSeconds < 0) throw new TypeError(`issueToken: ttlSeconds must be a non-negative integer, got ${ttlSeconds}`);
    const iat = Math.floor(this.now() / 1000);
    const claims: TokenClaims = {
      sub: user.name,
      groups: [...user.groups],
      iat,
      exp: ttlSeconds === 0 ? 0 : iat + ttlSeconds,
      jti: b64(randomBytes(12)),
      ...(user.namespace !== undefined && user.namespace !== '' ? { ns: user.namespace } : {}),
      ...(pod !== undefined ? { pod } : {}),
    };
    const signed = `${TOKEN_PREFIX}.${b64(Buffer.from(JSON.stringify(claims)))}`;
    return `${signed}.${b64(this.mac(signed))}`;
  }

  /** The verified claims of `token`; null when malformed, forged, not yet valid or expired. */
  verifyClaims(token: string): TokenClaims | null {
    if (token.length > MAX_TOKEN_BYTES) return null;
    const parts = token.split('.');
    if (parts.length !== 3 || parts[0] !== TOKEN_PREFIX) return null;
    const [, payload = '', sig = ''] = parts;
    if (!/^[A-Za-z0-9_-]+$/.test(payload) || !/^[A-Za-z0-9_-]+$/.test(sig)) return null;
    const given = Buffer.from(sig, 'base64url');
    const want = this.mac(`${TOKEN_PREFIX}.${payload}`);
    if (given.length !== want.length || !timingSafeEqual(given, want)) return null;
    const claims = parseClaims(Buffer.from(payload, 'base64url').toString('utf8'));
    if (claims === null) return null;
    const nowS = this.now() / 1000;
    if (claims.iat > nowS + SKEW_SECONDS) return null;
    if (claims.exp !== 0 && claims.exp <= nowS) return null;
    return claims;
  }

  /** The user of a valid token, or null. */
  verifyToken(token: string): ApiUser | null {
    const c = this.verifyClaims(token);
    if (c === null) return null;
    return { name: c.sub, groups: [...c.groups], ...(c.ns !== undefined ? { namespace: c.ns } : {}) };
  }
}

/** Writes `text` to `path` with mode 0600 (also when the file existed with another mode). */
export async function writeSecretFile(path: string, text: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  await writeFile(path, text, { mode: 0o600 });
  await chmod(path, 0o600);
}
