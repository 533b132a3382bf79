import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Expr } from './ast.js';
import { formatFloatE, formatFloatF, formatSampleValue, formatTimestamp } from './format_float.js';
import { parseExpr } from './parser.js';
import { formatExpr, prettyExpr } from './printer.js';

/** The AST without positions and with matchers as a sorted list, for round-trip comparison. */
export function normalizeAst(e: Expr): string {
  return JSON.stringify(e, (k, v: unknown) => {
    if (k === 'posRange') return undefined;
    if (k === 'func') return (v as { name: string }).name;
    if (k === 'matchers') return (v as { type: string; name: string; value: string }[]).map((m) => `${m.name}${m.type}${m.value}`).sort();
    return v;
  });
}

describe('formatExpr canonical output', () => {
  const cases: [string, string][] = [
    ['sum(rate(foo{b="x",a="y"}[5m])) by (job)', 'sum by (job) (rate(foo{a="y",b="x"}[5m]))'],
    ['sum without(instance)(x)', 'sum without (instance) (x)'],
    ['topk(5, x)', 'topk(5, x)'],
    ['foo offset 1h30m @ 100', 'foo @ 100.000 offset 1h30m'],
    ['foo offset -90s', 'foo offset -1m30s'],
    ['foo[5m] @ end() offset 1w', 'foo[5m] @ end() offset 1w'],
    ['rate(x[5m])[1h:]', 'rate(x[5m])[1h:]'],
    ['x[1d:5m] offset 1y', 'x[1d:5m] offset 1y'],
    ['1e-7', '0.0000001'],
    ['1e21', '1000000000000000000000'],
    ['0x10', '16'],
    ['-Inf', '-Inf'],
    ['5m', '5m'],
    ['90s', '1m30s'],
    ['"a\\nb\'"', '"a\\nb\'"'],
    ["'x\"y'", '"x\\"y"'],
    ['a + on(x) group_left(y) b', 'a + on (x) group_left (y) b'],
    ['a / ignoring(x) group_right b', 'a / ignoring (x) group_right () b'],
    ['a > bool b', 'a > bool b'],
    ['a and b', 'a and b'],
    ['a + fill(0) b', 'a + fill (0) b'],
    ['a + fill_left(1) fill_right(2) b', 'a + fill_left (1) fill_right (2) b'],
    ['{"my.metric", "a.b"="x"}', '{"a.b"="x",__name__="my.metric"}'],
    ['sum by ("a.b") (x)', 'sum by ("a.b") (x)'],
    ['x[5m + 1m]', 'x[5m + 1m]'],
    ['x offset (1h - step())', 'x offset (1h - step())'],
    ['x[min_of(5m, range()):step() * 2]', 'x[min_of(5m, range()):step() * 2]'],
    ['rate(x[5m] anchored)', 'rate(x[5m] anchored)'],
    ['-(1 + 2)', '-(1 + 2)'],
    ['count_values("v", x)', 'count_values("v", x)'],
  ];
  for (const [q, want] of cases) {
    test(`${q} prints as ${want}`, () => assert.equal(formatExpr(parseExpr(q)), want));
  }
});

describe('prettyExpr', () => {
  test('short expressions stay on one line', () => {
    assert.equal(prettyExpr(parseExpr('sum by (job) (rate(x[5m]))')), 'sum by (job) (rate(x[5m]))');
  });
  test('long expressions are split and indented by two spaces per level', () => {
    const q =
      'sum by (namespace, pod) (rate(container_cpu_usage_seconds_total{namespace="default",container!=""}[5m])) / sum by (namespace, pod) (kube_pod_container_resource_limits{resource="cpu"})';
    const want = [
      '  sum by (namespace, pod) (',
      '    rate(container_cpu_usage_seconds_total{container!="",namespace="default"}[5m])',
      '  )',
      '/',
      '  sum by (namespace, pod) (kube_pod_container_resource_limits{resource="cpu"})',
    ].join('\n');
    assert.equal(prettyExpr(parseExpr(q)), want);
  });
});

describe('parse → print → parse round trip', () => {
  const exprs = [
    'histogram_quantile(0.99, sum by (le) (rate(x_bucket[5m])))',
    'label_replace(up, "dst", "$1", "src", "(.*)")',
    'a * on (job) group_left (version, "x.y") b offset 5m',
    'sum(x) by (a) > bool 10 unless c',
    '-x ^ 2 % 3',
    'max_over_time(rate(x[1m])[10m:30s] @ start())',
    '1 - -1',
    'x @ -1.5',
    'foo{a=~"a|b",b!~"c.*",c!="",d="\\u00e9"}',
    'absent_over_time(nonexistent{job="x"}[1h:1m] offset -2m)',
    'round(x, 0.1) atan2 y',
    'quantile without (a) (0.5, x)',
    'x[1m] smoothed',
    'a - fill_right (NaN) b',
  ];
  for (const q of exprs) {
    test(q, () => {
      const a = parseExpr(q);
      const printed = formatExpr(a);
      assert.equal(normalizeAst(parseExpr(printed)), normalizeAst(a));
      assert.equal(formatExpr(parseExpr(printed)), printed, 'printing is idempotent');
      assert.equal(normalizeAst(parseExpr(prettyExpr(a))), normalizeAst(a));
    });
  }
});

describe('Go float formatting', () => {
  test("'f' format never uses an exponent", () => {
    assert.equal(formatFloatF(1e-7), '0.0000001');
    assert.equal(formatFloatF(123456789012345680000), '123456789012345680000');
    assert.equal(formatFloatF(0.1 + 0.2), '0.30000000000000004');
    assert.equal(formatFloatF(-2.5), '-2.5');
    assert.equal(formatFloatF(Number.NaN), 'NaN');
  });
  test("'e' format has a signed two-digit exponent", () => {
    assert.equal(formatFloatE(1e-7), '1e-07');
    assert.equal(formatFloatE(1.5e21), '1.5e+21');
    assert.equal(formatFloatE(-1.234e-100), '-1.234e-100');
  });
  test('sample values switch to exponent form below 1e-6 and from 1e21', () => {
    assert.equal(formatSampleValue(0.000001), '0.000001');
    assert.equal(formatSampleValue(0.0000001), '1e-07');
    assert.equal(formatSampleValue(1e20), '100000000000000000000');
    assert.equal(formatSampleValue(1e21), '1e+21');
    assert.equal(formatSampleValue(0), '0');
    assert.equal(formatSampleValue(Number.POSITIVE_INFINITY), '+Inf');
    assert.equal(formatSampleValue(Number.NEGATIVE_INFINITY), '-Inf');
  });
  test("sample values agree with the digit-based 'f'/'e' formatting for random values of every magnitude", () => {
    let seed = 12345;
    const rnd = (): number => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 4294967296;
    const edges = [1e-6, 1e-6 * (1 - Number.EPSILON), 1e21, 1e21 * (1 - Number.EPSILON), -1e-6, 5e-324, 1.7976931348623157e308, -0, 0.1, 123.456];
    const values = [...edges];
    for (let i = 0; i < 20000; i++) {
      const mant = rnd() * 10 * (rnd() < 0.5 ? -1 : 1);
      values.push(mant * 10 ** Math.floor(rnd() * 60 - 30), Math.round(rnd() * 1e6) / 1000);
    }
    for (const v of values) {
      const a = Math.abs(v);
      const want = a !== 0 && (a < 1e-6 || a >= 1e21) ? formatFloatE(v) : formatFloatF(v);
      assert.equal(formatSampleValue(v), want, `value ${v}`);
    }
  });
  test('timestamps are seconds with up to three decimals, trailing zeros kept', () => {
    assert.equal(formatTimestamp(1500), '1.500');
    assert.equal(formatTimestamp(1435781451781), '1435781451.781');
    assert.equal(formatTimestamp(5), '0.005');
    assert.equal(formatTimestamp(60000), '60');
    assert.equal(formatTimestamp(-1500), '-1.500');
  });
});
