/**
 * The Prometheus HTTP API envelope and value encoding (`web/api/v1/api.go`,
 * `json_codec.go`, `util/jsonutil/marshal.go`):
 * `{"status":"success","data":…,"warnings":[…]}` or
 * `{"status":"error","errorType":"bad_data","error":"…"}`, with error types mapped to
 * HTTP status codes, and sample values written as `[<seconds>, "<value>"]` using Go's
 * float formatting. The JSON is built as a string so numbers come out byte-exact.
 */
import type { Labels } from '../tsdb/labels.js';
import { formatSampleValue, formatTimestamp } from './format_float.js';
import type { Value } from './value.js';

const HTML_UNSAFE = /[<>&\u2028\u2029]/g;
const HTML_ESCAPES: Record<string, string> = { '<': '\\u003c', '>': '\\u003e', '&': '\\u0026', '\u2028': '\\u2028', '\u2029': '\\u2029' };

/** A JSON string literal as Go's encoding/json writes it (HTML-safe: `<` becomes `\u003c`). */
export function jsonString(s: string): string {
  const j = JSON.stringify(s);
  return HTML_UNSAFE.test(j) ? j.replace(HTML_UNSAFE, (c) => HTML_ESCAPES[c]!) : j;
}

/** Any JSON value as Go's encoding/json writes it (the unsafe characters only occur inside strings). */
export function goJson(v: unknown): string {
  const j = JSON.stringify(v);
  return HTML_UNSAFE.test(j) ? j.replace(HTML_UNSAFE, (c) => HTML_ESCAPES[c]!) : j;
}

/** A JSON array of strings, Go-escaped. */
export function jsonStringArray(list: readonly string[]): string {
  return `[${list.map(jsonString).join(',')}]`;
}

/** Error types of the API and their HTTP status codes. */
export const ERROR_STATUS = {
  bad_data: 400,
  execution: 422,
  canceled: 499,
  timeout: 503,
  internal: 500,
  not_found: 404,
  not_acceptable: 406,
  unavailable: 503,
} as const;

export type ApiErrorType = keyof typeof ERROR_STATUS;

/** An error answered as `{"status":"error",…}` with the type's status code. */
export class QueryApiError extends Error {
  readonly type: ApiErrorType;
  constructor(type: ApiErrorType, message: string) {
    super(message);
    this.name = 'QueryApiError';
    this.type = type;
  }
  get statusCode(): number {
    return ERROR_STATUS[this.type];
  }
}

/** Prometheus's `invalidParamError`: `invalid parameter "time": …`, bad_data. */
export function invalidParam(param: string, message: string): QueryApiError {
  return new QueryApiError('bad_data', `invalid parameter ${JSON.stringify(param)}: ${message}`);
}

/** Prometheus caps each list of annotations at 10 entries plus a summary line. */
const MAX_WARNINGS = 10;

function annotationsJson(field: 'warnings' | 'infos', list: readonly string[]): string {
  if (list.length === 0) return '';
  let out = list;
  if (list.length > MAX_WARNINGS) {
    const kind = field === 'warnings' ? 'warning' : 'info';
    out = [...list.slice(0, MAX_WARNINGS), `${list.length - MAX_WARNINGS} more ${kind} annotations omitted`];
  }
  return `,"${field}":${jsonStringArray(out)}`;
}

/**
 * The success envelope around already-encoded `dataJson` (omitted when null, as Go's
 * omitempty does); `warnings` and `infos` are omitted when empty.
 */
export function successJson(dataJson: string | null, warnings: readonly string[] = [], infos: readonly string[] = []): string {
  return `{"status":"success"${dataJson === null ? '' : `,"data":${dataJson}`}${annotationsJson('warnings', warnings)}${annotationsJson('infos', infos)}}`;
}

/** The error envelope. */
export function errorJson(type: ApiErrorType, message: string): string {
  return `{"status":"error","errorType":${jsonString(type)},"error":${jsonString(message)}}`;
}

/** A label set as a JSON object (`{"__name__":"up","job":"api"}`), in label order. */
export function labelsJson(ls: Labels): string {
  // Label sets are immutable and storage hands out the same objects query after query.
  let s = labelsJsonCache.get(ls);
  if (s === undefined) {
    s = buildLabelsJson(ls);
    labelsJsonCache.set(ls, s);
  }
  return s;
}

const labelsJsonCache = new WeakMap<Labels, string>();

function buildLabelsJson(ls: Labels): string {
  let s = '{';
  for (let i = 0; i < ls.length; i++) {
    if (i > 0) s += ',';
    s += jsonString(ls.name(i)) + ':' + jsonString(ls.value(i));
  }
  return s + '}';
}

function pointJson(t: number, v: number): string {
  return `[${formatTimestamp(t)},"${formatSampleValue(v)}"]`;
}

/** `{"resultType":…,"result":…}` for a query result, encoded as Prometheus does. */
export function queryDataJson(v: Value): string {
  let result: string;
  switch (v.type) {
    case 'scalar':
      result = pointJson(v.t, v.v);
      break;
    case 'string':
      result = `[${formatTimestamp(v.t)},${jsonString(v.v)}]`;
      break;
    case 'vector': {
      const parts: string[] = [];
      // Every sample of an instant vector has the query time: format it once.
      let lastT = Number.NaN;
      let tJson = '';
      for (const s of v.series) {
        if (s.t !== lastT) {
          lastT = s.t;
          tJson = formatTimestamp(s.t);
        }
        parts.push(`{"metric":${labelsJson(s.labels)},"value":[${tJson},"${formatSampleValue(s.v)}"]}`);
      }
      result = `[${parts.join(',')}]`;
      break;
    }
    case 'matrix': {
      const parts: string[] = [];
      for (const s of v.series) {
        const pts: string[] = new Array(s.ts.length);
        for (let i = 0; i < s.ts.length; i++) pts[i] = pointJson(s.ts[i]!, s.vs[i]!);
        parts.push(`{"metric":${labelsJson(s.labels)},"values":[${pts.join(',')}]}`);
      }
      result = `[${parts.join(',')}]`;
      break;
    }
  }
  return `{"resultType":"${v.type}","result":${result}}`;
}
