/**
 * Block chunk segment files (`<block>/chunks/000001`, `000002`, …) as
 * `tsdb/docs/format/chunks.md` describes: an 8-byte header (magic 0x85BD40DD,
 * version 1, 3 bytes of padding), then chunks as `len uvarint | encoding byte |
 * data | CRC-32C(encoding + data)`. A chunk reference is (segment index << 32) |
 * byte offset, the segment index counting from 0 for the first file.
 * Writing is in chunk_writer.ts, reading in chunk_reader.ts.
 */
import { join } from 'node:path';

export const CHUNKS_MAGIC = 0x85bd40dd;
export const CHUNKS_FORMAT_V1 = 1;
export const SEGMENT_HEADER_SIZE = 8;
/** Prometheus's `DefaultChunkSegmentSize`. */
export const DEFAULT_SEGMENT_SIZE = 512 * 1024 * 1024;

/** A chunk file that is damaged or a reference that points nowhere; names the file and offset. */
export class ChunkFileError extends Error {
  readonly code = 'chunk_file_corrupt';
  constructor(message: string) {
    super(message);
    this.name = 'ChunkFileError';
  }
}

/** The path of segment `seq` (1-based, as named on disk) in a chunks directory. */
export function segmentPath(dir: string, seq: number): string {
  return join(dir, String(seq).padStart(6, '0'));
}

