/**
 * `vigil ctl` connection settings: flags over the config file over defaults.
 *
 * The config file is YAML with four optional keys:
 *
 *   server: https://cp.example:9443
 *   token: s3cr3t
 *   namespace: team-a
 *   certificate-authority: /etc/vigil/ca.pem      (a file, or the PEM text inline)
 *
 * Which file (`configPaths`): `--kubeconfig FILE`, else the `VIGIL_CONFIG`
 * environment variable, else `~/.vigil/config` if it exists, else
 * `./data/cluster/admin.conf` if it exists (the admin credential `vigil server`
 * writes with the default `--storage.tsdb.path=data/`, so `vigil ctl` works without
 * flags where the server runs), else `~/.vigil/config` (absent: defaults).
 *
 * `vigil ctl config view` prints it (the token redacted) and `vigil ctl config
 * set-context [--server URL] [--token T] [--namespace NS]` writes it.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { parse, stringify } from 'yaml';

export const DEFAULT_SERVER = 'http://127.0.0.1:9090';

/** What the config file holds. */
export interface CtlConfigFile {
  server?: string;
  token?: string;
  namespace?: string;
  'certificate-authority'?: string;
}

/** A malformed config file: says which file and what is wrong. */
export class CtlConfigError extends Error {
  readonly code = 'ctl_config';
  constructor(message: string) {
    super(message);
    this.name = 'CtlConfigError';
  }
}

const KEYS = ['server', 'token', 'namespace', 'certificate-authority'] as const;

/** The admin credential `vigil server` writes, relative to its working directory with default paths. */
export const SERVER_ADMIN_CONFIG = join('data', 'cluster', 'admin.conf');

/** The config file path to write (`config set-context`): `--kubeconfig`, `env.VIGIL_CONFIG` or `~/.vigil/config`. */
export function configPath(env: Readonly<Record<string, string | undefined>>, explicit = ''): string {
  if (explicit !== '') return explicit;
  const p = env.VIGIL_CONFIG;
  return p !== undefined && p !== '' ? p : join(env.HOME ?? homedir(), '.vigil', 'config');
}

/**
 * The config file to read: as `configPath`, but when neither `--kubeconfig` nor
 * `VIGIL_CONFIG` is given and `~/.vigil/config` does not exist, the server's
 * `./data/cluster/admin.conf` (relative to `cwd`) if that exists.
 */
export function readConfigPath(env: Readonly<Record<string, string | undefined>>, explicit = '', cwd = process.cwd()): string {
  const p = configPath(env, explicit);
  if (explicit !== '' || (env.VIGIL_CONFIG ?? '') !== '' || existsSync(p)) return p;
  const admin = join(cwd, SERVER_ADMIN_CONFIG);
  return existsSync(admin) ? admin : p;
}

/** Reads the config file; a missing file is an empty config. Throws `CtlConfigError` when malformed. */
export function readConfig(path: string): CtlConfigFile {
  if (!existsSync(path)) return {};
  const text = readFileSync(path, 'utf8');
  if (text.length > 1 << 20) throw new CtlConfigError(`${path}: the config file is larger than 1 MiB`);
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (e) {
    throw new CtlConfigError(`${path}: not valid YAML: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc)) throw new CtlConfigError(`${path}: expected a mapping with keys ${KEYS.join(', ')}`);
  const out: CtlConfigFile = {};
  for (const [k, v] of Object.entries(doc as Record<string, unknown>)) {
    if (!(KEYS as readonly string[]).includes(k)) throw new CtlConfigError(`${path}: unknown key "${k}" (expected ${KEYS.join(', ')})`);
    if (typeof v !== 'string') throw new CtlConfigError(`${path}: ${k}: expected a string, got ${JSON.stringify(v)}`);
    out[k as (typeof KEYS)[number]] = v;
  }
  return out;
}

/** Writes the config file (mode 0600: it may hold a token), creating its directory. */
export function writeConfig(path: string, cfg: CtlConfigFile): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, stringify(cfg), { mode: 0o600 });
  chmodSync(path, 0o600);
}

/** Effective connection settings. */
export interface Connection {
  server: string;
  token: string;
  namespace: string;
  /** PEM text of the CA ('' = the system's); the config file may give it inline or as a path. */
  ca: string;
}

/** Merges flags (non-empty wins) over the file over the defaults. */
export function resolveConnection(
  flags: { server: string; token: string; namespace: string; ca: string },
  file: CtlConfigFile,
): Connection {
  const caPath = flags.ca !== '' ? flags.ca : (file['certificate-authority'] ?? '');
  let ca = '';
  if (caPath.trimStart().startsWith('-----BEGIN')) ca = caPath;
  else if (caPath !== '') {
    try {
      ca = readFileSync(caPath, 'utf8');
    } catch (e) {
      throw new CtlConfigError(`cannot read the certificate authority ${caPath}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  const server = (flags.server !== '' ? flags.server : (file.server ?? DEFAULT_SERVER)).replace(/\/+$/, '');
  if (!/^https?:\/\/[^/]/.test(server)) throw new CtlConfigError(`server: expected an http:// or https:// URL, got "${server}"`);
  return {
    server,
    token: flags.token !== '' ? flags.token : (file.token ?? ''),
    namespace: flags.namespace !== '' ? flags.namespace : (file.namespace ?? 'default'),
    ca,
  };
}
