/**
 * Go `fmt.Sprintf`, `fmt.Sprint` and `fmt.Sprintln` over template values.
 *
 * Verbs: `%v %s %d %f %F %e %E %g %G %q %x %X %t %c %%`, flags `+ - # 0 space`,
 * width and precision (also `*`). A verb that does not fit its argument prints
 * Go's `%!d(float64=1.5)`; a missing argument `%!d(MISSING)`; extra arguments
 * `%!(EXTRA float64=1)`.
 */
import { formatFloat } from './go_fmt.js';
import { GoDuration, printValue, type TValue, typeName } from './value.js';

interface Spec {
  plus: boolean;
  minus: boolean;
  sharp: boolean;
  zero: boolean;
  space: boolean;
  width: number;
  prec: number;
}

function pad(s: string, sp: Spec, numeric: boolean): string {
  if (sp.width <= s.length) return s;
  const n = sp.width - s.length;
  if (sp.minus) return s + ' '.repeat(n);
  if (sp.zero && numeric) {
    const m = /^[+-]/.exec(s);
    if (m !== null) return m[0] + '0'.repeat(n) + s.slice(1);
    return '0'.repeat(n) + s;
  }
  return ' '.repeat(n) + s;
}

function bad(verb: string, v: TValue): string {
  return `%!${verb}(${typeName(v)}=${printValue(v)})`;
}

function signed(s: string, sp: Spec): string {
  if (s.startsWith('-')) return s;
  if (sp.plus) return `+${s}`;
  if (sp.space) return ` ${s}`;
  return s;
}

/** Go `strconv.Quote` (close enough for printable text: JSON escaping, which Go shares for common cases). */
export function goQuote(s: string): string {
  return JSON.stringify(s).replace(/[\u007f-\u009f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function fmtOne(verb: string, v: TValue, sp: Spec): string {
  switch (verb) {
    case 'v':
      if (typeof v === 'number') return pad(signed(formatFloat(v, 'g', sp.prec >= 0 ? sp.prec : -1), sp), sp, true);
      if (typeof v === 'bigint') return pad(signed(v.toString(), sp), sp, true);
      return pad(printValue(v), sp, false);
    case 's':
      if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') return bad(verb, v);
      return pad(sp.prec >= 0 ? printValue(v).slice(0, sp.prec) : printValue(v), sp, false);
    case 'q':
      if (typeof v === 'string') return pad(goQuote(v), sp, false);
      if (typeof v === 'bigint') return pad(`'${String.fromCodePoint(Number(v))}'`, sp, false);
      return bad(verb, v);
    case 'd':
      if (typeof v === 'bigint') return pad(signed(v.toString(), sp), sp, true);
      if (v instanceof GoDuration) return pad(signed(v.nanos.toString(), sp), sp, true);
      return bad(verb, v);
    case 'c':
      if (typeof v === 'bigint') return pad(String.fromCodePoint(Number(v)), sp, false);
      return bad(verb, v);
    case 't':
      if (typeof v === 'boolean') return pad(String(v), sp, false);
      return bad(verb, v);
    case 'x':
    case 'X': {
      let s: string;
      if (typeof v === 'bigint') s = (v < 0n ? '-' : '') + (v < 0n ? -v : v).toString(16);
      else if (typeof v === 'string') s = Buffer.from(v, 'utf8').toString('hex');
      else return bad(verb, v);
      if (sp.sharp && typeof v === 'bigint') s = s.startsWith('-') ? `-0x${s.slice(1)}` : `0x${s}`;
      return pad(verb === 'X' ? s.toUpperCase() : s, sp, typeof v === 'bigint');
    }
    case 'e':
    case 'E':
    case 'f':
    case 'F':
    case 'g':
    case 'G': {
      if (typeof v !== 'number') return bad(verb, v);
      const f = verb === 'F' ? 'f' : (verb as 'e' | 'E' | 'f' | 'g' | 'G');
      const prec = sp.prec >= 0 ? sp.prec : f === 'g' || f === 'G' ? -1 : 6;
      let s = formatFloat(v, f, prec);
      if (Number.isFinite(v) || Number.isNaN(v)) s = signed(s, sp);
      else if (v > 0 && !sp.plus) s = '+Inf';
      // Go never zero-pads Inf/NaN.
      return pad(s, Number.isFinite(v) ? sp : { ...sp, zero: false }, true);
    }
    default:
      return `%!${verb}(${typeName(v)}=${printValue(v)})`;
  }
}

/** Go `fmt.Sprintf(format, args...)`. */
export function sprintf(format: string, args: readonly TValue[]): string {
  let out = '';
  let argi = 0;
  let i = 0;
  while (i < format.length) {
    const c = format[i]!;
    if (c !== '%') {
      out += c;
      i++;
      continue;
    }
    i++;
    const sp: Spec = { plus: false, minus: false, sharp: false, zero: false, space: false, width: -1, prec: -1 };
    for (; i < format.length; i++) {
      const f = format[i];
      if (f === '+') sp.plus = true;
      else if (f === '-') sp.minus = true;
      else if (f === '#') sp.sharp = true;
      else if (f === '0') sp.zero = !sp.minus;
      else if (f === ' ') sp.space = true;
      else break;
    }
    const num = (): number => {
      if (format[i] === '*') {
        i++;
        const a = args[argi++];
        return typeof a === 'bigint' ? Number(a) : -1;
      }
      const m = /^[0-9]+/.exec(format.slice(i));
      if (m === null) return -1;
      i += m[0].length;
      return Number(m[0]);
    };
    sp.width = num();
    if (format[i] === '.') {
      i++;
      sp.prec = num();
      if (sp.prec < 0) sp.prec = 0;
    }
    const verb = format[i];
    if (verb === undefined) {
      out += '%!(NOVERB)';
      break;
    }
    i++;
    if (verb === '%') {
      out += '%';
      continue;
    }
    if (argi >= args.length) {
      out += `%!${verb}(MISSING)`;
      continue;
    }
    out += fmtOne(verb, args[argi++]!, sp);
  }
  if (argi < args.length) {
    out += `%!(EXTRA ${args
      .slice(argi)
      .map((a) => `${typeName(a)}=${printValue(a)}`)
      .join(', ')})`;
  }
  return out;
}

/** Go `fmt.Sprint`: spaces between operands when neither side is a string. */
export function sprint(args: readonly TValue[]): string {
  let out = '';
  for (let k = 0; k < args.length; k++) {
    const a = args[k]!;
    if (k > 0 && typeof a !== 'string' && typeof args[k - 1] !== 'string') out += ' ';
    out += printValue(a);
  }
  return out;
}

/** Go `fmt.Sprintln`: spaces between all operands and a newline. */
export function sprintln(args: readonly TValue[]): string {
  return `${args.map(printValue).join(' ')}\n`;
}
