import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UsageError } from '../../cmd/cli.js';
import { parseCtlArgs, parseDurationFlag } from './ctl_args.js';

test('parseCtlArgs takes kubectl short and long flags anywhere, before or after the verb', () => {
  const a = parseCtlArgs(['-n', 'team', 'get', 'pods', '-lapp=web', '-o=wide', '--show-labels', '-A']);
  assert.equal(a.verb, 'get');
  assert.deepEqual(a.positionals, ['pods']);
  assert.equal(a.values.get('namespace'), 'team');
  assert.equal(a.values.get('selector'), 'app=web');
  assert.equal(a.values.get('output'), 'wide');
  assert.equal(a.values.get('show-labels'), true);
  assert.equal(a.values.get('all-namespaces'), true);
});

test('-f and -l mean different flags for logs and run, as in kubectl', () => {
  assert.equal(parseCtlArgs(['logs', 'p', '-f']).values.get('follow'), true);
  assert.deepEqual(parseCtlArgs(['apply', '-f', 'a.yaml', '-f', 'b.yaml']).lists.get('filename'), ['a.yaml', 'b.yaml']);
  assert.equal(parseCtlArgs(['run', 'web', '-l', 'x=y']).values.get('labels'), 'x=y');
  assert.equal(parseCtlArgs(['get', 'po', '-l', 'x=y']).values.get('selector'), 'x=y');
});

test('repeatable flags collect; a bare -- ends the flags; the verb may repeat as a positional', () => {
  const a = parseCtlArgs(['run', 'run', '--env', 'A=1', '--env=B=2', '--', '--not-a-flag']);
  assert.deepEqual(a.lists.get('env'), ['A=1', 'B=2']);
  assert.deepEqual(a.positionals, ['run', '--not-a-flag']);
});

test('mistakes are usage errors that name the flag', () => {
  assert.throws(() => parseCtlArgs(['get', '--nope']), (e: unknown) => e instanceof UsageError && e.message === 'unknown flag: --nope');
  assert.throws(() => parseCtlArgs(['get', '-z']), /unknown shorthand flag: 'z' in -z/);
  assert.throws(() => parseCtlArgs(['get', 'pods', '-n']), /flag needs an argument: --namespace/);
  assert.throws(() => parseCtlArgs(['get', '--watch=maybe']), /expected true or false/);
});

test('parseDurationFlag reads Go-style durations and bare seconds', () => {
  assert.equal(parseDurationFlag('timeout', '30'), 30_000);
  assert.equal(parseDurationFlag('timeout', '1m30s'), 90_000);
  assert.equal(parseDurationFlag('timeout', '250ms'), 250);
  assert.equal(parseDurationFlag('timeout', '2h'), 7_200_000);
  assert.throws(() => parseDurationFlag('timeout', '5 minutes'), /invalid argument "5 minutes" for "--timeout" flag/);
});
