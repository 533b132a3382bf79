import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isStaleNaN } from '../../tsdb/storage.js';
import { type EvalCmd, type LoadCmd, parseScript, parseSeriesLine, ScriptError } from './script.js';

test('series values expand repetitions, gaps and stale markers', () => {
  const s = parseSeriesLine('t', 1, 'm{a="b"} 0+10x3 _ _x2 stale -2+4x1 1x2 Inf -1-1x1');
  assert.equal(s.labels.toString(), '{__name__="m", a="b"}');
  const got = Array.from(s.values, (v, i) => (s.present[i] === 0 ? '_' : isStaleNaN(v) ? 'stale' : String(v)));
  assert.deepEqual(got, ['0', '10', '20', '30', '_', '_', '_', 'stale', '-2', '2', '1', '1', '1', 'Infinity', '-1', '-2']);
});

test('the empty label set and quoted names parse in series notation', () => {
  assert.ok(parseSeriesLine('t', 1, '{} 1').labels.isEmpty());
  assert.equal(parseSeriesLine('t', 1, '{"my.metric", "a b"="c"} 3').labels.toString(), '{__name__="my.metric", "a b"="c"}');
});

test('histogram values are recognised and not mistaken for floats', () => {
  const s = parseSeriesLine('t', 1, 'h {{schema:0 sum:5 count:4 buckets:[1 2 1]}}x2');
  assert.equal(s.hasHistogram, true);
  assert.equal(s.values.length, 3);
});

test('a script parses into load, clear and eval commands with expectations', () => {
  const cmds = parseScript(
    'x.test',
    [
      '# comment',
      'load 5m',
      '  m{a="1"} 1 2 3',
      '',
      'eval instant at 10m sum(m)',
      '  expect no_warn',
      '  expect info msg: PromQL info: something (1:1)',
      '  {} 3',
      '',
      'eval range from 0 to 10m step 5m m',
      '  m{a="1"} 1 _ 3',
      '',
      'eval instant at 0 1 + 1',
      '  2',
      '',
      'eval_fail instant at 0 foo(',
      '  expected_fail_message boom',
      '',
      'clear',
    ].join('\n'),
  );
  assert.deepEqual(
    cmds.map((c) => c.kind),
    ['load', 'eval', 'eval', 'eval', 'eval', 'clear'],
  );
  const load = cmds[0] as LoadCmd;
  assert.equal(load.intervalMs, 300_000);
  const inst = cmds[1] as EvalCmd;
  assert.equal(inst.start, 600_000);
  assert.equal(inst.warn, false);
  assert.equal(inst.info, true);
  assert.equal(inst.annos[0]!.msg, 'PromQL info: something (1:1)');
  assert.equal(inst.expected.length, 1);
  const range = cmds[2] as EvalCmd;
  assert.equal(range.instant, false);
  assert.equal(range.stepMs, 300_000);
  assert.deepEqual(Array.from(range.expected[0]!.present), [1, 0, 1]);
  assert.equal((cmds[3] as EvalCmd).expectedScalar, 2);
  const fail = cmds[4] as EvalCmd;
  assert.equal(fail.expectFail, true);
  assert.equal(fail.failMsg, 'boom');
});

test('bad scripts are rejected with file and line', () => {
  assert.throws(() => parseScript('bad.test', 'load 5m\n  m 1 2 x\n'), (e: unknown) => e instanceof ScriptError && /^bad\.test:2: invalid value "x"/.test(e.message));
  assert.throws(() => parseScript('bad.test', '\nfrobnicate\n'), /bad\.test:2: invalid command "frobnicate"/);
  assert.throws(() => parseScript('bad.test', 'eval instant at 0 up\n  expect warn\n  expect no_warn\n'), /bad\.test:3: warn and no_warn cannot be combined/);
});
