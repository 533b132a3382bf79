/**
 * Prometheus's own PromQL test scripts (shared/conformance/promql, beside the
 * repository) run through the promqltest runner. Core files must pass with no
 * failures; evals needing unbuilt features (native histograms, info(), start
 * timestamps, anchored/smoothed selectors) are skipped with reasons. A file with a
 * known gap would have its failure count capped at a recorded number (none now).
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type FileResult, newTestEngine, runScriptFile } from './runner.js';

const root = process.env.VIGIL_REPO_ROOT ?? fileURLToPath(new URL('../../../', import.meta.url));
const dir = join(root, '..', 'shared', 'conformance', 'promql');

/** File → failures allowed (known gaps, listed in the report). Every file must have none today. */
const KNOWN_FAILURES: Record<string, number> = {};

const CORE = [
  'aggregators',
  'at_modifier',
  'collision',
  'functions',
  'limit',
  'literals',
  'name_label_dropping',
  'operators',
  'range_queries',
  'selectors',
  'staleness',
  'subquery',
  'trig_functions',
];
const OTHER = [
  'duration_expression',
  'extended_vectors',
  'fill-modifier',
  'histograms',
  'info',
  'native_histograms',
  'start_timestamps',
  'type_and_unit',
];

function describe(r: FileResult): string {
  return r.outcomes
    .filter((o) => o.status === 'fail')
    .map((o) => `${r.file}:${o.line}: ${o.expr}: ${o.message}`)
    .join('\n');
}

const engine = newTestEngine();
for (const name of [...CORE, ...OTHER]) {
  const file = `${name}.test`;
  const path = join(dir, file);
  test(`promqltest ${file}`, { skip: existsSync(path) ? false : `${path} not found` }, async () => {
    const r = await runScriptFile(path, engine);
    const allowed = KNOWN_FAILURES[file] ?? 0;
    assert.ok(r.failed <= allowed, `${r.failed} failures (allowed ${allowed}):\n${describe(r)}`);
    if (CORE.includes(name)) assert.ok(r.passed > 0, 'a core file must have passing evals');
    // Every eval is accounted for: nothing is silently dropped.
    assert.equal(r.passed + r.failed + r.skipped, r.outcomes.length);
  });
}
