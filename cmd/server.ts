/**
 * The composition root of `vigil server`: loads the configuration, builds the
 * fastify app from the parts' plugins, listens, opens storage, and then marks
 * the server ready. It only wires; each part owns its routes and logic.
 *
 * Adding a part: write a `ServerPart` (a name and a `register(app, ctx)` that
 * registers the part's fastify plugin and, if the part reads the configuration,
 * a reload hook via `ctx.onConfigReload`) and add it to `serverParts()`.
 *
 * Order of start-up, chosen so that probes behave like Prometheus's:
 * config (fail fast) → routes → listen (`/-/healthy` answers 200 from here) →
 * open storage → apply the configuration to every reload hook → ready
 * (`/-/ready` 200; `/api/v1/*` outside `/status/` answers 503 `unavailable` before).
 */
import { stat } from 'node:fs/promises';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import type { Storage } from '../tsdb/storage.js';
import { formatDuration } from '../tsdb/duration.js';
import { createRemotePart } from '../tsdb/remote/remote_part.js';
import { RemoteStorage } from '../tsdb/remote/remote_storage.js';
import { buildInfo } from './build_info.js';
import { configToYaml, embeddedDefaultConfig, loadConfigFile, type VigilConfig } from './config.js';
import { effectiveExternalUrl, type ServerFlags } from './flags.js';
import { ApiError, apiErrorHandler, notFoundHandler } from './http/api_envelope.js';
import { adminRoutes } from './http/admin.js';
import { registerFormBody } from './http/form_body.js';
import { lifecycleRoutes, type ReloadOutcome } from './http/lifecycle.js';
import { createServerRegistry, metricsRoutes } from './http/metrics.js';
import { retentionText, statusRoutes } from './http/status.js';
import { type Logger, StructuredLogger } from './logger.js';
import { openTsdbStorage } from './tsdb_storage.js';
import { alertServerPart } from '../alert/server_part.js';
import { clusterPart } from '../cluster/cluster_part.js';
import { actionsPart } from '../cluster/actions/actions_part.js';
import { autoRollbackPart } from '../cluster/actions/auto_rollback_part.js';
import { autoscalePart } from '../cluster/autoscale/autoscale_part.js';
import { builtinClusterRules } from '../cluster/failover/failover_flags.js';
import { failoverPart } from '../cluster/failover/failover_part.js';
import { demoPart, demoRulesFile } from '../cluster/demo/demo_part.js';
import { uiServerPart } from '../ui/http.js';
import { parseMetricSelector } from '../query/parser.js';
import { queryPart } from '../query/query_part.js';
import { relabel } from '../scrape/relabel.js';
import { scrapePart } from '../scrape/scrape_part.js';
import { registerWebAuth, WebConfigSource } from './web_auth.js';
import { httpsOptions, installTlsReload } from './web_tls.js';
import type { Server as HttpsServer } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/** Called with the new configuration on start-up and on every reload that parsed. Throw to report failure. */
export type ConfigReloadHook = (cfg: VigilConfig) => void | Promise<void>;

/** Called once the server is ready, with its own URL. */
export type ReadyHook = (info: { readonly url: string }) => undefined | ReadyStop | Promise<undefined | ReadyStop>;
/** Returned by a `ReadyHook` to stop what it started. */
export type ReadyStop = () => Promise<void>;

/** What a part's wiring receives. */
export interface PartContext {
  readonly flags: ServerFlags;
  /** A logger already tagged with `component=<part name>`. */
  readonly logger: StructuredLogger;
  /** The external URL (no trailing slash), for links such as alert `generatorURL`. */
  readonly externalUrl: () => string;
  /** The storage once open; throws `ApiError('unavailable')` before (route handlers may let it propagate). */
  storage(): Storage;
  /** The configuration in use. */
  config(): VigilConfig;
  /** Runs `hook` on start-up (after storage opens) and after every successfully parsed reload, in registration order. */
  onConfigReload(name: string, hook: ConfigReloadHook): void;
  /**
   * Runs `hook` once, right after the server became ready (listening, storage open, configuration
   * applied), with the server's own URL (`http(s)://host:port<prefix>`). A hook that throws is
   * logged and does not stop the server. A hook may return a stop function: `close()` calls it
   * (latest first) before the server stops accepting requests, so work that talks to the server's
   * own API (a local node agent) can finish cleanly.
   */
  onReady(name: string, hook: ReadyHook): void;
  isReady(): boolean;
  /** The registry behind `/metrics`; parts register their own metrics on it (Prometheus names where they exist). */
  readonly metrics: Registry;
  /** Adds a source of ready-made text-format lines to `/metrics` (for parts that keep their own counters). */
  addMetricsText(source: () => string): void;
}

/** One part of the server: registers its routes and hooks. */
export interface ServerPart {
  readonly name: string;
  register(app: FastifyInstance, ctx: PartContext): Promise<void>;
}

/**
 * The parts assembled into a server, in registration order: a fresh set per server
 * (parts hold per-server state such as the cluster store), so two servers in one
 * process never share one. Later issues add one line each.
 */
export function serverParts(): readonly ServerPart[] {
  const cluster = clusterPart();
  // Node lease series + `failover node/NAME` (cluster/failover/); the shipped rules drive it.
  const failover = failoverPart({ cluster });
  // Alert-driven cluster actions (cluster/actions/): fed by the rule manager and by `POST /api/v1/cluster/alerts`.
  // ScalingPolicies (cluster/autoscale/), on the rule engine's tick; alert actions share its decision log.
  const autoscale = autoscalePart({
    registry: () => cluster.api()?.registry ?? null,
    isLeading: () => cluster.manager()?.isLeading() ?? false,
    addTlsRoutes: (r) => cluster.addTlsRoutes(r),
  });
  // Auto-rollback (spec.rollbackOn) sees the same alerts: from the rule manager and from the webhook.
  const autoRollback = autoRollbackPart({ registry: () => cluster.api()?.registry ?? null });
  const clusterActions = actionsPart({
    registry: () => cluster.api()?.registry ?? null,
    webhookListeners: [autoRollback.webhookListener],
    onOutcome: autoscale.recordAction,
    failover: failover.run,
  });
  return [
    queryPart,
    scrapePart,
    alertServerPart({ relabel, receivers: [clusterActions.receiver, autoRollback.receiver], builtinRules: builtinClusterRules }),
    createRemotePart({ parseSelector: parseMetricSelector }),
    cluster,
    failover,
    clusterActions,
    autoRollback,
    autoscale,
    // The quick-start demo (on the embedded default configuration only; --no-demo turns it off).
    demoPart(),
    uiServerPart,
  ];
}

/** Options of `startServer`; all optional. */
export interface StartServerOptions {
  /** Default: a `StructuredLogger` at `--log.level`/`--log.format` writing to stderr. */
  logger?: StructuredLogger;
  /** Opens the storage. Default: the TSDB in `--storage.tsdb.path` (`cmd/tsdb_storage.ts`). */
  openStorage?: (flags: ServerFlags, logger: Logger) => Promise<Storage>;
  /** Called when `/-/quit` is requested. Default: `close()`. The CLI passes its shutdown path. */
  onQuit?: () => void;
  /** The parts to assemble instead of `serverParts()` (tests that build a part with their own options). */
  baseParts?: readonly ServerPart[];
  /** Extra parts registered after the base parts (tests, embedding). */
  parts?: readonly ServerPart[];
  /** Clock (ms since epoch). Default `Date.now`. */
  now?: () => number;
}

/** A started server. */
export interface RunningServer {
  /** `http(s)://host:port` with the real port (host 127.0.0.1 when listening on all interfaces). */
  readonly url: string;
  readonly port: number;
  readonly app: FastifyInstance;
  readonly logger: StructuredLogger;
  config(): VigilConfig;
  /** Whether the last (re)load of the configuration succeeded. */
  lastReloadSuccessful(): boolean;
  /** Re-reads `--config.file` and applies it (serialised with other reloads). Never throws. */
  reload(): Promise<ReloadOutcome>;
  /** Stops accepting requests, waits for in-flight ones, closes storage. Idempotent. */
  close(): Promise<void>;
}

/** Request body limit (bytes) for routes that do not set their own. */
export const DEFAULT_BODY_LIMIT = 1 << 20;
/** Longest time to receive request headers (slowloris bound), capped by `--web.read-timeout`. */
export const HEADERS_TIMEOUT_MS = 10_000;
/** How often Node checks connections against the header and request timeouts (its default is 30 s). */
export const CONNECTION_CHECK_INTERVAL_MS = 1_000;
/** Idle keep-alive connections are closed after this. */
export const KEEP_ALIVE_TIMEOUT_MS = 30_000;

/** How long shutdown waits for in-flight requests before closing their connections. */
export const SHUTDOWN_GRACE_MS = 10_000;

/** Starts `vigil server` with `flags`. Rejects (after cleaning up) when config, listen or storage fail. */
export async function startServer(flags: ServerFlags, opts: StartServerOptions = {}): Promise<RunningServer> {
  const now = opts.now ?? Date.now;
  const logger = opts.logger ?? new StructuredLogger({ level: flags.logLevel, format: flags.logFormat });
  const startTimeMs = now();
  const info = buildInfo();
  logger.info('Starting Vigil', { version: info.vigilVersion, prometheus_api: info.version, revision: info.revision });

  // Configuration first: a broken file must stop start-up before anything listens.
  let port = flags.listenAddress.port;
  const initial = await readConfig(flags, port, logger);
  let current: VigilConfig = initial.config;
  let lastConfigTimeMs = now();
  let lastSuccessTimeMs = lastConfigTimeMs;
  let reloadSuccess = true;

  // What parts see: the local storage wrapped so remote_write sees every commit and
  // remote_read joins queries. `primary` is the local storage itself (admin API, self-metrics).
  let storage: Storage | null = null;
  let primary: Storage | null = null;
  let ready = false;
  let closing: Promise<void> | null = null;
  const hooks: { name: string; hook: ConfigReloadHook }[] = [];
  const readyHooks: { name: string; hook: ReadyHook }[] = [];
  const readyStops: { name: string; stop: ReadyStop }[] = [];

  // The web config (TLS, users, tokens) is checked before anything listens, like the main config.
  const webConfig = flags.webConfigFile === '' ? null : await WebConfigSource.open(flags.webConfigFile, logger.child({ component: 'web' }));
  const tls = webConfig?.last().tls ?? null;
  const httpOptions = {
    // Slowloris bound; Node checks these timeouts every connectionsCheckingInterval.
    headersTimeout: Math.min(HEADERS_TIMEOUT_MS, flags.readTimeoutMs),
    connectionsCheckingInterval: CONNECTION_CHECK_INTERVAL_MS,
  };
  const app = Fastify({
    ...(tls === null ? {} : { https: { ...httpsOptions(tls), ...httpOptions, handshakeTimeout: HEADERS_TIMEOUT_MS } }),
    logger: false,
    bodyLimit: DEFAULT_BODY_LIMIT,
    // Node's requestTimeout bounds receiving a whole request, as Go's ReadTimeout does.
    requestTimeout: flags.readTimeoutMs,
    // Socket inactivity: long enough for the slowest allowed query to answer.
    connectionTimeout: flags.readTimeoutMs + flags.queryTimeoutMs,
    keepAliveTimeout: Math.min(KEEP_ALIVE_TIMEOUT_MS, flags.readTimeoutMs),
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    http: httpOptions,
  }) as unknown as FastifyInstance;
  if (flags.maxConnections > 0) app.server.maxConnections = flags.maxConnections;
  // Requests in flight per connection: on shutdown, connections with none are closed even when
  // Node does not count them idle (keep-alive sockets whose last response was hijacked, such as
  // a cluster watch), so close() waits only for real in-flight requests.
  // Keyed by the socket requests arrive on (the TLS socket under HTTPS), from the moment it connects.
  const inFlight = new Map<Socket, number>();
  const track = (sock: Socket): void => {
    if (inFlight.has(sock)) return;
    inFlight.set(sock, 0);
    sock.once('close', () => inFlight.delete(sock));
  };
  app.server.on(tls === null ? 'connection' : 'secureConnection', track);
  app.server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const sock = req.socket;
    track(sock);
    inFlight.set(sock, (inFlight.get(sock) ?? 0) + 1);
    res.once('close', () => {
      if (inFlight.has(sock)) inFlight.set(sock, Math.max(0, (inFlight.get(sock) ?? 1) - 1));
    });
  });
  const webLogger = logger.child({ component: 'web' });
  const prefix = flags.routePrefix === '/' ? '' : flags.routePrefix;
  if (webConfig !== null) {
    // Before every route: authentication, scopes and the configured security headers.
    registerWebAuth(app, { source: webConfig, prefix, logger: webLogger });
    if (tls !== null) installTlsReload(app.server as unknown as HttpsServer, webConfig, webLogger);
    for (const w of webConfig.last().warnings) webLogger.warn('Web config field is not implemented yet and is ignored', { warning: w });
    webLogger.info('Web config loaded', { file: flags.webConfigFile, tls: tls !== null, users: webConfig.last().users.size, tokens: webConfig.last().tokens.length });
  }
  app.setErrorHandler(apiErrorHandler(webLogger));
  app.setNotFoundHandler(notFoundHandler);
  registerFormBody(app);
  if (webLogger.enabled('debug')) {
    app.addHook('onResponse', async (req, reply) => {
      webLogger.debug('request', { method: req.method, url: req.url, status: reply.statusCode, duration_ms: reply.elapsedTime.toFixed(1) });
    });
  }

  let reloadChain: Promise<unknown> = Promise.resolve();
  const applyHooks = async (cfg: VigilConfig): Promise<string[]> => {
    const errors: string[] = [];
    for (const { name, hook } of hooks) {
      try {
        await hook(cfg);
      } catch (e) {
        errors.push(`${name}: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    return errors;
  };
  const reload = (): Promise<ReloadOutcome> => {
    const run = async (): Promise<ReloadOutcome> => {
      if (closing !== null) return { ok: false, error: 'server is shutting down' };
      logger.info('Loading configuration file', { filename: flags.configFile });
      let next: VigilConfig;
      try {
        next = (await readConfig(flags, port, logger)).config;
      } catch (e) {
        reloadSuccess = false;
        const error = e instanceof Error ? e.message : String(e);
        logger.error('Error reloading config; keeping the previous configuration', { filename: flags.configFile, err: error });
        return { ok: false, error };
      }
      // As in Prometheus, parts that accepted the new configuration keep it even if another part failed.
      current = next;
      lastConfigTimeMs = now();
      const errors = await applyHooks(next);
      if (errors.length > 0) {
        reloadSuccess = false;
        const error = `one or more errors occurred while applying the new configuration (--config.file=${flags.configFile}): ${errors.join('; ')}`;
        logger.error('Error applying reloaded config', { filename: flags.configFile, err: error });
        return { ok: false, error };
      }
      reloadSuccess = true;
      lastSuccessTimeMs = now();
      logger.info('Completed loading of configuration file', { filename: flags.configFile });
      return { ok: true };
    };
    const p = reloadChain.then(run, run);
    reloadChain = p;
    return p;
  };

  const close = (): Promise<void> => {
    if (closing !== null) return closing;
    closing = (async () => {
      logger.info('Stopping Vigil');
      // What ready hooks started may use the server's own API: stop it while the API still answers.
      for (const { name, stop } of readyStops.splice(0).reverse()) {
        try {
          await stop();
        } catch (e) {
          logger.error('Stopping a start-up task failed', { part: name, err: e instanceof Error ? e.message : String(e) });
        }
      }
      ready = false;
      // In-flight requests get a grace period; then slow clients are cut off so shutdown is bounded.
      const force = setTimeout(() => app.server.closeAllConnections(), SHUTDOWN_GRACE_MS);
      force.unref();
      const sweep = setInterval(() => {
        for (const [sock, n] of inFlight) if (n === 0) sock.destroy();
      }, 100);
      sweep.unref();
      await app.close();
      clearTimeout(force);
      clearInterval(sweep);
      if (storage !== null) {
        await storage.close();
        logger.info('Storage closed');
      }
      logger.info('See you next time!');
    })();
    return closing;
  };

  // With TLS on and no --web.external-url, the derived URL must say https.
  const externalUrl = () => {
    const u = effectiveExternalUrl(flags, port);
    return tls !== null && flags.externalUrl === '' ? u.replace(/^http:/, 'https:') : u;
  };
  const metricsText: (() => string)[] = [
    // Storage that keeps its own counters (the TSDB) exposes them as text.
    () => (primary !== null && hasMetricsText(primary) ? primary.metricsText() : ''),
  ];
  const metrics = createServerRegistry({
    buildInfo: info,
    lastReloadSuccessful: () => reloadSuccess,
    lastReloadSuccessTimeMs: () => lastSuccessTimeMs,
    isReady: () => ready,
  });
  const partCtx = (name: string): PartContext => ({
    flags,
    logger: logger.child({ component: name }),
    externalUrl,
    storage: () => {
      if (storage === null) throw new ApiError('unavailable', 'Vigil is starting up: storage is not open yet');
      return storage;
    },
    config: () => current,
    onConfigReload: (hookName, hook) => {
      hooks.push({ name: hookName, hook });
    },
    onReady: (hookName, hook) => {
      readyHooks.push({ name: hookName, hook });
    },
    isReady: () => ready,
    metrics,
    addMetricsText: (source) => {
      metricsText.push(source);
    },
  });

  const parts = [...(opts.baseParts ?? serverParts()), ...(opts.parts ?? [])];
  try {
    await app.register(
      async (scope) => {
        // Like Prometheus, the data API answers 503 until storage is open; status and lifecycle always answer.
        scope.addHook('onRequest', async (req) => {
          if (ready) return;
          const path = req.url.slice(prefix.length);
          if (path.startsWith('/api/') && !path.startsWith('/api/v1/status/')) {
            throw new ApiError('unavailable', 'Vigil is starting up and not ready yet');
          }
        });
        await lifecycleRoutes(scope, {
          enableLifecycle: flags.enableLifecycle,
          isReady: () => ready,
          reload,
          quit: opts.onQuit ?? (() => void close()),
        });
        await metricsRoutes(scope, metrics, metricsText);
        await adminRoutes(scope, {
          enabled: flags.enableAdminApi,
          dataDir: flags.storagePath,
          storage: () => {
            if (primary === null) throw new ApiError('unavailable', 'Vigil is starting up: storage is not open yet');
            return primary;
          },
          now,
        });
        await statusRoutes(scope, {
          buildInfo: info,
          flags: flags.asStrings,
          now,
          configYaml: () => configToYaml(current),
          runtimeState: () => ({
            startTimeMs,
            reloadConfigSuccess: reloadSuccess,
            lastConfigTimeMs,
            corruptionCount: 0,
            storageRetention: retentionText(
              flags.retentionTimeMs > 0 ? formatDuration(flags.retentionTimeMs) : '',
              flags.retentionSizeBytes,
            ),
          }),
        });
        for (const part of parts) await part.register(scope, partCtx(part.name));
      },
      { prefix },
    );
    if (prefix !== '') app.get('/', async (_req, reply) => reply.redirect(`${prefix}/`, 302));

    const host = flags.listenAddress.host === '' ? '0.0.0.0' : flags.listenAddress.host;
    await app.listen({ host, port: flags.listenAddress.port });
    const addr = app.server.address();
    if (addr !== null && typeof addr === 'object') port = addr.port;
    logger.info('Start listening for connections', { address: `${host}:${port}` });

    if (initial.embedded) current = embeddedDefaultConfig(port, { demoRulesFile: demoRulesFile(flags) });
    logger.info('Opening storage', { path: flags.storagePath });
    const openStorage = opts.openStorage ?? openTsdbStorage;
    const opened = await openStorage(flags, logger.child({ component: 'tsdb' }));
    // An opener may already hand back the remote wrapper (tests that configure it).
    storage = opened instanceof RemoteStorage ? opened : new RemoteStorage(opened);
    primary = opened instanceof RemoteStorage ? opened.primary : opened;
    logger.info('Storage started');

    const errors = await applyHooks(current);
    if (errors.length > 0) throw new Error(`applying the configuration failed: ${errors.join('; ')}`);
    logger.info('Completed loading of configuration file', { filename: initial.embedded ? '(embedded default)' : flags.configFile });
  } catch (e) {
    logger.error('Start-up failed', { err: e instanceof Error ? e.message : String(e) });
    await close();
    throw e;
  }
  ready = true;
  logger.info('Server is ready to receive web requests.');

  const host = flags.listenAddress.host;
  const urlHost = host === '' || host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '[::1]' : host.includes(':') ? `[${host}]` : host;
  const url = `${tls === null ? 'http' : 'https'}://${urlHost}:${port}${prefix}`;
  for (const { name, hook } of readyHooks) {
    try {
      const stop = await hook({ url });
      if (typeof stop === 'function') readyStops.push({ name, stop });
    } catch (e) {
      logger.error('A start-up task after readiness failed; the server keeps running without it', { part: name, err: e instanceof Error ? e.message : String(e) });
    }
  }
  return {
    url,
    port,
    app,
    logger,
    config: () => current,
    lastReloadSuccessful: () => reloadSuccess,
    reload,
    close,
  };
}

/**
 * Reads the configuration named by the flags. An explicit `--config.file` must
 * exist; the default `prometheus.yml`, when absent, yields the embedded default
 * (`embedded: true`) so that `vigil server` starts on a fresh checkout.
 * Throws the config part's `ConfigError` (message `FILE:LINE:COL: …`) when invalid.
 */
async function readConfig(
  flags: ServerFlags,
  port: number,
  logger: Logger,
): Promise<{ config: VigilConfig; embedded: boolean }> {
  if (!flags.configFileGiven && !(await exists(flags.configFile))) {
    logger.info('No configuration file found at the default path; using the embedded default configuration', {
      filename: flags.configFile,
    });
    return { config: embeddedDefaultConfig(port, { demoRulesFile: demoRulesFile(flags) }), embedded: true };
  }
  const { config, warnings } = await loadConfigFile(flags.configFile);
  for (const w of warnings) logger.warn('Configuration field is not implemented yet and is ignored', { warning: w.message });
  return { config, embedded: false };
}

function hasMetricsText(s: Storage): s is Storage & { metricsText(): string } {
  return typeof (s as Partial<{ metricsText: unknown }>).metricsText === 'function';
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (e) {
    if (e instanceof Error && 'code' in e && e.code === 'ENOENT') return false;
    return true; // let the loader report permission and other errors with its own message
  }
}
