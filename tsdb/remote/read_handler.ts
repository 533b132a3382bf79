/**
 * `POST /api/v1/read`: serves remote read with the SAMPLES response type (a snappy'd
 * `ReadResponse`), as Prometheus's read handler does:
 * - equality matchers on an external label with its exact value are turned into
 *   "label is absent" matchers (local series do not carry external labels), and the
 *   external labels are added to every returned series (series labels win);
 * - series come sorted by labels; one QueryResult per Query, in order;
 * - limits: the request body (`MAX_READ_REQUEST_BYTES` compressed and declared
 *   uncompressed), the samples per request (`maxSamples`, like
 *   `--storage.remote.read-sample-limit`) and the encoded response size (`maxBytes`);
 *   exceeding one is a 400 saying which;
 * - a request accepting only STREAMED_XOR_CHUNKS gets 400 (not implemented).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Labels } from '../labels.js';
import { MatchType, Matcher, RegexpError } from '../matcher.js';
import type { Queryable } from '../storage.js';
import { ProtoWriter } from './proto_writer.js';
import { decodeReadRequest, RESPONSE_SAMPLES, type ReadRequestData, type WireMatcher, writeQueryResult } from './read_codec.js';
import { RemoteError } from './remote_error.js';
import { snappyDecode, snappyEncode } from './snappy.js';

/** Largest remote read request (compressed, and declared uncompressed), as Prometheus's decodeReadLimit. */
export const MAX_READ_REQUEST_BYTES = 32 * 1024 * 1024;
/** Default sample limit per request (Prometheus's --storage.remote.read-sample-limit). */
export const DEFAULT_READ_SAMPLE_LIMIT = 50_000_000;
/** Default limit of the encoded response (bytes, before compression). */
export const DEFAULT_READ_MAX_BYTES = 256 * 1024 * 1024;

/** Options of `remoteReadRoutes`. */
export interface ReadHandlerOptions {
  queryable: () => Queryable;
  externalLabels: () => Labels;
  /** 0 = no limit. Default `DEFAULT_READ_SAMPLE_LIMIT`. */
  maxSamples?: number;
  /** Default `DEFAULT_READ_MAX_BYTES`. */
  maxBytes?: number;
}

/** Prometheus's filterExtLabelsFromMatchers. */
function toMatchers(wire: readonly WireMatcher[], ext: Labels): Matcher[] {
  return wire.map((m) => {
    if (m.type === MatchType.Equal && ext.has(m.name) && ext.get(m.name) === m.value) return new Matcher(MatchType.Equal, m.name, '');
    return new Matcher(m.type, m.name, m.value);
  });
}

/** Registers `POST /api/v1/read` (in its own scope, for the raw body parser). */
export async function remoteReadRoutes(app: FastifyInstance, opts: ReadHandlerOptions): Promise<void> {
  const maxSamples = opts.maxSamples ?? DEFAULT_READ_SAMPLE_LIMIT;
  const maxBytes = opts.maxBytes ?? DEFAULT_READ_MAX_BYTES;
  const fail = (reply: FastifyReply, code: number, msg: string) => reply.code(code).type('text/plain; charset=utf-8').send(`${msg}\n`);
  await app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: MAX_READ_REQUEST_BYTES }, (_req, body, done) => {
      done(null, body);
    });
    scope.post('/api/v1/read', async (req: FastifyRequest, reply: FastifyReply) => {
      const body = req.body;
      if (!(body instanceof Uint8Array)) return fail(reply, 400, 'expected a snappy-compressed protobuf ReadRequest body');
      let rr: ReadRequestData;
      try {
        rr = decodeReadRequest(snappyDecode(body, MAX_READ_REQUEST_BYTES));
      } catch (e) {
        if (e instanceof RemoteError) return fail(reply, 400, e.message);
        throw e;
      }
      if (rr.acceptedResponseTypes.length > 0 && !rr.acceptedResponseTypes.includes(RESPONSE_SAMPLES)) {
        return fail(reply, 400, `server does not support any of the requested response types: [${rr.acceptedResponseTypes.join(' ')}]; supported: [SAMPLES]`);
      }
      const ext = opts.externalLabels();
      const w = new ProtoWriter();
      let samples = 0;
      for (const q of rr.queries) {
        let matchers: Matcher[];
        try {
          matchers = toMatchers(q.matchers, ext);
        } catch (e) {
          if (e instanceof RegexpError) return fail(reply, 400, e.message);
          throw e;
        }
        const querier = await opts.queryable().querier(q.startMs, q.endMs);
        try {
          const hints =
            q.hints === null
              ? null
              : { start: q.hints.startMs, end: q.hints.endMs, step: q.hints.stepMs, func: q.hints.func, range: q.hints.rangeMs, grouping: q.hints.grouping, by: q.hints.by, limit: 0 };
          const ss = await querier.select(true, hints, matchers);
          samples = writeQueryResult(w, ss, ext, { maxSamples, maxBytes }, samples);
        } catch (e) {
          if (e instanceof RemoteError && e.code === 'body_too_large') return fail(reply, 400, e.message);
          throw e;
        } finally {
          await querier.close();
        }
      }
      return reply.code(200).header('content-type', 'application/x-protobuf').header('content-encoding', 'snappy').send(Buffer.from(snappyEncode(w.view())));
    });
  });
}
