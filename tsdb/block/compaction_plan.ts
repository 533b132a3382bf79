/**
 * Leveled compaction planning, as Prometheus's `LeveledCompactor.Plan`
 * (`tsdb/compact.go`):
 *
 * 1. Overlapping blocks are merged first (vertical compaction).
 * 2. Otherwise, leaving out the newest block, for each range above the first:
 *    group blocks into aligned windows of that range and pick the first group of
 *    two or more blocks that fills its window or lies wholly before the newest block.
 * 3. Otherwise a block spanning at least the middle range whose tombstones exceed 5%
 *    of its series (or a smaller block whose series are all deleted) is rewritten alone.
 *
 * Ranges are `exponentialBlockRanges(2h, 10, 3)` cut to the maximum block duration,
 * which Prometheus sets to min(31d, retention / 10).
 */
import type { BlockMeta } from './meta.js';

/** `steps` ranges starting at `minSize`, each `stepSize` times the previous. */
export function exponentialBlockRanges(minSize: number, steps: number, stepSize: number): number[] {
  const out: number[] = [];
  let cur = minSize;
  for (let i = 0; i < steps; i++) {
    out.push(cur);
    cur *= stepSize;
  }
  return out;
}

const DAY = 24 * 3600 * 1000;

/** Prometheus's default maximum block duration: 31 days, or a tenth of time retention if smaller. */
export function maxBlockDuration(retentionMs: number): number {
  const cap = 31 * DAY;
  return retentionMs > 0 && retentionMs / 10 < cap ? Math.floor(retentionMs / 10) : cap;
}

/**
 * Compaction ranges for a minimum block duration (default 2h) and a maximum block
 * duration: 2h, 6h, 18h, 54h, … keeping those not above the maximum (the first is
 * always kept).
 */
export function blockRanges(minBlockMs: number, maxBlockMs: number): number[] {
  const all = exponentialBlockRanges(minBlockMs, 10, 3);
  const max = Math.max(maxBlockMs, minBlockMs);
  const out: number[] = [];
  for (const r of all) {
    if (r > max) break;
    out.push(r);
  }
  return out;
}

/** A block directory and its meta, as the planner sees it. */
export interface DirMeta {
  readonly dir: string;
  readonly meta: BlockMeta;
}

/** Go's truncating integer division. */
function idiv(a: number, b: number): number {
  return Math.trunc(a / b);
}

/** Blocks grouped into windows `[t0, t0 + tr]` aligned to `tr`; blocks larger than a window are skipped. */
export function splitByRange(ds: readonly DirMeta[], tr: number): DirMeta[][] {
  const out: DirMeta[][] = [];
  for (let i = 0; i < ds.length; ) {
    const m = ds[i]!.meta;
    const t0 = m.minTime >= 0 ? tr * idiv(m.minTime, tr) : tr * idiv(m.minTime - tr + 1, tr);
    if (m.maxTime > t0 + tr) {
      i++;
      continue;
    }
    const group: DirMeta[] = [];
    for (; i < ds.length; i++) {
      if (ds[i]!.meta.maxTime > t0 + tr) break;
      group.push(ds[i]!);
    }
    if (group.length > 0) out.push(group);
  }
  return out;
}

function selectOverlapping(ds: readonly DirMeta[]): string[] {
  if (ds.length < 2) return [];
  const out: string[] = [];
  let globalMaxt = ds[0]!.meta.maxTime;
  for (let i = 1; i < ds.length; i++) {
    const d = ds[i]!;
    if (d.meta.minTime < globalMaxt) {
      if (out.length === 0) out.push(ds[i - 1]!.dir);
      out.push(d.dir);
    } else if (out.length > 0) break;
    if (d.meta.maxTime > globalMaxt) globalMaxt = d.meta.maxTime;
  }
  return out;
}

function selectDirs(ds: readonly DirMeta[], ranges: readonly number[]): DirMeta[] {
  if (ranges.length < 2 || ds.length < 1) return [];
  const highTime = ds[ds.length - 1]!.meta.minTime;
  for (const iv of ranges.slice(1)) {
    for (const p of splitByRange(ds, iv)) {
      if (p.some((d) => d.meta.compaction.failed)) continue;
      const mint = p[0]!.meta.minTime;
      const maxt = p[p.length - 1]!.meta.maxTime;
      if ((maxt - mint === iv || maxt <= highTime) && p.length > 1) return p;
    }
  }
  return [];
}

/** Directories to compact together next (empty: nothing to do). */
export function planCompaction(blocks: readonly DirMeta[], ranges: readonly number[]): string[] {
  const dms = [...blocks].sort((a, b) => a.meta.minTime - b.meta.minTime);
  const overlapping = selectOverlapping(dms);
  if (overlapping.length > 0) return overlapping;
  // Leave the newest block alone: it gives a full block duration for backups without overlap.
  const older = dms.slice(0, -1);
  const sel = selectDirs(older, ranges);
  if (sel.length > 0) return sel.map((d) => d.dir);
  const mid = ranges[Math.floor(ranges.length / 2)] ?? 0;
  for (let i = older.length - 1; i >= 0; i--) {
    const m = older[i]!.meta;
    if (m.maxTime - m.minTime < mid) {
      if (m.stats.numTombstones > 0 && m.stats.numTombstones >= m.stats.numSeries) return [older[i]!.dir];
      break;
    }
    if (m.stats.numTombstones / (m.stats.numSeries + 1) > 0.05) return [older[i]!.dir];
  }
  return [];
}
