/**
 * The HTTP client behind remote write and remote read: POSTs a body to one endpoint
 * with the configured headers, `basic_auth` or `authorization` (secrets from files are
 * re-read on every request, as Prometheus does, so rotated credentials apply), TLS
 * settings and a per-request timeout, over a keep-alive agent. Response bodies are
 * read up to a limit; anything bigger is an error, never a memory blow-up.
 *
 * Not implemented (the configuration warns about them): proxies, OAuth2, SigV4,
 * HTTP/2. Redirects are not followed (a POST body cannot be replayed safely).
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { SecureVersion } from 'node:tls';
import type { HttpClientConfig } from '../../scrape/http_client_config.js';
import { RemoteError } from './remote_error.js';

/** What `HttpEndpoint` needs from a remote_write / remote_read configuration. */
export interface EndpointConfig {
  url: string;
  /** Milliseconds. */
  timeoutMs: number;
  headers: Record<string, string>;
  httpClientConfig: HttpClientConfig;
}

/** A response: status, headers, and the body (at most the caller's limit). */
export interface HttpResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

function readSecret(inline: string, file: string, what: string): string {
  if (file === '') return inline;
  try {
    return readFileSync(file, 'utf8').trim();
  } catch (e) {
    throw new RemoteError('http_transport', `cannot read ${what} file ${file}: ${e instanceof Error ? e.message : String(e)}`, { retryable: true });
  }
}

function readPem(inline: string, file: string, what: string): string | undefined {
  if (inline !== '') return inline;
  if (file === '') return undefined;
  return readSecret('', file, what);
}

/** One remote endpoint. Create once per configuration; `close` releases its sockets. */
export class HttpEndpoint {
  readonly url: URL;
  private readonly cfg: EndpointConfig;
  private readonly agent: http.Agent;
  private readonly isHttps: boolean;

  constructor(cfg: EndpointConfig) {
    this.cfg = cfg;
    this.url = new URL(cfg.url);
    this.isHttps = this.url.protocol === 'https:';
    if (!this.isHttps && this.url.protocol !== 'http:') {
      throw new RemoteError('unsupported', `remote endpoint ${cfg.url}: expected an http or https URL`);
    }
    if (this.isHttps) {
      const tls = cfg.httpClientConfig.tlsConfig;
      this.agent = new https.Agent({
        keepAlive: true,
        ca: readPem(tls.ca, tls.caFile, 'tls_config ca'),
        cert: readPem(tls.cert, tls.certFile, 'tls_config cert'),
        key: readPem(tls.key, tls.keyFile, 'tls_config key'),
        rejectUnauthorized: !tls.insecureSkipVerify,
        servername: tls.serverName !== '' ? tls.serverName : undefined,
        minVersion: tlsVersion(tls.minVersion),
        maxVersion: tlsVersion(tls.maxVersion),
      });
    } else {
      this.agent = new http.Agent({ keepAlive: true });
    }
  }

  /** The request headers from the configuration (auth resolved now). */
  private configuredHeaders(): Record<string, string> {
    const h: Record<string, string> = { ...this.cfg.headers };
    const c = this.cfg.httpClientConfig;
    if (c.basicAuth !== null) {
      const user = readSecret(c.basicAuth.username, c.basicAuth.usernameFile, 'basic_auth username');
      const pass = readSecret(c.basicAuth.password, c.basicAuth.passwordFile, 'basic_auth password');
      h.authorization = `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
    } else if (c.authorization !== null) {
      const cred = readSecret(c.authorization.credentials, c.authorization.credentialsFile, 'authorization credentials');
      h.authorization = `${c.authorization.type} ${cred}`;
    }
    if (this.url.username !== '' && h.authorization === undefined) {
      h.authorization = `Basic ${Buffer.from(`${decodeURIComponent(this.url.username)}:${decodeURIComponent(this.url.password)}`).toString('base64')}`;
    }
    return h;
  }

  /**
   * POSTs `body` with `headers` (added to the configured ones). Resolves with any HTTP
   * status; rejects with `RemoteError('http_transport', retryable)` for network errors
   * and timeouts, `body_too_large` when the response exceeds `maxResponseBytes`.
   */
  post(body: Uint8Array, headers: Record<string, string>, maxResponseBytes: number): Promise<HttpResponse> {
    const all = { ...this.configuredHeaders(), ...headers, 'content-length': String(body.length) };
    const mod = this.isHttps ? https : http;
    return new Promise<HttpResponse>((resolve, reject) => {
      let done = false;
      const finish = (err: RemoteError | null, res?: HttpResponse) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        if (err !== null) reject(err);
        else resolve(res!);
      };
      const req = mod.request(
        this.url,
        { method: 'POST', headers: all, agent: this.agent },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (c: Buffer) => {
            size += c.length;
            if (size > maxResponseBytes) {
              req.destroy();
              finish(new RemoteError('body_too_large', `response from ${this.cfg.url} is larger than ${maxResponseBytes} bytes`));
              return;
            }
            chunks.push(c);
          });
          res.on('end', () => finish(null, { status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
          res.on('error', (e) => finish(new RemoteError('http_transport', `reading the response from ${this.cfg.url}: ${e.message}`, { retryable: true })));
        },
      );
      const timer = setTimeout(() => {
        req.destroy();
        finish(new RemoteError('http_transport', `request to ${this.cfg.url} timed out after ${this.cfg.timeoutMs}ms`, { retryable: true }));
      }, this.cfg.timeoutMs);
      req.on('error', (e) => finish(new RemoteError('http_transport', `error sending request to ${this.cfg.url}: ${e.message}`, { retryable: true })));
      req.end(body);
    });
  }

  /** Closes idle sockets. */
  close(): void {
    this.agent.destroy();
  }
}

function tlsVersion(v: string): SecureVersion | undefined {
  switch (v) {
    case 'TLS10':
      return 'TLSv1';
    case 'TLS11':
      return 'TLSv1.1';
    case 'TLS12':
      return 'TLSv1.2';
    case 'TLS13':
      return 'TLSv1.3';
    default:
      return undefined;
  }
}

/** First line of a response body (for error messages), at most 256 characters. */
export function firstLine(body: Buffer): string {
  const s = body.subarray(0, 1024).toString('utf8');
  const nl = s.indexOf('\n');
  return (nl >= 0 ? s.slice(0, nl) : s).slice(0, 256).trim();
}

/** Milliseconds a `Retry-After` header asks for (seconds or an HTTP date); 0 when absent or invalid. */
export function retryAfterMs(h: string | string[] | undefined, now: number): number {
  if (typeof h !== 'string' || h === '') return 0;
  if (/^\d+$/.test(h)) return Number(h) * 1000;
  const d = Date.parse(h);
  return Number.isNaN(d) ? 0 : Math.max(0, d - now);
}
