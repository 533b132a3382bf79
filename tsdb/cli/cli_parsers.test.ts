import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatBase2Bytes, formatDurationMs, formatG, tabwrite } from './go_format.js';
import { GO_NAN, OpenMetricsParseError, type OpenMetricsSample, parseOpenMetrics } from './openmetrics_parser.js';
import { parseSeriesSelector } from './series_selector.js';
import { parseDurationMs } from './tsdb_command.js';

test('formatG matches Go %g (values checked against Go fmt output)', () => {
  const cases: [number, string][] = [
    [0, '0'], [1, '1'], [-2.5, '-2.5'], [123456, '123456'], [1234567, '1.234567e+06'], [1e6, '1e+06'],
    [0.0001, '0.0001'], [0.00001, '1e-05'], [1.5e-7, '1.5e-07'], [3e300, '3e+300'], [1700000000, '1.7e+09'],
    [0.1 + 0.2, '0.30000000000000004'], [Number.NaN, 'NaN'], [Number.POSITIVE_INFINITY, '+Inf'], [Number.NEGATIVE_INFINITY, '-Inf'],
  ];
  for (const [v, s] of cases) assert.equal(formatG(v), s, String(v));
});

test('formatDurationMs matches Go time.Duration.String', () => {
  assert.equal(formatDurationMs(7200000), '2h0m0s');
  assert.equal(formatDurationMs(15501), '15.501s');
  assert.equal(formatDurationMs(6395091 - 100000), '1h44m55.091s');
  assert.equal(formatDurationMs(90_000), '1m30s');
  assert.equal(formatDurationMs(500), '500ms');
  assert.equal(formatDurationMs(0), '0s');
  assert.equal(formatDurationMs(1500), '1.5s');
});

test('tabwrite pads all but the last column to the widest cell plus padding, at least minwidth', () => {
  assert.equal(tabwrite([['a', 'bb', 'c'], ['dddd', 'e', 'f']], 3, 2), 'a     bb  c\ndddd  e   f\n');
  assert.equal(formatBase2Bytes(900), '900B');
  assert.equal(formatBase2Bytes(1024 + 512), '1KiB512B');
});

test('openmetrics parser reads samples, labels, escapes, timestamps and skips metadata and exemplars', () => {
  const text = [
    '# HELP x_total Help text with "quotes".',
    '# TYPE x counter',
    'x_total{a="1",b="q\\"u\\\\o\\nte"} 17 1700000000.123',
    'x_created 1.6e9 1700000000',
    'up NaN 1.5',
    'h_bucket{le="+Inf"} 3 10 # {trace_id="abc"} 1.0 9.9',
    'neg -Inf -1.25',
    '# EOF',
    '',
  ].join('\n');
  const got: OpenMetricsSample[] = [];
  parseOpenMetrics(text, 'f.om', (s) => got.push({ ...s, labels: [...s.labels] }));
  assert.deepEqual(
    got.map((s) => [s.name, s.labels, s.timestampMs, s.line]),
    [
      ['x_total', ['a', '1', 'b', 'q"u\\o\nte'], 1700000000123, 3],
      ['x_created', [], 1700000000000, 4],
      ['up', [], 1500, 5],
      ['h_bucket', ['le', '+Inf'], 10000, 6],
      ['neg', [], -1250, 7],
    ],
  );
  assert.equal(got[1]!.value, 1.6e9);
  assert.ok(Object.is(got[2]!.value, GO_NAN) || Number.isNaN(got[2]!.value));
  assert.equal(got[4]!.value, Number.NEGATIVE_INFINITY);
  const bad: [string, RegExp][] = [
    ['x 1\n', /f:2:1: data does not end/],
    ['x 1\n# EOF\nx 2\n# EOF\n', /f:3:1: unexpected data after/],
    ['x{a="1",a="2"} 1\n# EOF\n', /f:1:\d+: duplicate label name "a"/],
    ['x abc\n# EOF\n', /f:1:3: invalid value "abc"/],
    ['x 1 zz\n# EOF\n', /f:1:5: invalid timestamp "zz"/],
    ['# TYPE x bogus\n# EOF\n', /f:1:\d+: invalid metric type "bogus"/],
    ['\n# EOF\n', /f:1:1: empty line/],
    ['x{a="\\q"} 1\n# EOF\n', /invalid escape sequence/],
  ];
  for (const [t, re] of bad) assert.throws(() => parseOpenMetrics(t, 'f', () => {}), (e: unknown) => e instanceof OpenMetricsParseError && re.test(e.message), t);
});

test('series selector parser builds matchers and rejects malformed input with a column', () => {
  assert.deepEqual(
    parseSeriesSelector('up{job="a", instance!~\'h.*\', x=~`a\\b`}').map(String),
    ['__name__="up"', 'job="a"', 'instance!~"h.*"', 'x=~"a\\\\b"'],
  );
  assert.deepEqual(parseSeriesSelector("{__name__=~'(?s:.*)'}").map(String), ['__name__=~"(?s:.*)"']);
  assert.throws(() => parseSeriesSelector('up{job="a"'), /1:11: unterminated|1:11: expected/);
  assert.throws(() => parseSeriesSelector('up{job}'), /expected one of/);
  assert.throws(() => parseSeriesSelector(''), /needs a metric name/);
});

test('durations parse as Prometheus durations', () => {
  assert.equal(parseDurationMs('2h'), 7200000);
  assert.equal(parseDurationMs('1d12h'), 129600000);
  assert.equal(parseDurationMs('90m'), 5400000);
  assert.throws(() => parseDurationMs('2x'), /invalid duration/);
});
