/**
 * Shared test inputs for the parser tests (private to scrape/parser/): where the
 * conformance data lives, and hand-written text-format bodies that probe Prometheus's
 * leniency, each marked with whether Prometheus accepts it. The differential test
 * checks those marks against a real Prometheus.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** `shared/conformance` beside the repository (override with VIGIL_CONFORMANCE_DIR). */
export function conformanceDir(): string {
  const root = process.env.VIGIL_REPO_ROOT ?? process.cwd();
  return process.env.VIGIL_CONFORMANCE_DIR ?? join(root, '..', 'shared', 'conformance');
}

export interface OpenMetricsCase {
  readonly name: string;
  readonly shouldParse: boolean;
  readonly body: Uint8Array;
}

/** The OpenMetrics project's parser cases (scrape/parser/testdata/openmetrics_parser_cases.json). */
export function openMetricsCases(): OpenMetricsCase[] {
  const root = process.env.VIGIL_REPO_ROOT ?? process.cwd();
  const raw: unknown = JSON.parse(readFileSync(join(root, 'scrape', 'parser', 'testdata', 'openmetrics_parser_cases.json'), 'utf8'));
  const cases = (raw as { cases: { name: string; shouldParse: boolean; metricsBase64: string }[] }).cases;
  return cases.map((c) => ({ name: c.name, shouldParse: c.shouldParse, body: new Uint8Array(Buffer.from(c.metricsBase64, 'base64')) }));
}

/**
 * OpenMetrics cases the spec calls invalid but Prometheus's parser accepts, because it checks
 * syntax only; the reason is given per group. Vigil follows Prometheus here (the
 * differential test confirms Prometheus 2.42 stores them).
 */
export function lenientOpenMetricsReason(name: string): string | null {
  const groups: [string, string][] = [
    ['bad_clashing_names_', 'family name clashes are not checked'],
    ['bad_counter_values_', 'counter/histogram/summary value ranges are not checked'],
    ['bad_grouping_or_ordering_', 'family grouping and timestamp order are not checked'],
    ['bad_histograms_', 'histogram bucket structure is not checked'],
    ['bad_info_and_stateset_values_', 'info/stateset values are not checked'],
    ['bad_stateset_info_values_', 'info/stateset values are not checked'],
    ['bad_metadata_in_wrong_place_', 'metadata placement is not checked'],
    ['bad_missing_or_invalid_labels_for_a_type_', 'le/quantile/stateset labels are not checked'],
    ['bad_repeated_metadata_', 'repeated metadata is not checked'],
  ];
  // Cases in those groups that are broken syntactically, which Prometheus does reject.
  const syntax = new Set(['bad_grouping_or_ordering_1', 'bad_histograms_4', 'bad_histograms_5', 'bad_repeated_metadata_2']);
  if (syntax.has(name)) return null;
  for (const [prefix, why] of groups) if (name.startsWith(prefix)) return why;
  if (name.startsWith('bad_exemplars_on_unallowed_')) return 'exemplars are accepted on any series (Prometheus 3; 2.42 allowed them on _total and _bucket series)';
  if (name === 'bad_exemplars_6' || name === 'bad_exemplar_complex_chars') {
    return 'the 128-character limit on exemplar labels is enforced by exemplar storage, not the parser';
  }
  if (name === 'bad_missing_or_extra_commas_2') return 'a trailing comma in the label set is accepted';
  if (name === 'bad_unit_6' || name === 'bad_unit_7') return 'UNIT on info/stateset families is not checked';
  return null;
}

export interface TextCase {
  readonly name: string;
  readonly body: Uint8Array;
  /** Whether Prometheus (2.42 and current) accepts the body. */
  readonly ok: boolean;
}

const t = (name: string, body: string | Uint8Array, ok: boolean): TextCase => ({
  name,
  body: typeof body === 'string' ? new Uint8Array(Buffer.from(body, 'utf8')) : body,
  ok,
});

/** Hand-written text-format bodies around the edges of Prometheus's grammar. */
export const TEXT_CASES: readonly TextCase[] = [
  t('trailing_comma', 'a{b="c",} 1\n', true),
  t('missing_comma', 'a{b="c" d="e"} 1\n', true),
  t('blanks', 'a { b = "c" , d="e" }   1  \nb\t2\t\n  \n\t# comment after blanks\n', true),
  t('blanks_before_name', '  a 1\n', false),
  t('escapes', String.raw`a{b="x\"y\\z\n",c="\t"} 1` + '\n', true),
  t('raw_newline_in_value', 'a{b="x\ny"} 1\n', true),
  t('specials', 'a NaN\nb +Inf\nc -Inf\nd Inf\ne nan\nf -infinity\ng 1e-400\nh .5\ni 5.\nj +1E+06\nk 007\nl -0\n', true),
  t('no_trailing_newline', 'a 1', true),
  t('blank_lines_and_comments', '\n\na 1\n\n# a comment\n#\n#HELP x y\n# HELP a help \\n with \\\\ and \\"\n# TYPE a gauge\n', true),
  t('help_utf8', '# HELP a Grüße ☃\na 1\n', true),
  t('label_utf8', 'a{b="Grüße ☃ 𝄞"} 1\n', true),
  t('huge_label_value', `a{b="${'x'.repeat(100_000)}"} 1\n`, true),
  t('timestamp', 'a 1 1700000000000\nb 2 0\n', true),
  t('nul_starts_line', 'a 1\n\0garbage\n', true),
  t('duplicate_series', 'a 1\na 2\n', true),
  t('empty_label_value', 'a{b="",c="d"} 1\n', true),
  t('histogram', '# TYPE h histogram\nh_bucket{le="0.5"} 1\nh_bucket{le="1e+06"} 2\nh_bucket{le="+Inf"} 3\nh_sum 4.5\nh_count 3\n', true),
  t('summary', '# TYPE s summary\ns{quantile="0.5"} 1\ns{quantile="1"} 2\ns_sum 3\ns_count 2\n', true),
  t('name_then_value_without_blank', 'a{b="c"}1\n', true),
  t('empty_body', '', true),
  t('reserved_label_names', 'a{__meta_x="1",_b="2"} 1\n', true),
  t('blank_after_timestamp', 'a{b="c"} 1 123 \n', true),
  t('colons_in_name', 'a:b:c_total 1\n', true),
  t('unknown_escape_kept', 'a{b="\\x\\t"} 1\n', true),
  t('many_labels', `a{${Array.from({ length: 100 }, (_, i) => `l${i}="v${i}"`).join(',')}} 1\n`, true),
  t('hash_without_blank_is_comment', '#TYPE a counter\n#HELP\na 1\n', true),
  t('repeated_type', '# TYPE a counter\n# TYPE a gauge\na 1\n', true),
  t('sign_and_dot_values', 'a +.5\nb -.5e+3\nc 1.e2\n', true),
  t('help_without_blank_after_name', '# HELP a-help text\na 1\n', true),
  t('type_with_two_blanks', '# TYPE a  counter\na 1\n', false),
  t('type_with_extra_word', '# TYPE a counter extra\na 1\n', false),
  t('two_label_blocks', 'a{b="c"}{d="e"} 1\n', false),
  t('three_numbers', 'a 1 2 3\n', false),
  t('dot_value', 'a .\n', false),
  t('exponent_without_digits', 'a 1e\n', false),
  t('bad_value', 'a 1\nb abc\n', false),
  t('value_out_of_range', 'a 1e400\n', false),
  t('value_underscore', 'a 1_0\n', false),
  t('value_hex', 'a 0x10\n', false),
  t('value_hex_float', 'a 0x1p-3\n', false),
  t('crlf', 'a 1\r\n', false),
  t('crlf_after_timestamp', 'a 1 123\r\n', false),
  t('crlf_type', '# TYPE a counter\r\na 1\n', false),
  t('bad_utf8_value', new Uint8Array([...Buffer.from('a{b="'), 0xff, ...Buffer.from('"} 1\n')]), false),
  t('bad_utf8_help', new Uint8Array([...Buffer.from('# HELP a '), 0xc3, 0x28, ...Buffer.from('\na 1\n')]), false),
  t('duplicate_label', 'a{b="1",b="2"} 1\n', false),
  t('duplicate_label_same_value', 'a{b="1",b="1"} 1\n', false),
  t('duplicate_label_one_empty', 'a{b="",b="1"} 1\n', true),
  t('empty_name_label', 'a{__name__=""} 1\n', false),
  t('duplicate_label_empty_last', 'a{c="2",b="1",b=""} 1\n', true),
  t('duplicate_label_both_empty', 'a{b="",b=""} 1\n', true),
  t('duplicate_label_beside_empty', 'a{b="",c="1",c="2"} 1\n', false),
  t('name_label_twice', 'a{__name__="b"} 1\n', false),
  t('negative_timestamp', 'a 1 -5\n', false),
  t('float_timestamp', 'a 1 1.5\n', false),
  t('timestamp_overflow', 'a 1 99999999999999999999\n', false),
  t('bad_type', '# TYPE a blah\na 1\n', false),
  t('single_quotes', "a{b='c'} 1\n", false),
  t('missing_value', 'a\n', false),
  t('double_comma', 'a{b="c",,d="e"} 1\n', false),
  t('label_starts_with_digit', 'a{1b="c"} 1\n', false),
  t('label_with_colon', 'a{b:c="d"} 1\n', false),
  t('unterminated_value', 'a{b="c} 1\n', false),
  t('no_metric_name', '{b="c"} 1\n', false),
  t('backslash_newline', 'a{b="x\\\ny"} 1\n', false),
  t('garbage_start', '!a 1\n', false),
];
