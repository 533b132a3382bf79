/**
 * One run of a container: a local process started in its own process group
 * (detached, so `kill(-pgid)` reaches everything it forks), stdout/stderr into
 * a size-capped log, and a graceful stop (SIGTERM to the group, SIGKILL after
 * the grace period). When the main process exits, stragglers left in its
 * group are killed, as a container runtime kills a container's leftovers.
 *
 * The command line follows Kubernetes' entrypoint rules with the "image" as
 * the command line: `command` (if given) replaces the words of `image`, then
 * `args` are appended.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import type { Container } from '../api/objects.js';
import { RotatingLog } from './logs.js';

export class CommandLineError extends Error {
  readonly code = 'command_line';
  constructor(message: string) {
    super(message);
    this.name = 'CommandLineError';
  }
}

/** Splits a command line like a POSIX shell does for words: quotes ('…', "…") and backslash escapes; no expansion. */
export function splitCommandLine(s: string): string[] {
  const words: string[] = [];
  let cur = '';
  let inWord = false;
  let quote: '' | "'" | '"' = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (quote === "'") {
      if (c === "'") quote = '';
      else cur += c;
    } else if (quote === '"') {
      if (c === '"') quote = '';
      else if (c === '\\' && i + 1 < s.length && '"\\$`'.includes(s[i + 1]!)) cur += s[++i]!;
      else cur += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      inWord = true;
    } else if (c === '\\' && i + 1 < s.length) {
      cur += s[++i]!;
      inWord = true;
    } else if (c === ' ' || c === '\t' || c === '\n') {
      if (inWord) words.push(cur);
      cur = '';
      inWord = false;
    } else {
      cur += c;
      inWord = true;
    }
  }
  if (quote !== '') throw new CommandLineError(`unterminated ${quote} quote in command line ${JSON.stringify(s)}`);
  if (inWord) words.push(cur);
  return words;
}

/** The argv of a container: `command` or the words of `image`, then `args`. */
export function containerArgv(c: Container): string[] {
  const entry = c.command !== undefined && c.command.length > 0 ? [...c.command] : splitCommandLine(c.image);
  const argv = [...entry, ...(c.args ?? [])];
  if (argv.length === 0) throw new CommandLineError(`container "${c.name}": empty command line (image ${JSON.stringify(c.image)})`);
  return argv;
}

/** How a run ended. `signal` is set when a signal ended it; `exitCode` follows the shell convention (128+n). */
export interface ProcessExit {
  exitCode: number;
  signal: NodeJS.Signals | null;
  finishedAt: number;
}

export interface ContainerProcessOptions {
  argv: readonly string[];
  cwd: string;
  env: Record<string, string>;
  /** Directory of the log files. */
  logDir: string;
  name: string;
  logMaxBytes?: number;
  now?: () => number;
}

const SIGNAL_NUMBERS: Readonly<Record<string, number>> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGABRT: 6, SIGKILL: 9, SIGSEGV: 11, SIGPIPE: 13, SIGTERM: 15 };

/** Signal → number (for exit codes 128+n). */
export function signalNumber(s: NodeJS.Signals): number {
  return SIGNAL_NUMBERS[s] ?? 0;
}

function killGroup(pgid: number, sig: NodeJS.Signals): boolean {
  try {
    process.kill(-pgid, sig);
    return true;
  } catch {
    return false;
  }
}

export class ContainerProcess {
  readonly pid: number;
  readonly startedAt: number;
  /** Resolves once the main process exited (and its group was cleaned up). */
  readonly exited: Promise<ProcessExit>;
  private readonly child: ChildProcess;
  private readonly log: RotatingLog;
  private done = false;
  private killTimer: NodeJS.Timeout | null = null;

  /** Starts the process; throws (synchronously, via spawn's error) only for invalid arguments. A missing binary exits with 127. */
  constructor(opts: ContainerProcessOptions) {
    const now = opts.now ?? Date.now;
    this.startedAt = now();
    this.log = new RotatingLog(opts.logDir, opts.name, opts.logMaxBytes);
    const [file, ...args] = opts.argv;
    this.child = spawn(file!, args, { cwd: opts.cwd, env: opts.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    this.pid = this.child.pid ?? -1;
    const write = (b: Buffer) => this.log.write(b);
    this.child.stdout?.on('data', write);
    this.child.stderr?.on('data', write);
    this.exited = new Promise<ProcessExit>((resolve) => {
      const finish = (code: number | null, signal: NodeJS.Signals | null) => {
        if (this.done) return;
        this.done = true;
        if (this.killTimer !== null) clearTimeout(this.killTimer);
        if (this.pid > 0) killGroup(this.pid, 'SIGKILL');
        const exitCode = code ?? (signal !== null ? 128 + signalNumber(signal) : 1);
        // Let the pipes drain before closing the log.
        const close = () => {
          this.log.close();
          resolve({ exitCode, signal, finishedAt: now() });
        };
        if (this.child.stdout?.readableEnded === false || this.child.stderr?.readableEnded === false) setTimeout(close, 20);
        else close();
      };
      this.child.once('error', (e) => {
        this.log.write(Buffer.from(`vigil: cannot start ${JSON.stringify(file)}: ${e.message}\n`));
        finish(127, null);
      });
      this.child.once('exit', finish);
    });
  }

  get running(): boolean {
    return !this.done;
  }

  /** Sends `sig` to the whole process group. */
  signal(sig: NodeJS.Signals): void {
    if (!this.done && this.pid > 0) killGroup(this.pid, sig);
  }

  /** SIGTERM now, SIGKILL after `graceMs` if still running. Resolves with the exit. */
  stop(graceMs: number): Promise<ProcessExit> {
    if (!this.done) {
      if (graceMs <= 0) this.signal('SIGKILL');
      else {
        this.signal('SIGTERM');
        if (this.killTimer === null) this.killTimer = setTimeout(() => this.signal('SIGKILL'), graceMs);
      }
    }
    return this.exited;
  }
}
