/**
 * Credentials for tests that run `vigil server` and `vigil agent` as processes, made
 * the way an administrator on the server's machine makes them: the admin token the
 * server wrote for ctl (`<data>/cluster/admin.token`), and node credentials signed
 * with the server's token key (`<data>/cluster/token-signing.key`). Test support only.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TokenAuthority } from '../cluster/auth/tokens.js';

export interface ClusterCredentials {
  /** The admin's bearer token (group system:masters). */
  readonly adminToken: string;
  /** `{ authorization: 'Bearer <admin token>' }` for fetch. */
  readonly adminHeaders: Readonly<Record<string, string>>;
  /** Writes a node credential for `node` into `file` (0600) and returns the path, for `vigil agent --token-file`. */
  nodeTokenFile(node: string, file: string): string;
}

/** Reads the credentials of the server whose `--storage.tsdb.path` is `dataDir` (after it started). */
export async function clusterCredentials(dataDir: string): Promise<ClusterCredentials> {
  const clusterDir = join(dataDir, 'cluster');
  const adminToken = readFileSync(join(clusterDir, 'admin.token'), 'utf8').trim();
  const signer = await TokenAuthority.open(join(clusterDir, 'token-signing.key'));
  return {
    adminToken,
    adminHeaders: { authorization: `Bearer ${adminToken}` },
    nodeTokenFile: (node, file) => {
      writeFileSync(file, signer.issueToken({ name: `system:node:${node}`, groups: ['system:nodes'] }, 3600), { mode: 0o600 });
      return file;
    },
  };
}
