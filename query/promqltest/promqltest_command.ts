/**
 * `vigil promqltest FILE...`: runs promqltest scripts and reports like a test
 * runner. Prints one line per failing eval (`file:line: query: why`), the skip
 * reasons, per-file counts, and as the very last line `N passed, M failed, K skipped`.
 * Returns the process exit code: 1 when anything failed, else 0.
 */
import { type FileResult, newTestEngine, runScriptFile } from './runner.js';

/** Where the report goes (process.stdout, or a buffer in tests). */
export interface Output {
  write(s: string): unknown;
}

export async function runPromqltest(files: string[], out: Output): Promise<number> {
  const engine = newTestEngine();
  const results: FileResult[] = [];
  for (const f of files) {
    const r = await runScriptFile(f, engine).catch(
      (e: unknown): FileResult => ({
        file: f,
        passed: 0,
        failed: 1,
        skipped: 0,
        outcomes: [{ line: 0, expr: '', status: 'fail', message: `cannot run: ${(e as Error).message}` }],
      }),
    );
    results.push(r);
    for (const o of r.outcomes) {
      if (o.status === 'fail') out.write(`FAIL ${r.file}:${o.line}: ${o.expr}: ${o.message}\n`);
    }
  }
  // Skip reasons, grouped, so nothing is dropped silently.
  const reasons = new Map<string, number>();
  for (const r of results) {
    for (const o of r.outcomes) {
      if (o.status !== 'skip') continue;
      const key = o.message.replace(/ \(float-only result differs: .*\)$/s, ' (float-only result differs)');
      reasons.set(key, (reasons.get(key) ?? 0) + 1);
    }
  }
  if (reasons.size > 0) {
    out.write('skipped evals by reason:\n');
    for (const [why, n] of [...reasons].sort((a, b) => b[1] - a[1])) out.write(`  ${n}\t${why}\n`);
  }
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  for (const r of results) {
    out.write(`${r.file}: ${r.passed} passed, ${r.failed} failed, ${r.skipped} skipped\n`);
    passed += r.passed;
    failed += r.failed;
    skipped += r.skipped;
  }
  out.write(`${passed} passed, ${failed} failed, ${skipped} skipped\n`);
  return failed > 0 ? 1 : 0;
}
