/**
 * The TSDB: a `Storage` over one data directory in Prometheus's layout —
 * `wal/` (write-ahead log), `chunks_head/` (full head chunks), `<ULID>/` blocks.
 *
 * `openDB(dir, opts)` loads the blocks (setting aside corrupt ones), replays the
 * WAL into a fresh head (repairing a torn or corrupt tail and logging what was
 * dropped), then starts a new WAL segment for writes. Commits are logged to the
 * WAL before they become visible. Once the head spans more than 1.5 chunk
 * ranges, its oldest range is persisted as a block, the head truncated and the
 * WAL checkpointed; blocks are compacted and retention applied (`compact()`,
 * called after commits that make the head compactable and every minute).
 *
 * Self-metrics: `metricsText()` returns Prometheus text-format lines with
 * Prometheus's metric names (prometheus_tsdb_head_series, …).
 */
import { join } from 'node:path';
import { BlockStore } from './block/block_store.js';
import { StorageError } from './errors.js';
import { Head } from './head/head.js';
import { persistHeadRange } from './head/head_compact.js';
import { replayWal } from './head/head_wal.js';
import type { HeadAppender } from './head/head_appender.js';
import type { Labels } from './labels.js';
import type { Matcher } from './matcher.js';
import { MergeQuerier } from './querier.js';
import type { Appender, Querier, SeriesRef, Storage } from './storage.js';
import { EncBuf } from './encoding/encbuf.js';
import { type CheckpointStats, deleteCheckpointsBefore, deleteSegmentsBefore, writeCheckpoint } from './wal/checkpoint.js';
import { encodeTombstones } from './wal/records.js';
import { listSegments } from './wal/segment.js';
import { type Every, WalWriter } from './wal/wal_writer.js';
import { rangeForTimestamp } from './chunkenc/chunk_range.js';
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';

const HOUR = 3600 * 1000;

export interface DBOptions {
  /** Time retention (ms); default 15d (`--storage.tsdb.retention.time`). 0 disables. */
  readonly retentionMs?: number;
  /** Size retention (bytes); 0 (default) disables (`--storage.tsdb.retention.size`). */
  readonly retentionBytes?: number;
  /** Out-of-order window (ms); default 0 (`--storage.tsdb.out-of-order-time-window`). */
  readonly outOfOrderWindowMs?: number;
  /** WAL fsync period (ms); default 1000 (`--storage.tsdb.wal-sync-interval`); 0 = every commit. */
  readonly walSyncIntervalMs?: number;
  /** WAL segment size (bytes); default 128 MiB. */
  readonly walSegmentSize?: number;
  /** Head chunk range and minimum block duration (ms); default 2h. */
  readonly chunkRange?: number;
  /** Run compaction automatically (after commits and every minute); default true. */
  readonly autoCompact?: boolean;
  /** Receives log lines (logfmt); default stderr. */
  readonly log?: (msg: string) => void;
  /** Clock (ms); default `Date.now`. */
  readonly now?: () => number;
  /** Repeating timer for WAL fsync and compaction (injectable for tests). */
  readonly every?: Every;
  /** Take the `lock` file (default true; Prometheus's `--storage.tsdb.no-lockfile` turns it off). */
  readonly lockfile?: boolean;
}

/** The data directory is in use by another live process. */
export class DataDirLockedError extends Error {
  readonly code = 'data_dir_locked';
  constructor(dir: string, pid: number) {
    super(`cannot open the TSDB in ${dir}: it is locked by the running process ${pid} (${join(dir, 'lock')}); stop it or use another --storage.tsdb.path`);
    this.name = 'DataDirLockedError';
  }
}

/**
 * Takes `dir/lock`, which holds the owner's PID. A lock whose process is gone (a
 * crash, SIGKILL) is stale and taken over, so a restart after a crash just works.
 */
function takeLock(dir: string): void {
  const path = join(dir, 'lock');
  try {
    const pid = Number(readFileSync(path, 'utf8').trim());
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && processAlive(pid)) throw new DataDirLockedError(dir, pid);
  } catch (e) {
    if (e instanceof DataDirLockedError) throw e;
    // No lock file (or an unreadable one): take it.
  }
  writeFileSync(path, `${process.pid}\n`);
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const realEvery: Every = (ms, fn) => {
  const h = setInterval(fn, ms);
  h.unref();
  return () => clearInterval(h);
};

/** Opens (creating if needed) the TSDB in `dir`. */
export async function openDB(dir: string, opts: DBOptions = {}): Promise<TSDB> {
  const log = opts.log ?? ((m: string) => process.stderr.write(`${m}\n`));
  const now = opts.now ?? Date.now;
  const chunkRange = opts.chunkRange ?? 2 * HOUR;
  mkdirSync(dir, { recursive: true });
  const locked = opts.lockfile ?? true;
  if (locked) takeLock(dir);
  const blocks = await BlockStore.open(dir, {
    minBlockDuration: chunkRange,
    retentionMs: opts.retentionMs ?? 15 * 24 * HOUR,
    retentionBytes: opts.retentionBytes ?? 0,
    log,
    now,
  });
  const head = new Head({
    chunkRange,
    outOfOrderWindow: opts.outOfOrderWindowMs ?? 0,
    chunkDir: join(dir, 'chunks_head'),
  });
  const bl = blocks.blocks();
  if (bl.length > 0) head.minValidTime = Math.max(...bl.map((b) => b.maxTime));
  const walDir = join(dir, 'wal');
  const st = replayWal(head, walDir, log, now);
  log(
    `level=info component=tsdb msg="WAL replay completed" segments=${st.segments} series=${st.series} samples=${st.samples} skipped_samples=${st.samplesSkipped} duration_ms=${st.durationMs}`,
  );
  const wal = new WalWriter(walDir, {
    ...(opts.walSegmentSize !== undefined ? { segmentSize: opts.walSegmentSize } : {}),
    syncIntervalMs: opts.walSyncIntervalMs ?? 1000,
    ...(opts.every ? { every: opts.every } : {}),
    now,
  });
  head.log = wal;
  const db = new TSDB(dir, head, wal, blocks, opts, log, now);
  db.ownsLock = locked;
  db.replayStats = { seconds: st.durationMs / 1000, corruptions: st.repairs.length };
  return db;
}

/** Wraps the head appender to trigger compaction after commits that make the head compactable. */
class DBAppender implements Appender {
  private readonly app: HeadAppender;
  private readonly db: TSDB;
  constructor(app: HeadAppender, db: TSDB) {
    this.app = app;
    this.db = db;
  }
  append(ref: SeriesRef, labels: Labels, t: number, v: number): SeriesRef {
    return this.app.append(ref, labels, t, v);
  }
  async commit(): Promise<void> {
    await this.app.commit();
    this.db.maybeCompact();
  }
  rollback(): Promise<void> {
    return this.app.rollback();
  }
}

export class TSDB implements Storage {
  readonly dir: string;
  readonly head: Head;
  readonly wal: WalWriter;
  readonly blocks: BlockStore;
  private readonly log: (msg: string) => void;
  private readonly now: () => number;
  private readonly autoCompact: boolean;
  private readonly cancelTimer: (() => void) | null;
  private compacting: Promise<void> | null;
  private closed: boolean;
  replayStats: { seconds: number; corruptions: number };
  /** Whether close() removes `dir/lock`. */
  ownsLock = false;
  /** Self-metrics beyond the head's and WAL's own counters. */
  compactionsTotal = 0;
  compactionsFailed = 0;
  compactionSeconds = 0;
  compactionRuns = 0;
  headCompactions = 0;
  checkpointsCreated = 0;
  checkpointsFailed = 0;
  walTruncations = 0;

  constructor(dir: string, head: Head, wal: WalWriter, blocks: BlockStore, opts: DBOptions, log: (msg: string) => void, now: () => number) {
    this.dir = dir;
    this.head = head;
    this.wal = wal;
    this.blocks = blocks;
    this.log = log;
    this.now = now;
    this.autoCompact = opts.autoCompact ?? true;
    this.compacting = null;
    this.closed = false;
    this.replayStats = { seconds: 0, corruptions: 0 };
    this.cancelTimer = this.autoCompact ? (opts.every ?? realEvery)(60_000, () => this.maybeCompact(true)) : null;
  }

  appender(): Appender {
    if (this.closed) throw new StorageError('storage_closed', `cannot append: the TSDB in ${this.dir} is closed`);
    return new DBAppender(this.head.appender(), this);
  }

  async querier(mint: number, maxt: number): Promise<Querier> {
    if (this.closed) throw new StorageError('storage_closed', `cannot query: the TSDB in ${this.dir} is closed`);
    const qs: Querier[] = [];
    if (this.head.numSeries() > 0 && maxt >= this.head.minT && mint <= this.head.maxT) qs.push(this.head.querier(mint, maxt));
    // Blocks only when one overlaps: a lone head querier needs no merge (and no sort).
    if (qs.length === 0 || this.blocks.blocks().some((b) => b.overlaps(mint, maxt))) qs.push(this.blocks.querier(mint, maxt));
    return qs.length === 1 ? qs[0]! : new MergeQuerier(qs);
  }

  async startTime(): Promise<number> {
    const bl = this.blocks.blocks();
    if (bl.length > 0) return bl[0]!.minTime;
    return this.head.numSeries() > 0 && Number.isFinite(this.head.minT) ? this.head.minT : Number.MAX_SAFE_INTEGER;
  }

  /** Whether the head spans more than 1.5 chunk ranges (Prometheus's `compactable`). */
  headCompactable(): boolean {
    const h = this.head;
    return Number.isFinite(h.minT) && Number.isFinite(h.maxT) && h.maxT - h.minT > (h.chunkRange / 2) * 3;
  }

  /** Starts a compaction in the background if one is due and none runs. */
  maybeCompact(periodic = false): void {
    if (!this.autoCompact || this.closed || this.compacting !== null) return;
    if (!periodic && !this.headCompactable()) return;
    this.compacting = this.compact()
      .catch((e: unknown) => {
        this.compactionsFailed++;
        this.log(`level=error component=tsdb msg="compaction failed" err="${e instanceof Error ? e.message : String(e)}"`);
      })
      .finally(() => {
        this.compacting = null;
      });
  }

  /**
   * Persists compactable head ranges as blocks (truncating the head and
   * checkpointing the WAL after each), compacts blocks and applies retention.
   */
  async compact(): Promise<void> {
    const start = this.now();
    while (this.headCompactable() && !this.closed) {
      const mint = this.head.minT;
      const maxt = rangeForTimestamp(mint, this.head.chunkRange);
      const meta = await persistHeadRange(this.head, this.dir, mint, maxt, this.now);
      if (meta !== null) {
        await this.blocks.reload();
        this.log(`level=info component=tsdb msg="write block" mint=${mint} maxt=${maxt} ulid=${meta.ulid} series=${meta.stats.numSeries} samples=${meta.stats.numSamples}`);
      }
      this.headCompactions++;
      await this.truncateHead(maxt);
    }
    const n = await this.blocks.compact();
    this.compactionsTotal += n;
    await this.blocks.applyRetention(this.walAndHeadBytes());
    this.compactionSeconds += (this.now() - start) / 1000;
    this.compactionRuns++;
  }

  /** Drops head data before `mint` and checkpoints the older two thirds of the WAL. */
  private async truncateHead(mint: number): Promise<void> {
    this.head.truncate(mint);
    const walDir = this.wal.dir;
    const segs = listSegments(walDir);
    if (segs.length === 0) return;
    const first = segs[0]!;
    this.wal.nextSegment();
    const last = first + Math.floor(((this.wal.currentSegment() - 1 - first) * 2) / 3);
    if (last <= first) return;
    try {
      const stats: CheckpointStats = await writeCheckpoint(walDir, first, last, (ref) => this.head.series.has(ref), mint);
      this.checkpointsCreated++;
      deleteSegmentsBefore(walDir, last + 1);
      deleteCheckpointsBefore(walDir, last);
      this.walTruncations++;
      this.log(
        `level=info component=tsdb msg="WAL checkpoint complete" first=${first} last=${last} series_kept=${stats.seriesKept} samples_kept=${stats.samplesKept} samples_dropped=${stats.samplesDropped}`,
      );
    } catch (e) {
      this.checkpointsFailed++;
      this.log(`level=error component=tsdb msg="WAL checkpoint failed" err="${e instanceof Error ? e.message : String(e)}"`);
    }
  }

  private walAndHeadBytes(): number {
    let n = this.head.sink?.size ?? 0;
    for (const s of listSegments(this.wal.dir)) {
      try {
        n += statSync(join(this.wal.dir, String(s).padStart(8, '0'))).size;
      } catch {
        // Deleted concurrently by a checkpoint.
      }
    }
    return n;
  }

  /**
   * Deletes `[mint, maxt]` of every series matching `matchers` (tombstones in the
   * head, logged to the WAL, and in every block). Returns the series affected in the head.
   */
  async delete(mint: number, maxt: number, matchers: readonly Matcher[]): Promise<number> {
    const stones = this.head.deleteRange(mint, maxt, matchers);
    if (stones.length > 0) {
      const buf = new EncBuf(stones.length * 8 + 16);
      encodeTombstones(buf, stones);
      this.wal.log([buf.get()]);
    }
    for (const b of this.blocks.blocks()) if (b.overlaps(mint, maxt)) await b.delete(mint, maxt, matchers);
    return stones.length / 3;
  }

  /**
   * Writes a snapshot into `dir` (created; must not hold blocks of the same ULIDs):
   * every block hard-linked (copied across filesystems) and, with `withHead`, the
   * head's samples as one more block — as Prometheus's `DB.Snapshot`. The result
   * is a data directory Vigil or Prometheus can open.
   */
  async snapshot(dir: string, withHead: boolean): Promise<void> {
    mkdirSync(dir, { recursive: true });
    await this.blocks.snapshot(dir);
    const h = this.head;
    if (withHead && h.numSeries() > 0 && Number.isFinite(h.minT)) await persistHeadRange(h, dir, h.minT, h.maxT + 1, this.now);
  }

  /**
   * Rewrites blocks that have tombstones without the deleted data (admin API
   * `clean_tombstones`). Head tombstones stay until the head is compacted, as in
   * Prometheus. Returns the number of blocks rewritten.
   */
  cleanTombstones(): Promise<number> {
    return this.blocks.cleanTombstones();
  }

  /** Prometheus text-format lines of the TSDB's self-metrics. */
  metricsText(): string {
    const h = this.head;
    const s = h.stats;
    const w = this.wal;
    let chunks = 0;
    for (const x of h.series.values()) chunks += x.mmCount + (x.chunk !== null ? 1 : 0);
    const lines: string[] = [];
    const m = (name: string, type: string, help: string, value: number, labels = ''): void => {
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, `${name}${labels} ${Number.isFinite(value) ? value : 0}`);
    };
    // Summaries without quantiles: only _sum and _count.
    const sm = (name: string, help: string, sum: number, count: number): void => {
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} summary`, `${name}_sum ${sum}`, `${name}_count ${count}`);
    };
    m('prometheus_tsdb_head_series', 'gauge', 'Total number of series in the head block.', h.numSeries());
    m('prometheus_tsdb_head_series_created_total', 'counter', 'Total number of series created in the head', s.seriesCreated);
    m('prometheus_tsdb_head_series_removed_total', 'counter', 'Total number of series removed in the head', s.seriesRemoved);
    m('prometheus_tsdb_head_samples_appended_total', 'counter', 'Total number of appended samples.', s.samplesAppended, '{type="float"}');
    m('prometheus_tsdb_head_out_of_order_samples_appended_total', 'counter', 'Total number of appended out of order samples.', s.outOfOrderSamplesAppended, '{type="float"}');
    m('prometheus_tsdb_out_of_order_samples_total', 'counter', 'Total number of out of order samples ingestion failed attempts due to out of order being disabled.', s.outOfOrderRejected, '{type="float"}');
    m('prometheus_tsdb_out_of_bound_samples_total', 'counter', 'Total number of out of bound samples ingestion failed attempts with out of order support disabled.', s.outOfBoundsRejected, '{type="float"}');
    m('prometheus_tsdb_too_old_samples_total', 'counter', 'Total number of out of order samples ingestion failed attempts with out of support enabled, but sample outside of time window.', s.tooOldRejected, '{type="float"}');
    m('prometheus_tsdb_head_chunks', 'gauge', 'Total number of chunks in the head block.', chunks);
    m('prometheus_tsdb_head_chunks_created_total', 'counter', 'Total number of chunks created in the head', s.chunksCreated);
    m('prometheus_tsdb_head_chunks_removed_total', 'counter', 'Total number of chunks removed in the head', s.chunksRemoved);
    m('prometheus_tsdb_head_chunks_storage_size_bytes', 'gauge', 'Size of the chunks_head directory.', h.sink?.size ?? 0);
    m('prometheus_tsdb_head_min_time', 'gauge', 'Minimum time bound of the head block.', Number.isFinite(h.minT) ? h.minT : 0);
    m('prometheus_tsdb_head_max_time', 'gauge', 'Maximum timestamp of the head block.', Number.isFinite(h.maxT) ? h.maxT : 0);
    m('prometheus_tsdb_head_truncations_total', 'counter', 'Total number of head truncations attempted.', s.truncations);
    sm('prometheus_tsdb_wal_fsync_duration_seconds', 'Duration of write log fsync.', w.fsyncSeconds, w.fsyncCount);
    m('prometheus_tsdb_wal_writes_failed_total', 'counter', 'Total number of write log writes that failed.', w.writeFailures);
    m('prometheus_tsdb_wal_segment_current', 'gauge', 'Write log segment index that TSDB is currently writing to.', w.currentSegment());
    m('prometheus_tsdb_wal_record_bytes_saved_total', 'counter', 'Bytes written to the write log (uncompressed).', w.bytesWritten);
    m('prometheus_tsdb_wal_truncations_total', 'counter', 'Total number of write log truncations attempted.', this.walTruncations);
    m('prometheus_tsdb_wal_corruptions_total', 'counter', 'Total number of write log corruptions repaired.', this.replayStats.corruptions);
    m('prometheus_tsdb_checkpoint_creations_total', 'counter', 'Total number of checkpoint creations attempted.', this.checkpointsCreated);
    m('prometheus_tsdb_checkpoint_creations_failed_total', 'counter', 'Total number of checkpoint creations that failed.', this.checkpointsFailed);
    m('prometheus_tsdb_data_replay_duration_seconds', 'gauge', 'Time taken to replay the data on disk.', this.replayStats.seconds);
    m('prometheus_tsdb_compactions_total', 'counter', 'Total number of block compactions that were executed.', this.compactionsTotal);
    m('prometheus_tsdb_compactions_failed_total', 'counter', 'Total number of compactions that failed.', this.compactionsFailed);
    sm('prometheus_tsdb_compaction_duration_seconds', 'Duration of compaction runs.', this.compactionSeconds, this.compactionRuns);
    m('prometheus_tsdb_head_compactions_total', 'counter', 'Total number of head ranges persisted as blocks.', this.headCompactions);
    m('prometheus_tsdb_blocks_loaded', 'gauge', 'Number of currently loaded data blocks', this.blocks.blocks().length);
    return `${lines.join('\n')}\n`;
  }

  /** Stops background work, waits for a running compaction, closes the WAL and head. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.cancelTimer?.();
    if (this.compacting !== null) await this.compacting;
    this.wal.close();
    this.head.close();
    this.blocks.close();
    if (this.ownsLock) rmSync(join(this.dir, 'lock'), { force: true });
  }
}
