/**
 * Fuzz: relabeling (scrape/relabel.ts). Generated relabel rules are parsed as a config
 * section (invalid ones are rejected with a ConfigError and skipped); every VALID rule list,
 * applied to generated label sets, must never throw and must return null (dropped) or a
 * well-formed label set. Regexes include catastrophic-backtracking shapes: RE2 keeps each
 * call linear, which the harness's slow-call limit checks.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseRelabelConfigs } from '../../scrape/relabel_config.js';
import { relabel } from '../../scrape/relabel.js';
import { ConfigDoc, ConfigError } from '../../tsdb/config_reader.js';
import { Labels } from '../../tsdb/labels.js';
import { fuzzTarget } from './fuzz_target.js';

const NAMES = ['__name__', '__address__', 'job', 'instance', 'a', 'b', '__meta_x', '__tmp', 'le', 'ütf8.name'];
const REGEXES = ['(.*)', '(a+)+$', '(a|aa)+b', '(.*)(.*)(.*)x', '(?i)FOO.*', '(?P<n>[^:]+):(\\d+)', 'a{1,1000}', '', '.+', '[', '(x', '\\p{Greek}+', '(?s:.)', 'foo|bar|baz'];
/** `${name}` written without tripping the template-placeholder lint. */
const ref = (name: string) => `$${'{'}${name}}`;
const REPLACEMENTS = ['$1', ref('1'), '$n', `${ref('n')}x`, '$$', '$', 'static', '', '$1:$2', ref('2')];
const ACTIONS = ['replace', 'keep', 'drop', 'keepequal', 'dropequal', 'hashmod', 'labelmap', 'labeldrop', 'labelkeep', 'lowercase', 'uppercase', 'bogus'];

const str = (pool: readonly string[]) => fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...pool) }, { weight: 1, arbitrary: fc.string({ maxLength: 12 }) });

const rule = fc.record(
  {
    action: fc.constantFrom(...ACTIONS),
    source_labels: fc.array(str(NAMES), { maxLength: 3 }),
    separator: fc.constantFrom(';', '', ':'),
    regex: str(REGEXES),
    target_label: str([...NAMES, ref('1'), '$n', 'out']),
    replacement: str(REPLACEMENTS),
    modulus: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 1000 }), fc.constant(2 ** 53)),
  },
  { requiredKeys: ['action'] },
);

const labelSet = fc.dictionary(str(NAMES), fc.oneof(fc.constantFrom('', 'a'.repeat(40) + '!', 'x:80', 'FOO', 'αβγ'), fc.string({ maxLength: 20 })), { maxKeys: 6 });

const input = fc.record({ rules: fc.array(rule, { maxLength: 4 }), labels: fc.array(labelSet, { minLength: 1, maxLength: 4 }) });

fuzzTarget(
  'relabel (valid rule lists never throw)',
  ({ rules, labels }: { rules: Record<string, unknown>[]; labels: Record<string, string>[] }) => {
    let configs: ReturnType<typeof parseRelabelConfigs>;
    try {
      const doc = ConfigDoc.parse(JSON.stringify({ relabel_configs: rules }), '/fuzz/relabel.yml');
      configs = parseRelabelConfigs(doc.root(), 'relabel_configs', 'utf8');
    } catch (e) {
      if (e instanceof ConfigError) return; // an invalid rule list is rejected at load time
      throw e;
    }
    for (const l of labels) {
      const out = relabel(Labels.from(Object.entries(l).filter(([k]) => k !== '')), configs);
      if (out === null) continue;
      for (let i = 1; i < out.length; i++) assert.ok(out.name(i - 1) < out.name(i), 'sorted, unique names');
      for (let i = 0; i < out.length; i++) assert.notEqual(out.value(i), '', 'no empty values');
    }
  },
  input,
);
