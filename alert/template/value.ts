/**
 * Values inside the template executor, mirroring the Go types rule templates see:
 * `string`, `float64` (JS number), `int` (bigint), `bool`, nil (`null`), maps
 * (`GoMap`, e.g. `map[string]string` of labels), slices (arrays), structs
 * (`GoStruct`, e.g. a query sample with `.Labels` and `.Value`), `time.Time` and
 * `time.Duration` — and how Go's `fmt.Sprint` prints each of them.
 */
import { formatFloatV } from './go_fmt.js';

export type TValue = string | number | bigint | boolean | null | GoMap | GoStruct | GoTime | GoDuration | TValue[];

/** A Go map with string keys; `zero` is what a missing key yields (`""` for map[string]string). */
export class GoMap {
  constructor(
    readonly entries: Map<string, TValue>,
    readonly zero: TValue,
    readonly typeName: string,
  ) {}
  static ofStrings(rec: Readonly<Record<string, string>>): GoMap {
    return new GoMap(new Map(Object.entries(rec)), '', 'map[string]string');
  }
}

/** A Go struct (or pointer to one, when `pointer`); fields in declaration order. */
export class GoStruct {
  constructor(
    readonly typeName: string,
    readonly fields: Map<string, TValue>,
    readonly pointer: boolean,
  ) {}
}

/** A `time.Time` in UTC, from nanoseconds since the epoch. */
export class GoTime {
  constructor(readonly unixNanos: bigint) {}
  /** Go's `Time.String()` in UTC: `2006-01-02 15:04:05.999999999 +0000 UTC`. */
  toString(): string {
    let sec = this.unixNanos / 1_000_000_000n;
    let ns = this.unixNanos % 1_000_000_000n;
    if (ns < 0n) {
      ns += 1_000_000_000n;
      sec -= 1n;
    }
    const d = new Date(Number(sec) * 1000);
    const p = (n: number, w = 2): string => String(n).padStart(w, '0');
    let frac = '';
    if (ns !== 0n) frac = `.${ns.toString().padStart(9, '0').replace(/0+$/, '')}`;
    return `${p(d.getUTCFullYear(), 4)}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}${frac} +0000 UTC`;
  }
}

/** A `time.Duration` in nanoseconds. */
export class GoDuration {
  constructor(readonly nanos: bigint) {}
  /** Go's `Duration.String()`: `1h2m3.5s`, `1.5ms`, `0s`. */
  toString(): string {
    let n = this.nanos;
    if (n === 0n) return '0s';
    const neg = n < 0n;
    if (neg) n = -n;
    const sign = neg ? '-' : '';
    const frac = (v: bigint, digits: number): string => {
      const s = v.toString().padStart(digits, '0').replace(/0+$/, '');
      return s === '' ? '' : `.${s}`;
    };
    if (n < 1000n) return `${sign}${n}ns`;
    if (n < 1_000_000n) return `${sign}${n / 1000n}${frac(n % 1000n, 3)}µs`;
    if (n < 1_000_000_000n) return `${sign}${n / 1_000_000n}${frac(n % 1_000_000n, 6)}ms`;
    const totalSec = n / 1_000_000_000n;
    const fs = frac(n % 1_000_000_000n, 9);
    const h = totalSec / 3600n;
    const m = (totalSec / 60n) % 60n;
    const s = totalSec % 60n;
    if (h > 0n) return `${sign}${h}h${m}m${s}${fs}s`;
    if (m > 0n) return `${sign}${m}m${s}${fs}s`;
    return `${sign}${s}${fs}s`;
  }
}

/** The Go type name of a value, as fmt prints it in `%!d(float64=1)`. */
export function typeName(v: TValue): string {
  if (v === null) return '<nil>';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'number') return 'float64';
  if (typeof v === 'bigint') return 'int';
  if (typeof v === 'boolean') return 'bool';
  if (v instanceof GoMap) return v.typeName;
  if (v instanceof GoStruct) return v.typeName;
  if (v instanceof GoTime) return 'time.Time';
  if (v instanceof GoDuration) return 'time.Duration';
  return '[]interface {}';
}

/** Go `fmt.Sprint` of one value (`%v`). */
export function printValue(v: TValue): string {
  if (v === null) return '<nil>';
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return formatFloatV(v);
  if (typeof v === 'bigint' || typeof v === 'boolean') return String(v);
  if (v instanceof GoMap) {
    const keys = [...v.entries.keys()].sort();
    return `map[${keys.map((k) => `${k}:${printValue(v.entries.get(k) ?? null)}`).join(' ')}]`;
  }
  if (v instanceof GoStruct) return `${v.pointer ? '&' : ''}{${[...v.fields.values()].map(printValue).join(' ')}}`;
  if (v instanceof GoTime || v instanceof GoDuration) return v.toString();
  return `[${v.map(printValue).join(' ')}]`;
}

/** Go template truthiness: false, 0, nil, and empty strings, maps and slices are false. */
export function truth(v: TValue): boolean {
  if (v === null) return false;
  if (typeof v === 'string') return v.length > 0;
  if (typeof v === 'number') return v !== 0;
  if (typeof v === 'bigint') return v !== 0n;
  if (typeof v === 'boolean') return v;
  if (v instanceof GoMap) return v.entries.size > 0;
  if (Array.isArray(v)) return v.length > 0;
  if (v instanceof GoDuration) return v.nanos !== 0n;
  return true;
}

/** An error raised by a template function; the executor adds `error calling NAME:`. */
export class FuncError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FuncError';
  }
}

/** Checks that `v` is a string argument of `fn` (Go would refuse to call it otherwise). */
export function argString(v: TValue): string {
  if (typeof v !== 'string') throw new FuncError(`wrong type for value; expected string; got ${typeName(v)}`);
  return v;
}
