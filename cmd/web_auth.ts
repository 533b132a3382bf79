/**
 * Authentication and authorization of the monitoring HTTP API from a `WebConfig`
 * (cmd/web_config.ts), as one fastify `onRequest` hook that runs before every route.
 *
 * Like Prometheus's exporter-toolkit, when a web config has users (or, in Vigil, bearer
 * tokens) EVERY path needs credentials, `/-/healthy` and `/-/ready` included; the
 * configured security headers are set on every response, 401s too. Then Vigil adds scopes:
 * paths in `ADMIN_PATHS` need the `admin` scope (403 otherwise).
 *
 * - `Authorization: Basic` is checked with bcrypt (bcryptjs). A successful check is cached
 *   (at most `CACHE_SIZE` entries) under SHA-256 of the length-prefixed (user, hash,
 *   password), so the cache cannot be poisoned by crafted concatenations
 *   (CVE-2022-46146) and a changed hash invalidates it. Unknown users are compared
 *   against a dummy hash so timing does not reveal which users exist. Checks run one at a
 *   time (bcrypt is CPU-bound; this bounds what a flood of bad passwords costs).
 * - `Authorization: Bearer` tokens are compared by SHA-256 with `timingSafeEqual`, against
 *   every configured token (no early exit).
 *
 * The web config is re-read when its file or a file it names changes (checked by
 * mtime/size/inode on every request and connection); a file that no longer validates
 * fails closed: 500 for every request until it is fixed, as in Prometheus.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { stat } from 'node:fs/promises';
import bcrypt from 'bcryptjs';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from './logger.js';
import { type AuthScope, authRequired, loadWebConfig, sha256, type WebConfig } from './web_config.js';

/** Path prefixes (below the route prefix) that need the `admin` scope. */
export const ADMIN_PATHS: readonly string[] = ['/-/reload', '/-/quit', '/api/v1/admin/', '/api/v1/write', '/api/v1/otlp/'];

/** Successful basic-auth checks remembered. */
export const CACHE_SIZE = 100;

/** The scope `path` (without the route prefix and query) needs. */
export function requiredScope(path: string): AuthScope {
  for (const p of ADMIN_PATHS) if (path.startsWith(p)) return 'admin';
  return 'read';
}

/** Who made a request. */
export interface Principal {
  readonly kind: 'basic' | 'bearer' | 'anonymous';
  /** The user name, the token's source, or '' for anonymous. */
  readonly name: string;
  readonly scope: AuthScope;
}

/**
 * Keeps the web config current: `current()` re-reads it when a file it depends on
 * changed since the last read. Concurrent callers share one read.
 */
export class WebConfigSource {
  readonly file: string;
  private config: WebConfig;
  private stamp: string;
  private pending: Promise<WebConfig> | null;
  private failure: Error | null;
  private readonly logger: Logger;

  private constructor(file: string, config: WebConfig, stamp: string, logger: Logger) {
    this.file = file;
    this.config = config;
    this.stamp = stamp;
    this.pending = null;
    this.failure = null;
    this.logger = logger;
  }

  /** Loads `file` (throws `ConfigError` when invalid). */
  static async open(file: string, logger: Logger): Promise<WebConfigSource> {
    const cfg = await loadWebConfig(file);
    return new WebConfigSource(file, cfg, await stampOf(cfg.files), logger);
  }

  /** The configuration loaded last (possibly stale). */
  last(): WebConfig {
    return this.config;
  }

  /** The up-to-date configuration; rejects while the file on disk is invalid. */
  current(): Promise<WebConfig> {
    if (this.pending !== null) return this.pending;
    const p = (async () => {
      const stamp = await stampOf(this.config.files);
      if (stamp === this.stamp) {
        if (this.failure !== null) throw this.failure;
        return this.config;
      }
      try {
        const cfg = await loadWebConfig(this.file);
        this.config = cfg;
        this.stamp = await stampOf(cfg.files);
        if (this.failure !== null) this.logger.info('Web config is valid again', { file: this.file });
        this.failure = null;
        return cfg;
      } catch (e) {
        this.stamp = stamp;
        this.failure = e instanceof Error ? e : new Error(String(e));
        this.logger.error('Unable to parse web configuration; refusing requests until it is fixed', { file: this.file, err: this.failure.message });
        throw this.failure;
      }
    })();
    this.pending = p;
    const clear = () => {
      this.pending = null;
    };
    p.then(clear, clear);
    return p;
  }
}

async function stampOf(files: readonly string[]): Promise<string> {
  const parts: string[] = [];
  for (const f of files) {
    try {
      const s = await stat(f, { bigint: true });
      parts.push(`${s.ino}:${s.size}:${s.mtimeNs}`);
    } catch {
      parts.push('missing');
    }
  }
  return parts.join('|');
}

/** Verifies credentials against a `WebConfig`. One per server (it owns the cache). */
export class Authenticator {
  private readonly cache: Map<string, AuthScope>;
  private queue: Promise<unknown>;
  private dummyHash: Promise<string> | null;

  constructor() {
    this.cache = new Map();
    this.queue = Promise.resolve();
    this.dummyHash = null;
  }

  /**
   * The principal for an `Authorization` header value, or null when the credentials are
   * missing or wrong. Anonymous (scope admin) when the config requires no auth.
   */
  async authenticate(cfg: WebConfig, authorization: string | undefined): Promise<Principal | null> {
    if (!authRequired(cfg)) return { kind: 'anonymous', name: '', scope: 'admin' };
    if (authorization === undefined) return null;
    const sp = authorization.indexOf(' ');
    const scheme = (sp < 0 ? authorization : authorization.slice(0, sp)).toLowerCase();
    const cred = sp < 0 ? '' : authorization.slice(sp + 1).trim();
    if (scheme === 'bearer' && cfg.tokens.length > 0) return this.bearer(cfg, cred);
    if (scheme === 'basic' && cfg.users.size > 0) return this.basic(cfg, cred);
    return null;
  }

  private bearer(cfg: WebConfig, token: string): Principal | null {
    const digest = sha256(token);
    let found: Principal | null = null;
    for (const t of cfg.tokens) {
      // Compare against every token so the time does not depend on which one matched.
      if (timingSafeEqual(digest, t.sha256) && found === null) found = { kind: 'bearer', name: t.source, scope: t.scope };
    }
    return found;
  }

  private async basic(cfg: WebConfig, b64: string): Promise<Principal | null> {
    const decoded = Buffer.from(b64, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return null;
    const user = decoded.slice(0, colon);
    const pass = decoded.slice(colon + 1);
    const entry = cfg.users.get(user);
    const hash = entry?.hash ?? (await this.dummy());
    const key = cacheKey(user, hash, pass);
    if (entry !== undefined && this.cache.has(key)) {
      // Refresh recency (LRU).
      this.cache.delete(key);
      this.cache.set(key, entry.scope);
      return { kind: 'basic', name: user, scope: entry.scope };
    }
    const ok = await this.serial(() => bcrypt.compare(pass, hash));
    if (!ok || entry === undefined) return null;
    this.cache.set(key, entry.scope);
    if (this.cache.size > CACHE_SIZE) {
      const oldest = this.cache.keys().next().value;
      if (oldest !== undefined) this.cache.delete(oldest);
    }
    return { kind: 'basic', name: user, scope: entry.scope };
  }

  /** Number of cached successful checks (for tests and metrics). */
  cachedCount(): number {
    return this.cache.size;
  }

  /** A hash of a random password (cost 10, like typical user hashes), made once without blocking the event loop. */
  private dummy(): Promise<string> {
    if (this.dummyHash === null) this.dummyHash = bcrypt.hash(randomBytes(18).toString('base64'), 10);
    return this.dummyHash;
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const p = this.queue.then(fn, fn);
    this.queue = p.catch(() => undefined);
    return p;
  }
}

/** A cache key that no choice of user/password can make collide with another triple. */
function cacheKey(user: string, hash: string, pass: string): string {
  const h = createHash('sha256');
  for (const part of [user, hash, pass]) {
    const b = Buffer.from(part, 'utf8');
    const len = Buffer.alloc(4);
    len.writeUInt32BE(b.byteLength);
    h.update(len).update(b);
  }
  return h.digest('hex');
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Who made the request (set by the web auth hook; anonymous admin without a web config). */
    principal: Principal | null;
  }
}

/**
 * Decides whether `principal` may call the route `path` (the route pattern below the
 * prefix) with `method`. The default is `scopeAuthorizer`; the cluster API can plug in RBAC.
 */
export type Authorizer = (principal: Principal, path: string, method: string) => boolean;

/** The default authorizer: `ADMIN_PATHS` need the admin scope, everything else read. */
export const scopeAuthorizer: Authorizer = (principal, path) => requiredScope(path) !== 'admin' || principal.scope === 'admin';

/** Options of `registerWebAuth`. */
export interface WebAuthOptions {
  readonly source: WebConfigSource;
  /** Default `scopeAuthorizer`. */
  readonly authorize?: Authorizer;
  /** The route prefix ('' for '/'), stripped before matching `ADMIN_PATHS`. */
  readonly prefix: string;
  readonly logger: Logger;
}

const TEXT = 'text/plain; charset=utf-8';

/** Adds the auth hook to `app` (call before registering routes, on the root instance). */
export function registerWebAuth(app: FastifyInstance, opts: WebAuthOptions): Authenticator {
  const auth = new Authenticator();
  const authorize = opts.authorize ?? scopeAuthorizer;
  app.decorateRequest('principal', null);
  app.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
    let cfg: WebConfig;
    try {
      cfg = await opts.source.current();
    } catch {
      return reply.code(500).type(TEXT).send('Internal Server Error\n');
    }
    for (const [k, v] of Object.entries(cfg.headers)) reply.header(k, v);
    const principal = await auth.authenticate(cfg, req.headers.authorization);
    if (principal === null) {
      const challenges: string[] = [];
      if (cfg.users.size > 0) challenges.push('Basic');
      if (cfg.tokens.length > 0) challenges.push('Bearer');
      reply.header('www-authenticate', challenges.length === 1 ? challenges[0] : challenges);
      return reply.code(401).type(TEXT).send('Unauthorized\n');
    }
    req.principal = principal;
    // The matched route's pattern, not the raw URL: percent-encoding (`/-/%72eload`) cannot dodge it.
    const path = routePath(req).slice(opts.prefix.length);
    if (!authorize(principal, path, req.method)) {
      opts.logger.debug('request refused: admin scope needed', { url: req.url, who: principal.name });
      return reply.code(403).type(TEXT).send('Forbidden: this endpoint needs the admin scope\n');
    }
  });
  return auth;
}

/** The path to authorize: the matched route pattern, else the percent-decoded URL path. */
function routePath(req: FastifyRequest): string {
  const pattern = req.routeOptions.url;
  if (pattern !== undefined && pattern !== '') return pattern;
  const raw = req.url.split('?', 1)[0] ?? '';
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}
