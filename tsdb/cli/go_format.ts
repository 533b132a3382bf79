/**
 * Text formatting that matches what promtool (Go) prints, so `vigil tsdb` output
 * lines up with `promtool tsdb` output: `time.Duration.String()`, `%g` floats,
 * `text/tabwriter` tables and `units.Base2Bytes` sizes.
 */

/** Go's `time.Duration(ms * 1e6).String()`: `2h0m0s`, `15.501s`, `500ms`, `0s`. */
export function formatDurationMs(ms: number): string {
  if (ms === 0) return '0s';
  const neg = ms < 0;
  let a = Math.abs(ms);
  let out: string;
  if (a < 1000) out = `${a}ms`;
  else {
    const h = Math.floor(a / 3600_000);
    a -= h * 3600_000;
    const m = Math.floor(a / 60_000);
    a -= m * 60_000;
    const s = a / 1000;
    // Seconds keep their fraction without trailing zeros, as Go prints them.
    const sec = Number.isInteger(s) ? String(s) : s.toFixed(3).replace(/0+$/, '');
    if (h > 0) out = `${h}h${m}m${sec}s`;
    else if (m > 0) out = `${m}m${sec}s`;
    else out = `${sec}s`;
  }
  return neg ? `-${out}` : out;
}

/** Go's `fmt.Sprintf("%g", v)` for float64: shortest round-trip digits, exponent form when the decimal exponent is below -4 or at least 6 (Go's rule for the shortest %g). */
export function formatG(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Number.POSITIVE_INFINITY) return '+Inf';
  if (v === Number.NEGATIVE_INFINITY) return '-Inf';
  if (v === 0) return Object.is(v, -0) ? '-0' : '0';
  const e = v.toExponential(); // shortest round-tripping digits, e.g. "1.5e+7"
  const at = e.indexOf('e');
  const exp = Number(e.slice(at + 1));
  if (exp < -4 || exp >= 6) {
    const mant = e.slice(0, at);
    const sign = exp < 0 ? '-' : '+';
    const ae = Math.abs(exp);
    return `${mant}e${sign}${ae < 10 ? '0' : ''}${ae}`;
  }
  return String(v);
}

/**
 * Lays out rows like Go's `tabwriter.NewWriter(w, minwidth, 0, padding, ' ', 0)`:
 * every cell but the last of a row is padded to its column's widest cell plus
 * `padding`, and to at least `minwidth`.
 */
export function tabwrite(rows: readonly (readonly string[])[], minwidth: number, padding: number): string {
  const widths: number[] = [];
  for (const r of rows) {
    for (let c = 0; c < r.length - 1; c++) widths[c] = Math.max(widths[c] ?? 0, [...r[c]!].length + padding, minwidth);
  }
  let out = '';
  for (const r of rows) {
    let line = '';
    for (let c = 0; c < r.length; c++) line += c < r.length - 1 ? r[c]!.padEnd(widths[c]! - ([...r[c]!].length - r[c]!.length)) : r[c]!;
    out += `${line}\n`;
  }
  return out;
}

/** `units.Base2Bytes(n).String()` (alecthomas/units): `779B`, `1KiB`, `1.5MiB`. */
export function formatBase2Bytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];
  let out = '';
  let rest = n;
  // alecthomas/units prints a compound form, largest unit first: "1MiB512KiB".
  for (let i = units.length - 1; i >= 0; i--) {
    const u = 1024 ** i;
    if (rest >= u) {
      const q = Math.floor(rest / u);
      out += `${q}${units[i]}`;
      rest -= q * u;
    }
  }
  return out === '' ? '0B' : out;
}

/** Go's `time.Unix(ms/1000, 0).UTC().String()`: `2023-11-14 22:13:20 +0000 UTC`. */
export function formatUnixUTC(ms: number): string {
  const d = new Date(Math.trunc(ms / 1000) * 1000);
  const p = (x: number) => String(x).padStart(2, '0');
  return `${d.getUTCFullYear()}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000 UTC`;
}
