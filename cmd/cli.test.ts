import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type Command, commandHelp, type FlagSpec, parseCommandArgs, UsageError } from './cli.js';

const FLAGS: readonly FlagSpec[] = [
  { name: 'out', kind: 'string', placeholder: 'FILE', default: 'a.txt', help: 'Where to write.' },
  { name: 'match', kind: 'string', repeatable: true, help: 'Series selector.' },
  { name: 'lint', kind: 'bool', help: 'Lint too.' },
];

describe('command-line parsing', () => {
  test('collects values, lists, booleans and positionals', () => {
    const a = parseCommandArgs(['x.yml', '--out', 'o', '--match=a', '--match', 'b', '--lint', 'y.yml'], FLAGS);
    assert.equal(a.values.get('out'), 'o');
    assert.deepEqual(a.lists.get('match'), ['a', 'b']);
    assert.equal(a.values.get('lint'), true);
    assert.deepEqual(a.positionals, ['x.yml', 'y.yml']);
    assert.equal(a.help, false);
  });

  test('everything after -- is positional', () => {
    const a = parseCommandArgs(['--', '--lint', '-x'], FLAGS);
    assert.deepEqual(a.positionals, ['--lint', '-x']);
    assert.equal(a.values.has('lint'), false);
  });

  test('-h and --help set help and skip the positional count check', () => {
    assert.equal(parseCommandArgs(['-h'], FLAGS, { min: 1, max: 1 }).help, true);
    assert.equal(parseCommandArgs(['--help'], FLAGS, { min: 1, max: 1 }).help, true);
  });

  test('positional bounds are enforced with a clear message', () => {
    assert.throws(() => parseCommandArgs([], FLAGS, { min: 1, max: -1 }), /expected an argument, got none/);
    assert.throws(() => parseCommandArgs(['a', 'b'], FLAGS, { min: 0, max: 1 }), /unexpected argument "b" \(at most 1 allowed\)/);
  });

  test('errors are UsageError', () => {
    assert.throws(() => parseCommandArgs(['--nope'], FLAGS), UsageError);
  });

  test('help lists usage, flags with placeholders, negation and defaults', () => {
    const cmd: Command = {
      path: ['check', 'thing'],
      summary: 'Check a thing.',
      args: 'FILE...',
      positionals: { min: 1, max: -1 },
      flags: FLAGS,
      description: '',
      run: async () => 0,
    };
    const h = commandHelp(cmd);
    assert.match(h, /^usage: vigil check thing \[<flags>\] FILE\.\.\.\n/);
    assert.match(h, /--out=FILE\s+Where to write\. Default: a\.txt/);
    assert.match(h, /--\[no-\]lint\s+Lint too\./);
    assert.match(h, /-h, --help\s+Show help/);
  });
});
