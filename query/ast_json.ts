/**
 * The JSON form of a PromQL AST returned by `/api/v1/parse_query` (Prometheus 3's
 * `translateAST` in `web/api/v1/translate_ast.go`, used by the UI's tree view).
 */
import type { Matcher } from '../tsdb/matcher.js';
import type { DurationExpr, Expr, NumberLiteral } from './ast.js';
import { formatFloatF } from './format_float.js';

/** A JSON value. */
export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

function matchersJson(ms: readonly Matcher[]): Json {
  return ms.map((m) => ({ name: m.name, value: m.value, type: m.type }));
}

function durationJson(e: DurationExpr | NumberLiteral | null): Json {
  if (e === null) return null;
  if (e.type === 'NumberLiteral') return { type: 'numberLiteral', val: formatFloatF(e.val), duration: e.duration };
  return { type: 'durationExpr', op: e.op, lhs: durationJson(e.lhs), rhs: durationJson(e.rhs), wrapped: e.wrapped };
}

/** The tree-view JSON of `e`. */
export function astToJson(e: Expr): Json {
  switch (e.type) {
    case 'AggregateExpr':
      return {
        type: 'aggregation',
        op: e.op,
        expr: astToJson(e.expr),
        param: e.param === null ? null : astToJson(e.param),
        grouping: e.grouping,
        without: e.without,
      };
    case 'BinaryExpr': {
      const m = e.vectorMatching;
      return {
        type: 'binaryExpr',
        op: e.op,
        lhs: astToJson(e.lhs),
        rhs: astToJson(e.rhs),
        matching:
          m === null
            ? null
            : { card: m.card, labels: m.matchingLabels, on: m.on, include: m.include, fillValues: { lhs: m.fillValues.lhs, rhs: m.fillValues.rhs } },
        bool: e.returnBool,
      };
    }
    case 'Call':
      return {
        type: 'call',
        func: { name: e.func.name, argTypes: [...e.func.argTypes], variadic: e.func.variadic, returnType: e.func.returnType },
        args: e.args.map(astToJson),
      };
    case 'MatrixSelector': {
      const vs = e.vectorSelector;
      return {
        type: 'matrixSelector',
        name: vs.name,
        range: e.range,
        rangeExpr: durationJson(e.rangeExpr),
        offset: vs.originalOffset,
        offsetExpr: durationJson(vs.originalOffsetExpr),
        matchers: matchersJson(vs.matchers),
        timestamp: vs.timestamp,
        startOrEnd: vs.startOrEnd,
        anchored: vs.anchored,
        smoothed: vs.smoothed,
      };
    }
    case 'SubqueryExpr':
      return {
        type: 'subquery',
        expr: astToJson(e.expr),
        range: e.range,
        rangeExpr: durationJson(e.rangeExpr),
        offset: e.originalOffset,
        offsetExpr: durationJson(e.originalOffsetExpr),
        step: e.step,
        stepExpr: durationJson(e.stepExpr),
        timestamp: e.timestamp,
        startOrEnd: e.startOrEnd,
      };
    case 'NumberLiteral':
      return { type: 'numberLiteral', val: formatFloatF(e.val) };
    case 'ParenExpr':
      return { type: 'parenExpr', expr: astToJson(e.expr) };
    case 'StringLiteral':
      return { type: 'stringLiteral', val: e.val };
    case 'UnaryExpr':
      return { type: 'unaryExpr', op: e.op, expr: astToJson(e.expr) };
    case 'VectorSelector':
      return {
        type: 'vectorSelector',
        name: e.name,
        offset: e.originalOffset,
        offsetExpr: durationJson(e.originalOffsetExpr),
        matchers: matchersJson(e.matchers),
        timestamp: e.timestamp,
        startOrEnd: e.startOrEnd,
        anchored: e.anchored,
        smoothed: e.smoothed,
      };
    case 'StepInvariantExpr':
      return astToJson(e.expr);
  }
}
