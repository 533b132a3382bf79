/**
 * The `log` subresource of pods, with Kubernetes' path and query parameters:
 *
 *   GET /api/v1/namespaces/<ns>/pods/<name>/log
 *       ?container=NAME     required when the pod has more than one container
 *       &previous=true      the last terminated run's log instead of the current one
 *       &tailLines=N        only the last N lines (N >= 0)
 *       &limitBytes=N       at most N bytes of what remains (N >= 1)
 *
 * Logs live on the node running the pod: the server fetches them from that node
 * agent's `GET /logs/<ns>/<pod>/<container>[?previous=true]` at the address the
 * Node publishes (`status.addresses` InternalIP, `status.daemonEndpoints.agentEndpoint.Port`)
 * and answers `text/plain`. Failures are Kubernetes Status objects: 404 (pod or
 * container unknown), 400 (bad parameter, pod not on a node yet, no previous run,
 * `follow` — not supported: poll instead), 502 / 503 (the agent failed or is unreachable).
 * Authorization: verb `get` on resource `pods/log`.
 *
 * With `agentClientTls` (once the cluster TLS listener runs, cluster/pki), agents that
 * publish a TLS endpoint (the Node annotation `vigil.dev/agent-secure-port`) are asked
 * there with the API server's client certificate — the only credential their `/logs`
 * accepts; other agents on their plain port.
 *
 * The outbound request to the agent is `fetchAgentLog` (one small function, the
 * one place to add agent credentials); `PodLogOptions.fetchLog` replaces it.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { SECURE_PORT_ANNOTATION } from '../agent/secure_endpoint.js';
import { tlsFetch } from '../pki/tls_fetch.js';
import { ApiError, badRequest } from './api_error.js';
import type { Node, Pod } from './objects.js';
import type { Registry } from './registry.js';
import { RESOURCES } from './resources.js';

const PODS = RESOURCES.find((r) => r.resource === 'pods')!;
const NODES = RESOURCES.find((r) => r.resource === 'nodes')!;

/** Largest log answer (the agent caps its answers at the same size). */
export const MAX_POD_LOG_BYTES = 10 * 1024 * 1024;
/** How long the agent has to answer. */
export const AGENT_LOG_TIMEOUT_MS = 10_000;

/** The agent's answer: HTTP status and body. */
export interface AgentLogResponse {
  status: number;
  body: Buffer;
}

/** GETs `url` from a node agent (bounded in time and size). Throws on network failure or timeout. */
export async function fetchAgentLog(url: string, signal?: AbortSignal, fetchImpl: typeof fetch = fetch): Promise<AgentLogResponse> {
  const timeout = AbortSignal.timeout(AGENT_LOG_TIMEOUT_MS);
  const res = await fetchImpl(url, { signal: signal === undefined ? timeout : AbortSignal.any([signal, timeout]) });
  const body = Buffer.from(await res.arrayBuffer());
  return { status: res.status, body: body.length > MAX_POD_LOG_BYTES ? body.subarray(body.length - MAX_POD_LOG_BYTES) : body };
}

export type GuardFn = (req: FastifyRequest, verb: 'get', resource: string, namespace: string, name: string) => Promise<unknown>;

/** The API server's client certificate (and the CA) for agents' TLS endpoints. */
export interface AgentClientTls {
  ca: string;
  cert: string;
  key: string;
}

export interface PodLogOptions {
  registry: Registry;
  /** Authenticates and authorizes the request (throws ApiError 401/403). */
  guard: GuardFn;
  /** Replaces `fetchAgentLog`. */
  fetchLog?: (url: string) => Promise<AgentLogResponse>;
  /** The client certificate for agents' TLS endpoints; null/absent = plain HTTP only. */
  agentClientTls?: () => AgentClientTls | null;
}

/** The parsed query parameters. */
export interface PodLogQuery {
  container: string;
  previous: boolean;
  /** -1 = all. */
  tailLines: number;
  /** 0 = no limit. */
  limitBytes: number;
}

function intParam(q: Record<string, string | undefined>, key: string, min: number): number | undefined {
  const v = q[key];
  if (v === undefined || v === '') return undefined;
  if (!/^-?[0-9]{1,12}$/.test(v) || Number(v) < min) throw badRequest(`invalid ${key} ${JSON.stringify(v)}: must be an integer >= ${min}`);
  return Number(v);
}

function boolParam(q: Record<string, string | undefined>, key: string): boolean {
  const v = q[key];
  if (v === undefined || v === '' || v === 'false' || v === '0') return false;
  if (v === 'true' || v === '1') return true;
  throw badRequest(`invalid ${key} ${JSON.stringify(v)}: must be true or false`);
}

/** Validates the query string (400 ApiError naming the parameter). */
export function parsePodLogQuery(q: Record<string, string | undefined>): PodLogQuery {
  if (boolParam(q, 'follow')) throw badRequest('follow=true is not supported by this server: poll the log instead (e.g. with tailLines)');
  return { container: q.container ?? '', previous: boolParam(q, 'previous'), tailLines: intParam(q, 'tailLines', 0) ?? -1, limitBytes: intParam(q, 'limitBytes', 1) ?? 0 };
}

/** The last `n` lines of `data` (n < 0: all); a final line without a newline counts as a line. */
export function lastLines(data: Buffer, n: number): Buffer {
  if (n < 0) return data;
  if (n === 0) return data.subarray(0, 0);
  let end = data.length;
  if (end > 0 && data[end - 1] === 0x0a) end--;
  let i = end;
  let seen = 0;
  while (i > 0) {
    if (data[i - 1] === 0x0a) {
      seen++;
      if (seen === n) break;
    }
    i--;
  }
  return data.subarray(i);
}

/** The agent URL of a container's log: its TLS endpoint when `tls` and the Node publishes one, else its plain port. */
export function agentLogUrl(node: Node, ns: string, pod: string, container: string, previous: boolean, tls = false): string | null {
  const ip = node.status?.addresses?.find((a) => a.type === 'InternalIP')?.address;
  const plain = node.status?.daemonEndpoints?.agentEndpoint.Port ?? 0;
  const secure = tls ? Number(node.metadata.annotations?.[SECURE_PORT_ANNOTATION] ?? '0') || 0 : 0;
  if (ip === undefined || ip === '' || (plain === 0 && secure === 0)) return null;
  const host = ip.includes(':') ? `[${ip}]` : ip;
  const path = `/logs/${encodeURIComponent(ns)}/${encodeURIComponent(pod)}/${encodeURIComponent(container)}${previous ? '?previous=true' : ''}`;
  return secure > 0 ? `https://${host}:${secure}${path}` : `http://${host}:${plain}${path}`;
}

/** Registers the route on the cluster API plugin's scope. */
export async function podLogRoutes(app: FastifyInstance, opts: PodLogOptions): Promise<void> {
  // One TLS client per certificate (kept while the certificate object is).
  const tlsClients = new WeakMap<AgentClientTls, typeof fetch>();
  const tlsClient = (tls: AgentClientTls): typeof fetch => {
    let f = tlsClients.get(tls);
    if (f === undefined) tlsClients.set(tls, (f = tlsFetch(tls)));
    return f;
  };
  const fetchLog =
    opts.fetchLog ??
    ((url: string) => {
      const tls = opts.agentClientTls?.() ?? null;
      return fetchAgentLog(url, undefined, url.startsWith('https:') && tls !== null ? tlsClient(tls) : fetch);
    });
  app.get<{ Params: { ns: string; name: string }; Querystring: Record<string, string | undefined> }>('/api/v1/namespaces/:ns/pods/:name/log', async (req, reply) => {
    const { ns, name } = req.params;
    await opts.guard(req, 'get', 'pods/log', ns, name);
    const q = parsePodLogQuery(req.query);
    const pod = (await opts.registry.get(PODS, ns, name)) as Pod;
    const names = pod.spec.containers.map((c) => c.name);
    let container = q.container;
    if (container === '') {
      if (names.length !== 1) throw badRequest(`a container name must be specified for pod ${name}, choose one of: [${names.join(' ')}]`);
      container = names[0] ?? '';
    } else if (!names.includes(container)) {
      throw badRequest(`container ${container} is not valid for pod ${name}`);
    }
    const nodeName = pod.spec.nodeName ?? '';
    if (nodeName === '') throw badRequest(`container "${container}" in pod "${name}" is waiting to start: the pod is not scheduled to a node yet`);
    const node = (await opts.registry.get(NODES, '', nodeName)) as Node;
    const url = agentLogUrl(node, ns, name, container, q.previous, (opts.agentClientTls?.() ?? null) !== null);
    if (url === null) throw new ApiError(503, 'ServiceUnavailable', `node "${nodeName}" publishes no agent endpoint (status.addresses InternalIP and status.daemonEndpoints): cannot fetch logs of pod "${name}"`);
    let res: AgentLogResponse;
    try {
      res = await fetchLog(url);
    } catch (e) {
      throw new ApiError(503, 'ServiceUnavailable', `cannot reach the agent of node "${nodeName}" for the logs of pod "${name}": ${e instanceof Error ? e.message : String(e)}`);
    }
    const text = res.body.toString('utf8').trim();
    if (res.status === 404) throw new ApiError(404, 'NotFound', text || `no logs of container "${container}" in pod "${name}" on node "${nodeName}"`);
    if (res.status === 400) throw badRequest(text || `no previous logs of container "${container}" in pod "${name}"`);
    if (res.status !== 200) throw new ApiError(502, 'InternalError', `the agent of node "${nodeName}" answered HTTP ${res.status} for the logs of pod "${name}": ${text.slice(0, 200)}`);
    let out = lastLines(res.body, q.tailLines);
    if (q.limitBytes > 0 && out.length > q.limitBytes) out = out.subarray(0, q.limitBytes);
    return reply.type('text/plain; charset=utf-8').header('cache-control', 'no-store').send(out);
  });
}
