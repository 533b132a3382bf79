/**
 * PromQL literal syntax: scanning and converting numbers and durations exactly as
 * Prometheus's lexer (`scanNumber`, `acceptRemainingDuration`) and parser
 * (`strconv.ParseInt(s, 0, 64)` then `ParseFloat`, `model.ParseDuration`) do.
 */

const DIGITS = '0123456789';
const HEX_DIGITS = '0123456789abcdefABCDEF';

/** Whether the UTF-16 code unit is `[A-Za-z0-9_]` (Prometheus's isAlphaNumeric). */
export function isAlphaNumeric(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
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

/**
 * Scans a number (decimal, hex with `0x`, `.5`, exponent, `_` between digits) at `start`.
 * Returns a shared result object (valid until the next call).
 */
export function scanNumber(text: string, start: number): NumberScan {
  let pos = start;
  const n = text.length;
  const at = (p: number): string => (p < n ? text[p]! : '');
  const accept = (valid: string): boolean => {
    const c = at(pos);
    if (c !== '' && valid.includes(c)) {
      pos++;
      return true;
    }
    return false;
  };
  const is = (valid: string): boolean => {
    const c = at(pos);
    return c !== '' && valid.includes(c);
  };
  let digits = DIGITS;
  if (at(pos) === '0' && (at(pos + 1) === 'x' || at(pos + 1) === 'X')) {
    pos += 2;
    accept('_');
    digits = HEX_DIGITS;
  }
  const fail = (): NumberScan => {
    scanResult.ok = false;
    scanResult.end = pos;
    return scanResult;
  };
  accept('.');
  accept(digits);
  let dot = false;
  let exp = false;
  while (is(digits + '._eE')) {
    if (is('.') && dot) {
      accept('.');
      return fail();
    }
    if (is('eE') && exp && digits === DIGITS) {
      accept('eE');
      return fail();
    }
    if (accept('.')) {
      dot = true;
      if (accept('_.')) return fail();
      if (digits !== DIGITS) return fail();
      continue;
    }
    if (digits === DIGITS && accept('eE')) {
      exp = true;
      accept('+-');
      if (accept('._eE') || pos >= n) return fail();
      continue;
    }
    if (accept('_')) {
      if (accept('._eE') || pos >= n) return fail();
      continue;
    }
    while (is(digits)) pos++;
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

/**
 * After a failed `scanNumber` stopping at `pos`, scans the unit part of a duration
 * (`m`, `ms`, `h30m`, …) like Prometheus's `acceptRemainingDuration`.
 */
export function scanDurationRest(text: string, pos: number): DurationScan {
  const n = text.length;
  const accept = (valid: string): boolean => {
    if (pos < n && valid.includes(text[pos]!)) {
      pos++;
      return true;
    }
    return false;
  };
  if (!accept('smhdwy')) return { ok: false, end: pos };
  accept('s');
  while (accept(DIGITS)) {
    while (accept(DIGITS)) {
      // consume
    }
    if (!accept('smhdw')) return { ok: false, end: pos };
    accept('s');
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
  const invalid = (): DurationSyntaxError => new DurationSyntaxError(`not a valid duration string: ${JSON.stringify(s)}`);
  let pos = 0;
  let last = -1;
  let total = 0;
  const isDigit = (i: number): boolean => i < s.length && s.charCodeAt(i) >= 48 && s.charCodeAt(i) <= 57;
  while (pos < s.length) {
    if (!isDigit(pos)) throw invalid();
    let i = pos;
    while (isDigit(i)) i++;
    const v = Number(s.slice(pos, i));
    let j = i;
    while (j < s.length && !isDigit(j)) j++;
    if (j === i) throw invalid();
    const unit = s.slice(i, j);
    const size = UNIT_MS[unit];
    if (size === undefined) throw new DurationSyntaxError(`unknown unit ${JSON.stringify(unit)} in duration ${JSON.stringify(s)}`);
    const idx = UNIT_ORDER.indexOf(unit);
    if (idx <= last) throw invalid();
    last = idx;
    total += v * size;
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
