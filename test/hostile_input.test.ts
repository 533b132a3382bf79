/**
 * Untrusted input, bounded (in process): catastrophic-backtracking regexes from a
 * configuration's relabel rules and from label matchers run in linear time (RE2 via re2js),
 * where a backtracking engine would take exponential time on the same input.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseConfig } from '../cmd/config.js';
import { relabel } from '../scrape/relabel.js';
import { Labels } from '../tsdb/labels.js';
import { Matcher, MatchType } from '../tsdb/matcher.js';

const EVIL = ['(a+)+$', '(a|aa)+$', '(a*)*b', '(.*a){20}', '((a+)+)+c'];

function timeMs(fn: () => void): number {
  const t0 = performance.now();
  fn();
  return performance.now() - t0;
}

test('catastrophic regexes in relabel_configs run in linear time on hostile label values', () => {
  const rules = EVIL.map((re) => `      - {source_labels: [path], regex: '${re}', target_label: hit, replacement: yes}\n`).join('');
  const { config } = parseConfig(
    `scrape_configs:\n  - job_name: evil\n    static_configs: [{targets: ['x:1']}]\n    metric_relabel_configs:\n${rules}      - {source_labels: [path], regex: '(a+)+$', action: drop}\n`,
    '/evil/prometheus.yml',
    { env: {} },
  );
  const configs = config.scrapeConfigs[0]!.metricRelabelConfigs;
  assert.equal(configs.length, EVIL.length + 1);
  // 30 characters already take seconds with a backtracking engine; RE2 does 100k in milliseconds.
  for (const n of [30, 1000, 100_000]) {
    const value = `${'a'.repeat(n)}!`;
    let out: Labels | null = Labels.EMPTY;
    const ms = timeMs(() => {
      out = relabel(Labels.from({ __name__: 'm', path: value }), configs);
    });
    assert.ok(out !== null, 'the trailing "!" means no rule matched, so nothing is dropped');
    assert.equal((out as Labels).get('hit'), '', 'no rule matched');
    // Generous: a backtracking engine would never finish; a loaded 2-core CI machine is slow but linear.
    assert.ok(ms < 10_000 + n / 10, `${n} characters took ${ms.toFixed(0)} ms`);
  }
  // And the rules do work on matching input.
  assert.equal(relabel(Labels.from({ __name__: 'm', path: 'aaaa' }), configs), null);
});

test('catastrophic regexes in label matchers run in linear time', () => {
  for (const re of EVIL) {
    const m = new Matcher(MatchType.Regexp, 'path', re);
    const ms = timeMs(() => {
      for (let i = 0; i < 10; i++) assert.equal(m.matches(`${'a'.repeat(20_000)}!`), false);
    });
    assert.ok(ms < 15_000, `${re}: 10 × 20k characters took ${ms.toFixed(0)} ms`);
  }
});
