import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Labels } from '../tsdb/labels.js';
import { scrapeConfigs } from './_test_support.js';
import { fnv64a, populateLabels, Target, TargetError, targetsFromGroup, targetUrl } from './target.js';

const job = (extra = '') => scrapeConfigs(`scrape_configs:\n  - job_name: api\n    scrape_interval: 15s\n${extra}`)[0]!;

test('populateLabels adds the scrape defaults, drops __meta_ and defaults instance', () => {
  const p = populateLabels(Labels.from({ __address__: 'h:9', __meta_filepath: '/x.json', env: 'prod' }), job('    params: {module: [http_2xx, x]}\n'));
  assert.deepEqual(p.discovered.toRecord(), {
    __address__: 'h:9',
    __meta_filepath: '/x.json',
    __metrics_path__: '/metrics',
    __param_module: 'http_2xx',
    __scheme__: 'http',
    __scrape_interval__: '15s',
    __scrape_timeout__: '10s',
    env: 'prod',
    job: 'api',
  });
  assert.deepEqual(p.labels?.toRecord(), {
    __address__: 'h:9',
    __metrics_path__: '/metrics',
    __param_module: 'http_2xx',
    __scheme__: 'http',
    __scrape_interval__: '15s',
    __scrape_timeout__: '10s',
    env: 'prod',
    instance: 'h:9',
    job: 'api',
  });
});

test('populateLabels keeps labels the group already set and honours relabeled __ labels', () => {
  const cfg = job(`    relabel_configs:
      - {target_label: __scheme__, replacement: https}
      - {target_label: __scrape_interval__, replacement: 30s}
      - {target_label: __param_target, replacement: 'example.com'}
      - {source_labels: [__address__], target_label: instance, regex: '([^:]+)'}
`);
  const p = populateLabels(Labels.from({ __address__: 'h', job: 'custom', __metrics_path__: '/probe' }), cfg);
  const t = new Target(p.labels!, p.discovered, cfg.params);
  // No port: 443 is added for https (Prometheus 2 behaviour), instance set by the rule stays.
  assert.equal(t.labels.get('__address__'), 'h:443');
  assert.deepEqual(t.publicLabels.toRecord(), { instance: 'h', job: 'custom' });
  assert.equal(t.url, 'https://h:443/probe?target=example.com');
  assert.equal(t.interval, 30_000);
  assert.equal(t.timeout, 10_000);
});

test('populateLabels rejects bad targets with the reason and drops relabel-dropped ones', () => {
  assert.throws(() => populateLabels(Labels.from({ __address__: 'h:1' }), job('    relabel_configs: [{target_label: __address__, replacement: ""}]\n')), (e: unknown) => e instanceof TargetError && /no address/.test(e.message));
  assert.throws(
    () => populateLabels(Labels.from({ __address__: 'h:1', __scrape_timeout__: '20s' }), job()),
    /scrape timeout cannot be greater than scrape interval \("20s" > "15s"\)/,
  );
  assert.throws(() => populateLabels(Labels.from({ __address__: 'h:1', __scrape_interval__: 'soon' }), job()), /error parsing scrape interval/);
  assert.throws(() => populateLabels(Labels.from({ __address__: 'h:1', __scrape_interval__: '0s' }), job()), /scrape interval cannot be 0/);
  const d = populateLabels(Labels.from({ __address__: 'h:1' }), job('    relabel_configs: [{source_labels: [__address__], regex: "h:.*", action: drop}]\n'));
  assert.equal(d.labels, null);
  assert.equal(d.discovered.get('job'), 'api');
});

test('targetsFromGroup: target labels win over group labels; errors are collected', () => {
  const r = targetsFromGroup({ targets: [{ __address__: 'a:1', env: 'x' }, { __address__: 'b:1' }], labels: { env: 'group' }, source: '0' }, job('    relabel_configs: [{source_labels: [__address__], regex: "b:1", target_label: __scrape_timeout__, replacement: 1m}]\n'));
  assert.equal(r.active.length, 1);
  assert.equal(r.active[0]!.publicLabels.get('env'), 'x');
  assert.equal(r.errors.length, 1);
});

test('targetUrl encodes params like Go url.Values.Encode (sorted, query-escaped)', () => {
  const l = Labels.from({ __scheme__: 'http', __address__: 'h:1', __metrics_path__: '/m', __param_b: 'x y' });
  assert.equal(targetUrl(l, { a: ['1', '2'], b: ['orig', 'second'] }), 'http://h:1/m?a=1&a=2&b=x+y&b=second');
});

test('target offset is within the interval, stable per target, and spreads targets', () => {
  const cfg = job();
  const offsets = new Set<number>();
  for (let i = 0; i < 50; i++) {
    const t = targetsFromGroup({ targets: [{ __address__: `10.0.0.${i}:9100` }], labels: {}, source: '0' }, cfg).active[0]!;
    const o = t.offset(15_000, 1_000_000);
    assert.ok(o >= 0 && o <= 15_000);
    assert.equal(t.offset(15_000, 1_000_000), o);
    // Pinned to absolute time: asking later gives the same phase.
    assert.equal((1_000_000 + o) % 15_000, (1_007_000 + t.offset(15_000, 1_007_000)) % 15_000);
    offsets.add(Math.floor(o / 1500));
  }
  assert.ok(offsets.size >= 7, `50 targets fall into only ${offsets.size} of 10 tenths of the interval`);
  // FNV-1a test vectors.
  assert.equal(fnv64a(''), 0xcbf29ce484222325n);
  assert.equal(fnv64a('a'), 0xaf63dc4c8601ec8cn);
});
