/**
 * Configuration errors and warnings, located at `FILE:LINE:COL` with the field's path.
 * Produced by `ConfigDoc`/`MapReader` (tsdb/config_reader.ts) and every section parser.
 */

/** Stable codes of configuration errors; code branches on these, never on messages. */
export type ConfigErrorCode =
  | 'read_failed' // the file could not be read
  | 'too_large' // the file or its alias expansion exceeds the limits
  | 'yaml_syntax' // not well-formed YAML
  | 'unknown_field' // a field Prometheus does not have either
  | 'wrong_type' // e.g. a list where a duration was expected
  | 'bad_value' // right type, invalid value (bad duration, regex, label name, ...)
  | 'missing_field' // a required field is absent or empty
  | 'duplicate' // e.g. two scrape configs with the same job_name
  | 'invalid'; // a cross-field rule is broken (timeout > interval, ...)

/** Where in which file a configuration value sits. Lines and columns are 1-based; 0 means unknown. */
export interface ConfigLocation {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  /** Dotted path of the field, e.g. `scrape_configs[1].relabel_configs[0].regex`; `''` for the document. */
  readonly fieldPath: string;
}

function formatLocated(loc: ConfigLocation, detail: string, inline: boolean): string {
  const where = loc.line > 0 ? `${loc.file}:${loc.line}:${loc.column}` : loc.file;
  if (loc.fieldPath === '') return `${where}: ${detail}`;
  return `${where}: ${loc.fieldPath}${inline ? ' ' : ': '}${detail}`;
}

/**
 * An invalid configuration. `message` is `FILE:LINE:COL: field.path: detail` where the
 * detail says what was expected and what was received; for rules between fields the
 * received value follows the path in parentheses instead
 * (`FILE:LINE:COL: scrape_configs[1].scrape_timeout (20s) is longer than scrape_interval (15s)`).
 */
export class ConfigError extends Error {
  readonly code: ConfigErrorCode;
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly fieldPath: string;
  /** The message without the location prefix. */
  readonly detail: string;

  /** `inline`: the detail continues the field path (`path (value) is ...`) rather than following `: `. */
  constructor(code: ConfigErrorCode, loc: ConfigLocation, detail: string, inline = false) {
    super(formatLocated(loc, detail, inline));
    this.name = 'ConfigError';
    this.code = code;
    this.file = loc.file;
    this.line = loc.line;
    this.column = loc.column;
    this.fieldPath = loc.fieldPath;
    this.detail = detail;
  }
}

/** A field that Prometheus knows but Vigil does not implement yet: accepted, ignored, reported. */
export class ConfigWarning {
  readonly code = 'unimplemented';
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly fieldPath: string;
  readonly message: string;

  constructor(loc: ConfigLocation, detail: string) {
    this.file = loc.file;
    this.line = loc.line;
    this.column = loc.column;
    this.fieldPath = loc.fieldPath;
    this.message = formatLocated(loc, detail, false);
  }

  toString(): string {
    return this.message;
  }
}
