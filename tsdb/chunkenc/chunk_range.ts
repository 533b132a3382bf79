/**
 * Prometheus's head chunk-cutting rules (`tsdb/head_append.go`
 * `appendPreprocessor`, `computeChunkEndTime`, `rangeForTimestamp`), as pure
 * functions so that the head and tests agree on exactly where chunks end.
 *
 * A chunk is cut when the next sample reaches `nextAt` or the chunk already holds
 * 2 × 120 samples. `nextAt` starts at the end of the chunk-range slot (2h by
 * default) holding the chunk's first sample, and is re-estimated once the chunk
 * holds 120/4 samples, so that chunks in a slot come out evenly sized.
 */
import { CHUNK_SAMPLES_TARGET } from './chunk.js';

/**
 * End (exclusive) of the `width`-ms slot holding `t`: `(t / width) * width + width`
 * with Go's truncating division (so negative times round toward zero, as in Prometheus).
 */
export function rangeForTimestamp(t: number, width: number): number {
  return Math.trunc(t / width) * width + width;
}

/**
 * Predicts the end time of a chunk that started at `start` and whose last sample
 * is at `cur`, so that the rest of the slot up to `maxT` is split into chunks of
 * equal duration; `ratioToFull` is how full the chunk is (4 = a quarter).
 */
export function computeChunkEndTime(start: number, cur: number, maxT: number, ratioToFull: number): number {
  const n = (maxT - start) / ((cur - start + 1) * ratioToFull);
  if (n <= 1) return maxT;
  return Math.trunc(start + (maxT - start) / Math.floor(n));
}

/**
 * Tracks when the current head chunk of a series must be cut. Fields are plain
 * numbers so a series can embed the state without another object.
 */
export interface ChunkCutState {
  /** Time at or after which the next sample starts a new chunk. */
  nextAt: number;
}

/**
 * Decides, before appending sample `t` to a chunk that holds `numSamples`
 * samples from `chunkMinT` to `chunkMaxT`, whether a new chunk must be cut.
 * Updates `state.nextAt` as Prometheus does (at a quarter of the target size).
 * A new chunk's state is set with `startChunk`.
 */
export function shouldCut(
  state: ChunkCutState,
  numSamples: number,
  chunkMinT: number,
  chunkMaxT: number,
  t: number,
  samplesPerChunk: number = CHUNK_SAMPLES_TARGET,
): boolean {
  if (numSamples === samplesPerChunk >> 2) {
    state.nextAt = computeChunkEndTime(chunkMinT, chunkMaxT, state.nextAt, 4);
  }
  return t >= state.nextAt || numSamples >= samplesPerChunk * 2;
}

/** Resets the cut state for a chunk whose first sample is at `t`. */
export function startChunk(state: ChunkCutState, t: number, chunkRange: number): void {
  state.nextAt = rangeForTimestamp(t, chunkRange);
}
