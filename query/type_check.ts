/**
 * Type checking of a parsed expression, as Prometheus's `checkAST`: function
 * argument types and counts, operand types, `bool` only on comparisons, set
 * operators only between vectors, selector sanity. Also finalises
 * `BinaryExpr.vectorMatching` (null unless both sides are instant vectors;
 * set operators become many-to-many).
 */
import { METRIC_NAME } from '../tsdb/labels.js';
import type { Expr, PosRange, ValueType } from './ast.js';
import { documentedType, isComparisonOp, isSetOp, typeOf } from './ast.js';
import { type BuildContext, fail } from './ast_builders.js';

function isSpace(c: string | undefined): boolean {
  return c === ' ' || c === '\t' || c === '\n' || c === '\r';
}

/** The operator's position between the operands, trimmed of spaces (Prometheus's `opRange`). */
function opRange(query: string, lhsEnd: number, rhsStart: number): PosRange {
  let s = lhsEnd;
  while (s < query.length && isSpace(query[s])) s++;
  let e = rhsStart - 1;
  while (e > s && isSpace(query[e])) e--;
  return { start: s, end: e };
}

function expectType(ctx: BuildContext, e: Expr, want: ValueType, context: string): void {
  const t = checkAST(ctx, e);
  if (t !== want) fail(ctx, e.posRange, `expected type ${documentedType(want)} in ${context}, got ${documentedType(t)}`);
}

/** Type-checks `node` recursively; returns its type. Throws ParseError on the first problem. */
export function checkAST(ctx: BuildContext, node: Expr): ValueType {
  const typ = typeOf(node);
  switch (node.type) {
    case 'AggregateExpr':
      expectType(ctx, node.expr, 'vector', 'aggregation expression');
      if (node.op === 'topk' || node.op === 'bottomk' || node.op === 'quantile' || node.op === 'limitk' || node.op === 'limit_ratio') {
        expectType(ctx, node.param!, 'scalar', 'aggregation parameter');
      }
      if (node.op === 'count_values') expectType(ctx, node.param!, 'string', 'aggregation parameter');
      break;
    case 'BinaryExpr': {
      const lt = checkAST(ctx, node.lhs);
      const rt = checkAST(ctx, node.rhs);
      const op = () => opRange(ctx.query, node.lhs.posRange.end, node.rhs.posRange.start);
      const vm = node.vectorMatching;
      if (node.returnBool && !isComparisonOp(node.op)) fail(ctx, op(), 'bool modifier can only be used on comparison operators');
      if (isComparisonOp(node.op) && !node.returnBool && lt === 'scalar' && rt === 'scalar') {
        fail(ctx, op(), 'comparisons between scalars must use BOOL modifier');
      }
      if (vm !== null) {
        if (isSetOp(node.op) && vm.card === 'one-to-one') vm.card = 'many-to-many';
        if (vm.on) {
          for (const l1 of vm.matchingLabels) {
            if (vm.include.includes(l1)) fail(ctx, op(), `label ${JSON.stringify(l1)} must not occur in ON and GROUP clause at once`);
          }
        }
      }
      if (lt !== 'scalar' && lt !== 'vector') fail(ctx, node.lhs.posRange, 'binary expression must contain only scalar and instant vector types');
      if (rt !== 'scalar' && rt !== 'vector') fail(ctx, node.rhs.posRange, 'binary expression must contain only scalar and instant vector types');
      if (vm !== null) {
        if (lt !== 'vector' || rt !== 'vector') {
          if (vm.matchingLabels.length > 0) fail(ctx, node.posRange, 'vector matching only allowed between instant vectors');
          if (vm.fillValues.lhs !== null || vm.fillValues.rhs !== null) {
            fail(ctx, node.posRange, 'filling in missing series only allowed between instant vectors');
          }
          node.vectorMatching = null;
        } else if (isSetOp(node.op)) {
          if (vm.card === 'one-to-many' || vm.card === 'many-to-one') fail(ctx, node.posRange, `no grouping allowed for ${JSON.stringify(node.op)} operation`);
          if (vm.card !== 'many-to-many') fail(ctx, node.posRange, 'set operations must always be many-to-many');
          if (vm.fillValues.lhs !== null || vm.fillValues.rhs !== null) fail(ctx, node.posRange, 'filling in missing series not allowed for set operators');
        }
      }
      if ((lt === 'scalar' || rt === 'scalar') && isSetOp(node.op)) {
        fail(ctx, node.posRange, `set operator ${JSON.stringify(node.op)} not allowed in binary scalar expression`);
      }
      break;
    }
    case 'Call': {
      const fn = node.func;
      const nargs = fn.argTypes.length;
      const got = node.args.length;
      if (fn.variadic === 0) {
        if (nargs !== got) fail(ctx, node.posRange, `expected ${nargs} argument(s) in call to ${JSON.stringify(fn.name)}, got ${got}`);
      } else {
        const na = nargs - 1;
        if (na > got) fail(ctx, node.posRange, `expected at least ${na} argument(s) in call to ${JSON.stringify(fn.name)}, got ${got}`);
        else if (fn.variadic > 0 && na + fn.variadic < got) {
          fail(ctx, node.posRange, `expected at most ${na + fn.variadic} argument(s) in call to ${JSON.stringify(fn.name)}, got ${got}`);
        }
      }
      if (fn.name === 'info' && got > 1) {
        const a1 = node.args[1]!;
        const t1 = typeOf(a1);
        if (t1 !== 'vector') fail(ctx, node.posRange, `expected type instant vector in call to function "info", got ${documentedType(t1)}`);
        if (a1.type === 'VectorSelector' && a1.name !== '') fail(ctx, a1.posRange, 'expected label selectors only, got vector selector instead');
        else if (a1.type === 'VectorSelector') a1.bypassEmptyMatcherCheck = true;
        else fail(ctx, a1.posRange, 'expected label selectors only');
      }
      for (let i = 0; i < got; i++) {
        let k = i;
        if (k >= nargs) {
          if (fn.variadic === 0) break;
          k = nargs - 1;
        }
        const want = fn.argTypes[k]!;
        const arg = node.args[i]!;
        const t = checkAST(ctx, arg);
        if (t !== want) fail(ctx, arg.posRange, `expected type ${documentedType(want)} in call to function ${JSON.stringify(fn.name)}, got ${documentedType(t)}`);
      }
      break;
    }
    case 'ParenExpr':
    case 'StepInvariantExpr':
      checkAST(ctx, node.expr);
      break;
    case 'UnaryExpr': {
      const t = checkAST(ctx, node.expr);
      if (t !== 'scalar' && t !== 'vector') {
        fail(ctx, node.posRange, `unary expression only allowed on expressions of type scalar or instant vector, got ${JSON.stringify(documentedType(t))}`);
      }
      break;
    }
    case 'SubqueryExpr': {
      const t = checkAST(ctx, node.expr);
      if (t !== 'vector') fail(ctx, node.posRange, `subquery is only allowed on instant vector, got ${t} instead`);
      break;
    }
    case 'MatrixSelector':
      checkAST(ctx, node.vectorSelector);
      break;
    case 'VectorSelector': {
      if (node.name !== '') {
        // The last matcher is the name given outside the braces.
        for (let i = 0; i < node.matchers.length - 1; i++) {
          const m = node.matchers[i]!;
          if (m.name === METRIC_NAME) fail(ctx, node.posRange, `metric name must not be set twice: ${JSON.stringify(node.name)} or ${JSON.stringify(m.value)}`);
        }
        break;
      }
      if (!node.bypassEmptyMatcherCheck && !node.matchers.some((m) => !m.matches(''))) {
        fail(ctx, node.posRange, 'vector selector must contain at least one non-empty matcher');
      }
      break;
    }
    case 'NumberLiteral':
    case 'StringLiteral':
      break;
  }
  return typ;
}
