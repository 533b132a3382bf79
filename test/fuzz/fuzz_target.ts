/**
 * A bounded-time property-based fuzz harness on fast-check, shared by every fuzz target.
 *
 * `fuzzTarget(name, fn, arbitrary, expected)` registers one node:test test that feeds
 * generated inputs to `fn` for a time budget and fails when `fn` throws anything that is
 * not an instance of one of the `expected` error classes (a parser's own error type), or
 * when a single call takes longer than `FUZZ_SLOW_CALL_MS` (a hang or a super-linear
 * blow-up). fast-check shrinks a failing input and prints it with the seed to replay.
 *
 * Budget: `VIGIL_FUZZ_SECONDS` per target (default 2 in `npm test`; `npm run fuzz`
 * runs test/fuzz/run_fuzz.mjs with a longer one). `VIGIL_FUZZ_SEED` replays a run.
 * Every crash found becomes a regression test beside the code it broke.
 */
import { test } from 'node:test';
import fc from 'fast-check';

/** An error class the target may legitimately throw (its documented error type). */
export type ErrorClass = abstract new (...args: never[]) => Error;

/** A single call slower than this counts as a hang. */
export const FUZZ_SLOW_CALL_MS = Number(process.env.VIGIL_FUZZ_SLOW_CALL_MS ?? 2000);

/** The per-target time budget, in milliseconds. */
export function fuzzBudgetMs(): number {
  const s = Number(process.env.VIGIL_FUZZ_SECONDS ?? 2);
  return Number.isFinite(s) && s > 0 ? s * 1000 : 2000;
}

/** Thrown when a call outlives `FUZZ_SLOW_CALL_MS`. */
export class SlowCallError extends Error {}

/**
 * Registers the fuzz test `fuzz: <name>`. `fn` may throw instances of `expected`; any other
 * exception, or a call slower than `FUZZ_SLOW_CALL_MS`, fails the test with the shrunk input.
 */
export function fuzzTarget<T>(name: string, fn: (input: T) => unknown, arbitrary: fc.Arbitrary<T>, expected: readonly ErrorClass[] = []): void {
  const budget = fuzzBudgetMs();
  test(`fuzz: ${name}`, { timeout: budget + 120_000 }, (t) => {
    const runs = runFuzz(fn, arbitrary, expected, budget);
    t.diagnostic(`${runs} inputs in ${budget} ms`);
    if (runs < 10) throw new Error(`only ${runs} inputs ran within ${budget} ms`);
  });
}

/**
 * Runs `fn` on inputs from `arbitrary` for `budgetMs` and returns how many ran. Throws
 * (fast-check's report: shrunk counterexample and seed) on an unexpected exception or a slow call.
 */
export function runFuzz<T>(fn: (input: T) => unknown, arbitrary: fc.Arbitrary<T>, expected: readonly ErrorClass[], budgetMs: number): number {
  let runs = 0;
  const seedText = process.env.VIGIL_FUZZ_SEED;
  const property = fc.property(arbitrary, (input) => {
    runs++;
    const t0 = performance.now();
    try {
      fn(input);
    } catch (e) {
      if (!expected.some((cls) => e instanceof cls)) throw e;
    }
    const took = performance.now() - t0;
    if (took > FUZZ_SLOW_CALL_MS) throw new SlowCallError(`one call took ${took.toFixed(0)} ms (limit ${FUZZ_SLOW_CALL_MS} ms)`);
  });
  fc.assert(property, {
    numRuns: Number.MAX_SAFE_INTEGER,
    interruptAfterTimeLimit: budgetMs,
    markInterruptAsFailure: false,
    ...(seedText !== undefined ? { seed: Number(seedText) } : {}),
  });
  return runs;
}

/** Text built from `fragments` (and some arbitrary characters): reaches deeper than random strings. */
export function fragmentText(fragments: readonly string[], maxParts = 40): fc.Arbitrary<string> {
  const piece = fc.oneof(
    { weight: 8, arbitrary: fc.constantFrom(...fragments) },
    { weight: 1, arbitrary: fc.string({ maxLength: 8, unit: 'binary' }) },
    { weight: 1, arbitrary: fc.constantFrom('\n', ' ', '\t', '"', '\\', '{', '}', '=', ',', '#', ':', '-', '\u0000', '\uFFFD', '\uD800') },
  );
  return fc.array(piece, { maxLength: maxParts }).map((parts) => parts.join(''));
}

/** `base` with up to `maxEdits` random byte-level insertions, deletions and replacements. */
export function mutated(base: string, maxEdits = 6): fc.Arbitrary<string> {
  const edit = fc.record({ at: fc.nat(), kind: fc.constantFrom('insert', 'delete', 'replace'), text: fc.string({ minLength: 1, maxLength: 4, unit: 'binary' }) });
  return fc.array(edit, { maxLength: maxEdits }).map((edits) => {
    let s = base;
    for (const e of edits) {
      const at = s.length === 0 ? 0 : e.at % (s.length + 1);
      if (e.kind === 'insert') s = s.slice(0, at) + e.text + s.slice(at);
      else if (e.kind === 'delete') s = s.slice(0, at) + s.slice(at + e.text.length);
      else s = s.slice(0, at) + e.text + s.slice(at + e.text.length);
    }
    return s;
  });
}
