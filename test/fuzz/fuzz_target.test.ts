import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { runFuzz } from './fuzz_target.js';

class ExpectedError extends Error {}

test('runFuzz passes a target that only throws its expected error type', () => {
  const runs = runFuzz((s: string) => {
    if (s.includes('x')) throw new ExpectedError('no x');
  }, fc.string(), [ExpectedError], 200);
  assert.ok(runs > 10);
});

test('runFuzz flags a call slower than the limit as a hang', () => {
  assert.throws(
    () =>
      runFuzz(() => {
        const until = performance.now() + 2100;
        while (performance.now() < until) {
          // a stand-in for a parser stuck in a loop
        }
      }, fc.constant(0), [], 5000),
    (e: unknown) => e instanceof Error && /one call took \d+ ms/.test(String(e.cause)),
  );
});

test('runFuzz finds and shrinks an unexpected exception', () => {
  assert.throws(
    () =>
      runFuzz((s: string) => {
        if (s.length > 3 && s.includes('{')) throw new TypeError('boom');
      }, fc.string({ unit: fc.constantFrom('a', '{', 'b') }), [ExpectedError], 2000),
    (e: unknown) => e instanceof Error && /Counterexample: \["[a{b]{4}"\]/.test(e.message) && e.cause instanceof TypeError && e.cause.message === 'boom',
  );
});
