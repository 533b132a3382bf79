/**
 * `openClusterApi`: the cluster API's composition in one call, for the
 * composition root (`cmd/server.ts`) and end-to-end tests: open the store
 * named by `--cluster.store`, create the system namespaces, build the
 * registry, start history compaction and the quota resync, and hand back a
 * `register(app)` that mounts the REST API plugin.
 *
 *   const api = await openClusterApi(flags.clusterStore ?? defaultStoreUrl(flags.storagePath), { logger });
 *   await api.register(app);   // serves /api and /apis
 *   …
 *   await api.close();         // after the HTTP server closed
 */
import type { FastifyInstance } from 'fastify';
import { type OpenStoreOptions, openStore } from '../store/open_store.js';
import { Compactor } from '../store/compactor.js';
import type { Store } from '../store/store.js';
import { type AccessReviewFn, type AuditRecord, type AuthenticateFn, type AuthorizeFn, type ClusterApiLogger, clusterApi, type TokenRequestFn } from './http.js';
import { Registry, type RegistryOptions } from './registry.js';
import type { AgentClientTls } from './pod_log.js';

export interface OpenClusterApiOptions {
  logger?: ClusterApiLogger & { info(msg: string, fields?: Readonly<Record<string, unknown>>): void };
  authenticate?: AuthenticateFn;
  authorize?: AuthorizeFn;
  /** Serves `serviceaccounts/<name>/token` (see http.ts). */
  tokenRequest?: TokenRequestFn;
  /** Receives every request that is not a read (see http.ts). */
  audit?: (rec: AuditRecord) => void;
  /** Serves access reviews for node agents (see http.ts). */
  accessReview?: AccessReviewFn;
  store?: OpenStoreOptions;
  registry?: RegistryOptions;
  maxWatchSeconds?: number;
  /** History compaction period (see compactor.ts). Default 300 000 ms; 0 = off. */
  compactIntervalMs?: number;
  /** How often quota ledgers are recounted from live pods. Default 300 000 ms; 0 = off. */
  quotaResyncMs?: number;
  /** The API server's client certificate for agents' TLS endpoints (the pod log subresource: pod_log.ts). */
  agentClientTls?: () => AgentClientTls | null;
  /** Wraps the opened store before anything uses it (Secret encryption at rest: cluster/encryption/). */
  wrapStore?: (store: Store) => Store;
}

/** Per-listener differences when the API is mounted on several servers (e.g. no UI read access on the TLS listener). */
export interface ClusterApiOverrides {
  authenticate?: AuthenticateFn;
}

export interface ClusterApi {
  readonly store: Store;
  readonly registry: Registry;
  /** Mounts the REST API on `app` (an encapsulated plugin: its parsers and error handler stay inside). */
  register(app: FastifyInstance, overrides?: ClusterApiOverrides): Promise<void>;
  /** Stops compaction and quota resync, then closes the store (ending its watches). Idempotent. */
  close(): Promise<void>;
}

/** Opens the store at `storeUrl` and prepares the API. Throws `StoreUrlError` for a bad URL. */
export async function openClusterApi(storeUrl: string, opts: OpenClusterApiOptions = {}): Promise<ClusterApi> {
  const opened = await openStore(storeUrl, opts.store);
  let store: Store = opened;
  try {
    if (opts.wrapStore) store = opts.wrapStore(opened);
    const registry = new Registry(store, { ...(opts.logger ? { logger: opts.logger } : {}), ...opts.registry });
    await registry.ensureSystemNamespaces();
    opts.logger?.info('cluster store open', { backend: store.backend, url: storeUrl, revision: await store.currentRevision() });
    const compactor = new Compactor(store, { intervalMs: opts.compactIntervalMs ?? 300_000, ...(opts.logger ? { logger: opts.logger } : {}) });
    const resyncMs = opts.quotaResyncMs ?? 300_000;
    const resync =
      resyncMs > 0
        ? setInterval(() => {
            registry.quota.recountAll().catch((e: unknown) => opts.logger?.warn('quota resync failed', { err: e instanceof Error ? e.message : String(e) }));
          }, resyncMs).unref()
        : null;
    return {
      store,
      registry,
      register: async (app, overrides = {}) => {
        await app.register(clusterApi, {
          registry,
          ...(opts.logger ? { logger: opts.logger } : {}),
          ...(opts.authenticate ? { authenticate: opts.authenticate } : {}),
          ...(opts.authorize ? { authorize: opts.authorize } : {}),
          ...(opts.tokenRequest ? { tokenRequest: opts.tokenRequest } : {}),
          ...(opts.audit ? { audit: opts.audit } : {}),
          ...(opts.accessReview ? { accessReview: opts.accessReview } : {}),
          ...(overrides.authenticate ? { authenticate: overrides.authenticate } : {}),
          ...(opts.maxWatchSeconds !== undefined ? { maxWatchSeconds: opts.maxWatchSeconds } : {}),
          ...(opts.agentClientTls ? { agentClientTls: opts.agentClientTls } : {}),
        });
      },
      close: async () => {
        compactor.stop();
        if (resync !== null) clearInterval(resync);
        await store.close();
      },
    };
  } catch (e) {
    await opened.close();
    throw e;
  }
}
