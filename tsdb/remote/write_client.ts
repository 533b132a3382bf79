/**
 * Sends one compressed WriteRequest to a remote write endpoint and classifies the
 * outcome by the remote write retry contract: 2xx is success; 5xx and network errors
 * are retryable; 429 is retryable only with `retry_on_http_429` (honouring
 * `Retry-After`); every other status is final (the batch is dropped and counted).
 */
import { HttpEndpoint, type EndpointConfig, firstLine, retryAfterMs } from './http_client.js';
import { RemoteError } from './remote_error.js';

/** `User-Agent` of Vigil's remote write and read requests. */
export const REMOTE_USER_AGENT = 'Vigil/0.1 (Prometheus remote write 1.0)';

/** Sends WriteRequests; implemented over HTTP by `WriteClient`, by fakes in unit tests. */
export interface RemoteWriter {
  /** Resolves on 2xx; rejects with a `RemoteError` whose `retryable` says whether to try again. */
  store(compressed: Uint8Array, attempt: number): Promise<void>;
  close(): void;
}

export class WriteClient implements RemoteWriter {
  private readonly endpoint: HttpEndpoint;
  private readonly retryOn429: boolean;

  constructor(cfg: EndpointConfig, retryOnHttp429: boolean) {
    this.endpoint = new HttpEndpoint(cfg);
    this.retryOn429 = retryOnHttp429;
  }

  async store(compressed: Uint8Array, attempt: number): Promise<void> {
    const headers: Record<string, string> = {
      'content-encoding': 'snappy',
      'content-type': 'application/x-protobuf',
      'user-agent': REMOTE_USER_AGENT,
      'x-prometheus-remote-write-version': '0.1.0',
    };
    if (attempt > 0) headers['retry-attempt'] = String(attempt);
    const res = await this.endpoint.post(compressed, headers, 64 * 1024);
    if (res.status >= 200 && res.status < 300) return;
    const msg = `server returned HTTP status ${res.status}: ${firstLine(res.body)}`;
    if (res.status >= 500) throw new RemoteError('http_status', msg, { status: res.status, retryable: true });
    if (res.status === 429 && this.retryOn429) {
      throw new RemoteError('http_status', msg, { status: 429, retryable: true, retryAfterMs: retryAfterMs(res.headers['retry-after'], Date.now()) });
    }
    throw new RemoteError('http_status', msg, { status: res.status, retryable: false });
  }

  close(): void {
    this.endpoint.close();
  }
}
