import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatFloat, formatFloatV, sprintf4g } from './go_fmt.js';
import { sprintf } from './printf.js';

// Expected strings are what Go's fmt prints (Go documentation and `go run` outputs).
test('%.4g: significant digits, trailing zeros dropped, exponent form outside [1e-4, 1e4)', () => {
  const cases: [number, string][] = [
    [0, '0'],
    [1, '1'],
    [-1, '-1'],
    [0.5, '0.5'],
    [1234, '1234'],
    [1000, '1000'],
    [9999, '9999'],
    [12345, '1.234e+04'], // exact tie 1234|5 rounds half to even
    [12355, '1.236e+04'],
    [99999, '1e+05'],
    [100000, '1e+05'],
    [123456789, '1.235e+08'],
    [0.0001, '0.0001'],
    [0.00012345, '0.0001234'],
    [0.00001, '1e-05'],
    [1.0625, '1.062'], // exact binary tie → even
    [1.0635, '1.064'], // not an exact tie in binary (1.06349999…)? Go: 1.064? see below
    [0.1 + 0.2, '0.3'],
    [2.5e-5, '2.5e-05'],
    [1e21, '1e+21'],
    [1.7976931348623157e308, '1.798e+308'],
    [5e-324, '4.941e-324'],
    [Number.NaN, 'NaN'],
    [Number.POSITIVE_INFINITY, '+Inf'],
    [Number.NEGATIVE_INFINITY, '-Inf'],
  ];
  for (const [v, want] of cases) {
    if (v === 1.0635) continue; // documented separately below
    assert.equal(sprintf4g(v), want, `%.4g of ${v}`);
  }
});

test('%.4g rounds on the exact binary value (1.0635 is 1.063499999… in binary)', () => {
  assert.equal(sprintf4g(1.0635), '1.063');
  assert.equal(sprintf4g(0.125), '0.125');
  assert.equal(formatFloat(0.125, 'g', 2), '0.12');
  assert.equal(formatFloat(0.375, 'g', 2), '0.38');
});

test('%v of float64 is the shortest %g', () => {
  assert.equal(formatFloatV(1234567.891), '1.234567891e+06');
  assert.equal(formatFloatV(100000), '100000');
  assert.equal(formatFloatV(1e6), '1e+06');
  assert.equal(formatFloatV(0.0001), '0.0001');
  assert.equal(formatFloatV(0.00001), '1e-05');
  assert.equal(formatFloatV(-0), '-0');
});

test('%e %E %f with precision', () => {
  assert.equal(formatFloat(1234.5678, 'e', 2), '1.23e+03');
  assert.equal(formatFloat(60, 'E', -1), '6E+01');
  assert.equal(formatFloat(1, 'E', -1), '1E+00');
  assert.equal(formatFloat(2.5, 'f', 0), '2');
  assert.equal(formatFloat(3.5, 'f', 0), '4');
  assert.equal(formatFloat(1.005, 'f', 2), '1.00');
  assert.equal(formatFloat(123.456, 'f', -1), '123.456');
});

test('printf verbs, flags, widths and Go error forms', () => {
  assert.equal(sprintf('%d|%5d|%-5d|%05d|%+d', [42n, 42n, 42n, 42n, 42n]), '42|   42|42   |00042|+42');
  assert.equal(sprintf('%.2f|%8.3f|%-8.1f|%e|%g', [2.5678, 2.5678, 2.5678, 1234.5678, 0.000012]), '2.57|   2.568|2.6     |1.234568e+03|1.2e-05');
  assert.equal(sprintf('%s|%10s|%-4s|%q|%v|%t', ['a', 'right', 'l', 'q"', 1.5, true]), 'a|     right|l   |"q\\""|1.5|true');
  assert.equal(sprintf('%x|%X|%#x', [255n, 255n, 255n]), 'ff|FF|0xff');
  assert.equal(sprintf('%d', [1.5]), '%!d(float64=1.5)');
  assert.equal(sprintf('%s %s', ['a']), 'a %!s(MISSING)');
  assert.equal(sprintf('%s', ['a', 1n]), 'a%!(EXTRA int=1)');
  assert.equal(sprintf('100%%', []), '100%');
  assert.equal(sprintf('%.1f', [Number.POSITIVE_INFINITY]), '+Inf');
});
