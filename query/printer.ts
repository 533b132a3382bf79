/**
 * Formats an AST back to PromQL, as Prometheus's `String()` (canonical, one line:
 * `formatExpr`) and `Pretty()` (lines over 100 characters split and indented:
 * `prettyExpr`, the `/api/v1/format_query` output). Parsing the output of either
 * yields an equal AST.
 */
import { isValidLegacyLabelName } from '../tsdb/labels.js';
import type { Matcher } from '../tsdb/matcher.js';
import type { AggregateExpr, BinaryExpr, DurationExpr, Expr, NumberLiteral, StartOrEnd, SubqueryExpr, VectorSelector } from './ast.js';
import { formatFloatE, formatFloatF } from './format_float.js';
import { formatDuration, goRound } from './literals.js';
import { goQuote } from './unquote.js';

const MAX_LINE = 100;

function writeLabels(ls: readonly string[]): string {
  return ls.map((l) => (isValidLegacyLabelName(l) ? l : goQuote(l))).join(', ');
}

function shouldQuoteName(name: string): boolean {
  if (name.length === 0) return true;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c === 95 || (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (i > 0 && c >= 48 && c <= 57)) continue;
    return true;
  }
  return false;
}

/** A matcher as Prometheus prints it: `job=~"api"`, `"a.b"="x"`. */
export function formatMatcher(m: Matcher): string {
  return (shouldQuoteName(m.name) ? goQuote(m.name) : m.name) + m.type + goQuote(m.value);
}

function formatNumber(n: NumberLiteral): string {
  if (n.duration) {
    const ms = goRound(n.val * 1000);
    return ms < 0 ? '-' + formatDuration(-ms) : formatDuration(ms);
  }
  return formatFloatF(n.val);
}

function durationOperand(e: DurationExpr | NumberLiteral): string {
  return e.type === 'NumberLiteral' ? formatNumber(e) : formatDurationExpr(e);
}

/** A duration expression as Prometheus's `DurationExpr.String()`. */
export function formatDurationExpr(e: DurationExpr): string {
  let s: string;
  switch (e.op) {
    case 'step':
      s = 'step()';
      break;
    case 'range':
      s = 'range()';
      break;
    case 'min_of':
    case 'max_of':
      s = `${e.op}(${durationOperand(e.lhs!)}, ${durationOperand(e.rhs!)})`;
      break;
    default:
      if (e.lhs === null) s = e.op === '-' ? '-' + durationOperand(e.rhs!) : durationOperand(e.rhs!);
      else s = `${durationOperand(e.lhs)} ${e.op} ${durationOperand(e.rhs!)}`;
  }
  return e.wrapped ? `(${s})` : s;
}

function atString(timestamp: number | null, startOrEnd: StartOrEnd): string {
  if (timestamp !== null) return ` @ ${(timestamp / 1000).toFixed(3)}`;
  if (startOrEnd === 'start') return ' @ start()';
  if (startOrEnd === 'end') return ' @ end()';
  return '';
}

function offsetString(ms: number, expr: DurationExpr | null): string {
  if (expr !== null) return ` offset ${formatDurationExpr(expr)}`;
  if (ms > 0) return ` offset ${formatDuration(ms)}`;
  if (ms < 0) return ` offset -${formatDuration(-ms)}`;
  return '';
}

function selectorBody(vs: VectorSelector): string {
  const parts: string[] = [];
  for (const m of vs.matchers) {
    if (m.name === '__name__' && m.type === '=' && m.value === vs.name && m.value !== '') continue;
    parts.push(formatMatcher(m));
  }
  parts.sort();
  return parts.length === 0 ? vs.name : `${vs.name}{${parts.join(',')}}`;
}

function rangeModifier(vs: VectorSelector): string {
  if (vs.anchored) return ' anchored';
  if (vs.smoothed) return ' smoothed';
  return '';
}

function matchingString(e: BinaryExpr): string {
  const vm = e.vectorMatching;
  if (vm === null) return '';
  let s = '';
  const grouped = vm.card === 'many-to-one' || vm.card === 'one-to-many';
  if (vm.matchingLabels.length > 0 || vm.on || grouped) s += ` ${vm.on ? 'on' : 'ignoring'} (${writeLabels(vm.matchingLabels)})`;
  if (grouped) s += ` group_${vm.card === 'many-to-one' ? 'left' : 'right'} (${writeLabels(vm.include)})`;
  const { lhs, rhs } = vm.fillValues;
  if (lhs !== null || rhs !== null) {
    if (lhs !== null && rhs !== null && lhs === rhs) s += ` fill (${goNumber(lhs)})`;
    else {
      if (lhs !== null) s += ` fill_left (${goNumber(lhs)})`;
      if (rhs !== null) s += ` fill_right (${goNumber(rhs)})`;
    }
  }
  return s;
}

/** Go's `%v` of a float64 (used for fill values): shortest digits, `%e` form when the exponent is < -4 or >= 6. */
function goNumber(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? '+Inf' : '-Inf';
  if (v === 0) return '0';
  const exp = Number(v.toExponential().split('e')[1]);
  return exp < -4 || exp >= 6 ? formatFloatE(v) : formatFloatF(v);
}

function aggOpString(e: AggregateExpr): string {
  if (e.without) return `${e.op} without (${writeLabels(e.grouping)}) `;
  if (e.grouping.length > 0) return `${e.op} by (${writeLabels(e.grouping)}) `;
  return e.op;
}

function subquerySuffix(e: SubqueryExpr): string {
  const step = e.stepExpr !== null ? formatDurationExpr(e.stepExpr) : e.step !== 0 ? formatDuration(e.step) : '';
  const range = e.rangeExpr !== null ? formatDurationExpr(e.rangeExpr) : formatDuration(e.range);
  return `[${range}:${step}]${atString(e.timestamp, e.startOrEnd)}${offsetString(e.originalOffset, e.originalOffsetExpr)}`;
}

/** Canonical single-line PromQL for `e` (Prometheus's `Expr.String()`). */
export function formatExpr(e: Expr): string {
  switch (e.type) {
    case 'NumberLiteral':
      return formatNumber(e);
    case 'StringLiteral':
      return goQuote(e.val);
    case 'VectorSelector':
      return selectorBody(e) + atString(e.timestamp, e.startOrEnd) + rangeModifier(e) + offsetString(e.originalOffset, e.originalOffsetExpr);
    case 'MatrixSelector': {
      const vs = e.vectorSelector;
      const range = e.rangeExpr !== null ? formatDurationExpr(e.rangeExpr) : formatDuration(e.range);
      return `${selectorBody(vs)}[${range}]${rangeModifier(vs)}${atString(vs.timestamp, vs.startOrEnd)}${offsetString(vs.originalOffset, vs.originalOffsetExpr)}`;
    }
    case 'SubqueryExpr':
      return formatExpr(e.expr) + subquerySuffix(e);
    case 'ParenExpr':
      return `(${formatExpr(e.expr)})`;
    case 'UnaryExpr':
      return e.op + formatExpr(e.expr);
    case 'BinaryExpr':
      return `${formatExpr(e.lhs)} ${e.op}${e.returnBool ? ' bool' : ''}${matchingString(e)} ${formatExpr(e.rhs)}`;
    case 'Call':
      return `${e.func.name}(${e.args.map(formatExpr).join(', ')})`;
    case 'AggregateExpr':
      return `${aggOpString(e)}(${e.param !== null ? formatExpr(e.param) + ', ' : ''}${formatExpr(e.expr)})`;
    case 'StepInvariantExpr':
      return formatExpr(e.expr);
  }
}

function indent(level: number): string {
  return '  '.repeat(level);
}

/** Prettified PromQL (Prometheus's `Pretty(level)`), used by `/api/v1/format_query`. */
export function prettyExpr(e: Expr, level = 0): string {
  const flat = formatExpr(e);
  const split = flat.length > MAX_LINE;
  switch (e.type) {
    case 'AggregateExpr': {
      if (!split) return indent(level) + flat;
      let s = `${indent(level)}${aggOpString(e)}(\n`;
      if (e.param !== null) s += `${prettyExpr(e.param, level + 1)},\n`;
      return `${s}${prettyExpr(e.expr, level + 1)}\n${indent(level)})`;
    }
    case 'BinaryExpr':
      if (!split) return indent(level) + flat;
      return `${prettyExpr(e.lhs, level + 1)}\n${indent(level)}${e.op}${e.returnBool ? ' bool' : ''}${matchingString(e)}\n${prettyExpr(e.rhs, level + 1)}`;
    case 'Call':
      if (!split) return indent(level) + flat;
      return `${indent(level)}${e.func.name}(\n${e.args.map((a) => prettyExpr(a, level + 1)).join(',\n')}\n${indent(level)})`;
    case 'ParenExpr':
      if (!split) return indent(level) + flat;
      return `${indent(level)}(\n${prettyExpr(e.expr, level + 1)}\n${indent(level)})`;
    case 'StepInvariantExpr':
      return prettyExpr(e.expr, level);
    case 'SubqueryExpr':
      if (!split) return flat;
      return prettyExpr(e.expr, level) + subquerySuffix(e);
    case 'UnaryExpr':
      return indent(level) + e.op + prettyExpr(e.expr, level).trim();
    default:
      return indent(level) + flat;
  }
}
