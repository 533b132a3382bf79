import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { lenientOpenMetricsReason, openMetricsCases } from './_test_bodies.js';
import { OpenMetricsParser } from './openmetrics_parser.js';
import { ParseError } from './parse_error.js';
import { Entry, type Exemplar, type ParserOptions } from './parser.js';

const enc = (s: string) => new Uint8Array(Buffer.from(s, 'utf8'));

interface S {
  labels: Record<string, string>;
  value: number;
  ts: number | null;
  exemplar: Exemplar | null;
}

function series(body: string | Uint8Array, opts: ParserOptions = {}): S[] {
  const p = new OpenMetricsParser(typeof body === 'string' ? enc(body) : body, opts);
  const out: S[] = [];
  for (let e = p.next(); e !== Entry.EOF; e = p.next()) {
    if (e === Entry.Series) {
      out.push({ labels: p.labels().toRecord(), value: p.value(), ts: p.hasTimestamp() ? p.timestamp() : null, exemplar: p.exemplar() });
    }
  }
  return out;
}

function parseError(body: string): ParseError {
  try {
    series(body);
  } catch (e) {
    assert.ok(e instanceof ParseError, `not a ParseError: ${String(e)}`);
    return e;
  }
  assert.fail(`expected a parse error for ${JSON.stringify(body)}`);
}

describe('OpenMetricsParser', () => {
  describe('OpenMetrics project parser cases', () => {
    const cases = openMetricsCases();
    test('the case file holds all 211 cases', () => {
      assert.equal(cases.length, 211);
      assert.equal(cases.filter((c) => c.shouldParse).length, 44);
    });
    for (const c of cases) {
      const lenient = c.shouldParse ? null : lenientOpenMetricsReason(c.name);
      const title = lenient === null ? `${c.name}: ${c.shouldParse ? 'parses' : 'is rejected'}` : `${c.name}: accepted like Prometheus (${lenient})`;
      test(title, () => {
        if (c.shouldParse || lenient !== null) assert.doesNotThrow(() => series(c.body));
        else assert.throws(() => series(c.body), ParseError);
      });
    }
  });

  test('timestamps are float seconds, truncated to milliseconds', () => {
    const got = series('a 1 1.5\nb 2 -1.5\nc 3 1520879607.789\nd 4 0\ne 5 1e3\n# EOF\n');
    assert.deepEqual(got.map((s) => s.ts), [1500, -1500, Math.trunc(1520879607.789 * 1000), 0, 1_000_000]);
    assert.equal(parseError('a 1 NaN\n# EOF\n').code, 'invalid_timestamp');
    assert.equal(parseError('a 1 +Inf\n# EOF\n').code, 'invalid_timestamp');
  });

  test('exemplars are parsed, or dropped when disabled', () => {
    const body = '# TYPE a counter\na_total 3 1.5 # {trace_id="KOO5S4vxi0o",x="y"} 0.67 1520879607.789\na_total{b="c"} 1 # {} 2\na_total{b="d"} 1\n# EOF\n';
    const [s1, s2, s3] = series(body);
    assert.deepEqual(s1?.exemplar?.labels.toRecord(), { trace_id: 'KOO5S4vxi0o', x: 'y' });
    assert.equal(s1?.exemplar?.value, 0.67);
    assert.equal(s1?.exemplar?.hasTimestamp, true);
    assert.equal(s1?.exemplar?.timestamp, Math.trunc(1520879607.789 * 1000));
    assert.equal(s1?.ts, 1500);
    assert.equal(s1?.value, 3);
    assert.equal(s2?.exemplar?.labels.isEmpty(), true);
    assert.equal(s2?.exemplar?.hasTimestamp, false);
    assert.equal(s3?.exemplar, null);
    assert.ok(series(body, { exemplars: false }).every((s) => s.exemplar === null));
    assert.equal(parseError('a_total 1 # {a="b"}\n# EOF\n').code, 'invalid_exemplar');
    assert.equal(parseError('a_total 1 # {"a"} 1\n# EOF\n').code, 'invalid_exemplar');
    assert.equal(parseError('a_total 1 # {a="b"} 1 NaN\n# EOF\n').code, 'invalid_exemplar');
  });

  test('_created series are ordinary series unless skipCreatedSeries is set (then only for counter, histogram, summary)', () => {
    const body = '# TYPE a counter\na_total 1\na_created 1.7e9\n# TYPE g gauge\ng_created 5\n# EOF\n';
    assert.deepEqual(series(body).map((s) => s.labels.__name__), ['a_total', 'a_created', 'g_created']);
    assert.deepEqual(series(body, { skipCreatedSeries: true }).map((s) => s.labels.__name__), ['a_total', 'g_created']);
  });

  test('createdTimestamp finds the family\'s matching _created sample by reading ahead', () => {
    const body = [
      '# TYPE c counter',
      'c_total{a="1"} 5 # {t="x"} 1',
      'c_created{a="1"} 1700000000.5',
      'c_total{a="2"} 6',
      'c_created{a="3"} 1700000002',
      '# TYPE h histogram',
      'h_count 3',
      'h_sum 1.5',
      'h_created 1600000000.25',
      'h_bucket{le="1"} 1',
      'h_bucket{le="+Inf"} 3',
      '# TYPE s summary',
      's{quantile="0.5"} 1',
      's_sum 2',
      's_count 3',
      's_created 1500000000',
      '# TYPE g gauge',
      'g_created 17',
      '# TYPE late counter',
      'late_total 1',
      '# EOF',
      '',
    ].join('\n');
    for (const skipCreatedSeries of [false, true]) {
      const p = new OpenMetricsParser(enc(body), { skipCreatedSeries });
      const got: [string, number][] = [];
      for (let e = p.next(); e !== Entry.EOF; e = p.next()) {
        if (e === Entry.Series) got.push([p.seriesKey(), p.createdTimestamp()]);
      }
      const want: [string, number][] = [
        ['c_total{a="1"}', 1700000000500],
        // As in Prometheus, the family's cached answer also covers the _created series itself.
        ...(skipCreatedSeries ? [] : ([['c_created{a="1"}', 1700000000500]] as [string, number][])),
        ['c_total{a="2"}', 0], // the next _created line belongs to another series
        ...(skipCreatedSeries ? [] : ([['c_created{a="3"}', 0]] as [string, number][])),
        ['h_count', 1600000000250],
        ['h_sum', 1600000000250],
        ...(skipCreatedSeries ? [] : ([['h_created', 1600000000250]] as [string, number][])),
        ['h_bucket{le="1"}', 1600000000250],
        ['h_bucket{le="+Inf"}', 1600000000250],
        ['s{quantile="0.5"}', 1500000000000],
        ['s_sum', 1500000000000],
        ['s_count', 1500000000000],
        ...(skipCreatedSeries ? [] : ([['s_created', 1500000000000]] as [string, number][])),
        ['g_created', 0],
        ['late_total', 0],
      ];
      assert.deepEqual(got, want, `skipCreatedSeries=${skipCreatedSeries}`);
    }
    // Reading ahead leaves the parser where it was, exemplar included.
    const p = new OpenMetricsParser(enc(body));
    p.next();
    p.next();
    assert.equal(p.createdTimestamp(), 1700000000500);
    assert.deepEqual(p.exemplar()?.labels.toRecord(), { t: 'x' });
    assert.equal(p.next(), Entry.Series);
    assert.equal(p.metricName(), 'c_created');
    assert.equal(p.line(), 3);
  });

  test('# EOF is mandatory and must end the body', () => {
    assert.deepEqual(series('a 1\n# EOF'), [{ labels: { __name__: 'a' }, value: 1, ts: null, exemplar: null }]);
    assert.equal(series('# EOF\n').length, 0);
    const missing = parseError('a 1\nb 2\n');
    assert.equal(missing.code, 'missing_eof');
    assert.equal(missing.message, 'openmetrics format parsing error in line 3: data does not end with # EOF');
    assert.equal(parseError('').code, 'missing_eof');
    assert.equal(parseError('a 1').code, 'missing_eof');
    assert.equal(parseError('# EOF\na 1\n').code, 'data_after_eof');
    assert.equal(parseError('# EOF\n\n').code, 'data_after_eof');
  });

  test('OpenMetrics whitespace, blank lines and comments are strict', () => {
    assert.equal(parseError('a  1\n# EOF\n').code, 'syntax');
    assert.equal(parseError('a\t1\n# EOF\n').code, 'syntax');
    assert.equal(parseError(' a 1\n# EOF\n').code, 'syntax');
    assert.equal(parseError('a{b="c", d="e"} 1\n# EOF\n').code, 'syntax');
    assert.equal(parseError('a{b="c"d="e"} 1\n# EOF\n').code, 'syntax');
    assert.equal(parseError('a 1\n\n# EOF\n').line, 2);
    assert.equal(parseError('# a comment\n# EOF\n').code, 'syntax');
    assert.equal(parseError('a 1 2 3\n# EOF\n').code, 'syntax');
    assert.equal(parseError('a 1\r\n# EOF\n').code, 'invalid_value');
    assert.equal(parseError('a{b="x\ny"} 1\n# EOF\n').code, 'syntax');
  });

  test('metadata: HELP escapes, TYPE words, UNIT suffix', () => {
    const p = new OpenMetricsParser(enc('# HELP a_seconds Help with \\\\ and \\" and \\n.\n# TYPE a_seconds gaugehistogram\n# UNIT a_seconds seconds\na_seconds_bucket{le="+Inf"} 1\n# EOF\n'));
    assert.equal(p.next(), Entry.Help);
    assert.equal(p.metaName(), 'a_seconds');
    assert.equal(p.helpText(), 'Help with \\ and " and \n.');
    assert.equal(p.next(), Entry.Type);
    assert.equal(p.metricType(), 'gaugehistogram');
    assert.equal(p.next(), Entry.Unit);
    assert.equal(p.unit(), 'seconds');
    assert.equal(p.next(), Entry.Series);
    assert.equal(p.unit(), 'seconds');
    assert.equal(parseError('# TYPE a untyped\n# EOF\n').code, 'invalid_type');
    assert.equal(parseError('# UNIT a_bytes seconds\n# EOF\n').code, 'invalid_unit');
    assert.equal(parseError('# UNIT abytes bytes\n# EOF\n').code, 'invalid_unit');
    assert.equal(parseError('# HELP a\n# EOF\n').code, 'syntax');
  });

  test('values, labels and escapes', () => {
    const got = series('a{b="x\\"y\\\\z\\n",c="é"} NaN\nb +Inf\nc -Inf\nd 1.5e3\n{"my.metric","a.b"="1"} 1\n# EOF\n');
    assert.deepEqual(got[0]?.labels, { __name__: 'a', b: 'x"y\\z\n', c: 'é' });
    assert.ok(Number.isNaN(got[0]?.value));
    assert.deepEqual(got.slice(1, 4).map((s) => s.value), [Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 1500]);
    assert.deepEqual(got[4]?.labels, { __name__: 'my.metric', 'a.b': '1' });
    assert.equal(parseError('a{b="1",b="2"} 1\n# EOF\n').code, 'duplicate_label');
    assert.equal(parseError('{b="1"} 1\n# EOF\n').code, 'metric_name');
  });
});
