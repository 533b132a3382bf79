/**
 * The flags of `vigil server`, with Prometheus's names and defaults, parsed into
 * a typed `ServerFlags`.
 *
 * Values are validated here, so the rest of the server receives milliseconds,
 * bytes, a host/port pair and enum members, never raw strings. Any invalid value
 * is a `UsageError` naming the flag, what was expected and what was received.
 * `ServerFlags.asStrings` keeps every flag's effective value as text, keyed by the
 * Prometheus name, for `/api/v1/status/flags`.
 */
import { hostname } from 'node:os';
import { formatDuration, parseDuration } from '../tsdb/duration.js';
import { parseSize } from '../tsdb/size.js';
import { ALERT_FLAGS } from '../alert/server_part.js';
import { FAILOVER_FLAGS } from '../cluster/failover/failover_flags.js';
import { type FlagSpec, type ParsedArgs, parseCommandArgs, UsageError } from './cli.js';
import { isLogFormat, isLogLevel, LOG_FORMATS, LOG_LEVELS, type LogFormat, type LogLevel } from './logger.js';

/** Retention used when neither `--storage.tsdb.retention.time` nor `.size` is set (Prometheus's default). */
export const DEFAULT_RETENTION = '15d';

/** A `host:port` listen address. `host` '' means every interface. */
export interface ListenAddress {
  readonly host: string;
  /** 0..65535; 0 asks the OS for a free port. */
  readonly port: number;
}

/** The validated flags of `vigil server`. Durations are milliseconds, sizes bytes. */
export interface ServerFlags {
  /** `--config.file`. */
  readonly configFile: string;
  /** Whether `--config.file` was given; only then is a missing file an error (see `cmd/server.ts`). */
  readonly configFileGiven: boolean;
  /** `--storage.tsdb.path`. */
  readonly storagePath: string;
  /** `--storage.tsdb.retention.time` (ms); 0 means no time limit (only when a size limit is set). */
  readonly retentionTimeMs: number;
  /** `--storage.tsdb.retention.size` (bytes); 0 means no size limit. */
  readonly retentionSizeBytes: number;
  /** `--storage.tsdb.out-of-order-time-window` (ms); 0 rejects every out-of-order sample. */
  readonly outOfOrderWindowMs: number;
  /** `--storage.tsdb.wal-sync-interval` (ms): how often the WAL is fsynced; 0 = on every commit. */
  readonly walSyncIntervalMs: number;
  /** `--storage.tsdb.no-lockfile`: do not take `lock` in the data directory. */
  readonly noLockfile: boolean;
  /** `--cluster.store`: `sqlite://PATH` or `etcd://HOST:PORT`; '' = `sqlite://<storage.tsdb.path>/cluster.db`. */
  readonly clusterStore: string;
  /** `--cluster.actions.dry-run`: alert-driven cluster actions are recorded but change nothing. */
  readonly clusterActionsDryRun: boolean;
  /** `--[no-]cluster.local-agent` (default true): run a node agent for this machine against this server's API. */
  readonly clusterLocalAgent: boolean;
  /**
   * `--cluster.listen-address`: the TLS listener of the cluster API (cluster/pki/cluster_tls.ts); null = off
   * (`none`). Default: the host of `--web.listen-address` with port 9443 (port 0 when the web port is 0).
   */
  readonly clusterListenAddress: ListenAddress | null;
  /** `--cluster.tls-san` (repeatable, or comma-separated): extra DNS names/IPs in the cluster API's serving certificate. */
  readonly clusterTlsSans: readonly string[];
  /** `--[no-]cluster.ui-read-access` (default true): cluster API requests without credentials may read non-Secret kinds (for the web UI). */
  readonly clusterUiReadAccess: boolean;
  /** `--[no-]cluster.audit` (default true): write the cluster API audit log. */
  readonly clusterAudit: boolean;
  /** `--cluster.audit-log`: the audit log file; '' = `<storage.tsdb.path>/cluster/audit.log`. */
  readonly clusterAuditLog: string;
  /**
   * `--[no-]demo` (default true): on the embedded default configuration, deploy the quick-start demo
   * (cluster/demo/: a sample web app, its autoscaling rules and a bounded load). `--no-demo` starts clean.
   */
  readonly demo: boolean;
  /** `--web.listen-address`. */
  readonly listenAddress: ListenAddress;
  /** `--web.config.file`: TLS and authentication (cmd/web_config.ts); '' = plain HTTP, no authentication. */
  readonly webConfigFile: string;
  /** `--web.enable-lifecycle`: allow `/-/reload` and `/-/quit`. */
  readonly enableLifecycle: boolean;
  /** `--web.enable-admin-api`. */
  readonly enableAdminApi: boolean;
  /** `--web.enable-remote-write-receiver`: accept remote write requests at `/api/v1/write`. */
  readonly enableRemoteWriteReceiver: boolean;
  /** `--web.external-url` as given ('' = derived from hostname and port). */
  readonly externalUrl: string;
  /** `--web.route-prefix` normalised: starts with "/", no trailing "/" except for the root "/". */
  readonly routePrefix: string;
  /** `--web.read-timeout` (ms): the longest time to receive a whole request. */
  readonly readTimeoutMs: number;
  /** `--web.max-connections`: simultaneous connections; 0 means unlimited. */
  readonly maxConnections: number;
  readonly logLevel: LogLevel;
  readonly logFormat: LogFormat;
  /** `--query.timeout` (ms). */
  readonly queryTimeoutMs: number;
  /** `--query.max-samples`. */
  readonly queryMaxSamples: number;
  /** `--query.lookback-delta` (ms). */
  readonly queryLookbackDeltaMs: number;
  /** `--query.max-concurrency`. */
  readonly queryMaxConcurrency: number;
  /** Every flag's effective value as text, keyed by its Prometheus name (no dashes). */
  readonly asStrings: Readonly<Record<string, string>>;
}

/** The flag table of `vigil server` (names, defaults and help as shown by `--help`). */
export const SERVER_FLAGS: readonly FlagSpec[] = [
  { name: 'config.file', kind: 'string', placeholder: 'FILE', default: 'prometheus.yml', help: 'Configuration file path.' },
  { name: 'storage.tsdb.path', kind: 'string', placeholder: 'DIR', default: 'data/', help: 'Base path for metrics storage.' },
  {
    name: 'storage.tsdb.retention.time',
    kind: 'string',
    placeholder: 'DURATION',
    help: `How long to retain samples (units y, w, d, h, m, s, ms). ${DEFAULT_RETENTION} when neither this nor retention.size is set.`,
  },
  {
    name: 'storage.tsdb.retention.size',
    kind: 'string',
    placeholder: 'SIZE',
    default: '0',
    help: 'Maximum bytes of storage blocks to retain (units B, KB, MB, GB, TB, PB, EB; base 2). 0 disables.',
  },
  {
    name: 'storage.tsdb.out-of-order-time-window',
    kind: 'string',
    placeholder: 'DURATION',
    default: '0s',
    help: 'How far back out-of-order samples are accepted (0s rejects them, as Prometheus does by default).',
  },
  {
    name: 'storage.tsdb.wal-sync-interval',
    kind: 'string',
    placeholder: 'DURATION',
    default: '1s',
    help: 'How often the write-ahead log is fsynced (bounds what a power loss can take; a killed process loses nothing committed). 0s syncs on every commit.',
  },
  { name: 'storage.tsdb.no-lockfile', kind: 'bool', help: 'Do not create a lockfile in the data directory.' },
  {
    name: 'cluster.store',
    kind: 'string',
    placeholder: 'URL',
    help: 'Cluster manager store: sqlite://PATH or etcd://HOST:PORT. Default: sqlite://<storage.tsdb.path>/cluster.db.',
  },
  { name: 'cluster.actions.dry-run', kind: 'bool', help: 'Record the cluster actions of firing alerts (Events, audit log, metrics) without changing anything.' },
  {
    name: 'cluster.local-agent',
    kind: 'bool',
    default: 'true',
    help: 'Run a node agent for this machine (node name = host name) against this server; --no-cluster.local-agent turns it off.',
  },
  {
    name: 'cluster.listen-address',
    kind: 'string',
    placeholder: 'HOST:PORT',
    help: 'TLS address of the cluster API (ctl, agents; certificate from Vigil\'s CA). Default: the --web.listen-address host with port 9443 (a free port when the web port is 0); "none" turns it off.',
  },
  {
    name: 'cluster.tls-san',
    kind: 'string',
    placeholder: 'NAME',
    repeatable: true,
    help: 'Extra DNS name or IP address for the cluster API certificate (repeatable or comma-separated); loopback, localhost and the host name are always in.',
  },
  {
    name: 'cluster.ui-read-access',
    kind: 'bool',
    default: 'true',
    help: 'Cluster API requests without an Authorization header may get/list/watch every kind but Secrets (what the web UI shows); --no-cluster.ui-read-access requires a token for every request.',
  },
  { name: 'cluster.audit', kind: 'bool', default: 'true', help: 'Append every mutating cluster API request to the audit log; --no-cluster.audit turns it off.' },
  {
    name: 'cluster.audit-log',
    kind: 'string',
    placeholder: 'FILE',
    help: 'Cluster API audit log (JSON lines, mode 0600, rotated at 100 MiB). Default: <storage.tsdb.path>/cluster/audit.log.',
  },
  {
    name: 'demo',
    kind: 'bool',
    default: 'true',
    help: 'With the embedded default configuration (no --config.file, no ./prometheus.yml): deploy the quick-start demo (a sample web app in namespace demo, its autoscaling rules and a demo load that comes and goes). --no-demo starts clean.',
  },
  {
    name: 'web.listen-address',
    kind: 'string',
    placeholder: 'HOST:PORT',
    default: '0.0.0.0:9090',
    help: 'Address to listen on for the UI, API and telemetry.',
  },
  {
    name: 'web.config.file',
    kind: 'string',
    placeholder: 'FILE',
    default: '',
    help: '[EXPERIMENTAL] Path to a configuration file that can enable TLS or authentication (exporter-toolkit format, plus bearer tokens and scopes).',
  },
  { name: 'web.enable-lifecycle', kind: 'bool', help: 'Enable shutdown and reload via HTTP request.' },
  { name: 'web.enable-admin-api', kind: 'bool', help: 'Enable API endpoints for admin control actions.' },
  { name: 'web.enable-remote-write-receiver', kind: 'bool', help: 'Enable API endpoint accepting remote write requests.' },
  {
    name: 'web.external-url',
    kind: 'string',
    placeholder: 'URL',
    help: 'The URL under which Vigil is externally reachable (behind a reverse proxy). Derived from the hostname if empty.',
  },
  {
    name: 'web.route-prefix',
    kind: 'string',
    placeholder: 'PATH',
    help: 'Prefix for the internal routes of web endpoints. Defaults to the path of --web.external-url.',
  },
  {
    name: 'web.read-timeout',
    kind: 'string',
    placeholder: 'DURATION',
    default: '5m',
    help: 'Maximum duration before timing out read of the request, and closing idle connections.',
  },
  {
    name: 'web.max-connections',
    kind: 'string',
    placeholder: 'N',
    default: '512',
    help: 'Maximum number of simultaneous connections (0 = unlimited).',
  },
  {
    name: 'log.level',
    kind: 'string',
    placeholder: 'LEVEL',
    default: 'info',
    help: `Only log messages with the given severity or above. One of: [${LOG_LEVELS.join(', ')}].`,
  },
  {
    name: 'log.format',
    kind: 'string',
    placeholder: 'FORMAT',
    default: 'logfmt',
    help: `Output format of log messages. One of: [${LOG_FORMATS.join(', ')}].`,
  },
  { name: 'query.timeout', kind: 'string', placeholder: 'DURATION', default: '2m', help: 'Maximum time a query may take before being aborted.' },
  {
    name: 'query.max-samples',
    kind: 'string',
    placeholder: 'N',
    default: '50000000',
    help: 'Maximum number of samples a single query can load into memory.',
  },
  {
    name: 'query.lookback-delta',
    kind: 'string',
    placeholder: 'DURATION',
    default: '5m',
    help: 'The maximum lookback duration for retrieving metrics during expression evaluations and federation.',
  },
  {
    name: 'query.max-concurrency',
    kind: 'string',
    placeholder: 'N',
    default: '20',
    help: 'Maximum number of queries executed concurrently.',
  },
  ...ALERT_FLAGS,
  ...FAILOVER_FLAGS,
];

const SPEC_BY_NAME = new Map(SERVER_FLAGS.map((f) => [f.name, f]));

/**
 * Validates parsed `vigil server` arguments into `ServerFlags`.
 * Throws `UsageError` for the first invalid value.
 */
export function serverFlagsFrom(args: ParsedArgs): ServerFlags {
  const str = (name: string): string => {
    const v = args.values.get(name);
    if (typeof v === 'string') return v;
    return SPEC_BY_NAME.get(name)?.default ?? '';
  };
  // A bool flag not given takes its table default ('true' for the few that default on).
  const bool = (name: string): boolean => {
    const v = args.values.get(name);
    return v === undefined ? SERVER_FLAGS.find((f) => f.name === name)?.default === 'true' : v === true;
  };

  const retentionTimeGiven = args.values.has('storage.tsdb.retention.time');
  const retentionSizeBytes = parseByteSize('storage.tsdb.retention.size', str('storage.tsdb.retention.size'));
  let retentionTimeMs = retentionTimeGiven ? durationFlag('storage.tsdb.retention.time', str('storage.tsdb.retention.time')) : 0;
  // Prometheus: the time default applies only when no limit at all was asked for.
  if (retentionTimeMs === 0 && retentionSizeBytes === 0) retentionTimeMs = parseDuration(DEFAULT_RETENTION);

  const listenAddress = parseListenAddress(str('web.listen-address'));
  const clusterListenAddress = parseClusterListenAddress(str('cluster.listen-address'), listenAddress);
  const clusterTlsSans = (args.lists.get('cluster.tls-san') ?? []).flatMap((v) => v.split(',')).map((v) => v.trim()).filter((v) => v !== '');
  const externalUrl = str('web.external-url');
  if (externalUrl !== '') checkExternalUrl(externalUrl);
  const routePrefix = normaliseRoutePrefix(str('web.route-prefix'), externalUrl);

  const logLevel = str('log.level');
  if (!isLogLevel(logLevel)) throw enumError('log.level', LOG_LEVELS, logLevel);
  const logFormat = str('log.format');
  if (!isLogFormat(logFormat)) throw enumError('log.format', LOG_FORMATS, logFormat);

  const readTimeoutMs = durationFlag('web.read-timeout', str('web.read-timeout'));
  if (readTimeoutMs <= 0) throw new UsageError('flag --web.read-timeout must be greater than 0, got "0s"');

  const flags = {
    configFile: str('config.file'),
    configFileGiven: args.values.has('config.file'),
    storagePath: str('storage.tsdb.path'),
    retentionTimeMs,
    retentionSizeBytes,
    outOfOrderWindowMs: durationFlag('storage.tsdb.out-of-order-time-window', str('storage.tsdb.out-of-order-time-window')),
    walSyncIntervalMs: durationFlag('storage.tsdb.wal-sync-interval', str('storage.tsdb.wal-sync-interval')),
    noLockfile: bool('storage.tsdb.no-lockfile'),
    clusterStore: str('cluster.store'),
    clusterActionsDryRun: bool('cluster.actions.dry-run'),
    clusterLocalAgent: bool('cluster.local-agent'),
    clusterListenAddress,
    clusterTlsSans,
    clusterUiReadAccess: bool('cluster.ui-read-access'),
    clusterAudit: bool('cluster.audit'),
    clusterAuditLog: str('cluster.audit-log'),
    demo: bool('demo'),
    listenAddress,
    webConfigFile: str('web.config.file'),
    enableLifecycle: bool('web.enable-lifecycle'),
    enableAdminApi: bool('web.enable-admin-api'),
    enableRemoteWriteReceiver: bool('web.enable-remote-write-receiver'),
    externalUrl,
    routePrefix,
    readTimeoutMs,
    maxConnections: intFlag('web.max-connections', str('web.max-connections'), 0),
    logLevel,
    logFormat,
    queryTimeoutMs: durationFlag('query.timeout', str('query.timeout')),
    queryMaxSamples: intFlag('query.max-samples', str('query.max-samples'), 0),
    queryLookbackDeltaMs: durationFlag('query.lookback-delta', str('query.lookback-delta')),
    queryMaxConcurrency: intFlag('query.max-concurrency', str('query.max-concurrency'), 1),
  };
  if (flags.configFile === '') throw new UsageError('flag --config.file expects a file path, got ""');
  if (flags.storagePath === '') throw new UsageError('flag --storage.tsdb.path expects a directory, got ""');
  if (flags.queryTimeoutMs <= 0) throw new UsageError(`flag --query.timeout must be greater than 0, got "${str('query.timeout')}"`);
  if (flags.queryLookbackDeltaMs <= 0) {
    throw new UsageError(`flag --query.lookback-delta must be greater than 0, got "${str('query.lookback-delta')}"`);
  }

  const asStrings: Record<string, string> = {};
  for (const f of SERVER_FLAGS) {
    asStrings[f.name] = f.kind === 'bool' ? String(bool(f.name)) : str(f.name);
  }
  asStrings['cluster.tls-san'] = clusterTlsSans.join(',');
  asStrings['storage.tsdb.retention.time'] = retentionTimeMs === 0 ? '0s' : formatDuration(retentionTimeMs);
  return { ...flags, asStrings };
}

/**
 * Parses `vigil server` arguments (e.g. `['--web.listen-address=127.0.0.1:0']`) into
 * `ServerFlags`; defaults for everything not given. Throws `UsageError`. Handy in tests.
 */
export function parseServerFlags(argv: readonly string[]): ServerFlags {
  return serverFlagsFrom(parseCommandArgs(argv, SERVER_FLAGS, { min: 0, max: 0 }));
}

/** The external URL the server announces: the flag, or `http://<hostname>:<port>` + route prefix. */
export function effectiveExternalUrl(flags: ServerFlags, port: number): string {
  if (flags.externalUrl !== '') return flags.externalUrl.replace(/\/+$/, '');
  const prefix = flags.routePrefix === '/' ? '' : flags.routePrefix;
  return `http://${hostname()}:${port}${prefix}`;
}

/** `--cluster.listen-address`: '' = the web host with port 9443 (0 when the web port is 0), `none` = off. */
export function parseClusterListenAddress(text: string, web: ListenAddress): ListenAddress | null {
  if (text === 'none') return null;
  if (text === '') return { host: web.host, port: web.port === 0 ? 0 : 9443 };
  try {
    return parseListenAddress(text);
  } catch (e) {
    if (e instanceof UsageError) throw new UsageError(e.message.replace('--web.listen-address', '--cluster.listen-address').replace('0.0.0.0:9090', '0.0.0.0:9443'));
    throw e;
  }
}

/** Parses `host:port`, `:port` or `[v6]:port`. Throws `UsageError`. */
export function parseListenAddress(text: string): ListenAddress {
  const bad = (why: string) => new UsageError(`flag --web.listen-address expects HOST:PORT (e.g. 0.0.0.0:9090), got "${text}": ${why}`);
  let host: string;
  let portText: string;
  if (text.startsWith('[')) {
    const end = text.indexOf(']');
    if (end < 0 || text[end + 1] !== ':') throw bad('an IPv6 host must be written [addr]:port');
    host = text.slice(1, end);
    portText = text.slice(end + 2);
  } else {
    const colon = text.lastIndexOf(':');
    if (colon < 0) throw bad('missing port');
    host = text.slice(0, colon);
    portText = text.slice(colon + 1);
    if (host.includes(':')) throw bad('an IPv6 host must be written [addr]:port');
  }
  if (!/^\d{1,5}$/.test(portText)) throw bad(`port "${portText}" is not a number`);
  const port = Number(portText);
  if (port > 65535) throw bad(`port ${port} is above 65535`);
  if (/\s/.test(host)) throw bad('host contains whitespace');
  return { host, port };
}

/** Parses a base-2 byte size (`512MB`, `10GiB`, `0`) with Prometheus's syntax (tsdb/size.ts). Throws `UsageError`. */
export function parseByteSize(flag: string, text: string): number {
  let bytes: number;
  try {
    bytes = parseSize(text);
  } catch {
    throw new UsageError(`flag --${flag} expects a size such as 512MB or 10GB (units B, KB, MB, GB, TB, PB, EB), got "${text}"`);
  }
  if (bytes < 0) throw new UsageError(`flag --${flag} expects a size >= 0, got "${text}"`);
  return bytes;
}

function durationFlag(flag: string, text: string): number {
  try {
    return parseDuration(text);
  } catch {
    throw new UsageError(`flag --${flag} expects a duration such as 5m or 1h30m (units y, w, d, h, m, s, ms), got "${text}"`);
  }
}

function intFlag(flag: string, text: string, min: number): number {
  if (!/^\d+$/.test(text)) throw new UsageError(`flag --${flag} expects a whole number >= ${min}, got "${text}"`);
  const n = Number(text);
  if (!Number.isSafeInteger(n)) throw new UsageError(`flag --${flag}: "${text}" is too large`);
  if (n < min) throw new UsageError(`flag --${flag} expects a whole number >= ${min}, got "${text}"`);
  return n;
}

function enumError(flag: string, allowed: readonly string[], got: string): UsageError {
  return new UsageError(`flag --${flag} expects one of ${allowed.join(', ')}; got "${got}"`);
}

function checkExternalUrl(text: string): void {
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    throw new UsageError(`flag --web.external-url expects an absolute URL such as http://prom.example.com/vigil, got "${text}"`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    throw new UsageError(`flag --web.external-url expects an http or https URL, got "${text}"`);
  }
}

/** The route prefix: the flag, else the external URL's path; always "/" or "/a/b" (no trailing slash). */
function normaliseRoutePrefix(flag: string, externalUrl: string): string {
  let p = flag;
  if (p === '' && externalUrl !== '') p = new URL(externalUrl).pathname;
  if (p === '') p = '/';
  if (!p.startsWith('/')) p = '/' + p;
  p = p.replace(/\/+$/, '');
  if (/[?#\s]/.test(p)) throw new UsageError(`flag --web.route-prefix expects a URL path such as /vigil, got "${flag}"`);
  return p === '' ? '/' : p;
}
