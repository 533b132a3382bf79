/**
 * Fetching one target's exposition over HTTP, as Prometheus's `targetScraper` does:
 * GET with the `Accept` header built from the job's `scrape_protocols` (see
 * parser/content_type.ts), `Accept-Encoding: gzip` (unless
 * compression is disabled), `X-Prometheus-Scrape-Timeout-Seconds`; any status other
 * than 200 fails; the body is read (and gunzipped) up to `body_size_limit`; the whole
 * exchange is bounded by the scrape timeout through an `AbortSignal`.
 *
 * Error messages read like Prometheus's, so a user can search for them:
 * `server returned HTTP status 500 Internal Server Error`, `Get "<url>": context
 * deadline exceeded`, `body size limit exceeded`, `unexpected EOF`.
 */
import { buildInfo } from '../cmd/build_info.js';
import { BodyError, readBody } from './parser/body_reader.js';
import { SCRAPE_ACCEPT_HEADER } from './parser/content_type.js';
import type { HttpClientConfig } from './http_client_config.js';
import { authHeader, httpGet, HttpRequestError } from './http_client.js';
import { type RawResponse, RawHttpConnection, RawHttpError } from './raw_http.js';

/** A scraped body and its Content-Type (`''` when absent). */
export interface ScrapeResult {
  /** Valid until the same scraper's next call (it may reuse the memory); copy what must outlive it. */
  readonly body: Uint8Array;
  readonly contentType: string;
}

/** Fetches one exposition; rejects with `ScrapeError` (or `BodyError`). */
export type Scraper = (signal: AbortSignal) => Promise<ScrapeResult>;

export type ScrapeErrorCode = 'http_status' | 'timeout' | 'request' | 'body';

/** A failed fetch. `message` is what `/api/v1/targets` shows as `lastError`. */
export class ScrapeError extends Error {
  readonly code: ScrapeErrorCode;
  constructor(code: ScrapeErrorCode, message: string) {
    super(message);
    this.name = 'ScrapeError';
    this.code = code;
  }
}

export interface HttpScraperOptions {
  url: string;
  client: HttpClientConfig;
  /** Milliseconds, sent in `X-Prometheus-Scrape-Timeout-Seconds`. */
  timeout: number;
  /** Bytes after decompression; 0 = unlimited. */
  bodySizeLimit: number;
  enableCompression: boolean;
  /** The `Accept` header (`acceptHeader(scrape_protocols, escaping)`); default Prometheus 2.42's. */
  accept?: string;
}

const USER_AGENT = `Vigil/${buildInfo().vigilVersion}`;

/** A `Scraper` for a target URL. */
export function httpScraper(o: HttpScraperOptions): Scraper {
  const headers: Record<string, string> = {
    Accept: o.accept ?? SCRAPE_ACCEPT_HEADER,
    'Accept-Encoding': o.enableCompression ? 'gzip' : 'identity',
    'User-Agent': USER_AGENT,
    'X-Prometheus-Scrape-Timeout-Seconds': String(o.timeout / 1000),
  };
  const generic = nodeHttpScraper(o, headers);
  let u: URL;
  try {
    u = new URL(o.url);
  } catch {
    return generic;
  }
  // Plain HTTP without credentials in the URL takes the lean client (raw_http.ts).
  if (u.protocol !== 'http:' || u.username !== '' || u.password !== '') return generic;
  const conn = new RawHttpConnection(u.hostname.replace(/^\[(.*)\]$/, '$1'), u.port === '' ? 80 : Number(u.port));
  let baseHead = `GET ${u.pathname}${u.search} HTTP/1.1\r\nHost: ${u.host}\r\n`;
  for (const [k, v] of Object.entries(headers)) baseHead += `${k}: ${v}\r\n`;
  const url = JSON.stringify(o.url);
  const withAuth = o.client.basicAuth !== null || o.client.authorization !== null;
  return async (signal) => {
    let head = baseHead;
    let res: RawResponse;
    try {
      if (withAuth) {
        const auth = await authHeader(o.client);
        if (auth !== null) {
          if (/[\r\n]/.test(auth)) throw new RawHttpError('request', 'invalid character in the Authorization header');
          head += `Authorization: ${auth}\r\n`;
        }
      }
      res = await conn.request(`${head}\r\n`, signal, o.bodySizeLimit);
    } catch (e) {
      if (signal.aborted) throw deadlineExceeded(o.url);
      if (e instanceof BodyError) throw bodyFailed(e);
      if (e instanceof RawHttpError && e.kind === 'eof') throw unexpectedEof();
      throw new ScrapeError('request', `Get ${url}: ${e instanceof Error ? e.message : String(e)}`);
    }
    const redirect = res.status === 301 || res.status === 302 || res.status === 303 || res.status === 307 || res.status === 308;
    if (redirect && o.client.followRedirects && res.location !== null) return generic(signal);
    if (res.status !== 200) throw statusFailed(res.statusText);
    return { body: res.body, contentType: res.contentType };
  };
}

/** The `Scraper` over `node:http`/`node:https`: TLS targets, credentials in the URL, followed redirects. */
function nodeHttpScraper(o: HttpScraperOptions, headers: Record<string, string>): Scraper {
  return async (signal) => {
    let res: Awaited<ReturnType<typeof httpGet>>;
    try {
      res = await httpGet(o.url, o.client, { headers, signal });
    } catch (e) {
      if (signal.aborted) throw deadlineExceeded(o.url);
      throw new ScrapeError('request', e instanceof HttpRequestError ? e.message : `Get ${JSON.stringify(o.url)}: ${String(e)}`);
    }
    if (res.status !== 200) {
      res.body.resume();
      throw statusFailed(res.statusText);
    }
    try {
      const body = await readBody(res.body, { contentEncoding: res.headers['content-encoding'] ?? null, limit: o.bodySizeLimit, signal });
      return { body, contentType: res.headers['content-type'] ?? '' };
    } catch (e) {
      res.body.destroy();
      if (e instanceof BodyError) throw bodyFailed(e);
      if (signal.aborted) throw deadlineExceeded(o.url);
      throw unexpectedEof();
    }
  };
}

// The failures both clients share, worded as Prometheus words them.
function deadlineExceeded(url: string): ScrapeError {
  return new ScrapeError('timeout', `Get ${JSON.stringify(url)}: context deadline exceeded`);
}

function statusFailed(statusText: string): ScrapeError {
  return new ScrapeError('http_status', `server returned HTTP status ${statusText}`);
}

function bodyFailed(e: BodyError): ScrapeError {
  return new ScrapeError('body', e.code === 'body_too_large' ? 'body size limit exceeded' : e.message);
}

/** The connection closed before the announced end of the body (Go: io.ErrUnexpectedEOF). */
function unexpectedEof(): ScrapeError {
  return new ScrapeError('body', 'unexpected EOF');
}
