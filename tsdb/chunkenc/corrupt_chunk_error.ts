/**
 * The error a chunk iterator or decoder reports for bytes that cannot be a valid
 * chunk (truncated stream, impossible bit counts, unknown encoding). Callers
 * branch on `instanceof CorruptChunkError` or `code`, never on the message.
 */
export class CorruptChunkError extends Error {
  readonly code = 'corrupt_chunk';
  constructor(message: string) {
    super(message);
    this.name = 'CorruptChunkError';
  }
}
