/**
 * WAL checkpoints (Prometheus's `tsdb/wlog/checkpoint.go`). After the head is
 * truncated to `mint`, the oldest segments mostly hold data that now lives in a
 * block. A checkpoint rewrites segments `[from, to]` (plus the previous
 * checkpoint) into `checkpoint.<to>`, keeping only series records of series the
 * head still has, samples at or after `mint` of such series, and tombstones that
 * still matter; then those segments and older checkpoints can be deleted.
 * Replay reads the newest checkpoint first, then the segments after it.
 *
 * The checkpoint is written into `checkpoint.<to>.tmp`, fsynced and renamed, so
 * a crash leaves either the old state or the complete new checkpoint. Segments
 * are read one at a time with a yield to the event loop in between.
 */
import { closeSync, fsyncSync, openSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { EncBuf } from '../encoding/encbuf.js';
import type { Labels } from '../labels.js';
import {
  RecordType,
  SampleBatch,
  decodeSamples,
  decodeSeries,
  decodeTombstones,
  encodeSamples,
  encodeSeries,
  encodeTombstones,
  recordType,
} from './records.js';
import { checkpointName, lastCheckpoint, listSegments, segmentPath } from './segment.js';
import { type WalCorruption, readSegment } from './wal_reader.js';
import { WalWriter } from './wal_writer.js';

/** What a checkpoint kept and dropped. */
export class CheckpointStats {
  seriesKept = 0;
  seriesDropped = 0;
  samplesKept = 0;
  samplesDropped = 0;
  tombstonesKept = 0;
  tombstonesDropped = 0;
}

/** The WAL could not be read while checkpointing; nothing was deleted. */
export class CheckpointError extends Error {
  readonly code = 'wal_checkpoint_failed';
  constructor(message: string) {
    super(message);
    this.name = 'CheckpointError';
  }
}

/**
 * Writes `checkpoint.<to>` from the previous checkpoint and segments `[from, to]`
 * of `dir`. `keep(ref)` says whether a series is still alive. Does not delete
 * anything (see `deleteSegmentsBefore`, `deleteCheckpointsBefore`).
 */
export async function writeCheckpoint(dir: string, from: number, to: number, keep: (ref: number) => boolean, mint: number): Promise<CheckpointStats> {
  const stats = new CheckpointStats();
  const final = join(dir, checkpointName(to));
  const tmp = `${final}.tmp`;
  rmSync(tmp, { recursive: true, force: true });
  const w = new WalWriter(tmp, { syncIntervalMs: 1_000_000_000, every: () => () => {} });
  const buf = new EncBuf(64 * 1024);
  const batch = new SampleBatch();
  const refs: number[] = [];
  const labels: Labels[] = [];
  const stones: number[] = [];
  const handle = (rec: Uint8Array): void => {
    const typ = recordType(rec);
    buf.reset();
    if (typ === RecordType.Series) {
      refs.length = 0;
      labels.length = 0;
      decodeSeries(rec, refs, labels);
      const kr: number[] = [];
      const kl: Labels[] = [];
      for (let i = 0; i < refs.length; i++) {
        if (keep(refs[i]!)) {
          kr.push(refs[i]!);
          kl.push(labels[i]!);
        }
      }
      stats.seriesKept += kr.length;
      stats.seriesDropped += refs.length - kr.length;
      if (kr.length > 0) {
        encodeSeries(buf, kr, kl);
        w.log([buf.get()]);
      }
    } else if (typ === RecordType.Samples) {
      decodeSamples(rec, batch);
      let k = 0;
      for (let i = 0; i < batch.n; i++) {
        if (batch.ts[i]! < mint || !keep(batch.refs[i]!)) continue;
        batch.refs[k] = batch.refs[i]!;
        batch.ts[k] = batch.ts[i]!;
        batch.vw[2 * k] = batch.vw[2 * i]!;
        batch.vw[2 * k + 1] = batch.vw[2 * i + 1]!;
        k++;
      }
      stats.samplesKept += k;
      stats.samplesDropped += batch.n - k;
      if (k > 0) {
        encodeSamples(buf, batch.refs, batch.ts, batch.vw, k);
        w.log([buf.get()]);
      }
    } else if (typ === RecordType.Tombstones) {
      stones.length = 0;
      decodeTombstones(rec, stones);
      const kept: number[] = [];
      for (let i = 0; i < stones.length; i += 3) {
        if (stones[i + 2]! >= mint && keep(stones[i]!)) kept.push(stones[i]!, stones[i + 1]!, stones[i + 2]!);
      }
      stats.tombstonesKept += kept.length / 3;
      stats.tombstonesDropped += (stones.length - kept.length) / 3;
      if (kept.length > 0) {
        encodeTombstones(buf, kept);
        w.log([buf.get()]);
      }
    }
    // Other record types (exemplars, metadata, …) are not kept.
  };
  try {
    const prev = lastCheckpoint(dir);
    let start = from;
    if (prev !== null && prev.index < to) {
      for (const n of listSegments(prev.path)) {
        failOn(readSegment(prev.path, n, handle));
        await yieldToEventLoop();
      }
      if (prev.index + 1 > start) start = prev.index + 1;
    }
    for (const n of listSegments(dir)) {
      if (n < start || n > to) continue;
      failOn(readSegment(dir, n, handle));
      // One segment at a time: appends and queries keep running while a checkpoint is written.
      await yieldToEventLoop();
    }
    w.close();
  } catch (e) {
    w.close();
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
  renameSync(tmp, final);
  syncDir(dir);
  return stats;
}

function yieldToEventLoop(): Promise<void> {
  return new Promise((r) => setImmediate(r));
}

function failOn(c: WalCorruption | null): void {
  if (c !== null) throw new CheckpointError(`cannot checkpoint: corrupt WAL ${c.toString()}`);
}

/** Deletes segments of `dir` numbered below `n`. Returns how many. */
export function deleteSegmentsBefore(dir: string, n: number): number {
  let k = 0;
  for (const s of listSegments(dir)) {
    if (s >= n) break;
    rmSync(segmentPath(dir, s), { force: true });
    k++;
  }
  return k;
}

/** Deletes checkpoints of `dir` older than index `n` (and stray temporary ones). */
export function deleteCheckpointsBefore(dir: string, n: number): void {
  for (const name of readdirSync(dir)) {
    const m = /^checkpoint\.(\d{8})(\.tmp)?$/.exec(name);
    if (m === null) continue;
    if (Number(m[1]) < n || m[2] !== undefined) rmSync(join(dir, name), { recursive: true, force: true });
  }
}

function syncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
