/**
 * `vigil ctl` connection settings: flags over the config file over defaults.
 *
 * The config file is YAML at `~/.vigil/config` (the `VIGIL_CONFIG` environment
 * variable names another path) with three optional keys:
 *
 *   server: https://cp.example:9090
 *   token: s3cr3t
 *   namespace: team-a
 *   certificate-authority: /etc/vigil/ca.pem
 *
 * `vigil ctl config view` prints it (the token redacted) and `vigil ctl config
 * set-context [--server URL] [--token T] [--namespace NS]` writes it.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
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

/** The config file path: `env.VIGIL_CONFIG` or `~/.vigil/config`. */
export function configPath(env: Readonly<Record<string, string | undefined>>): string {
  const p = env.VIGIL_CONFIG;
  return p !== undefined && p !== '' ? p : join(env.HOME ?? homedir(), '.vigil', 'config');
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
}

/** Effective connection settings. */
export interface Connection {
  server: string;
  token: string;
  namespace: string;
  /** PEM text of the CA, '' = the system's. */
  ca: string;
}

/** Merges flags (non-empty wins) over the file over the defaults. */
export function resolveConnection(
  flags: { server: string; token: string; namespace: string; ca: string },
  file: CtlConfigFile,
): Connection {
  const caPath = flags.ca !== '' ? flags.ca : (file['certificate-authority'] ?? '');
  let ca = '';
  if (caPath !== '') {
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
