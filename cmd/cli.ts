/**
 * The shape of a `vigil` subcommand and the parsing of its command line.
 *
 * Parsing uses `node:util` `parseArgs` for tokenising (`--flag=value`, `--flag value`,
 * `-h`, `--`), then checks every token against the command's flag table itself so
 * that errors read like kingpin's (Prometheus's flag library): they name the flag and
 * what was expected. Booleans also accept `--no-<flag>` and `--<flag>=true|false`,
 * as kingpin does. Every usage problem is a `UsageError`, which `vigil` turns into
 * exit code 2 with a usage hint.
 */
import { parseArgs } from 'node:util';

/** One flag of a command. `name` is the long name without dashes (`config.file`). */
export interface FlagSpec {
  readonly name: string;
  /** `string` flags take a value; `bool` flags are switches. */
  readonly kind: 'string' | 'bool';
  /** One line of help text. */
  readonly help: string;
  /** The default as the user would write it (shown in help); absent when there is none. */
  readonly default?: string;
  /** Word used for the value in help output (`FILE`, `DURATION`). Default `VALUE`. */
  readonly placeholder?: string;
  /** Whether the flag may be given several times (values are collected). Default false. */
  readonly repeatable?: boolean;
}

/** The output channels of a command: standard output and standard error, one message per call. */
export interface CommandIo {
  log(s: string): void;
  err(s: string): void;
}

/** A parsed command line: flag values by name (only flags that were given) and positionals in order. */
export interface ParsedArgs {
  /** For `string` flags the last (or only) value, for `bool` flags true/false. */
  readonly values: ReadonlyMap<string, string | boolean>;
  /** All values of repeatable string flags, in order. */
  readonly lists: ReadonlyMap<string, readonly string[]>;
  readonly positionals: readonly string[];
  /** Whether `-h`/`--help` was given. */
  readonly help: boolean;
}

/**
 * A subcommand. Registered in `cmd/vigil.ts` with one line. `run` returns the
 * process exit code; it throws `UsageError` for command-line mistakes it finds
 * after parsing (e.g. a bad flag value).
 */
export interface Command {
  /** Words after `vigil`, e.g. `['check', 'config']`. */
  readonly path: readonly string[];
  /** One line shown in `vigil --help`. */
  readonly summary: string;
  /** Positional arguments as shown in usage (`FILE...`), or '' for none. */
  readonly args: string;
  /** Lower and upper bound on positionals (`max` -1 = unbounded). */
  readonly positionals: { readonly min: number; readonly max: number };
  readonly flags: readonly FlagSpec[];
  /** Extra paragraphs for `--help`, or ''. */
  readonly description: string;
  run(args: ParsedArgs, io: CommandIo): Promise<number>;
}

/** A mistake on the command line. `vigil` prints it with a usage hint and exits with code 2. */
export class UsageError extends Error {
  readonly code = 'usage';
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

const TRUE_WORDS = new Set(['true', '1', 'yes']);
const FALSE_WORDS = new Set(['false', '0', 'no']);

/**
 * Parses `argv` (the words after the command path) against `flags`.
 * Throws `UsageError` for unknown flags, missing values, values on switches,
 * repeated non-repeatable flags and positional counts outside `positionals`.
 */
export function parseCommandArgs(
  argv: readonly string[],
  flags: readonly FlagSpec[],
  positionals: { readonly min: number; readonly max: number } = { min: 0, max: -1 },
): ParsedArgs {
  const byName = new Map<string, FlagSpec>();
  for (const f of flags) byName.set(f.name, f);
  const options: Record<string, { type: 'string' | 'boolean'; short?: string }> = {
    help: { type: 'boolean', short: 'h' },
  };
  for (const f of flags) options[f.name] = { type: f.kind === 'string' ? 'string' : 'boolean' };

  const { tokens } = parseArgs({ args: [...argv], options, strict: false, allowPositionals: true, tokens: true });
  const values = new Map<string, string | boolean>();
  const lists = new Map<string, string[]>();
  const pos: string[] = [];
  let help = false;

  for (const tok of tokens) {
    if (tok.kind === 'positional') {
      pos.push(tok.value);
      continue;
    }
    if (tok.kind === 'option-terminator') continue;
    const raw = tok.rawName;
    if (tok.name === 'help') {
      if (tok.value !== undefined) throw new UsageError(`flag ${raw} takes no value, got "${tok.value}"`);
      help = true;
      continue;
    }
    let spec = byName.get(tok.name);
    let negated = false;
    if (spec === undefined && tok.name.startsWith('no-')) {
      const base = byName.get(tok.name.slice(3));
      if (base !== undefined && base.kind === 'bool') {
        spec = base;
        negated = true;
      }
    }
    if (spec === undefined || !raw.startsWith('--')) {
      throw new UsageError(`unknown flag ${raw}${suggestion(tok.name, flags)}`);
    }
    if (spec.kind === 'bool') {
      let v = !negated;
      if (tok.value !== undefined) {
        const word = tok.value.toLowerCase();
        if (negated) throw new UsageError(`flag ${raw} takes no value, got "${tok.value}"`);
        if (TRUE_WORDS.has(word)) v = true;
        else if (FALSE_WORDS.has(word)) v = false;
        else throw new UsageError(`flag --${spec.name} expects true or false, got "${tok.value}"`);
      }
      if (values.has(spec.name)) throw new UsageError(`flag --${spec.name} given more than once`);
      values.set(spec.name, v);
      continue;
    }
    const value = tok.value;
    if (value === undefined) throw new UsageError(`flag --${spec.name} expects a value (${placeholderOf(spec)})`);
    if (!tok.inlineValue && value.startsWith('-') && value !== '-') {
      throw new UsageError(
        `flag --${spec.name} expects a value (${placeholderOf(spec)}), got the flag ${value}; ` +
          `write --${spec.name}=${value} if that is really the value`,
      );
    }
    if (spec.repeatable === true) {
      const l = lists.get(spec.name) ?? [];
      l.push(value);
      lists.set(spec.name, l);
    } else if (values.has(spec.name)) {
      throw new UsageError(`flag --${spec.name} given more than once`);
    }
    values.set(spec.name, value);
  }

  if (!help) {
    if (pos.length < positionals.min) {
      throw new UsageError(
        positionals.min === 1 ? 'expected an argument, got none' : `expected at least ${positionals.min} arguments, got ${pos.length}`,
      );
    }
    if (positionals.max >= 0 && pos.length > positionals.max) {
      const extra = pos[positionals.max] ?? '';
      throw new UsageError(
        positionals.max === 0 ? `unexpected argument "${extra}"` : `unexpected argument "${extra}" (at most ${positionals.max} allowed)`,
      );
    }
  }
  return { values, lists, positionals: pos, help };
}

/** The usage and flag list printed by `vigil <command> --help`. */
export function commandHelp(cmd: Command, program = 'vigil'): string {
  const head = `usage: ${program} ${cmd.path.join(' ')}${cmd.flags.length > 0 ? ' [<flags>]' : ''}${cmd.args ? ` ${cmd.args}` : ''}`;
  const lines = [head, '', cmd.summary];
  if (cmd.description) lines.push('', cmd.description);
  lines.push('', 'Flags:', ...flagLines([{ name: 'help', kind: 'bool', help: 'Show help for this command.' }, ...cmd.flags]));
  return lines.join('\n');
}

/** Help lines for a flag table, aligned in two columns. */
export function flagLines(flags: readonly FlagSpec[]): string[] {
  const left = flags.map((f) =>
    f.name === 'help' ? '  -h, --help' : f.kind === 'bool' ? `      --[no-]${f.name}` : `      --${f.name}=${placeholderOf(f)}`,
  );
  const width = Math.min(48, Math.max(...left.map((l) => l.length)) + 2);
  return flags.map((f, i) => {
    const l = left[i] ?? '';
    const def = f.default !== undefined && f.default !== '' ? ` Default: ${f.default}` : '';
    const help = f.help + def;
    return l.length + 2 > width ? `${l}\n${' '.repeat(width)}${help}` : l.padEnd(width) + help;
  });
}

function placeholderOf(f: FlagSpec): string {
  return f.placeholder ?? 'VALUE';
}

/** "; did you mean --x?" for a near miss (edit distance <= 2), else ''. */
function suggestion(name: string, flags: readonly FlagSpec[]): string {
  let best = '';
  let bestD = 3;
  for (const f of flags) {
    const d = editDistance(name, f.name);
    if (d < bestD) {
      bestD = d;
      best = f.name;
    }
  }
  return best ? `; did you mean --${best}?` : '';
}

function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 2) return 3;
  let prev = new Uint16Array(b.length + 1);
  let cur = new Uint16Array(b.length + 1);
  for (let j = 0; j <= b.length; j++) prev[j] = j;
  for (let i = 1; i <= a.length; i++) {
    cur[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a.charCodeAt(i - 1) === b.charCodeAt(j - 1) ? 0 : 1;
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + cost);
    }
    [prev, cur] = [cur, prev];
  }
  return prev[b.length]!;
}
