/**
 * Repairs a WAL whose tail is torn or corrupt (Prometheus's `wlog.Repair`): keeps
 * every record before the damage, truncating the damaged segment at the start of
 * the first bad record, deletes every later segment, and reports exactly what was
 * dropped so the caller can log it. The database then starts on what is left.
 */
import { rmSync, statSync, truncateSync } from 'node:fs';
import { listSegments, segmentPath } from './segment.js';
import type { WalCorruption } from './wal_reader.js';

/** What a repair removed. */
export class WalRepairReport {
  /** The damage found. */
  readonly corruption: WalCorruption;
  /** Bytes cut from the end of the damaged segment. */
  readonly truncatedBytes: number;
  /** Later segments deleted, with their sizes in bytes. */
  readonly deletedSegments: readonly { segment: number; bytes: number }[];

  constructor(corruption: WalCorruption, truncatedBytes: number, deletedSegments: readonly { segment: number; bytes: number }[]) {
    this.corruption = corruption;
    this.truncatedBytes = truncatedBytes;
    this.deletedSegments = deletedSegments;
  }

  /** One line for the log: what was wrong and what was dropped. */
  toString(): string {
    const c = this.corruption;
    let s = `WAL repaired: ${c.toString()}; kept ${c.offset} bytes of segment ${c.segment}, dropped its last ${this.truncatedBytes} bytes`;
    if (this.deletedSegments.length > 0) {
      const total = this.deletedSegments.reduce((a, d) => a + d.bytes, 0);
      s += ` and deleted later segments ${this.deletedSegments.map((d) => d.segment).join(', ')} (${total} bytes)`;
    }
    return s;
  }
}

/** Cuts segment `c.segment` of `c.dir` at `c.offset` and deletes the segments after it. */
export function repairWal(c: WalCorruption): WalRepairReport {
  const path = segmentPath(c.dir, c.segment);
  const size = statSync(path).size;
  truncateSync(path, c.offset);
  const deleted: { segment: number; bytes: number }[] = [];
  for (const n of listSegments(c.dir)) {
    if (n <= c.segment) continue;
    const p = segmentPath(c.dir, n);
    const bytes = statSync(p).size;
    rmSync(p, { force: true });
    deleted.push({ segment: n, bytes });
  }
  return new WalRepairReport(c, size - c.offset, deleted);
}
