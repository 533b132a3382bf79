/**
 * Constructors for AST nodes and the grammar actions of Prometheus's parser
 * (`newBinaryExpression`, `addOffset`, `setTimestamp`, `newAggregateExpr`, …).
 * Every constructor sets every field, so node shapes stay monomorphic.
 * Semantic errors are thrown as ParseError via the `fail` callback of `BuildContext`.
 */
import { METRIC_NAME } from '../tsdb/labels.js';
import { Matcher, MatchType, RegexpError } from '../tsdb/matcher.js';
import type {
  AggregateExpr,
  AggregateOp,
  BinaryExpr,
  BinaryOp,
  Call,
  DurationExpr,
  DurationOp,
  Expr,
  FillValues,
  MatrixSelector,
  NumberLiteral,
  PosRange,
  StringLiteral,
  SubqueryExpr,
  VectorMatching,
  VectorSelector,
} from './ast.js';
import { dependsOnQuery, evalDurationMs } from './durations.js';
import { goRound } from './literals.js';
import { ParseError } from './errors.js';
import type { FunctionDef } from './functions.js';

/** Parser feature switches (Prometheus's `parser.Options`). All default to enabled. */
export interface ParseOptions {
  /** Experimental functions and `limitk`/`limit_ratio`. Default true. */
  enableExperimentalFunctions?: boolean;
  /** Duration expressions (`[5m * 2]`, `offset (1h + step())`). Default true. */
  enableDurationExpressions?: boolean;
  /** `anchored` / `smoothed` range modifiers. Default true. */
  enableExtendedRangeSelectors?: boolean;
  /** `fill()`, `fill_left()`, `fill_right()` binary operator modifiers. Default true. */
  enableBinopFillModifiers?: boolean;
}

/** The options with Prometheus 3's test-suite defaults filled in (everything enabled). */
export function defaultOptions(o: ParseOptions): Required<ParseOptions> {
  return {
    enableExperimentalFunctions: o.enableExperimentalFunctions ?? true,
    enableDurationExpressions: o.enableDurationExpressions ?? true,
    enableExtendedRangeSelectors: o.enableExtendedRangeSelectors ?? true,
    enableBinopFillModifiers: o.enableBinopFillModifiers ?? true,
  };
}

/** What grammar actions need: the query (for errors) and the options. */
export interface BuildContext {
  query: string;
  opts: Required<ParseOptions>;
}

export function fail(ctx: BuildContext, pos: PosRange, detail: string): never {
  throw new ParseError(ctx.query, pos, detail);
}

export function pr(start: number, end: number): PosRange {
  return { start, end };
}

export function numberLit(val: number, duration: boolean, pos: PosRange): NumberLiteral {
  return { type: 'NumberLiteral', val, duration, posRange: pos };
}

export function stringLit(val: string, pos: PosRange): StringLiteral {
  return { type: 'StringLiteral', val, posRange: pos };
}

export function durationExpr(
  op: DurationOp,
  lhs: DurationExpr | NumberLiteral | null,
  rhs: DurationExpr | NumberLiteral | null,
  pos: PosRange,
): DurationExpr {
  return { type: 'DurationExpr', op, lhs, rhs, wrapped: false, posRange: pos };
}

/** Parenthesised duration: marks a DurationExpr wrapped, or wraps a literal in unary `+`. */
export function wrapDuration(e: DurationExpr | NumberLiteral, pos: PosRange): DurationExpr {
  if (e.type === 'DurationExpr') {
    e.wrapped = true;
    e.posRange = pos;
    return e;
  }
  const d = durationExpr('+', null, e, pos);
  d.wrapped = true;
  return d;
}

/** Prometheus's `durationLiteralOutOfRange`: seconds beyond ±2^63 ns. */
export function durationOutOfRange(sec: number): boolean {
  return sec > 2 ** 63 / 1e9 || sec < -(2 ** 63) / 1e9;
}

/** Applies unary +/- to a duration expression (Prometheus's `applyUnaryOpToDurationExpr`). */
export function unaryDuration(ctx: BuildContext, op: '+' | '-', opStart: number, e: DurationExpr | NumberLiteral): DurationExpr | NumberLiteral {
  if (e.type === 'DurationExpr') {
    if (op === '-') return durationExpr('-', null, e, pr(opStart, e.posRange.end));
    return e;
  }
  if (op === '-') e.val = -e.val;
  if (durationOutOfRange(e.val)) fail(ctx, pr(opStart, opStart + 1), 'duration out of range');
  e.posRange = pr(opStart, e.posRange.end);
  return e;
}

/** A vector selector with `matchers` (the name matcher appended last when `name` is set). */
export function vectorSelector(name: string, matchers: Matcher[], pos: PosRange): VectorSelector {
  if (name !== '') matchers.push(new Matcher(MatchType.Equal, METRIC_NAME, name));
  return {
    type: 'VectorSelector',
    name,
    matchers,
    originalOffset: 0,
    originalOffsetExpr: null,
    offset: 0,
    timestamp: null,
    startOrEnd: null,
    anchored: false,
    smoothed: false,
    bypassEmptyMatcherCheck: false,
    posRange: pos,
  };
}

// Regex matchers are immutable and compiling RE2 dominates parse time, while dashboards
// repeat the same matchers on every refresh: share them through a bounded cache.
const REGEX_CACHE_MAX = 4096;
const regexCache = new Map<string, Matcher>();

/** Builds a matcher (regex matchers shared from a bounded cache), turning a bad regex into a ParseError over `pos`. */
export function newMatcher(ctx: BuildContext, type: MatchType, name: string, value: string, pos: PosRange): Matcher {
  if (type === MatchType.Equal || type === MatchType.NotEqual) return new Matcher(type, name, value);
  const key = `${type}\u0000${name}\u0000${value}`;
  const hit = regexCache.get(key);
  if (hit !== undefined) return hit;
  let m: Matcher;
  try {
    m = new Matcher(type, name, value);
  } catch (e) {
    if (e instanceof RegexpError) fail(ctx, pos, e.message);
    throw e;
  }
  if (regexCache.size >= REGEX_CACHE_MAX) regexCache.clear();
  regexCache.set(key, m);
  return m;
}

/** The binary-operator modifiers between an operator and its right operand. */
export interface BinModifiers {
  returnBool: boolean;
  card: VectorMatching['card'];
  on: boolean;
  matchingLabels: string[];
  include: string[];
  fill: FillValues;
  /** `group_left`/`group_right` without a label list (the parser checks what follows). */
  bareGroup: boolean;
}

export function newBinary(ctx: BuildContext, op: BinaryOp, lhs: Expr, rhs: Expr, m: BinModifiers): BinaryExpr {
  const e: BinaryExpr = {
    type: 'BinaryExpr',
    op,
    lhs,
    rhs,
    returnBool: m.returnBool,
    vectorMatching: { card: m.card, matchingLabels: m.matchingLabels, on: m.on, include: m.include, fillValues: m.fill },
    posRange: pr(lhs.posRange.start, rhs.posRange.end),
  };
  if (!ctx.opts.enableBinopFillModifiers && (m.fill.lhs !== null || m.fill.rhs !== null)) {
    fail(ctx, e.posRange, 'binop fill modifiers are experimental and not enabled');
  }
  return e;
}

export function newCall(ctx: BuildContext, fn: FunctionDef | undefined, name: string, namePos: PosRange, args: Expr[], end: number): Call {
  if (fn === undefined) fail(ctx, namePos, `unknown function with name ${JSON.stringify(name)}`);
  if (fn.experimental && !ctx.opts.enableExperimentalFunctions) fail(ctx, namePos, `function ${JSON.stringify(name)} is not enabled`);
  return { type: 'Call', func: fn, args, posRange: pr(namePos.start, end) };
}

const WITH_PARAM = new Set(['topk', 'bottomk', 'count_values', 'quantile', 'limitk', 'limit_ratio']);

export function newAggregate(ctx: BuildContext, op: AggregateOp, grouping: string[], without: boolean, args: Expr[], pos: PosRange): AggregateExpr {
  if (args.length === 0) fail(ctx, pos, 'no arguments for aggregate expression provided');
  let want = 1;
  let param: Expr | null = null;
  if (WITH_PARAM.has(op)) {
    if (!ctx.opts.enableExperimentalFunctions && (op === 'limitk' || op === 'limit_ratio')) {
      fail(ctx, pos, `${op}() is experimental and must be enabled with --enable-feature=promql-experimental-functions`);
    }
    want = 2;
    param = args[0]!;
  }
  if (args.length !== want) fail(ctx, pos, `wrong number of arguments for aggregate expression provided, expected ${want}, got ${args.length}`);
  return { type: 'AggregateExpr', op, expr: args[want - 1]!, param, grouping, without, posRange: pos };
}

/** Milliseconds of a literal duration in seconds, as Go's `time.Duration(math.Round(v*1e9))` truncated to ms. */
export function secondsToMs(sec: number): number {
  return Math.trunc(goRound(sec * 1e9) / 1e6);
}

/** Range/step/offset value from a parsed duration: literal ms, or folded expression (0 if it needs the query). */
function foldDuration(e: DurationExpr, allowNegative: boolean): number {
  if (dependsOnQuery(e)) return 0;
  try {
    return evalDurationMs(e, { stepMs: 0, rangeMs: 0 }, allowNegative);
  } catch {
    return 0; // The engine's resolveDurations reports it when the query runs.
  }
}

function checkPositive(ctx: BuildContext, d: DurationExpr | NumberLiteral): void {
  if (d.type === 'NumberLiteral' && d.val <= 0) fail(ctx, d.posRange, 'duration must be greater than 0');
}

export function newMatrix(ctx: BuildContext, e: Expr, range: DurationExpr | NumberLiteral, bracketPos: PosRange): MatrixSelector {
  checkPositive(ctx, range);
  let msg = '';
  if (e.type !== 'VectorSelector') msg = 'ranges only allowed for vector selectors';
  else if (e.originalOffset !== 0 || e.originalOffsetExpr !== null) msg = 'no offset modifiers allowed before range';
  else if (e.timestamp !== null || e.startOrEnd !== null) msg = 'no @ modifiers allowed before range';
  if (msg !== '') fail(ctx, bracketPos, msg);
  const vs = e as VectorSelector;
  return {
    type: 'MatrixSelector',
    vectorSelector: vs,
    range: range.type === 'NumberLiteral' ? secondsToMs(range.val) : foldDuration(range, false),
    rangeExpr: range.type === 'DurationExpr' ? range : null,
    posRange: pr(vs.posRange.start, bracketPos.end),
  };
}

export function newSubquery(
  ctx: BuildContext,
  e: Expr,
  range: DurationExpr | NumberLiteral,
  step: DurationExpr | NumberLiteral | null,
  end: number,
): SubqueryExpr {
  checkPositive(ctx, range);
  if (step !== null) checkPositive(ctx, step);
  return {
    type: 'SubqueryExpr',
    expr: e,
    range: range.type === 'NumberLiteral' ? secondsToMs(range.val) : foldDuration(range, false),
    rangeExpr: range.type === 'DurationExpr' ? range : null,
    step: step === null ? 0 : step.type === 'NumberLiteral' ? secondsToMs(step.val) : foldDuration(step, false),
    stepExpr: step !== null && step.type === 'DurationExpr' ? step : null,
    originalOffset: 0,
    originalOffsetExpr: null,
    offset: 0,
    timestamp: null,
    startOrEnd: null,
    posRange: pr(e.posRange.start, end),
  };
}

/** Prometheus's `addOffset`/`addOffsetExpr`; `end` is the end of the offset clause. */
export function addOffset(ctx: BuildContext, e: Expr, d: DurationExpr | NumberLiteral, end: number): void {
  let target: VectorSelector | SubqueryExpr;
  if (e.type === 'VectorSelector') target = e;
  else if (e.type === 'MatrixSelector') target = e.vectorSelector;
  else if (e.type === 'SubqueryExpr') target = e;
  else fail(ctx, e.posRange, 'offset modifier must be preceded by an instant vector selector or range vector selector or a subquery');
  if (target.originalOffset !== 0 || target.originalOffsetExpr !== null) fail(ctx, e.posRange, 'offset may not be set multiple times');
  if (d.type === 'NumberLiteral') {
    if (durationOutOfRange(d.val)) fail(ctx, d.posRange, 'duration out of range');
    target.originalOffset = secondsToMs(d.val);
  } else {
    target.originalOffsetExpr = d;
    target.originalOffset = foldDuration(d, true);
  }
  target.offset = target.originalOffset;
  e.posRange = pr(e.posRange.start, end);
}

function atTarget(ctx: BuildContext, e: Expr): VectorSelector | SubqueryExpr {
  let target: VectorSelector | SubqueryExpr;
  if (e.type === 'VectorSelector') target = e;
  else if (e.type === 'MatrixSelector') target = e.vectorSelector;
  else if (e.type === 'SubqueryExpr') target = e;
  else fail(ctx, e.posRange, '@ modifier must be preceded by an instant vector selector or range vector selector or a subquery');
  if (target.timestamp !== null || target.startOrEnd !== null) fail(ctx, e.posRange, '@ <timestamp> may not be set multiple times');
  return target;
}

/** Go's `%f` of a float64. */
function goFixed6(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? '+Inf' : '-Inf';
  return v.toFixed(6);
}

/** `@ <seconds>`: Prometheus's `setTimestamp`. */
export function setTimestamp(ctx: BuildContext, e: Expr, seconds: number, end: number): void {
  if (!Number.isFinite(seconds) || seconds >= 2 ** 63 || seconds <= -(2 ** 63)) {
    fail(ctx, e.posRange, `timestamp out of bounds for @ modifier: ${goFixed6(seconds)}`);
  }
  const target = atTarget(ctx, e);
  target.timestamp = goRound(seconds * 1000);
  e.posRange = pr(e.posRange.start, end);
}

/** `@ start()` / `@ end()`. */
export function setStartOrEnd(ctx: BuildContext, e: Expr, which: 'start' | 'end', end: number): void {
  const target = atTarget(ctx, e);
  target.startOrEnd = which;
  e.posRange = pr(e.posRange.start, end);
}

/** `anchored` / `smoothed` (Prometheus's `setAnchored`/`setSmoothed`). */
export function setRangeModifier(ctx: BuildContext, e: Expr, which: 'anchored' | 'smoothed', end: number): void {
  if (!ctx.opts.enableExtendedRangeSelectors) fail(ctx, e.posRange, `${which} modifier is experimental and not enabled`);
  let vs: VectorSelector;
  if (e.type === 'VectorSelector') vs = e;
  else if (e.type === 'MatrixSelector') vs = e.vectorSelector;
  else if (e.type === 'SubqueryExpr') fail(ctx, e.posRange, `${which} modifier is not supported for subqueries`);
  else fail(ctx, e.posRange, `${which} modifier not implemented`);
  if (which === 'anchored') vs.anchored = true;
  else vs.smoothed = true;
  if (vs.anchored && vs.smoothed) fail(ctx, e.posRange, 'anchored and smoothed modifiers cannot be used together');
  e.posRange = pr(e.posRange.start, end);
}
