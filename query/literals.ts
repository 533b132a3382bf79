/**
 * PromQL literal syntax: scanning and converting numbers and durations exactly as
 * Prometheus's lexer (`scanNumber`, `acceptRemainingDuration`) and parser
 * (`strconv.ParseInt(s, 0, 64)` then `ParseFloat`, `model.ParseDuration`) do.
 */

/** Go's `math.Round`: halves round away from zero (JS's `Math.round` rounds them up). */
export function goRound(x: number): number {
  return x < 0 ? -Math.round(-x) : Math.round(x);
}

/** Whether the UTF-16 code unit is `[A-Za-z0-9_]` (Prometheus's isAlphaNumeric). */
export function isAlphaNumeric(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
}

function isDec(c: number): boolean {
  return c >= 48 && c <= 57;
}

function isHex(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70);
}

const DOT = 46;
const UNDERSCORE = 95;
const LOWER_E = 101;
const UPPER_E = 69;

function isExp(c: number): boolean {
  return c === LOWER_E || c === UPPER_E;
}

/** Prometheus's exponent/underscore "anti-pattern" `._eE`. */
function isAnti(c: number): boolean {
  return c === DOT || c === UNDERSCORE || c === LOWER_E || c === UPPER_E;
}

/**
 * Result of `scanNumber`: `ok` when `text[start, end)` is a complete number token;
 * when not ok, `end` is where scanning stopped (the duration scanner continues there).
 */
export interface NumberScan {
  ok: boolean;
  end: number;
}

const scanResult: NumberScan = { ok: false, end: 0 };

function scanFail(pos: number): NumberScan {
  scanResult.ok = false;
  scanResult.end = pos;
  return scanResult;
}

/**
 * Scans a number (decimal, hex with `0x`, `.5`, exponent, `_` between digits) at `start`,
 * step for step like Prometheus's `scanNumber` (so `1..2`, `1_e2`, `0x1e` fail).
 * Returns a shared result object (valid until the next call). Hot: no allocation.
 */
export function scanNumber(text: string, start: number): NumberScan {
  const n = text.length;
  let pos = start;
  // -1 past the end, so no predicate matches there.
  const at = (p: number): number => (p < n ? text.charCodeAt(p) : -1);
  let hex = false;
  if (at(pos) === 48 && (at(pos + 1) === 120 || at(pos + 1) === 88)) {
    pos += 2;
    if (at(pos) === UNDERSCORE) pos++;
    hex = true;
  }
  const digit = hex ? isHex : isDec;
  if (at(pos) === DOT) pos++;
  if (digit(at(pos))) pos++;
  let dot = false;
  let exp = false;
  for (;;) {
    const c = at(pos);
    if (!(digit(c) || c === DOT || c === UNDERSCORE || isExp(c))) break;
    if (c === DOT && dot) return scanFail(pos + 1);
    if (isExp(c) && exp) return scanFail(pos + 1);
    if (c === DOT) {
      pos++;
      dot = true;
      const d = at(pos);
      if (d === UNDERSCORE || d === DOT) return scanFail(pos + 1);
      if (hex) return scanFail(pos);
      continue;
    }
    if (isExp(c)) {
      pos++;
      exp = true;
      const sgn = at(pos);
      if (sgn === 43 || sgn === 45) pos++;
      if (isAnti(at(pos))) return scanFail(pos + 1);
      if (pos >= n) return scanFail(pos);
      continue;
    }
    if (c === UNDERSCORE) {
      pos++;
      if (isAnti(at(pos))) return scanFail(pos + 1);
      if (pos >= n) return scanFail(pos);
      continue;
    }
    while (digit(at(pos))) pos++;
  }
  scanResult.end = pos;
  scanResult.ok = pos !== start && (pos >= n || !isAlphaNumeric(text.charCodeAt(pos)));
  return scanResult;
}

/** Result of `scanDurationRest`: `end` is where scanning stopped, also on failure (for error messages). */
export interface DurationScan {
  ok: boolean;
  end: number;
}

function isUnit(c: number, withY: boolean): boolean {
  // s m h d w (y)
  return c === 115 || c === 109 || c === 104 || c === 100 || c === 119 || (withY && c === 121);
}

/**
 * After a failed `scanNumber` stopping at `pos`, scans the unit part of a duration
 * (`m`, `ms`, `h30m`, …) like Prometheus's `acceptRemainingDuration`.
 */
export function scanDurationRest(text: string, pos: number): DurationScan {
  const n = text.length;
  const at = (p: number): number => (p < n ? text.charCodeAt(p) : -1);
  if (!isUnit(at(pos), true)) return { ok: false, end: pos };
  pos++;
  if (at(pos) === 115) pos++;
  while (isDec(at(pos))) {
    while (isDec(at(pos))) pos++;
    if (!isUnit(at(pos), false)) return { ok: false, end: pos };
    pos++;
    if (at(pos) === 115) pos++;
  }
  // Prometheus reads one more rune to check it; on failure that rune is part of the message.
  if (pos < n && isAlphaNumeric(text.charCodeAt(pos))) return { ok: false, end: pos + 1 };
  return { ok: true, end: pos };
}

const MAX_INT64 = 2n ** 63n - 1n;

/**
 * The value of a number token, like Go's `strconv.ParseInt(s, 0, 64)` falling back to
 * `ParseFloat` (so `010` is octal 8, `0x1F` is 31, `Inf`/`NaN` in any case). Returns
 * null when Go would fail to parse it.
 */
export function parseNumber(s: string): number | null {
  const lower = s.toLowerCase();
  if (lower === 'inf' || lower === '+inf' || lower === 'infinity') return Number.POSITIVE_INFINITY;
  if (lower === '-inf' || lower === '-infinity') return Number.NEGATIVE_INFINITY;
  if (lower === 'nan') return Number.NaN;
  const clean = s.replaceAll('_', '');
  let int: bigint | null = null;
  if (/^0[xX][0-9a-fA-F]+$/.test(clean)) int = BigInt(clean);
  else if (/^0[0-7]+$/.test(clean)) int = BigInt('0o' + clean.slice(1));
  else if (/^[0-9]+$/.test(clean)) int = BigInt(clean);
  if (int !== null && int <= MAX_INT64) return Number(int);
  if (/^0[xX]/.test(clean)) return null; // Go's ParseFloat wants a 'p' exponent for hex floats.
  const v = Number(clean);
  if (Number.isNaN(v) || clean === '' || !Number.isFinite(v)) return null;
  return v;
}

const UNIT_MS: Record<string, number> = {
  y: 365 * 24 * 3600_000,
  w: 7 * 24 * 3600_000,
  d: 24 * 3600_000,
  h: 3600_000,
  m: 60_000,
  s: 1000,
  ms: 1,
};
const UNIT_ORDER = ['y', 'w', 'd', 'h', 'm', 's', 'ms'];
/** Largest duration in ms that fits Go's int64 nanoseconds. */
const MAX_MS = 9223372036854;

/** Thrown by `parseDuration`; the message is Prometheus's. */
export class DurationSyntaxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DurationSyntaxError';
  }
}

/**
 * Parses a Prometheus duration (`1h30m`, `5m`, `0`; units y w d h m s ms in descending
 * order, each at most once) into milliseconds, with `model.ParseDuration`'s errors.
 */
export function parseDuration(s: string): number {
  if (s === '0') return 0;
  if (s === '') throw new DurationSyntaxError('empty duration string');
  let pos = 0;
  let last = -1;
  let total = 0;
  const n = s.length;
  while (pos < n) {
    let i = pos;
    let v = 0;
    while (i < n && isDec(s.charCodeAt(i))) v = v * 10 + (s.charCodeAt(i++) - 48);
    if (i === pos) throw new DurationSyntaxError(`not a valid duration string: ${JSON.stringify(s)}`);
    let j = i;
    while (j < n && !isDec(s.charCodeAt(j))) j++;
    if (j === i) throw new DurationSyntaxError(`not a valid duration string: ${JSON.stringify(s)}`);
    const idx = j - i === 1 ? UNIT_ORDER.indexOf(s[i]!) : s.slice(i, j) === 'ms' ? 6 : -1;
    if (idx < 0) throw new DurationSyntaxError(`unknown unit ${JSON.stringify(s.slice(i, j))} in duration ${JSON.stringify(s)}`);
    if (idx <= last) throw new DurationSyntaxError(`not a valid duration string: ${JSON.stringify(s)}`);
    last = idx;
    total += v * UNIT_MS[UNIT_ORDER[idx]!]!;
    if (total > MAX_MS) throw new DurationSyntaxError('duration out of range');
    pos = j;
  }
  return total;
}

/**
 * Formats milliseconds as Prometheus's `model.Duration.String()`: `0s`, `1h30m`, `1d`,
 * `1w`, `1y`, `1s500ms` (largest units first, zero parts omitted).
 */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  let rest = Math.trunc(ms);
  let out = '';
  if (rest < 0) {
    out = '-';
    rest = -rest;
  }
  for (const u of UNIT_ORDER) {
    const size = UNIT_MS[u]!;
    // Prometheus prints weeks and years only when they divide the whole remaining value.
    if ((u === 'y' || u === 'w') && rest % size !== 0) continue;
    const q = Math.floor(rest / size);
    if (q > 0) {
      out += q + u;
      rest -= q * size;
    }
  }
  return out;
}
