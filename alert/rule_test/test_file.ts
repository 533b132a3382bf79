/**
 * The rule unit-test file format of `promtool test rules`
 * (`cmd/promtool/unittest.go`): `rule_files`, `evaluation_interval`,
 * `group_eval_order`, `fuzzy_compare`, `tests[]` with `interval`, `input_series`,
 * `alert_rule_test`, `promql_expr_test`, `external_labels`, `external_url`,
 * `name`, `start_timestamp`. Decoded strictly (unknown fields are errors), as
 * promtool's `yaml.UnmarshalStrict` does.
 */
import { isMap, isScalar, isSeq, LineCounter, type Node, parseDocument } from 'yaml';
import { parseDuration } from '../../tsdb/duration.js';

export interface InputSeries {
  readonly series: string;
  readonly values: string;
}

export interface AlertTestCase {
  /** ms after the start. */
  readonly evalTimeMs: number;
  readonly alertname: string;
  readonly expAlerts: { readonly expLabels: Record<string, string>; readonly expAnnotations: Record<string, string> }[];
}

export interface PromqlTestCase {
  readonly expr: string;
  readonly evalTimeMs: number;
  readonly expSamples: { readonly labels: string; readonly value: number; readonly histogram: string }[];
}

export interface TestGroup {
  /** ms; 0 = evaluation_interval. */
  intervalMs: number;
  readonly inputSeries: InputSeries[];
  readonly alertRuleTests: AlertTestCase[];
  readonly promqlExprTests: PromqlTestCase[];
  readonly externalLabels: Record<string, string>;
  readonly externalUrl: string;
  readonly name: string;
  /** ms since the epoch (0 = the epoch). */
  readonly startMs: number;
}

export interface UnitTestFile {
  readonly ruleFiles: string[];
  /** ms; default 1m. */
  readonly evaluationIntervalMs: number;
  readonly groupEvalOrder: string[];
  readonly tests: TestGroup[];
  readonly fuzzyCompare: boolean;
}

const SCHEMA: Record<string, Record<string, string | null>> = {
  'main.unitTestFile': { rule_files: null, evaluation_interval: null, group_eval_order: null, tests: 'main.testGroup', fuzzy_compare: null },
  'main.testGroup': {
    interval: null,
    input_series: 'main.series',
    alert_rule_test: 'main.alertTestCase',
    promql_expr_test: 'main.promqlTestCase',
    external_labels: '',
    external_url: null,
    name: null,
    start_timestamp: null,
  },
  'main.series': { series: null, values: null },
  'main.alertTestCase': { eval_time: null, alertname: null, exp_alerts: 'main.alert' },
  'main.alert': { exp_labels: '', exp_annotations: '' },
  'main.promqlTestCase': { expr: null, eval_time: null, exp_samples: 'main.sample' },
  'main.sample': { labels: null, value: null, histogram: null },
};

function checkFields(n: Node | null | undefined, type: string, lc: LineCounter, errs: string[], ignoreUnknown: boolean): void {
  if (n === null || n === undefined || type === '') return;
  if (isSeq(n)) {
    for (const it of n.items) checkFields(it as Node, type, lc, errs, ignoreUnknown);
    return;
  }
  if (!isMap(n)) return;
  const fields = SCHEMA[type] ?? {};
  for (const p of n.items) {
    const k = isScalar(p.key) ? String(p.key.value) : '';
    if (!(k in fields)) {
      if (!ignoreUnknown) {
        const line = isScalar(p.key) && p.key.range ? lc.linePos(p.key.range[0]).line : 0;
        errs.push(`line ${line}: field ${k} not found in type ${type}`);
      }
      continue;
    }
    const sub = fields[k];
    if (sub !== null && sub !== undefined) checkFields(p.value as Node, sub, lc, errs, ignoreUnknown);
  }
}

/** A unit-test file that cannot be decoded. */
export class TestFileError extends Error {
  readonly code = 'rule_test_file';
}

function str(v: unknown): string {
  if (v === null || v === undefined) return '';
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

function dur(v: unknown, field: string): number {
  if (v === null || v === undefined) return 0;
  try {
    return parseDuration(str(v));
  } catch {
    throw new TestFileError(`not a valid duration string: ${JSON.stringify(str(v))} (${field})`);
  }
}

function strMap(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return out;
  for (const [k, x] of Object.entries(v)) out[k] = str(x);
  return out;
}

function list(v: unknown): Record<string, unknown>[] {
  return Array.isArray(v) ? v.filter((x): x is Record<string, unknown> => x !== null && typeof x === 'object' && !Array.isArray(x)) : [];
}

/** A YAML float as yaml.v3 decodes it into float64 (`.inf`, `-.Inf`, `.nan`, decimal, hex ints). */
function yamlFloat(s: string): number {
  if (s === '' || s === '~' || s === 'null') return 0;
  if (/^[-+]?\.(inf|Inf|INF)$/.test(s)) return s.startsWith('-') ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  if (/^\.(nan|NaN|NAN)$/.test(s)) return Number.NaN;
  const v = Number(s.replaceAll('_', ''));
  if (Number.isNaN(v)) throw new TestFileError(`yaml: cannot unmarshal !!str \`${s}\` into float64`);
  return v;
}

/** promtool's `parseTime`: unix seconds (possibly fractional) or RFC 3339. */
export function parseStartTime(s: string): number {
  if (s === '') return 0;
  if (/^-?\d+(\.\d+)?$/.test(s)) return Math.round(Number(s) * 1000);
  const t = Date.parse(s);
  if (Number.isNaN(t) || !/^\d{4}-\d\d-\d\dT/.test(s)) throw new TestFileError(`cannot parse ${JSON.stringify(s)} to a valid timestamp`);
  return t;
}

/** Decodes a unit-test file. Throws `TestFileError` with promtool's words. */
export function parseUnitTestFile(text: string, ignoreUnknownFields = false): UnitTestFile {
  const lc = new LineCounter();
  // The failsafe schema keeps every scalar as its text (`0x10` stays a series value, not 16), as yaml.v3 does for string fields.
  const doc = parseDocument(text, { lineCounter: lc, uniqueKeys: true, merge: true, prettyErrors: false, schema: 'failsafe' });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    throw new TestFileError(`yaml: line ${lc.linePos(e.pos[0]).line}: ${e.message.split('\n')[0]}`);
  }
  const errs: string[] = [];
  checkFields(doc.contents as Node | null, 'main.unitTestFile', lc, errs, ignoreUnknownFields);
  if (errs.length > 0) throw new TestFileError(`yaml: unmarshal errors:\n  ${errs.join('\n  ')}`);
  const root = (doc.toJS({ maxAliasCount: 10_000 }) ?? {}) as Record<string, unknown>;
  const evaluationIntervalMs = dur(root.evaluation_interval, 'evaluation_interval') || 60_000;
  const tests: TestGroup[] = list(root.tests).map((t) => ({
    intervalMs: dur(t.interval, 'interval'),
    inputSeries: list(t.input_series).map((s) => ({ series: str(s.series), values: str(s.values) })),
    alertRuleTests: list(t.alert_rule_test).map((a) => ({
      evalTimeMs: dur(a.eval_time, 'eval_time'),
      alertname: str(a.alertname),
      expAlerts: list(a.exp_alerts).map((x) => ({ expLabels: strMap(x.exp_labels), expAnnotations: strMap(x.exp_annotations) })),
    })),
    promqlExprTests: list(t.promql_expr_test).map((p) => ({
      expr: str(p.expr),
      evalTimeMs: dur(p.eval_time, 'eval_time'),
      expSamples: list(p.exp_samples).map((s) => ({ labels: str(s.labels), value: yamlFloat(str(s.value)), histogram: str(s.histogram) })),
    })),
    externalLabels: strMap(t.external_labels),
    externalUrl: str(t.external_url),
    name: str(t.name),
    startMs: parseStartTime(str(t.start_timestamp)),
  }));
  return {
    ruleFiles: Array.isArray(root.rule_files) ? root.rule_files.map(str) : [],
    evaluationIntervalMs,
    groupEvalOrder: Array.isArray(root.group_eval_order) ? root.group_eval_order.map(str) : [],
    tests,
    fuzzyCompare: /^(true|True|TRUE)$/.test(str(root.fuzzy_compare)),
  };
}
