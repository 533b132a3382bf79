/**
 * Reading a scrape response body with a size bound, decompressing gzip on the fly.
 *
 * As in Prometheus (`targetScraper.readResponse`), the limit applies to the
 * decompressed bytes and a body of `limit` bytes or more fails the scrape with
 * "body size limit exceeded"; decompression and reading stop as soon as the limit is
 * reached, so a gzip bomb costs at most `limit` bytes of memory.
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';

export type BodyErrorCode = 'body_too_large' | 'invalid_gzip' | 'unsupported_encoding';

/** A body that could not be read: too large, corrupt gzip, or an encoding Vigil did not ask for. */
export class BodyError extends Error {
  readonly code: BodyErrorCode;
  constructor(code: BodyErrorCode, message: string) {
    super(message);
    this.name = 'BodyError';
    this.code = code;
  }
}

export interface ReadBodyOptions {
  /** The response's `Content-Encoding` (`gzip` or absent/`identity`). Default: none. */
  contentEncoding?: string | null;
  /** Maximum body size in bytes after decompression; 0 or absent means unlimited (Prometheus: `body_size_limit`). */
  limit?: number;
  /** Aborts reading (e.g. the scrape timeout); the promise then rejects with the signal's AbortError. */
  signal?: AbortSignal;
}

/**
 * Reads `source` (an HTTP response, a stream, or an array of chunks) to one `Uint8Array`.
 * Rejects with `BodyError` when the decompressed size reaches `limit`, the gzip stream is
 * corrupt, or the encoding is neither gzip nor identity. On rejection the source is destroyed.
 */
export async function readBody(
  source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  opts: ReadBodyOptions = {},
): Promise<Uint8Array> {
  const limit = opts.limit !== undefined && opts.limit > 0 ? opts.limit : Number.POSITIVE_INFINITY;
  const enc = (opts.contentEncoding ?? '').trim().toLowerCase();
  const chunks: Uint8Array[] = [];
  let total = 0;
  // pipeline() may reject with an AbortError from another stage once collect() throws; keep ours.
  let tooLarge: BodyError | null = null;
  const collect = async (src: AsyncIterable<Uint8Array>): Promise<void> => {
    for await (const c of src) {
      total += c.byteLength;
      if (total >= limit) {
        tooLarge = bodyTooLarge(limit, enc === 'gzip');
        throw tooLarge;
      }
      chunks.push(c);
    }
  };
  const popts = opts.signal === undefined ? {} : { signal: opts.signal };
  if ((enc === '' || enc === 'identity') && source instanceof Readable) return collectReadable(source, limit, opts.signal);
  const input = source instanceof Readable ? source : Readable.from(source, { objectMode: false });
  if (enc === '' || enc === 'identity') {
    try {
      await pipeline(input, collect, popts);
    } catch (e) {
      throw tooLarge ?? e;
    }
  } else if (enc === 'gzip' || enc === 'x-gzip') {
    try {
      await pipeline(input, createGunzip(), collect, popts);
    } catch (e) {
      if (tooLarge !== null) throw tooLarge;
      if (opts.signal?.aborted) throw e;
      const msg = e instanceof Error ? e.message : String(e);
      throw new BodyError('invalid_gzip', `cannot decompress gzip body: ${msg}`);
    }
  } else {
    input.destroy();
    throw new BodyError('unsupported_encoding', `unsupported Content-Encoding ${JSON.stringify(opts.contentEncoding)} (only gzip is requested)`);
  }
  return concat(chunks, total);
}

function concat(chunks: readonly Uint8Array[], total: number): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(total);
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.byteLength;
  }
  return out;
}

/**
 * The uncompressed case of `readBody` for a stream (every scrape of a target that does not
 * gzip): plain `data`/`end` listeners instead of a `pipeline`, which would create an abort
 * controller, an async iterator and a DOMException with a stack trace per scrape. Fails
 * like `readBody`: `BodyError` at the limit, the stream's error, the signal's reason on
 * abort, and a premature-close error when the stream closes before its end.
 */
function collectReadable(input: Readable, limit: number, signal: AbortSignal | undefined): Promise<Uint8Array> {
  return new Promise<Uint8Array>((resolve, reject) => {
    const chunks: Uint8Array[] = [];
    let total = 0;
    let done = false;
    const cleanup = (): void => {
      done = true;
      input.off('data', onData);
      input.off('end', onEnd);
      input.off('error', onError);
      input.off('close', onClose);
      signal?.removeEventListener('abort', onAbort);
    };
    const fail = (e: unknown): void => {
      if (done) return;
      cleanup();
      input.destroy();
      reject(e);
    };
    const onData = (c: Uint8Array): void => {
      total += c.byteLength;
      if (total >= limit) {
        fail(bodyTooLarge(limit, false));
        return;
      }
      chunks.push(c);
    };
    const onEnd = (): void => {
      if (done) return;
      cleanup();
      resolve(concat(chunks, total));
    };
    const onError = (e: Error): void => fail(e);
    const onClose = (): void => {
      const e = new Error('premature close');
      (e as Error & { code: string }).code = 'ERR_STREAM_PREMATURE_CLOSE';
      fail(e);
    };
    const onAbort = (): void => fail(signal?.reason ?? new Error('aborted'));
    if (signal?.aborted) {
      onAbort();
      return;
    }
    signal?.addEventListener('abort', onAbort, { once: true });
    input.on('data', onData);
    input.on('end', onEnd);
    input.on('error', onError);
    input.on('close', onClose);
  });
}

/** Decompresses a complete gzip body, failing with `BodyError` once `limit` bytes are reached. */
export function gunzipBounded(data: Uint8Array, limit: number): Promise<Uint8Array> {
  return readBody([data], { contentEncoding: 'gzip', limit });
}

/**
 * `readBody` for a body already received whole: identity bodies are returned as they are
 * (no stream), after the same limit check; gzip is decompressed; anything else is refused.
 */
export function decodeBody(data: Uint8Array, contentEncoding: string, limit: number): Promise<Uint8Array> {
  const enc = contentEncoding.trim().toLowerCase();
  if (enc !== '' && enc !== 'identity') return readBody([data], { contentEncoding, limit });
  if (limit > 0 && data.byteLength >= limit) return Promise.reject(bodyTooLarge(limit, false));
  return Promise.resolve(data);
}

/** The error for a body of `limit` bytes or more (Prometheus: "body size limit exceeded"). */
export function bodyTooLarge(limit: number, afterDecompression: boolean): BodyError {
  return new BodyError('body_too_large', `body size limit exceeded: the body reached ${limit} bytes${afterDecompression ? ' after decompression' : ''}`);
}
