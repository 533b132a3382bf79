/**
 * Typed errors of the remote storage protocols (snappy framing, protobuf messages,
 * HTTP exchanges). Callers branch on `code`, never on message text. Messages say what
 * was expected, what was received and where (byte offset, field).
 */

export type RemoteErrorCode =
  /** The snappy block's declared uncompressed length is above the caller's limit. */
  | 'snappy_too_large'
  /** The snappy block is truncated or otherwise not a valid block-format stream. */
  | 'snappy_corrupt'
  /** The protobuf message is malformed (bad wire type, truncated field, bad length). */
  | 'protobuf_malformed'
  /** A body or response larger than allowed. */
  | 'body_too_large'
  /** The remote endpoint answered with a non-2xx status. */
  | 'http_status'
  /** The request could not be sent or the response not read (network, timeout). */
  | 'http_transport'
  /** The request was well-formed protobuf but asked for something unsupported. */
  | 'unsupported';

/** A protocol-level failure; `retryable` tells senders whether backing off and retrying may help. */
export class RemoteError extends Error {
  readonly code: RemoteErrorCode;
  /** For `http_status`: the HTTP status; 0 otherwise. */
  readonly status: number;
  /** Whether a sender should retry (5xx, 429 when enabled, transport failures). */
  readonly retryable: boolean;
  /** Milliseconds a `Retry-After` header asked for; 0 when absent. */
  readonly retryAfterMs: number;

  constructor(code: RemoteErrorCode, message: string, opts: { status?: number; retryable?: boolean; retryAfterMs?: number } = {}) {
    super(message);
    this.name = 'RemoteError';
    this.code = code;
    this.status = opts.status ?? 0;
    this.retryable = opts.retryable ?? false;
    this.retryAfterMs = opts.retryAfterMs ?? 0;
  }
}
