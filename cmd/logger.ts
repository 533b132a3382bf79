/**
 * Structured logging for every part of Vigil.
 *
 * The contract parts code against is the `Logger` interface below, which is
 * deliberately structural: any object with `debug/info/warn/error(msg, fields?)`
 * fits, so a part never imports this file's implementation and tests may pass a
 * recording object. The composition root (`cmd/server.ts`) creates one
 * `StructuredLogger` and hands each part a `child({ component: '…' })`.
 *
 * Output formats follow Prometheus 2.x (go-kit log):
 * - logfmt: `ts=2024-05-01T10:00:00.123Z caller=server.js:42 level=info component=web msg="Start listening" address=0.0.0.0:9090`
 * - json:   `{"ts":"…","caller":"…","level":"info","component":"web","msg":"…","address":"…"}`
 * One line per record, written synchronously to the sink (stderr by default, as Prometheus does).
 */

/** Severity, in increasing order. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** Output format of `--log.format`. */
export type LogFormat = 'logfmt' | 'json';

/** Every accepted `--log.level` value, lowest first. */
export const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];

/** Every accepted `--log.format` value. */
export const LOG_FORMATS: readonly LogFormat[] = ['logfmt', 'json'];

/** Key/value context attached to one record. Values are rendered with `String`, errors by message, objects as JSON. */
export type LogFields = Readonly<Record<string, unknown>>;

/**
 * What a part needs to log. Records below the configured level are dropped
 * cheaply; `fields` must not be mutated by the logger's caller afterwards.
 */
export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
}

/** Where finished lines go (each line ends with "\n"). */
export interface LogSink {
  write(line: string): void;
}

/** Options of `StructuredLogger`. */
export interface LoggerOptions {
  /** Lowest level written. Default `info`. */
  level?: LogLevel;
  /** Default `logfmt`. */
  format?: LogFormat;
  /** Default: `process.stderr`. */
  sink?: LogSink;
  /** Clock in ms since the epoch, injected for tests. Default `Date.now`. */
  now?: () => number;
  /** Whether to add `caller=file:line` (costs a stack capture per record). Default true. */
  caller?: boolean;
}

const LEVEL_RANK: Readonly<Record<LogLevel, number>> = { debug: 0, info: 1, warn: 2, error: 3 };

/** Whether `s` names a log level. */
export function isLogLevel(s: string): s is LogLevel {
  return s === 'debug' || s === 'info' || s === 'warn' || s === 'error';
}

/** Whether `s` names a log format. */
export function isLogFormat(s: string): s is LogFormat {
  return s === 'logfmt' || s === 'json';
}

/** The `Logger` used by Vigil's processes. Immutable; `child` returns a new logger sharing the sink. */
export class StructuredLogger implements Logger {
  readonly level: LogLevel;
  readonly format: LogFormat;
  private readonly minRank: number;
  private readonly sink: LogSink;
  private readonly now: () => number;
  private readonly withCaller: boolean;
  private readonly context: LogFields;

  constructor(opts: LoggerOptions = {}, context: LogFields = {}) {
    this.level = opts.level ?? 'info';
    this.format = opts.format ?? 'logfmt';
    this.minRank = LEVEL_RANK[this.level];
    this.sink = opts.sink ?? process.stderr;
    this.now = opts.now ?? Date.now;
    this.withCaller = opts.caller ?? true;
    this.context = context;
  }

  /** A logger that adds `fields` to every record (e.g. `{ component: 'tsdb' }`). */
  child(fields: LogFields): StructuredLogger {
    return new StructuredLogger(
      { level: this.level, format: this.format, sink: this.sink, now: this.now, caller: this.withCaller },
      { ...this.context, ...fields },
    );
  }

  /** Whether records at `level` are written. */
  enabled(level: LogLevel): boolean {
    return LEVEL_RANK[level] >= this.minRank;
  }

  debug(msg: string, fields?: LogFields): void {
    if (this.minRank <= 0) this.write('debug', msg, fields);
  }
  info(msg: string, fields?: LogFields): void {
    if (this.minRank <= 1) this.write('info', msg, fields);
  }
  warn(msg: string, fields?: LogFields): void {
    if (this.minRank <= 2) this.write('warn', msg, fields);
  }
  error(msg: string, fields?: LogFields): void {
    this.write('error', msg, fields);
  }

  private write(level: LogLevel, msg: string, fields: LogFields | undefined): void {
    const ts = new Date(this.now()).toISOString();
    const caller = this.withCaller ? callerOf() : '';
    const line =
      this.format === 'json'
        ? jsonLine(ts, caller, level, msg, this.context, fields)
        : logfmtLine(ts, caller, level, msg, this.context, fields);
    this.sink.write(line);
  }
}

/** A logger that drops everything (for tests and library defaults). */
export const NOP_LOGGER: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
};

/** Renders one field value as text: errors by message, plain objects as JSON. */
export function fieldText(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v instanceof Error) return v.message;
  if (v === null || v === undefined) return String(v);
  if (typeof v === 'object') {
    try {
      return JSON.stringify(v) ?? String(v);
    } catch {
      return String(v);
    }
  }
  return String(v);
}

/** Quotes a logfmt value when it is empty or holds spaces, quotes, `=` or control characters. */
export function logfmtValue(s: string): string {
  if (s !== '' && !/[\s"=\\\u0000-\u001f\u007f]/.test(s)) return s;
  let out = '"';
  for (const ch of s) {
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (ch < ' ' || ch === '\u007f') out += `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return out + '"';
}

/** Keys are not user-controlled in practice, but keep the line parseable if one is odd. */
function logfmtKey(k: string): string {
  return /^[A-Za-z0-9_.\-/]+$/.test(k) ? k : k.replace(/[^A-Za-z0-9_.\-/]/g, '_') || '_';
}

function logfmtLine(
  ts: string,
  caller: string,
  level: LogLevel,
  msg: string,
  context: LogFields,
  fields: LogFields | undefined,
): string {
  let line = `ts=${ts}`;
  if (caller !== '') line += ` caller=${logfmtValue(caller)}`;
  line += ` level=${level}`;
  for (const k in context) line += ` ${logfmtKey(k)}=${logfmtValue(fieldText(context[k]))}`;
  line += ` msg=${logfmtValue(msg)}`;
  if (fields) for (const k in fields) line += ` ${logfmtKey(k)}=${logfmtValue(fieldText(fields[k]))}`;
  return line + '\n';
}

function jsonLine(
  ts: string,
  caller: string,
  level: LogLevel,
  msg: string,
  context: LogFields,
  fields: LogFields | undefined,
): string {
  const rec: Record<string, unknown> = { ts };
  if (caller !== '') rec.caller = caller;
  rec.level = level;
  for (const k in context) rec[k] = jsonValue(context[k]);
  rec.msg = msg;
  if (fields) for (const k in fields) if (!(k in rec)) rec[k] = jsonValue(fields[k]);
  try {
    return JSON.stringify(rec) + '\n';
  } catch {
    // A field that cannot be serialised (e.g. a cycle) must not lose the record.
    const safe: Record<string, string> = {};
    for (const k in rec) safe[k] = fieldText(rec[k]);
    return JSON.stringify(safe) + '\n';
  }
}

function jsonValue(v: unknown): unknown {
  if (v instanceof Error) return v.message;
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number' && !Number.isFinite(v)) return String(v);
  return v;
}

// The frame that called debug/info/warn/error: frame 0 is callerOf, 1 is write,
// 2 is the level method, 3 the caller. Only the file's base name and line are kept,
// as in go-kit's `caller=main.go:585`.
const STACK_DEPTH = 4;

function callerOf(): string {
  const holder: { stack?: string } = {};
  const saved = Error.stackTraceLimit;
  Error.stackTraceLimit = STACK_DEPTH;
  Error.captureStackTrace(holder);
  Error.stackTraceLimit = saved;
  const lines = (holder.stack ?? '').split('\n');
  const frame = lines[STACK_DEPTH];
  if (frame === undefined) return '';
  const m = /([^/\\\s(]+):(\d+):\d+\)?\s*$/.exec(frame);
  return m ? `${m[1]}:${m[2]}` : '';
}
