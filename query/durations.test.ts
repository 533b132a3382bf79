import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DurationError, resolveDurations } from './durations.js';
import { parseExpr } from './parser.js';

describe('resolveDurations', () => {
  test('step() and range() take the query step and range', () => {
    const e = parseExpr('max_over_time(x[step() * 2])[0s + range():step()] offset -step()');
    resolveDurations(e, { stepMs: 15_000, rangeMs: 3_600_000 });
    assert.ok(e.type === 'SubqueryExpr');
    if (e.type !== 'SubqueryExpr') return;
    assert.deepEqual([e.range, e.step, e.originalOffset, e.offset], [3_600_000, 15_000, -15_000, -15_000]);
    const inner = e.expr;
    assert.ok(inner.type === 'Call' && inner.args[0]!.type === 'MatrixSelector' && inner.args[0]!.range === 30_000);
  });

  test('min_of/max_of, %, ^ and unary minus', () => {
    const e = parseExpr('x[max_of(1m, step() * 2 + 2 ^ 3 - 7 % 5)] offset -(5m)');
    resolveDurations(e, { stepMs: 10_000, rangeMs: 0 });
    assert.ok(e.type === 'MatrixSelector');
    if (e.type !== 'MatrixSelector') return;
    assert.equal(e.range, 60_000);
    assert.equal(e.vectorSelector.originalOffset, -300_000);
    resolveDurations(e, { stepMs: 600_000, rangeMs: 0 });
    assert.equal(e.range, (600 * 2 + 8 - 2) * 1000);
  });

  test('a non-positive range is an error when the query runs', () => {
    const e = parseExpr('x[1m - step()]');
    assert.throws(() => resolveDurations(e, { stepMs: 60_000, rangeMs: 0 }), (err: unknown) => {
      return err instanceof DurationError && /duration must be greater than 0/.test(err.message);
    });
    const z = parseExpr('x[1m / (step() - 1m)]');
    assert.throws(() => resolveDurations(z, { stepMs: 60_000, rangeMs: 0 }), /division by zero/);
  });

  test('like Prometheus, a colon needs a number before it in the brackets', () => {
    assert.throws(() => parseExpr('x[range():step()]'), /unexpected colon before duration in duration expression/);
  });

  test('constant expressions are folded by the parser already', () => {
    const e = parseExpr('x[30s * 4]');
    assert.ok(e.type === 'MatrixSelector' && e.range === 120_000);
  });
});
