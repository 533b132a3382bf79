/**
 * `vigil ctl`: the cluster's command line, shaped like kubectl.
 *
 *   vigil ctl VERB [ARGS] [FLAGS]        e.g. vigil ctl get pods -n team-a -o wide
 *
 * `runCtl(argv, io, opts)` is the whole tool (its own kubectl-style parser, so
 * short flags work); `ctlCommand` wraps it as a registry `Command` for
 * cmd/vigil.ts. Exit codes: 0 ok, 1 failure (server errors print as
 * `Error from server (Reason): message`, other failures as `error: …`),
 * 2 command-line mistakes.
 */
import { type Command, type CommandIo, type ParsedArgs, UsageError } from '../../cmd/cli.js';
import { runApply, runCreateFromFiles } from './apply.js';
import { CTL_FLAGS, type CtlArgs, flagString, parseCtlArgs } from './ctl_args.js';
import { ConnectionError, CtlClient, ServerError } from './ctl_client.js';
import { configPath, CtlConfigError, readConfig, readConfigPath, resolveConnection, writeConfig } from './ctl_config.js';
import { type CtlContext, CtlError, readManifestFile } from './ctl_context.js';
import { runCreateGenerator, runRun } from './create.js';
import { runDelete } from './delete.js';
import { runDescribe } from './describe.js';
import { runExplain } from './explain.js';
import { runEncryption } from './encryption.js';
import { runExpose } from './expose.js';
import { runGet } from './get.js';
import { runLogs } from './logs.js';
import { runCordon, runDrain } from './node_ops.js';
import { runRollout } from './rollout.js';
import { runScale } from './scale.js';
import { runSetImage } from './set_image.js';
import { runToken } from './token.js';
import { runTop } from './top.js';

/** Injected by tests (and usable by embedders); everything defaults to the real process. */
export interface CtlRunOptions {
  /** Environment (VIGIL_CONFIG, HOME). Default process.env. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Stops watches, follows and waits. */
  signal?: AbortSignal;
  /** Clock in ms. Default Date.now. */
  now?: () => number;
  /** Reads `-f` files. Default: the file system (`-` = stdin). */
  readFile?: (path: string) => string;
  /** Request timeout. Default 30 000 ms. */
  requestTimeoutMs?: number;
  /** Where `./data/cluster/admin.conf` is looked for. Default process.cwd(). */
  cwd?: string;
}

const VERBS: Readonly<Record<string, string>> = {
  get: 'Display one or many resources (-o wide|yaml|json|name, -w to watch).',
  describe: 'Show details of a resource, with its events.',
  run: 'Run a command line as a Deployment: run NAME --image "CMD" [--replicas N].',
  create: 'Create resources from a file (-f) or a generator (namespace, configmap, secret generic, deployment, service clusterip).',
  apply: 'Create or update resources from a file (-f), printing created/configured/unchanged.',
  delete: 'Delete resources by name, label selector (-l) or file (-f).',
  expose: 'Create a Service for a Deployment\'s pods: expose deployment/NAME --port P [--target-port T].',
  set: 'Change the command line of containers: set image deployment/NAME CONTAINER="CMD" (a rolling update).',
  scale: 'Set the replicas of a Deployment: scale deployment/NAME --replicas N.',
  rollout: 'Manage a Deployment rollout: status|history|undo|pause|resume deployment/NAME.',
  logs: 'Print the logs of a pod container (-c, -f, --previous, --tail).',
  cordon: 'Mark a node unschedulable.',
  uncordon: 'Mark a node schedulable.',
  drain: 'Cordon a node and evict its pods (--timeout, --grace-period, --force).',
  top: 'Show CPU and memory use of pods or nodes (from the metrics the agents export).',
  explain: 'Show the recent scaling decisions of a Deployment and why: explain deployment/NAMESPACE/NAME [--tail N].',
  config: 'Show or change the config file: config view | config set-context [--server] [--token] [--namespace].',
  token: 'Bootstrap tokens for joining nodes: token create [--ttl 1h] (prints the `vigil agent` join command) | token list | token delete ID.',
  encryption: 'Secret encryption at rest: encryption rotate-key (new key, re-encrypt every Secret, drop the old keys).',
};

function verbLines(): string[] {
  const width = Math.max(...Object.keys(VERBS).map((v) => v.length)) + 4;
  return Object.entries(VERBS).map(([v, h]) => `  ${v.padEnd(width)}${h}`);
}

/** The help text of `vigil ctl`. */
export function ctlHelp(): string {
  const flags = CTL_FLAGS.map((f) => {
    const left = `${f.short ? `-${f.short}, ` : '    '}--${f.name}${f.kind === 'string' ? `=${f.placeholder ?? 'VALUE'}` : ''}`;
    return `  ${left.padEnd(34)}${f.help}`;
  });
  return [
    'usage: vigil ctl VERB [ARGS] [FLAGS]',
    '',
    'Manage the cluster like kubectl. Connection: --server, --token, --certificate-authority, or a config file',
    '(YAML keys server, token, namespace, certificate-authority): --kubeconfig, $VIGIL_CONFIG, ~/.vigil/config,',
    'then ./data/cluster/admin.conf (the admin credential vigil server writes with its default paths).',
    '',
    'Verbs:',
    ...verbLines(),
    '',
    'Flags:',
    ...flags,
  ].join('\n');
}

function runConfig(args: CtlArgs, io: CommandIo, path: string, readPath: string): number {
  const sub = args.positionals[0] ?? '';
  if (sub === 'view') {
    const cfg = readConfig(readPath);
    const ca = cfg['certificate-authority'];
    const shown = {
      ...cfg,
      ...(cfg.token !== undefined ? { token: 'REDACTED' } : {}),
      ...(ca?.trimStart().startsWith('-----BEGIN') ? { 'certificate-authority': '(inline PEM)' } : {}),
    };
    io.log(`# ${readPath}`);
    for (const [k, v] of Object.entries(shown)) io.log(`${k}: ${v}`);
    return 0;
  }
  if (sub === 'set-context') {
    const cfg = readConfig(path);
    for (const k of ['server', 'token', 'namespace', 'certificate-authority'] as const) {
      const v = flagString(args, k);
      if (args.values.has(k)) {
        if (v === '') delete cfg[k];
        else cfg[k] = v;
      }
    }
    writeConfig(path, cfg);
    io.log(`Context modified in ${path}.`);
    return 0;
  }
  throw new UsageError(`unknown "config" subcommand "${sub}": expected view or set-context`);
}

/** Runs `vigil ctl` with the words after `ctl`; returns the exit code. */
export async function runCtl(argv: readonly string[], io: CommandIo, opts: CtlRunOptions = {}): Promise<number> {
  const env = opts.env ?? process.env;
  try {
    const args = parseCtlArgs(argv);
    if (args.help || args.verb === '' || args.verb === 'help') {
      io.log(ctlHelp());
      return args.verb === '' && !args.help ? 2 : 0;
    }
    if (VERBS[args.verb] === undefined) throw new UsageError(`unknown command "${args.verb}" for "vigil ctl"; verbs are: ${Object.keys(VERBS).join(', ')}`);
    const explicit = flagString(args, 'kubeconfig');
    const cfgPath = readConfigPath(env, explicit, opts.cwd ?? process.cwd());
    if (args.verb === 'config') return runConfig(args, io, configPath(env, explicit), cfgPath);
    const conn = resolveConnection(
      { server: flagString(args, 'server'), token: flagString(args, 'token'), namespace: flagString(args, 'namespace'), ca: flagString(args, 'certificate-authority') },
      readConfig(cfgPath),
    );
    const signal = opts.signal ?? new AbortController().signal;
    const client = new CtlClient(conn, opts.requestTimeoutMs ?? 30_000);
    const ctx: CtlContext = {
      client,
      args,
      namespace: conn.namespace,
      namespaceExplicit: flagString(args, 'namespace') !== '',
      allNamespaces: args.values.get('all-namespaces') === true,
      io,
      now: opts.now ?? Date.now,
      signal,
      sleep: (ms) =>
        new Promise((resolve) => {
          if (signal.aborted) return resolve();
          const t = setTimeout(() => {
            signal.removeEventListener('abort', done);
            resolve();
          }, ms);
          const done = () => {
            clearTimeout(t);
            resolve();
          };
          signal.addEventListener('abort', done, { once: true });
        }),
      readFile: opts.readFile ?? readManifestFile,
    };
    try {
      return await dispatch(ctx);
    } finally {
      client.close();
    }
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`error: ${e.message}\nSee 'vigil ctl --help' for usage.`);
      return 2;
    }
    if (e instanceof ServerError) {
      io.err(e.display());
      return 1;
    }
    if (e instanceof CtlError || e instanceof ConnectionError || e instanceof CtlConfigError) {
      io.err(e instanceof ConnectionError ? e.message : `error: ${e.message}`);
      return 1;
    }
    throw e;
  }
}

function dispatch(ctx: CtlContext): Promise<number> {
  switch (ctx.args.verb) {
    case 'get':
      return runGet(ctx);
    case 'describe':
      return runDescribe(ctx);
    case 'run':
      return runRun(ctx);
    case 'create':
      return (ctx.args.lists.get('filename') ?? []).length > 0 ? runCreateFromFiles(ctx) : runCreateGenerator(ctx);
    case 'apply':
      return runApply(ctx);
    case 'delete':
      return runDelete(ctx);
    case 'scale':
      return runScale(ctx);
    case 'expose':
      return runExpose(ctx);
    case 'set':
      return runSetImage(ctx);
    case 'rollout':
      return runRollout(ctx);
    case 'logs':
      return runLogs(ctx);
    case 'cordon':
      return runCordon(ctx, true);
    case 'uncordon':
      return runCordon(ctx, false);
    case 'drain':
      return runDrain(ctx);
    case 'top':
      return runTop(ctx);
    case 'explain':
      return runExplain(ctx);
    case 'token':
      return runToken(ctx);
    case 'encryption':
      return runEncryption(ctx);
    default:
      throw new UsageError(`unknown command "${ctx.args.verb}"`);
  }
}

/** Rebuilds the words of a registry-parsed command line (long flags only) for `runCtl`. */
function toArgv(a: ParsedArgs): string[] {
  const out = [...a.positionals];
  for (const [k, v] of a.values) {
    const list = a.lists.get(k);
    if (list !== undefined) for (const x of list) out.push(`--${k}=${x}`);
    else if (typeof v === 'boolean') out.push(`--${k}=${v}`);
    else out.push(`--${k}=${v}`);
  }
  if (a.help) out.push('--help');
  return out;
}

/**
 * `vigil ctl …` as a registry command. The registry's parser accepts only long
 * flags (`--namespace`, `--selector`, `--output`); for kubectl's short flags
 * (`-n`, `-l`, `-o`, `-A`, `-w`, `-f`, `-c`) cmd/vigil.ts should hand the raw
 * words after `ctl` to `runCtl`.
 */
export const ctlCommand: Command = {
  path: ['ctl'],
  summary: 'Manage the cluster like kubectl: get, describe, run, create, apply, delete, scale, rollout, logs, drain, top.',
  args: 'VERB [ARGS...]',
  positionals: { min: 0, max: -1 },
  flags: CTL_FLAGS.map((f) => ({ name: f.name, kind: f.kind, help: f.help, ...(f.placeholder ? { placeholder: f.placeholder } : {}), ...(f.repeatable ? { repeatable: true } : {}) })),
  description: ['Verbs:', ...verbLines(), '', 'Short flags (-n, -l, -o, -A, -w, -f, -c) need the raw words: see `vigil ctl --help`.'].join('\n'),
  run: (args, io) => runCtl(toArgv(args), io),
};
