/**
 * kubectl-style command-line parsing for `vigil ctl`: a verb, positionals and
 * flags in any order, long flags (`--namespace=x`, `--namespace x`) and the
 * short forms kubectl users type (`-n x`, `-l app=web`, `-o wide`, `-A`, `-w`).
 * The registry's parser (cmd/cli.ts) knows only long flags, so `vigil ctl`
 * parses its own words; every mistake is a `UsageError` (exit code 2).
 *
 * `-f` means `--filename` everywhere except `logs`, where it is `--follow`, and
 * `-l` means `--labels` for `run` but `--selector` elsewhere, as in kubectl.
 */
import { UsageError } from '../../cmd/cli.js';

/** One flag of `vigil ctl`. */
export interface CtlFlag {
  readonly name: string;
  readonly kind: 'string' | 'bool';
  readonly help: string;
  readonly short?: string;
  readonly repeatable?: boolean;
  readonly placeholder?: string;
}

/** Every flag `vigil ctl` knows (which verbs use which is checked by the verbs). */
export const CTL_FLAGS: readonly CtlFlag[] = [
  { name: 'server', kind: 'string', help: 'URL of the cluster API server (default http://127.0.0.1:9090).', placeholder: 'URL' },
  { name: 'token', kind: 'string', help: 'Bearer token for the API server.', placeholder: 'TOKEN' },
  { name: 'certificate-authority', kind: 'string', help: 'PEM file of the CA that signed the server certificate.', placeholder: 'FILE' },
  { name: 'kubeconfig', kind: 'string', help: 'Config file to use (default: $VIGIL_CONFIG, ~/.vigil/config, then ./data/cluster/admin.conf).', placeholder: 'FILE' },
  { name: 'ttl', kind: 'string', help: 'token create: how long the bootstrap token is valid (default 1h).', placeholder: 'DURATION' },
  { name: 'namespace', kind: 'string', short: 'n', help: 'Namespace (default from the config file, else "default").', placeholder: 'NS' },
  { name: 'all-namespaces', kind: 'bool', short: 'A', help: 'List across all namespaces.' },
  { name: 'selector', kind: 'string', short: 'l', help: 'Label selector, e.g. app=web,tier!=db.', placeholder: 'SELECTOR' },
  { name: 'output', kind: 'string', short: 'o', help: 'Output format: wide, yaml, json, name.', placeholder: 'FORMAT' },
  { name: 'watch', kind: 'bool', short: 'w', help: 'After listing, watch for changes.' },
  { name: 'filename', kind: 'string', short: 'f', repeatable: true, help: 'Manifest file (YAML or JSON, several documents allowed; - = stdin).', placeholder: 'FILE' },
  { name: 'image', kind: 'string', help: 'Command line the pods run (Vigil runs processes, not images).', placeholder: 'CMD' },
  { name: 'replicas', kind: 'string', help: 'Number of replicas.', placeholder: 'N' },
  { name: 'port', kind: 'string', help: 'Container port (run, create deployment) or Service port (expose).', placeholder: 'PORT' },
  { name: 'target-port', kind: 'string', help: 'expose: the pods\' port, a number or a port name (default: the container port).', placeholder: 'PORT' },
  { name: 'name', kind: 'string', help: 'expose: the Service name (default: the resource name).', placeholder: 'NAME' },
  { name: 'env', kind: 'string', repeatable: true, help: 'Environment variable K=V (repeatable).', placeholder: 'K=V' },
  { name: 'labels', kind: 'string', help: 'Labels k=v,k2=v2 for run.', placeholder: 'LABELS' },
  { name: 'from-literal', kind: 'string', repeatable: true, help: 'create configmap/secret: key=value (repeatable).', placeholder: 'K=V' },
  { name: 'from-file', kind: 'string', repeatable: true, help: 'create configmap/secret: [key=]path (repeatable).', placeholder: 'PATH' },
  { name: 'tcp', kind: 'string', repeatable: true, help: 'create service clusterip: port[:targetPort] (repeatable).', placeholder: 'PORT:TARGET' },
  { name: 'to-revision', kind: 'string', help: 'rollout undo: the revision to roll back to (default: the previous one).', placeholder: 'N' },
  { name: 'timeout', kind: 'string', help: 'How long rollout status / drain / delete wait, e.g. 30s, 5m (0 = forever for rollout status).', placeholder: 'DURATION' },
  { name: 'container', kind: 'string', short: 'c', help: 'logs: the container (default: the only one).', placeholder: 'NAME' },
  { name: 'follow', kind: 'bool', help: 'logs: keep printing new output.' },
  { name: 'previous', kind: 'bool', help: "logs: the previous run's output." },
  { name: 'tail', kind: 'string', help: 'logs: only the last N lines.', placeholder: 'N' },
  { name: 'grace-period', kind: 'string', help: 'delete/drain: seconds of graceful termination (default: the pod\'s).', placeholder: 'SECONDS' },
  { name: 'wait', kind: 'bool', help: 'delete: wait until graceful deletions finished (default true; --wait=false returns at once).' },
  { name: 'force', kind: 'bool', help: 'drain: also delete pods no controller manages.' },
  { name: 'ignore-daemonsets', kind: 'bool', help: 'drain: accepted for kubectl compatibility (Vigil has no DaemonSets).' },
  { name: 'show-labels', kind: 'bool', help: 'get: add a LABELS column.' },
  { name: 'revision', kind: 'string', help: 'rollout history: show the details of one revision.', placeholder: 'N' },
  { name: 'metrics-server', kind: 'string', help: 'top: URL of the PromQL query API (default: --server, where vigil server serves it).', placeholder: 'URL' },
  { name: 'dry-run', kind: 'string', help: 'create/run: "client" prints the object instead of sending it.', placeholder: 'client' },
];

const BY_NAME = new Map(CTL_FLAGS.map((f) => [f.name, f]));
/** Global string flags that may precede the verb (their values are skipped when finding the verb). */
const PRE_VERB = new Set(['-n', '--namespace', '--server', '--token', '--certificate-authority', '--kubeconfig', '-o', '--output', '-l', '--selector']);

export interface CtlArgs {
  readonly verb: string;
  readonly positionals: readonly string[];
  readonly values: ReadonlyMap<string, string | boolean>;
  readonly lists: ReadonlyMap<string, readonly string[]>;
  readonly help: boolean;
}

function shortFor(verb: string, ch: string): string | undefined {
  if (ch === 'f') return verb === 'logs' ? 'follow' : 'filename';
  if (ch === 'l') return verb === 'run' ? 'labels' : 'selector';
  if (ch === 'h') return 'help';
  if (ch === 'p') return verb === 'logs' ? 'previous' : undefined;
  return CTL_FLAGS.find((f) => f.short === ch)?.name;
}

/** The verb: the first word that is neither a flag nor the value of a global flag before it. */
function findVerb(argv: readonly string[]): string {
  for (let i = 0; i < argv.length; i++) {
    const w = argv[i]!;
    if (w === '--') return argv[i + 1] ?? '';
    if (w.startsWith('-')) {
      if (PRE_VERB.has(w)) i++;
      continue;
    }
    return w;
  }
  return '';
}

/** Parses `vigil ctl` words. Throws `UsageError` for unknown flags and missing or stray values. */
export function parseCtlArgs(argv: readonly string[]): CtlArgs {
  const verb = findVerb(argv);
  const values = new Map<string, string | boolean>();
  const lists = new Map<string, string[]>();
  const positionals: string[] = [];
  let help = false;
  let verbSeen = false;
  for (let i = 0; i < argv.length; i++) {
    const w = argv[i]!;
    if (w === '--') {
      for (const rest of argv.slice(i + 1)) positionals.push(rest);
      break;
    }
    if (!w.startsWith('-') || w === '-') {
      if (!verbSeen && w === verb) verbSeen = true;
      else positionals.push(w);
      continue;
    }
    let name: string | undefined;
    let inline: string | undefined;
    if (w.startsWith('--')) {
      const eq = w.indexOf('=');
      name = eq < 0 ? w.slice(2) : w.slice(2, eq);
      if (eq >= 0) inline = w.slice(eq + 1);
    } else {
      // -n ns, -nns, -n=ns
      name = shortFor(verb, w.charAt(1));
      if (name === undefined) throw new UsageError(`unknown shorthand flag: '${w.charAt(1)}' in ${w}`);
      const rest = w.slice(2);
      if (rest !== '') inline = rest.startsWith('=') ? rest.slice(1) : rest;
    }
    if (name === 'help') {
      help = true;
      continue;
    }
    const spec = BY_NAME.get(name);
    if (spec === undefined) throw new UsageError(`unknown flag: --${name}`);
    if (spec.kind === 'bool') {
      if (inline === undefined) values.set(spec.name, true);
      else if (/^(true|1|yes)$/i.test(inline)) values.set(spec.name, true);
      else if (/^(false|0|no)$/i.test(inline)) values.set(spec.name, false);
      else throw new UsageError(`invalid argument "${inline}" for "--${spec.name}" flag: expected true or false`);
      continue;
    }
    let value = inline;
    if (value === undefined) {
      value = argv[i + 1];
      if (value === undefined) throw new UsageError(`flag needs an argument: --${spec.name}`);
      i++;
    }
    if (spec.repeatable === true) {
      const l = lists.get(spec.name) ?? [];
      l.push(value);
      lists.set(spec.name, l);
    }
    values.set(spec.name, value);
  }
  return { verb, positionals, values, lists, help };
}

/** A string flag's value, or `d`. */
export function flagString(a: CtlArgs, name: string, d = ''): string {
  const v = a.values.get(name);
  return typeof v === 'string' ? v : d;
}

/** A bool flag's value (false when absent). */
export function flagBool(a: CtlArgs, name: string): boolean {
  return a.values.get(name) === true;
}

/** A non-negative integer flag, or `d` when absent; UsageError when malformed. */
export function flagInt(a: CtlArgs, name: string, d: number): number {
  const v = a.values.get(name);
  if (typeof v !== 'string') return d;
  if (!/^[0-9]{1,9}$/.test(v)) throw new UsageError(`invalid argument "${v}" for "--${name}" flag: expected a non-negative integer`);
  return Number(v);
}

/** Parses a duration like `30s`, `5m`, `1h`, `1m30s` or a bare number of seconds into milliseconds. */
export function parseDurationFlag(name: string, v: string): number {
  if (/^[0-9]+$/.test(v)) return Number(v) * 1000;
  const re = /([0-9]+(?:\.[0-9]+)?)(ms|s|m|h)/gy;
  let total = 0;
  let pos = 0;
  for (let m = re.exec(v); m !== null; m = re.exec(v)) {
    const n = Number(m[1]);
    total += m[2] === 'ms' ? n : m[2] === 's' ? n * 1000 : m[2] === 'm' ? n * 60_000 : n * 3_600_000;
    pos = re.lastIndex;
  }
  if (pos !== v.length || v === '') throw new UsageError(`invalid argument "${v}" for "--${name}" flag: expected a duration like 30s, 5m or 1h`);
  return total;
}
