/**
 * WAL layout constants and segment files, as Prometheus's `tsdb/wlog`:
 * segments are files named by an 8-digit sequence number (`00000000`, …) in the
 * WAL directory, written in 32 KiB pages and cut at 128 MiB. Checkpoints are
 * directories `checkpoint.NNNNNNNN` holding segments of their own.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

/** Page size: records are split into fragments that never cross a page. */
export const PAGE_SIZE = 32 * 1024;
/** Default segment size (bytes). */
export const DEFAULT_SEGMENT_SIZE = 128 * 1024 * 1024;
/** Fragment header: type (1) + length (2, BE) + CRC32C (4, BE). */
export const RECORD_HEADER_SIZE = 7;

/** Fragment types (low 3 bits of the type byte). */
export const FRAG_PAGE_TERM = 0;
export const FRAG_FULL = 1;
export const FRAG_FIRST = 2;
export const FRAG_MIDDLE = 3;
export const FRAG_LAST = 4;
/** Compression flags (bit 3 snappy, bit 4 zstd): Vigil writes neither and rejects both. */
export const FRAG_SNAPPY = 8;
export const FRAG_ZSTD = 16;

/** `dir/NNNNNNNN`. */
export function segmentPath(dir: string, n: number): string {
  return join(dir, segmentName(n));
}

/** The 8-digit file name of segment `n`. */
export function segmentName(n: number): string {
  return String(n).padStart(8, '0');
}

/** Sequence numbers of the segments in `dir`, ascending (non-segment files ignored). */
export function listSegments(dir: string): number[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  const out: number[] = [];
  for (const n of names) if (/^\d{8}$/.test(n)) out.push(Number(n));
  return out.sort((a, b) => a - b);
}

/** The newest checkpoint in `dir`: its index (segments up to which it covers) and path; null if none. */
export function lastCheckpoint(dir: string): { index: number; path: string } | null {
  let best: { index: number; path: string } | null = null;
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return null;
  }
  for (const n of names) {
    const m = /^checkpoint\.(\d{8})$/.exec(n);
    if (m === null) continue;
    const idx = Number(m[1]);
    if (best === null || idx > best.index) best = { index: idx, path: join(dir, n) };
  }
  return best;
}

/** Name of the checkpoint directory covering segments up to `n`. */
export function checkpointName(n: number): string {
  return `checkpoint.${segmentName(n)}`;
}
