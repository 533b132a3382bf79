/**
 * Where a chunk of a series lives and which time range it covers, as the index
 * stores it. `ref` packs the chunk's segment file (upper 32 bits, 0 for
 * `chunks/000001`) and byte offset (lower 32 bits), as Prometheus's
 * `BlockChunkRef`; it is a JS number, exact for segment numbers below 2^21.
 */
export class ChunkMeta {
  ref: number;
  /** Timestamp (ms) of the chunk's first sample. */
  minTime: number;
  /** Timestamp (ms) of the chunk's last sample (inclusive). */
  maxTime: number;

  constructor(ref: number, minTime: number, maxTime: number) {
    this.ref = ref;
    this.minTime = minTime;
    this.maxTime = maxTime;
  }
}

const TWO32 = 4294967296;

/** Packs a segment index (0-based) and byte offset into a chunk reference. */
export function packChunkRef(segment: number, offset: number): number {
  return segment * TWO32 + offset;
}

/** The 0-based segment index of a chunk reference. */
export function chunkRefSegment(ref: number): number {
  return Math.floor(ref / TWO32);
}

/** The byte offset within its segment of a chunk reference. */
export function chunkRefOffset(ref: number): number {
  return ref % TWO32;
}
