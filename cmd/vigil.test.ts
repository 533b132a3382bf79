import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type Command, type CommandIo, UsageError } from './cli.js';
import { COMMANDS, findCommand, main, programHelp } from './vigil.js';

function io(): CommandIo & { out: string[]; errs: string[] } {
  const out: string[] = [];
  const errs: string[] = [];
  return { out, errs, log: (s) => void out.push(s), err: (s) => void errs.push(s) };
}

function fake(path: string[], run: Command['run']): Command {
  return {
    path,
    summary: `fake ${path.join(' ')}`,
    args: '[ARG]',
    positionals: { min: 0, max: 1 },
    flags: [{ name: 'n', kind: 'string', help: 'A number.' }],
    description: '',
    run,
  };
}

describe('vigil dispatch', () => {
  const calls: string[] = [];
  const cmds: Command[] = [
    fake(['tsdb'], async () => 0),
    fake(['tsdb', 'analyze'], async (a) => {
      calls.push(`analyze ${a.positionals.join(',')} n=${String(a.values.get('n'))}`);
      return 3;
    }),
    fake(['tsdb', 'dump'], async (a) => {
      const n = a.values.get('n');
      if (n !== '1') throw new UsageError(`flag --n expects 1, got "${String(n)}"`);
      throw new Error('disk on fire');
    }),
  ];

  test('the longest matching command path wins and its exit code is returned', async () => {
    assert.equal(findCommand(['tsdb', 'analyze', 'x'], cmds)?.command.path.join(' '), 'tsdb analyze');
    assert.equal(findCommand(['tsdb', 'x'], cmds)?.command.path.join(' '), 'tsdb');
    const o = io();
    assert.equal(await main(['tsdb', 'analyze', 'blk', '--n=5'], o, cmds), 3);
    assert.deepEqual(calls, ['analyze blk n=5']);
  });

  test('UsageError from a command exits 2 with a hint; other errors exit 1', async () => {
    const a = io();
    assert.equal(await main(['tsdb', 'dump', '--n=2'], a, cmds), 2);
    assert.deepEqual(a.errs, ['vigil tsdb dump: error: flag --n expects 1, got "2", try --help']);
    const b = io();
    assert.equal(await main(['tsdb', 'dump', '--n=1'], b, cmds), 1);
    assert.deepEqual(b.errs, ['vigil tsdb dump: error: disk on fire']);
  });

  test('too many positionals and unknown flags exit 2 before the command runs', async () => {
    const before = calls.length;
    const a = io();
    assert.equal(await main(['tsdb', 'analyze', 'a', 'b'], a, cmds), 2);
    assert.match(a.errs[0] ?? '', /unexpected argument "b"/);
    const b = io();
    assert.equal(await main(['tsdb', 'analyze', '--m=1'], b, cmds), 2);
    assert.match(b.errs[0] ?? '', /unknown flag --m; did you mean --n\?/);
    assert.equal(calls.length, before);
  });

  test('help, --help and -h print usage and exit 0', async () => {
    const a = io();
    assert.equal(await main(['help', 'tsdb', 'analyze'], a, cmds), 0);
    assert.match(a.out[0] ?? '', /^usage: vigil tsdb analyze \[<flags>\] \[ARG\]/);
    const b = io();
    assert.equal(await main(['tsdb', 'analyze', '-h'], b, cmds), 0);
    assert.equal(b.out[0], a.out[0]);
    const c = io();
    assert.equal(await main(['--help'], c, cmds), 0);
    assert.equal(c.out[0], programHelp(cmds));
  });

  test('the real registry has server and check config, each path unique', () => {
    const paths = COMMANDS.map((c) => c.path.join(' '));
    assert.ok(paths.includes('server'));
    assert.ok(paths.includes('check config'));
    assert.equal(new Set(paths).size, paths.length);
  });
});
