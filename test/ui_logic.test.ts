/**
 * The web UI's DOM-free logic (ui/app is bundled for the browser, not compiled
 * by the root tsconfig): bundled here with esbuild into a temp ES module and
 * run under node — the autocomplete context scanner, suggestion ranking, the
 * URL state of query panels (Prometheus's `g0.*` parameters), durations,
 * series formatting, and reading the position out of a parse error.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { REPO_ROOT } from './ui_fixtures.js';

type Ctx = { kind: string; prefix?: string; from?: number; metric?: string; label?: string };
interface PanelState {
  expr: string;
  tab: 'graph' | 'table';
  rangeMs: number;
  endMs: number | null;
  stepSec: number | null;
  stacked: boolean;
}
interface Logic {
  completionContext(text: string, cursor: number): Ctx;
  rank(names: readonly string[], prefix: string, limit?: number): string[];
  panelsFromParams(p: URLSearchParams): PanelState[];
  panelsToParams(panels: readonly PanelState[]): URLSearchParams;
  autoStepSec(rangeMs: number): number;
  parseDuration(s: string): number;
  formatDuration(ms: number): string;
  formatSeries(labels: Record<string, string>): string;
  errorPosition(message: string): { line: number; col: number; text: string } | null;
}

const ENTRY = `
export { completionContext } from './ui/app/query/completion_context.ts';
export { rank } from './ui/app/query/completion_source.ts';
export { panelsFromParams, panelsToParams, autoStepSec } from './ui/app/query/panel_state.ts';
export { parseDuration, formatDuration, formatSeries } from './ui/app/format.ts';
export { errorPosition } from './ui/app/query/expr_input.ts';
`;

describe('web UI logic', () => {
  let dir = '';
  let L: Logic;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vigil-ui-logic-'));
    const out = join(dir, 'logic.mjs');
    await build({ stdin: { contents: ENTRY, resolveDir: REPO_ROOT, loader: 'ts' }, bundle: true, format: 'esm', platform: 'neutral', outfile: out, logLevel: 'silent' });
    L = (await import(pathToFileURL(out).href)) as Logic;
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('completion context: metric names, label names, label values, grouping lists, and none inside ranges', () => {
    const at = (s: string) => L.completionContext(s, s.length);
    assert.deepEqual(at('rate(http_req'), { kind: 'metric', prefix: 'http_req', from: 5 });
    assert.deepEqual(at('up{'), { kind: 'labelName', metric: 'up', prefix: '', from: 3 });
    assert.deepEqual(at('up{job="a", inst'), { kind: 'labelName', metric: 'up', prefix: 'inst', from: 12 });
    assert.deepEqual(at('up{job=~"ap'), { kind: 'labelValue', metric: 'up', label: 'job', prefix: 'ap', from: 9 });
    assert.deepEqual(at('{__name__="x", job != "'), { kind: 'labelValue', metric: '', label: 'job', prefix: '', from: 23 });
    assert.deepEqual(at('sum by (jo'), { kind: 'labelName', metric: '', prefix: 'jo', from: 8 });
    assert.deepEqual(at('sum(x) without (a, '), { kind: 'labelName', metric: '', prefix: '', from: 19 });
    assert.equal(at('rate(x[5').kind, 'none');
    assert.equal(at('rate(x[5m').kind, 'none');
    assert.equal(at('x offset 5m').kind, 'none');
    assert.equal(at('1e').kind, 'none');
    assert.equal(at('label_replace(x, "dst", "').kind, 'none');
    assert.equal(at('up{job="a"} # comment up').kind, 'none');
    // After a closed selector, names are metrics again; the cursor in the middle counts only the text before it.
    assert.deepEqual(at('up{job="a"} / on(job) node_'), { kind: 'metric', prefix: 'node_', from: 22 });
    assert.deepEqual(L.completionContext('sum(demo_x) by (job)', 8), { kind: 'metric', prefix: 'demo', from: 4 });
  });

  test('ranking puts prefix matches first, then substring matches, and caps the list', () => {
    const names = ['node_cpu_seconds_total', 'process_cpu_seconds_total', 'node_memory_bytes', 'cpu'];
    assert.deepEqual(L.rank(names, 'node'), ['node_cpu_seconds_total', 'node_memory_bytes']);
    // The exact name typed is not offered again; substring matches follow.
    assert.deepEqual(L.rank(names, 'cpu'), ['node_cpu_seconds_total', 'process_cpu_seconds_total']);
    const many = Array.from({ length: 30_000 }, (_, i) => `metric_${i}`);
    assert.equal(L.rank(many, 'metric_', 50).length, 50);
  });

  test('panel URL state reads and writes Prometheus g<N>.* parameters', () => {
    const p = new URLSearchParams('g0.expr=up&g0.tab=0&g0.range_input=2h&g0.step_input=30&g0.stacked=1&g1.expr=rate(x%5B5m%5D)&g1.tab=1&g1.end_input=2024-01-02%2003:04:05&x=1');
    const panels = L.panelsFromParams(p);
    assert.equal(panels.length, 2);
    assert.deepEqual({ ...panels[0], endMs: null }, { expr: 'up', tab: 'graph', rangeMs: 7_200_000, endMs: null, stepSec: 30, stacked: true });
    assert.equal(panels[1]?.expr, 'rate(x[5m])');
    assert.equal(panels[1]?.tab, 'table');
    assert.equal(panels[1]?.endMs, new Date(2024, 0, 2, 3, 4, 5).getTime());
    // Round trip.
    assert.deepEqual(L.panelsFromParams(L.panelsToParams(panels)), panels);
    // A generatorURL with only expr and tab=1 opens a table over the default hour.
    assert.deepEqual(L.panelsFromParams(new URLSearchParams('g0.expr=up&g0.tab=1')), [{ expr: 'up', tab: 'table', rangeMs: 3_600_000, endMs: null, stepSec: null, stacked: false }]);
    // Prometheus 3 spells tabs out.
    assert.equal(L.panelsFromParams(new URLSearchParams('g0.expr=up&g0.tab=graph'))[0]?.tab, 'graph');
    // Bad values fall back to defaults instead of breaking the page.
    assert.deepEqual(L.panelsFromParams(new URLSearchParams('g0.range_input=soon&g0.step_input=-1&g0.end_input=yesterday')), [{ expr: '', tab: 'table', rangeMs: 3_600_000, endMs: null, stepSec: null, stacked: false }]);
  });

  test('automatic step, durations and series text', () => {
    assert.equal(L.autoStepSec(3_600_000), 14);
    assert.equal(L.autoStepSec(60_000), 1);
    assert.equal(L.parseDuration('1h30m'), 5_400_000);
    assert.ok(Number.isNaN(L.parseDuration('1h 30m')));
    assert.equal(L.formatDuration(5_400_000), '1h30m');
    assert.equal(L.formatDuration(L.parseDuration('2w3d')), '2w3d');
    assert.equal(L.formatSeries({ b: '2', __name__: 'm', a: 'x"y\\z' }), 'm{a="x\\"y\\\\z", b="2"}');
    assert.equal(L.formatSeries({}), '{}');
  });

  test('parse error positions are read from API error messages', () => {
    assert.deepEqual(L.errorPosition('invalid parameter "query": 1:14: parse error: unexpected ")"'), { line: 1, col: 14, text: 'parse error: unexpected ")"' });
    assert.deepEqual(L.errorPosition('2:3: parse error: unexpected end of input'), { line: 2, col: 3, text: 'parse error: unexpected end of input' });
    assert.equal(L.errorPosition('execution: query timed out'), null);
  });
});
