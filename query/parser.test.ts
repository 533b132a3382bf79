import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Expr } from './ast.js';
import { ParseError } from './errors.js';
import { parseExpr, parseMetricSelector } from './parser.js';

/** Fully parenthesised structure, to check precedence and associativity. */
function shape(e: Expr): string {
  switch (e.type) {
    case 'BinaryExpr':
      return `(${shape(e.lhs)} ${e.op}${e.returnBool ? ' bool' : ''} ${shape(e.rhs)})`;
    case 'UnaryExpr':
      return `${e.op}${shape(e.expr)}`;
    case 'ParenExpr':
      return `[${shape(e.expr)}]`;
    case 'NumberLiteral':
      return String(e.val);
    case 'VectorSelector':
      return e.name;
    case 'Call':
      return `${e.func.name}(${e.args.map(shape).join(', ')})`;
    case 'AggregateExpr':
      return `${e.op}(${e.param === null ? '' : shape(e.param) + ', '}${shape(e.expr)})`;
    default:
      return e.type;
  }
}

function parseError(q: string): ParseError {
  try {
    parseExpr(q);
  } catch (e) {
    if (e instanceof ParseError) return e;
    throw e;
  }
  assert.fail(`expected ${JSON.stringify(q)} to fail`);
}

describe('parseExpr operator precedence', () => {
  const cases: [string, string][] = [
    ['1 + 2 * 3', '(1 + (2 * 3))'],
    ['1 * 2 + 3', '((1 * 2) + 3)'],
    ['a - b - c', '((a - b) - c)'],
    ['2 ^ 3 ^ 2', '(2 ^ (3 ^ 2))'],
    ['-2 ^ 2', '-(2 ^ 2)'],
    ['-a * b', '(-a * b)'],
    ['a * -b ^ c', '(a * -(b ^ c))'],
    ['a or b and c', '(a or (b and c))'],
    ['a unless b or c', '((a unless b) or c)'],
    ['a and b unless c', '((a and b) unless c)'],
    ['a > b + 1', '(a > (b + 1))'],
    ['a == bool b + 1', '(a == bool (b + 1))'],
    ['a atan2 b * c', '((a atan2 b) * c)'],
    ['a % b / c', '((a % b) / c)'],
    ['(1 + 2) * 3', '([(1 + 2)] * 3)'],
    ['1 - -1', '(1 - -1)'],
    ['a + b offset 5m', '(a + b)'],
  ];
  for (const [q, want] of cases) {
    test(`${q} parses as ${want}`, () => assert.equal(shape(parseExpr(q)), want));
  }
  test('unary minus on a number folds into the literal', () => {
    const e = parseExpr('-5');
    assert.equal(e.type, 'NumberLiteral');
    assert.deepEqual(e.type === 'NumberLiteral' && [e.val, e.posRange.start, e.posRange.end], [-5, 0, 2]);
  });
});

describe('parseExpr literals', () => {
  const nums: [string, number][] = [
    ['0x1F', 31],
    ['1e3', 1000],
    ['.5', 0.5],
    ['5.', 5],
    ['010', 8],
    ['1_000', 1000],
    ['1.e2', 100],
    ['Inf', Number.POSITIVE_INFINITY],
    ['-inf', Number.NEGATIVE_INFINITY],
    ['5m', 300],
    ['1h30m', 5400],
    ['1s500ms', 1.5],
  ];
  for (const [q, want] of nums) {
    test(`number ${q} is ${want}`, () => {
      const e = parseExpr(q);
      assert.equal(e.type, 'NumberLiteral');
      if (e.type === 'NumberLiteral') assert.equal(e.val, want);
    });
  }
  test('NaN in any case is NaN', () => {
    const e = parseExpr('nAn');
    assert.ok(e.type === 'NumberLiteral' && Number.isNaN(e.val));
  });
  test('durations as numbers are flagged for printing', () => {
    const e = parseExpr('5m');
    assert.ok(e.type === 'NumberLiteral' && e.duration);
  });
  const strs: [string, string][] = [
    [String.raw`"a\nb\t\"c\""`, 'a\nb\t"c"'],
    [String.raw`'it\'s'`, "it's"],
    ['`raw\\n`', 'raw\\n'],
    [String.raw`"\u00e9\x41\101\U0001F600"`, 'éAA😀'],
  ];
  for (const [q, want] of strs) {
    test(`string ${q}`, () => {
      const e = parseExpr(q);
      assert.ok(e.type === 'StringLiteral');
      if (e.type === 'StringLiteral') assert.equal(e.val, want);
    });
  }
});

describe('parseExpr selectors', () => {
  test('a selector carries all matchers and the __name__ matcher last', () => {
    const e = parseExpr('http_requests{job="api", code!="500", path=~"/a.*", method!~"GET|POST"}');
    assert.ok(e.type === 'VectorSelector');
    if (e.type !== 'VectorSelector') return;
    assert.equal(e.name, 'http_requests');
    assert.deepEqual(
      e.matchers.map((m) => `${m.name}${m.type}${m.value}`),
      ['job=api', 'code!=500', 'path=~/a.*', 'method!~GET|POST', '__name__=http_requests'],
    );
  });
  test('quoted UTF-8 metric and label names', () => {
    const e = parseExpr('{"my.metric", "label.x"="v"}');
    assert.ok(e.type === 'VectorSelector');
    if (e.type !== 'VectorSelector') return;
    assert.equal(e.name, '');
    assert.deepEqual(
      e.matchers.map((m) => `${m.name}${m.type}${m.value}`),
      ['__name__=my.metric', 'label.x=v'],
    );
  });
  test('keywords may be metric names and label names', () => {
    assert.equal(shape(parseExpr('offset + by')), '(offset + by)');
    const e = parseExpr('sum by (on, offset, "a.b") (x)');
    assert.ok(e.type === 'AggregateExpr' && e.grouping.join() === 'on,offset,a.b');
  });
  test('keywords are case-insensitive', () => {
    const e = parseExpr('SUM BY (a) (rate(X[5m])) AND ON (b) Y');
    assert.equal(e.type, 'BinaryExpr');
    // Function names and duration units are not.
    assert.throws(() => parseExpr('RATE(x[5m])'), /unknown function with name "RATE"/);
    assert.throws(() => parseExpr('rate(x[5M])'), /bad number or duration syntax: "5"/);
  });
  test('range, offset (negative), @ and subquery values are milliseconds', () => {
    const m = parseExpr('rate(x[1m30s] offset -5m)');
    assert.ok(m.type === 'Call');
    if (m.type !== 'Call') return;
    const ms = m.args[0]!;
    assert.ok(ms.type === 'MatrixSelector');
    if (ms.type !== 'MatrixSelector') return;
    assert.equal(ms.range, 90_000);
    assert.equal(ms.vectorSelector.originalOffset, -300_000);
    const at = parseExpr('x @ 1.5');
    assert.ok(at.type === 'VectorSelector' && at.timestamp === 1500);
    const se = parseExpr('x @ end()');
    assert.ok(se.type === 'VectorSelector' && se.startOrEnd === 'end' && se.timestamp === null);
    const sq = parseExpr('rate(x[5m])[30m:1m] @ start() offset 1h');
    assert.ok(sq.type === 'SubqueryExpr');
    if (sq.type !== 'SubqueryExpr') return;
    assert.deepEqual([sq.range, sq.step, sq.originalOffset, sq.startOrEnd], [1_800_000, 60_000, 3_600_000, 'start']);
    const noStep = parseExpr('x[5m:]');
    assert.ok(noStep.type === 'SubqueryExpr' && noStep.step === 0);
  });
  test('comments are ignored', () => {
    assert.equal(shape(parseExpr('foo # first\n + bar # second')), '(foo + bar)');
  });
});

describe('parseExpr aggregations and vector matching', () => {
  test('grouping before or after the body, parameters', () => {
    const a = parseExpr('sum(x) without (instance)');
    assert.ok(a.type === 'AggregateExpr' && a.without && a.grouping[0] === 'instance');
    assert.equal(shape(parseExpr('topk by (job) (5, x)')), 'topk(5, x)');
    const cv = parseExpr('count_values("value", x)');
    assert.ok(cv.type === 'AggregateExpr' && cv.param?.type === 'StringLiteral');
    assert.equal(shape(parseExpr('quantile(0.9, x)')), 'quantile(0.9, x)');
    assert.equal(shape(parseExpr('limit_ratio(0.5, x)')), 'limit_ratio(0.5, x)');
  });
  test('on/ignoring and group_left/group_right', () => {
    const e = parseExpr('a * on (job, instance) group_left (version) b');
    assert.ok(e.type === 'BinaryExpr');
    if (e.type !== 'BinaryExpr') return;
    assert.deepEqual(e.vectorMatching, {
      card: 'many-to-one',
      matchingLabels: ['job', 'instance'],
      on: true,
      include: ['version'],
      fillValues: { lhs: null, rhs: null },
    });
    const r = parseExpr('a / ignoring (x) group_right b');
    assert.ok(r.type === 'BinaryExpr' && r.vectorMatching?.card === 'one-to-many' && !r.vectorMatching.on);
  });
  test('set operators are many-to-many; scalar operands have no vector matching', () => {
    const e = parseExpr('a and on (x) b');
    assert.ok(e.type === 'BinaryExpr' && e.vectorMatching?.card === 'many-to-many');
    const s = parseExpr('a + 1');
    assert.ok(s.type === 'BinaryExpr' && s.vectorMatching === null);
  });
  test('fill modifiers', () => {
    const e = parseExpr('a + fill_left (-1) fill_right (2) b');
    assert.ok(e.type === 'BinaryExpr');
    if (e.type === 'BinaryExpr') assert.deepEqual(e.vectorMatching?.fillValues, { lhs: -1, rhs: 2 });
  });
});

describe('parseExpr duration expressions', () => {
  test('constant expressions are folded, the expression kept', () => {
    const e = parseExpr('x[5m * 2]');
    assert.ok(e.type === 'MatrixSelector');
    if (e.type !== 'MatrixSelector') return;
    assert.equal(e.range, 600_000);
    assert.equal(e.rangeExpr?.op, '*');
    const o = parseExpr('x offset (1h + 30m)');
    assert.ok(o.type === 'VectorSelector' && o.originalOffset === 5_400_000 && o.originalOffsetExpr !== null);
    const m = parseExpr('x[min_of(5m, 1h):step()]');
    assert.ok(m.type === 'SubqueryExpr' && m.range === 300_000 && m.stepExpr?.op === 'step');
  });
  test('offset takes only an atom, so the operator applies to the selector', () => {
    assert.equal(shape(parseExpr('foo offset 5s-8')), '(foo - 8)');
  });
});

describe('parseExpr errors', () => {
  const cases: [string, string][] = [
    ['', 'unknown position: parse error: no expression found in input'],
    ['1+', '1:3: parse error: unexpected end of input'],
    ['sum(', '1:5: parse error: unclosed left parenthesis'],
    ['(1))', '1:5: parse error: unexpected right parenthesis \')\''],
    ['sum(rate(x[5m]) +)', '1:18: parse error: unexpected ")" in aggregation'],
    ['foo{a=}', '1:7: parse error: unexpected "}" in label matching, expected string'],
    ['foo{a}', '1:6: parse error: unexpected "}" in label matching, expected label matching operator'],
    ['foo{a="b" c="d"}', '1:11: parse error: unexpected identifier "c" in label matching, expected "," or "}"'],
    ['foo{', '1:5: parse error: unexpected end of input inside braces'],
    ['foo{1}', "1:5: parse error: unexpected character inside braces: '1'"],
    ['sum by x (y)', '1:8: parse error: unexpected identifier "x" in grouping opts, expected "("'],
    ['foo offset', '1:11: parse error: unexpected end of input in offset, expected number, duration, step(), or range()'],
    ['foo @ bar', '1:7: parse error: unexpected identifier "bar" in @, expected timestamp'],
    ['foo[5m', '1:7: parse error: unclosed left bracket'],
    ['foo[5mm]', '1:5: parse error: bad number or duration syntax: "5mm"'],
    ['foo[5y1hs]', '1:5: parse error: unknown unit "hs" in duration "5y1hs"'],
    ['foo[step]', '1:9: parse error: unexpected "]" in subquery or range selector, expected number, duration, step(), or range()'],
    ['foo[0m]', '1:5: parse error: duration must be greater than 0'],
    ['1 =~ 1', "1:3: parse error: unexpected character after '=': '~'"],
    ['"\\q"', "1:1: parse error: unknown escape sequence U+0071 'q'"],
    ['"abc', '1:1: parse error: unterminated quoted string'],
    ['foo bar', '1:5: parse error: unexpected identifier "bar"'],
    ['rate(x[5m],)', '1:11: parse error: trailing commas not allowed in function call args'],
    ['nonexistent(x)', '1:1: parse error: unknown function with name "nonexistent"'],
    ['1 > 1', '1:3: parse error: comparisons between scalars must use BOOL modifier'],
    ['a + bool b', '1:3: parse error: bool modifier can only be used on comparison operators'],
    ['1 and 1', '1:1: parse error: set operator "and" not allowed in binary scalar expression'],
    ['a and on (x) group_left b', '1:1: parse error: no grouping allowed for "and" operation'],
    ['rate(x)', '1:6: parse error: expected type range vector in call to function "rate", got instant vector'],
    ['round(x, 1, 2)', '1:1: parse error: expected at most 2 argument(s) in call to "round", got 3'],
    ['label_join(x)', '1:1: parse error: expected at least 3 argument(s) in call to "label_join", got 1'],
    ['sum(x[5m])', '1:5: parse error: expected type instant vector in aggregation expression, got range vector'],
    ['count_values(1, x)', '1:14: parse error: expected type string in aggregation parameter, got scalar'],
    ['topk(x)', '1:1: parse error: wrong number of arguments for aggregate expression provided, expected 2, got 1'],
    ['{}', '1:1: parse error: vector selector must contain at least one non-empty matcher'],
    ['{a=~".*"}', '1:1: parse error: vector selector must contain at least one non-empty matcher'],
    ['foo{__name__="bar"}', '1:1: parse error: metric name must not be set twice: "foo" or "bar"'],
    ['foo offset 1m offset 2m', '1:1: parse error: offset may not be set multiple times'],
    ['foo @ 1 @ 2', '1:1: parse error: @ <timestamp> may not be set multiple times'],
    ['foo offset 5m [5m]', '1:15: parse error: no offset modifiers allowed before range'],
    ['(foo)[5m]', '1:6: parse error: ranges only allowed for vector selectors'],
    ['sum(x) offset 5m', '1:1: parse error: offset modifier must be preceded by an instant vector selector or range vector selector or a subquery'],
    ['-"a"', '1:1: parse error: unary expression only allowed on expressions of type scalar or instant vector, got "string"'],
    ['rate(x[5m])[5m]', '1:12: parse error: ranges only allowed for vector selectors'],
    ['x[5m][5m:]', '1:1: parse error: subquery is only allowed on instant vector, got matrix instead'],
    ['foo @ +Inf', '1:1: parse error: timestamp out of bounds for @ modifier: +Inf'],
    ['foo[1m / 0]', '1:8: parse error: division by zero'],
    // After a bare group_left, Prometheus always reads "(" as a label list.
    ['a * on(x) group_left (b + c)', '1:25: parse error: unexpected <op:+> in grouping opts, expected "," or ")"'],
    ['a * on(x) group_left (1)', '1:23: parse error: unexpected number "1" in grouping opts, expected label'],
    ['a * on(x) group_left (b)', '1:25: parse error: unexpected end of input'],
  ];
  for (const [q, want] of cases) {
    test(`${JSON.stringify(q)} fails with ${want}`, () => assert.equal(parseError(q).message, want));
  }
  test('errors carry the position range and the bare detail', () => {
    const e = parseError('foo + \n  bar baz');
    assert.equal(e.message, '2:7: parse error: unexpected identifier "baz"');
    assert.deepEqual(e.posRange, { start: 13, end: 16 });
    assert.equal(e.detail, 'unexpected identifier "baz"');
    assert.equal(e.code, 'bad_data');
  });
  test('pathologically deep nesting is rejected, and the parser stays usable', () => {
    const deep = '('.repeat(60_000) + '1' + ')'.repeat(60_000);
    assert.throws(() => parseExpr(deep), /nested too deeply/);
    assert.equal(parseExpr('sum(rate(x[5m]))').type, 'AggregateExpr');
  });
  test('experimental features can be switched off', () => {
    assert.throws(() => parseExpr('limitk(1, x)', { enableExperimentalFunctions: false }), /limitk\(\) is experimental/);
    assert.throws(() => parseExpr('sort_by_label(x, "a")', { enableExperimentalFunctions: false }), /function "sort_by_label" is not enabled/);
    assert.throws(() => parseExpr('x[5m + 1m]', { enableDurationExpressions: false }), /experimental duration expression is not enabled/);
    assert.throws(() => parseExpr('rate(x[5m] anchored)', { enableExtendedRangeSelectors: false }), /anchored modifier is experimental/);
    assert.throws(() => parseExpr('a + fill(0) b', { enableBinopFillModifiers: false }), /binop fill modifiers are experimental/);
  });
});

describe('parseMetricSelector', () => {
  test('accepts names, braces and quoted names', () => {
    assert.deepEqual(
      parseMetricSelector('up{job="x"}').map((m) => m.toString()),
      ['job="x"', '__name__="up"'],
    );
    assert.deepEqual(
      parseMetricSelector('{__name__=~"node_.*"}').map((m) => m.toString()),
      ['__name__=~"node_.*"'],
    );
    assert.deepEqual(
      parseMetricSelector('{"a.b"}').map((m) => m.toString()),
      ['__name__="a.b"'],
    );
  });
  test('rejects expressions and empty matchers', () => {
    assert.throws(() => parseMetricSelector('rate(x[5m])'), ParseError);
    assert.throws(() => parseMetricSelector('{a=""}'), /at least one non-empty matcher/);
  });
});
