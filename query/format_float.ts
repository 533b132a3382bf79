/**
 * Go's `strconv.FormatFloat(v, fmt, -1, 64)` (shortest representation that
 * round-trips) for the `'f'` and `'e'` formats, as Prometheus uses them for
 * PromQL printing (`'f'`) and for JSON sample values (`'e'` below 1e-6 and from 1e21).
 */

/** Shortest round-trip decimal digits of |v| and the decimal exponent: |v| = d1.d2d3… × 10^exp. */
function shortest(v: number): { digits: string; exp: number } {
  // toExponential() without an argument yields the shortest round-trip digits.
  const s = Math.abs(v).toExponential();
  const e = s.indexOf('e');
  const mant = s.slice(0, e).replace('.', '');
  return { digits: mant, exp: Number(s.slice(e + 1)) };
}

function special(v: number): string | null {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Number.POSITIVE_INFINITY) return '+Inf';
  if (v === Number.NEGATIVE_INFINITY) return '-Inf';
  return null;
}

/** `strconv.FormatFloat(v, 'f', -1, 64)`: no exponent, shortest digits (`0.0000001`, `1e21` → `1000000000000000000000`). */
export function formatFloatF(v: number): string {
  const sp = special(v);
  if (sp !== null) return sp;
  if (v === 0) return Object.is(v, -0) ? '-0' : '0';
  const sign = v < 0 ? '-' : '';
  const { digits, exp } = shortest(v);
  // digits d1 d2 … dn represent d1.d2…dn × 10^exp
  const pointPos = exp + 1; // number of digits before the decimal point
  if (pointPos <= 0) return `${sign}0.${'0'.repeat(-pointPos)}${digits}`;
  if (pointPos >= digits.length) return sign + digits + '0'.repeat(pointPos - digits.length);
  return `${sign}${digits.slice(0, pointPos)}.${digits.slice(pointPos)}`;
}

/** `strconv.FormatFloat(v, 'e', -1, 64)`: `1e-07`, `1.5e+21` (exponent with at least two digits). */
export function formatFloatE(v: number): string {
  const sp = special(v);
  if (sp !== null) return sp;
  if (v === 0) return Object.is(v, -0) ? '-0e+00' : '0e+00';
  const sign = v < 0 ? '-' : '';
  const { digits, exp } = shortest(v);
  const mant = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
  const es = exp < 0 ? '-' : '+';
  const ea = Math.abs(exp);
  return `${sign}${mant}e${es}${ea < 10 ? '0' : ''}${ea}`;
}

/** A sample value as Prometheus's JSON API writes it (`jsonutil.MarshalFloat`, without the quotes). */
export function formatSampleValue(v: number): string {
  const a = Math.abs(v);
  // JavaScript's Number-to-String writes exactly this range in plain notation with the
  // shortest round-trip digits, which is Go's 'f' format with precision -1 (NaN fails both tests).
  if (a >= 1e-6 && a < 1e21) return String(v);
  if (a !== 0 && (a < 1e-6 || a >= 1e21)) return formatFloatE(v);
  return formatFloatF(v);
}

/** A millisecond timestamp as Prometheus's JSON API writes it (`jsonutil.MarshalTimestamp`): `1.5` → `"1.500"`-style digits. */
export function formatTimestamp(ms: number): string {
  let t = Math.trunc(ms);
  let out = '';
  if (t < 0) {
    out = '-';
    t = -t;
  }
  out += Math.floor(t / 1000);
  const frac = t % 1000;
  if (frac !== 0) out += '.' + String(frac).padStart(3, '0');
  return out;
}
