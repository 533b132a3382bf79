/**
 * Runs promqltest scripts against Vigil's engine over a fresh in-memory storage
 * (per file and per `clear`), comparing results as Prometheus's
 * `promql/promqltest` does: same label sets, values equal within a relative
 * 1e-6, instant results ordered only under `expect ordered`, range results by
 * timestamp, annotations per `expect warn|info` lines.
 *
 * Evals that need features this engine lacks are counted as skipped with a
 * reason, never dropped: expected native-histogram values; `UnsupportedFeatureError`
 * from the engine; start-timestamp data; and evals whose selectors touch series
 * that were loaded with native-histogram samples (those samples are not loaded)
 * when the float-only result does not match.
 */
import { readFile } from 'node:fs/promises';
import { Labels } from '../../tsdb/labels.js';
import type { Matcher } from '../../tsdb/matcher.js';
import { MemoryStorage } from '../../tsdb/memory_storage.js';
import { NO_REF, isStaleNaN } from '../../tsdb/storage.js';
import { type Expr, extractSelectors, inspect } from '../ast.js';
import { type DetailedResult, Engine } from '../engine.js';
import { UnsupportedFeatureError } from '../eval_errors.js';
import { parseExpr } from '../parser.js';
import { almostEqual } from '../quantile.js';
import type { MatrixSeries, VectorSample } from '../value.js';
import { type Command, type EvalCmd, type LoadCmd, parseScript, ScriptError, type SeriesLine } from './script.js';

export type OutcomeStatus = 'pass' | 'fail' | 'skip';

export interface EvalOutcome {
  readonly line: number;
  readonly expr: string;
  readonly status: OutcomeStatus;
  /** Why it failed or was skipped ('' for passes). */
  readonly message: string;
}

export interface FileResult {
  readonly file: string;
  passed: number;
  failed: number;
  skipped: number;
  readonly outcomes: EvalOutcome[];
}

/** Engine settings of Prometheus's test engine (`NewTestEngine`). */
export function newTestEngine(): Engine {
  return new Engine({
    timeoutMs: 100_000,
    maxSamples: 10_000,
    lookbackDeltaMs: 5 * 60_000,
    maxConcurrency: 1,
    enableExperimentalFunctions: true,
    defaultSubqueryStepMs: 60_000,
  });
}

const EPSILON = 1e-6;

/** Float equality of the test language: NaN equals NaN, StaleNaN only StaleNaN, else relative 1e-6. */
export function valuesEqual(a: number, b: number): boolean {
  const sa = isStaleNaN(a);
  const sb = isStaleNaN(b);
  if (sa || sb) return sa && sb;
  return almostEqual(a, b, EPSILON);
}

/** Runs one script file from disk. */
export async function runScriptFile(path: string, engine: Engine = newTestEngine()): Promise<FileResult> {
  return runScript(path, await readFile(path, 'utf8'), engine);
}

/** Runs a script's text; `file` names it in messages. */
export async function runScript(file: string, text: string, engine: Engine = newTestEngine()): Promise<FileResult> {
  const res: FileResult = { file, passed: 0, failed: 0, skipped: 0, outcomes: [] };
  let cmds: Command[];
  try {
    cmds = parseScript(file, text);
  } catch (e) {
    const line = e instanceof ScriptError ? e.line : 0;
    record(res, { line, expr: '', status: 'fail', message: `script error: ${(e as Error).message}` });
    return res;
  }
  let storage = new MemoryStorage();
  let histogramSeries: Labels[] = [];
  let startTimestamps = false;
  for (const cmd of cmds) {
    if (cmd.kind === 'clear') {
      await storage.close();
      storage = new MemoryStorage();
      histogramSeries = [];
      startTimestamps = false;
      continue;
    }
    if (cmd.kind === 'load') {
      if (cmd.hasStartTimestamps) startTimestamps = true;
      const err = await load(storage, cmd, histogramSeries);
      if (err !== null) record(res, { line: cmd.line, expr: 'load', status: 'fail', message: err });
      continue;
    }
    record(res, await runEval(engine, storage, cmd, histogramSeries, startTimestamps));
  }
  await storage.close();
  return res;
}

function record(res: FileResult, o: EvalOutcome): void {
  res.outcomes.push(o);
  if (o.status === 'pass') res.passed++;
  else if (o.status === 'fail') res.failed++;
  else res.skipped++;
}

async function load(storage: MemoryStorage, cmd: LoadCmd, histogramSeries: Labels[]): Promise<string | null> {
  const app = storage.appender();
  // As in Prometheus's runner, a series defined twice in one load block keeps its last definition.
  const defs = new Map<string, SeriesLine>();
  for (const s of cmd.series) defs.set(s.labels.key(), s);
  try {
    for (const s of defs.values()) {
      if (s.hasHistogram) histogramSeries.push(s.labels);
      if (cmd.withNhcb) {
        // The converted native histogram lives under the base name, without `le`.
        const name = s.labels.metricName();
        const base = name.replace(/_(bucket|count|sum)$/, '');
        if (base !== name) histogramSeries.push(s.labels.builder().set('__name__', base).del('le').labels());
      }
      for (let i = 0; i < s.values.length; i++) {
        if (s.present[i] === 1) app.append(NO_REF, s.labels, i * cmd.intervalMs, s.values[i]!);
      }
    }
    await app.commit();
    return null;
  } catch (e) {
    await app.rollback();
    return `load failed: ${(e as Error).message}`;
  }
}

/** Whether any selector of `expr` matches a series that was loaded with native-histogram samples. */
function touchesHistograms(expr: string, histogramSeries: readonly Labels[]): boolean {
  if (histogramSeries.length === 0) return false;
  let selectors: Matcher[][];
  try {
    selectors = extractSelectors(parseExpr(expr, { enableExperimentalFunctions: true }));
  } catch {
    return false;
  }
  return selectors.some((ms) => histogramSeries.some((l) => ms.every((m) => m.matches(l.get(m.name)))));
}

async function runEval(engine: Engine, storage: MemoryStorage, cmd: EvalCmd, histogramSeries: Labels[], startTimestamps: boolean): Promise<EvalOutcome> {
  const o = (status: OutcomeStatus, message: string): EvalOutcome => ({ line: cmd.line, expr: cmd.expr, status, message });
  if (cmd.hasHistogram) return o('skip', 'native histograms: expected values are histograms');
  if (startTimestamps) return o('skip', 'start timestamps (@st) are not supported');
  const touches = touchesHistograms(cmd.expr, histogramSeries);
  const failOrSkip = (msg: string): EvalOutcome =>
    touches ? o('skip', `native histograms: the query reads histogram series (float-only result differs: ${msg})`) : o('fail', msg);

  let result: DetailedResult;
  const end = cmd.instant && cmd.rangeVector !== null ? cmd.rangeVector.end : cmd.end;
  try {
    result = cmd.instant ? await engine.exec(storage, cmd.expr, end, end, 0) : await engine.exec(storage, cmd.expr, cmd.start, end, cmd.stepMs);
  } catch (e) {
    if (e instanceof UnsupportedFeatureError) return o('skip', e.feature);
    const msg = (e as Error).message;
    if (!cmd.expectFail) return failOrSkip(`unexpected error: ${msg}`);
    if (cmd.failMsg !== null && cmd.failMsg !== msg) return failOrSkip(`expected error ${JSON.stringify(cmd.failMsg)}, got ${JSON.stringify(msg)}`);
    if (cmd.failRegex !== null && !cmd.failRegex.test(msg)) return failOrSkip(`expected error matching ${cmd.failRegex}, got ${JSON.stringify(msg)}`);
    return o('pass', '');
  }
  if (cmd.expectFail) return failOrSkip('expected an error, but the query succeeded');
  const mismatch = compareResult(cmd, result) ?? compareAnnotations(cmd, result);
  if (mismatch !== null) return failOrSkip(mismatch);
  if (cmd.instant) {
    const extra = await extraInstantChecks(engine, storage, cmd);
    if (extra !== null) return failOrSkip(extra);
  }
  return o('pass', '');
}

const QUERY_CONTEXT_FUNCS = /(start|end|range|step)\(\)/;
const AT_UNSAFE = new Set([
  'days_in_month',
  'day_of_month',
  'day_of_week',
  'day_of_year',
  'end',
  'hour',
  'minute',
  'month',
  'year',
  'predict_linear',
  'range',
  'start',
  'step',
  'time',
  'timestamp',
]);

/**
 * The re-checks Prometheus's runner performs for every successful instant eval:
 * the same query in range mode (t−1m..t+1m, step 1m; the point at t must match),
 * and with `@ t` added to every selector, evaluated at other times. Returns a
 * mismatch description or null.
 */
async function extraInstantChecks(engine: Engine, storage: MemoryStorage, cmd: EvalCmd): Promise<string | null> {
  if (cmd.expectFail || cmd.rangeVector !== null || cmd.expectedString !== null) return null;
  const t = cmd.end;
  const rangeMode = async (expr: string, ast: Expr | null, at: number): Promise<string | null> => {
    if (QUERY_CONTEXT_FUNCS.test(expr) || cmd.ordered) return null;
    let r: DetailedResult;
    try {
      const parsed = ast ?? parseExpr(expr, { enableExperimentalFunctions: true });
      r = await engine.execAst(storage, parsed, expr, at - 60_000, at + 60_000, 60_000);
    } catch (e) {
      return `range mode: error ${JSON.stringify((e as Error).message)}`;
    }
    if (r.value.type !== 'matrix') return `range mode: expected a matrix, got ${r.value.type}`;
    const series: VectorSample[] = [];
    for (const s of r.value.series) {
      for (let i = 0; i < s.ts.length; i++) if (s.ts[i] === at) series.push({ labels: s.labels, t: at, v: s.vs[i]! });
    }
    const asInstant: DetailedResult =
      cmd.expectedScalar !== null
        ? { value: { type: 'scalar', t: at, v: series[0]?.v ?? Number.NaN }, warnings: [], infos: [] }
        : { value: { type: 'vector', series }, warnings: [], infos: [] };
    const m = compareResult(cmd, asInstant);
    return m === null ? null : `range mode: ${m}`;
  };
  const rm = await rangeMode(cmd.expr, null, t);
  if (rm !== null) return rm;

  // @ modifier check: pin every selector and subquery (outside an @ subquery) to t.
  const withAt = (): Expr | null => {
    const ast = parseExpr(cmd.expr, { enableExperimentalFunctions: true });
    let unsafe = false;
    inspect(ast, (n, path) => {
      if (path.some((p) => p.type === 'SubqueryExpr' && p.timestamp !== null)) return true;
      if (n.type === 'VectorSelector' && n.timestamp === null && n.startOrEnd === null) n.timestamp = t;
      else if (n.type === 'SubqueryExpr' && n.timestamp === null && n.startOrEnd === null) n.timestamp = t;
      else if (n.type === 'Call' && AT_UNSAFE.has(n.func.name)) unsafe = true;
      return true;
    });
    return unsafe ? null : ast;
  };
  if (withAt() === null) return null;
  const times = t === 0 ? [-1000, 0, 1000] : [-10 * t, 0, Math.trunc(t / 5), t, 10 * t];
  for (const at of times) {
    const ast = withAt()!;
    let r: DetailedResult;
    try {
      r = await engine.execAst(storage, ast, cmd.expr, at, at, 0);
    } catch (e) {
      return `@ ${t / 1000} evaluated at ${at / 1000}s: error ${JSON.stringify((e as Error).message)}`;
    }
    const m = compareResult(cmd, r) ?? compareAnnotations(cmd, r);
    if (m !== null) return `@ ${t / 1000} evaluated at ${at / 1000}s: ${m}`;
    const rm2 = await rangeMode(cmd.expr, withAt(), at);
    if (rm2 !== null) return `@ ${t / 1000} evaluated at ${at / 1000}s: ${rm2}`;
  }
  return null;
}

function compareAnnotations(cmd: EvalCmd, r: DetailedResult): string | null {
  const check = (kind: 'warn' | 'info', got: readonly string[]): string | null => {
    const want = cmd[kind];
    if (want === undefined) return null;
    if (want === false) return got.length === 0 ? null : `expected no ${kind} annotations, got ${JSON.stringify(got)}`;
    if (got.length === 0) return `expected ${kind} annotations, got none`;
    const expects = cmd.annos.filter((a) => a.kind === kind);
    const matches = (a: (typeof expects)[number], s: string): boolean =>
      a.msg !== null ? a.msg === s : a.regex !== null ? a.regex.test(s) : true;
    for (const a of expects) {
      if (!got.some((s) => matches(a, s))) return `no ${kind} annotation matches ${a.msg ?? a.regex}: got ${JSON.stringify(got)}`;
    }
    for (const s of got) {
      if (!expects.some((a) => matches(a, s))) return `unexpected ${kind} annotation ${JSON.stringify(s)}`;
    }
    return null;
  };
  return check('warn', r.warnings) ?? check('info', r.infos);
}

function fmtValue(v: number): string {
  if (isStaleNaN(v)) return 'stale';
  return String(v);
}

function compareResult(cmd: EvalCmd, r: DetailedResult): string | null {
  const v = r.value;
  if (cmd.expectedString !== null) {
    if (v.type !== 'string') return `expected string ${JSON.stringify(cmd.expectedString)}, got ${v.type}`;
    return v.v === cmd.expectedString ? null : `expected string ${JSON.stringify(cmd.expectedString)}, got ${JSON.stringify(v.v)}`;
  }
  if (cmd.expectedScalar !== null) {
    if (v.type !== 'scalar') return `expected scalar ${cmd.expectedScalar}, got a ${v.type}`;
    return valuesEqual(v.v, cmd.expectedScalar) ? null : `expected scalar ${fmtValue(cmd.expectedScalar)}, got ${fmtValue(v.v)}`;
  }
  if (!cmd.instant || cmd.rangeVector !== null) {
    if (v.type !== 'matrix') return `expected a range vector, got a ${v.type}`;
    const start = cmd.rangeVector?.start ?? cmd.start;
    const step = cmd.rangeVector?.step ?? cmd.stepMs;
    return compareMatrix(cmd.expected, v.series, start, step);
  }
  if (v.type === 'scalar') {
    if (cmd.expected.length === 0) return `expected an empty vector, got scalar ${fmtValue(v.v)}`;
    return `expected a vector, got scalar ${fmtValue(v.v)}`;
  }
  if (v.type !== 'vector') return `expected an instant vector, got a ${v.type}`;
  const got = v.series;
  const byKey = new Map<string, number>();
  for (let i = 0; i < got.length; i++) byKey.set(got[i]!.labels.key(), i);
  for (let i = 0; i < cmd.expected.length; i++) {
    const e = cmd.expected[i]!;
    if (e.values.length !== 1) return `expected series ${e.labels.toString()} has ${e.values.length} values; instant queries take one`;
    const gi = byKey.get(e.labels.key());
    if (gi === undefined) return `expected series ${e.labels.toString()} ${fmtValue(e.values[0]!)} is missing; got ${fmtVector(got)}`;
    if (cmd.ordered && gi !== i) return `expected ${e.labels.toString()} at position ${i}, got it at ${gi}; got ${fmtVector(got)}`;
    const gv = got[gi]!.v;
    if (!valuesEqual(gv, e.values[0]!)) return `${e.labels.toString()}: expected ${fmtValue(e.values[0]!)}, got ${fmtValue(gv)}`;
  }
  if (got.length !== cmd.expected.length) {
    const want = new Set(cmd.expected.map((e) => e.labels.key()));
    const extra = got.filter((s) => !want.has(s.labels.key()));
    return `expected ${cmd.expected.length} series, got ${got.length}; unexpected: ${fmtVector(extra)}`;
  }
  return null;
}

function fmtVector(v: readonly { labels: Labels; v: number }[]): string {
  const parts = v.slice(0, 6).map((s) => `${s.labels.toString()} ${fmtValue(s.v)}`);
  if (v.length > 6) parts.push(`… (${v.length} series)`);
  return parts.length === 0 ? '(empty)' : parts.join('; ');
}

function fmtSeries(s: MatrixSeries): string {
  const pts: string[] = [];
  for (let i = 0; i < Math.min(s.ts.length, 12); i++) pts.push(`${fmtValue(s.vs[i]!)}@${s.ts[i]! / 1000}s`);
  if (s.ts.length > 12) pts.push('…');
  return `${s.labels.toString()} ${pts.join(' ')}`;
}

function compareMatrix(expected: readonly SeriesLine[], got: readonly MatrixSeries[], start: number, step: number): string | null {
  const byKey = new Map<string, MatrixSeries>();
  for (const s of got) byKey.set(s.labels.key(), s);
  for (let i = 1; i < got.length; i++) {
    if (Labels.compare(got[i - 1]!.labels, got[i]!.labels) >= 0) return 'range result is not sorted by labels';
  }
  for (const e of expected) {
    const g = byKey.get(e.labels.key());
    const wantPts: [number, number][] = [];
    for (let i = 0; i < e.values.length; i++) if (e.present[i] === 1) wantPts.push([start + i * step, e.values[i]!]);
    if (g === undefined) {
      if (wantPts.length === 0) continue;
      return `expected series ${e.labels.toString()} is missing; got ${got.map(fmtSeries).slice(0, 4).join('; ') || '(empty)'}`;
    }
    if (g.ts.length !== wantPts.length) {
      return `${e.labels.toString()}: expected ${wantPts.length} points (${wantPts.map(([t, v]) => `${fmtValue(v)}@${t / 1000}s`).join(' ')}), got ${fmtSeries(g)}`;
    }
    for (let i = 0; i < wantPts.length; i++) {
      const [t, v] = wantPts[i]!;
      if (g.ts[i] !== t || !valuesEqual(g.vs[i]!, v)) {
        return `${e.labels.toString()}: expected ${fmtValue(v)}@${t / 1000}s, got ${fmtValue(g.vs[i]!)}@${g.ts[i]! / 1000}s (${fmtSeries(g)})`;
      }
    }
  }
  const want = new Set(expected.filter((e) => e.present.some((p) => p === 1)).map((e) => e.labels.key()));
  const extra = got.filter((s) => !want.has(s.labels.key()));
  if (extra.length > 0) return `unexpected series: ${extra.slice(0, 4).map(fmtSeries).join('; ')}`;
  return null;
}
