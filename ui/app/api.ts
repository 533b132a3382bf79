/**
 * Calls to the Prometheus-compatible HTTP API. Paths are relative
 * (`api/v1/query`) and resolve against `<base href>`, so the UI works under a
 * route prefix. Every failure becomes an `ApiFailure` carrying the API's
 * `errorType` and the HTTP status; a 404 from an endpoint the server does not
 * have is `notAvailable`.
 */

/** A failed API call. */
export class ApiFailure extends Error {
  /** The envelope's errorType (`bad_data`, `execution`, …), `network`, or `http` for non-envelope answers. */
  readonly errorType: string;
  /** HTTP status, 0 when the request did not complete. */
  readonly status: number;
  /** The request path (without query). */
  readonly path: string;
  constructor(errorType: string, status: number, path: string, message: string) {
    super(message);
    this.name = 'ApiFailure';
    this.errorType = errorType;
    this.status = status;
    this.path = path;
  }
  /** Whether the server has no such endpoint (the part providing it is not enabled or not built yet). */
  get notAvailable(): boolean {
    return this.status === 404;
  }
}

/** A successful answer. */
export interface ApiResult<T> {
  readonly data: T;
  readonly warnings: readonly string[];
  readonly infos: readonly string[];
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

/** The absolute URL of an API path with parameters. */
export function apiUrl(path: string, params?: URLSearchParams): string {
  const u = new URL(path, document.baseURI);
  if (params !== undefined) u.search = params.toString();
  return u.toString();
}

/**
 * GETs `path` (relative, e.g. `api/v1/targets`) and returns the envelope's data,
 * unchecked: the caller validates its shape (see ui/app/api_types.ts).
 */
export async function apiGet(path: string, params?: URLSearchParams, signal?: AbortSignal): Promise<ApiResult<unknown>> {
  let res: Response;
  try {
    res = await fetch(apiUrl(path, params), { headers: { accept: 'application/json' }, signal: signal ?? null });
  } catch (e) {
    if (e instanceof DOMException && e.name === 'AbortError') throw e;
    throw new ApiFailure('network', 0, path, `cannot reach the server: ${e instanceof Error ? e.message : String(e)}`);
  }
  let body: unknown;
  try {
    body = await res.json();
  } catch {
    throw new ApiFailure('http', res.status, path, `${path}: HTTP ${res.status} ${res.statusText} (not a JSON API answer)`);
  }
  if (!isRecord(body)) throw new ApiFailure('http', res.status, path, `${path}: HTTP ${res.status}: unexpected answer`);
  if (body.status !== 'success') {
    const type = typeof body.errorType === 'string' ? body.errorType : 'http';
    const msg = typeof body.error === 'string' ? body.error : `HTTP ${res.status}`;
    throw new ApiFailure(type, res.status, path, msg);
  }
  return { data: body.data, warnings: strings(body.warnings), infos: strings(body.infos) };
}
