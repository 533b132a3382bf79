/**
 * The HTTP client `vigil ctl` talks to the cluster API with (cluster/api/http.ts):
 * JSON requests, merge patches, and watches as an async iterator over the
 * newline-delimited JSON event stream. Built on node:http/https so a custom CA
 * (`--certificate-authority`) needs no extra dependency.
 *
 * Failures: `ServerError` carries the API's Status (code, reason, message) and
 * prints as kubectl does (`Error from server (NotFound): …`); `ConnectionError`
 * says the server could not be reached.
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { ApiObject, ObjectList } from '../api/objects.js';
import type { Connection } from './ctl_config.js';

/** The API answered with a failure Status. */
export class ServerError extends Error {
  readonly code = 'ctl_server';
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
  ) {
    super(message);
    this.name = 'ServerError';
  }
  /** kubectl's wording: `Error from server (NotFound): deployments.apps "web" not found`. */
  display(): string {
    if (this.status === 401) return 'error: You must be logged in to the server (Unauthorized)';
    return `Error from server (${this.reason || 'Unknown'}): ${this.message}`;
  }
}

/** The server could not be reached. */
export class ConnectionError extends Error {
  readonly code = 'ctl_connection';
  constructor(message: string) {
    super(message);
    this.name = 'ConnectionError';
  }
}

/** One event of a watch stream. */
export interface RawWatchEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'ERROR' | 'BOOKMARK';
  object: ApiObject;
}

const MAX_BODY = 64 * 1024 * 1024;

export class CtlClient {
  /** Own keep-alive agents, destroyed by `close()` so no idle socket outlives the command. */
  private readonly httpAgent = new HttpAgent({ keepAlive: true });
  private readonly httpsAgent = new HttpsAgent({ keepAlive: true });
  constructor(
    readonly conn: Connection,
    private readonly timeoutMs = 30_000,
  ) {}

  /** Closes the client's connections. */
  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }

  private open(method: string, url: URL, body: string | undefined, contentType: string, signal?: AbortSignal, timeout = true): Promise<IncomingMessage> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.conn.token !== '') headers.authorization = `Bearer ${this.conn.token}`;
    if (body !== undefined) {
      headers['content-type'] = contentType;
      headers['content-length'] = String(Buffer.byteLength(body));
    }
    const isHttps = url.protocol === 'https:';
    const opts = {
      method,
      headers,
      agent: isHttps ? this.httpsAgent : this.httpAgent,
      ...(isHttps && this.conn.ca !== '' ? { ca: this.conn.ca } : {}),
      ...(signal ? { signal } : {}),
    };
    return new Promise((resolve, reject) => {
      const req = (isHttps ? httpsRequest : httpRequest)(url, opts, resolve);
      if (timeout) req.setTimeout(this.timeoutMs, () => req.destroy(new ConnectionError(`the request to ${url.host} timed out after ${this.timeoutMs} ms`)));
      req.on('error', (e: NodeJS.ErrnoException) => {
        if (e instanceof ConnectionError || e.name === 'AbortError') reject(e);
        else if (e.code === 'ECONNREFUSED')
          reject(new ConnectionError(`The connection to the server ${url.host} was refused - did you specify the right host or port?`));
        else reject(new ConnectionError(`cannot reach the server ${url.host}: ${e.message}`));
      });
      req.end(body);
    });
  }

  private static async readBody(res: IncomingMessage): Promise<string> {
    const chunks: Buffer[] = [];
    let n = 0;
    for await (const c of res) {
      const b = c as Buffer;
      n += b.length;
      if (n > MAX_BODY) throw new ConnectionError(`the response is larger than ${MAX_BODY} bytes`);
      chunks.push(b);
    }
    return Buffer.concat(chunks).toString('utf8');
  }

  private static failure(status: number, text: string): ServerError {
    try {
      const s = JSON.parse(text) as { kind?: unknown; reason?: unknown; message?: unknown };
      if (s.kind === 'Status') return new ServerError(status, typeof s.reason === 'string' ? s.reason : '', typeof s.message === 'string' ? s.message : text);
    } catch {
      // not a Status: report the text
    }
    return new ServerError(status, status === 404 ? 'NotFound' : 'Unknown', `the server responded with ${status}: ${text.slice(0, 200).trim()}`);
  }

  /** A JSON request against the API server; resolves to the decoded answer or throws ServerError/ConnectionError. */
  async request<T = unknown>(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<T> {
    const res = await this.open(method, new URL(path, this.conn.server), body === undefined ? undefined : JSON.stringify(body), contentType);
    const text = await CtlClient.readBody(res);
    const status = res.statusCode ?? 0;
    if (status < 200 || status > 299) throw CtlClient.failure(status, text);
    return (text === '' ? {} : JSON.parse(text)) as T;
  }

  /** Plain text from any URL (agent logs, the query API); throws ServerError on a non-2xx answer with its text. */
  async text(url: string): Promise<{ status: number; body: string }> {
    const res = await this.open('GET', new URL(url, this.conn.server), undefined, '');
    return { status: res.statusCode ?? 0, body: await CtlClient.readBody(res) };
  }

  get<T extends ApiObject>(path: string): Promise<T> {
    return this.request<T>('GET', path);
  }

  list<T extends ApiObject>(path: string, query: Record<string, string> = {}): Promise<ObjectList<T>> {
    const q = new URLSearchParams(query).toString();
    return this.request<ObjectList<T>>('GET', q === '' ? path : `${path}?${q}`);
  }

  /** Merge patch (RFC 7386). */
  patch<T extends ApiObject>(path: string, patch: unknown): Promise<T> {
    return this.request<T>('PATCH', path, patch, 'application/merge-patch+json');
  }

  /**
   * Watches `path` (a collection) from `resourceVersion`; yields events until the
   * server ends the stream, an ERROR event arrives (yielded, then the stream ends)
   * or `signal` aborts.
   */
  async *watch(path: string, query: Record<string, string>, signal?: AbortSignal): AsyncGenerator<RawWatchEvent> {
    const q = new URLSearchParams({ ...query, watch: 'true' }).toString();
    let res: IncomingMessage;
    try {
      res = await this.open('GET', new URL(`${path}?${q}`, this.conn.server), undefined, '', signal, false);
    } catch (e) {
      if (signal?.aborted) return;
      throw e;
    }
    if ((res.statusCode ?? 0) !== 200) throw CtlClient.failure(res.statusCode ?? 0, await CtlClient.readBody(res));
    let buf = '';
    try {
      for await (const chunk of res) {
        buf += (chunk as Buffer).toString('utf8');
        if (buf.length > MAX_BODY) throw new ConnectionError('a watch event is larger than 64 MiB');
        for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
          const line = buf.slice(0, nl).trim();
          buf = buf.slice(nl + 1);
          if (line !== '') yield JSON.parse(line) as RawWatchEvent;
        }
      }
    } catch (e) {
      if (signal?.aborted) return;
      throw e;
    } finally {
      res.destroy();
    }
  }
}
