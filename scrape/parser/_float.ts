/**
 * Float parsing and formatting with Go's `strconv` semantics, straight from bytes.
 *
 * Prometheus parses sample values with `strconv.ParseFloat` after rejecting `p`, `P` and
 * `_` (so no hex floats or digit separators). That accepts `NaN`, `Inf`, `+Inf`, `-Inf`,
 * `infinity` in any letter case, decimal and exponent forms (`1`, `-.5`, `5.`, `1E+06`),
 * and rejects values whose magnitude overflows float64 (`1e400`) — unlike JavaScript's
 * `Number()`, which also takes whitespace, `0x1F`, `0b1`, `Infinity` and `''`.
 */

const TWO_53 = 9007199254740992;
/** Exact powers of ten (all representable in float64 up to 1e22). */
const POW10 = new Float64Array(23);
for (let k = 0, p = 1; k < 23; k++, p *= 10) POW10[k] = p;

const NAN = Number.NaN;

/**
 * Parses `b[start, end)` as a Go float. Returns the value, or `undefined` when the bytes are
 * not a float Prometheus accepts (syntax error or overflow). Every NaN spelling returns the
 * canonical NaN.
 */
export function parseGoFloat(b: Uint8Array, start: number, end: number): number | undefined {
  let i = start;
  if (i >= end) return undefined;
  let neg = false;
  let c = b[i]!;
  if (c === 0x2b || c === 0x2d) {
    neg = c === 0x2d;
    i++;
    if (i >= end) return undefined;
    c = b[i]!;
  }
  // Letters can only be inf/infinity/nan (in any case).
  if (c >= 0x41) return special(b, start, i, end, neg);

  let mant = 0;
  let sig = 0; // significant digits accumulated into mant
  let exp10 = 0; // decimal exponent adjustment
  let digits = 0;
  let exact = true;
  while (i < end && (c = b[i]!) >= 0x30 && c <= 0x39) {
    if (mant !== 0 || c !== 0x30) {
      if (sig < 15) {
        mant = mant * 10 + (c - 0x30);
        sig++;
      } else {
        exact = false;
        exp10++;
      }
    }
    digits++;
    i++;
  }
  if (i < end && b[i] === 0x2e) {
    i++;
    while (i < end && (c = b[i]!) >= 0x30 && c <= 0x39) {
      if (mant !== 0 || c !== 0x30) {
        if (sig < 15) {
          mant = mant * 10 + (c - 0x30);
          sig++;
          exp10--;
        } else exact = false;
      } else exp10--;
      digits++;
      i++;
    }
  }
  if (digits === 0) return undefined;
  if (i < end && (b[i] === 0x65 || b[i] === 0x45)) {
    i++;
    let eneg = false;
    if (i < end && (b[i] === 0x2b || b[i] === 0x2d)) {
      eneg = b[i] === 0x2d;
      i++;
    }
    let e = 0;
    let edigits = 0;
    while (i < end && (c = b[i]!) >= 0x30 && c <= 0x39) {
      if (e < 100000) e = e * 10 + (c - 0x30);
      edigits++;
      i++;
    }
    if (edigits === 0) return undefined;
    exp10 += eneg ? -e : e;
  }
  if (i !== end) return undefined;
  let v: number;
  if (exact && mant < TWO_53 && exp10 >= -22 && exp10 <= 22) {
    // Clinger's fast path: both operands exact, so one IEEE operation rounds correctly.
    v = exp10 >= 0 ? mant * POW10[exp10]! : mant / POW10[-exp10]!;
  } else {
    // The syntax is validated, so Number() parses exactly the same decimal, correctly rounded.
    let s = '';
    for (let k = start; k < end; k++) s += String.fromCharCode(b[k]!);
    v = Math.abs(Number(s));
    if (v === Number.POSITIVE_INFINITY) return undefined; // Go: ErrRange
  }
  return neg ? -v : v;
}

/** inf, infinity (any case, optional sign) and nan (any case, no sign). */
function special(b: Uint8Array, start: number, i: number, end: number, neg: boolean): number | undefined {
  const len = end - i;
  if (len === 3) {
    const a = b[i]! | 0x20;
    const m = b[i + 1]! | 0x20;
    const z = b[i + 2]! | 0x20;
    if (a === 0x69 && m === 0x6e && z === 0x66) return neg ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
    if (a === 0x6e && m === 0x61 && z === 0x6e && i === start) return NAN;
    return undefined;
  }
  if (len === 8) {
    const word = 'infinity';
    for (let k = 0; k < 8; k++) if ((b[i + k]! | 0x20) !== word.charCodeAt(k)) return undefined;
    return neg ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  }
  return undefined;
}

/**
 * Parses `b[start, end)` as a non-negative decimal int64 made only of digits (the text
 * format's timestamp). Returns `undefined` on overflow beyond int64. Values beyond 2^53
 * lose precision, as every JavaScript number does.
 */
export function parseDigitsInt64(b: Uint8Array, start: number, end: number): number | undefined {
  let v = 0;
  let sig = 0;
  for (let i = start; i < end; i++) {
    const d = b[i]! - 0x30;
    if (v !== 0 || d !== 0) sig++;
    v = v * 10 + d;
  }
  if (sig > 19) return undefined;
  if (sig > 15) {
    // Digit-by-digit accumulation rounds repeatedly past 2^53; let Number() round once.
    let s = '';
    for (let i = start; i < end; i++) s += String.fromCharCode(b[i]!);
    v = Number(s);
  }
  if (sig === 19) {
    // Compare against 9223372036854775807 digit by digit.
    const max = '9223372036854775807';
    let k = start;
    while (b[k] === 0x30) k++;
    for (let j = 0; j < 19; j++, k++) {
      const d = b[k]!;
      const m = max.charCodeAt(j);
      if (d < m) break;
      if (d > m) return undefined;
    }
  }
  return v;
}

/**
 * Formats like Go's `strconv.FormatFloat(f, 'g', -1, 64)` with `.0` appended when the result has
 * neither `.` nor `e` — Prometheus's `FormatOpenMetricsFloat`, used to normalise `le` and
 * `quantile` label values.
 */
export function formatOpenMetricsFloat(f: number): string {
  if (Number.isNaN(f)) return 'NaN';
  if (f === Number.POSITIVE_INFINITY) return '+Inf';
  if (f === Number.NEGATIVE_INFINITY) return '-Inf';
  if (f === 0) return '0.0'; // Prometheus hard-codes 0 (and -0, which compares equal) as "0.0".
  // toExponential() without an argument gives the shortest digits that round-trip, like Go's -1 precision.
  const e = f.toExponential();
  const ePos = e.indexOf('e');
  let mant = e.slice(0, ePos);
  const exp = Number(e.slice(ePos + 1));
  const neg = mant.startsWith('-');
  if (neg) mant = mant.slice(1);
  const digits = mant.replace('.', '');
  let out: string;
  // Go's %g with shortest precision switches to %e when exp < -4 || exp >= 6 (strconv/ftoa.go: eprec = 6).
  if (exp < -4 || exp >= 6) {
    const es = Math.abs(exp) < 10 ? `0${Math.abs(exp)}` : `${Math.abs(exp)}`;
    out = `${digits[0]}${digits.length > 1 ? `.${digits.slice(1)}` : ''}e${exp < 0 ? '-' : '+'}${es}`;
  } else if (exp < 0) {
    out = `0.${'0'.repeat(-exp - 1)}${digits}`;
  } else if (digits.length <= exp + 1) {
    out = digits + '0'.repeat(exp + 1 - digits.length);
  } else {
    out = `${digits.slice(0, exp + 1)}.${digits.slice(exp + 1)}`;
  }
  if (out.indexOf('.') < 0 && out.indexOf('e') < 0) out += '.0';
  return neg ? `-${out}` : out;
}
