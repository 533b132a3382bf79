/**
 * A real cluster API server for `vigil ctl` tests: fastify + `openClusterApi`
 * on a fresh SQLite store in a temporary directory, listening on 127.0.0.1:0,
 * and `ctl(words)` running `vigil ctl` against it with captured output.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { type ClusterApi, openClusterApi } from '../api/api_server.js';
import { type CtlRunOptions, runCtl } from './ctl_command.js';

export interface CtlResult {
  code: number;
  out: string;
  err: string;
}

export interface CtlTestServer {
  readonly url: string;
  readonly dir: string;
  readonly api: ClusterApi;
  readonly app: FastifyInstance;
  /** Runs `vigil ctl words… --server URL` with a config path inside the temp dir. */
  ctl(words: readonly string[], opts?: CtlRunOptions & { onOut?: (line: string) => void }): Promise<CtlResult>;
  /** A JSON request straight to the API (arranging state the way controllers and agents would). */
  api2(method: string, path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }>;
  close(): Promise<void>;
}

export async function startCtlTestServer(): Promise<CtlTestServer> {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-ctl-'));
  const api = await openClusterApi(`sqlite://${join(dir, 'cluster.db')}`, {
    store: { sqlite: { pollIntervalMs: 0, leaseSweepIntervalMs: 0 } },
    compactIntervalMs: 0,
    quotaResyncMs: 0,
  });
  const app = Fastify();
  await api.register(app);
  await app.listen({ host: '127.0.0.1', port: 0 });
  const addr = app.server.address();
  if (addr === null || typeof addr === 'string') throw new Error('BUG: no TCP address');
  const url = `http://127.0.0.1:${addr.port}`;
  const env = { VIGIL_CONFIG: join(dir, 'config'), HOME: dir };
  return {
    url,
    dir,
    api,
    app,
    async ctl(words, opts = {}) {
      const out: string[] = [];
      const err: string[] = [];
      const code = await runCtl([...words, `--server=${url}`], {
        log: (s) => {
          out.push(s);
          opts.onOut?.(s);
        },
        err: (s) => err.push(s),
      }, { env, ...opts });
      return { code, out: out.join('\n'), err: err.join('\n') };
    },
    async api2(method, path, body) {
      const r = await fetch(url + path, {
        method,
        ...(body !== undefined
          ? { body: JSON.stringify(body), headers: { 'content-type': method === 'PATCH' ? 'application/merge-patch+json' : 'application/json' } }
          : {}),
      });
      return { status: r.status, json: (await r.json()) as Record<string, unknown> };
    },
    async close() {
      // Test requests through the global fetch keep idle connections; do not wait for their keep-alive timeout.
      app.server.closeAllConnections();
      await app.close();
      await api.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
