/**
 * Reading the cluster REST API (Kubernetes-shaped lists, not the Prometheus
 * envelope) from the browser, plus the small helpers the cluster pages share:
 * resource quantities (`500m`, `1Gi`), object ages, condition lookup, and a
 * poller that reloads a page's data every few seconds until the page is left.
 * Paths are relative (`api/v1/nodes`) and resolve against `<base href>`.
 */
import { ApiFailure, apiUrl } from '../api.js';
import { arr, type Json, obj, str } from '../decode.js';
import { formatDuration } from '../format.js';

/** How often the cluster pages reload (milliseconds). */
export const POLL_MS = 2000;

/** GETs a Kubernetes list at `path` and returns its `items`; failures become `ApiFailure` (Status message kept). */
export async function kubeList(path: string, signal: AbortSignal): Promise<Json[]> {
  let res: Response;
  try {
    res = await fetch(apiUrl(path), { headers: { accept: 'application/json' }, signal });
  } catch (e) {
    if (e instanceof DOMException && e.name === 'AbortError') throw e;
    throw new ApiFailure('network', 0, path, `cannot reach the server: ${e instanceof Error ? e.message : String(e)}`);
  }
  let body: unknown;
  try {
    body = await res.json();
  } catch {
    throw new ApiFailure('http', res.status, path, `${path}: HTTP ${res.status} ${res.statusText} (not a JSON answer)`);
  }
  const o = obj(body);
  if (!res.ok) throw new ApiFailure(str(o.reason) || 'http', res.status, path, str(o.message) || `${path}: HTTP ${res.status}`);
  return arr(o.items).map(obj);
}

const SUFFIX: Readonly<Record<string, number>> = {
  n: 1e-9, u: 1e-6, m: 1e-3, '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18,
  Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3, Ti: 1024 ** 4, Pi: 1024 ** 5, Ei: 1024 ** 6,
};

/** A resource quantity (`250m`, `1.5Gi`, `2e3`) as a number; NaN when it is not one. */
export function parseQuantity(q: string): number {
  const m = /^([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)([a-zA-Z]{0,2})$/.exec(q.trim());
  if (m === null) return Number.NaN;
  const mult = SUFFIX[m[2] ?? ''];
  return mult === undefined ? Number.NaN : Number(m[1]) * mult;
}

/** CPU cores as `1.5` or `250m`. */
export function formatCpu(cores: number): string {
  if (!Number.isFinite(cores)) return '—';
  if (cores > 0 && cores < 0.0005) return '<1m';
  return cores < 1 && cores !== 0 ? `${Math.round(cores * 1000)}m` : String(Math.round(cores * 1000) / 1000);
}

/** Bytes as `512Mi`, `1.5Gi`. */
export function formatBytes(b: number): string {
  if (!Number.isFinite(b)) return '—';
  const units = ['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi'];
  let v = b;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${Math.round(v * 10) / 10}${units[i] ?? ''}`;
}

/** The age of an object from its `creationTimestamp` (`3m20s`), '' when unknown. */
export function age(creationTimestamp: string, nowMs: number = Date.now()): string {
  const t = Date.parse(creationTimestamp);
  if (Number.isNaN(t)) return '';
  const ms = Math.max(0, nowMs - t);
  return ms < 1000 ? '0s' : formatDuration(Math.floor(ms / 1000) * 1000);
}

/** The condition of `type` in `status.conditions`, or null. */
export function condition(status: Json, type: string): Json | null {
  for (const c of arr(status.conditions)) if (str(obj(c).type) === type) return obj(c);
  return null;
}

/** `namespace/name` of an object. */
export function objectKey(o: Json): string {
  const md = obj(o.metadata);
  return `${str(md.namespace)}/${str(md.name)}`;
}

/**
 * Calls `tick(signal)` now and then every `intervalMs` after each call settles,
 * until the returned stop function runs (which aborts a call in flight). Errors
 * are the tick's business; a rejected tick does not stop the loop.
 */
export function poll(tick: (signal: AbortSignal) => Promise<void>, intervalMs: number = POLL_MS): () => void {
  const ac = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const run = () => {
    tick(ac.signal)
      .catch(() => {})
      .finally(() => {
        if (!ac.signal.aborted) timer = setTimeout(run, intervalMs);
      });
  };
  run();
  return () => {
    ac.abort();
    if (timer !== undefined) clearTimeout(timer);
  };
}
