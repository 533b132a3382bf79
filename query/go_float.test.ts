import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatGoF, formatGoG, formatGoGPrec } from './go_float.js';

test('formatGoG matches Go %g', () => {
  const cases: [number, string][] = [
    [1.1, '1.1'],
    [-1.1, '-1.1'],
    [2, '2'],
    [100000, '100000'],
    [1e6, '1e+06'],
    [1234567, '1.234567e+06'],
    [0.0001, '0.0001'],
    [0.00001, '1e-05'],
    [Number.NaN, 'NaN'],
    [Number.POSITIVE_INFINITY, '+Inf'],
    [Number.NEGATIVE_INFINITY, '-Inf'],
    [1e21, '1e+21'],
  ];
  for (const [v, s] of cases) assert.equal(formatGoG(v), s, String(v));
});

test('formatGoF matches strconv.FormatFloat(v, f, -1, 64)', () => {
  const cases: [number, string][] = [
    [1, '1'],
    [0.5, '0.5'],
    [1e21, '1000000000000000000000'],
    [1.5e-7, '0.00000015'],
    [-12.25, '-12.25'],
    [Number.POSITIVE_INFINITY, '+Inf'],
  ];
  for (const [v, s] of cases) assert.equal(formatGoF(v), s, String(v));
});

test('formatGoGPrec matches Go %.2g', () => {
  const cases: [number, string][] = [
    [1, '1'],
    [15, '15'],
    [150, '1.5e+02'],
    [0.5, '0.5'],
    [0.123, '0.12'],
    [0.00001234, '1.2e-05'],
    [99.9, '1e+02'],
  ];
  for (const [v, s] of cases) assert.equal(formatGoGPrec(v, 2), s, String(v));
});
