/**
 * `/api/v1/status/*` endpoints about the server itself (Prometheus `web/api/v1/api.go`):
 * `buildinfo`, `flags`, `config` and `runtimeinfo`, each in the JSON envelope.
 *
 * `runtimeinfo` keeps Prometheus's field names (tools such as the Prometheus UI
 * and Grafana read them) with Node.js equivalents where Prometheus reports Go
 * runtime values: `goroutineCount` = active libuv handles and requests,
 * `GOMAXPROCS` = available parallelism, `GOMEMLIMIT` = V8 heap size limit,
 * `GOGC`/`GODEBUG` = '' (no equivalent).
 */
import { availableParallelism, hostname } from 'node:os';
import { getHeapStatistics } from 'node:v8';
import type { FastifyInstance } from 'fastify';
import { formatSize } from '../../tsdb/size.js';
import type { BuildInfo } from '../build_info.js';
import { sendSuccess } from './api_envelope.js';

/** `data` of `/api/v1/status/runtimeinfo`. */
export interface RuntimeInfo {
  readonly startTime: string;
  readonly CWD: string;
  readonly hostname: string;
  readonly serverTime: string;
  readonly reloadConfigSuccess: boolean;
  readonly lastConfigTime: string;
  readonly corruptionCount: number;
  readonly goroutineCount: number;
  readonly GOMAXPROCS: number;
  readonly GOMEMLIMIT: number;
  readonly GOGC: string;
  readonly GODEBUG: string;
  readonly storageRetention: string;
}

/** The server state `runtimeinfo` reports, read at request time. */
export interface RuntimeState {
  /** Process start (ms since epoch). */
  readonly startTimeMs: number;
  /** Whether the last configuration (re)load succeeded. */
  readonly reloadConfigSuccess: boolean;
  /** When the configuration in use was loaded (ms since epoch). */
  readonly lastConfigTimeMs: number;
  /** Retention as Prometheus shows it: `15d`, `512MiB` or `15d or 512MiB`. */
  readonly storageRetention: string;
  /** Corrupted WAL records/segments found on open (0 until the TSDB reports them). */
  readonly corruptionCount: number;
}

/** What the status routes need from the server. */
export interface StatusOptions {
  readonly buildInfo: BuildInfo;
  /** Every flag's value as text, keyed by its Prometheus name. */
  readonly flags: Readonly<Record<string, string>>;
  /** The YAML of the configuration in use (secrets redacted by the config part). */
  configYaml(): string;
  runtimeState(): RuntimeState;
  /** Clock (ms since epoch); default `Date.now`. */
  readonly now?: () => number;
}

/** Builds the `runtimeinfo` data from the server state and the Node.js runtime. */
export function runtimeInfo(state: RuntimeState, nowMs: number): RuntimeInfo {
  return {
    startTime: new Date(state.startTimeMs).toISOString(),
    CWD: process.cwd(),
    hostname: hostname(),
    serverTime: new Date(nowMs).toISOString(),
    reloadConfigSuccess: state.reloadConfigSuccess,
    lastConfigTime: new Date(state.lastConfigTimeMs).toISOString(),
    corruptionCount: state.corruptionCount,
    goroutineCount: process.getActiveResourcesInfo().length,
    GOMAXPROCS: availableParallelism(),
    GOMEMLIMIT: getHeapStatistics().heap_size_limit,
    GOGC: '',
    GODEBUG: '',
    storageRetention: state.storageRetention,
  };
}

/** Registers the status routes on `app` (paths include `/api/v1`; use inside the route-prefix scope). */
export async function statusRoutes(app: FastifyInstance, opts: StatusOptions): Promise<void> {
  const now = opts.now ?? Date.now;
  app.get('/api/v1/status/buildinfo', async (_req, reply) => sendSuccess(reply, opts.buildInfo));
  app.get('/api/v1/status/flags', async (_req, reply) => sendSuccess(reply, opts.flags));
  app.get('/api/v1/status/config', async (_req, reply) => sendSuccess(reply, { yaml: opts.configYaml() }));
  app.get('/api/v1/status/runtimeinfo', async (_req, reply) => sendSuccess(reply, runtimeInfo(opts.runtimeState(), now())));
}

/** Retention as `runtimeinfo.storageRetention` shows it. `timeText` is the formatted duration or '' for none. */
export function retentionText(timeText: string, sizeBytes: number): string {
  const size = sizeBytes > 0 ? formatSize(sizeBytes) : '';
  if (timeText !== '' && size !== '') return `${timeText} or ${size}`;
  return timeText !== '' ? timeText : size;
}
