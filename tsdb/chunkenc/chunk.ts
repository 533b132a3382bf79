/**
 * Chunks: the unit of compressed sample storage, shared by the head, head chunk
 * files and blocks.
 *
 * API for block readers/writers (tsdb/block, tsdb/index):
 * - `chunkFromData(encoding, data)` wraps the data bytes of one on-disk chunk
 *   (without the length prefix, the encoding byte and the CRC) as a `Chunk`; it
 *   references `data` (no copy). Throws `CorruptChunkError` for an encoding Vigil
 *   cannot decode (anything but `Encoding.XOR`).
 * - `chunk.iterator(reuse?)` iterates its samples; `reuse` recycles a previous
 *   iterator of the same kind. `chunk.bytes()` are the data bytes to write to disk
 *   after the length and `chunk.encoding()` byte.
 * - `encodeXOR(ts, vs, from, to)` encodes samples `[from, to)` of two parallel
 *   arrays into one new chunk (timestamps strictly increasing, ≤ 65535 samples).
 *   For re-chunking merged series use `CHUNK_SAMPLES_TARGET` (120) per chunk,
 *   as Prometheus's compactor does.
 * - `decodeChunk(chunk, ts, vs, at)` appends a chunk's samples into caller arrays.
 * - `XORChunk`, `XORAppender`, `XORIterator` (xor.ts) for incremental use.
 * - `computeChunkEndTime`, `rangeForTimestamp` (chunk_range.ts) for Prometheus's
 *   head chunk-cutting rules.
 * Values travel as float64 bits: the staleness NaN survives every path here,
 * including `Float64Array` storage (V8 does not canonicalise NaNs there).
 */
import { type SampleIterator, ValueType } from '../storage.js';
import { CorruptChunkError } from './corrupt_chunk_error.js';
import { Encoding, encodingName } from './encoding.js';
import { XORAppender, XORChunk } from './xor.js';

export { Encoding, encodingName } from './encoding.js';
export { CorruptChunkError } from './corrupt_chunk_error.js';
export { XORChunk, XORAppender, XORIterator } from './xor.js';

/** Prometheus's target number of samples per head chunk (`DefaultSamplesPerChunk`). */
export const CHUNK_SAMPLES_TARGET = 120;

/** Largest number of samples one chunk can count (its header is 16 bits). */
export const MAX_CHUNK_SAMPLES = 65535;

/** A compressed run of samples of one series. */
export interface Chunk {
  /** The encoding, as written to disk. */
  encoding(): Encoding;
  /** The encoded bytes (a view owned by the chunk). */
  bytes(): Uint8Array;
  /** Number of samples in the chunk. */
  numSamples(): number;
  /** An iterator over the samples (recycling `reuse` when it fits). */
  iterator(reuse?: SampleIterator): SampleIterator;
}

/** Wraps on-disk chunk data of the given encoding. Throws `CorruptChunkError` if it is not decodable. */
export function chunkFromData(encoding: number, data: Uint8Array): Chunk {
  if (encoding === Encoding.XOR) return XORChunk.fromData(data);
  throw new CorruptChunkError(
    `unsupported chunk encoding ${encodingName(encoding)} (${encoding}): Vigil reads only XOR float chunks`,
  );
}

/**
 * Encodes samples `[from, to)` of `ts`/`vs` into a new XOR chunk, trimmed to size.
 * Throws a RangeError when there are more than 65535 samples or timestamps do not increase.
 */
export function encodeXOR(ts: ArrayLike<number>, vs: ArrayLike<number>, from = 0, to = ts.length): XORChunk {
  if (to - from > MAX_CHUNK_SAMPLES) throw new RangeError(`encodeXOR: ${to - from} samples exceed ${MAX_CHUNK_SAMPLES}`);
  const c = new XORChunk(Math.max(16, (to - from) * 2));
  const a = new XORAppender(c);
  let prev = Number.NEGATIVE_INFINITY;
  for (let i = from; i < to; i++) {
    const t = ts[i]!;
    if (!(t > prev)) throw new RangeError(`encodeXOR: timestamp ${t} at index ${i} does not increase (previous ${prev})`);
    a.append(t, vs[i]!);
    prev = t;
  }
  c.compact();
  return c;
}

/**
 * Appends every sample of `chunk` to `ts`/`vs` starting at index `at`; returns the
 * index after the last written sample. The arrays must have room
 * (`chunk.numSamples()` more). Throws the chunk's `CorruptChunkError` if decoding fails.
 */
export function decodeChunk(chunk: Chunk, ts: Float64Array, vs: Float64Array, at: number): number {
  const it = chunk.iterator();
  while (it.next() !== ValueType.None) {
    ts[at] = it.atT();
    vs[at] = it.atV();
    at++;
  }
  const e = it.err();
  if (e !== null) throw e;
  return at;
}
