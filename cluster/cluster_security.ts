/**
 * The cluster part's transport and at-rest security, kept apart from
 * cluster_part.ts's wiring: Secret encryption (cluster/encryption/, key file
 * `<storage path>/cluster/encryption.keys`) and the TLS listener with Vigil's CA,
 * the admin config and node bootstrap (cluster/pki/cluster_tls.ts).
 *
 * The credential functions come from the authentication part (signed tokens);
 * until it is wired, stand-ins make random tokens (meaningful only once an
 * authenticator checks them).
 */
import type { FastifyInstance } from 'fastify';
import { join } from 'node:path';
import type { ClusterApi } from './api/api_server.js';
import type { AuthenticateFn, AuthorizeFn } from './api/http.js';
import type { Store } from './store/store.js';
import { EncryptingStore } from './encryption/encrypting_store.js';
import { encryptionRoutes } from './encryption/encryption_http.js';
import { loadOrCreateKeyFile } from './encryption/key_file.js';
import { SecretCipher } from './encryption/secret_cipher.js';
import { type ClusterTls, type ClusterTlsLogger, fileAdminToken, randomNodeCredential, startClusterTls } from './pki/cluster_tls.js';
import { tlsFetch } from './pki/tls_fetch.js';
import { ApiClient } from './agent/api_client.js';
import type { NodeAgent } from './agent/node_agent.js';
import { type SecureEndpoint, startSecureEndpoint } from './agent/secure_endpoint.js';
import type { AgentClientTls } from './api/pod_log.js';

export interface ClusterSecurityOptions {
  /** The node's own credential for a joining agent (the auth part's `issueNodeCredential`). */
  issueNodeCredential?: (nodeName: string) => Promise<string>;
  /** The admin's token for admin.conf (the auth part's `ensureAdminToken`), called with `<storage path>/cluster`. */
  ensureAdminToken?: (dir: string) => Promise<string>;
  /** TLS listen address; null = no TLS listener. Default `--cluster.listen-address`. */
  listen?: { host: string; port: number } | null;
  /** Extra certificate names. Default `--cluster.tls-san`. */
  extraSans?: readonly string[];
  /** Encrypt Secrets at rest. Default true. */
  encryptSecrets?: boolean;
}

/** The per-server security state, created before the API opens. */
export class ClusterSecurity {
  readonly clusterDir: string;
  readonly keyFile: string;
  private encStore: EncryptingStore | null = null;
  private tlsListener: ClusterTls | null = null;

  constructor(
    storagePath: string,
    private readonly o: ClusterSecurityOptions,
    private readonly log: ClusterTlsLogger,
  ) {
    this.clusterDir = join(storagePath, 'cluster');
    this.keyFile = join(this.clusterDir, 'encryption.keys');
  }

  /** For `openClusterApi({ wrapStore })`: encrypts Secrets unless switched off. */
  wrapStore(): ((s: Store) => Store) | undefined {
    if (this.o.encryptSecrets === false) return undefined;
    return (s) => {
      const { keys, created } = loadOrCreateKeyFile(this.keyFile);
      if (created) this.log.info('created the Secret encryption key file', { file: this.keyFile, key: keys[0]!.name });
      this.encStore = new EncryptingStore(s, new SecretCipher(keys, this.keyFile));
      return this.encStore;
    };
  }

  /** For `openClusterApi({ agentClientTls })`: the API server's client certificate for agents, once the TLS listener runs. */
  agentClientTls(): AgentClientTls | null {
    return this.tlsListener?.agentClientTls() ?? null;
  }

  /** The encrypting store once the API opened (null when encryption is off). */
  store(): EncryptingStore | null {
    return this.encStore;
  }

  /** Whether a TLS listener is configured (it starts once the server is ready). */
  tlsConfigured(flagListen: { host: string; port: number } | null): boolean {
    return (this.o.listen !== undefined ? this.o.listen : flagListen) !== null;
  }

  /** The TLS listener once started. */
  tls(): ClusterTls | null {
    return this.tlsListener;
  }

  issueNodeCredential(nodeName: string): Promise<string> {
    return (this.o.issueNodeCredential ?? randomNodeCredential)(nodeName);
  }

  /**
   * Starts the TLS listener (when an address is configured). A failure to listen is logged and
   * leaves the server running without it (the API stays on the monitoring port).
   */
  async start(
    api: ClusterApi,
    listen: { host: string; port: number } | null,
    extraSans: readonly string[],
    auth: { authenticate?: AuthenticateFn; authorize?: AuthorizeFn },
    extraRoutes: readonly ((app: FastifyInstance) => Promise<void>)[] = [],
  ): Promise<void> {
    const addr = this.o.listen !== undefined ? this.o.listen : listen;
    if (addr === null) return;
    const enc = this.encStore;
    try {
      this.tlsListener = await startClusterTls({
        clusterDir: this.clusterDir,
        listen: addr,
        extraSans: this.o.extraSans ?? extraSans,
        api,
        // Tokens only on the TLS port: the anonymous UI reads belong to the monitoring port.
        ...(auth.authenticate ? { apiOverrides: { authenticate: auth.authenticate } } : {}),
        ensureAdminToken: this.o.ensureAdminToken ?? fileAdminToken,
        issueNodeCredential: (n) => this.issueNodeCredential(n),
        routes: [...(enc === null ? [] : [(app: FastifyInstance) => encryptionRoutes(app, { store: enc, keyFile: this.keyFile, ...auth, logger: this.log })]), ...extraRoutes],
        logger: this.log,
      });
    } catch (e) {
      this.log.error('the cluster API TLS listener did not start; the cluster API is only on the monitoring port', {
        address: `${addr.host}:${addr.port}`,
        err: e instanceof Error ? e.message : String(e),
      });
    }
  }

  /** An API client for a node agent in this process, with its own node credential: over TLS when the listener runs, else to `fallbackUrl`. */
  async localAgentClient(nodeName: string, fallbackUrl: string): Promise<ApiClient> {
    const t = this.tlsListener;
    const bearer = { authorization: `Bearer ${await this.issueNodeCredential(nodeName)}` };
    if (t === null) return new ApiClient(fallbackUrl, { headers: () => bearer });
    return new ApiClient(t.url, { fetchImpl: tlsFetch({ ca: t.caCertPem }), headers: () => bearer });
  }

  /**
   * The TLS endpoint of the in-process node agent (certificate issued directly by the CA), on
   * 127.0.0.1 with a free port; null when the TLS listener does not run (the agent then serves
   * its logs on its plain port).
   */
  async startLocalAgentEndpoint(agent: NodeAgent, client: ApiClient, nodeName: string): Promise<SecureEndpoint | null> {
    const t = this.tlsListener;
    if (t === null) return null;
    const pair = t.issueAgentCert(nodeName, '127.0.0.1');
    return startSecureEndpoint(agent, { client, nodeName, listenAddress: '127.0.0.1:0', cert: pair.certPem, key: pair.keyPem, ca: t.caCertPem });
  }

  async close(): Promise<void> {
    const t = this.tlsListener;
    this.tlsListener = null;
    if (t !== null) await t.close();
  }
}
