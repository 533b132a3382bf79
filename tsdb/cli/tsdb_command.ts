/**
 * `vigil tsdb …`: promtool-compatible TSDB tooling.
 *
 *   list [-r|--human-readable] [DIR]
 *   analyze [--limit=20] [--extended] [DIR] [BLOCK_ID]
 *   dump [--min-time=T] [--max-time=T] [--match=SELECTOR] [DIR]
 *   create-blocks-from openmetrics [--max-block-duration=D] [-r|--human-readable] [-q|--quiet] FILE [DIR]
 *
 * DIR defaults to `data/` as in promtool. Returns the process exit code; errors go
 * to stderr as one line.
 */
import { dumpCommand } from './dump_samples.js';
import { analyzeCommand } from './analyze_block.js';
import { createBlocksCommand } from './create_blocks.js';
import { listBlocksCommand } from './list_blocks.js';
import { PROCESS_IO, type TsdbIO } from './tsdb_io.js';

const USAGE = `usage: vigil tsdb <command> [<args> ...]

Commands:
  list [-r|--human-readable] [<db path>]
      List tsdb blocks.
  analyze [--limit=20] [--extended] [<db path>] [<block id>]
      Analyze churn, label pair cardinality and compaction efficiency.
  dump [--min-time=<ms>] [--max-time=<ms>] [--match=<selector>] [<db path>]
      Dump samples from a TSDB.
  create-blocks-from openmetrics [--max-block-duration=<duration>] [-r|--human-readable] [-q|--quiet] <input file> [<output directory>]
      Import samples from OpenMetrics input and produce TSDB blocks.
`;

/** A command-line mistake; printed with the usage. */
export class UsageError extends Error {
  readonly code = 'usage';
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

interface Parsed {
  flags: Map<string, string>;
  args: string[];
}

/** Splits `--name=value`, `--name value` (for flags in `valued`) and `--bool` from positional arguments. */
function parseArgs(argv: readonly string[], valued: readonly string[], bools: readonly string[]): Parsed {
  const flags = new Map<string, string>();
  const args: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    let a = argv[i]!;
    // promtool's short forms.
    if (a === '-r') a = '--human-readable';
    else if (a === '-q') a = '--quiet';
    if (!a.startsWith('--') || a === '--') {
      args.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    const name = eq < 0 ? a.slice(2) : a.slice(2, eq);
    if (bools.includes(name)) {
      flags.set(name, eq < 0 ? 'true' : a.slice(eq + 1));
    } else if (valued.includes(name)) {
      if (eq >= 0) flags.set(name, a.slice(eq + 1));
      else {
        const v = argv[++i];
        if (v === undefined) throw new UsageError(`flag --${name} needs a value`);
        flags.set(name, v);
      }
    } else throw new UsageError(`unknown flag --${name}`);
  }
  return { flags, args };
}

function intFlag(p: Parsed, name: string, dflt: number): number {
  const v = p.flags.get(name);
  if (v === undefined) return dflt;
  if (!/^-?\d+$/.test(v)) throw new UsageError(`flag --${name}: expected an integer, got ${JSON.stringify(v)}`);
  return Number(v);
}

/** Parses a Prometheus duration (`2h`, `1d12h`, `90m`) into ms. */
export function parseDurationMs(s: string): number {
  const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3600_000, d: 86400_000, w: 604800_000, y: 31536000_000 };
  const re = /(\d+)(ms|s|m|h|d|w|y)/y;
  let total = 0;
  let i = 0;
  if (s === '0') return 0;
  while (i < s.length) {
    re.lastIndex = i;
    const m = re.exec(s);
    if (m === null) throw new UsageError(`invalid duration ${JSON.stringify(s)}`);
    total += Number(m[1]) * units[m[2]!]!;
    i = re.lastIndex;
  }
  if (s === '') throw new UsageError('empty duration');
  return total;
}

function boolFlag(p: Parsed, name: string): boolean {
  const v = p.flags.get(name);
  return v !== undefined && v !== 'false';
}

/** Runs `vigil tsdb <argv…>`; resolves to the exit code. */
export async function runTsdbCommand(argv: string[], io: TsdbIO = PROCESS_IO): Promise<number> {
  const [cmd, ...rest] = argv;
  try {
    switch (cmd) {
      case 'list': {
        const p = parseArgs(rest, [], ['human-readable']);
        return await listBlocksCommand(p.args[0] ?? 'data/', boolFlag(p, 'human-readable'), io);
      }
      case 'analyze': {
        const p = parseArgs(rest, ['limit'], ['extended']);
        return await analyzeCommand(p.args[0] ?? 'data/', p.args[1] ?? '', { limit: intFlag(p, 'limit', 20), extended: boolFlag(p, 'extended') }, io);
      }
      case 'dump': {
        const p = parseArgs(rest, ['min-time', 'max-time', 'match'], []);
        return await dumpCommand(
          p.args[0] ?? 'data/',
          {
            minTime: intFlag(p, 'min-time', Number.MIN_SAFE_INTEGER),
            maxTime: intFlag(p, 'max-time', Number.MAX_SAFE_INTEGER),
            match: p.flags.get('match') ?? "{__name__=~'(?s:.*)'}",
          },
          io,
        );
      }
      case 'create-blocks-from': {
        const [format, ...more] = rest;
        if (format !== 'openmetrics') throw new UsageError(`create-blocks-from: unknown input format ${JSON.stringify(format ?? '')}, expected openmetrics`);
        const p = parseArgs(more, ['max-block-duration'], ['human-readable', 'quiet']);
        const file = p.args[0];
        if (file === undefined) throw new UsageError('create-blocks-from openmetrics: missing <input file>');
        const mbd = p.flags.get('max-block-duration');
        return await createBlocksCommand(
          file,
          p.args[1] ?? 'data/',
          { maxBlockDuration: mbd === undefined ? 0 : parseDurationMs(mbd), humanReadable: boolFlag(p, 'human-readable'), quiet: boolFlag(p, 'quiet') },
          io,
        );
      }
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        io.out(USAGE);
        return cmd === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown command ${JSON.stringify(cmd)}`);
    }
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`vigil tsdb: ${e.message}\n${USAGE}`);
      return 2;
    }
    io.err(`vigil tsdb ${cmd}: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
}
