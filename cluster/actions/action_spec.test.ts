import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ActionSpecError, checkActionAnnotations, checkActionTemplate, formatActionSpec, parseActionSpec, parseCooldown } from './action_spec.js';

test('parses every verb and scale change', () => {
  assert.deepEqual(parseActionSpec('scale deployment/prod/web +1'), { verb: 'scale', target: { kind: 'deployment', namespace: 'prod', name: 'web' }, change: { op: '+', n: 1 } });
  assert.deepEqual(parseActionSpec('  scale   deployment/a/b   -2 ').verb, 'scale');
  assert.deepEqual(parseActionSpec('scale deployment/a/b =7'), { verb: 'scale', target: { kind: 'deployment', namespace: 'a', name: 'b' }, change: { op: '=', n: 7 } });
  assert.deepEqual(parseActionSpec('scale deployment/a/b *1.5'), { verb: 'scale', target: { kind: 'deployment', namespace: 'a', name: 'b' }, change: { op: '*', factor: 1.5 } });
  assert.deepEqual(parseActionSpec('restart pod/ns/web-abc12'), { verb: 'restart', target: { kind: 'pod', namespace: 'ns', name: 'web-abc12' } });
  assert.deepEqual(parseActionSpec('cordon node/n1.example'), { verb: 'cordon', target: { kind: 'node', namespace: '', name: 'n1.example' } });
  assert.deepEqual(parseActionSpec('failover node/n2'), { verb: 'failover', target: { kind: 'node', namespace: '', name: 'n2' } });
  assert.deepEqual(parseActionSpec('rollback deployment/default/api'), { verb: 'rollback', target: { kind: 'deployment', namespace: 'default', name: 'api' } });
});

test('format round-trips', () => {
  for (const s of ['scale deployment/a/b +3', 'scale deployment/a/b *2', 'scale deployment/a/b =0', 'restart pod/x/y', 'cordon node/n', 'failover node/n', 'rollback deployment/a/b']) {
    assert.equal(formatActionSpec(parseActionSpec(s)), s);
  }
});

test('bad actions throw typed errors that name the problem', () => {
  const bad: [string, string, RegExp][] = [
    ['', 'empty', /empty/],
    ['   ', 'empty', /empty/],
    ['grow deployment/a/b +1', 'unknown_verb', /"grow".*scale, restart/],
    ['scale pod/a/b +1', 'bad_target', /"pod\/a\/b" must be deployment\/NAMESPACE\/NAME/],
    ['scale deployment/a +1', 'bad_target', /deployment\/NAMESPACE\/NAME/],
    ['scale deployment/A/b +1', 'bad_target', /DNS-1123/],
    ['cordon node/a/b', 'bad_target', /node\/NAME/],
    ['scale deployment/a/b', 'bad_arity', /missing change/],
    ['restart', 'bad_arity', /missing target/],
    ['scale deployment/a/b 3', 'bad_amount', /"3" must start with/],
    ['scale deployment/a/b +x', 'bad_amount', /\+N/],
    ['scale deployment/a/b *0', 'bad_amount', /positive/],
    ['scale deployment/a/b *-1', 'bad_amount', /positive/],
    ['rollback deployment/a/b now', 'bad_arity', /unexpected "now"/],
    [`scale deployment/a/${'b'.repeat(2000)} +1`, 'too_long', /limit is 1024/],
  ];
  for (const [text, code, re] of bad) {
    assert.throws(
      () => parseActionSpec(text),
      (e: unknown) => e instanceof ActionSpecError && e.code === code && re.test(e.message),
      text.slice(0, 40),
    );
  }
});

test('cooldown parses Prometheus durations', () => {
  assert.equal(parseCooldown(undefined), 0);
  assert.equal(parseCooldown('5m'), 300_000);
  assert.equal(parseCooldown('1h30s'), 3_630_000);
  assert.throws(() => parseCooldown('5 minutes'), (e: unknown) => e instanceof ActionSpecError && e.code === 'bad_cooldown');
});

test('templates stand for names and numbers when checking rule files', () => {
  assert.equal(checkActionTemplate('scale deployment/{{ $labels.namespace }}/{{ $labels.deployment }} +1'), null);
  assert.equal(checkActionTemplate('scale deployment/{{ $labels.namespace }}/web-{{ $labels.x }} +{{ $value }}'), null);
  assert.equal(checkActionTemplate('failover node/{{ $labels.node }}'), null);
  assert.match(checkActionTemplate('scale deployments/{{ $labels.ns }}/x +1') ?? '', /must be deployment\/NAMESPACE\/NAME/);
  assert.match(checkActionTemplate('scale deployment/{{ $labels.ns }} +1') ?? '', /"deployment\/\{\{…\}\}"/);
  assert.deepEqual(checkActionAnnotations({ summary: 'x' }), []);
  assert.deepEqual(checkActionAnnotations({ action: 'cordon node/a', action_cooldown: 'soon', action_dry_run: 'yes' }).length, 2);
});
