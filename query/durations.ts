/**
 * Evaluation of duration expressions (`x[5m * 2]`, `offset (1h + step())`,
 * `[range():step()]`), as Prometheus's `promql/durations.go` does.
 *
 * The parser folds constant duration expressions itself, so `range`, `step` and
 * `originalOffset` are already correct for them. Expressions that use `step()` or
 * `range()` depend on the query, so the engine calls `resolveDurations` once per
 * query, before evaluation, with the query's step and range.
 */
import type { DurationExpr, Expr, NumberLiteral } from './ast.js';
import { inspect } from './ast.js';

/** A duration expression that cannot be evaluated (division by zero, non-positive range, …). */
export class DurationError extends Error {
  readonly code = 'bad_duration';
  constructor(message: string) {
    super(message);
    this.name = 'DurationError';
  }
}

/** Query parameters that `step()` and `range()` evaluate to (ms). For instant queries both are 0. */
export interface DurationContext {
  stepMs: number;
  rangeMs: number;
}

/** Whether the duration expression refers to `step()` or `range()`. */
export function dependsOnQuery(e: DurationExpr | NumberLiteral | null): boolean {
  if (e === null || e.type === 'NumberLiteral') return false;
  if (e.op === 'step' || e.op === 'range') return true;
  return dependsOnQuery(e.lhs) || dependsOnQuery(e.rhs);
}

/** The value of a duration expression in seconds. Throws DurationError on division or modulo by zero. */
export function evalDurationSeconds(e: DurationExpr | NumberLiteral, ctx: DurationContext): number {
  if (e.type === 'NumberLiteral') return e.val;
  const l = e.lhs === null ? 0 : evalDurationSeconds(e.lhs, ctx);
  const r = e.rhs === null ? 0 : evalDurationSeconds(e.rhs, ctx);
  switch (e.op) {
    case 'step':
      return ctx.stepMs / 1000;
    case 'range':
      return ctx.rangeMs / 1000;
    case 'min_of':
      return Math.min(l, r);
    case 'max_of':
      return Math.max(l, r);
    case '+':
      return e.lhs === null ? r : l + r;
    case '-':
      return e.lhs === null ? -r : l - r;
    case '*':
      return l * r;
    case '/':
      if (r === 0) throw new DurationError(`${e.posRange.start}:${e.posRange.end}: division by zero`);
      return l / r;
    case '%':
      if (r === 0) throw new DurationError(`${e.posRange.start}:${e.posRange.end}: modulo by zero`);
      return l % r;
    case '^':
      return l ** r;
  }
}

const MAX_SECONDS = 2 ** 63 / 1e9;

/**
 * The value of a duration expression in whole milliseconds, validated as Prometheus
 * does: finite, within ±2^63 ns, and > 0 unless `allowNegative` (offsets).
 */
export function evalDurationMs(e: DurationExpr | NumberLiteral, ctx: DurationContext, allowNegative: boolean): number {
  const s = evalDurationSeconds(e, ctx);
  const where = `${e.posRange.start}:${e.posRange.end}`;
  if (!Number.isFinite(s)) throw new DurationError(`${where}: duration is NaN or infinite`);
  if (s <= 0 && !allowNegative) throw new DurationError(`${where}: duration must be greater than 0`);
  if (s > MAX_SECONDS || s < -MAX_SECONDS) throw new DurationError(`${where}: duration is out of range`);
  return Math.trunc(s * 1000);
}

/**
 * Sets `range`, `step` and `originalOffset` (and `offset`, which the engine recomputes
 * afterwards) of every node that has a duration expression, evaluating `step()` and
 * `range()` from `ctx`. Constant expressions were already folded by the parser, but
 * are evaluated again here so that their errors (`duration must be greater than 0`,
 * `division by zero`) are reported when the query runs, as Prometheus does.
 * Mutates `root` in place; throws DurationError.
 */
export function resolveDurations(root: Expr, ctx: DurationContext): void {
  inspect(root, (n) => {
    if (n.type === 'VectorSelector' && n.originalOffsetExpr !== null) {
      n.originalOffset = evalDurationMs(n.originalOffsetExpr, ctx, true);
      n.offset = n.originalOffset;
    } else if (n.type === 'MatrixSelector' && n.rangeExpr !== null) {
      n.range = evalDurationMs(n.rangeExpr, ctx, false);
    } else if (n.type === 'SubqueryExpr') {
      if (n.originalOffsetExpr !== null) {
        n.originalOffset = evalDurationMs(n.originalOffsetExpr, ctx, true);
        n.offset = n.originalOffset;
      }
      if (n.stepExpr !== null) n.step = evalDurationMs(n.stepExpr, ctx, false);
      if (n.rangeExpr !== null) n.range = evalDurationMs(n.rangeExpr, ctx, false);
    }
    return true;
  });
}
