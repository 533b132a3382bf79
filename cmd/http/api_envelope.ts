/**
 * The Prometheus HTTP API JSON envelope and its error table.
 *
 * Success: `{"status":"success","data":…,"warnings"?:[…],"infos"?:[…]}`.
 * Error:   `{"status":"error","errorType":"bad_data","error":"…","data"?:…}` with the
 * HTTP status of the error type (Prometheus `web/api/v1/api.go` `respondError`).
 * Parts throw `ApiError` from their handlers (or send it with `sendApiError`);
 * `apiErrorHandler` turns it — and fastify's own validation, body-size and
 * content-type errors — into the envelope. Grafana shows `"<errorType>: <error>"`.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from '../logger.js';

/** Prometheus API error types. */
export type ApiErrorType =
  | 'bad_data'
  | 'execution'
  | 'canceled'
  | 'timeout'
  | 'internal'
  | 'not_found'
  | 'unavailable'
  | 'not_acceptable';

/** HTTP status of each error type (canceled uses 499 as newer Prometheus releases do). */
export const API_ERROR_STATUS: Readonly<Record<ApiErrorType, number>> = {
  bad_data: 400,
  execution: 422,
  canceled: 499,
  timeout: 503,
  internal: 500,
  not_found: 404,
  unavailable: 503,
  not_acceptable: 406,
};

/** The envelope as sent on the wire. */
export interface ApiEnvelope<T = unknown> {
  status: 'success' | 'error';
  data?: T;
  errorType?: ApiErrorType;
  error?: string;
  warnings?: string[];
  infos?: string[];
}

/**
 * An API failure a client can act on. `status` defaults to the type's status;
 * an explicit one is allowed for cases like 413 (body too large) that are still `bad_data`.
 */
export class ApiError extends Error {
  readonly type: ApiErrorType;
  readonly status: number;
  /** Optional `data` sent alongside the error (Prometheus does so for some query errors). */
  readonly data: unknown;
  constructor(type: ApiErrorType, message: string, opts: { status?: number; data?: unknown } = {}) {
    super(message);
    this.name = 'ApiError';
    this.type = type;
    this.status = opts.status ?? API_ERROR_STATUS[type];
    this.data = opts.data;
  }
}

/** A success envelope. Empty `warnings`/`infos` are omitted, as Prometheus does. */
export function successEnvelope<T>(data: T, warnings: readonly string[] = [], infos: readonly string[] = []): ApiEnvelope<T> {
  const env: ApiEnvelope<T> = { status: 'success', data };
  if (warnings.length > 0) env.warnings = [...warnings];
  if (infos.length > 0) env.infos = [...infos];
  return env;
}

/** An error envelope for `err`. */
export function errorEnvelope(err: ApiError): ApiEnvelope {
  const env: ApiEnvelope = { status: 'error', errorType: err.type, error: err.message };
  if (err.data !== undefined) env.data = err.data;
  return env;
}

/** Sends a success envelope with status 200. */
export function sendSuccess<T>(
  reply: FastifyReply,
  data: T,
  warnings: readonly string[] = [],
  infos: readonly string[] = [],
): FastifyReply {
  return reply.code(200).type('application/json').send(successEnvelope(data, warnings, infos));
}

/** Sends `err` as an error envelope with its status. */
export function sendApiError(reply: FastifyReply, err: ApiError): FastifyReply {
  return reply.code(err.status).type('application/json').send(errorEnvelope(err));
}

/**
 * Maps anything thrown in a route to an `ApiError`:
 * `ApiError` as is; fastify 4xx errors (validation, body too large, bad content
 * type, malformed JSON) as `bad_data` keeping their status; everything else as
 * `internal` 500 (the caller logs those).
 */
export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  if (isFastifyError(err)) {
    if (err.validation !== undefined) return new ApiError('bad_data', err.message, { status: 400 });
    const status = err.statusCode ?? 500;
    if (status >= 400 && status < 500) return new ApiError('bad_data', err.message, { status });
    if (status === 503) return new ApiError('unavailable', err.message);
  }
  const msg = err instanceof Error ? err.message : String(err);
  return new ApiError('internal', msg);
}

/** A fastify error handler that answers with the envelope and logs server-side failures. */
export function apiErrorHandler(logger: Logger) {
  return (err: unknown, req: FastifyRequest, reply: FastifyReply): FastifyReply => {
    const apiErr = toApiError(err);
    if (apiErr.status >= 500 && apiErr.type === 'internal') {
      logger.error('internal error serving request', { method: req.method, url: req.url, err: errorText(err) });
    } else {
      logger.debug('request failed', { method: req.method, url: req.url, errorType: apiErr.type, err: apiErr.message });
    }
    return sendApiError(reply, apiErr);
  };
}

function errorText(err: unknown): string {
  if (err instanceof Error) return err.stack ?? err.message;
  return String(err);
}

function isFastifyError(err: unknown): err is FastifyError {
  return err instanceof Error && typeof (err as Partial<FastifyError>).code === 'string';
}

/**
 * The not-found handler: an envelope (`not_found`, 404) under `/api/`, plain
 * text elsewhere (as Prometheus's router answers unknown non-API paths).
 */
export function notFoundHandler(req: FastifyRequest, reply: FastifyReply): FastifyReply {
  const path = req.url.split('?', 1)[0] ?? '';
  if (path.includes('/api/')) {
    return sendApiError(reply, new ApiError('not_found', `no API endpoint ${req.method} ${path}`));
  }
  return reply.code(404).type('text/plain; charset=utf-8').send('404 page not found\n');
}
