import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Labels } from '../../tsdb/labels.js';
import { TEXT_CASES } from './_test_bodies.js';
import { ParseError } from './parse_error.js';
import { Entry } from './parser.js';
import { TextParser } from './text_parser.js';

const enc = (s: string) => new Uint8Array(Buffer.from(s, 'utf8'));

interface S {
  labels: Record<string, string>;
  value: number;
  ts: number | null;
}

function series(body: string | Uint8Array, opts = {}): S[] {
  const p = new TextParser(typeof body === 'string' ? enc(body) : body, opts);
  const out: S[] = [];
  for (let e = p.next(); e !== Entry.EOF; e = p.next()) {
    if (e === Entry.Series) out.push({ labels: p.labels().toRecord(), value: p.value(), ts: p.hasTimestamp() ? p.timestamp() : null });
  }
  return out;
}

function parseError(body: string | Uint8Array): ParseError {
  const p = new TextParser(typeof body === 'string' ? enc(body) : body);
  try {
    while (p.next() !== Entry.EOF);
  } catch (e) {
    assert.ok(e instanceof ParseError, `not a ParseError: ${String(e)}`);
    return e;
  }
  assert.fail(`expected a parse error for ${JSON.stringify(body)}`);
}

describe('TextParser', () => {
  test('accepts and rejects the hand-written edge cases as Prometheus does', () => {
    for (const c of TEXT_CASES) {
      if (c.ok) assert.doesNotThrow(() => series(c.body), c.name);
      else assert.throws(() => series(c.body), ParseError, c.name);
    }
  });

  test('label value escapes \\\\, \\" and \\n are resolved; others stay as written', () => {
    const [s] = series(String.raw`a{b="x\"y\\z\n",c="\t",d="\\n"} 1` + '\n');
    assert.deepEqual(s?.labels, { __name__: 'a', b: 'x"y\\z\n', c: '\\t', d: '\\n' });
  });

  test('a raw newline inside a label value is kept and counted as a line', () => {
    const p = new TextParser(enc('a{b="x\ny"} 1\nc d\n'));
    assert.equal(p.next(), Entry.Series);
    assert.equal(p.labels().get('b'), 'x\ny');
    const e = parseError('a{b="x\ny"} 1\nc d\n');
    assert.equal(e.line, 3);
  });

  test('NaN, Inf and the float spellings Go accepts', () => {
    const got = series('a NaN\nb +Inf\nc -Inf\nd Inf\ne nan\nf -infinity\ng 1e-400\nh .5\ni 5.\nj +1E+06\nk 007\nl -0\n');
    assert.ok(Number.isNaN(got[0]?.value));
    assert.ok(Number.isNaN(got[4]?.value));
    assert.deepEqual(
      got.slice(1).filter((_, i) => i !== 3).map((s) => s.value),
      [Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 0, 0.5, 5, 1e6, 7, -0],
    );
    assert.ok(Object.is(got[11]?.value, -0));
  });

  test('timestamps are integer milliseconds; absent timestamps read as 0', () => {
    assert.deepEqual(series('a 1 1700000000123\nb 2\nc 3 0\n').map((s) => s.ts), [1700000000123, null, 0]);
    const p = new TextParser(enc('b 2\n'));
    p.next();
    assert.equal(p.hasTimestamp(), false);
    assert.equal(p.timestamp(), 0);
  });

  test('HELP, TYPE and comments are reported with their text', () => {
    const p = new TextParser(enc('# HELP a Some \\\\ help\\nmore \\"q\\"\n# TYPE a counter\n# just a comment\n#\n# HELP b\n# TYPE c untyped\na 1\n'));
    assert.equal(p.next(), Entry.Help);
    assert.equal(p.metaName(), 'a');
    assert.equal(p.helpText(), 'Some \\ help\nmore \\"q\\"', 'the text format resolves only \\\\ and \\n in HELP');
    assert.equal(p.next(), Entry.Type);
    assert.equal(p.metricType(), 'counter');
    assert.equal(p.next(), Entry.Comment);
    assert.equal(p.comment(), '# just a comment');
    assert.equal(p.next(), Entry.Comment);
    assert.equal(p.next(), Entry.Help);
    assert.equal(p.metaName(), 'b');
    assert.equal(p.helpText(), '');
    assert.equal(p.next(), Entry.Type);
    assert.equal(p.metricType(), 'unknown', 'untyped is the unknown type');
    assert.equal(p.next(), Entry.Series);
    assert.equal(p.line(), 7);
    assert.equal(p.next(), Entry.EOF);
    assert.equal(p.next(), Entry.EOF, 'EOF is sticky');
  });

  test('UTF-8 names quoted inside the braces (Prometheus 3)', () => {
    const [s] = series('{"my.metric", "a.b"="x", c="y"} 1\n');
    assert.deepEqual(s?.labels, { __name__: 'my.metric', 'a.b': 'x', c: 'y' });
    const p = new TextParser(enc('# HELP "my.metric" help\n# TYPE "my.metric" gauge\n'));
    p.next();
    assert.equal(p.metaName(), 'my.metric');
    assert.equal(parseError('{"a", "b"} 1\n').code, 'metric_name');
    assert.equal(parseError('a{"b"} 1\n').code, 'metric_name');
    assert.equal(parseError('{"", a="b"} 1\n').code, 'invalid_name');
    assert.equal(parseError(new Uint8Array([...Buffer.from('{"a'), 0xff, ...Buffer.from('"} 1\n')])).code, 'invalid_utf8');
  });

  test('duplicate label names are rejected, also when spelled quoted and unquoted', () => {
    const e = parseError('x 1\nfoo{a="1",b="2",a="3"} 1\n');
    assert.equal(e.code, 'duplicate_label');
    assert.equal(e.line, 2);
    assert.match(e.message, /label name "a" is not unique/);
    assert.equal(parseError('foo{a="1","a"="2"} 1\n').code, 'duplicate_label');
    assert.equal(parseError('foo{__name__="bar"} 1\n').code, 'duplicate_label');
  });

  test('a label name with an empty value anywhere is dropped in all its occurrences, as Prometheus does', () => {
    assert.deepEqual(series('a{c="2",b="1",b=""} 1\n')[0]?.labels, { __name__: 'a', c: '2' });
    assert.deepEqual(series('a{b="",b="1"} 1\n')[0]?.labels, { __name__: 'a' });
    assert.equal(parseError('a{b="",c="1",c="2"} 1\n').code, 'duplicate_label');
    assert.equal(parseError('a{__name__=""} 1\n').code, 'metric_name');
  });

  test('errors name the line, the column and what was wrong', () => {
    const e = parseError('a 1\n# TYPE b gauge\nb abc\n');
    assert.equal(e.message, 'text format parsing error in line 3: expected float as value, got "abc"');
    assert.equal(e.code, 'invalid_value');
    assert.equal(e.line, 3);
    assert.equal(e.column, 3);
    assert.equal(e.format, 'text');
    const crlf = parseError('a 1\r\nb 2\r\n');
    assert.equal(crlf.line, 1);
    assert.match(crlf.message, /got "1\\r"/);
    assert.equal(parseError('a{b=\'c\'} 1\n').code, 'syntax');
    assert.equal(parseError('# TYPE a blah\n').message, 'text format parsing error in line 1: invalid metric type "blah"');
  });

  test('after an error the parser stays failed', () => {
    const p = new TextParser(enc('a 1\nb x\nc 3\n'));
    assert.equal(p.next(), Entry.Series);
    assert.throws(() => p.next(), ParseError);
    assert.throws(() => p.next(), /line 2/);
  });

  test('bad UTF-8 in label values and HELP is rejected', () => {
    assert.equal(parseError(new Uint8Array([...Buffer.from('a{b="ok",c="'), 0xe2, 0x82, ...Buffer.from('"} 1\n')])).code, 'invalid_utf8');
    // Overlong encoding and UTF-16 surrogates are not valid UTF-8 either.
    assert.equal(parseError(new Uint8Array([...Buffer.from('a{b="'), 0xc0, 0xaf, ...Buffer.from('"} 1\n')])).code, 'invalid_utf8');
    assert.equal(parseError(new Uint8Array([...Buffer.from('a{b="'), 0xed, 0xa0, 0x80, ...Buffer.from('"} 1\n')])).code, 'invalid_utf8');
    assert.equal(parseError(new Uint8Array([...Buffer.from('# HELP a '), 0xff, 0x0a])).code, 'invalid_utf8');
    assert.deepEqual(series('a{b="Grüße ☃ 𝄞"} 1\n')[0]?.labels.b, 'Grüße ☃ 𝄞');
  });

  test('huge label values and long bodies parse', () => {
    const big = 'v'.repeat(1 << 20);
    assert.equal(series(`a{b="${big}"} 1\n`)[0]?.labels.b, big);
    const lines: string[] = [];
    for (let i = 0; i < 50_000; i++) lines.push(`m{i="${i}"} ${i}`);
    const got = series(lines.join('\n'));
    assert.equal(got.length, 50_000);
    assert.equal(got[49_999]?.value, 49_999);
  });

  test('histogram le and summary quantile values are kept as exposed unless normalisation is on', () => {
    const body = '# TYPE h histogram\nh_bucket{le="1"} 1\nh_bucket{le="1000000"} 2\nh_bucket{le="+Inf"} 3\n# TYPE s summary\ns{quantile="0.5"} 1\ns{quantile="1"} 2\n# TYPE g gauge\ng{le="1"} 1\n';
    assert.deepEqual(series(body).map((s) => s.labels.le ?? s.labels.quantile), ['1', '1000000', '+Inf', '0.5', '1', '1']);
    assert.deepEqual(
      series(body, { normalizeFloatLabels: true }).map((s) => s.labels.le ?? s.labels.quantile),
      ['1.0', '1e+06', '+Inf', '0.5', '1.0', '1'],
      'only histogram le and summary quantile are rewritten',
    );
  });

  test('labelsInto writes sorted pairs without empty values into a reused array', () => {
    const p = new TextParser(enc('m{z="1",a="",b="2"} 1\nn 2\n'));
    const kv: string[] = ['stale', 'x'];
    p.next();
    p.labelsInto(kv);
    assert.deepEqual(kv, ['__name__', 'm', 'b', '2', 'z', '1']);
    assert.equal(p.labelCount(), 4);
    assert.ok(p.labels().equals(Labels.fromStrings('__name__', 'm', 'b', '2', 'z', '1')));
    p.next();
    p.labelsInto(kv);
    assert.deepEqual(kv, ['__name__', 'n']);
  });

  test('seriesKey and seriesHash identify the exposed series text', () => {
    const p = new TextParser(enc('a{b="1"} 1\na{b="1"} 2 5\na{b="2"} 1\n'));
    const keys: string[] = [];
    const hashes: number[] = [];
    while (p.next() === Entry.Series) {
      keys.push(p.seriesKey());
      hashes.push(p.seriesHash());
    }
    assert.deepEqual(keys, ['a{b="1"}', 'a{b="1"}', 'a{b="2"}']);
    assert.equal(hashes[0], hashes[1]);
    assert.notEqual(hashes[0], hashes[2]);
  });

  test('a NUL byte where a line starts ends the body, as in Prometheus', () => {
    assert.deepEqual(series('a 1\n\0b 2\n').length, 1);
    assert.deepEqual(series('a{b="x\0y"} 1\n')[0]?.labels.b, 'x\0y');
    assert.equal(parseError('a\0 1\n').code, 'syntax');
  });
});
