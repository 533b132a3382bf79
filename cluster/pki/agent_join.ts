/**
 * The agent's side of joining a cluster, as kubeadm's token discovery:
 *
 *   1. fetch the CA from `GET <server>/bootstrap/v1/cluster-info` without verifying the
 *      server (nothing is trusted yet), and accept it only if its public-key hash equals
 *      `--ca-cert-hash sha256:<hex>` (the admin got it from `vigil ctl token create`);
 *   2. from then on trust only that CA: `POST /bootstrap/v1/join` with the bootstrap
 *      token over verified TLS returns the node's own credential;
 *   3. store server, CA and credential in `<data dir>/node.conf` (mode 0600, the
 *      `vigil ctl` config format), and the serving certificate of the agent's TLS
 *      endpoint in `agent.crt`/`agent.key` (0600), and use them from then on; a restart
 *      reuses the files and needs no bootstrap token.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readConfig, writeConfig } from '../ctl/ctl_config.js';
import { caCertHash, writePrivate } from './ca.js';
import { tlsFetch } from './tls_fetch.js';

/** What an agent authenticates with. */
export interface NodeCredentials {
  /** The API server's https URL. */
  readonly server: string;
  /** PEM of the cluster CA. */
  readonly caCert: string;
  /** The node's bearer token. */
  readonly token: string;
  /** Serving certificate and key (PEM) of the agent's TLS endpoint, when the server issued one. */
  readonly agentCert?: string;
  readonly agentKey?: string;
}

/** Joining failed: says what to check. */
export class JoinError extends Error {
  readonly code = 'join';
  constructor(message: string) {
    super(message);
    this.name = 'JoinError';
  }
}

const HASH = /^sha256:[0-9a-f]{64}$/;

/** The credentials file in an agent's data directory. */
export function credentialsPath(dataDir: string): string {
  return join(dataDir, 'node.conf');
}

/** The stored credentials, or null when the agent has not joined yet. */
export function loadNodeCredentials(dataDir: string): NodeCredentials | null {
  const p = credentialsPath(dataDir);
  if (!existsSync(p)) return null;
  const c = readConfig(p);
  const ca = c['certificate-authority'] ?? '';
  if (c.server === undefined || c.token === undefined || !ca.startsWith('-----BEGIN')) throw new JoinError(`${p}: expected server, token and an inline certificate-authority; remove the file to join again`);
  const crt = join(dataDir, 'agent.crt');
  const key = join(dataDir, 'agent.key');
  const agent = existsSync(crt) && existsSync(key) ? { agentCert: readFileSync(crt, 'utf8'), agentKey: readFileSync(key, 'utf8') } : {};
  return { server: c.server, caCert: ca, token: c.token, ...agent };
}

async function readJson(res: Response, what: string, limit = 1 << 20): Promise<Record<string, unknown>> {
  const text = await res.text();
  if (text.length > limit) throw new JoinError(`${what}: the answer is larger than ${limit} bytes`);
  try {
    const v = JSON.parse(text) as unknown;
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch {
    // reported below
  }
  throw new JoinError(`${what}: expected a JSON object, got ${JSON.stringify(text.slice(0, 120))}`);
}

/** Step 1: the server's CA, accepted only when its hash is `expectedHash`. */
export async function discoverCa(server: string, expectedHash: string, timeoutMs = 10_000): Promise<string> {
  if (!HASH.test(expectedHash)) throw new JoinError(`--ca-cert-hash: expected sha256:<64 lowercase hex digits>, got "${expectedHash}"`);
  const url = `${server}/bootstrap/v1/cluster-info`;
  let res: Response;
  try {
    res = await tlsFetch({ insecure: true })(url, { signal: AbortSignal.timeout(timeoutMs) });
  } catch (e) {
    throw new JoinError(`cannot fetch the cluster CA from ${url}: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (!res.ok) throw new JoinError(`cannot fetch the cluster CA from ${url}: ${res.status} ${(await res.text()).slice(0, 200)}`);
  const body = await readJson(res, url);
  const ca = typeof body.caCert === 'string' ? body.caCert : '';
  let got: string;
  try {
    got = caCertHash(ca);
  } catch {
    throw new JoinError(`${url}: caCert is not a PEM certificate`);
  }
  if (got !== expectedHash) throw new JoinError(`the server's CA does not match --ca-cert-hash: expected ${expectedHash}, the server presented ${got}; refusing to trust ${server}`);
  return ca;
}

export interface JoinOptions {
  server: string;
  bootstrapToken: string;
  caCertHash: string;
  nodeName: string;
  dataDir: string;
  /** The node's address (put in the agent's serving certificate). */
  nodeIP?: string;
  timeoutMs?: number;
}

/** Steps 1–3 (see the file comment). */
export async function joinCluster(o: JoinOptions): Promise<NodeCredentials> {
  const server = o.server.replace(/\/+$/, '');
  if (!server.startsWith('https://')) throw new JoinError(`joining needs an https:// server URL, got "${server}"`);
  const ca = await discoverCa(server, o.caCertHash, o.timeoutMs);
  const url = `${server}/bootstrap/v1/join`;
  let res: Response;
  try {
    res = await tlsFetch({ ca })(url, {
      method: 'POST',
      headers: { authorization: `Bearer ${o.bootstrapToken}`, 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ nodeName: o.nodeName, ...(o.nodeIP ? { nodeIP: o.nodeIP } : {}) }),
      signal: AbortSignal.timeout(o.timeoutMs ?? 10_000),
    });
  } catch (e) {
    throw new JoinError(`cannot join through ${url}: ${e instanceof Error ? e.message : String(e)}`);
  }
  const body = await readJson(res, url);
  if (res.status === 401) throw new JoinError(`the server refused the bootstrap token (${String(body.message ?? 'Unauthorized')}); create a new one with \`vigil ctl token create\``);
  if (!res.ok) throw new JoinError(`joining failed: ${res.status} ${String(body.message ?? '')}`);
  if (typeof body.token !== 'string' || body.token === '') throw new JoinError(`${url}: the answer has no node credential`);
  const agent = typeof body.agentCert === 'string' && typeof body.agentKey === 'string' ? { agentCert: body.agentCert, agentKey: body.agentKey } : {};
  mkdirSync(o.dataDir, { recursive: true });
  if (agent.agentCert !== undefined) {
    writePrivate(join(o.dataDir, 'agent.key'), agent.agentKey);
    writeFileSync(join(o.dataDir, 'agent.crt'), agent.agentCert, { mode: 0o644 });
  }
  writeConfig(credentialsPath(o.dataDir), { server, 'certificate-authority': ca, token: body.token });
  return { server, caCert: ca, token: body.token, ...agent };
}

/**
 * The agent's credentials: the stored ones when present (a restart), else a join with
 * `bootstrapToken` and `caCertHash` (both required then).
 */
export async function nodeCredentials(o: JoinOptions): Promise<{ creds: NodeCredentials; joined: boolean }> {
  const stored = loadNodeCredentials(o.dataDir);
  if (stored !== null) return { creds: stored, joined: false };
  if (o.bootstrapToken === '' || o.caCertHash === '')
    throw new JoinError(`${credentialsPath(o.dataDir)} does not exist yet: the first start needs --token (from \`vigil ctl token create\`) and --ca-cert-hash`);
  return { creds: await joinCluster(o), joined: true };
}
