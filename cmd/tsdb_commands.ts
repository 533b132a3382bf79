/**
 * `vigil tsdb …`: promtool-compatible TSDB tooling (list, analyze, dump,
 * create-blocks-from openmetrics) as CLI commands. The work is done by
 * `tsdb/cli/`; this file only declares flags and maps them.
 */
import { analyzeCommand } from '../tsdb/cli/analyze_block.js';
import { createBlocksCommand } from '../tsdb/cli/create_blocks.js';
import { dumpCommand } from '../tsdb/cli/dump_samples.js';
import { listBlocksCommand } from '../tsdb/cli/list_blocks.js';
import type { TsdbIO } from '../tsdb/cli/tsdb_io.js';
import { parseDuration } from '../tsdb/duration.js';
import { type Command, type CommandIo, type ParsedArgs, UsageError } from './cli.js';

const DEFAULT_DIR = 'data/';

/** The tsdb tools write whole chunks of text; `CommandIo` takes one message per call. */
function tsdbIo(io: CommandIo): TsdbIO {
  return {
    out: (s) => io.log(s.endsWith('\n') ? s.slice(0, -1) : s),
    err: (s) => io.err(s.endsWith('\n') ? s.slice(0, -1) : s),
  };
}

function str(args: ParsedArgs, name: string): string | undefined {
  const v = args.values.get(name);
  return typeof v === 'string' ? v : undefined;
}

function int(args: ParsedArgs, name: string, dflt: number): number {
  const v = str(args, name);
  if (v === undefined) return dflt;
  if (!/^-?\d+$/.test(v)) throw new UsageError(`flag --${name} expects an integer (milliseconds), got "${v}"`);
  return Number(v);
}

const listCommand: Command = {
  path: ['tsdb', 'list'],
  summary: 'List TSDB blocks (as promtool tsdb list).',
  args: '[DIR]',
  positionals: { min: 0, max: 1 },
  flags: [{ name: 'human-readable', kind: 'bool', help: 'Print human readable values.' }],
  description: `DIR defaults to ${DEFAULT_DIR}.`,
  run: (args, io) => listBlocksCommand(args.positionals[0] ?? DEFAULT_DIR, args.values.get('human-readable') === true, tsdbIo(io)),
};

const analyzeTsdbCommand: Command = {
  path: ['tsdb', 'analyze'],
  summary: 'Analyze churn, label pair cardinality and compaction efficiency (as promtool tsdb analyze).',
  args: '[DIR] [BLOCK_ID]',
  positionals: { min: 0, max: 2 },
  flags: [
    { name: 'limit', kind: 'string', placeholder: 'N', default: '20', help: 'How many items to show in each list.' },
    { name: 'extended', kind: 'bool', help: 'Run extended analysis.' },
  ],
  description: 'Analyzes the newest block unless BLOCK_ID is given.',
  run: (args, io) =>
    analyzeCommand(
      args.positionals[0] ?? DEFAULT_DIR,
      args.positionals[1] ?? '',
      { limit: int(args, 'limit', 20), extended: args.values.get('extended') === true },
      tsdbIo(io),
    ),
};

const dumpTsdbCommand: Command = {
  path: ['tsdb', 'dump'],
  summary: 'Dump samples from a TSDB, blocks and WAL (as promtool tsdb dump).',
  args: '[DIR]',
  positionals: { min: 0, max: 1 },
  flags: [
    { name: 'min-time', kind: 'string', placeholder: 'MS', help: 'Minimum timestamp to dump (ms).' },
    { name: 'max-time', kind: 'string', placeholder: 'MS', help: 'Maximum timestamp to dump (ms).' },
    { name: 'match', kind: 'string', placeholder: 'SELECTOR', help: 'Series selector.' },
  ],
  description: '',
  run: (args, io) =>
    dumpCommand(
      args.positionals[0] ?? DEFAULT_DIR,
      {
        minTime: int(args, 'min-time', Number.MIN_SAFE_INTEGER),
        maxTime: int(args, 'max-time', Number.MAX_SAFE_INTEGER),
        match: str(args, 'match') ?? "{__name__=~'(?s:.*)'}",
      },
      tsdbIo(io),
    ),
};

const createBlocksFromCommand: Command = {
  path: ['tsdb', 'create-blocks-from', 'openmetrics'],
  summary: 'Import samples from OpenMetrics input and produce TSDB blocks (backfill).',
  args: 'FILE [DIR]',
  positionals: { min: 1, max: 2 },
  flags: [
    { name: 'max-block-duration', kind: 'string', placeholder: 'DURATION', help: 'Maximum duration of created blocks (default 2h).' },
    { name: 'human-readable', kind: 'bool', help: 'Print human readable values.' },
    { name: 'quiet', kind: 'bool', help: 'Do not print created blocks.' },
  ],
  description: 'The blocks are written to DIR (default data/); move them into a data directory to query them.',
  run: (args, io) => {
    const mbd = str(args, 'max-block-duration');
    let maxBlockDuration = 0;
    if (mbd !== undefined) {
      try {
        maxBlockDuration = parseDuration(mbd);
      } catch {
        throw new UsageError(`flag --max-block-duration expects a duration such as 2h, got "${mbd}"`);
      }
    }
    return createBlocksCommand(
      args.positionals[0]!,
      args.positionals[1] ?? DEFAULT_DIR,
      { maxBlockDuration, humanReadable: args.values.get('human-readable') === true, quiet: args.values.get('quiet') === true },
      tsdbIo(io),
    );
  },
};

/** The `vigil tsdb` commands, in help order. */
export const TSDB_COMMANDS: readonly Command[] = [listCommand, analyzeTsdbCommand, dumpTsdbCommand, createBlocksFromCommand];
