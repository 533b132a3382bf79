/** Formatting of label sets, values, times and durations for display (text only). */

/** Quotes a label value the way PromQL prints it (Go `%q`-like: backslash, quote and newline escaped). */
export function quote(s: string): string {
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
}

/** `name{a="1", b="2"}`; `{}` for an empty set. Labels other than `__name__` in sorted order. */
export function formatSeries(labels: Record<string, string>): string {
  const name = labels.__name__ ?? '';
  const pairs = Object.keys(labels)
    .filter((k) => k !== '__name__')
    .sort()
    .map((k) => `${k}=${quote(labels[k] ?? '')}`);
  if (pairs.length === 0) return name === '' ? '{}' : name;
  return `${name}{${pairs.join(', ')}}`;
}

/** A sample value as Prometheus prints it (the API's string, with `+Inf`/`-Inf`/`NaN` kept). */
export function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Number.POSITIVE_INFINITY) return '+Inf';
  if (v === Number.NEGATIVE_INFINITY) return '-Inf';
  const a = Math.abs(v);
  if (a !== 0 && (a >= 1e15 || a < 1e-4)) return v.toExponential(4);
  return String(Math.round(v * 1e6) / 1e6);
}

/** Seconds as `1h2m3s`, `250ms`, `0s`. */
export function formatSeconds(sec: number): string {
  if (!Number.isFinite(sec)) return '—';
  if (sec < 1) return `${Math.round(sec * 1000 * 100) / 100}ms`;
  let s = Math.round(sec);
  const parts: string[] = [];
  for (const [unit, size] of [
    ['d', 86400],
    ['h', 3600],
    ['m', 60],
  ] as const) {
    if (s >= size) {
      parts.push(`${Math.floor(s / size)}${unit}`);
      s %= size;
    }
  }
  if (s > 0 || parts.length === 0) parts.push(`${s}s`);
  return parts.join('');
}

/** Go's zero time, which the API sends for "never". */
const ZERO_TIME_PREFIX = '0001-01-01';

/** `12s ago` (or `never`) for an RFC 3339 time, relative to `nowMs`. */
export function ago(rfc3339: string, nowMs: number = Date.now()): string {
  if (rfc3339 === '' || rfc3339.startsWith(ZERO_TIME_PREFIX)) return 'never';
  const t = Date.parse(rfc3339);
  if (Number.isNaN(t)) return rfc3339;
  const d = (nowMs - t) / 1000;
  return d >= 0 ? `${formatSeconds(d)} ago` : `in ${formatSeconds(-d)}`;
}

/** A local date-time `YYYY-MM-DD HH:MM:SS` (the format of the end-time input). */
export function formatDateTime(ms: number): string {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

/** Parses `formatDateTime`'s format (local time) or an RFC 3339 time; NaN when invalid. */
export function parseDateTime(s: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})(?::(\d{2}))?$/.exec(s.trim());
  if (m !== null) {
    const [, y, mo, d, hh, mm, ss] = m;
    return new Date(Number(y), Number(mo) - 1, Number(d), Number(hh), Number(mm), Number(ss ?? '0')).getTime();
  }
  return Date.parse(s);
}

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000, y: 31_536_000_000 };

/** Parses a Prometheus duration (`1h30m`, `15s`); NaN when invalid. */
export function parseDuration(s: string): number {
  const t = s.trim();
  if (t === '') return Number.NaN;
  const re = /(\d+)(ms|s|m|h|d|w|y)/y;
  let ms = 0;
  let i = 0;
  while (i < t.length) {
    re.lastIndex = i;
    const m = re.exec(t);
    if (m === null) return Number.NaN;
    ms += Number(m[1]) * (DURATION_UNITS[m[2] ?? ''] ?? Number.NaN);
    i = re.lastIndex;
  }
  return ms;
}

/** Milliseconds as a Prometheus duration (`1h30m`). */
export function formatDuration(ms: number): string {
  if (ms <= 0) return '0s';
  const parts: string[] = [];
  let rest = ms;
  for (const u of ['y', 'w', 'd', 'h', 'm', 's', 'ms']) {
    const size = DURATION_UNITS[u] ?? 1;
    if (rest >= size) {
      parts.push(`${Math.floor(rest / size)}${u}`);
      rest %= size;
    }
  }
  return parts.join('');
}

/** A stable colour for a series (hash of its label text). */
export function seriesColor(key: string): string {
  let h = 2166136261;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 16777619);
  }
  const hue = (h >>> 0) % 360;
  return `hsl(${hue}, 65%, 45%)`;
}
