/**
 * Errors raised while evaluating a PromQL query (parse errors are `ParseError`
 * in query/errors.ts). Every error carries a stable `code`; the message is the
 * text Prometheus would show (without the `PromQL` prefix), so users and the
 * conformance scripts see the same wording.
 */

/** Stable codes of evaluation errors; the HTTP layer maps them to error types and status codes. */
export type EvalErrorCode = 'execution' | 'timeout' | 'canceled' | 'too_many_samples';

export class EvaluationError extends Error {
  readonly code: EvalErrorCode;
  constructor(code: EvalErrorCode, message: string) {
    super(message);
    this.name = 'EvaluationError';
    this.code = code;
  }
}

/** A semantic failure of the query itself (bad parameter, many-to-many matching, duplicate labelsets…). */
export function executionError(message: string): EvaluationError {
  return new EvaluationError('execution', message);
}

/** The query ran past the engine's timeout; `env` says which phase ("expression evaluation", "query queue"). */
export function timeoutError(env: string): EvaluationError {
  return new EvaluationError('timeout', `query timed out in ${env}`);
}

/** The caller aborted the query (e.g. the HTTP client went away). */
export function canceledError(env: string): EvaluationError {
  return new EvaluationError('canceled', `query was canceled in ${env}`);
}

/** The query would hold more samples in memory than `--query.max-samples` allows. */
export function tooManySamplesError(env = 'query execution'): EvaluationError {
  return new EvaluationError('too_many_samples', `query processing would load too many samples into memory in ${env}`);
}

/**
 * A query needs a feature this engine does not implement (native histograms,
 * `info()`, start timestamps…). Reported as an execution error to users; the
 * promqltest runner counts such evals as skipped, with `feature` as the reason.
 */
export class UnsupportedFeatureError extends EvaluationError {
  readonly feature: string;
  constructor(feature: string) {
    super('execution', `not supported by this engine: ${feature}`);
    this.name = 'UnsupportedFeatureError';
    this.feature = feature;
  }
}
