/**
 * The cluster API's TLS listener (`--cluster.listen-address`, default port 9443):
 * a second fastify instance with https, serving the same REST API
 * (`openClusterApi(...).register(app)`), the public bootstrap routes
 * (bootstrap_http.ts) and any extra routes given (the encryption-key rotation),
 * with a serving certificate from Vigil's CA. On first start it creates the CA
 * (`<cluster dir>/pki/ca.{crt,key}`), and on every start it (re)writes the admin
 * credential for `vigil ctl`, `<cluster dir>/admin.conf` (0600):
 *
 *   server: https://127.0.0.1:9443
 *   certificate-authority: |
 *     -----BEGIN CERTIFICATE----- …            (inline PEM)
 *   token: <from ensureAdminToken>
 *
 * The serving certificate is checked twice a day and renewed (without a restart)
 * 30 days before it expires. Plain HTTP to the port gets a 400 and is closed.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import type { Server as HttpsServer } from 'node:https';
import { isIP } from 'node:net';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import type { ClusterApi, ClusterApiOverrides } from '../api/api_server.js';
import { writeConfig } from '../ctl/ctl_config.js';
import { bootstrapRoutes } from './bootstrap_http.js';
import { deleteExpiredTokens } from './bootstrap_token.js';
import { AGENT_CLIENT_CN } from '../agent/agent_http.js';
import { type CertAndKey, caCertHash, issueCert, loadOrCreateCa, writePrivate } from './ca.js';
import { guardPlainHttp } from './plain_http_guard.js';
import { defaultSans, ensureServingCert } from './serving_cert.js';

/** How often expired bootstrap tokens are deleted. */
export const TOKEN_CLEAN_MS = 10 * 60_000;

export interface ClusterTlsLogger {
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

export interface ClusterTlsOptions {
  /** `<storage path>/cluster`: holds `pki/`, `admin.conf`. */
  clusterDir: string;
  listen: { host: string; port: number };
  /** `--cluster.tls-san` values. */
  extraSans?: readonly string[];
  api: ClusterApi;
  /** How the API mounted here authenticates (e.g. tokens only: no anonymous UI reads on this port). */
  apiOverrides?: ClusterApiOverrides;
  /** The admin's bearer token (created on first call, the same afterwards); called with `clusterDir`. */
  ensureAdminToken: (dir: string) => Promise<string>;
  /** A node's own credential, handed out at join. */
  issueNodeCredential: (nodeName: string) => Promise<string>;
  /** More routes on the TLS listener. */
  routes?: readonly ((app: FastifyInstance) => Promise<void>)[];
  logger?: ClusterTlsLogger;
  now?: () => number;
  /** How often the serving certificate is checked for renewal. Default 12 h. */
  renewCheckMs?: number;
}

export interface ClusterTls {
  /** `https://<host>:<port>` as local clients reach it (127.0.0.1 for a wildcard listen host). */
  readonly url: string;
  readonly port: number;
  readonly caCertPem: string;
  /** `sha256:<hex>` pin of the CA (for `vigil agent --ca-cert-hash`). */
  readonly caCertHash: string;
  readonly adminConfigPath: string;
  readonly app: FastifyInstance;
  /** The API server's client certificate for agents' TLS endpoints (CN `AGENT_CLIENT_CN`), with the CA to verify them. */
  agentClientTls(): { ca: string; cert: string; key: string };
  /** A serving certificate for a node agent's TLS endpoint. */
  issueAgentCert(nodeName: string, nodeIP: string): CertAndKey;
  close(): Promise<void>;
}

/** Stand-in for the RBAC part's `ensureAdminToken`: a random token kept in `<dir>/admin.token` (0600). */
export async function fileAdminToken(dir: string): Promise<string> {
  const p = join(dir, 'admin.token');
  if (existsSync(p)) return readFileSync(p, 'utf8').trim();
  const t = randomBytes(32).toString('base64url');
  writePrivate(p, `${t}\n`);
  return t;
}

/** Stand-in for the RBAC part's `issueNodeCredential`: a random opaque token (only meaningful with an authenticator that knows it). */
export async function randomNodeCredential(nodeName: string): Promise<string> {
  return `node.${nodeName}.${randomBytes(24).toString('base64url')}`;
}

/** The host local clients use for a listen host. */
export function localHost(host: string): string {
  if (host === '' || host === '0.0.0.0' || host === '::') return '127.0.0.1';
  return isIP(host) === 6 ? `[${host}]` : host;
}

/** Starts the listener (see the file comment). Throws when the CA is unusable or the address is taken. */
export async function startClusterTls(o: ClusterTlsOptions): Promise<ClusterTls> {
  const now = o.now ?? Date.now;
  const pkiDir = join(o.clusterDir, 'pki');
  mkdirSync(pkiDir, { recursive: true, mode: 0o700 });
  const { ca, created } = loadOrCreateCa(pkiDir, now());
  const hash = caCertHash(ca.certPem);
  if (created) o.logger?.info('created the cluster CA', { dir: pkiDir, caCertHash: hash });
  const host = o.listen.host;
  const sans = defaultSans([...(o.extraSans ?? []), ...(host !== '' && host !== '0.0.0.0' && host !== '::' ? [host] : [])]);
  const serving = ensureServingCert(pkiDir, ca, { sans, now: now() });
  if (serving.issued) o.logger?.info('issued the cluster API serving certificate', { sans });
  const clientOpts = { sans: [], name: 'apiserver-agent-client', commonName: AGENT_CLIENT_CN, usages: ['client'] as const };
  let agentClient = ensureServingCert(pkiDir, ca, { ...clientOpts, now: now() }).pair;
  const issueAgentCert = (nodeName: string, nodeIP: string): CertAndKey =>
    issueCert(ca, { commonName: `system:node:${nodeName}`, sans: [nodeName, '127.0.0.1', 'localhost', ...(nodeIP !== '' ? [nodeIP] : [])], usages: ['server'], now: now() });

  const app = Fastify({
    https: { key: serving.pair.keyPem, cert: serving.pair.certPem },
    logger: false,
    bodyLimit: 1 << 20,
    requestTimeout: 60_000,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
  }) as unknown as FastifyInstance;
  guardPlainHttp(app.server as unknown as HttpsServer);
  await o.api.register(app, o.apiOverrides ?? {});
  await app.register(bootstrapRoutes, {
    registry: o.api.registry,
    caCertPem: ca.certPem,
    issueNodeCredential: o.issueNodeCredential,
    issueAgentCert,
    now,
    ...(o.logger ? { logger: o.logger } : {}),
  });
  for (const r of o.routes ?? []) await app.register(async (scope) => r(scope));

  const renew = setInterval(() => {
    try {
      const r = ensureServingCert(pkiDir, ca, { sans, now: now() });
      if (r.issued) {
        (app.server as unknown as HttpsServer).setSecureContext({ key: r.pair.keyPem, cert: r.pair.certPem });
        o.logger?.info('renewed the cluster API serving certificate', { sans });
      }
      agentClient = ensureServingCert(pkiDir, ca, { ...clientOpts, now: now() }).pair;
    } catch (e) {
      o.logger?.error('renewing the cluster API serving certificate failed', { err: e instanceof Error ? e.message : String(e) });
    }
  }, o.renewCheckMs ?? 12 * 3_600_000);
  renew.unref();
  // Expired bootstrap tokens are deleted (as kubeadm's token cleaner does).
  const cleaner = setInterval(() => {
    deleteExpiredTokens(o.api.registry, now()).then(
      (ids) => {
        if (ids.length > 0) o.logger?.info('deleted expired bootstrap tokens', { ids });
      },
      (e: unknown) => o.logger?.warn('deleting expired bootstrap tokens failed', { err: e instanceof Error ? e.message : String(e) }),
    );
  }, TOKEN_CLEAN_MS);
  cleaner.unref();

  try {
    await app.listen({ host: host === '' ? '0.0.0.0' : host, port: o.listen.port });
  } catch (e) {
    clearInterval(renew);
    clearInterval(cleaner);
    await app.close().catch(() => undefined);
    throw e;
  }
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr !== null ? addr.port : o.listen.port;
  const url = `https://${localHost(host)}:${port}`;
  const adminConfigPath = join(o.clusterDir, 'admin.conf');
  try {
    const token = await o.ensureAdminToken(o.clusterDir);
    writeConfig(adminConfigPath, { server: url, 'certificate-authority': ca.certPem, token });
  } catch (e) {
    clearInterval(renew);
    clearInterval(cleaner);
    await app.close().catch(() => undefined);
    throw e;
  }
  o.logger?.info('cluster API listening with TLS', { address: `${host === '' ? '0.0.0.0' : host}:${port}`, caCertHash: hash, adminConfig: adminConfigPath });
  return {
    url,
    port,
    caCertPem: ca.certPem,
    caCertHash: hash,
    adminConfigPath,
    app,
    agentClientTls: () => ({ ca: ca.certPem, cert: agentClient.certPem, key: agentClient.keyPem }),
    issueAgentCert,
    close: async () => {
      clearInterval(renew);
      clearInterval(cleaner);
      await app.close();
    },
  };
}
