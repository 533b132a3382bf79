/**
 * Prometheus's template functions (`template/template.go` and
 * `prometheus/common/helpers/templates`): query helpers, string helpers, the
 * humanize family, time helpers and URL helpers, bound to one expansion's
 * context (evaluation time, external URL, query function).
 */
import { RE2JS } from 're2js';
import type { VectorSample } from '../../query/value.js';
import { parseDuration } from '../../tsdb/duration.js';
import type { TemplateFunc } from './exec.js';
import { sprintf4g } from './go_fmt.js';
import { FuncError, GoDuration, GoMap, GoStruct, GoTime, type TValue, argString, typeName } from './value.js';

/** Runs an instant query at `timeMs` (the rule's evaluation time) and returns its vector. */
export type TemplateQueryFn = (expr: string, timeMs: number) => Promise<readonly VectorSample[]>;

/** What one expansion's functions are bound to. */
export interface FunctionContext {
  /** Evaluation time, ms. */
  readonly timeMs: number;
  /** External URL (e.g. `http://prom.example:9090/prefix`). */
  readonly externalUrl: string;
  /** `null` makes `query` fail with "query function not available". */
  readonly queryFn: TemplateQueryFn | null;
}

/** Go `strconv.ParseFloat` acceptance (decimal, hex, inf, nan, underscores not allowed). */
function parseGoFloat(s: string): number {
  const t = s.trim() === s ? s : '';
  if (/^[+-]?(inf|infinity)$/i.test(t)) return t.startsWith('-') ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  if (/^[+-]?nan$/i.test(t)) return Number.NaN;
  if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t)) return Number(t);
  if (/^[+-]?0[xX][0-9a-fA-F]+$/.test(t)) return (t.startsWith('-') ? -1 : 1) * Number.parseInt(t.replace(/^[+-]?0[xX]/, ''), 16);
  throw new FuncError(`strconv.ParseFloat: parsing ${JSON.stringify(s)}: invalid syntax`);
}

/** `ConvertToFloat`: float64, ints, strings (ParseFloat) and durations (seconds). */
export function toFloat(v: TValue | undefined): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'string') return parseGoFloat(v);
  if (v instanceof GoDuration) return Number(v.nanos) / 1e9;
  throw new FuncError(`can't convert ${typeName(v ?? null)} to float`);
}

const SI_UP = ['k', 'M', 'G', 'T', 'P', 'E', 'Z', 'Y'];
const SI_DOWN = ['m', 'u', 'n', 'p', 'f', 'a', 'z', 'y'];
const IEC = ['ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei', 'Zi', 'Yi'];

/** `humanize`: SI prefixes with 4 significant digits (1234567 → `1.235M`). */
export function humanize(v: number): string {
  if (v === 0 || !Number.isFinite(v)) return sprintf4g(v);
  let prefix = '';
  if (Math.abs(v) >= 1) {
    for (const p of SI_UP) {
      if (Math.abs(v) < 1000) break;
      prefix = p;
      v /= 1000;
    }
    return sprintf4g(v) + prefix;
  }
  for (const p of SI_DOWN) {
    if (Math.abs(v) >= 1) break;
    prefix = p;
    v *= 1000;
  }
  return sprintf4g(v) + prefix;
}

/** `humanize1024`: IEC prefixes (`ki`, `Mi`, …). */
export function humanize1024(v: number): string {
  if (Math.abs(v) <= 1 || !Number.isFinite(v)) return sprintf4g(v);
  let prefix = '';
  for (const p of IEC) {
    if (Math.abs(v) < 1024) break;
    prefix = p;
    v /= 1024;
  }
  return sprintf4g(v) + prefix;
}

/** `humanizeDuration` of seconds: `1d 2h 3m 4s`, `1.5s`, `500ms`. */
export function humanizeDuration(v: number): string {
  if (!Number.isFinite(v)) return sprintf4g(v);
  if (v === 0) return `${sprintf4g(v)}s`;
  if (Math.abs(v) >= 1) {
    let sign = '';
    if (v < 0) {
      sign = '-';
      v = -v;
    }
    const d = Math.trunc(v);
    const seconds = d % 60;
    const minutes = Math.trunc(d / 60) % 60;
    const hours = Math.trunc(d / 3600) % 24;
    const days = Math.trunc(d / 86400);
    if (days !== 0) return `${sign}${days}d ${hours}h ${minutes}m ${seconds}s`;
    if (hours !== 0) return `${sign}${hours}h ${minutes}m ${seconds}s`;
    if (minutes !== 0) return `${sign}${minutes}m ${seconds}s`;
    return `${sign}${sprintf4g(v)}s`;
  }
  let prefix = '';
  for (const p of SI_DOWN) {
    if (Math.abs(v) >= 1) break;
    prefix = p;
    v *= 1000;
  }
  return `${sprintf4g(v)}${prefix}s`;
}

function floatToTime(v: number): GoTime | null {
  if (!Number.isFinite(v)) return null;
  const ns = v * 1e9;
  if (ns > 9.223372036854776e18 || ns < -9.223372036854776e18) {
    throw new FuncError(`${v} cannot be represented as a nanoseconds timestamp since it overflows int64`);
  }
  return new GoTime(BigInt(Math.trunc(ns)));
}

/** `humanizeTimestamp` of unix seconds: Go's UTC time string. */
export function humanizeTimestamp(v: number): string {
  const t = floatToTime(v);
  return t === null ? sprintf4g(v) : t.toString();
}

/** Go `url.QueryEscape`. */
export function queryEscape(s: string): string {
  let out = '';
  for (const b of Buffer.from(s, 'utf8')) {
    const c = String.fromCharCode(b);
    if (/[A-Za-z0-9\-_.~]/.test(c)) out += c;
    else if (c === ' ') out += '+';
    else out += `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** Go `net.SplitHostPort`, or null on error. */
function splitHostPort(hp: string): [string, string] | null {
  if (hp.startsWith('[')) {
    const m = /^\[([^\]]*)\]:([^:]*)$/.exec(hp);
    return m === null ? null : [m[1]!, m[2]!];
  }
  const i = hp.lastIndexOf(':');
  if (i < 0) return null;
  const host = hp.slice(0, i);
  if (host.includes(':')) return null;
  return [host, hp.slice(i + 1)];
}

function isIp(h: string): boolean {
  return /^(\d{1,3})(\.\d{1,3}){3}$/.test(h) || (h.includes(':') && /^[0-9a-fA-F:.]+$/.test(h));
}

function sampleOf(s: VectorSample): GoStruct {
  return new GoStruct(
    '*template.sample',
    new Map<string, TValue>([
      ['Labels', GoMap.ofStrings(s.labels.toRecord())],
      ['Value', s.v],
    ]),
    true,
  );
}

function asSample(v: TValue | undefined): GoStruct | null {
  if (v === null || v === undefined) return null;
  if (v instanceof GoStruct && v.typeName === '*template.sample') return v;
  throw new FuncError(`wrong type for value; expected *template.sample; got ${typeName(v)}`);
}

function asResult(v: TValue | undefined): TValue[] {
  if (v === null || v === undefined) return [];
  if (Array.isArray(v)) return v;
  throw new FuncError(`wrong type for value; expected template.queryResult; got ${typeName(v)}`);
}

function sampleLabel(s: GoStruct | null, name: string): string {
  if (s === null) return '';
  const l = s.fields.get('Labels');
  if (l instanceof GoMap) {
    const v = l.entries.get(name);
    return typeof v === 'string' ? v : '';
  }
  return '';
}

/** Title-cases like Go's `cases.Title(language.AmericanEnglish, cases.NoLower)`: first letter of each word upper-cased. */
function title(s: string): string {
  return s.replace(/(^|[^\p{L}\p{N}'’_])(\p{L})/gu, (_m, pre: string, c: string) => pre + c.toUpperCase());
}

/** Builds the Prometheus function map for one expansion. */
export function prometheusFunctions(ctx: FunctionContext): Map<string, TemplateFunc> {
  const ext = (() => {
    try {
      return new URL(ctx.externalUrl);
    } catch {
      return null;
    }
  })();
  return new Map<string, TemplateFunc>([
    [
      'query',
      async (q) => {
        const expr = argString(q ?? null);
        if (ctx.queryFn === null) throw new FuncError('query function not available');
        const res = await ctx.queryFn(expr, ctx.timeMs);
        return res.map(sampleOf);
      },
    ],
    [
      'first',
      (v) => {
        const r = asResult(v);
        if (r.length === 0) throw new FuncError('first() called on vector with no elements');
        return r[0]!;
      },
    ],
    ['label', (name, s) => sampleLabel(asSample(s), argString(name ?? null))],
    [
      'value',
      (s) => {
        const smp = asSample(s);
        if (smp === null) throw new FuncError('nil pointer evaluating *template.sample.Value');
        return smp.fields.get('Value') ?? null;
      },
    ],
    ['strvalue', (s) => sampleLabel(asSample(s), '__value__')],
    ['args', (...a) => new GoMap(new Map(a.map((v, i) => [`arg${i}`, v])), null, 'map[string]interface {}')],
    [
      'reReplaceAll',
      (pattern, repl, text) => {
        const re = compileRe(argString(pattern ?? null), 'reReplaceAll');
        return replaceAllGo(re, argString(text ?? null), argString(repl ?? null));
      },
    ],
    ['safeHtml', (t) => argString(t ?? null)],
    ['match', (pattern, s) => compileRe(argString(pattern ?? null), 'match').matcher(argString(s ?? null)).find()],
    ['title', (s) => title(argString(s ?? null))],
    ['toUpper', (s) => argString(s ?? null).toUpperCase()],
    ['toLower', (s) => argString(s ?? null).toLowerCase()],
    ['graphLink', (e) => `/graph?g0.expr=${queryEscape(argString(e ?? null))}&g0.tab=0`],
    ['tableLink', (e) => `/graph?g0.expr=${queryEscape(argString(e ?? null))}&g0.tab=1`],
    [
      'sortByLabel',
      (l, v) => {
        const name = argString(l ?? null);
        const r = asResult(v);
        // Array.prototype.sort is stable, like sort.Stable; byte order as Go compares strings.
        return [...r].sort((a, b) => {
          const x = sampleLabel(asSample(a), name);
          const y = sampleLabel(asSample(b), name);
          return x < y ? -1 : x > y ? 1 : 0;
        });
      },
    ],
    [
      'stripPort',
      (hp) => {
        const s = argString(hp ?? null);
        const sp = splitHostPort(s);
        return sp === null ? s : sp[0];
      },
    ],
    [
      'stripDomain',
      (hp) => {
        const s = argString(hp ?? null);
        const sp = splitHostPort(s);
        const host = sp === null ? s : sp[0];
        const port = sp === null ? '' : sp[1];
        if (isIp(host)) return s;
        const short = host.split('.')[0] ?? '';
        if (port !== '') return short.includes(':') ? `[${short}]:${port}` : `${short}:${port}`;
        return short;
      },
    ],
    ['humanize', (v) => humanize(toFloat(v))],
    ['humanize1024', (v) => humanize1024(toFloat(v))],
    ['humanizeDuration', (v) => humanizeDuration(toFloat(v))],
    ['humanizePercentage', (v) => `${sprintf4g(toFloat(v) * 100)}%`],
    ['humanizeTimestamp', (v) => humanizeTimestamp(toFloat(v))],
    [
      'toTime',
      (v) => {
        const f = toFloat(v);
        const t = floatToTime(f);
        if (t === null) throw new FuncError('value is NaN or Inf');
        return t;
      },
    ],
    ['toDuration', (v) => new GoDuration(BigInt(Math.trunc(toFloat(v) * 1e9)))],
    ['now', () => ctx.timeMs / 1000],
    ['pathPrefix', () => (ext === null ? '' : ext.pathname === '/' && !ctx.externalUrl.endsWith('/') ? '' : ext.pathname)],
    ['externalURL', () => ctx.externalUrl],
    [
      'parseDuration',
      (d) => {
        try {
          const str = argString(d ?? null);
          return str.startsWith('-') ? -parseDuration(str.slice(1)) / 1000 : parseDuration(str) / 1000;
        } catch (e) {
          throw new FuncError(e instanceof Error ? e.message : String(e));
        }
      },
    ],
    ['urlQueryEscape', (s) => queryEscape(argString(s ?? null))],
  ]);
}

function compileRe(pattern: string, fn: string): RE2JS {
  try {
    return RE2JS.compile(pattern);
  } catch (e) {
    // Go's regexp.MustCompile panics; Prometheus turns the panic into the expansion error.
    throw new FuncError(`regexp: Compile(${JSON.stringify(pattern)}): ${e instanceof Error ? e.message : String(e)} (in ${fn})`);
  }
}

/** Go `Regexp.ReplaceAllString`: `$1`, `${1}`, `$name`, `${name}` expand (unknown → empty), `$$` is `$`. */
export function replaceAllGo(re: RE2JS, text: string, repl: string): string {
  const m = re.matcher(text);
  const named = re.namedGroups() as Record<string, number>;
  let out = '';
  let last = 0;
  let guard = 0;
  while (m.find() && guard++ <= text.length) {
    out += text.slice(last, m.start());
    for (let i = 0; i < repl.length; i++) {
      const c = repl[i]!;
      if (c !== '$') {
        out += c;
        continue;
      }
      if (repl[i + 1] === '$') {
        out += '$';
        i++;
        continue;
      }
      let name: string | null = null;
      let next = i;
      if (repl[i + 1] === '{') {
        const end = repl.indexOf('}', i + 2);
        const n = end < 0 ? '' : repl.slice(i + 2, end);
        if (end >= 0 && /^[A-Za-z0-9_]+$/.test(n)) {
          name = n;
          next = end;
        }
      } else {
        const mm = /^[A-Za-z0-9_]+/.exec(repl.slice(i + 1));
        if (mm !== null) {
          name = mm[0];
          next = i + name.length;
        }
      }
      if (name === null) {
        out += '$';
        continue;
      }
      i = next;
      let idx = -1;
      if (/^[0-9]+$/.test(name)) idx = Number(name);
      else if (named[name] !== undefined) idx = named[name]!;
      if (idx >= 0 && idx <= m.groupCount()) out += m.group(idx) ?? '';
    }
    last = m.end();
  }
  return out + text.slice(last);
}
