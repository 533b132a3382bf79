/**
 * A small, strict OpenMetrics text parser for backfilling (`create-blocks-from
 * openmetrics`): it yields every sample line (metric name, labels, value and
 * timestamp) and checks the syntax the exposition format defines; metadata lines
 * (`# TYPE`, `# HELP`, `# UNIT`) are read and skipped, exemplars are dropped.
 * The input must end with `# EOF`. Errors name `file:line:column`.
 *
 * Timestamps are seconds (possibly fractional) and become milliseconds as
 * Prometheus computes them: `int64(seconds * 1000)`, i.e. truncated.
 */

/** A syntax error, located in the input. */
export class OpenMetricsParseError extends Error {
  readonly code = 'openmetrics_parse';
  constructor(file: string, line: number, col: number, msg: string) {
    super(`${file}:${line}:${col}: ${msg}`);
    this.name = 'OpenMetricsParseError';
  }
}

/** One parsed sample line; `labels` holds `[name, value, …]` in line order, `__name__` excluded. */
export interface OpenMetricsSample {
  /** The series as written (metric name and label set text), a cheap identity for caching. */
  series: string;
  name: string;
  labels: string[];
  value: number;
  /** Milliseconds, or null when the line has no timestamp. */
  timestampMs: number | null;
  /** 1-based line number. */
  line: number;
}

const isAlpha = (c: number) => (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || c === 0x5f; // a-z A-Z _
const isDigit = (c: number) => c >= 0x30 && c <= 0x39;
const isNameStart = (c: number) => isAlpha(c) || c === 0x3a; // metric names may contain ':'
const isNameChar = (c: number) => isAlpha(c) || isDigit(c) || c === 0x3a;
const isLabelChar = (c: number) => isAlpha(c) || isDigit(c);
const NUMBER = /^[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|[Ii]nf(?:inity)?|NaN)$/;

/**
 * The NaN Go's `strconv.ParseFloat("NaN")` returns (`math.NaN()`, bits
 * 0x7ff8000000000001). Using the same bits as Prometheus keeps XOR chunks
 * byte-identical to the ones promtool writes for the same input.
 */
export const GO_NAN: number = (() => {
  const dv = new DataView(new ArrayBuffer(8));
  dv.setUint32(0, 0x7ff80000);
  dv.setUint32(4, 0x00000001);
  return dv.getFloat64(0);
})();

/** Parses a Go-style float as Prometheus accepts it (`NaN`, `+Inf`, `-Inf`, decimals, exponents). */
export function parseGoFloat(s: string): number | null {
  // Fast path for plain decimals, which `Number` parses exactly as Go does.
  const c = s.charCodeAt(0);
  if (isDigit(c) || ((c === 0x2d || c === 0x2b || c === 0x2e) && s.length > 1)) {
    let plain = true;
    for (let i = 1; i < s.length; i++) {
      const d = s.charCodeAt(i);
      if (!(isDigit(d) || d === 0x2e || d === 0x65 || d === 0x45 || d === 0x2d || d === 0x2b)) {
        plain = false;
        break;
      }
    }
    if (plain) {
      const v = Number(s);
      if (!Number.isNaN(v)) return v;
    }
  }
  if (!NUMBER.test(s)) return null;
  const lower = s.toLowerCase();
  if (lower === 'nan' || lower === '+nan' || lower === '-nan') return GO_NAN;
  if (/^[+]?inf(inity)?$/.test(lower)) return Number.POSITIVE_INFINITY;
  if (/^-inf(inity)?$/.test(lower)) return Number.NEGATIVE_INFINITY;
  return Number(s);
}

/**
 * Calls `onSample` for every sample in `text`, in input order. Throws
 * `OpenMetricsParseError` at the first syntax error.
 */
export function parseOpenMetrics(text: string, file: string, onSample: (s: OpenMetricsSample) => void): void {
  let pos = 0;
  let lineNo = 0;
  let sawEOF = false;
  const sample: OpenMetricsSample = { series: '', name: '', labels: [], value: 0, timestampMs: null, line: 0 };
  while (pos < text.length) {
    const nl = text.indexOf('\n', pos);
    if (nl < 0) {
      throw new OpenMetricsParseError(file, lineNo + 1, text.length - pos + 1, 'line is not terminated by a newline');
    }
    const line = text.slice(pos, nl);
    pos = nl + 1;
    lineNo++;
    if (sawEOF) throw new OpenMetricsParseError(file, lineNo, 1, 'unexpected data after "# EOF"');
    if (line === '# EOF') {
      sawEOF = true;
      continue;
    }
    if (line.startsWith('#')) {
      const m = /^# (HELP|TYPE|UNIT) ([a-zA-Z_:][a-zA-Z0-9_:]*)(?: (.*))?$/.exec(line);
      if (m === null) throw new OpenMetricsParseError(file, lineNo, 1, `invalid metadata line ${JSON.stringify(line)}`);
      if (m[1] === 'TYPE' && !/^(counter|gauge|histogram|gaugehistogram|stateset|info|summary|unknown)$/.test(m[3] ?? '')) {
        throw new OpenMetricsParseError(file, lineNo, 8 + m[2]!.length, `invalid metric type ${JSON.stringify(m[3] ?? '')}`);
      }
      continue;
    }
    if (line === '') throw new OpenMetricsParseError(file, lineNo, 1, 'empty line');
    parseSampleLine(line, file, lineNo, sample);
    onSample(sample);
  }
  if (!sawEOF) throw new OpenMetricsParseError(file, lineNo + 1, 1, 'data does not end with "# EOF"');
}

function parseSampleLine(line: string, file: string, lineNo: number, out: OpenMetricsSample): void {
  let i = 0;
  const fail = (msg: string): never => {
    throw new OpenMetricsParseError(file, lineNo, i + 1, msg);
  };
  if (!isNameStart(line.charCodeAt(0))) fail('expected a metric name');
  while (i < line.length && isNameChar(line.charCodeAt(i))) i++;
  out.name = line.slice(0, i);
  out.labels = [];
  out.line = lineNo;
  if (line.charCodeAt(i) === 0x7b) {
    // '{'
    i++;
    while (line.charCodeAt(i) !== 0x7d) {
      if (i >= line.length) fail('unterminated label set');
      if (!isAlpha(line.charCodeAt(i))) fail(`expected a label name, got ${JSON.stringify(line[i])}`);
      const ls = i;
      while (i < line.length && isLabelChar(line.charCodeAt(i))) i++;
      const lname = line.slice(ls, i);
      for (let k = 0; k < out.labels.length; k += 2) if (out.labels[k] === lname) fail(`duplicate label name ${JSON.stringify(lname)}`);
      if (line.charCodeAt(i) !== 0x3d) fail('expected "=" after label name');
      i++;
      if (line.charCodeAt(i) !== 0x22) fail('expected a quoted label value');
      i++;
      const vs = i;
      let escaped = false;
      for (;;) {
        const c = line.charCodeAt(i);
        if (i >= line.length) fail('unterminated label value');
        if (c === 0x22) break;
        if (c === 0x5c) {
          escaped = true;
          i += 2;
          continue;
        }
        i++;
      }
      out.labels.push(lname, escaped ? unescapeValue(line, vs, i, file, lineNo) : line.slice(vs, i));
      i++;
      if (line.charCodeAt(i) === 0x2c) {
        i++;
        continue;
      }
      if (line.charCodeAt(i) !== 0x7d) fail('expected "," or "}" after label value');
    }
    i++;
  }
  out.series = line.slice(0, i);
  if (line[i] !== ' ') fail('expected a space before the value');
  i++;
  let end = line.indexOf(' ', i);
  if (end < 0) end = line.length;
  const v = parseGoFloat(line.slice(i, end));
  if (v === null) fail(`invalid value ${JSON.stringify(line.slice(i, end))}`);
  out.value = v as number;
  i = end;
  out.timestampMs = null;
  if (i < line.length && line.slice(i, i + 3) !== ' # ') {
    i++;
    let tend = line.indexOf(' ', i);
    if (tend < 0) tend = line.length;
    const ts = parseGoFloat(line.slice(i, tend));
    if (ts === null || !Number.isFinite(ts)) fail(`invalid timestamp ${JSON.stringify(line.slice(i, tend))}`);
    out.timestampMs = Math.trunc((ts as number) * 1000);
    i = tend;
  }
  if (i < line.length) {
    // Only an exemplar may follow: " # {labels} value [timestamp]".
    if (line.slice(i, i + 4) !== ' # {') fail('unexpected text after the sample');
  }
}

function unescapeValue(line: string, from: number, to: number, file: string, lineNo: number): string {
  let v = '';
  for (let i = from; i < to; i++) {
    const c = line[i]!;
    if (c !== '\\') {
      v += c;
      continue;
    }
    const n = line[i + 1];
    if (n === 'n') v += '\n';
    else if (n === '"') v += '"';
    else if (n === '\\') v += '\\';
    else throw new OpenMetricsParseError(file, lineNo, i + 1, `invalid escape sequence \\${n ?? ''}`);
    i++;
  }
  return v;
}
