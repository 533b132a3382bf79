/**
 * The remote write 1.0 receiver: `POST /api/v1/write` with a snappy-compressed
 * protobuf `WriteRequest`, appended through the storage's `Appender` in ONE
 * transaction per request.
 *
 * Status codes follow Prometheus's receiver and the retry contract of the spec:
 * - 204 when every sample was stored;
 * - 400 for data that will never be accepted (bad snappy, malformed protobuf, invalid
 *   label sets, out-of-order / duplicate / out-of-bounds samples): senders drop it;
 * - 415 for an encoding or message type Vigil does not speak (snappy + 1.0 only);
 * - 5xx only when retrying can help (storage closed or failing, commit failed).
 *
 * Rejected samples: the storage's appender rejects a sample and stays usable, so the
 * samples it accepted are committed and the response is a 400 whose body counts the
 * rejects by reason (Prometheus 2.x rolls the whole request back on the first one; since
 * senders never retry a 400, keeping the accepted samples loses less). A 5xx means the
 * transaction was rolled back, so the sender's resend is a fresh write.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Counter, type Registry } from 'prom-client';
import { StorageError } from '../errors.js';
import type { Appendable, Appender, SeriesRef } from '../storage.js';
import { NO_REF } from '../storage.js';
import { decodeWriteRequest, type WriteRequestData } from './codec.js';
import { RemoteError } from './remote_error.js';
import { snappyDecode } from './snappy.js';

/** Largest compressed body accepted (bytes). Prometheus sends at most a few hundred KB. */
export const MAX_WRITE_BODY_BYTES = 32 * 1024 * 1024;
/** Largest declared uncompressed size accepted (bytes). */
export const MAX_WRITE_DECODED_BYTES = 64 * 1024 * 1024;
/** Samples more than this far in the future (ms) are out of bounds, as in Prometheus (maxAheadTime). */
export const MAX_AHEAD_MS = 10 * 60 * 1000;

/** Message of the 404 when the receiver is disabled (Prometheus's wording). */
export const RECEIVER_DISABLED_MESSAGE = 'remote write receiver needs to be enabled with --web.enable-remote-write-receiver';

interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

/** Options of `remoteWriteRoutes`. */
export interface WriteHandlerOptions {
  /** `--web.enable-remote-write-receiver`; when false the route answers 404 with `RECEIVER_DISABLED_MESSAGE`. */
  enabled: boolean;
  /** Where samples go; called per request (may throw while storage is not open). */
  appendable: () => Appendable;
  logger: Logger;
  /** Registry for the receiver's metrics; none registered when absent. */
  metrics?: Registry;
  /** Clock (ms). Default `Date.now`. */
  now?: () => number;
  /** Default `MAX_WRITE_BODY_BYTES`. */
  maxBodyBytes?: number;
  /** Default `MAX_WRITE_DECODED_BYTES`. */
  maxDecodedBytes?: number;
}

/** The outcome of appending one decoded request. */
export interface AppendOutcome {
  accepted: number;
  /** Rejected samples by storage error code (`out_of_order_sample`, ...). */
  rejected: Map<string, number>;
  /** Samples of series whose label set was invalid. */
  invalidLabelSamples: number;
  /** First reject's message, for the response body. */
  firstError: string;
}

/**
 * Appends every valid sample of `req` through `app` (not committed). Rejections by the
 * storage (`StorageError`) are counted; any other error propagates.
 */
export function appendWriteRequest(app: Appender, req: WriteRequestData, maxT: number): AppendOutcome {
  const out: AppendOutcome = { accepted: 0, rejected: new Map(), invalidLabelSamples: 0, firstError: '' };
  const ts = req.ts;
  const vs = req.vs;
  for (const s of req.series) {
    if (s.labels === null) {
      out.invalidLabelSamples += s.end - s.start;
      if (out.firstError === '') out.firstError = `invalid labels: ${s.invalid}`;
      continue;
    }
    let ref: SeriesRef = NO_REF;
    const labels = s.labels;
    let i = s.start;
    // The try wraps the loop, not each sample: on a reject, count it and resume after it.
    while (i < s.end) {
      try {
        for (; i < s.end; i++) {
          if (ts[i]! > maxT) {
            throw new StorageError('out_of_bounds', `out of bounds: sample for ${labels.toString()} at ${ts[i]} is more than 10m in the future`);
          }
          ref = app.append(ref, labels, ts[i]!, vs[i]!);
          out.accepted++;
        }
      } catch (e) {
        if (!(e instanceof StorageError) || e.code === 'storage_closed') throw e;
        out.rejected.set(e.code, (out.rejected.get(e.code) ?? 0) + 1);
        if (out.firstError === '') out.firstError = e.message;
        i++;
      }
    }
  }
  return out;
}

/** Registers `POST /api/v1/write` on `app` (inside its own encapsulated scope for the body parser). */
export async function remoteWriteRoutes(app: FastifyInstance, opts: WriteHandlerOptions): Promise<void> {
  const now = opts.now ?? Date.now;
  const maxDecoded = opts.maxDecodedBytes ?? MAX_WRITE_DECODED_BYTES;
  const invalidLabels = new Counter({
    name: 'prometheus_api_remote_write_invalid_labels_samples_total',
    help: 'The total number of received remote write samples and histogram samples which were rejected due to invalid labels.',
    registers: opts.metrics ? [opts.metrics] : [],
  });
  const received = new Counter({
    name: 'vigil_remote_write_received_samples_total',
    help: 'Samples received by the remote write receiver, by result (accepted, rejected, invalid_labels).',
    labelNames: ['result'],
    registers: opts.metrics ? [opts.metrics] : [],
  });
  const requests = new Counter({
    name: 'vigil_remote_write_requests_total',
    help: 'Remote write requests received, by HTTP status code.',
    labelNames: ['code'],
    registers: opts.metrics ? [opts.metrics] : [],
  });

  const fail = (reply: FastifyReply, code: number, msg: string): FastifyReply => {
    requests.inc({ code: String(code) });
    return reply.code(code).type('text/plain; charset=utf-8').send(`${msg}\n`);
  };

  await app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: opts.maxBodyBytes ?? MAX_WRITE_BODY_BYTES }, (_req, body, done) => {
      done(null, body);
    });
    scope.post('/api/v1/write', async (req: FastifyRequest, reply: FastifyReply) => {
      if (!opts.enabled) return fail(reply, 404, RECEIVER_DISABLED_MESSAGE);
      const enc = req.headers['content-encoding'];
      if (enc !== undefined && enc.toLowerCase() !== 'snappy') {
        return fail(reply, 415, `unsupported Content-Encoding ${JSON.stringify(enc)}: remote write bodies must be snappy block-compressed`);
      }
      const ctype = req.headers['content-type'] ?? '';
      if (/proto=io\.prometheus\.write\.v2\.Request/.test(ctype)) {
        return fail(reply, 415, 'remote write 2.0 (io.prometheus.write.v2.Request) is not supported by Vigil yet; send prometheus.WriteRequest (1.0)');
      }
      const body = req.body;
      if (!(body instanceof Uint8Array)) return fail(reply, 400, 'expected a snappy-compressed protobuf body');
      let data: WriteRequestData;
      try {
        data = decodeWriteRequest(snappyDecode(body, maxDecoded));
      } catch (e) {
        if (!(e instanceof RemoteError)) throw e;
        opts.logger.warn('Error decoding remote write request', { err: e.message, remote: req.ip });
        return fail(reply, 400, e.message);
      }
      let storage: Appendable;
      try {
        storage = opts.appendable();
      } catch (e) {
        return fail(reply, 503, e instanceof Error ? e.message : String(e));
      }
      let app: Appender | null = null;
      let outcome: AppendOutcome;
      try {
        app = storage.appender();
        outcome = appendWriteRequest(app, data, now() + MAX_AHEAD_MS);
        await app.commit();
      } catch (e) {
        await app?.rollback().catch(() => {});
        const msg = e instanceof Error ? e.message : String(e);
        opts.logger.error('Error appending remote write', { err: msg });
        const closed = e instanceof StorageError && e.code === 'storage_closed';
        return fail(reply, closed ? 503 : 500, msg);
      }
      received.inc({ result: 'accepted' }, outcome.accepted);
      let rejected = 0;
      for (const n of outcome.rejected.values()) rejected += n;
      if (rejected > 0) received.inc({ result: 'rejected' }, rejected);
      if (outcome.invalidLabelSamples > 0) {
        received.inc({ result: 'invalid_labels' }, outcome.invalidLabelSamples);
        invalidLabels.inc(outcome.invalidLabelSamples);
      }
      if (rejected === 0 && outcome.invalidLabelSamples === 0) {
        requests.inc({ code: '204' });
        return reply.code(204).send();
      }
      const reasons = [...outcome.rejected].map(([code, n]) => `${code}: ${n}`);
      if (outcome.invalidLabelSamples > 0) reasons.push(`invalid_labels: ${outcome.invalidLabelSamples}`);
      const total = data.samples;
      const head = outcome.rejected.has('out_of_order_sample') ? 'out of order sample' : outcome.rejected.size > 0 ? 'rejected samples' : 'invalid labels';
      const msg = `${head}: ${total - outcome.accepted} of ${total} samples not stored (${reasons.join(', ')}); first: ${outcome.firstError}`;
      opts.logger.warn('Remote write request partly rejected', { err: msg });
      return fail(reply, 400, msg);
    });
  });
}
