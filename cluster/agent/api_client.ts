/**
 * A small client for the cluster REST API (cluster/api/http.ts) as the node
 * agent uses it: get, list, create, update, status updates, delete, and watch
 * as an async iterator over the newline-delimited JSON event stream.
 *
 * `watch` is level-friendly: it lists first (yielding a synthetic SYNC event
 * with the full current set), then watches from the list's resourceVersion,
 * resumes from the last seen resourceVersion when the stream ends or breaks,
 * and relists when the server answers 410 Gone / Expired. Callers reconcile on
 * SYNC and on each ADDED/MODIFIED/DELETED.
 *
 * Authentication is a hook: `headers()` is called for every request (a bearer
 * token for the security issue), and `fetchImpl` may be replaced (e.g. by a
 * fetch bound to an undici Agent with client TLS certificates).
 */
import type { ApiObject, ObjectList } from '../api/objects.js';

/** A failed API call: the HTTP status, the Kubernetes Status reason and message. */
export class ApiClientError extends Error {
  readonly code = 'api_client';
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiClientError';
  }
}

/** Where a resource lives: e.g. `{ prefix: '/api/v1', resource: 'pods', namespace: 'default' }`. */
export interface ResourceRef {
  /** `/api/v1` for the core group, `/apis/<group>/<version>` otherwise. */
  readonly prefix: string;
  readonly resource: string;
  /** '' for cluster-scoped kinds or all namespaces. */
  readonly namespace?: string;
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'SYNC';

/** One watch event; SYNC carries the whole current list in `items` (after a (re)list). */
export interface WatchEvent<T extends ApiObject> {
  readonly type: WatchEventType;
  readonly object: T | null;
  readonly items: readonly T[];
}

export interface ApiClientOptions {
  /** Extra headers per request (e.g. `{ authorization: 'Bearer …' }`). Default none. */
  headers?: () => Record<string, string>;
  /** Replaces the global fetch (TLS client certificates, tests). */
  fetchImpl?: typeof fetch;
  /** Timeout of a non-watch request. Default 10 000 ms. */
  timeoutMs?: number;
  /** Wait before re-watching after a broken stream. Default 500 ms. */
  retryDelayMs?: number;
}

export interface WatchOptions {
  labelSelector?: string;
  fieldSelector?: string;
  /** Server-side end of one watch request (the iterator re-watches). Default 300 s. */
  timeoutSeconds?: number;
  /** Stops the iterator. */
  signal?: AbortSignal;
}

/** Path of a collection or object. */
export function resourcePath(ref: ResourceRef, name = '', sub = ''): string {
  const ns = ref.namespace !== undefined && ref.namespace !== '' ? `/namespaces/${encodeURIComponent(ref.namespace)}` : '';
  const n = name !== '' ? `/${encodeURIComponent(name)}` : '';
  return `${ref.prefix}${ns}/${ref.resource}${n}${sub !== '' ? `/${sub}` : ''}`;
}

/** Common references. */
export const PODS = (namespace = ''): ResourceRef => ({ prefix: '/api/v1', resource: 'pods', namespace });
export const NODES: ResourceRef = { prefix: '/api/v1', resource: 'nodes' };
export const SERVICES = (namespace = ''): ResourceRef => ({ prefix: '/api/v1', resource: 'services', namespace });
export const ENDPOINTS = (namespace = ''): ResourceRef => ({ prefix: '/api/v1', resource: 'endpoints', namespace });
export const CONFIGMAPS = (namespace: string): ResourceRef => ({ prefix: '/api/v1', resource: 'configmaps', namespace });
export const SECRETS = (namespace: string): ResourceRef => ({ prefix: '/api/v1', resource: 'secrets', namespace });
export const LEASES = (namespace: string): ResourceRef => ({ prefix: '/apis/coordination.k8s.io/v1', resource: 'leases', namespace });

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(t);
      resolve();
    }, { once: true });
  });

export class ApiClient {
  private readonly base: string;
  private readonly headers: () => Record<string, string>;
  private readonly fetchImpl: typeof fetch;
  private readonly timeoutMs: number;
  private readonly retryDelayMs: number;

  /** `server` is the API base URL, e.g. `http://127.0.0.1:9090`. */
  constructor(server: string, opts: ApiClientOptions = {}) {
    this.base = server.replace(/\/+$/, '');
    this.headers = opts.headers ?? (() => ({}));
    this.fetchImpl = opts.fetchImpl ?? fetch;
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    this.retryDelayMs = opts.retryDelayMs ?? 500;
  }

  private async request<T>(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json', ...this.headers() };
    if (body !== undefined) headers['content-type'] = contentType;
    let res: Response;
    try {
      res = await this.fetchImpl(this.base + path, {
        method,
        headers,
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (e) {
      throw new ApiClientError(0, 'ConnectionError', `${method} ${this.base}${path}: ${e instanceof Error ? e.message : String(e)}`);
    }
    const text = await res.text();
    if (!res.ok) {
      let reason = 'Unknown';
      let message = text.slice(0, 500);
      try {
        const s = JSON.parse(text) as { reason?: unknown; message?: unknown };
        if (typeof s.reason === 'string') reason = s.reason;
        if (typeof s.message === 'string') message = s.message;
      } catch {
        // not a Status object: keep the raw text
      }
      throw new ApiClientError(res.status, reason, `${method} ${path}: ${res.status} ${reason}: ${message}`);
    }
    return JSON.parse(text) as T;
  }

  get<T extends ApiObject>(ref: ResourceRef, name: string): Promise<T> {
    return this.request<T>('GET', resourcePath(ref, name));
  }

  /** Like `get`, but null on 404. */
  async tryGet<T extends ApiObject>(ref: ResourceRef, name: string): Promise<T | null> {
    try {
      return await this.get<T>(ref, name);
    } catch (e) {
      if (e instanceof ApiClientError && e.status === 404) return null;
      throw e;
    }
  }

  list<T extends ApiObject>(ref: ResourceRef, query: { labelSelector?: string; fieldSelector?: string } = {}): Promise<ObjectList<T>> {
    const q = new URLSearchParams();
    if (query.labelSelector) q.set('labelSelector', query.labelSelector);
    if (query.fieldSelector) q.set('fieldSelector', query.fieldSelector);
    const qs = q.toString();
    return this.request<ObjectList<T>>('GET', resourcePath(ref) + (qs ? `?${qs}` : ''));
  }

  create<T extends ApiObject>(ref: ResourceRef, obj: T): Promise<T> {
    return this.request<T>('POST', resourcePath(ref), obj);
  }

  update<T extends ApiObject>(ref: ResourceRef, obj: T): Promise<T> {
    return this.request<T>('PUT', resourcePath(ref, obj.metadata.name), obj);
  }

  /** PUT to the `/status` subresource (a stale resourceVersion is a 409). */
  updateStatus<T extends ApiObject>(ref: ResourceRef, obj: T): Promise<T> {
    return this.request<T>('PUT', resourcePath(ref, obj.metadata.name, 'status'), obj);
  }

  /** JSON merge patch of the `/status` subresource (no resourceVersion: last writer wins). */
  patchStatus<T extends ApiObject>(ref: ResourceRef, name: string, patch: unknown): Promise<T> {
    return this.request<T>('PATCH', resourcePath(ref, name, 'status'), patch, 'application/merge-patch+json');
  }

  /** JSON merge patch of the object. */
  patch<T extends ApiObject>(ref: ResourceRef, name: string, patch: unknown): Promise<T> {
    return this.request<T>('PATCH', resourcePath(ref, name), patch, 'application/merge-patch+json');
  }

  delete(ref: ResourceRef, name: string, gracePeriodSeconds?: number): Promise<unknown> {
    const q = gracePeriodSeconds !== undefined ? `?gracePeriodSeconds=${gracePeriodSeconds}` : '';
    return this.request<unknown>('DELETE', resourcePath(ref, name) + q);
  }

  /**
   * Lists, then watches `ref` until `opts.signal` aborts. Yields SYNC after every (re)list,
   * then ADDED/MODIFIED/DELETED. Connection failures are retried after `retryDelayMs`
   * (resuming from the last resourceVersion); 410 Gone relists. Never throws for
   * server or network errors; it keeps trying.
   */
  async *watch<T extends ApiObject>(ref: ResourceRef, opts: WatchOptions = {}): AsyncGenerator<WatchEvent<T>> {
    const signal = opts.signal;
    let rv = '';
    while (!signal?.aborted) {
      if (rv === '') {
        try {
          const l = await this.list<T>(ref, opts);
          rv = l.metadata.resourceVersion;
          yield { type: 'SYNC', object: null, items: l.items };
        } catch {
          await sleep(this.retryDelayMs, signal);
          continue;
        }
      }
      const q = new URLSearchParams({ watch: 'true', resourceVersion: rv, timeoutSeconds: String(opts.timeoutSeconds ?? 300) });
      if (opts.labelSelector) q.set('labelSelector', opts.labelSelector);
      if (opts.fieldSelector) q.set('fieldSelector', opts.fieldSelector);
      let res: Response;
      try {
        res = await this.fetchImpl(`${this.base}${resourcePath(ref)}?${q}`, {
          headers: { accept: 'application/json', ...this.headers() },
          ...(signal !== undefined ? { signal } : {}),
        });
      } catch {
        await sleep(this.retryDelayMs, signal);
        continue;
      }
      if (res.status === 410) {
        rv = '';
        await res.body?.cancel();
        continue;
      }
      if (!res.ok || res.body === null) {
        await res.body?.cancel();
        await sleep(this.retryDelayMs, signal);
        continue;
      }
      let gone = false;
      try {
        for await (const line of ndjsonLines(res.body)) {
          let ev: { type?: unknown; object?: unknown };
          try {
            ev = JSON.parse(line) as { type?: unknown; object?: unknown };
          } catch {
            continue;
          }
          if (ev.type === 'ERROR') {
            const code = (ev.object as { code?: unknown } | undefined)?.code;
            if (code === 410) gone = true;
            break;
          }
          if (ev.type !== 'ADDED' && ev.type !== 'MODIFIED' && ev.type !== 'DELETED') continue;
          const obj = ev.object as T;
          if (obj.metadata.resourceVersion !== undefined) rv = obj.metadata.resourceVersion;
          yield { type: ev.type, object: obj, items: [] };
        }
      } catch {
        // stream broke (server restart, abort): resume below
      }
      if (gone) rv = '';
      else if (!signal?.aborted) await sleep(Math.min(this.retryDelayMs, 100), signal);
    }
  }
}

/** Splits a byte stream into lines (bounded: a line over 4 MiB ends the stream). */
async function* ndjsonLines(body: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const dec = new TextDecoder();
  let buf = '';
  const reader = body.getReader();
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buf += dec.decode(value, { stream: true });
      let nl = buf.indexOf('\n');
      while (nl >= 0) {
        const line = buf.slice(0, nl).trim();
        buf = buf.slice(nl + 1);
        if (line !== '') yield line;
        nl = buf.indexOf('\n');
      }
      if (buf.length > 4 * 1024 * 1024) return;
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
}
