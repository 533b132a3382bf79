/**
 * The values a PromQL query returns, and the engine contract the HTTP API and the
 * rule engine call.
 *
 * These are the *public* result shapes (what `/api/v1/query` encodes); the
 * evaluator works on its own columnar shapes internally and converts at the end.
 * Conventions:
 * - Timestamps are milliseconds since the Unix epoch.
 * - Values are float64; a result never contains the staleness marker (stale
 *   samples are dropped during evaluation), but it can contain NaN and ±Inf.
 * - Matrix samples are columnar: `ts[i]`/`vs[i]` is the i-th point, ascending in time.
 *   They are Float64Arrays because plain JS arrays may canonicalise NaN payloads.
 */
import type { Labels } from '../tsdb/labels.js';
import type { Queryable } from '../tsdb/storage.js';

/** One sample of an instant vector: a series' labels, its timestamp (ms) and value. */
export interface VectorSample {
  readonly labels: Labels;
  readonly t: number;
  readonly v: number;
}

/** One series of a range vector (or of a range query's result). */
export interface MatrixSeries {
  readonly labels: Labels;
  /** Timestamps (ms), ascending. Same length as `vs`. */
  readonly ts: Float64Array;
  /** Values, parallel to `ts`. */
  readonly vs: Float64Array;
}

/** A scalar result at time `t` (ms). */
export interface ScalarValue {
  readonly type: 'scalar';
  readonly t: number;
  readonly v: number;
}

/** A string result at time `t` (ms). */
export interface StringValue {
  readonly type: 'string';
  readonly t: number;
  readonly v: string;
}

/** An instant vector: at most one sample per distinct label set. */
export interface VectorValue {
  readonly type: 'vector';
  readonly series: VectorSample[];
}

/** A range vector, or the result of a range query (one series per label set, points ascending). */
export interface MatrixValue {
  readonly type: 'matrix';
  readonly series: MatrixSeries[];
}

/** Any PromQL value. The `type` names match the JSON API's `resultType`. */
export type Value = ScalarValue | StringValue | VectorValue | MatrixValue;

/**
 * What a query returns: its value and non-fatal annotations to show the user —
 * `warnings`, and `infos` (Prometheus 3 returns them separately; absent = none).
 * Both are rendered `PromQL warning: … (line:col)` / `PromQL info: … (line:col)`.
 */
export interface QueryResult {
  readonly value: Value;
  readonly warnings: string[];
  readonly infos?: string[];
}

/** Per-query options. */
export interface QueryOptions {
  /** Aborts the query (e.g. the HTTP client went away); the promise rejects with an `EvaluationError` coded 'canceled'. */
  readonly signal?: AbortSignal;
  /** Overrides the engine's lookback delta (ms) for this query. */
  readonly lookbackDeltaMs?: number;
}

/**
 * The query engine contract. Both calls parse `expr` (rejecting with a `ParseError`
 * from query/errors.ts on bad syntax) and evaluate it against `q`; evaluation
 * failures reject with an `EvaluationError` (query/eval_errors.ts) whose `code` is
 * 'execution', 'timeout', 'canceled' or 'too_many_samples'.
 */
export interface QueryEngine {
  /** Evaluates `expr` at `timeMs`. Any value type may result. */
  instantQuery(q: Queryable, expr: string, timeMs: number, opts?: QueryOptions): Promise<QueryResult>;
  /**
   * Evaluates `expr` at every step from `startMs` to `endMs` inclusive (`stepMs` > 0).
   * The result is always a matrix (a scalar expression yields one series with no labels).
   * Rejects with an 'execution' EvaluationError when `expr` is a string or a range vector.
   */
  rangeQuery(q: Queryable, expr: string, startMs: number, endMs: number, stepMs: number, opts?: QueryOptions): Promise<QueryResult>;
  /**
   * Parses `expr` once for repeated instant evaluations (rules evaluate the same text every
   * interval); the returned function is `instantQuery(q, expr, timeMs)` without the parse.
   * Throws what parsing throws. Optional: callers without it use `instantQuery`.
   */
  prepareInstant?(q: Queryable, expr: string): (timeMs: number) => Promise<QueryResult>;
}
