/**
 * Bootstrap tokens, as kubeadm's: `<id>.<secret>` with a 6-character id and a
 * 16-character secret of `[a-z0-9]`. A token is stored as a Secret named
 * `bootstrap-token-<id>` in `kube-system`, of type `bootstrap.vigil.dev/token`,
 * with `token-id`, `token-secret` and `expiration` (RFC 3339) in its data, so it
 * is encrypted at rest like every Secret, and creating one needs the right to
 * create Secrets in `kube-system` (admins). Agents present it once, to join.
 */
import { randomInt, timingSafeEqual } from 'node:crypto';
import { ApiError } from '../api/api_error.js';
import type { Secret } from '../api/objects.js';
import type { Registry } from '../api/registry.js';
import { RESOURCES } from '../api/resources.js';

export const BOOTSTRAP_TOKEN_TYPE = 'bootstrap.vigil.dev/token';
export const BOOTSTRAP_NAMESPACE = 'kube-system';
export const TOKEN_PATTERN = /^([a-z0-9]{6})\.([a-z0-9]{16})$/;
/** Default lifetime of a token (`vigil ctl token create` without --ttl). */
export const DEFAULT_TOKEN_TTL_MS = 3_600_000;

const SECRETS = RESOURCES.find((r) => r.resource === 'secrets')!;
const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

function randomWord(n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += ALPHABET[randomInt(ALPHABET.length)];
  return s;
}

/** A new random token `<id>.<secret>`. */
export function generateBootstrapToken(): string {
  return `${randomWord(6)}.${randomWord(16)}`;
}

/** The Secret that stores `token` until `expiresAtMs`. Throws when `token` is malformed. */
export function bootstrapTokenSecret(token: string, expiresAtMs: number, description = ''): Secret {
  const m = TOKEN_PATTERN.exec(token);
  if (m === null) throw new Error(`bootstrap token: expected <6 of [a-z0-9]>.<16 of [a-z0-9]>, got ${JSON.stringify(token)}`);
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: `bootstrap-token-${m[1]}`, namespace: BOOTSTRAP_NAMESPACE },
    type: BOOTSTRAP_TOKEN_TYPE,
    stringData: {
      'token-id': m[1]!,
      'token-secret': m[2]!,
      expiration: new Date(expiresAtMs).toISOString(),
      'usage-bootstrap-authentication': 'true',
      ...(description !== '' ? { description } : {}),
    },
  };
}

/** Why a token was refused (for the server log; the client only learns "unauthorized"). */
export type TokenCheck = { ok: true; id: string } | { ok: false; reason: string };

const b64 = (s: string | undefined) => (s === undefined ? '' : Buffer.from(s, 'base64').toString('utf8'));

/** Checks `token` against the stored tokens at time `now` (ms). */
export async function checkBootstrapToken(registry: Registry, token: string, now: number): Promise<TokenCheck> {
  const m = TOKEN_PATTERN.exec(token);
  if (m === null) return { ok: false, reason: 'malformed token' };
  let s: Secret;
  try {
    s = (await registry.get(SECRETS, BOOTSTRAP_NAMESPACE, `bootstrap-token-${m[1]}`)) as Secret;
  } catch (e) {
    if (e instanceof ApiError && e.code === 404) return { ok: false, reason: `unknown token id "${m[1]}"` };
    throw e;
  }
  if (s.type !== BOOTSTRAP_TOKEN_TYPE) return { ok: false, reason: `secret ${s.metadata.name} is not of type ${BOOTSTRAP_TOKEN_TYPE}` };
  const want = Buffer.from(b64(s.data?.['token-secret']));
  const got = Buffer.from(m[2]!);
  if (want.length !== got.length || !timingSafeEqual(want, got)) return { ok: false, reason: `wrong secret for token id "${m[1]}"` };
  const exp = Date.parse(b64(s.data?.expiration));
  if (!Number.isFinite(exp)) return { ok: false, reason: `token "${m[1]}" has no valid expiration` };
  if (exp <= now) return { ok: false, reason: `token "${m[1]}" expired at ${new Date(exp).toISOString()}` };
  return { ok: true, id: m[1]! };
}

/** Deletes the stored tokens expired at `now` (kubeadm's token cleaner); returns their ids. */
export async function deleteExpiredTokens(registry: Registry, now: number): Promise<string[]> {
  const list = await registry.list(SECRETS, BOOTSTRAP_NAMESPACE, {});
  const gone: string[] = [];
  for (const o of list.items as Secret[]) {
    if (o.type !== BOOTSTRAP_TOKEN_TYPE) continue;
    const exp = Date.parse(b64(o.data?.expiration));
    if (!Number.isFinite(exp) || exp > now) continue;
    try {
      await registry.delete(SECRETS, BOOTSTRAP_NAMESPACE, o.metadata.name);
      gone.push(b64(o.data?.['token-id']));
    } catch (e) {
      if (!(e instanceof ApiError && e.code === 404)) throw e;
    }
  }
  return gone;
}
