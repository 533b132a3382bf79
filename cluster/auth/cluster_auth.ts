/**
 * `ClusterAuth`: the cluster API's security in one object, for the cluster
 * part (cluster_part.ts) and the pki part's bootstrap endpoint:
 *
 *   const auth = await ClusterAuth.open(registry, { dir: '<storage>/cluster', uiReadAccess: true, auditLog: '<dir>/audit.log' });
 *   openClusterApi(url, { authenticate: auth.authenticate, authorize: auth.authorize, tokenRequest: auth.tokenRequest, audit: auth.audit });
 *   await auth.adminToken();                 // <dir>/admin.token, 0600, user vigil-admin in system:masters
 *   await auth.issueNodeCredential('node-1'); // a token for system:node:node-1 (group system:nodes)
 *
 * Decisions, in order (first match wins):
 *  1. discovery paths (`/api`, `/apis/…`): `get` allowed to every authenticated caller, nothing else;
 *  2. a token confined to a namespace: denied outside it;
 *  3. the group `system:masters`: allowed (cannot be locked out by RBAC edits);
 *  4. `system:anonymous-ui`: only the built-in rules of `vigil:ui-view`;
 *  5. node users: the node authorizer (node_authorizer.ts), if it allows;
 *  6. RBAC (rbac_authorizer.ts); otherwise denied.
 *
 * It also creates the default roles (default_roles.ts), runs the `default`
 * service account controller, and writes the audit log (audit_log.ts); a
 * successful write to an RBAC object invalidates the RBAC cache at once.
 */
import { join } from 'node:path';
import { readFile } from 'node:fs/promises';
import type { FastifyRequest } from 'fastify';
import type { AccessReviewFn, ApiUser, AuditRecord, AuthenticateFn, AuthorizeFn, Verb, TokenRequestFn } from '../api/http.js';
import { badRequest } from '../api/api_error.js';
import type { Pod } from '../api/objects.js';
import type { Registry } from '../api/registry.js';
import { RESOURCES } from '../api/resources.js';
import { AuditLog } from './audit_log.js';
import { bearerAuthenticator, UI_ANONYMOUS_USER } from './authenticator.js';
import { ensureDefaultRoles, MASTERS_GROUP, UI_VIEW_RULES } from './default_roles.js';
import { NODE_USER_PREFIX, NodeAuthorizer, NODES_GROUP } from './node_authorizer.js';
import { RbacAuthorizer } from './rbac_authorizer.js';
import { REVOCATIONS_CONFIGMAP, REVOCATIONS_NAMESPACE, RevocationList } from './revocations.js';
import { apiGroupOf, type RequestAttributes, rulesAllow } from './rbac_rules.js';
import { ServiceAccountController } from './serviceaccount_controller.js';
import { tokenRequestHandler } from './token_request.js';
import { type BoundPod, TokenAuthority, type TokenSubject, writeSecretFile } from './tokens.js';

export const ADMIN_USER = 'vigil-admin';
export const SIGNING_KEY_FILE = 'token-signing.key';
export const ADMIN_TOKEN_FILE = 'admin.token';
/** Lifetime of node credentials. */
export const NODE_CREDENTIAL_TTL_SECONDS = 365 * 86_400;

export interface ClusterAuthLogger {
  info(msg: string, fields?: Readonly<Record<string, unknown>>): void;
  warn(msg: string, fields?: Readonly<Record<string, unknown>>): void;
}

export interface ClusterAuthOptions {
  /** Holds the signing key and the admin token (`<storage path>/cluster`). */
  dir: string;
  /** Header-less requests read non-Secret kinds as `system:anonymous-ui`. Default true. */
  uiReadAccess?: boolean;
  /** Audit log file; null = no audit log. Default `<dir>/audit.log`. */
  auditLog?: string | null;
  /** Rotation size of the audit log. Default 100 MiB. */
  auditMaxBytes?: number;
  /** Create the default ClusterRoles and bindings. Default true. */
  defaultRoles?: boolean;
  /** Run the `default` service account controller. Default true. */
  serviceAccounts?: boolean;
  now?: () => number;
  logger?: ClusterAuthLogger;
}

const PODS = RESOURCES.find((r) => r.resource === 'pods')!;

/** Reads the admin token at `<dir>/admin.token` if it is still valid for `tokens`, else issues and writes a new one (0600). */
async function ensureAdminTokenWith(tokens: TokenAuthority, dir: string, revoked: (jti: string) => Promise<boolean> = async () => false): Promise<string> {
  const path = join(dir, ADMIN_TOKEN_FILE);
  const old = await readFile(path, 'utf8').then(
    (t) => t.trim(),
    () => '',
  );
  const claims = old !== '' ? tokens.verifyClaims(old) : null;
  if (claims?.groups.includes(MASTERS_GROUP) && !(await revoked(claims.jti))) return old;
  const token = tokens.issueToken({ name: ADMIN_USER, groups: [MASTERS_GROUP] }, 0);
  await writeSecretFile(path, `${token}\n`);
  return token;
}

/**
 * The admin credential of the cluster whose data directory is `dir` (`<storage path>/cluster`):
 * creates the signing key and `<dir>/admin.token` (0600, never expires, user `vigil-admin`
 * in `system:masters`) when missing, and returns the token.
 */
export async function ensureAdminToken(dir: string): Promise<string> {
  return ensureAdminTokenWith(await TokenAuthority.open(join(dir, SIGNING_KEY_FILE)), dir);
}

export class ClusterAuth {
  readonly tokens: TokenAuthority;
  readonly rbac: RbacAuthorizer;
  readonly nodes: NodeAuthorizer;
  readonly revocations: RevocationList;
  readonly auditLog: AuditLog | null;
  readonly authenticate: AuthenticateFn;
  /** Like `authenticate` but never the UI user: every request needs a token (for listeners other than the monitoring port). */
  readonly authenticateToken: AuthenticateFn;
  readonly authorize: AuthorizeFn;
  readonly tokenRequest: TokenRequestFn;
  /**
   * Answers `{token, verb, resource, namespace, name}` with `{allowed, authenticated, user}`: whether
   * the token's holder may make that request (for node agents serving logs). The UI read access does not apply.
   */
  readonly accessReview: AccessReviewFn;
  readonly audit: (rec: AuditRecord) => void;
  private readonly dir: string;
  private readonly saController: ServiceAccountController | null;
  private readonly alive = new Map<string, number>();

  private constructor(registry: Registry, tokens: TokenAuthority, opts: ClusterAuthOptions, sa: ServiceAccountController | null) {
    const now = opts.now ?? Date.now;
    this.dir = opts.dir;
    this.tokens = tokens;
    this.rbac = new RbacAuthorizer(registry, { now });
    this.nodes = new NodeAuthorizer(registry, { now });
    this.revocations = new RevocationList(registry, { now });
    this.saController = sa;
    const auditPath = opts.auditLog === undefined ? join(opts.dir, 'audit.log') : opts.auditLog;
    const log = opts.logger;
    this.auditLog =
      auditPath === null
        ? null
        : new AuditLog(auditPath, { ...(opts.auditMaxBytes !== undefined ? { maxBytes: opts.auditMaxBytes } : {}), onError: (e) => log?.warn('cannot write the audit log', { err: e.message }) });
    const podAlive = async (p: BoundPod): Promise<boolean> => {
      const key = `${p.namespace}/${p.name}/${p.uid}`;
      const seen = this.alive.get(key);
      if (seen !== undefined && now() - seen < 5000) return true;
      try {
        const pod = (await registry.get(PODS, p.namespace, p.name)) as Pod;
        if (pod.metadata.uid !== p.uid) return false;
      } catch {
        return false;
      }
      if (this.alive.size > 10_000) this.alive.clear();
      this.alive.set(key, now());
      return true;
    };
    const revoked = (jti: string) => this.revocations.isRevoked(jti);
    this.authenticate = bearerAuthenticator({ tokens, uiReadAccess: opts.uiReadAccess ?? true, podAlive, revoked });
    this.authenticateToken = bearerAuthenticator({ tokens, uiReadAccess: false, podAlive, revoked });
    this.authorize = async (user, verb, resource, namespace, name, scope) => {
      if (resource.startsWith('/')) return verb === 'get' ? 'allow' : 'deny';
      if (user.namespace !== undefined && user.namespace !== namespace) return 'deny';
      if (user.groups.includes(MASTERS_GROUP)) return 'allow';
      const a: RequestAttributes = { verb, apiGroup: apiGroupOf(resource), resource, namespace, name };
      if (user.name === UI_ANONYMOUS_USER) return rulesAllow(UI_VIEW_RULES, a) ? 'allow' : 'deny';
      if ((await this.nodes.decide(user, a, scope)) === 'allow') return 'allow';
      return (await this.rbac.allows(user, a)) ? 'allow' : 'deny';
    };
    this.tokenRequest = tokenRequestHandler(registry, tokens, now);
    this.accessReview = async (_caller, body) => {
      const b = typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as Record<string, unknown>) : {};
      const field = (k: string): string => {
        const v = b[k] ?? '';
        if (typeof v !== 'string' || v.length > 8192) throw badRequest(`access review: ${k} must be a string of at most 8192 characters`);
        return v;
      };
      const [token, verb, resource, namespace, name] = ['token', 'verb', 'resource', 'namespace', 'name'].map(field) as [string, string, string, string, string];
      if (!['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'].includes(verb)) throw badRequest(`access review: unknown verb ${JSON.stringify(verb)}`);
      const user = token === '' ? null : await this.authenticateToken({ headers: { authorization: `Bearer ${token}` } } as FastifyRequest);
      if (user === null) return { kind: 'AccessReview', authenticated: false, allowed: false, user: '' };
      const allowed = (await this.authorize(user, verb as Verb, resource, namespace, name)) === 'allow';
      return { kind: 'AccessReview', authenticated: true, allowed, user: user.name };
    };
    this.audit = (rec) => {
      if (rec.code < 400 && apiGroupOf(rec.resource) === 'rbac.authorization.k8s.io') this.rbac.invalidate();
      if (rec.code < 400 && rec.resource === 'configmaps' && rec.namespace === REVOCATIONS_NAMESPACE && (rec.name === REVOCATIONS_CONFIGMAP || rec.name === '')) this.revocations.invalidate();
      this.auditLog?.record(rec);
    };
  }

  /** Opens (creating on first start) the signing key, the default roles and the service account controller. */
  static async open(registry: Registry, opts: ClusterAuthOptions): Promise<ClusterAuth> {
    const tokens = await TokenAuthority.open(join(opts.dir, SIGNING_KEY_FILE), opts.now !== undefined ? { now: opts.now } : {});
    if (opts.defaultRoles !== false) {
      const n = await ensureDefaultRoles(registry);
      if (n > 0) opts.logger?.info('created the default cluster roles and bindings', { created: n });
    }
    const sa = opts.serviceAccounts !== false ? new ServiceAccountController(registry, opts.logger) : null;
    await sa?.start();
    return new ClusterAuth(registry, tokens, opts, sa);
  }

  /** A token for `user` (default lifetime 24 h; 0 = never expires). */
  issueToken(user: TokenSubject, ttlSeconds?: number): string {
    return this.tokens.issueToken(user, ttlSeconds);
  }

  /** The user of a valid token, or null (pod binding not checked here). */
  verifyToken(token: string): ApiUser | null {
    return this.tokens.verifyToken(token);
  }

  /** A credential for the node agent of `nodeName`: user `system:node:<name>`, group `system:nodes`. */
  async issueNodeCredential(nodeName: string, ttlSeconds: number = NODE_CREDENTIAL_TTL_SECONDS): Promise<string> {
    if (!/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/.test(nodeName)) throw new TypeError(`issueNodeCredential: "${nodeName}" is not a valid node name`);
    return this.tokens.issueToken({ name: `${NODE_USER_PREFIX}${nodeName}`, groups: [NODES_GROUP] }, ttlSeconds);
  }

  /**
   * Revokes one token before its expiry (false when it is not a valid token of this server).
   * A revoked admin token is replaced (new `admin.token`) on the next `adminToken()` call, e.g. the next start.
   */
  async revokeToken(token: string): Promise<boolean> {
    const claims = this.tokens.verifyClaims(token);
    if (claims === null) return false;
    await this.revocations.revoke(claims);
    return true;
  }

  /** The admin token (`<dir>/admin.token`, created when missing or no longer valid). */
  adminToken(): Promise<string> {
    return ensureAdminTokenWith(this.tokens, this.dir, (jti) => this.revocations.isRevoked(jti));
  }

  /** Stops the service account controller and flushes the audit log. */
  async close(): Promise<void> {
    await this.saController?.stop();
    await this.auditLog?.flush();
  }
}
