#!/usr/bin/env -S node --no-memory-reducer --initial-old-space-size=128
/**
 * The `vigil` command line: `vigil <command> [<flags>] [<args>]`.
 *
 * Subcommands are `Command` objects (cmd/cli.ts) listed in `COMMANDS`; a later
 * issue adds one with one line there (`promqltest`, `tsdb …`, `check rules`,
 * `test rules`, `agent`, `ctl`). Exit codes: what the command returns (0 ok,
 * 1 failure, promtool's codes for `check …`), 2 for any command-line mistake
 * (unknown command or flag, bad flag value), printed with a usage hint.
 */
import { realpathSync } from 'node:fs';
import { checkRulesCommand, testRulesCommand } from '../alert/commands.js';
import { pathToFileURL } from 'node:url';
import { versionText } from './build_info.js';
import { checkRuleFileContent } from '../alert/check_rules.js';
import { runCheckConfig } from './check_config.js';
import { checkWebConfigCommand } from './check_web_config.js';
import { type Command, type CommandIo, commandHelp, parseCommandArgs, UsageError } from './cli.js';
import { agentCommand } from '../cluster/agent/agent_command.js';
import { defaultRulesCommand } from '../cluster/failover/default_rules_command.js';
import { serverCommand } from './server_command.js';
import { TSDB_COMMANDS } from './tsdb_commands.js';
import { ctlCommand, runCtl } from '../cluster/ctl/ctl_command.js';
import { runPromqltest } from '../query/promqltest/promqltest_command.js';

/** `vigil promqltest FILE...`: runs Prometheus's PromQL test scripts (the conformance README's language). */
export const promqltestCommand: Command = {
  path: ['promqltest'],
  summary: 'Run PromQL test scripts (promqltest format); exits 1 when any eval fails.',
  args: 'FILE...',
  positionals: { min: 1, max: -1 },
  flags: [],
  description:
    'Prints a line per failing eval (file:line, query, expected vs got), per-file counts, and last "N passed, M failed, K skipped". Evals that need features Vigil lacks (native histograms, info()) are counted as skipped, with the reason.',
  run: (args) => runPromqltest([...args.positionals], { write: (s: string) => process.stdout.write(s) }),
};

/** `vigil check config FILE...`: validates configuration files like `promtool check config`. */
export const checkConfigCommand: Command = {
  path: ['check', 'config'],
  summary: 'Check that configuration files are valid (exit 0 valid, 1 invalid, as promtool).',
  args: 'FILE...',
  positionals: { min: 1, max: -1 },
  flags: [],
  description: 'Errors name the file, line, column and field, e.g. prometheus.yml:12:5: scrape_configs[1].scrape_timeout …',
  run: (args, io) => runCheckConfig([...args.positionals], io, { checkRuleFile: checkRuleFileContent }),
};

/** Every subcommand, in the order `vigil --help` lists them. */
export const COMMANDS: readonly Command[] = [
  serverCommand,
  agentCommand,
  ctlCommand,
  checkRulesCommand,
  checkConfigCommand,
  testRulesCommand,
  promqltestCommand,
  checkWebConfigCommand,
  defaultRulesCommand,
  ...TSDB_COMMANDS,
];

const PROGRAM = 'vigil';

/** The overview printed by `vigil --help` and on a missing command. */
export function programHelp(commands: readonly Command[] = COMMANDS): string {
  const names = commands.map((c) => c.path.join(' ') + (c.args ? ` ${c.args}` : ''));
  const width = Math.max(...names.map((n) => n.length)) + 4;
  return [
    `usage: ${PROGRAM} <command> [<flags>] [<args> ...]`,
    '',
    'Vigil: Prometheus-compatible monitoring and alerting with a bundled cluster manager.',
    '',
    'Flags:',
    '  -h, --help     Show help (also: vigil <command> --help).',
    '      --version  Show the version and exit.',
    '',
    'Commands:',
    ...commands.map((c, i) => `  ${(names[i] ?? '').padEnd(width)}${c.summary}`),
  ].join('\n');
}

/** Finds the command whose path is the longest prefix of `argv`'s leading words. */
export function findCommand(
  argv: readonly string[],
  commands: readonly Command[] = COMMANDS,
): { command: Command; rest: string[] } | null {
  let best: Command | null = null;
  for (const c of commands) {
    if (c.path.length > argv.length) continue;
    if (!c.path.every((w, i) => argv[i] === w)) continue;
    if (best === null || c.path.length > best.path.length) best = c;
  }
  return best === null ? null : { command: best, rest: argv.slice(best.path.length) };
}

/**
 * Runs `vigil` with `argv` (the words after the program name) and returns the exit
 * code. Output goes through `io`, so tests can run it in-process.
 */
export async function main(argv: readonly string[], io: CommandIo, commands: readonly Command[] = COMMANDS): Promise<number> {
  const first = argv[0];
  if (first === undefined) {
    io.err(programHelp(commands));
    return 2;
  }
  if (first === '--version') {
    io.log(versionText());
    return 0;
  }
  if (first === '-h' || first === '--help') {
    io.log(programHelp(commands));
    return 0;
  }
  if (first === 'help') {
    const rest = argv.slice(1);
    if (rest.length === 0) {
      io.log(programHelp(commands));
      return 0;
    }
    if (rest[0] === 'ctl' && commands.includes(ctlCommand)) return runCtl([...rest.slice(1), '--help'], io);
    const found = findCommand(rest, commands);
    if (found === null || found.rest.length > 0) return usageFailure(io, unknownCommand(rest, commands));
    io.log(commandHelp(found.command, PROGRAM));
    return 0;
  }
  if (first.startsWith('-')) {
    return usageFailure(io, new UsageError(`unknown flag ${first} (expected a command first, e.g. ${PROGRAM} server ${first})`));
  }

  // kubectl-style short flags (-n, -l, -o, -A, -w, -f) need ctl's own argument parser.
  if (first === 'ctl' && commands.includes(ctlCommand)) return runCtl(argv.slice(1), io);
  const found = findCommand(argv, commands);
  if (found === null) return usageFailure(io, unknownCommand(argv, commands));
  const { command, rest } = found;
  const label = `${PROGRAM} ${command.path.join(' ')}`;
  try {
    const args = parseCommandArgs(rest, command.flags, command.positionals);
    if (args.help) {
      io.log(commandHelp(command, PROGRAM));
      return 0;
    }
    return await command.run(args, io);
  } catch (e) {
    if (e instanceof UsageError) return usageFailure(io, e, label);
    io.err(`${label}: error: ${e instanceof Error ? e.message : String(e)}`);
    return 1;
  }
}

function unknownCommand(argv: readonly string[], commands: readonly Command[]): UsageError {
  const words = argv.filter((w) => !w.startsWith('-'));
  // A known group word ("check") followed by nothing or an unknown word: list the group's commands.
  const group = commands.filter((c) => c.path.length > 1 && c.path[0] === words[0]);
  if (group.length > 0) {
    const next = words[1];
    const choices = group.map((c) => c.path.slice(1).join(' ')).join(', ');
    return new UsageError(
      next === undefined
        ? `"${words[0]}" needs a subcommand, one of: ${choices}`
        : `unknown command "${words[0]} ${next}"; ${PROGRAM} ${words[0]} has: ${choices}`,
    );
  }
  const known = [...new Set(commands.map((c) => c.path[0]))].join(', ');
  return new UsageError(`unknown command "${words[0] ?? argv[0] ?? ''}"; commands are: ${known}`);
}

function usageFailure(io: CommandIo, e: UsageError, label: string = PROGRAM): number {
  io.err(`${label}: error: ${e.message}, try --help`);
  return 2;
}

/** Whether this module is the process's entry point (also through npm's bin symlink). */
function isEntryPoint(): boolean {
  const script = process.argv[1];
  if (script === undefined) return false;
  try {
    return import.meta.url === pathToFileURL(realpathSync(script)).href;
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  const io: CommandIo = {
    log: (s) => process.stdout.write(s.endsWith('\n') ? s : s + '\n'),
    err: (s) => process.stderr.write(s.endsWith('\n') ? s : s + '\n'),
  };
  main(process.argv.slice(2), io).then(
    (code) => {
      process.exitCode = code;
      // Nothing should keep the process alive after a command returns; if something
      // does (a leaked handle), do not hang forever.
      setTimeout(() => process.exit(code), 3000).unref();
    },
    (e: unknown) => {
      process.stderr.write(`${PROGRAM}: error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
      process.exitCode = 1;
    },
  );
}
