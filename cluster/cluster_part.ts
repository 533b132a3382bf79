/**
 * The cluster manager as a part of `vigil server`: opens the cluster store
 * (`--cluster.store`, default `sqlite://<--storage.tsdb.path>/cluster.db`),
 * mounts the REST API (`/api`, `/apis`, Kubernetes' paths), starts the
 * controller manager (scheduler and controllers under leader election, so of
 * several servers on one store only one acts) and registers the cluster-state
 * metrics on a prom-client registry. It also registers the `vigil_sd_configs`
 * discovery provider (cluster/discovery.ts) for this cluster. Everything stops when the server closes
 * (fastify `onClose`): the manager first (releasing leadership at once), then
 * the store. Unless `--no-cluster.local-agent`, once the server is ready it also
 * runs a node agent for this machine against its own API (stopped first on close).
 *
 * Security (cluster/auth/): every API request is authenticated and authorized
 * (`ClusterAuth`: bearer tokens, RBAC, the node authorizer) and every mutating
 * one audited. On first start the signing key and the admin token are created
 * in `<tsdb path>/cluster/` (`admin.token`, mode 0600: give it to `vigil ctl
 * --token`). The local agent runs with its own node credential. The part
 * decorates the fastify instance with `vigilClusterAuth` (a `ClusterAuth`) so
 * later parts (the alert webhook) authorize with it.
 *
 * Wiring (cmd/server.ts):
 *
 *   import { clusterPart } from '../cluster/cluster_part.js';
 *   export const SERVER_PARTS: readonly ServerPart[] = [ …, clusterPart() ];
 *
 * and a flag `--cluster.store=URL` (`sqlite://PATH` or `etcd://HOST:PORT`) parsed
 * into `ServerFlags.clusterStore?: string`. Options override it for tests and
 * embedding. The metrics registry: pass the server's own prom-client registry
 * as `metrics`, or read `part.metrics` (created by the part when none is given)
 * and serve it on the server's `/metrics`.
 */
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { Registry as PromRegistry } from 'prom-client';
import type { PartContext, ServerPart } from '../cmd/server.js';
import { type ClusterApi, openClusterApi, type OpenClusterApiOptions } from './api/api_server.js';
import { type ControllerManagerOptions, ControllerManager } from './controllers/manager.js';
import { registerManagerMetrics } from './controllers/manager_metrics.js';
import { informerSource, registerClusterStateMetrics } from './state_metrics.js';
import { defaultStoreUrl } from './store/open_store.js';
import { clusterDiscovery, registerClusterDiscovery } from '../scrape/discovery/cluster_discovery.js';
import { VigilClusterDiscovery } from './discovery.js';
import { NodeAgent, type NodeAgentOptions } from './agent/node_agent.js';
import { ClusterSecurity, type ClusterSecurityOptions } from './cluster_security.js';
import type { ClusterTls } from './pki/cluster_tls.js';
import { ClusterAuth, type ClusterAuthOptions } from './auth/cluster_auth.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** The cluster API's authentication and authorization (set by the cluster part). */
    vigilClusterAuth?: ClusterAuth;
  }
}

export interface ClusterPartOptions {
  /** Store URL; default the `--cluster.store` flag, else `sqlite://<tsdb path>/cluster.db`. */
  storeUrl?: string;
  /** Registry for the cluster-state metrics; default a new one, exposed as `part.metrics`. */
  metrics?: PromRegistry;
  /** Passed to `openClusterApi` (auth hooks, compaction, …). */
  api?: Omit<OpenClusterApiOptions, 'logger'>;
  /** Passed to the controller manager (identity, grace periods, disabled controllers, …). */
  manager?: Omit<ControllerManagerOptions, 'logger'>;
  /** Do not run controllers here (API only). Default false. */
  noControllers?: boolean;
  /**
   * The node agent for this machine, started once the server is ready: `false` = none,
   * `true` = defaults, or options overriding the defaults (node name = host name, data in
   * `<tsdb path>/agent`, HTTP on 127.0.0.1 with a free port). Default: `--cluster.local-agent`.
   */
  localAgent?: boolean | Partial<Omit<NodeAgentOptions, 'client'>>;
  /** TLS listener, CA, node bootstrap and Secret encryption (cluster_security.ts). */
  security?: ClusterSecurityOptions;
  /**
   * Overrides of the security settings (directory, UI read access, audit log, …); defaults
   * from the flags: dir `<tsdb path>/cluster`, `--cluster.ui-read-access`, `--cluster.audit`,
   * `--cluster.audit-log`. `false` turns authentication and authorization off (embedding
   * and tests only: every request is then allowed).
   */
  auth?: false | Partial<ClusterAuthOptions>;
}

/** The part plus what it opened (set once `register` ran), for the composition root and tests. */
export interface ClusterPart extends ServerPart {
  readonly metrics: PromRegistry;
  api(): ClusterApi | null;
  manager(): ControllerManager | null;
  /** The local node agent once started (null when disabled, not started yet, or failed to start). */
  agent(): NodeAgent | null;
  /** The cluster API's TLS listener once started (null when off or failed). */
  tls(): ClusterTls | null;
  /** The cluster API's security once registered (null before, or with `auth: false`). */
  auth(): ClusterAuth | null;
  /**
   * Adds routes to the cluster API's TLS listener (e.g. the explain API), which starts once the
   * server is ready; call while registering. Each gets its own encapsulated scope.
   */
  addTlsRoutes(register: (app: FastifyInstance) => Promise<void>): void;
}

/** The store URL for the server's flags: `--cluster.store`, else SQLite next to the TSDB. */
export function clusterStoreUrl(flags: PartContext['flags'] & { clusterStore?: string }): string {
  const s = flags.clusterStore;
  return s !== undefined && s !== '' ? s : defaultStoreUrl(flags.storagePath);
}

export function clusterPart(opts: ClusterPartOptions = {}): ClusterPart {
  // The server's registry unless the caller supplies one (then it is also what `metrics` returns).
  let metrics = opts.metrics ?? new PromRegistry();
  let api: ClusterApi | null = null;
  let manager: ControllerManager | null = null;
  let agent: NodeAgent | null = null;
  let security: ClusterSecurity | null = null;
  const tlsRoutes: ((app: FastifyInstance) => Promise<void>)[] = [];
  let auth: ClusterAuth | null = null;
  return {
    name: 'cluster',
    get metrics() {
      return metrics;
    },
    api: () => api,
    manager: () => manager,
    agent: () => agent,
    tls: () => security?.tls() ?? null,
    addTlsRoutes: (r) => {
      tlsRoutes.push(r);
    },
    auth: () => auth,
    async register(app: FastifyInstance, ctx: PartContext): Promise<void> {
      if (opts.metrics === undefined) metrics = ctx.metrics;
      const url = opts.storeUrl ?? clusterStoreUrl(ctx.flags);
      const log = ctx.logger;
      const f = ctx.flags as PartContext['flags'] & { clusterUiReadAccess?: boolean; clusterAudit?: boolean; clusterAuditLog?: string };
      const authOn = opts.auth !== false;
      // The hooks are bound before the registry exists (ClusterAuth needs it); no request arrives before `listen`.
      const late = (): ClusterAuth => {
        if (auth === null) throw new Error('BUG: cluster API request before the cluster auth opened');
        return auth;
      };
      const hooks: Partial<OpenClusterApiOptions> = authOn
        ? {
            authenticate: (req) => late().authenticate(req),
            authorize: (...a) => late().authorize(...a),
            tokenRequest: (...a) => late().tokenRequest(...a),
            audit: (rec) => late().audit(rec),
            accessReview: (...a) => late().accessReview(...a),
          }
        : {};
      // Security (TLS listener, CA, bootstrap, Secret encryption): cluster_security.ts; node and admin
      // credentials come from the cluster auth when it is on.
      const sec = new ClusterSecurity(
        ctx.flags.storagePath,
        {
          ...(authOn ? { issueNodeCredential: (n: string) => late().issueNodeCredential(n), ensureAdminToken: () => late().adminToken() } : {}),
          ...(opts.security ?? {}),
        },
        log,
      );
      security = sec;
      const wrapStore = sec.wrapStore();
      const opened = await openClusterApi(url, {
        ...hooks,
        ...(opts.api ?? {}),
        logger: log,
        agentClientTls: () => sec.agentClientTls(),
        ...(wrapStore ? { wrapStore } : {}),
      });
      api = opened;
      if (opts.auth !== false) {
        const dir = join(ctx.flags.storagePath, 'cluster');
        const auditPath = f.clusterAudit === false ? null : f.clusterAuditLog !== undefined && f.clusterAuditLog !== '' ? f.clusterAuditLog : join(dir, 'audit.log');
        try {
          auth = await ClusterAuth.open(opened.registry, {
            dir,
            uiReadAccess: f.clusterUiReadAccess ?? true,
            auditLog: auditPath,
            logger: log,
            ...(opts.auth ?? {}),
          });
        } catch (e) {
          await opened.close();
          throw e;
        }
        const adminTokenPath = join(opts.auth?.dir ?? dir, 'admin.token');
        await auth.adminToken();
        log.info('cluster API authentication on', { adminToken: adminTokenPath, uiReadAccess: f.clusterUiReadAccess ?? true, auditLog: auditPath ?? 'off' });
        app.decorate('vigilClusterAuth', auth);
      }
      await opened.register(app);
      // The TLS listener starts once the server is ready, so that other parts can add routes to it
      // (addTlsRoutes) while they register; before the local agent, which connects through it.
      const tlsAuth = auth;
      ctx.onReady('cluster-tls', async () => {
        await sec.start(
          opened,
          ctx.flags.clusterListenAddress,
          ctx.flags.clusterTlsSans,
          {
            ...(opts.api?.authenticate ? { authenticate: opts.api.authenticate } : tlsAuth !== null ? { authenticate: tlsAuth.authenticateToken } : {}),
            ...(opts.api?.authorize ? { authorize: opts.api.authorize } : tlsAuth !== null ? { authorize: (...a) => tlsAuth.authorize(...a) } : {}),
          },
          tlsRoutes,
        );
        return undefined;
      });
      // `vigil_sd_configs` of this process's scrape jobs discover this cluster.
      const discovery = new VigilClusterDiscovery({ registry: opened.registry });
      registerClusterDiscovery(discovery);
      if (opts.noControllers !== true) {
        const m = new ControllerManager(opened.registry, {
          identity: `${hostname()}_${process.pid}`,
          ...(opts.manager ?? {}),
          logger: log.child({ component: 'cluster-controllers' }),
        });
        manager = m;
        registerClusterStateMetrics(metrics, informerSource(m.informers));
        registerManagerMetrics(metrics, m);
        await m.start();
        log.info('cluster controller manager started', { identity: m.identity, leading: m.isLeading(), store: url });
      }
      const la = opts.localAgent ?? ctx.flags.clusterLocalAgent;
      // Without the TLS listener the local agent would call the monitoring port, where --web.config.file demands credentials it lacks.
      if (la !== false && ctx.flags.webConfigFile !== '' && !sec.tlsConfigured(ctx.flags.clusterListenAddress)) {
        log.warn('the local node agent does not run when --web.config.file is set and the cluster TLS listener is off (it has no credentials for the monitoring port); run `vigil agent` with credentials instead');
      } else if (la !== false) {
        const over = la === true ? {} : la;
        const nodeName = over.nodeName ?? hostname().toLowerCase();
        ctx.onReady('cluster-local-agent', async ({ url }) => {
          const client = await sec.localAgentClient(nodeName, url);
          const a = new NodeAgent({
            nodeName,
            dataDir: join(ctx.flags.storagePath, 'agent'),
            listenAddress: '127.0.0.1:0',
            logger: log.child({ component: 'local-agent' }),
            ...over,
            // Over the TLS listener with the node's own credential when it runs (cluster_security.ts);
            // its logs are then served on its TLS endpoint only.
            plainLogs: sec.tls() === null,
            client,
          });
          let endpoint: Awaited<ReturnType<typeof sec.startLocalAgentEndpoint>> = null;
          try {
            await a.start();
            endpoint = await sec.startLocalAgentEndpoint(a, client, nodeName);
          } catch (e) {
            await a.stop().catch(() => undefined);
            throw e;
          }
          agent = a;
          log.info('local node agent started', { node: nodeName, port: a.port, isolation: a.isolation });
          // Called by the server's close() while its API still answers (the agent's watches are requests to it).
          return async () => {
            agent = null;
            await endpoint?.close();
            await a.stop();
            log.info('local node agent stopped');
          };
        });
      }
      app.addHook('onClose', async () => {
        if (clusterDiscovery() === discovery) registerClusterDiscovery(null);
        if (manager !== null) await manager.stop();
        await sec.close();
        await auth?.close();
        await opened.close();
      });
    },
  };
}
