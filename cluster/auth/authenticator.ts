/**
 * Who is calling the cluster API: `Authorization: Bearer <token>` verified by
 * the TokenAuthority (tokens.ts). Every authenticated user also gets the group
 * `system:authenticated`.
 *
 * Requests without a bearer token are refused (null → 401), except when the
 * UI read access is on (`--cluster.ui-read-access`, the default): then a
 * request with no `Authorization` header at all — or one whose credentials the
 * monitoring port's web config already checked (`req.principal` of kind
 * `basic`) — is the user `system:anonymous-ui`, whom the authorizer lets only
 * get/list/watch non-Secret kinds. A request presenting a bearer token that does not
 * verify is always refused, never downgraded to the UI user.
 *
 * Tokens bound to a pod (service account tokens) work only while that pod
 * exists with the same uid (`podAlive`); revoked tokens (`revoked`) not at all.
 */
import type { FastifyRequest } from 'fastify';
import type { ApiUser, AuthenticateFn } from '../api/http.js';
import type { BoundPod, TokenAuthority } from './tokens.js';

export const UI_ANONYMOUS_USER = 'system:anonymous-ui';
export const AUTHENTICATED_GROUP = 'system:authenticated';

export interface BearerAuthenticatorOptions {
  tokens: TokenAuthority;
  /** Let header-less requests in as `system:anonymous-ui`. */
  uiReadAccess: boolean;
  /** Whether the pod a token is bound to still exists; default: always. */
  podAlive?: (pod: BoundPod) => Promise<boolean>;
  /** Whether the token with this id was revoked (revocations.ts); default: never. */
  revoked?: (jti: string) => Promise<boolean>;
}

/** The UI user (a fresh object each time: callers may not share mutable state). */
export function uiAnonymousUser(): ApiUser {
  return { name: UI_ANONYMOUS_USER, groups: ['system:unauthenticated'] };
}

/** The bearer token of a request; '' without an Authorization header, null for another scheme or a malformed one. */
export function bearerToken(req: FastifyRequest): string | null {
  const h = req.headers.authorization;
  if (h === undefined || h === '') return '';
  const m = /^Bearer[ \t]+([^\s]+)[ \t]*$/i.exec(h);
  return m === null ? null : m[1]!;
}

function checkedByWebConfig(req: FastifyRequest): boolean {
  const p = (req as FastifyRequest & { principal?: { kind?: string } | null }).principal;
  return p !== undefined && p !== null && p.kind === 'basic';
}

/** The AuthenticateFn for the cluster API. */
export function bearerAuthenticator(opts: BearerAuthenticatorOptions): AuthenticateFn {
  return async (req) => {
    const token = bearerToken(req);
    if (token === '' || (token === null && checkedByWebConfig(req))) return opts.uiReadAccess ? uiAnonymousUser() : null;
    if (token === null) return null;
    const claims = opts.tokens.verifyClaims(token);
    if (claims === null) return null;
    if (opts.revoked !== undefined && (await opts.revoked(claims.jti))) return null;
    if (claims.pod !== undefined && opts.podAlive !== undefined && !(await opts.podAlive(claims.pod))) return null;
    const groups = claims.groups.includes(AUTHENTICATED_GROUP) ? [...claims.groups] : [...claims.groups, AUTHENTICATED_GROUP];
    return { name: claims.sub, groups, ...(claims.ns !== undefined ? { namespace: claims.ns } : {}) };
  };
}
