import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatCpu, formatMemory, parseQuantity } from './quantity.js';

test('quantity parses decimal, binary, milli and exponent forms', () => {
  const cases: [string, number][] = [
    ['500m', 0.5],
    ['2', 2],
    ['0.25', 0.25],
    ['.5', 0.5],
    ['128Mi', 128 * 2 ** 20],
    ['1Gi', 2 ** 30],
    ['1G', 1e9],
    ['1k', 1000],
    ['1e3', 1000],
    ['1.5E2', 150],
    ['100u', 1e-4],
    ['+3', 3],
  ];
  for (const [s, want] of cases) assert.ok(Math.abs((parseQuantity(s) ?? Number.NaN) - want) < 1e-12, `${s} → ${parseQuantity(s)}`);
  for (const bad of ['', 'abc', '1Mb', '1 Gi', '--1', 'm', '1e', 'x'.repeat(65)]) assert.equal(parseQuantity(bad), null, bad);
});

test('quantity formatting matches Kubernetes short forms', () => {
  assert.equal(formatCpu(0.5), '500m');
  assert.equal(formatCpu(2), '2');
  assert.equal(formatCpu(1.25), '1250m');
  assert.equal(formatMemory(128 * 2 ** 20), '128Mi');
  assert.equal(formatMemory(2 ** 30), '1Gi');
  assert.equal(formatMemory(1000), '1000');
  assert.equal(formatMemory(0), '0');
});
