/**
 * Request parameters of the query API, parsed and validated like Prometheus's
 * `parseTime`, `parseDuration` and `parseLimitParam` (`web/api/v1/api.go`).
 * Go's `r.FormValue` semantics: a form-encoded body wins over the URL query.
 */
import { goRound, parseDuration as parsePromDuration } from './literals.js';

/** Request parameters: body (form) values first, then URL query values. */
export class Params {
  private readonly body: URLSearchParams | null;
  private readonly query: URLSearchParams;

  constructor(query: URLSearchParams, body: URLSearchParams | null) {
    this.query = query;
    this.body = body;
  }

  /** First value of `name` (body first), or '' like Go's `FormValue`. */
  get(name: string): string {
    const b = this.body?.get(name);
    if (b !== null && b !== undefined) return b;
    return this.query.get(name) ?? '';
  }

  /** All values of `name`, body values first (Go's `r.Form[name]`). */
  getAll(name: string): string[] {
    return [...(this.body?.getAll(name) ?? []), ...this.query.getAll(name)];
  }
}

// Prometheus's MinTime/MaxTime for open-ended ranges, in ms.
export const MIN_TIME_MS = -9223309901257974;
export const MAX_TIME_MS = 9223309901257974;
const MIN_TIME_TEXT = '-292273086-05-16T16:47:06Z';
const MAX_TIME_TEXT = '292277025-08-18T07:12:54.999999999Z';

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

function goParseFloat(s: string): number | null {
  const t = s.trim();
  if (t !== s || s === '') return null;
  if (/^[+-]?(inf|infinity|nan)$/i.test(s)) return null; // not a usable time or duration
  if (!/^[+-]?(\d[\d_]*\.?[\d_]*|\.\d[\d_]*)([eE][+-]?\d+)?$/.test(s) && !/^[+-]?0[xX]/.test(s)) return null;
  const v = Number(s.replaceAll('_', ''));
  return Number.isNaN(v) ? null : v;
}

/** Prometheus's `parseTime`: unix seconds (decimals rounded to ms) or RFC3339; returns ms. */
export function parseTime(s: string): number {
  const f = goParseFloat(s);
  if (f !== null) {
    const whole = Math.trunc(f);
    const frac = goRound((f - whole) * 1000);
    return whole * 1000 + frac;
  }
  const m = RFC3339.exec(s);
  if (m !== null) {
    const ms = Date.parse(s.toUpperCase());
    if (!Number.isNaN(ms)) {
      // Date.parse keeps only milliseconds; Go truncates the nanoseconds too.
      return ms;
    }
  }
  if (s === MIN_TIME_TEXT) return MIN_TIME_MS;
  if (s === MAX_TIME_TEXT) return MAX_TIME_MS;
  throw new Error(`cannot parse ${JSON.stringify(s)} to a valid timestamp`);
}

/** `parseTimeParam`: empty means `dflt`; errors say which parameter. */
export function parseTimeParam(p: Params, name: string, dflt: number): number {
  const v = p.get(name);
  if (v === '') return dflt;
  try {
    return parseTime(v);
  } catch (e) {
    throw new Error(`invalid time value for '${name}': ${(e as Error).message}`);
  }
}

/** Prometheus's API `parseDuration`: float seconds or a Prometheus duration; returns ms (may be fractional). */
export function parseDurationParam(s: string): number {
  const f = goParseFloat(s);
  if (f !== null) {
    const ns = f * 1e9;
    if (ns > 2 ** 63 || ns < -(2 ** 63)) throw new Error(`cannot parse ${JSON.stringify(s)} to a valid duration. It overflows int64`);
    return Math.trunc(ns) / 1e6;
  }
  try {
    return parsePromDuration(s);
  } catch {
    throw new Error(`cannot parse ${JSON.stringify(s)} to a valid duration`);
  }
}

/** `parseLimitParam`: '' → 0 (no limit); must be a non-negative integer. */
export function parseLimit(s: string): number {
  if (s === '') return 0;
  if (!/^[+-]?\d+$/.test(s)) throw new Error(`strconv.Atoi: parsing ${JSON.stringify(s)}: invalid syntax`);
  const n = Number(s);
  if (n < 0) throw new Error('limit must be non-negative');
  return n;
}
