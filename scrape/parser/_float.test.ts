import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { formatOpenMetricsFloat, parseDigitsInt64, parseGoFloat } from './_float.js';

const b = (s: string) => new Uint8Array(Buffer.from(s, 'latin1'));
const pf = (s: string) => parseGoFloat(b(s), 0, s.length);

describe('parseGoFloat (Go strconv.ParseFloat without p, P, _)', () => {
  test('decimal forms', () => {
    const cases: [string, number][] = [
      ['0', 0],
      ['1', 1],
      ['-1', -1],
      ['+1', 1],
      ['007', 7],
      ['.5', 0.5],
      ['5.', 5],
      ['-.5e-3', -0.0005],
      ['1e6', 1e6],
      ['1E+06', 1e6],
      ['4.9351e-05', 4.9351e-5],
      ['7.424100000000001e-05', 7.424100000000001e-5],
      ['0.1', 0.1],
      ['123456789012345678901234567890', 1.2345678901234568e29],
      ['0.000000000000000000000000000001', 1e-30],
      ['1.7976931348623157e308', 1.7976931348623157e308],
      ['1e-400', 0],
      ['4.4046288803e+10', 4.4046288803e10],
      ['9007199254740993', 9007199254740992],
    ];
    for (const [s, v] of cases) assert.equal(pf(s), v, s);
    assert.ok(Object.is(pf('-0'), -0));
  });

  test('special values in any letter case; NaN without sign', () => {
    for (const s of ['Inf', '+Inf', 'inf', 'INF', '+infinity', 'Infinity']) assert.equal(pf(s), Number.POSITIVE_INFINITY, s);
    for (const s of ['-Inf', '-inf', '-Infinity']) assert.equal(pf(s), Number.NEGATIVE_INFINITY, s);
    for (const s of ['NaN', 'nan', 'NAN']) assert.ok(Number.isNaN(pf(s)), s);
    for (const s of ['+NaN', '-nan', 'infin', 'Infinityy', 'nana']) assert.equal(pf(s), undefined, s);
  });

  test('rejects what Prometheus rejects', () => {
    for (const s of ['', '+', '-', '.', 'e5', '1e', '1e+', '1_0', '0x10', '0x1p-3', '1p3', ' 1', '1 ', 'abc', '1.2.3', '--1', '1e400', '-1e400', 'true', '1\r']) {
      assert.equal(pf(s), undefined, JSON.stringify(s));
    }
  });

  test('parses a sub-range of a buffer', () => {
    const buf = b('xx12.5yy');
    assert.equal(parseGoFloat(buf, 2, 6), 12.5);
  });
});

describe('parseDigitsInt64', () => {
  test('accepts the int64 range and rejects beyond it', () => {
    const p = (s: string) => parseDigitsInt64(b(s), 0, s.length);
    assert.equal(p('0'), 0);
    assert.equal(p('1700000000123'), 1700000000123);
    assert.equal(p('0009223372036854775807'), Number(9223372036854775807n));
    assert.equal(p('9223372036854775808'), undefined);
    assert.equal(p('99999999999999999999'), undefined);
  });
});

describe('formatOpenMetricsFloat (Go %g shortest, .0 appended)', () => {
  test('matches Go formatting', () => {
    const cases: [number, string][] = [
      [1, '1.0'],
      [0, '0.0'],
      [-0, '0.0'],
      [-1, '-1.0'],
      [10, '10.0'],
      [0.5, '0.5'],
      [100000, '100000.0'],
      [123456, '123456.0'],
      [1e6, '1e+06'],
      [1234567, '1.234567e+06'],
      [0.0001, '0.0001'],
      [0.00001, '1e-05'],
      [1.5e-7, '1.5e-07'],
      [1e21, '1e+21'],
      [1e100, '1e+100'],
      [-2.5, '-2.5'],
      [0.1 + 0.2, '0.30000000000000004'],
      [Number.POSITIVE_INFINITY, '+Inf'],
      [Number.NEGATIVE_INFINITY, '-Inf'],
      [Number.NaN, 'NaN'],
    ];
    for (const [v, s] of cases) assert.equal(formatOpenMetricsFloat(v), s, String(v));
  });
});
