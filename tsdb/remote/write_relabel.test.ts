import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigDoc } from '../config_reader.js';
import { Labels } from '../labels.js';
import { parseRelabelConfigs } from '../../scrape/relabel_config.js';
import { expandTemplate, relabelSeries } from './write_relabel.js';

function rules(yaml: string) {
  return parseRelabelConfigs(ConfigDoc.parse(`r:\n${yaml}`, 't.yml').root(), 'r', 'utf8');
}

const base = Labels.fromStrings('__name__', 'http_requests_total', 'job', 'api', 'instance', 'h1:9090', 'env', 'Dev');

// biome-ignore lint/suspicious/noTemplateCurlyInString: Go's $-template syntax is what is tested
test('expandTemplate follows Go: $1, ${1}, names, $$ and the longest-name rule', () => {
  // biome-ignore lint/suspicious/noTemplateCurlyInString: Go's $-template syntax is what is tested
  assert.equal(expandTemplate('$1-${2}x$$', ['ab', 'a', 'b'], {}), 'a-bx$');
  assert.equal(expandTemplate('$1x', ['a', 'b'], {}), '', '"$1x" names the group "1x"');
  // biome-ignore lint/suspicious/noTemplateCurlyInString: Go's $-template syntax is what is tested
  assert.equal(expandTemplate('${host}:$port', [], { host: 'h', port: '1' }), 'h:1');
});

test('write_relabel_configs: keep/drop, replace, labelmap, labeldrop, lowercase, hashmod', () => {
  assert.equal(relabelSeries(base, rules('  - source_labels: [__name__]\n    regex: http_.*\n    action: drop\n')), null);
  assert.ok(relabelSeries(base, rules('  - source_labels: [job]\n    regex: api\n    action: keep\n')) !== null);
  const r = relabelSeries(
    base,
    rules(
      [
        '  - source_labels: [instance]',
        '    regex: (.*):\\d+',
        '    target_label: host',
        '  - regex: (e.*)',
        '    action: labelmap',
        '    replacement: x_$1',
        '  - regex: instance',
        '    action: labeldrop',
        '  - source_labels: [env]',
        '    target_label: env',
        '    action: lowercase',
        '  - source_labels: [job]',
        '    target_label: shard',
        '    modulus: 8',
        '    action: hashmod',
        '',
      ].join('\n'),
    ),
  );
  assert.ok(r !== null);
  assert.equal(r.get('host'), 'h1');
  assert.equal(r.get('x_env'), 'Dev');
  assert.equal(r.get('env'), 'dev');
  assert.equal(r.has('instance'), false);
  const shard = Number(r.get('shard'));
  assert.ok(Number.isInteger(shard) && shard >= 0 && shard < 8);
  assert.equal(relabelSeries(base, rules('  - regex: __name__|job\n    action: labelkeep\n'))?.toString(), '{__name__="http_requests_total", job="api"}');
  assert.equal(relabelSeries(base, rules('  - regex: .*\n    action: labeldrop\n')), null, 'an empty label set is dropped');
});
