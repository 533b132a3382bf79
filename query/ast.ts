/**
 * The PromQL abstract syntax tree, mirroring Prometheus's `promql/parser/ast.go`.
 *
 * Every node is a plain object with a `type` discriminant and a `posRange`
 * (character offsets into the query string, `start` inclusive, `end` exclusive).
 * All durations and timestamps are milliseconds. Nodes are mutable on purpose:
 * the engine fills `offset` (from `originalOffset` and `@`), resolves duration
 * expressions (`resolveDurations` in query/durations.ts) and wraps step-invariant
 * subtrees in `StepInvariantExpr`, as Prometheus's engine does in `PreprocessExpr`.
 *
 * Node constructors (`new…`) set every field so that shapes stay monomorphic.
 */
import type { Matcher } from '../tsdb/matcher.js';
import type { FunctionDef } from './functions.js';

/** The type an expression evaluates to (`none` only for internal use, as in Prometheus). */
export type ValueType = 'scalar' | 'vector' | 'matrix' | 'string';

/** A half-open range of character offsets `[start, end)` in the query string. */
export interface PosRange {
  start: number;
  end: number;
}

/**
 * Binary operators, spelled as in PromQL. `atan2`, `and`, `or`, `unless` are keywords.
 * `</` and `>/` are Prometheus's experimental native-histogram trim operators (comparison precedence).
 */
export type BinaryOp =
  | '+'
  | '-'
  | '*'
  | '/'
  | '%'
  | '^'
  | 'atan2'
  | '=='
  | '!='
  | '<'
  | '<='
  | '>'
  | '>='
  | '</'
  | '>/'
  | 'and'
  | 'or'
  | 'unless';

/** Aggregation operators. `limitk` and `limit_ratio` are experimental in Prometheus. */
export type AggregateOp =
  | 'sum'
  | 'avg'
  | 'count'
  | 'min'
  | 'max'
  | 'group'
  | 'stddev'
  | 'stdvar'
  | 'topk'
  | 'bottomk'
  | 'quantile'
  | 'count_values'
  | 'limitk'
  | 'limit_ratio';

/** `@ start()` / `@ end()`, or null when `@` is absent or has a literal timestamp. */
export type StartOrEnd = 'start' | 'end' | null;

export interface NumberLiteral {
  type: 'NumberLiteral';
  val: number;
  /** True when the literal was written as a duration (`5m`) where a number was expected; only affects printing. */
  duration: boolean;
  posRange: PosRange;
}

export interface StringLiteral {
  type: 'StringLiteral';
  val: string;
  posRange: PosRange;
}

export interface VectorSelector {
  type: 'VectorSelector';
  /** The metric name if one was given (bare or quoted), else `''`. */
  name: string;
  /** All matchers, including the `__name__` equality matcher for the name. */
  matchers: Matcher[];
  /** The `offset` written in the query (ms, may be negative). */
  originalOffset: number;
  /** The offset written as a duration expression (`offset (1h + step())`), for printing and late resolution. */
  originalOffsetExpr: DurationExpr | null;
  /** The offset the engine uses (ms); set by the engine, the parser copies `originalOffset`. */
  offset: number;
  /** `@` timestamp (ms), or null. With `@ start()`/`@ end()` the engine fills this in. */
  timestamp: number | null;
  startOrEnd: StartOrEnd;
  /** Experimental `anchored` range modifier (only meaningful under a MatrixSelector). */
  anchored: boolean;
  /** Experimental `smoothed` range modifier (only meaningful under a MatrixSelector). */
  smoothed: boolean;
  /** True for the second argument of `info()`, which may match the empty string everywhere. */
  bypassEmptyMatcherCheck: boolean;
  posRange: PosRange;
}

export interface MatrixSelector {
  type: 'MatrixSelector';
  vectorSelector: VectorSelector;
  /** Range (ms, > 0). */
  range: number;
  /** The range written as a duration expression (`x[5m * 2]`), or null. */
  rangeExpr: DurationExpr | null;
  posRange: PosRange;
}

export interface SubqueryExpr {
  type: 'SubqueryExpr';
  expr: Expr;
  /** Range (ms). */
  range: number;
  rangeExpr: DurationExpr | null;
  /** Resolution (ms); 0 means the default evaluation interval. */
  step: number;
  stepExpr: DurationExpr | null;
  originalOffset: number;
  originalOffsetExpr: DurationExpr | null;
  /** Set by the engine; the parser copies `originalOffset`. */
  offset: number;
  timestamp: number | null;
  startOrEnd: StartOrEnd;
  posRange: PosRange;
}

export interface ParenExpr {
  type: 'ParenExpr';
  expr: Expr;
  posRange: PosRange;
}

export interface UnaryExpr {
  type: 'UnaryExpr';
  op: '+' | '-';
  expr: Expr;
  posRange: PosRange;
}

/** `fill(v)` / `fill_left(v)` / `fill_right(v)` values (experimental); null = no fill on that side. */
export interface FillValues {
  lhs: number | null;
  rhs: number | null;
}

export interface VectorMatching {
  card: 'one-to-one' | 'many-to-one' | 'one-to-many' | 'many-to-many';
  /** Labels of `on(...)` / `ignoring(...)`. */
  matchingLabels: string[];
  /** True for `on`, false for `ignoring` (or no clause). */
  on: boolean;
  /** Labels of `group_left(...)` / `group_right(...)`. */
  include: string[];
  fillValues: FillValues;
}

export interface BinaryExpr {
  type: 'BinaryExpr';
  op: BinaryOp;
  lhs: Expr;
  rhs: Expr;
  returnBool: boolean;
  /** Non-null exactly when both operands are instant vectors (as in Prometheus after checkAST). */
  vectorMatching: VectorMatching | null;
  posRange: PosRange;
}

export interface Call {
  type: 'Call';
  func: FunctionDef;
  args: Expr[];
  posRange: PosRange;
}

export interface AggregateExpr {
  type: 'AggregateExpr';
  op: AggregateOp;
  expr: Expr;
  /** The parameter of topk/bottomk/quantile/count_values/limitk/limit_ratio, else null. */
  param: Expr | null;
  grouping: string[];
  without: boolean;
  posRange: PosRange;
}

/** Marks a subtree whose value does not depend on the evaluation step (engine use only). */
export interface StepInvariantExpr {
  type: 'StepInvariantExpr';
  expr: Expr;
  posRange: PosRange;
}

/** Duration-expression operators; `step`/`range` are the nullary `step()`/`range()`. */
export type DurationOp = '+' | '-' | '*' | '/' | '%' | '^' | 'step' | 'range' | 'min_of' | 'max_of';

/**
 * An arithmetic expression over durations (seconds), used only inside ranges, steps
 * and offsets. `lhs` is null for unary `+`/`-` and for `step()`/`range()`; `rhs` is
 * null for `step()`/`range()`. Leaves are NumberLiterals holding seconds.
 */
export interface DurationExpr {
  type: 'DurationExpr';
  op: DurationOp;
  lhs: DurationExpr | NumberLiteral | null;
  rhs: DurationExpr | NumberLiteral | null;
  /** Written in parentheses. */
  wrapped: boolean;
  posRange: PosRange;
}

export type Expr =
  | NumberLiteral
  | StringLiteral
  | VectorSelector
  | MatrixSelector
  | SubqueryExpr
  | ParenExpr
  | UnaryExpr
  | BinaryExpr
  | Call
  | AggregateExpr
  | StepInvariantExpr;

/** The type an expression evaluates to (Prometheus's `Expr.Type()`). */
export function typeOf(e: Expr): ValueType {
  switch (e.type) {
    case 'NumberLiteral':
      return 'scalar';
    case 'StringLiteral':
      return 'string';
    case 'VectorSelector':
    case 'AggregateExpr':
      return 'vector';
    case 'MatrixSelector':
    case 'SubqueryExpr':
      return 'matrix';
    case 'ParenExpr':
    case 'UnaryExpr':
    case 'StepInvariantExpr':
      return typeOf(e.expr);
    case 'Call':
      return e.func.returnType;
    case 'BinaryExpr':
      return typeOf(e.lhs) === 'scalar' && typeOf(e.rhs) === 'scalar' ? 'scalar' : 'vector';
  }
}

/** User-facing type names, as in Prometheus's `DocumentedType`. */
export function documentedType(t: ValueType): string {
  if (t === 'vector') return 'instant vector';
  if (t === 'matrix') return 'range vector';
  return t;
}

/** Whether `op` is a comparison operator (`==`, `!=`, `<`, `<=`, `>`, `>=`). */
export function isComparisonOp(op: BinaryOp): boolean {
  return op === '==' || op === '!=' || op === '<' || op === '<=' || op === '>' || op === '>=';
}

/** Whether `op` is a set operator (`and`, `or`, `unless`). */
export function isSetOp(op: BinaryOp): boolean {
  return op === 'and' || op === 'or' || op === 'unless';
}

/** The direct child expressions of a node, in source order (duration expressions excluded). */
export function children(e: Expr): Expr[] {
  switch (e.type) {
    case 'NumberLiteral':
    case 'StringLiteral':
    case 'VectorSelector':
      return [];
    case 'MatrixSelector':
      return [e.vectorSelector];
    case 'SubqueryExpr':
    case 'ParenExpr':
    case 'UnaryExpr':
    case 'StepInvariantExpr':
      return [e.expr];
    case 'BinaryExpr':
      return [e.lhs, e.rhs];
    case 'Call':
      return e.args;
    case 'AggregateExpr':
      return e.param === null ? [e.expr] : [e.param, e.expr];
  }
}

/**
 * Depth-first pre-order walk. `visit` receives each node and the path of its
 * ancestors (outermost first; the array is reused, copy it to keep it).
 * Returning `false` from `visit` skips the node's children.
 */
export function inspect(root: Expr, visit: (node: Expr, path: readonly Expr[]) => boolean | undefined): void {
  const path: Expr[] = [];
  const rec = (n: Expr): void => {
    if (visit(n, path) === false) return;
    path.push(n);
    for (const c of children(n)) rec(c);
    path.pop();
  };
  rec(root);
}

/** The matchers of every vector selector in the expression, in source order. */
export function extractSelectors(root: Expr): Matcher[][] {
  const out: Matcher[][] = [];
  inspect(root, (n) => {
    if (n.type === 'VectorSelector') out.push(n.matchers);
    return true;
  });
  return out;
}
