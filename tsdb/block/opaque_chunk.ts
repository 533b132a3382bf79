/**
 * A chunk in an encoding Vigil stores but does not decode (Prometheus's native
 * histogram encodings). Its bytes are carried through compaction unchanged; an
 * attempt to iterate it ends at once with an error saying which encoding it is.
 */
import { type Chunk, CorruptChunkError, type Encoding, encodingName } from '../chunkenc/chunk.js';
import { type SampleIterator, ValueType } from '../storage.js';

class ErrorIterator implements SampleIterator {
  private readonly e: Error;
  constructor(e: Error) {
    this.e = e;
  }
  next(): ValueType {
    return ValueType.None;
  }
  seek(): ValueType {
    return ValueType.None;
  }
  atT(): number {
    return Number.NaN;
  }
  atV(): number {
    return Number.NaN;
  }
  err(): Error | null {
    return this.e;
  }
}

export class OpaqueChunk implements Chunk {
  private readonly enc: number;
  private readonly data: Uint8Array;
  constructor(encoding: number, data: Uint8Array) {
    this.enc = encoding;
    this.data = data;
  }
  encoding(): Encoding {
    return this.enc as Encoding;
  }
  bytes(): Uint8Array {
    return this.data;
  }
  /** Every Prometheus chunk encoding starts with a 16-bit big-endian sample count. */
  numSamples(): number {
    return this.data.length < 2 ? 0 : (this.data[0]! << 8) | this.data[1]!;
  }
  iterator(): SampleIterator {
    return new ErrorIterator(
      new CorruptChunkError(`cannot read ${encodingName(this.enc)} chunk (encoding ${this.enc}): Vigil reads only XOR float chunks`),
    );
  }
}
