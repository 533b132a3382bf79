/**
 * HTTP GET for scrapes and HTTP service discovery, honouring the inlined HTTP client
 * configuration (`basic_auth`, `authorization`, `tls_config`, `follow_redirects`).
 *
 * Credentials given as files are read on every request, as Prometheus does, so rotated
 * secrets take effect without a reload. TLS uses `node:https` with the configured CA,
 * client certificate, server name and minimum/maximum versions. Redirects (at most 10,
 * like Go's client) are followed only when `follow_redirects` is true.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import type { SecureVersion } from 'node:tls';
import { urlToHttpOptions } from 'node:url';
import type { HttpClientConfig, TlsConfig } from './http_client_config.js';

/** A response whose body has not been read yet (read it with `readBody`, or destroy it). */
export interface HttpResponse {
  readonly status: number;
  /** `200 OK`, as Go prints `resp.Status`. */
  readonly statusText: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: http.IncomingMessage;
}

export interface HttpGetOptions {
  /** Extra request headers. */
  headers?: Record<string, string>;
  /** Aborts connecting and reading (the scrape timeout). */
  signal?: AbortSignal;
}

const MAX_REDIRECTS = 10;

/** A request that did not produce a response (connection refused, TLS failure, abort, too many redirects). */
export class HttpRequestError extends Error {
  readonly code = 'http_request';
  constructor(message: string) {
    super(message);
    this.name = 'HttpRequestError';
  }
}

/** Builds `Authorization` and TLS options from a client config, reading secret files. */
export async function authHeader(c: HttpClientConfig): Promise<string | null> {
  if (c.basicAuth !== null) {
    const b = c.basicAuth;
    const user = b.usernameFile !== '' ? (await readFile(b.usernameFile, 'utf8')).trim() : b.username;
    const pass = b.passwordFile !== '' ? (await readFile(b.passwordFile, 'utf8')).trim() : b.password;
    return `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
  }
  if (c.authorization !== null) {
    const a = c.authorization;
    const cred = a.credentialsFile !== '' ? (await readFile(a.credentialsFile, 'utf8')).trim() : a.credentials;
    return `${a.type} ${cred}`;
  }
  return null;
}

const TLS_VERSION: Record<string, SecureVersion> = { TLS10: 'TLSv1', TLS11: 'TLSv1.1', TLS12: 'TLSv1.2', TLS13: 'TLSv1.3' };

async function tlsOptions(t: TlsConfig): Promise<https.RequestOptions> {
  const o: https.RequestOptions = {};
  const ca = t.caFile !== '' ? await readFile(t.caFile, 'utf8') : t.ca;
  if (ca !== '') o.ca = ca;
  const cert = t.certFile !== '' ? await readFile(t.certFile, 'utf8') : t.cert;
  if (cert !== '') o.cert = cert;
  const key = t.keyFile !== '' ? await readFile(t.keyFile, 'utf8') : t.key;
  if (key !== '') o.key = key;
  if (t.serverName !== '') o.servername = t.serverName;
  o.rejectUnauthorized = !t.insecureSkipVerify;
  // Go's default minimum is TLS 1.2 for clients.
  o.minVersion = TLS_VERSION[t.minVersion] ?? 'TLSv1.2';
  const max = TLS_VERSION[t.maxVersion];
  if (max !== undefined) o.maxVersion = max;
  return o;
}

const agentHttp = new http.Agent({ keepAlive: true, maxSockets: 1024 });

/** Keep-alive agents per distinct TLS setup (certificates included), so scrapes reuse TLS sessions. */
const httpsAgents = new Map<string, https.Agent>();
const MAX_HTTPS_AGENTS = 64;

function httpsAgent(o: https.RequestOptions): https.Agent {
  const key = createHash('sha256').update(JSON.stringify([o.ca, o.cert, o.key, o.servername, o.rejectUnauthorized, o.minVersion, o.maxVersion])).digest('hex');
  let a = httpsAgents.get(key);
  if (a === undefined) {
    // Rotated certificates make new keys: drop the oldest agent rather than grow without bound.
    if (httpsAgents.size >= MAX_HTTPS_AGENTS) {
      const [oldKey, old] = httpsAgents.entries().next().value as [string, https.Agent];
      old.destroy();
      httpsAgents.delete(oldKey);
    }
    a = new https.Agent({ ...o, keepAlive: true, maxSockets: 1024 } as https.AgentOptions);
    httpsAgents.set(key, a);
  }
  return a;
}

/**
 * GETs `url` with the client configuration. Resolves once the response headers arrived;
 * rejects with `HttpRequestError` (message in Go's style, `Get "<url>": <reason>`) when
 * no response could be obtained.
 */
export async function httpGet(url: string, cfg: HttpClientConfig, opts: HttpGetOptions = {}): Promise<HttpResponse> {
  let headers: Record<string, string> = opts.headers ?? {};
  if (cfg.basicAuth !== null || cfg.authorization !== null) {
    const auth = await authHeader(cfg);
    if (auth !== null) headers = { ...headers, Authorization: auth };
  }
  let current = url;
  for (let hop = 0; ; hop++) {
    const res = await getOnce(current, headers, cfg, opts.signal, url);
    const loc = res.headers.location;
    const redirect = res.status >= 301 && res.status <= 308 && res.status !== 304 && res.status !== 305 && res.status !== 306;
    if (!redirect || !cfg.followRedirects || loc === undefined) return res;
    res.body.resume();
    if (hop + 1 >= MAX_REDIRECTS) throw new HttpRequestError(`Get ${JSON.stringify(url)}: stopped after ${MAX_REDIRECTS} redirects`);
    current = new URL(loc, current).toString();
  }
}

/** Request options (protocol, host, port, path, auth) of scrape URLs, parsed once per URL. */
const requestTargets = new Map<string, Readonly<http.RequestOptions>>();
const MAX_REQUEST_TARGETS = 10_000;

/** The request options of `url`; throws `HttpRequestError` (naming `original`) for an invalid or non-HTTP URL. */
function requestTarget(url: string, original: string): Readonly<http.RequestOptions> {
  let t = requestTargets.get(url);
  if (t !== undefined) return t;
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new HttpRequestError(`Get ${JSON.stringify(original)}: invalid URL`);
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') {
    throw new HttpRequestError(`Get ${JSON.stringify(original)}: unsupported protocol scheme ${JSON.stringify(u.protocol.slice(0, -1))}`);
  }
  t = urlToHttpOptions(u);
  // Targets come and go with discovery: bound the memo rather than let it grow.
  if (requestTargets.size >= MAX_REQUEST_TARGETS) requestTargets.clear();
  requestTargets.set(url, t);
  return t;
}

async function getOnce(
  url: string,
  headers: Record<string, string>,
  cfg: HttpClientConfig,
  signal: AbortSignal | undefined,
  original: string,
): Promise<HttpResponse> {
  const target = requestTarget(url, original);
  const isHttps = target.protocol === 'https:';
  let reqOpts: https.RequestOptions;
  if (isHttps) {
    const tls = await tlsOptions(cfg.tlsConfig);
    reqOpts = { ...target, ...tls, agent: httpsAgent(tls), method: 'GET', headers };
  } else {
    // A plain-HTTP request needs no TLS server name: '' spares the agent from computing one.
    reqOpts = { ...target, agent: agentHttp, servername: '', method: 'GET', headers };
  }
  if (signal !== undefined) reqOpts.signal = signal;
  return await new Promise<HttpResponse>((resolve, reject) => {
    const onRes = (res: http.IncomingMessage): void => {
      const status = res.statusCode ?? 0;
      resolve({ status, statusText: `${status} ${res.statusMessage ?? http.STATUS_CODES[status] ?? ''}`.trim(), headers: res.headers, body: res });
    };
    const req = isHttps ? https.request(reqOpts, onRes) : http.request(reqOpts, onRes);
    req.on('error', (e: Error) => {
      const reason = signal?.aborted ? 'context deadline exceeded' : e.message;
      reject(new HttpRequestError(`Get ${JSON.stringify(original)}: ${reason}`));
    });
    req.end();
  });
}
