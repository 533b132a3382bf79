/**
 * The persisted blocks of a data directory: opening them (setting aside any that
 * fail to open, so the server still starts), leveled compaction, retention, and a
 * merged querier over the blocks a time range touches. The head (tsdb/head, db.ts)
 * adds new level-1 blocks with `writeBlock` and then calls `reload()`.
 *
 * Directory hygiene as Prometheus does it: at open, leftover `*.tmp-for-creation`
 * / `*.tmp-for-deletion` directories are removed; at every reload, blocks that are
 * parents of another loaded block (a compaction finished but its inputs were not
 * yet deleted) and blocks marked `deletable` are deleted.
 */
import { copyFile, link, mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { MergeQuerier } from '../querier.js';
import type { Querier } from '../storage.js';
import { Block, type BlockOpenOptions } from './block.js';
import { TMP_FOR_CREATION, TMP_FOR_DELETION, syncDir } from './block_writer.js';
import { blockRanges, maxBlockDuration, planCompaction } from './compaction_plan.js';
import { compactBlocks } from './compactor.js';
import { beyondSizeRetention, beyondTimeRetention } from './retention.js';
import { isULID } from './ulid.js';

/** Receives one log line (already formatted with its context). */
export type LogFn = (msg: string) => void;

/** Where corrupt blocks are moved, inside the data directory. */
export const CORRUPTED_DIR = 'corrupted';

export interface BlockStoreOptions {
  /** Minimum block duration (ms); default 2h. */
  readonly minBlockDuration?: number;
  /** Time retention (ms); 0 disables. Default 15d. */
  readonly retentionMs?: number;
  /** Size retention (bytes); 0 disables (the default). */
  readonly retentionBytes?: number;
  /** Maximum block duration (ms); default min(31d, retention / 10). */
  readonly maxBlockDuration?: number;
  /** Where log lines go; default stderr. */
  readonly log?: LogFn;
  /** Clock (ms); default `Date.now`. */
  readonly now?: () => number;
  /** Chunk segment size limit (bytes) for compaction output. */
  readonly segmentSize?: number;
  /** How blocks hold their index (in memory up to a size, paged beyond). */
  readonly blockOpen?: BlockOpenOptions;
}

const HOUR = 3600 * 1000;

/** Counters for self-metrics (`prometheus_tsdb_compactions_total` and friends). */
export class BlockStoreStats {
  compactions = 0;
  compactionsFailed = 0;
  compactionSecondsSum = 0;
  /** Blocks set aside as corrupt since start. */
  corruptBlocks = 0;
  /** Times time / size retention removed blocks (Prometheus counts runs, not blocks). */
  timeRetentions = 0;
  sizeRetentions = 0;
}

export class BlockStore {
  readonly dir: string;
  /** Compaction ranges in use (ms). */
  readonly ranges: readonly number[];
  private readonly opts: BlockStoreOptions;
  private readonly log: LogFn;
  private list: Block[];
  readonly stats: BlockStoreStats;
  /** Serialises reload, compaction, retention and rewrites (callers may overlap them). */
  private lock: Promise<unknown>;

  private constructor(dir: string, opts: BlockStoreOptions) {
    this.dir = dir;
    this.opts = opts;
    this.log = opts.log ?? ((m) => process.stderr.write(`${m}\n`));
    const retention = opts.retentionMs ?? 15 * 24 * HOUR;
    this.ranges = blockRanges(opts.minBlockDuration ?? 2 * HOUR, opts.maxBlockDuration ?? maxBlockDuration(retention));
    this.list = [];
    this.stats = new BlockStoreStats();
    this.lock = Promise.resolve();
  }

  /** Runs `fn` after every operation started before it has finished. */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.lock.then(fn, fn);
    this.lock = run.catch(() => {});
    return run;
  }

  /** Opens (creating if needed) the data directory `dir` and loads its blocks. */
  static async open(dir: string, opts: BlockStoreOptions = {}): Promise<BlockStore> {
    await mkdir(dir, { recursive: true });
    const s = new BlockStore(dir, opts);
    // Leftovers of writes or deletes a crash interrupted. Only at open: later a
    // temp directory may belong to a block being written right now.
    for (const name of await readdir(dir)) {
      if (name.endsWith(TMP_FOR_CREATION) || name.endsWith(TMP_FOR_DELETION)) await rm(join(dir, name), { recursive: true, force: true });
    }
    await s.reloadLocked();
    return s;
  }

  /** Loaded blocks, sorted by minTime. */
  blocks(): readonly Block[] {
    return this.list;
  }

  /**
   * Re-reads the directory: opens new blocks, sets aside corrupt ones, drops
   * blocks superseded by compaction or marked deletable.
   */
  reload(): Promise<void> {
    return this.serial(() => this.reloadLocked());
  }

  private async reloadLocked(): Promise<void> {
    const names = await readdir(this.dir);
    const known = new Map(this.list.map((b) => [b.ulid, b]));
    const next: Block[] = [];
    for (const name of names) {
      const path = join(this.dir, name);
      if (!isULID(name)) continue;
      const have = known.get(name);
      if (have !== undefined) {
        next.push(have);
        continue;
      }
      try {
        next.push(await Block.open(path, this.opts.blockOpen));
      } catch (e) {
        await this.setAside(name, e);
      }
    }
    // Parents of a loaded block were compacted into it; deletable blocks are empty.
    const parents = new Set(next.flatMap((b) => b.meta.compaction.parents.map((p) => p.ulid)));
    const keep: Block[] = [];
    for (const b of next) {
      if (parents.has(b.ulid) || b.meta.compaction.deletable) await this.deleteBlockDir(b);
      else keep.push(b);
    }
    keep.sort((a, b) => a.minTime - b.minTime || (a.ulid < b.ulid ? -1 : 1));
    this.list = keep;
  }

  private async setAside(name: string, err: unknown): Promise<void> {
    const from = join(this.dir, name);
    const cdir = join(this.dir, CORRUPTED_DIR);
    await mkdir(cdir, { recursive: true });
    let to = join(cdir, name);
    try {
      await stat(to);
      to = `${to}-${(this.opts.now ?? Date.now)()}`;
    } catch {
      // Target free.
    }
    const why = err instanceof Error ? err.message : String(err);
    this.stats.corruptBlocks++;
    try {
      await rename(from, to);
      this.log(`level=error component=tsdb msg="block is corrupt and was moved aside; its data is not served" block=${name} moved_to=${to} err="${why}"`);
    } catch (e) {
      this.log(
        `level=error component=tsdb msg="block is corrupt and could not be moved aside; ignoring it" block=${name} err="${why}" move_err="${e instanceof Error ? e.message : String(e)}"`,
      );
    }
  }

  private async deleteBlockDir(b: Block): Promise<void> {
    await b.close();
    const tmp = b.dir + TMP_FOR_DELETION;
    try {
      await rename(b.dir, tmp);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return; // already gone
      throw e;
    }
    await rm(tmp, { recursive: true, force: true });
  }

  /**
   * Runs compaction until the planner finds nothing more to do; returns the number
   * of compactions. Each result is loaded and its parents deleted before the next plan.
   */
  compact(): Promise<number> {
    return this.serial(() => this.compactLocked());
  }

  private async compactLocked(): Promise<number> {
    let n = 0;
    // Bounded: every round removes at least one block or marks blocks deletable.
    for (let round = 0; round < 1000; round++) {
      const plan = planCompaction(
        this.list.map((b) => ({ dir: b.dir, meta: b.meta })),
        this.ranges,
      );
      if (plan.length === 0) break;
      const inputs = this.list.filter((b) => plan.includes(b.dir));
      const started = (this.opts.now ?? Date.now)();
      const t0 = performance.now();
      let meta: Awaited<ReturnType<typeof compactBlocks>>;
      try {
        meta = await compactBlocks(this.dir, inputs, {
          ...(this.opts.now ? { now: this.opts.now } : {}),
          ...(this.opts.segmentSize !== undefined ? { segmentSize: this.opts.segmentSize } : {}),
        });
      } catch (e) {
        this.stats.compactionsFailed++;
        throw e;
      }
      this.stats.compactions++;
      this.stats.compactionSecondsSum += (performance.now() - t0) / 1000;
      this.log(
        `level=info component=tsdb msg="compact blocks" count=${inputs.length} mint=${Math.min(...inputs.map((b) => b.minTime))} maxt=${Math.max(
          ...inputs.map((b) => b.maxTime),
        )} ulid=${meta?.ulid ?? '(empty)'} sources="${inputs.map((b) => b.ulid).join(',')}" duration_ms=${(this.opts.now ?? Date.now)() - started}`,
      );
      await syncDir(this.dir);
      await this.reloadLocked();
      n++;
    }
    return n;
  }

  /**
   * Deletes blocks beyond time and size retention; `otherBytes` is the size of
   * WAL and head chunks, which count toward the size limit. Returns deleted ULIDs.
   */
  applyRetention(otherBytes = 0): Promise<string[]> {
    return this.serial(() => this.applyRetentionLocked(otherBytes));
  }

  private async applyRetentionLocked(otherBytes: number): Promise<string[]> {
    const infos = await Promise.all(this.list.map(async (b) => ({ ulid: b.ulid, minTime: b.minTime, maxTime: b.maxTime, size: await b.size() })));
    const byTime = beyondTimeRetention(infos, this.opts.retentionMs ?? 15 * 24 * HOUR);
    const bySize = beyondSizeRetention(infos, this.opts.retentionBytes ?? 0, otherBytes);
    if (byTime.length > 0) this.stats.timeRetentions++;
    if (bySize.length > 0) this.stats.sizeRetentions++;
    const del = new Set([...byTime, ...bySize]);
    if (del.size === 0) return [];
    const keep: Block[] = [];
    for (const b of this.list) {
      if (del.has(b.ulid)) {
        await this.deleteBlockDir(b);
        this.log(`level=info component=tsdb msg="deleting block beyond retention" block=${b.ulid} mint=${b.minTime} maxt=${b.maxTime}`);
      } else keep.push(b);
    }
    this.list = keep;
    return [...del];
  }

  /**
   * Rewrites every block that has tombstones without the deleted data (the admin
   * API's `clean_tombstones`); the rewritten block keeps its level and replaces the
   * original. Returns the number of blocks rewritten.
   */
  cleanTombstones(): Promise<number> {
    return this.serial(() => this.cleanTombstonesLocked());
  }

  private async cleanTombstonesLocked(): Promise<number> {
    let n = 0;
    for (const b of [...this.list]) {
      if (b.tombstones.size === 0) continue;
      await compactBlocks(this.dir, [b], {
        level: b.meta.compaction.level,
        ...(this.opts.now ? { now: this.opts.now } : {}),
        ...(this.opts.segmentSize !== undefined ? { segmentSize: this.opts.segmentSize } : {}),
      });
      n++;
    }
    // The rewrites name their originals as parents (or marked them deletable when
    // nothing was left), so reloading drops the originals.
    if (n > 0) await this.reloadLocked();
    return n;
  }

  /**
   * Hard-links every loaded block into `dir/<ulid>/` (the admin API's `snapshot`;
   * the head is the caller's). Falls back to copying where links are impossible.
   * Returns the ULIDs snapshotted.
   */
  async snapshot(dir: string): Promise<string[]> {
    const out: string[] = [];
    for (const b of this.list) {
      const dst = join(dir, b.ulid);
      await mkdir(join(dst, 'chunks'), { recursive: true });
      const files = ['meta.json', 'index', 'tombstones', ...(await readdir(join(b.dir, 'chunks'))).map((c) => join('chunks', c))];
      for (const f of files) {
        try {
          await link(join(b.dir, f), join(dst, f));
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code === 'ENOENT' && f === 'tombstones') continue;
          if ((e as NodeJS.ErrnoException).code !== 'EXDEV') throw e;
          await copyFile(join(b.dir, f), join(dst, f));
        }
      }
      out.push(b.ulid);
    }
    return out;
  }

  /** Total bytes of all loaded blocks. */
  async size(): Promise<number> {
    let n = 0;
    for (const b of this.list) n += await b.size();
    return n;
  }

  /** A querier over the blocks that overlap `[mint, maxt]` (ms, inclusive); newer blocks win on duplicates. */
  querier(mint: number, maxt: number): Querier {
    const qs = this.list.filter((b) => b.overlaps(mint, maxt)).map((b) => b.querier(mint, maxt));
    return new MergeQuerier(qs.reverse());
  }

  /** Closes every block's files (after any running operation). */
  close(): Promise<void> {
    return this.serial(async () => {
      for (const b of this.list) await b.close();
      this.list = [];
    });
  }
}
