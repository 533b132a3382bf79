/**
 * Which blocks retention removes, as Prometheus decides it (`tsdb/db.go`
 * `BeyondTimeRetention`, `BeyondSizeRetention`). Whole blocks only; blocks are
 * considered newest first (by maxTime), so the oldest go first.
 */

/** What retention needs to know about a block. */
export interface RetentionBlock {
  readonly ulid: string;
  readonly minTime: number;
  /** Exclusive end (ms). */
  readonly maxTime: number;
  /** Bytes on disk. */
  readonly size: number;
}

/** Sorts newest first, by maxTime (ties by ULID for a stable order). */
export function newestFirst<T extends RetentionBlock>(blocks: readonly T[]): T[] {
  return [...blocks].sort((a, b) => b.maxTime - a.maxTime || (a.ulid < b.ulid ? 1 : -1));
}

/**
 * ULIDs of blocks beyond time retention: from the first block (not the newest)
 * whose maxTime is at least `retentionMs` older than the newest block's maxTime,
 * that block and every older one. `retentionMs` 0 disables it.
 */
export function beyondTimeRetention(blocks: readonly RetentionBlock[], retentionMs: number): string[] {
  if (blocks.length === 0 || retentionMs <= 0) return [];
  const s = newestFirst(blocks);
  const newest = s[0]!.maxTime;
  for (let i = 1; i < s.length; i++) {
    if (newest - s[i]!.maxTime >= retentionMs) return s.slice(i).map((b) => b.ulid);
  }
  return [];
}

/**
 * ULIDs of blocks beyond size retention: counting from the newest block, and
 * starting from `otherBytes` (WAL and head chunks, which count too), the first
 * block that pushes the total over `maxBytes` and every older one. `maxBytes` 0
 * disables it.
 */
export function beyondSizeRetention(blocks: readonly RetentionBlock[], maxBytes: number, otherBytes = 0): string[] {
  if (blocks.length === 0 || maxBytes <= 0) return [];
  const s = newestFirst(blocks);
  let total = otherBytes;
  for (let i = 0; i < s.length; i++) {
    total += s[i]!.size;
    if (total > maxBytes) return s.slice(i).map((b) => b.ulid);
  }
  return [];
}
