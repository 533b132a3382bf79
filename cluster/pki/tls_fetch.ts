/**
 * A `fetch` over node:http/https that trusts a given CA (and may present a
 * client certificate), for the agent's `ApiClient` (`fetchImpl`): Node's global
 * fetch cannot be given a CA without the undici package. Covers what ApiClient
 * uses: method, headers, a string body, an abort signal, and a streamed response
 * body (watches).
 *
 * `insecure: true` skips verification of the server certificate: used only to
 * fetch the CA during bootstrap, whose hash the caller then checks (cluster/pki/agent_join.ts).
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { Readable } from 'node:stream';

export interface TlsFetchOptions {
  /** PEM of the CA(s) to trust for https:// URLs; '' = the system's. */
  ca?: string;
  /** Client certificate and key (PEM). */
  cert?: string;
  key?: string;
  /** Do not verify the server certificate (bootstrap discovery only). Default false. */
  insecure?: boolean;
}

function headerRecord(h: RequestInit['headers']): Record<string, string> {
  const out: Record<string, string> = {};
  if (h === undefined) return out;
  new Headers(h).forEach((v, k) => {
    out[k] = v;
  });
  return out;
}

/** A fetch bound to one keep-alive https agent with `o`'s trust settings. */
export function tlsFetch(o: TlsFetchOptions = {}): typeof fetch {
  const agent = new HttpsAgent({
    keepAlive: true,
    ...(o.ca ? { ca: o.ca } : {}),
    ...(o.cert ? { cert: o.cert } : {}),
    ...(o.key ? { key: o.key } : {}),
    rejectUnauthorized: o.insecure !== true,
  });
  const f = (input: string | URL | Request, init: RequestInit = {}): Promise<Response> =>
    new Promise<Response>((resolve, reject) => {
      const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
      const isHttps = url.protocol === 'https:';
      const method = (init.method ?? 'GET').toUpperCase();
      const headers = headerRecord(init.headers);
      const body = init.body === undefined || init.body === null ? undefined : String(init.body);
      if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body));
      const signal = init.signal ?? undefined;
      if (signal?.aborted) {
        reject(signal.reason ?? new DOMException('aborted', 'AbortError'));
        return;
      }
      const onResponse = (res: IncomingMessage) => {
        const status = res.statusCode ?? 0;
        const h = new Headers();
        for (const [k, v] of Object.entries(res.headers)) {
          if (Array.isArray(v)) for (const x of v) h.append(k, x);
          else if (v !== undefined) h.set(k, v);
        }
        const noBody = method === 'HEAD' || status === 204 || status === 304;
        if (noBody) res.resume();
        resolve(new Response(noBody ? null : (Readable.toWeb(res) as ReadableStream<Uint8Array>), { status, statusText: res.statusMessage ?? '', headers: h }));
      };
      const req = isHttps
        ? httpsRequest(url, { method, headers, agent, ...(signal ? { signal } : {}) }, onResponse)
        : httpRequest(url, { method, headers, ...(signal ? { signal } : {}) }, onResponse);
      req.on('error', (e) => reject(new TypeError(`fetch failed: ${e.message}`, { cause: e })));
      req.end(body);
    });
  return f as typeof fetch;
}
