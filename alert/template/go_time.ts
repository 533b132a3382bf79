/**
 * The methods templates call on `time.Time` and `time.Duration` values
 * (`{{ (now | toTime).Format "2006-01-02" }}`, `{{ (1800 | toDuration).String }}`),
 * including Go's reference-time layouts for `Format`. Times are always UTC.
 */
import { FuncError, GoDuration, GoTime, type TValue, typeName } from './value.js';

const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

/** Layout tokens, longest first where prefixes overlap. */
const TOKENS = [
  'January',
  'Monday',
  'Jan',
  'Mon',
  'MST',
  '2006',
  'Z07:00',
  'Z0700',
  '-07:00',
  '-0700',
  '-07',
  '002',
  '01',
  '02',
  '_2',
  '03',
  '04',
  '05',
  '06',
  '15',
  'PM',
  'pm',
  '1',
  '2',
  '3',
  '4',
  '5',
];

function pad(n: number, w: number): string {
  return String(n).padStart(w, '0');
}

/** Go `Time.Format(layout)` for a UTC time. */
export function formatGoTime(t: GoTime, layout: string): string {
  let sec = t.unixNanos / 1_000_000_000n;
  let ns = t.unixNanos % 1_000_000_000n;
  if (ns < 0n) {
    ns += 1_000_000_000n;
    sec -= 1n;
  }
  const d = new Date(Number(sec) * 1000);
  const Y = d.getUTCFullYear();
  const M = d.getUTCMonth();
  const D = d.getUTCDate();
  const h = d.getUTCHours();
  const m = d.getUTCMinutes();
  const s = d.getUTCSeconds();
  const yday = Math.floor((Date.UTC(Y, M, D) - Date.UTC(Y, 0, 1)) / 86_400_000) + 1;
  let out = '';
  let i = 0;
  outer: while (i < layout.length) {
    // Fractional seconds: .000 / ,000 (fixed) or .999 (trailing zeros trimmed), after a seconds field.
    const frac = /^[.,](0+|9+)(?![0-9])/.exec(layout.slice(i));
    if (frac !== null && /05$|5$/.test(layout.slice(0, i))) {
      const digits = frac[1]!;
      const full = ns.toString().padStart(9, '0').slice(0, digits.length);
      if (digits[0] === '0') out += layout[i] + full;
      else {
        const trimmed = full.replace(/0+$/, '');
        if (trimmed !== '') out += layout[i] + trimmed;
      }
      i += frac[0].length;
      continue;
    }
    for (const tok of TOKENS) {
      if (!layout.startsWith(tok, i)) continue;
      switch (tok) {
        case 'January':
          out += MONTHS[M];
          break;
        case 'Jan':
          out += MONTHS[M]!.slice(0, 3);
          break;
        case 'Monday':
          out += DAYS[d.getUTCDay()];
          break;
        case 'Mon':
          out += DAYS[d.getUTCDay()]!.slice(0, 3);
          break;
        case 'MST':
          out += 'UTC';
          break;
        case '2006':
          out += pad(Y, 4);
          break;
        case '06':
          out += pad(Y % 100, 2);
          break;
        case 'Z07:00':
        case 'Z0700':
          out += 'Z';
          break;
        case '-07:00':
          out += '+00:00';
          break;
        case '-0700':
          out += '+0000';
          break;
        case '-07':
          out += '+00';
          break;
        case '002':
          out += pad(yday, 3);
          break;
        case '01':
          out += pad(M + 1, 2);
          break;
        case '1':
          out += String(M + 1);
          break;
        case '02':
          out += pad(D, 2);
          break;
        case '_2':
          out += String(D).padStart(2, ' ');
          break;
        case '2':
          out += String(D);
          break;
        case '15':
          out += pad(h, 2);
          break;
        case '03':
          out += pad(h % 12 === 0 ? 12 : h % 12, 2);
          break;
        case '3':
          out += String(h % 12 === 0 ? 12 : h % 12);
          break;
        case '04':
          out += pad(m, 2);
          break;
        case '4':
          out += String(m);
          break;
        case '05':
          out += pad(s, 2);
          break;
        case '5':
          out += String(s);
          break;
        case 'PM':
          out += h >= 12 ? 'PM' : 'AM';
          break;
        case 'pm':
          out += h >= 12 ? 'pm' : 'am';
          break;
      }
      i += tok.length;
      continue outer;
    }
    out += layout[i];
    i++;
  }
  return out;
}

/** Whether `recv` has a method `name` (so the executor calls it instead of reading a field). */
export function hasMethod(recv: TValue, name: string): boolean {
  if (recv instanceof GoTime) return ['Format', 'Unix', 'UnixMilli', 'UnixNano', 'Add', 'UTC', 'String', 'Year', 'Hour', 'Minute', 'Second', 'Day'].includes(name);
  if (recv instanceof GoDuration) return ['String', 'Seconds', 'Minutes', 'Hours', 'Milliseconds', 'Nanoseconds'].includes(name);
  return false;
}

/** Calls method `name` of `recv` with `args`. Throws FuncError on wrong arguments. */
export function callMethod(recv: GoTime | GoDuration, name: string, args: readonly TValue[]): TValue {
  const want = (n: number): void => {
    if (args.length !== n) throw new FuncError(`wrong number of args for ${name}: want ${n} got ${args.length}`);
  };
  if (recv instanceof GoDuration) {
    want(0);
    const ns = recv.nanos;
    switch (name) {
      case 'String':
        return recv.toString();
      case 'Seconds':
        return Number(ns) / 1e9;
      case 'Minutes':
        return Number(ns) / 6e10;
      case 'Hours':
        return Number(ns) / 3.6e12;
      case 'Milliseconds':
        return ns / 1_000_000n;
      default:
        return ns;
    }
  }
  const ns = recv.unixNanos;
  const floorDiv = (a: bigint, b: bigint): bigint => (a >= 0n ? a / b : -((-a + b - 1n) / b));
  const date = new Date(Number(floorDiv(ns, 1_000_000n)));
  switch (name) {
    case 'Format': {
      want(1);
      const l = args[0];
      if (typeof l !== 'string') throw new FuncError(`wrong type for value; expected string; got ${typeName(l ?? null)}`);
      return formatGoTime(recv, l);
    }
    case 'Add': {
      want(1);
      const d = args[0];
      if (!(d instanceof GoDuration)) throw new FuncError(`wrong type for value; expected time.Duration; got ${typeName(d ?? null)}`);
      return new GoTime(ns + d.nanos);
    }
    case 'Unix':
      want(0);
      return floorDiv(ns, 1_000_000_000n);
    case 'UnixMilli':
      want(0);
      return floorDiv(ns, 1_000_000n);
    case 'UnixNano':
      want(0);
      return ns;
    case 'UTC':
      want(0);
      return recv;
    case 'Year':
      return BigInt(date.getUTCFullYear());
    case 'Day':
      return BigInt(date.getUTCDate());
    case 'Hour':
      return BigInt(date.getUTCHours());
    case 'Minute':
      return BigInt(date.getUTCMinutes());
    case 'Second':
      return BigInt(date.getUTCSeconds());
    default:
      want(0);
      return recv.toString();
  }
}
