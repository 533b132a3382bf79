/**
 * `application/x-www-form-urlencoded` request bodies, as Grafana and promtool
 * send them to `POST /api/v1/query`, `/query_range`, `/labels`, `/series`.
 *
 * The parsed body is a null-prototype object (no `__proto__` pollution) whose
 * values are a string, or an array of strings for repeated keys such as
 * `match[]` — the same shape fastify gives for the query string, so a route can
 * merge both. The body size is bounded by fastify's `bodyLimit`.
 */
import { parse } from 'node:querystring';
import type { FastifyInstance } from 'fastify';
import { ApiError } from './api_envelope.js';

/** A parsed form body (or query string): repeated keys give arrays. */
export type FormFields = Readonly<Record<string, string | readonly string[]>>;

/** The content type handled here. */
export const FORM_CONTENT_TYPE = 'application/x-www-form-urlencoded';

/** Upper bound on the number of fields, so a hostile body cannot create millions of keys. */
export const MAX_FORM_FIELDS = 10_000;

/** Parses a form body; throws `ApiError('bad_data')` when it has too many fields. */
export function parseFormBody(text: string): FormFields {
  // maxKeys + 1 so that going over the limit is detectable rather than silently truncated.
  const fields = parse(text, '&', '=', { maxKeys: MAX_FORM_FIELDS + 1 });
  if (Object.keys(fields).length > MAX_FORM_FIELDS) {
    throw new ApiError('bad_data', `form body has more than ${MAX_FORM_FIELDS} fields`);
  }
  const out: Record<string, string | readonly string[]> = Object.create(null);
  for (const [k, v] of Object.entries(fields)) {
    if (v !== undefined) out[k] = v;
  }
  return out;
}

/** Registers the form parser on `app` (and so on every route registered under it). */
export function registerFormBody(app: FastifyInstance): void {
  app.addContentTypeParser(FORM_CONTENT_TYPE, { parseAs: 'string' }, (_req, body, done) => {
    try {
      done(null, parseFormBody(typeof body === 'string' ? body : body.toString('utf8')));
    } catch (e) {
      done(e instanceof Error ? e : new Error(String(e)), undefined);
    }
  });
}
