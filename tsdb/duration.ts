/**
 * Prometheus durations: `1h30m`, `5m`, `15s`, `1d`, `2w`, `1y`, `100ms`, `0`.
 *
 * The syntax is Prometheus's `model.ParseDuration`: one or more `<digits><unit>` terms
 * with units `y w d h m s ms`, biggest first, each unit at most once; a year is 365
 * days, a week 7 days, a day 24 hours. The bare string `0` is allowed; other unit-less
 * numbers, signs, fractions and spaces are not. Values are whole milliseconds.
 */

/** A malformed duration string; `message` says what was received and why it is wrong. */
export class DurationError extends Error {
  readonly code = 'bad_duration';
  readonly input: string;
  /** What is wrong, without repeating the input (for messages that show it already). */
  readonly reason: string;
  constructor(input: string, reason: string) {
    super(`${reason}: ${JSON.stringify(input)}`);
    this.name = 'DurationError';
    this.input = input;
    this.reason = reason;
  }
}

/** Milliseconds per unit, with the unit's rank (units must appear in increasing rank). */
const UNITS: ReadonlyMap<string, { rank: number; ms: number }> = new Map([
  ['y', { rank: 1, ms: 365 * 24 * 3600 * 1000 }],
  ['w', { rank: 2, ms: 7 * 24 * 3600 * 1000 }],
  ['d', { rank: 3, ms: 24 * 3600 * 1000 }],
  ['h', { rank: 4, ms: 3600 * 1000 }],
  ['m', { rank: 5, ms: 60 * 1000 }],
  ['s', { rank: 6, ms: 1000 }],
  ['ms', { rank: 7, ms: 1 }],
]);

/**
 * The largest duration Prometheus accepts: Go's time.Duration is int64 nanoseconds,
 * so about 292 years. Anything larger is "out of range" there, and here.
 */
export const MAX_DURATION_MS = Math.floor((2 ** 63 - 1) / 1e6);

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/**
 * Parses a Prometheus duration into milliseconds (a non-negative integer).
 * Throws `DurationError` naming the input when it is not a valid duration.
 */
export function parseDuration(s: string): number {
  if (s === '0') return 0;
  if (s === '') throw new DurationError(s, 'empty duration string');
  let total = 0;
  let lastRank = 0;
  let i = 0;
  while (i < s.length) {
    if (!isDigit(s.charCodeAt(i))) throw new DurationError(s, 'not a valid duration string');
    const numStart = i;
    while (i < s.length && isDigit(s.charCodeAt(i))) i++;
    const digits = s.slice(numStart, i);
    const unitStart = i;
    while (i < s.length && !isDigit(s.charCodeAt(i))) i++;
    const unitName = s.slice(unitStart, i);
    if (unitName === '') throw new DurationError(s, 'not a valid duration string');
    const unit = UNITS.get(unitName);
    if (unit === undefined) {
      throw new DurationError(s, `unknown unit ${JSON.stringify(unitName)} in duration`);
    }
    // Units go from biggest to smallest, each once, so that "1m1d" is not read as 1 month + 1 day.
    if (unit.rank <= lastRank) throw new DurationError(s, 'not a valid duration string');
    lastRank = unit.rank;
    // Digits beyond 16 would lose precision and are far out of range anyway.
    const v = digits.length > 16 ? Number.POSITIVE_INFINITY : Number(digits);
    total += v * unit.ms;
    if (total > MAX_DURATION_MS) throw new DurationError(s, 'duration out of range');
  }
  return total;
}

/**
 * Formats milliseconds the way Prometheus prints a `model.Duration`: `0s` for zero;
 * years and weeks only when they divide the value exactly (so `90d`, not `12w6d`);
 * then days, hours, minutes, seconds, milliseconds, skipping zero terms. Negative
 * values get a leading `-`. Fractions of a millisecond are truncated.
 */
export function formatDuration(ms: number): string {
  let rest = Math.trunc(ms);
  if (rest === 0) return '0s';
  let out = '';
  if (rest < 0) {
    out = '-';
    rest = -rest;
  }
  const term = (unit: string, mult: number, exact: boolean): void => {
    if (exact && rest % mult !== 0) return;
    const v = Math.floor(rest / mult);
    if (v > 0) {
      out += `${v}${unit}`;
      rest -= v * mult;
    }
  };
  term('y', 365 * 24 * 3600 * 1000, true);
  term('w', 7 * 24 * 3600 * 1000, true);
  term('d', 24 * 3600 * 1000, false);
  term('h', 3600 * 1000, false);
  term('m', 60 * 1000, false);
  term('s', 1000, false);
  term('ms', 1, false);
  return out;
}
