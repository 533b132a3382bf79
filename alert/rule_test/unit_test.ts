/**
 * `vigil test rules FILE...`, compatible with `promtool test rules`: for each
 * file `Unit Testing:  FILE`, then `  SUCCESS` or `  FAILED:` followed by each
 * error and an empty line. Exit code 0 when every test group passed, 1 otherwise.
 *
 * Semantics (`cmd/promtool/unittest.go`): input series are loaded lazily (only
 * samples up to the evaluation time), rule groups are evaluated at
 * `start, start + evaluation_interval, …` up to the largest `eval_time`; an alert
 * test at `eval_time` compares the firing alerts of the evaluation at the largest
 * `ts <= eval_time`, order-insensitive, with `alertname` added to the expected
 * labels; PromQL tests run as instant queries after all evaluations.
 */
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, join } from 'node:path';
import type { CommandIo } from '../../cmd/cli.js';
import { expandGlob } from '../../cmd/file_glob.js';
import { Engine } from '../../query/engine.js';
import { parseSeriesLine, type SeriesLine } from '../../query/promqltest/script.js';
import { Labels } from '../../tsdb/labels.js';
import { MemoryStorage } from '../../tsdb/memory_storage.js';
import { NO_REF } from '../../tsdb/storage.js';
import { AlertingRule } from '../alerting_rule.js';
import { ManualClock } from '../clock.js';
import { RuleManager } from '../manager.js';
import { engineQueryFn, type RuleSample } from '../rule.js';
import { parseRuleFile, type RuleGroupNode } from '../rule_file.js';
import { formatFloat } from '../template/go_fmt.js';
import { GoDuration } from '../template/value.js';
import { parseUnitTestFile, type TestGroup, type UnitTestFile } from './test_file.js';
import { formatDuration } from '../../tsdb/duration.js';

/** Options of `runRuleTests`. */
export interface RuleTestOptions {
  /** Only test groups whose name matches one of these regexes (promtool `--run`). */
  run?: readonly string[];
  ignoreUnknownFields?: boolean;
}

/** Evaluations per test group are bounded, so a hostile file cannot run forever. */
const MAX_EVALUATIONS = 1_000_000;

function nextAfter(x: number, dir: number): number {
  if (Number.isNaN(x) || x === dir) return x;
  if (x === 0) return dir > 0 ? Number.MIN_VALUE : -Number.MIN_VALUE;
  const f = new Float64Array([x]);
  const b = new BigInt64Array(f.buffer);
  if (x < dir === x > 0) b[0] = b[0]! + 1n;
  else b[0] = b[0]! - 1n;
  return f[0]!;
}

function floatEq(a: number, b: number, fuzzy: boolean): boolean {
  if (a === b) return true;
  return fuzzy && (nextAfter(a, Number.NEGATIVE_INFINITY) === b || nextAfter(a, Number.POSITIVE_INFINITY) === b);
}

interface LA {
  labels: Labels;
  annotations: Labels;
}

function laCompare(a: LA, b: LA): number {
  return Labels.compare(a.labels, b.labels) || Labels.compare(a.annotations, b.annotations);
}

function indentLines(s: string, indent: string): string {
  return s.split('\n').join(`\n${indent}`);
}

function laString(la: LA[]): string {
  if (la.length === 0) return '[]';
  const one = (l: LA): string => `Labels:${l.labels.toString()}\nAnnotations:${l.annotations.toString()}`;
  let s = `[\n0:${indentLines(`\n${one(la[0]!)}`, '  ')}`;
  la.slice(1).forEach((l, i) => {
    s += `,\n${i + 1}:${indentLines(`\n${one(l)}`, '  ')}`;
  });
  return `${s}\n]`;
}

function goDuration(ms: number): string {
  return new GoDuration(BigInt(ms) * 1_000_000n).toString();
}

function parseLabelsText(s: string): Labels {
  if (s.trim() === '') return Labels.EMPTY;
  return parseSeriesLine('exp_samples', 0, s).labels;
}

/** Runs one test group; returns error texts (empty = pass). */
export async function runTestGroup(tg: TestGroup, file: UnitTestFile, ruleFiles: readonly string[], ignoreUnknownFields: boolean): Promise<string[]> {
  const evalInterval = file.evaluationIntervalMs;
  const interval = tg.intervalMs || evalInterval;
  const mint = tg.startMs;
  // Input series, as `load <interval>` lines. Values stay in their Float64Array so stale markers survive.
  const pending: { labels: Labels; t: number; src: Float64Array; idx: number }[] = [];
  for (const s of tg.inputSeries) {
    let line: SeriesLine;
    try {
      line = parseSeriesLine('input_series', 0, `${s.series} ${s.values}`);
    } catch (e) {
      return [e instanceof Error ? e.message.replace(/^input_series:0: /, '') : String(e)];
    }
    for (let i = 0; i < line.values.length; i++) {
      if (line.present[i] !== 0) pending.push({ labels: line.labels, t: mint + i * interval, src: line.values, idx: i });
    }
  }
  const storage = new MemoryStorage();
  const engine = new Engine({ timeoutMs: 120_000, maxSamples: 50_000_000, lookbackDeltaMs: 5 * 60_000, maxConcurrency: 1, defaultSubqueryStepMs: evalInterval });
  const query = engineQueryFn(engine, storage);
  const clock = new ManualClock(mint);
  const manager = new RuleManager({
    query,
    appendable: storage,
    queryable: storage,
    send: null,
    clock,
    logger: { warn: () => undefined },
    externalUrl: () => tg.externalUrl,
  });
  const parsed: { file: string; groups: RuleGroupNode[] }[] = [];
  const loadErrs: string[] = [];
  for (const f of ruleFiles) {
    const r = await parseRuleFile(f, { ignoreUnknownFields });
    loadErrs.push(...r.errors);
    parsed.push({ file: f, groups: r.groups });
  }
  if (loadErrs.length > 0) return loadErrs;
  const groups = manager.buildGroups(parsed, { evaluationIntervalMs: interval, queryOffsetMs: 0, externalLabels: Labels.from(tg.externalLabels), files: [] }, false);
  const order = new Map(file.groupEvalOrder.map((n, i) => [n, i]));
  groups.sort((a, b) => (order.get(a.name) ?? 0) - (order.get(b.name) ?? 0));
  for (const g of groups) for (const r of g.rules) if (r instanceof AlertingRule) r.restored = true;

  const maxEval = Math.max(0, ...tg.alertRuleTests.map((a) => a.evalTimeMs), ...tg.promqlExprTests.map((p) => p.evalTimeMs));
  const maxt = mint + maxEval;
  for (const a of tg.alertRuleTests) {
    if (a.alertname === '') {
      return [`an item under alert_rule_test misses required attribute alertname at eval_time ${formatDuration(a.evalTimeMs)}${tg.name !== '' ? ` (in TestGroup ${tg.name})` : ''}`];
    }
  }
  const alertTimes = [...new Set(tg.alertRuleTests.map((a) => a.evalTimeMs))].sort((a, b) => a - b);
  pending.sort((a, b) => a.t - b.t);
  let loaded = 0;
  let curr = 0;
  const errs: string[] = [];
  let n = 0;
  for (let ts = mint; ts <= maxt; ts += evalInterval) {
    if (++n > MAX_EVALUATIONS) return [...errs, `too many evaluations (more than ${MAX_EVALUATIONS})`];
    if (loaded < pending.length && pending[loaded]!.t <= ts) {
      const app = storage.appender();
      while (loaded < pending.length && pending[loaded]!.t <= ts) {
        const p = pending[loaded++]!;
        app.append(NO_REF, p.labels, p.t, p.src[p.idx]!);
      }
      await app.commit();
    }
    clock.advance(ts - clock.now());
    const evalErrs: string[] = [];
    for (const g of groups) {
      await g.evalAt(ts);
      for (const r of g.rules) if (r.lastError !== '') evalErrs.push(`    rule: ${r.name}, time: ${goDuration(ts)}, err: ${r.lastError}`);
    }
    errs.push(...evalErrs);
    if (evalErrs.length > 0) return errs;
    while (curr < alertTimes.length && ts - mint <= alertTimes[curr]! && alertTimes[curr]! < ts + evalInterval - mint) {
      const t = alertTimes[curr]!;
      const cases = tg.alertRuleTests.filter((a) => a.evalTimeMs === t);
      const names = new Set(cases.map((c) => c.alertname));
      const got = new Map<string, LA[]>();
      for (const g of groups) {
        for (const r of g.rules) {
          if (!(r instanceof AlertingRule) || !names.has(r.name)) continue;
          const list = got.get(r.name) ?? [];
          for (const a of r.activeAlerts()) if (a.state === 'firing') list.push({ labels: a.labels, annotations: a.annotations });
          got.set(r.name, list);
        }
      }
      for (const c of cases) {
        const gotAlerts = [...(got.get(c.alertname) ?? [])].sort(laCompare);
        const exp = c.expAlerts.map((e) => ({ labels: Labels.from({ ...e.expLabels, alertname: c.alertname }), annotations: Labels.from(e.expAnnotations) })).sort(laCompare);
        const equal = exp.length === gotAlerts.length && exp.every((e, i) => e.labels.equals(gotAlerts[i]!.labels) && e.annotations.equals(gotAlerts[i]!.annotations));
        if (!equal) {
          const testName = tg.name !== '' ? `    name: ${tg.name},\n` : '';
          errs.push(
            `${testName}    alertname: ${c.alertname}, time: ${formatDuration(c.evalTimeMs)}, \n        exp:${indentLines(laString(exp), '            ')}, \n        got:${indentLines(laString(gotAlerts), '            ')}`,
          );
        }
      }
      curr++;
    }
  }

  for (const tc of tg.promqlExprTests) {
    let got: RuleSample[];
    try {
      got = await query(tc.expr, mint + tc.evalTimeMs);
    } catch (e) {
      errs.push(`    expr: ${JSON.stringify(tc.expr)}, time: ${formatDuration(tc.evalTimeMs)}, err: ${e instanceof Error ? e.message : String(e)}`);
      continue;
    }
    const exp: { labels: Labels; value: number }[] = [];
    let bad: string | null = null;
    for (const s of tc.expSamples) {
      if (s.histogram !== '') {
        bad = `labels ${JSON.stringify(s.labels)}: native histograms are not supported`;
        break;
      }
      try {
        exp.push({ labels: parseLabelsText(s.labels), value: s.value });
      } catch (e) {
        bad = `labels ${JSON.stringify(s.labels)}: ${e instanceof Error ? e.message.replace(/^exp_samples:0: /, '') : String(e)}`;
        break;
      }
    }
    if (bad !== null) {
      errs.push(`    expr: ${JSON.stringify(tc.expr)}, time: ${formatDuration(tc.evalTimeMs)}, err: ${bad}`);
      continue;
    }
    const gotS = got.map((s) => ({ labels: s.labels, value: s.v })).sort((a, b) => Labels.compare(a.labels, b.labels));
    exp.sort((a, b) => Labels.compare(a.labels, b.labels));
    const equal = exp.length === gotS.length && exp.every((e, i) => e.labels.equals(gotS[i]!.labels) && floatEq(e.value, gotS[i]!.value, file.fuzzyCompare));
    if (!equal) {
      const fmt = (l: { labels: Labels; value: number }[]): string => (l.length === 0 ? 'nil' : l.map((s) => `${s.labels.toString()} ${formatFloat(s.value, 'E', -1)}`).join(', '));
      errs.push(`    expr: ${JSON.stringify(tc.expr)}, time: ${formatDuration(tc.evalTimeMs)},\n        exp: ${fmt(exp)}\n        got: ${fmt(gotS)}`);
    }
  }
  await storage.close();
  return errs;
}

/** Runs one unit-test file; returns error texts (empty = pass). */
export async function runRuleTestFile(path: string, opts: RuleTestOptions = {}): Promise<string[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    return [`open ${path}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (e as Error).message}`];
  }
  let file: UnitTestFile;
  try {
    file = parseUnitTestFile(text, opts.ignoreUnknownFields === true);
  } catch (e) {
    return [e instanceof Error ? e.message : String(e)];
  }
  const ruleFiles: string[] = [];
  for (const rf of file.ruleFiles) {
    const p = rf !== '' && !isAbsolute(rf) ? join(dirname(path), rf) : rf;
    ruleFiles.push(...(await expandGlob(p)));
  }
  const run = (opts.run ?? []).map((r) => new RegExp(r));
  const errs: string[] = [];
  for (const tg of file.tests) {
    if (run.length > 0 && !run.some((r) => r.test(tg.name))) continue;
    errs.push(...(await runTestGroup(tg, file, ruleFiles, opts.ignoreUnknownFields === true)));
  }
  return errs;
}

/** The command: prints promtool's report and returns the exit code. */
export async function runRuleTests(files: readonly string[], io: CommandIo, opts: RuleTestOptions = {}): Promise<number> {
  let failed = false;
  for (const f of files) {
    io.log(`Unit Testing:  ${f}`);
    const errs = await runRuleTestFile(f, opts);
    if (errs.length > 0) {
      io.err('  FAILED:');
      for (const e of errs) {
        io.err(e);
        io.log('');
      }
      failed = true;
    } else {
      io.log('  SUCCESS');
    }
    io.log('');
  }
  return failed ? 1 : 0;
}
