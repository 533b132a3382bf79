/**
 * The storage the server uses when remote storage is configured: a `Storage` in front
 * of the local one that
 * - forwards every committed sample to one queue per `remote_write` endpoint: when the
 *   primary is a TSDB (it exposes `dir` and `wal.dir`), each queue tails the WAL through a
 *   `WalSampleSource` with its progress in `<dir>/remote/<md5 of queue name or url>.json`,
 *   so restarts and outages lose nothing the WAL holds; otherwise (MemoryStorage) through
 *   `TeeAppendable` and a `MemorySampleSource` per queue, and
 * - merges the `remote_read` endpoints into queries as secondary queryables (through
 *   `FanoutStorage`; their failures become warnings).
 *
 * `applyConfig` is called on start-up and on every reload: queues whose configuration
 * (and the external labels) did not change keep running; changed ones are replaced, the
 * replacement taking over the old queue's buffered samples; removed ones are flushed
 * (up to the flush deadline) and stopped.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { Labels } from '../labels.js';
import { FanoutStorage } from '../fanout.js';
import type { Appender, Querier, Queryable, Storage } from '../storage.js';
import type { RemoteReadConfig, RemoteWriteConfig } from './config.js';
import { MemorySampleSource, SeriesTable } from './memory_sample_source.js';
import { QueueManager } from './queue_manager.js';
import type { RemoteWriteMetrics } from './queue_metrics.js';
import { ReadClient } from './read_client.js';
import { RemoteQueryable } from './remote_queryable.js';
import { TeeAppendable } from './tee_appendable.js';
import type { SampleSource } from './sample_source.js';
import { WalSampleSource } from './wal_sample_source.js';
import { WriteClient } from './write_client.js';

interface Logger {
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

/** The parts of the configuration remote storage reads. */
export interface RemoteStorageConfig {
  externalLabels: Labels;
  remoteWrite: readonly RemoteWriteConfig[];
  remoteRead: readonly RemoteReadConfig[];
}

/** Options of `RemoteStorage`. */
export interface RemoteStorageOptions {
  /** Most samples buffered per remote write queue while the endpoint is unreachable. Default 1,000,000. */
  bufferLimit?: number;
  /** How long stopping a queue may spend sending what it holds. Default 10 s. */
  flushDeadlineMs?: number;
  /** Passed to queues (tests shorten it). Default 10 s. */
  shardUpdateIntervalMs?: number;
}

interface RunningQueue {
  hash: string;
  qm: QueueManager;
  source: SampleSource;
}

/** The data and WAL directories of a TSDB-like primary (duck-typed), or null. */
export function walDirsOf(s: Storage): { dataDir: string; walDir: string } | null {
  const o = s as unknown as { dir?: unknown; wal?: { dir?: unknown } | null };
  if (typeof o.dir === 'string' && typeof o.wal === 'object' && o.wal !== null && typeof o.wal.dir === 'string') return { dataDir: o.dir, walDir: o.wal.dir };
  return null;
}

/** The progress file of a WAL-fed queue: keyed by its explicit name, else its URL. */
export function progressPath(dataDir: string, c: RemoteWriteConfig): string {
  const key = c.name !== '' ? `name:${c.name}` : `url:${c.url}`;
  return join(dataDir, 'remote', `${createHash('md5').update(key).digest('hex')}.json`);
}

/** `name` if set, else the first 6 hex digits of a hash of the configuration (as Prometheus names queues). */
export function queueName(c: RemoteWriteConfig | RemoteReadConfig, hash: string): string {
  return c.name !== '' ? c.name : hash.slice(0, 6);
}

function configHash(c: unknown, externalLabels: Labels): string {
  const json = JSON.stringify(c, (_k, v: unknown) => (v instanceof Object && 'source' in v && 'matches' in v ? String((v as { source: string }).source) : v));
  return createHash('md5').update(json).update(externalLabels.key()).digest('hex');
}

export class RemoteStorage implements Storage {
  readonly primary: Storage;
  readonly table: SeriesTable;
  private readonly opts: RemoteStorageOptions;
  private readonly tee: TeeAppendable;
  private readonly fanout: FanoutStorage;
  private queues: RunningQueue[];
  private sources: MemorySampleSource[];
  private readonly walDirs: { dataDir: string; walDir: string } | null;
  private readers: Queryable[];
  private closed: boolean;

  constructor(primary: Storage, opts: RemoteStorageOptions = {}) {
    this.primary = primary;
    this.opts = opts;
    this.table = new SeriesTable();
    this.queues = [];
    this.sources = [];
    this.readers = [];
    this.closed = false;
    this.walDirs = walDirsOf(primary);
    this.tee = new TeeAppendable(primary, this.table, () => this.sources);
    this.fanout = new FanoutStorage(primary, () => this.readers);
  }

  appender(): Appender {
    // WAL-fed queues read what the primary logs; no tee needed.
    return this.walDirs !== null ? this.primary.appender() : this.tee.appender();
  }

  /** Whether queues read the primary's WAL (else an in-memory tee). */
  readsWal(): boolean {
    return this.walDirs !== null;
  }

  querier(mint: number, maxt: number): Promise<Querier> {
    return this.fanout.querier(mint, maxt);
  }

  startTime(): Promise<number> {
    return this.primary.startTime();
  }

  /** The running queues (for tests and status pages). */
  writeQueues(): readonly QueueManager[] {
    return this.queues.map((q) => q.qm);
  }

  /** Applies the remote sections of a (re)loaded configuration. */
  async applyConfig(cfg: RemoteStorageConfig, env: { metrics: RemoteWriteMetrics; logger: Logger }): Promise<void> {
    if (this.closed) return;
    const next: RunningQueue[] = [];
    const old = new Map(this.queues.map((q) => [q.hash, q]));
    const toStop: RunningQueue[] = [];
    for (const c of cfg.remoteWrite) {
      const hash = configHash(c, cfg.externalLabels);
      const same = old.get(hash);
      if (same !== undefined) {
        old.delete(hash);
        next.push(same);
        continue;
      }
      const name = queueName(c, hash);
      // A changed endpoint keeps its backlog: take over the source of the queue it replaces.
      const prev = [...old.values()].find((q) => q.qm.name === name || q.qm.url === c.url);
      let source: SampleSource;
      if (prev !== undefined) {
        old.delete(prev.hash);
        toStop.push(prev);
      }
      if (this.walDirs !== null) {
        // A replacement resumes from the progress file the old queue left (read on its first read, after the old one stopped).
        source = new WalSampleSource({ walDir: this.walDirs.walDir, progressPath: progressPath(this.walDirs.dataDir, c), logger: env.logger });
      } else if (prev !== undefined) {
        source = prev.source;
      } else {
        source = new MemorySampleSource(this.table, this.opts.bufferLimit);
      }
      const qm = new QueueManager({
        name,
        url: c.url,
        queue: c.queueConfig,
        externalLabels: cfg.externalLabels,
        relabel: c.writeRelabelConfigs,
        source,
        writer: new WriteClient({ url: c.url, timeoutMs: c.remoteTimeout, headers: c.headers, httpClientConfig: c.httpClientConfig }, c.queueConfig.retryOnHttp429),
        metrics: env.metrics,
        logger: env.logger,
        shardUpdateIntervalMs: this.opts.shardUpdateIntervalMs,
      });
      next.push({ hash, qm, source });
    }
    for (const q of old.values()) toStop.push(q);
    this.queues = next;
    const all = next.map((q) => q.source);
    this.sources = all.filter((s, i, a): s is MemorySampleSource => s instanceof MemorySampleSource && a.indexOf(s) === i);
    await Promise.all(toStop.map((q) => q.qm.stop(this.opts.flushDeadlineMs ?? 10_000)));
    for (const q of next) if (!q.qm.started) q.qm.start();
    for (const q of toStop) if (!all.includes(q.source)) q.source.close();

    this.readers = cfg.remoteRead.map(
      (c) =>
        new RemoteQueryable(new ReadClient({ url: c.url, timeoutMs: c.remoteTimeout, headers: c.headers, httpClientConfig: c.httpClientConfig }), {
          name: queueName(c, configHash(c, cfg.externalLabels)),
          externalLabels: c.filterExternalLabels ? cfg.externalLabels : null,
          requiredMatchers: c.requiredMatchers,
          readRecent: c.readRecent,
          localStartTime: () => this.primary.startTime(),
        }),
    );
    if (cfg.remoteWrite.length > 0 || cfg.remoteRead.length > 0) {
      env.logger.info('Remote storage configured', { remote_write: cfg.remoteWrite.length, remote_read: cfg.remoteRead.length });
    }
  }

  /** Stops the queues (each flushing up to the deadline), then closes the primary. */
  async close(): Promise<void> {
    await this.stopQueues();
    await this.primary.close();
  }

  /** Stops the queues without closing the primary. Idempotent. */
  async stopQueues(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const qs = this.queues;
    this.queues = [];
    this.sources = [];
    this.readers = [];
    await Promise.all(qs.map((q) => q.qm.stop(this.opts.flushDeadlineMs ?? 10_000)));
    for (const q of qs) q.source.close();
  }
}
