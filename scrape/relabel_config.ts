/**
 * Relabel rule configuration (`relabel_configs`, `metric_relabel_configs`,
 * `alert_relabel_configs`, `write_relabel_configs`), with Prometheus's defaults and
 * per-action validation (`model/relabel/relabel.go`). This file only parses and
 * validates; applying the rules is `scrape/relabel.ts`'s job.
 *
 * Regexes are compiled once here with the shared `FastRegexMatcher` (RE2, fully
 * anchored, `.` matches newlines), so a bad regex is reported at its line.
 */
import { type ConfigError, type MapReader, type NameValidationScheme, validLabelName } from '../tsdb/config_reader.js';
import { FastRegexMatcher, RegexpError } from '../tsdb/matcher.js';

/** The relabel actions, lower-case (the configuration accepts any case). */
export type RelabelAction =
  | 'replace'
  | 'keep'
  | 'drop'
  | 'keepequal'
  | 'dropequal'
  | 'hashmod'
  | 'labelmap'
  | 'labeldrop'
  | 'labelkeep'
  | 'lowercase'
  | 'uppercase';

export const RELABEL_ACTIONS: readonly RelabelAction[] = [
  'replace',
  'keep',
  'drop',
  'keepequal',
  'dropequal',
  'hashmod',
  'labelmap',
  'labeldrop',
  'labelkeep',
  'lowercase',
  'uppercase',
];

/** One relabel rule with every default filled in. */
export interface RelabelConfig {
  /** Labels whose values are joined with `separator` to form the source value. */
  sourceLabels: string[];
  /** Default `;`. */
  separator: string;
  /** The compiled, anchored regex; `regex.source` is the configured text (default `(.*)`). */
  regex: FastRegexMatcher;
  /** For `hashmod`; a positive integer there, 0 otherwise. */
  modulus: number;
  /** May contain `$1`/`${name}` references for `replace`. */
  targetLabel: string;
  /** Default `$1`. */
  replacement: string;
  /** Default `replace`. */
  action: RelabelAction;
}

export const DEFAULT_RELABEL_SEPARATOR = ';';
export const DEFAULT_RELABEL_REGEX = '(.*)';
export const DEFAULT_RELABEL_REPLACEMENT = '$1';

const FIELDS = ['source_labels', 'separator', 'regex', 'modulus', 'target_label', 'replacement', 'action'];

/** Legacy-charset label names with `$var`/`${var}` references (Prometheus's relabelTargetLegacy). */
const LEGACY_TARGET_WITH_VARS = /^(?:(?:[a-zA-Z_]|\$(?:\{\w+\}|\w+))+\w*)+$/;

function validNameWithVars(s: string, scheme: NameValidationScheme): boolean {
  return scheme === 'utf8' ? validLabelName(s, 'utf8') : LEGACY_TARGET_WITH_VARS.test(s);
}

/** Parses one relabel rule mapping; `scheme` is the name validation scheme of the enclosing section. */
export function parseRelabelConfig(r: MapReader, scheme: NameValidationScheme): RelabelConfig {
  r.fields(FIELDS);
  const actionText = r.str('action', 'replace');
  const action = actionText.toLowerCase() as RelabelAction;
  if (!RELABEL_ACTIONS.includes(action)) {
    throw r.valueError('action', 'bad_value', `unknown relabel action ${JSON.stringify(actionText)}; expected one of ${RELABEL_ACTIONS.join(', ')}`);
  }
  // Source labels are model.LabelNames, which Prometheus 3 always validates as UTF-8 names.
  const sourceLabels = r.labelNameList('source_labels', 'utf8');
  const separator = r.has('separator') ? r.str('separator') : DEFAULT_RELABEL_SEPARATOR;
  // An explicit `regex:` with no value is the empty regex, as in Prometheus.
  const regexSet = r.keys().includes('regex');
  const regexText = regexSet ? r.str('regex') : DEFAULT_RELABEL_REGEX;
  let regex: FastRegexMatcher;
  try {
    regex = new FastRegexMatcher(regexText);
  } catch (e) {
    if (!(e instanceof RegexpError)) throw e;
    throw r.valueError('regex', 'bad_value', `expected an RE2 regular expression, received ${JSON.stringify(regexText)}: ${stripPattern(e.message)}`);
  }
  const modulus = r.uint('modulus', 0);
  const targetLabel = r.str('target_label');
  const replacement = r.has('replacement') ? r.str('replacement') : DEFAULT_RELABEL_REPLACEMENT;
  const c: RelabelConfig = { sourceLabels, separator, regex, modulus, targetLabel, replacement, action };
  validate(r, c, scheme, regexSet);
  return c;
}

function stripPattern(msg: string): string {
  // RegexpError's message repeats the pattern; keep only the reason, without the `)$` of
  // the anchoring wrapper that the engine quotes in fragments such as `[0-9+)$`.
  const i = msg.indexOf(': ');
  const reason = i >= 0 ? msg.slice(i + 2) : msg;
  return reason.replace(/`([^`]*)\)\$`/g, '`$1`');
}

function validate(r: MapReader, c: RelabelConfig, scheme: NameValidationScheme, regexSet: boolean): void {
  const a = c.action;
  const at = (key: string): string => (r.has(key) ? key : 'action');
  if (a === 'hashmod' && c.modulus === 0) {
    throw r.errorAt(at('modulus'), 'missing_field', 'relabel action hashmod requires a non-zero modulus');
  }
  const needsTarget = a === 'replace' || a === 'hashmod' || a === 'lowercase' || a === 'uppercase' || a === 'keepequal' || a === 'dropequal';
  if (needsTarget && c.targetLabel === '') {
    throw r.errorAt('action', 'missing_field', `relabel action ${a} requires a target_label`);
  }
  const badTarget = (): ConfigError =>
    r.valueError('target_label', 'bad_value', `${JSON.stringify(c.targetLabel)} is not a valid target_label for relabel action ${a}`);
  if (a === 'replace') {
    const ok = c.targetLabel.includes('$') ? validNameWithVars(c.targetLabel, scheme) : validLabelName(c.targetLabel, scheme);
    if (!ok) throw badTarget();
  }
  if ((a === 'lowercase' || a === 'uppercase' || a === 'keepequal' || a === 'dropequal' || a === 'hashmod') && !validLabelName(c.targetLabel, scheme)) {
    throw badTarget();
  }
  if ((a === 'lowercase' || a === 'uppercase' || a === 'keepequal' || a === 'dropequal') && c.replacement !== DEFAULT_RELABEL_REPLACEMENT) {
    throw r.errorAt('replacement', 'invalid', `replacement cannot be set for relabel action ${a}`);
  }
  if (a === 'labelmap' && !validNameWithVars(c.replacement, scheme)) {
    throw r.valueError('replacement', 'bad_value', `${JSON.stringify(c.replacement)} is not a valid replacement for relabel action labelmap`);
  }
  if (a === 'keepequal' || a === 'dropequal') {
    // Prometheus compares the regex by identity, so any explicit regex is rejected, even "(.*)".
    for (const [key, set] of [
      ['regex', regexSet],
      ['modulus', c.modulus !== 0],
      ['separator', c.separator !== DEFAULT_RELABEL_SEPARATOR],
      ['replacement', c.replacement !== DEFAULT_RELABEL_REPLACEMENT],
    ] as const) {
      if (set) throw r.errorAt(key, 'invalid', `relabel action ${a} takes only source_labels and target_label, not ${key}`);
    }
  }
  if (a === 'labeldrop' || a === 'labelkeep') {
    for (const [key, set] of [
      ['source_labels', r.has('source_labels')],
      ['target_label', c.targetLabel !== ''],
      ['modulus', c.modulus !== 0],
      ['separator', c.separator !== DEFAULT_RELABEL_SEPARATOR],
      ['replacement', c.replacement !== DEFAULT_RELABEL_REPLACEMENT],
    ] as const) {
      if (set) throw r.errorAt(key, 'invalid', `relabel action ${a} takes only regex, not ${key}`);
    }
  }
}

/** Parses the list of relabel rules in field `key` of `parent` (absent: `[]`). */
export function parseRelabelConfigs(parent: MapReader, key: string, scheme: NameValidationScheme): RelabelConfig[] {
  return parent.mapList(key, 'relabel rule').map((r) => parseRelabelConfig(r, scheme));
}

/** A relabel rule as Prometheus prints it in the effective configuration. */
export function relabelConfigToYaml(c: RelabelConfig): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  if (c.sourceLabels.length > 0) o.source_labels = [...c.sourceLabels];
  o.separator = c.separator;
  o.regex = c.regex.source;
  if (c.modulus !== 0) o.modulus = c.modulus;
  if (c.targetLabel !== '') o.target_label = c.targetLabel;
  o.replacement = c.replacement;
  o.action = c.action;
  return o;
}
