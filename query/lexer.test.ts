import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { describeToken, tokenize } from './lexer.js';

function kinds(q: string): string[] {
  const r = tokenize(q);
  assert.equal(r.error, null, `unexpected lexer error for ${JSON.stringify(q)}`);
  return r.tokens.map((t) => `${t.tokenType.name}:${t.image}`);
}

describe('tokenize numbers', () => {
  const ok = ['1', '4.23', '.3', '5.', '0x123', '0X_1F', '00_1_23_4.56_7_8', '0x1_2_34', '1.e2', '1e1_2_34', '1e-3', 'Inf', 'nAN'];
  for (const q of ok) test(`${q} is one number`, () => assert.deepEqual(kinds(q), [`Number:${q}`]));
  const bad = ['1..2', '1.2.', '00_1_23__4.56_7_8', '00_1_23_4._56_7_8', '0x1_2__34', '0x1_2__34.56', '1_e2', '1e.2', '1ee2', '1e', '1e+', '1e_1', '12_', '0x1e'];
  for (const q of bad) {
    test(`${q} is a bad number`, () => {
      const r = tokenize(q);
      assert.match(r.error?.message ?? '', /^bad number or duration syntax: /);
    });
  }
  test('identifiers that start like numbers are identifiers', () => {
    assert.deepEqual(kinds('NaN123 Infoo _1_2'), ['Identifier:NaN123', 'Identifier:Infoo', 'Identifier:_1_2']);
  });
});

describe('tokenize words, durations and modes', () => {
  test('keywords are case-insensitive and metric names may contain colons', () => {
    assert.deepEqual(kinds('SUM by (a) (job:up:sum) OFFSET 5m'), [
      'AggregateOp:SUM',
      'By:by',
      'LParen:(',
      'Identifier:a',
      'RParen:)',
      'LParen:(',
      'MetricIdentifier:job:up:sum',
      'RParen:)',
      'Offset:OFFSET',
      'Duration:5m',
    ]);
  });
  test('inside braces words are label names, never keywords', () => {
    assert.deepEqual(kinds('{by="x",on!~"y"}'), ['LBrace:{', 'LabelName:by', 'Eql:=', 'String:"x"', 'Comma:,', 'LabelName:on', 'NeqRegex:!~', 'String:"y"', 'RBrace:}']);
  });
  test('inside brackets: durations, colon and duration functions', () => {
    assert.deepEqual(kinds('[1h30m:step()]'), ['LBracket:[', 'Duration:1h30m', 'Colon::', 'Step:step', 'LParen:(', 'RParen:)', 'RBracket:]']);
  });
  test('fill is a keyword only before a parenthesis', () => {
    assert.deepEqual(kinds('fill + fill (1)'), ['Identifier:fill', 'Add:+', 'Fill:fill', 'LParen:(', 'Number:1', 'RParen:)']);
  });
  test('comments are skipped', () => {
    assert.deepEqual(kinds('a # comment {[\n+ b'), ['Identifier:a', 'Add:+', 'Identifier:b']);
  });
});

describe('lexical errors', () => {
  const cases: [string, string][] = [
    ['foo{', 'unexpected end of input inside braces'],
    ['foo{a~"b"}', "unexpected character inside braces: '~'"],
    ['a ! b', "unexpected character after '!': ' '"],
    ['a ]', "unexpected right bracket ']'"],
    ['x[', 'unexpected end of input in duration expression'],
    ['x[5m', 'unclosed left bracket'],
    ['x[5m x]', "unexpected character: 'x', expected ':'"],
    ['x[:5m]', 'unexpected colon before duration in duration expression'],
    ['x[5m::]', 'unexpected repeated colon in duration expression'],
    ['"\\', 'escape sequence not terminated'],
    ['`abc', 'unterminated raw string'],
    ['a ~ b', "unexpected character: '~'"],
  ];
  for (const [q, msg] of cases) test(`${JSON.stringify(q)}: ${msg}`, () => assert.equal(tokenize(q).error?.message, msg));
});

describe('describeToken', () => {
  test('describes tokens like Prometheus', () => {
    const t = tokenize('sum by foo ( "a long string literal" 5m + :x');
    assert.deepEqual(
      t.tokens.map(describeToken),
      ['<aggr:sum>', '<by>', 'identifier "foo"', '"("', 'string "\\"a long st"...', 'duration "5m"', '<op:+>', 'metric identifier ":x"'],
    );
    assert.equal(describeToken(null), 'end of input');
  });
});
