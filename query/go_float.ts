/**
 * Go's float formatting, for texts that must read exactly as Prometheus writes
 * them: `%g` in annotation messages and `strconv.FormatFloat(v, 'f', -1, 64)`
 * for `count_values` label values.
 */
import { formatFloatE, formatFloatF } from './format_float.js';

/** Go `%g` with the shortest precision: `1.1`, `1e+06`, `1e-05`, `NaN`, `+Inf`, `-Inf`. */
export function formatGoG(v: number): string {
  if (!Number.isFinite(v) || v === 0) return formatFloatF(v);
  // Go switches to %e when the decimal exponent is < -4 or >= 6 for the shortest format ("eprec = 6").
  const exp = Number.parseInt(v.toExponential().split('e')[1] ?? '0', 10);
  return exp < -4 || exp >= 6 ? formatFloatE(v) : formatFloatF(v);
}

/** Go `%.<prec>g`: `prec` significant digits, trailing zeros removed, %e form when exp < -4 or exp >= prec. */
export function formatGoGPrec(v: number, prec: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Number.POSITIVE_INFINITY) return '+Inf';
  if (v === Number.NEGATIVE_INFINITY) return '-Inf';
  if (v === 0) return Object.is(v, -0) ? '-0' : '0';
  const [mant, expStr] = Math.abs(v).toExponential(Math.max(0, prec - 1)).split('e') as [string, string];
  const digits = mant.replace('.', '').replace(/0+$/, '') || '0';
  const exp = Number.parseInt(expStr, 10);
  const sign = v < 0 ? '-' : '';
  if (exp < -4 || exp >= prec) {
    const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    const e = Math.abs(exp);
    return `${sign}${m}e${exp < 0 ? '-' : '+'}${e < 10 ? '0' : ''}${e}`;
  }
  if (exp < 0) return `${sign}0.${'0'.repeat(-exp - 1)}${digits}`;
  if (exp + 1 >= digits.length) return sign + digits + '0'.repeat(exp + 1 - digits.length);
  return `${sign}${digits.slice(0, exp + 1)}.${digits.slice(exp + 1)}`;
}

/** Go `strconv.FormatFloat(v, 'f', -1, 64)`: shortest digits, never an exponent (one implementation: format_float.ts). */
export const formatGoF: (v: number) => string = formatFloatF;
