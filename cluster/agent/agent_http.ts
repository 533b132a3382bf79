/**
 * The agent's own HTTP endpoints, as a fastify plugin:
 *
 *   GET /metrics                                   per-pod metrics (metrics.ts), Prometheus text format
 *   GET /healthz                                   200 "ok"
 *   GET /logs/<namespace>/<pod>/<container>        the container's log (`?previous=true`: the last run's;
 *                                                  `?tailBytes=N`: the last N bytes, default all up to 10 MiB)
 *
 * Who may read logs (`logs`): `open` (the plain listener of an agent without TLS
 * material, as before), `off` (the plain listener once the agent has its TLS endpoint:
 * 404), or `client-cert` (the TLS endpoint: only a client certificate verified by the
 * cluster CA with the common name `AGENT_CLIENT_CN`, which only the API server holds;
 * 403 otherwise). `/metrics` and `/healthz` stay open everywhere, for scraping.
 *
 * With `logAccess` (the plain listener of an agent holding a node token) a caller must
 * also be allowed `get pods/log` by the API server (log_access.ts): 401/403 otherwise.
 */
import type { TLSSocket } from 'node:tls';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { logPaths } from './logs.js';
import type { AgentMetrics } from './metrics.js';
import type { LogAccessDecision } from './log_access.js';
import type { PodSupervisor } from './pod_supervisor.js';

export interface AgentHttpOptions {
  metrics: AgentMetrics;
  /** The supervisor of `namespace/name`, if the pod runs here. */
  findPod: (namespace: string, name: string) => PodSupervisor | undefined;
  /** Access to /logs (see the file comment). Default 'open'. */
  logs?: 'open' | 'off' | 'client-cert';
  /** Who may read logs (log_access.ts): the request's Authorization header → decision. Default: everybody. */
  logAccess?: (authorization: string | undefined, namespace: string, pod: string) => Promise<LogAccessDecision>;
}

/** The common name of the API server's client certificate for agents (cluster/pki). */
export const AGENT_CLIENT_CN = 'vigil-apiserver-agent-client';

/** Whether the request came with a CA-verified client certificate issued to the API server. */
function fromApiServer(socket: unknown): boolean {
  const s = socket as Partial<TLSSocket>;
  if (typeof s.getPeerCertificate !== 'function' || s.authorized !== true) return false;
  return s.getPeerCertificate().subject?.CN === AGENT_CLIENT_CN;
}

const MAX_LOG_BYTES = 10 * 1024 * 1024;

export async function agentHttp(app: FastifyInstance, opts: AgentHttpOptions): Promise<void> {
  app.get('/metrics', async (_req, reply) => {
    const text = await opts.metrics.registry.metrics();
    return reply.type(opts.metrics.registry.contentType).send(text);
  });
  app.get('/healthz', async (_req, reply) => reply.type('text/plain').send('ok\n'));
  app.get<{ Params: { ns: string; pod: string; container: string }; Querystring: { previous?: string; tailBytes?: string } }>(
    '/logs/:ns/:pod/:container',
    async (req, reply) => {
      const access = opts.logs ?? 'open';
      if (access === 'off') return reply.code(404).type('text/plain').send('logs are served on the agent\'s TLS endpoint only; use `vigil ctl logs` (through the API server)\n');
      if (access === 'client-cert' && !fromApiServer(req.raw.socket))
        return reply.code(403).type('text/plain').send(`logs need a client certificate from the cluster CA issued to the API server (CN=${AGENT_CLIENT_CN})\n`);
      const { ns, pod, container } = req.params;
      if (opts.logAccess !== undefined && access !== 'client-cert') {
        const d = await opts.logAccess(req.headers.authorization, ns, pod);
        if (d === 'unauthenticated') return reply.code(401).header('www-authenticate', 'Bearer').type('text/plain').send('Unauthorized: present a cluster API bearer token\n');
        if (d === 'forbidden') return reply.code(403).type('text/plain').send(`Forbidden: cannot get pods/log of ${ns}/${pod}\n`);
      }
      const sup = opts.findPod(ns, pod);
      if (sup === undefined || sup.dir === '') return reply.code(404).type('text/plain').send(`pod ${ns}/${pod} does not run on this node\n`);
      if (!sup.pod.spec.containers.some((c) => c.name === container))
        return reply.code(404).type('text/plain').send(`container "${container}" is not in pod ${ns}/${pod}\n`);
      const paths = logPaths(join(sup.dir, 'logs'), container);
      const previous = req.query.previous === 'true' || req.query.previous === '1';
      const files = previous ? [paths.previous] : [paths.rotated, paths.current];
      if (previous && !existsSync(paths.previous))
        return reply.code(400).type('text/plain').send(`previous terminated container "${container}" in pod "${pod}" not found\n`);
      let data = Buffer.concat(files.filter((f) => existsSync(f)).map((f) => readFileSync(f)));
      const tail = Math.min(Number(req.query.tailBytes ?? MAX_LOG_BYTES) || MAX_LOG_BYTES, MAX_LOG_BYTES);
      if (data.length > tail) data = data.subarray(data.length - tail);
      return reply.type('text/plain').send(data);
    },
  );
}
