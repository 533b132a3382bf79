/**
 * Parser of Prometheus's promqltest scripts (`.test` files: `load`, `clear`,
 * `eval instant|range` with `expect` lines), as described in
 * shared/conformance/README.md and implemented by Prometheus's
 * `promql/promqltest/test.go`. Produces commands with their file line numbers;
 * sample values are kept in Float64Arrays so staleness markers survive.
 */
import { type Label, Labels } from '../../tsdb/labels.js';
import { MatchType } from '../../tsdb/matcher.js';
import { STALE_NAN } from '../../tsdb/storage.js';
import { parseDuration, parseNumber } from '../literals.js';
import { parseMetricSelector } from '../parser.js';
import { unquote } from '../unquote.js';

/** A script syntax error with its location. */
export class ScriptError extends Error {
  readonly line: number;
  constructor(file: string, line: number, message: string) {
    super(`${file}:${line}: ${message}`);
    this.name = 'ScriptError';
    this.line = line;
  }
}

/** One series line: labels and values at consecutive positions (`present[i] === 0` for `_`). */
export interface SeriesLine {
  readonly labels: Labels;
  readonly values: Float64Array;
  readonly present: Uint8Array;
  /** The line had native-histogram values (`{{…}}`), which are not loaded. */
  readonly hasHistogram: boolean;
}

export interface LoadCmd {
  readonly kind: 'load';
  readonly line: number;
  readonly intervalMs: number;
  readonly withNhcb: boolean;
  readonly series: SeriesLine[];
  /** `@st` start-timestamp lines were present (not supported). */
  readonly hasStartTimestamps: boolean;
}

export interface ClearCmd {
  readonly kind: 'clear';
  readonly line: number;
}

export interface ExpectAnno {
  readonly kind: 'warn' | 'info';
  readonly msg: string | null;
  readonly regex: RegExp | null;
}

export interface EvalCmd {
  readonly kind: 'eval';
  readonly line: number;
  readonly expr: string;
  readonly instant: boolean;
  /** Instant: evaluation time; range: start. ms. */
  readonly start: number;
  readonly end: number;
  readonly stepMs: number;
  expectFail: boolean;
  failMsg: string | null;
  failRegex: RegExp | null;
  ordered: boolean;
  /** undefined: not checked; true: at least one expected; false: none allowed. */
  warn: boolean | undefined;
  info: boolean | undefined;
  readonly annos: ExpectAnno[];
  rangeVector: { start: number; end: number; step: number } | null;
  expectedString: string | null;
  expectedScalar: number | null;
  readonly expected: SeriesLine[];
  /** Expected values include native histograms. */
  hasHistogram: boolean;
}

export type Command = LoadCmd | ClearCmd | EvalCmd;

const LOAD_RE = /^load(?:_(with_nhcb))?\s+(.+?)$/i;
const EVAL_INSTANT_RE = /^eval(?:_(fail|warn|ordered|info))?\s+instant\s+(?:at\s+(.+?))?\s+(.+)$/i;
const EVAL_RANGE_RE = /^eval(?:_(fail|warn|info))?\s+range\s+from\s+(.+)\s+to\s+(.+)\s+step\s+(.+?)\s+(.+)$/i;
const EXPECT_RE = /^expect\s+(ordered|fail|warn|no_warn|info|no_info)(?:\s+(regex|msg):(.+))?$/;
const EXPECT_RANGE_RE = /^expect\s+range\s+vector\s+from\s+(.+)\s+to\s+(.+)\s+step\s+(.+)$/;
const EXPECT_STRING_RE = /^expect\s+string\s+(.+)$/;

/** Parses a whole script. */
export function parseScript(file: string, text: string): Command[] {
  const lines = text.split('\n').map((l) => {
    const t = l.trim();
    return t.startsWith('#') ? '' : t;
  });
  const cmds: Command[] = [];
  let i = 0;
  const dur = (s: string, ln: number): number => {
    try {
      return parseDuration(s.trim());
    } catch (e) {
      throw new ScriptError(file, ln, `invalid duration ${JSON.stringify(s)}: ${(e as Error).message}`);
    }
  };
  while (i < lines.length) {
    const l = lines[i]!;
    const ln = i + 1;
    if (l === '') {
      i++;
      continue;
    }
    const word = (l.split(/\s+/)[0] ?? '').toLowerCase();
    if (word === 'clear') {
      cmds.push({ kind: 'clear', line: ln });
      i++;
      continue;
    }
    if (word.startsWith('load')) {
      const m = LOAD_RE.exec(l);
      if (m === null) throw new ScriptError(file, ln, `invalid load command: ${l}`);
      const intervalMs = dur(m[2]!, ln);
      const series: SeriesLine[] = [];
      let hasSt = false;
      i++;
      while (i < lines.length && lines[i] !== '') {
        const sl = lines[i]!;
        if (/^\S*@st\s/.test(sl) || /}@st\s/.test(sl)) hasSt = true;
        else series.push(parseSeriesLine(file, i + 1, sl));
        i++;
      }
      cmds.push({ kind: 'load', line: ln, intervalMs, withNhcb: m[1] !== undefined, series, hasStartTimestamps: hasSt });
      continue;
    }
    if (word.startsWith('eval')) {
      const cmd = parseEvalHead(file, ln, l, dur);
      i++;
      while (i < lines.length && lines[i] !== '') {
        const el = lines[i]!;
        const eln = i + 1;
        i++;
        if (el.startsWith('expected_fail_message')) {
          cmd.failMsg = el.slice('expected_fail_message'.length).trim();
          break;
        }
        if (el.startsWith('expected_fail_regexp')) {
          cmd.failRegex = new RegExp(el.slice('expected_fail_regexp'.length).trim());
          break;
        }
        const rv = EXPECT_RANGE_RE.exec(el);
        if (rv !== null) {
          cmd.rangeVector = { start: dur(rv[1]!, eln), end: dur(rv[2]!, eln), step: dur(rv[3]!, eln) };
          continue;
        }
        const es = EXPECT_STRING_RE.exec(el);
        if (es !== null) {
          cmd.expectedString = unquote(es[1]!.trim());
          continue;
        }
        const ex = EXPECT_RE.exec(el);
        if (ex !== null) {
          applyExpect(file, eln, cmd, ex[1]!, ex[2], ex[3]?.trim());
          continue;
        }
        const num = parseNumber(el);
        if (num !== null && !/\s/.test(el)) {
          cmd.expectedScalar = num;
          break;
        }
        const sl = parseSeriesLine(file, eln, el);
        if (sl.hasHistogram) cmd.hasHistogram = true;
        cmd.expected.push(sl);
      }
      cmds.push(cmd);
      continue;
    }
    throw new ScriptError(file, ln, `invalid command ${JSON.stringify(word)}`);
  }
  return cmds;
}

function parseEvalHead(file: string, ln: number, l: string, dur: (s: string, ln: number) => number): EvalCmd {
  const base = {
    kind: 'eval' as const,
    line: ln,
    expectFail: false,
    failMsg: null,
    failRegex: null,
    ordered: false,
    warn: undefined,
    info: undefined,
    annos: [],
    rangeVector: null,
    expectedString: null,
    expectedScalar: null,
    expected: [],
    hasHistogram: false,
  };
  let cmd: EvalCmd;
  let mod: string | undefined;
  const ri = EVAL_RANGE_RE.exec(l);
  if (/^eval(_\w+)?\s+range\s/i.test(l)) {
    if (ri === null) throw new ScriptError(file, ln, `invalid range evaluation command: ${l}`);
    const start = dur(ri[2]!, ln);
    const end = dur(ri[3]!, ln);
    if (end < start) throw new ScriptError(file, ln, 'invalid test definition, end timestamp before start timestamp');
    cmd = { ...base, expr: ri[5]!, instant: false, start, end, stepMs: dur(ri[4]!, ln) };
    mod = ri[1];
  } else {
    const ii = EVAL_INSTANT_RE.exec(l);
    if (ii === null) throw new ScriptError(file, ln, `invalid evaluation command: ${l}`);
    const at = dur(ii[2] ?? '0', ln);
    cmd = { ...base, expr: ii[3]!, instant: true, start: at, end: at, stepMs: 0 };
    mod = ii[1];
  }
  switch (mod?.toLowerCase()) {
    case 'fail':
      cmd.expectFail = true;
      break;
    case 'warn':
      cmd.warn = true;
      break;
    case 'info':
      cmd.info = true;
      break;
    case 'ordered':
      cmd.ordered = true;
      break;
    default:
      break;
  }
  return cmd;
}

function applyExpect(file: string, ln: number, cmd: EvalCmd, kind: string, how: string | undefined, text: string | undefined): void {
  const msg = how === 'msg' ? (text ?? '') : null;
  let regex: RegExp | null = null;
  if (how === 'regex') {
    try {
      regex = new RegExp(text ?? '');
    } catch {
      throw new ScriptError(file, ln, `invalid regex ${JSON.stringify(text)}`);
    }
  }
  switch (kind) {
    case 'ordered':
      cmd.ordered = true;
      return;
    case 'fail':
      cmd.expectFail = true;
      cmd.failMsg = msg;
      cmd.failRegex = regex;
      return;
    case 'warn':
    case 'info':
      if (cmd[kind] === false) throw new ScriptError(file, ln, `${kind} and no_${kind} cannot be combined`);
      cmd[kind] = true;
      cmd.annos.push({ kind, msg, regex });
      return;
    case 'no_warn':
      if (cmd.warn === true) throw new ScriptError(file, ln, 'warn and no_warn cannot be combined');
      cmd.warn = false;
      return;
    case 'no_info':
      if (cmd.info === true) throw new ScriptError(file, ln, 'info and no_info cannot be combined');
      cmd.info = false;
      return;
  }
}

/** Splits a series line into the selector text and the values text. */
function splitSeriesLine(l: string): [string, string] {
  const brace = l.indexOf('{');
  const ws = l.search(/\s/);
  if (brace >= 0 && (ws < 0 || brace < ws)) {
    let inQuote: string | null = null;
    for (let i = brace + 1; i < l.length; i++) {
      const c = l[i]!;
      if (inQuote !== null) {
        if (c === '\\') i++;
        else if (c === inQuote) inQuote = null;
      } else if (c === '"' || c === "'" || c === '`') inQuote = c;
      else if (c === '}') return [l.slice(0, i + 1), l.slice(i + 1).trim()];
    }
    return [l, ''];
  }
  if (ws < 0) return [l, ''];
  return [l.slice(0, ws), l.slice(ws).trim()];
}

/** Parses `name{labels} values…` (a load line or an expected-result line). */
export function parseSeriesLine(file: string, ln: number, l: string): SeriesLine {
  const [sel, rest] = splitSeriesLine(l);
  let labels: Labels;
  try {
    const pairs: Label[] = [];
    const matchers = /^\{\s*\}$/.test(sel) ? [] : parseMetricSelector(sel);
    for (const m of matchers) {
      if (m.type !== MatchType.Equal) throw new Error(`only equality matchers are allowed in series notation, got ${m.toString()}`);
      pairs.push({ name: m.name, value: m.value });
    }
    labels = Labels.from(pairs.map((p) => [p.name, p.value] as [string, string]));
  } catch (e) {
    throw new ScriptError(file, ln, `invalid series ${JSON.stringify(sel)}: ${(e as Error).message}`);
  }
  const vals: number[] = [];
  const pres: number[] = [];
  let hasHistogram = false;
  // Stale markers are recorded as a flag (2) and written into the Float64Array afterwards,
  // because a plain number[] may lose the NaN payload.
  const push = (v: number, present: number): void => {
    vals.push(v);
    pres.push(present);
  };
  const items = tokenizeValues(rest);
  for (const item of items) {
    if (item.startsWith('{{')) {
      hasHistogram = true;
      const m = /}}(?:x(\d+))?$/.exec(item);
      const n = m?.[1] !== undefined ? Number(m[1]) + 1 : 1;
      for (let k = 0; k < n; k++) push(0, 0);
      continue;
    }
    if (item === '_') {
      push(0, 0);
      continue;
    }
    let m = /^_x(\d+)$/.exec(item);
    if (m !== null) {
      for (let k = 0; k < Number(m[1]); k++) push(0, 0);
      continue;
    }
    if (item === 'stale') {
      push(0, 2);
      continue;
    }
    m = /^(.+?)x(\d+)$/.exec(item);
    if (m !== null) {
      const body = m[1]!;
      const times = Number(m[2]);
      let base: number | null;
      let delta = 0;
      const op = /^([+-]?[^+-]+(?:[eE][+-]?\d+)?)([+-])(.+)$/.exec(body);
      if (op !== null) {
        base = parseNumber(op[1]!);
        const d = parseNumber(op[3]!);
        if (base === null || d === null) throw new ScriptError(file, ln, `invalid value ${JSON.stringify(item)}`);
        delta = op[2] === '-' ? -d : d;
      } else {
        base = parseNumber(body);
        if (base === null) throw new ScriptError(file, ln, `invalid value ${JSON.stringify(item)}`);
      }
      let v = base;
      push(v, 1);
      for (let k = 0; k < times; k++) {
        v += delta;
        push(v, 1);
      }
      continue;
    }
    const v = parseNumber(item);
    if (v === null) throw new ScriptError(file, ln, `invalid value ${JSON.stringify(item)}`);
    push(v, 1);
  }
  const values = new Float64Array(vals.length);
  const present = new Uint8Array(vals.length);
  for (let k = 0; k < vals.length; k++) {
    if (pres[k] === 2) {
      values[k] = STALE_NAN;
      present[k] = 1;
    } else {
      values[k] = vals[k]!;
      present[k] = pres[k]!;
    }
  }
  return { labels, values, present, hasHistogram };
}

/** Splits values on whitespace, keeping `{{ … }}` histogram literals (which contain spaces) whole. */
function tokenizeValues(s: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < s.length) {
    while (i < s.length && /\s/.test(s[i]!)) i++;
    if (i >= s.length) break;
    if (s.startsWith('{{', i)) {
      const end = s.indexOf('}}', i);
      let j = end < 0 ? s.length : end + 2;
      while (j < s.length && !/\s/.test(s[j]!)) {
        // `{{a}}+{{b}}x3`: continue through the second literal.
        if (s.startsWith('{{', j)) {
          const e2 = s.indexOf('}}', j);
          j = e2 < 0 ? s.length : e2 + 2;
        } else j++;
      }
      out.push(s.slice(i, j));
      i = j;
      continue;
    }
    let j = i;
    while (j < s.length && !/\s/.test(s[j]!)) j++;
    out.push(s.slice(i, j));
    i = j;
  }
  return out;
}
