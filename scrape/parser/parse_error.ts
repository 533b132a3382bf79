/**
 * The error every exposition parser throws. Callers branch on `code`, never on the
 * message. The message reads like Prometheus's client library parser
 * (`text format parsing error in line 3: expected float as value, got "abc"`),
 * so users can search for it; `line` and `column` locate the fault.
 */

/** Stable error codes. */
export type ParseErrorCode =
  /** A token that cannot appear where it does (bad punctuation, missing `=`, stray characters). */
  | 'syntax'
  /** The sample value is not a float Prometheus accepts. */
  | 'invalid_value'
  /** The sample or exemplar timestamp is malformed or out of range. */
  | 'invalid_timestamp'
  /** `# TYPE` names a type the format does not know. */
  | 'invalid_type'
  /** A label name or value, a metric name or a HELP text is not valid UTF-8. */
  | 'invalid_utf8'
  /** A metric or label name is empty or otherwise invalid. */
  | 'invalid_name'
  /** The series has no metric name (`{a="b"} 1`) or two (`{"a","b"} 1`). */
  | 'metric_name'
  /** The same label name appears twice in one series. */
  | 'duplicate_label'
  /** OpenMetrics `# UNIT` that is not a suffix of the family name. */
  | 'invalid_unit'
  /** OpenMetrics exemplar syntax. */
  | 'invalid_exemplar'
  /** OpenMetrics body without the final `# EOF`. */
  | 'missing_eof'
  /** OpenMetrics body with data after `# EOF`. */
  | 'data_after_eof';

/** A malformed exposition body. `line` and `column` are 1-based; `column` counts bytes. */
export class ParseError extends Error {
  readonly code: ParseErrorCode;
  readonly line: number;
  readonly column: number;
  /** The format that was being parsed: `text` (Prometheus 0.0.4) or `openmetrics`. */
  readonly format: 'text' | 'openmetrics';
  /** The problem without the location prefix. */
  readonly detail: string;

  constructor(format: 'text' | 'openmetrics', code: ParseErrorCode, line: number, column: number, detail: string) {
    super(`${format === 'text' ? 'text format' : 'openmetrics format'} parsing error in line ${line}: ${detail}`);
    this.name = 'ParseError';
    this.format = format;
    this.code = code;
    this.line = line;
    this.column = column;
    this.detail = detail;
  }
}

const MAX_SHOWN = 48;

/**
 * Quotes bytes `[start, end)` of `b` for a message, Go `%q` style: printable ASCII as is,
 * `\n`, `\t`, `\"`, `\\` escaped, other bytes as `\xNN`; long tokens are cut with `…`.
 */
export function quoteBytes(b: Uint8Array, start: number, end: number): string {
  let s = '"';
  const stop = Math.min(end, start + MAX_SHOWN);
  for (let i = start; i < stop; i++) {
    const c = b[i]!;
    if (c === 0x22) s += '\\"';
    else if (c === 0x5c) s += '\\\\';
    else if (c === 0x0a) s += '\\n';
    else if (c === 0x0d) s += '\\r';
    else if (c === 0x09) s += '\\t';
    else if (c < 0x20 || c >= 0x7f) s += `\\x${c.toString(16).padStart(2, '0')}`;
    else s += String.fromCharCode(c);
  }
  if (end > stop) s += '…';
  return s + '"';
}
