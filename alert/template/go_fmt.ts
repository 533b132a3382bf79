/**
 * Go's `fmt` formatting of numbers as templates need it: `%.4g` (humanize and
 * friends), `%v` of a float64, and a `printf` covering the verbs rule templates
 * use (`%s %v %d %f %e %g %q %x %X %t %%` with flags `-+ 0#`, width and precision).
 *
 * Digits come from the exact binary value (BigInt), rounded half to even, so
 * ties such as 1.0625 → `%.4g` = `1.062` read exactly as Go prints them.
 */

/** Decimal digits of |v| (no leading/trailing zeros) and the decimal point position: value = 0.d1d2… × 10^dp. */
interface Decimal {
  digits: string;
  dp: number;
}

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);

/** The exact decimal expansion of a finite, non-zero |v|. */
function exactDecimal(v: number): Decimal {
  f64[0] = Math.abs(v);
  const hi = u32[1]!;
  const lo = u32[0]!;
  const bexp = (hi >>> 20) & 0x7ff;
  let mant = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  let e2: number;
  if (bexp === 0) e2 = -1074;
  else {
    mant |= 1n << 52n;
    e2 = bexp - 1075;
  }
  let s: string;
  let dp: number;
  if (e2 >= 0) {
    s = (mant << BigInt(e2)).toString();
    dp = s.length;
  } else {
    // mant / 2^k = mant * 5^k / 10^k
    s = (mant * 5n ** BigInt(-e2)).toString();
    dp = s.length + e2;
  }
  return trim({ digits: s, dp });
}

function trim(d: Decimal): Decimal {
  let i = 0;
  while (i < d.digits.length - 1 && d.digits[i] === '0') i++;
  let digits = d.digits.slice(i);
  const dp = d.dp - i;
  let j = digits.length;
  while (j > 0 && digits[j - 1] === '0') j--;
  digits = digits.slice(0, j);
  return { digits, dp: digits.length === 0 ? 0 : dp };
}

/** Rounds to `n` significant digits (half to even on the exact value). n >= 0. */
function roundSig(d: Decimal, n: number): Decimal {
  if (d.digits.length <= n) return d;
  if (n < 0) return { digits: '', dp: 0 };
  const next = d.digits.charCodeAt(n) - 48;
  const rest = d.digits.slice(n + 1);
  const keep = d.digits.slice(0, n);
  let up: boolean;
  if (next > 5) up = true;
  else if (next < 5) up = false;
  else if (/[1-9]/.test(rest)) up = true;
  else up = n > 0 && (keep.charCodeAt(n - 1) - 48) % 2 === 1;
  if (!up) return trim({ digits: keep.length === 0 ? '0' : keep, dp: keep.length === 0 ? 0 : d.dp });
  // Increment keep.
  const arr = keep.split('').map((c) => c.charCodeAt(0) - 48);
  let i = arr.length - 1;
  while (i >= 0 && arr[i] === 9) {
    arr[i] = 0;
    i--;
  }
  if (i < 0) return { digits: '1', dp: d.dp + 1 };
  arr[i] = arr[i]! + 1;
  return trim({ digits: arr.join(''), dp: d.dp });
}

/** Rounds to `n` digits after the decimal point. */
function roundFrac(d: Decimal, n: number): Decimal {
  return roundSig(d, d.dp + n);
}

/** Shortest round-trip digits (as Go's shortest formatting). */
function shortestDecimal(v: number): Decimal {
  const [mant, exp] = Math.abs(v).toExponential().split('e') as [string, string];
  return trim({ digits: mant.replace('.', ''), dp: Number.parseInt(exp, 10) + 1 });
}

function fmtE(d: Decimal, prec: number, upper: boolean): string {
  const first = d.digits[0] ?? '0';
  let out = first;
  if (prec > 0) out += `.${(d.digits.slice(1) + '0'.repeat(prec)).slice(0, prec)}`;
  const exp = d.digits.length === 0 ? 0 : d.dp - 1;
  const ae = Math.abs(exp);
  return `${out}${upper ? 'E' : 'e'}${exp < 0 ? '-' : '+'}${ae < 10 ? '0' : ''}${ae}`;
}

function fmtF(d: Decimal, prec: number): string {
  let intPart: string;
  if (d.dp <= 0 || d.digits.length === 0) intPart = '0';
  else intPart = (d.digits + '0'.repeat(Math.max(0, d.dp - d.digits.length))).slice(0, d.dp);
  if (prec <= 0) return intPart;
  let frac = '';
  for (let i = 0; i < prec; i++) {
    const k = d.dp + i;
    frac += k >= 0 && k < d.digits.length ? d.digits[k] : '0';
  }
  return `${intPart}.${frac}`;
}

function special(v: number, plus: boolean): string | null {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Number.POSITIVE_INFINITY) return plus ? '+Inf' : '+Inf';
  if (v === Number.NEGATIVE_INFINITY) return '-Inf';
  return null;
}

/**
 * Go `strconv.FormatFloat(v, fmt, prec, 64)` for fmt in e/E/f/g/G; prec -1 = shortest.
 * `shortestEprec` is the exponent threshold of %g with shortest precision (Go: 6).
 */
export function formatFloat(v: number, fmt: 'e' | 'E' | 'f' | 'g' | 'G', prec: number, shortestEprec = 6): string {
  const sp = special(v, false);
  if (sp !== null) return sp;
  const neg = v < 0 || Object.is(v, -0);
  const sign = neg ? '-' : '';
  const zero = v === 0;
  const shortest = prec < 0;
  let d: Decimal;
  if (zero) d = { digits: '', dp: 0 };
  else if (shortest) d = shortestDecimal(v);
  else if (fmt === 'f') d = roundFrac(exactDecimal(v), prec);
  else if (fmt === 'e' || fmt === 'E') d = roundSig(exactDecimal(v), prec + 1);
  else d = roundSig(exactDecimal(v), prec === 0 ? 1 : prec);
  if (fmt === 'e' || fmt === 'E') return sign + fmtE(d, shortest ? Math.max(d.digits.length - 1, 0) : prec, fmt === 'E');
  if (fmt === 'f') return sign + fmtF(d, shortest ? Math.max(d.digits.length - d.dp, 0) : prec);
  // %g
  let p = shortest ? d.digits.length : prec === 0 ? 1 : prec;
  const nd = d.digits.length;
  let eprec = p;
  if (eprec > nd && nd >= d.dp) eprec = nd;
  if (shortest) eprec = shortestEprec;
  const exp = d.dp - 1;
  if (exp < -4 || exp >= eprec) {
    if (p > nd) p = nd;
    return sign + fmtE(d, Math.max(p - 1, 0), fmt === 'G');
  }
  if (p > d.dp) p = nd;
  return sign + fmtF(d, Math.max(p - d.dp, 0));
}

/** Go `%v` of a float64 (same as shortest `%g`): `1e+06`, `0.0001`, `1e-05`. */
export function formatFloatV(v: number): string {
  return formatFloat(v, 'g', -1);
}

/** Go `fmt.Sprintf("%.4g", v)`. */
export function sprintf4g(v: number): string {
  return formatFloat(v, 'g', 4);
}
