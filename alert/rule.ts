/**
 * What recording and alerting rules share: the query function they evaluate
 * through, their health, and the evaluation contract a group calls.
 */
import { Labels } from '../tsdb/labels.js';
import type { QueryEngine, QueryResult } from '../query/value.js';
import type { Queryable } from '../tsdb/storage.js';

/** One output sample of a rule evaluation (labels, ms timestamp, value). */
export interface RuleSample {
  readonly labels: Labels;
  readonly t: number;
  readonly v: number;
}

/**
 * Evaluates `expr` at `timeMs` and returns an instant vector. A scalar result is
 * one sample with no labels (Prometheus's `EngineQueryFunc`); anything else rejects.
 */
export type QueryFn = (expr: string, timeMs: number) => Promise<RuleSample[]>;

/** Rule health as `/api/v1/rules` reports it. */
export type RuleHealth = 'unknown' | 'ok' | 'err';

/** An evaluation failure of a rule; `message` is Prometheus's text. */
export class RuleEvalError extends Error {
  readonly code: 'query' | 'duplicate_labelset' | 'limit_exceeded';
  constructor(code: RuleEvalError['code'], message: string) {
    super(message);
    this.name = 'RuleEvalError';
    this.code = code;
  }
}

/** The inputs of one rule evaluation. */
export interface RuleEvalContext {
  /** The group's evaluation timestamp (ms). */
  readonly ts: number;
  /** The group's query offset (ms); queries and output use `ts - queryOffsetMs`. */
  readonly queryOffsetMs: number;
  readonly query: QueryFn;
  /** 0 = no limit. */
  readonly limit: number;
}

/** A rule of a group. */
export interface Rule {
  readonly kind: 'recording' | 'alerting';
  readonly name: string;
  /** The expression as written in the rule file. */
  readonly expr: string;
  readonly labels: Labels;
  /** Evaluates the rule; resolves with the samples to append. Rejects with `RuleEvalError`. */
  eval(ctx: RuleEvalContext): Promise<RuleSample[]>;
  /** A stable text identifying the rule's definition (for reload equality). */
  definition(): string;
  health: RuleHealth;
  lastError: string;
  /** ms of the last evaluation's start, 0 before. */
  lastEvaluationMs: number;
  /** Seconds the last evaluation took. */
  evaluationSeconds: number;
}

/** Parsed expressions one `engineQueryFn` keeps (the cache is cleared when it reaches this). */
const MAX_PREPARED = 10_000;

/** A `QueryFn` over a query engine and a queryable (Prometheus's `EngineQueryFunc`). */
export function engineQueryFn(engine: QueryEngine, q: Queryable): QueryFn {
  // Rules evaluate the same expressions every interval: parse each once (bounded by clearing).
  const prepared = new Map<string, (timeMs: number) => Promise<QueryResult>>();
  const evaluator = (expr: string): ((timeMs: number) => Promise<QueryResult>) => {
    let f = prepared.get(expr);
    if (f !== undefined) return f;
    try {
      f = engine.prepareInstant?.(q, expr);
    } catch {
      // Not parsable: `instantQuery` rejects with the same error at every evaluation.
    }
    if (f === undefined) return (timeMs) => engine.instantQuery(q, expr, timeMs);
    if (prepared.size >= MAX_PREPARED) prepared.clear();
    prepared.set(expr, f);
    return f;
  };
  return async (expr, timeMs) => {
    const r = await evaluator(expr)(timeMs);
    const v = r.value;
    if (v.type === 'vector') return v.series.map((s) => ({ labels: s.labels, t: s.t, v: s.v }));
    if (v.type === 'scalar') return [{ labels: Labels.EMPTY, t: v.t, v: v.v }];
    throw new RuleEvalError('query', 'rule result is not a vector or scalar');
  };
}
