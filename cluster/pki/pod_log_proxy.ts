/**
 * `GET /api/v1/namespaces/<ns>/pods/<name>/log[?container=C][&previous=true][&tailBytes=N]`,
 * Kubernetes' pod log subresource: the API server fetches the log from the agent of
 * the pod's node and relays it as text/plain, so `vigil ctl logs` needs only its API
 * credential. The caller passes `authenticate` (401) and `authorize(user, 'get',
 * 'pods/log', ns, name)` (403).
 *
 * The agent is reached on its TLS endpoint (the Node's `vigil.dev/agent-secure-port`
 * annotation) with the API server's client certificate — the only credential its
 * `/logs` accepts there — or, for agents without TLS material, on the plain port the
 * Node publishes (`status.daemonEndpoints`).
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { SECURE_PORT_ANNOTATION } from '../agent/secure_endpoint.js';
import { ApiError, badRequest } from '../api/api_error.js';
import type { AuthenticateFn, AuthorizeFn } from '../api/http.js';
import type { Node, Pod } from '../api/objects.js';
import type { Registry } from '../api/registry.js';
import { RESOURCES } from '../api/resources.js';
import { tlsFetch } from './tls_fetch.js';

export interface AgentClientTls {
  ca: string;
  cert: string;
  key: string;
}

export interface PodLogProxyOptions {
  registry: Registry;
  authenticate?: AuthenticateFn;
  authorize?: AuthorizeFn;
  /** The API server's client certificate for agents; null/absent = plain HTTP to agents only. */
  agentClientTls?: () => AgentClientTls | null;
  /** Timeout of the request to the agent. Default 10 000 ms. */
  timeoutMs?: number;
}

const PODS = RESOURCES.find((r) => r.resource === 'pods')!;
const NODES = RESOURCES.find((r) => r.resource === 'nodes')!;
const MAX_LOG_BYTES = 10 * 1024 * 1024;

const send = (reply: FastifyReply, e: ApiError) => reply.code(e.code).type('application/json').send(e.toStatus());

/** The agent URL (and whether it is the TLS endpoint) for `pod`'s container log. */
export function agentLogUrl(node: Node, pod: Pod, container: string, q: string, tls: boolean): string {
  const nodeName = node.metadata.name;
  const ip = node.status?.addresses?.find((a) => a.type === 'InternalIP')?.address;
  const secure = Number(node.metadata.annotations?.[SECURE_PORT_ANNOTATION] ?? '0');
  const plain = node.status?.daemonEndpoints?.agentEndpoint.Port ?? 0;
  if (ip === undefined || (plain === 0 && secure === 0)) throw new ApiError(503, 'ServiceUnavailable', `node "${nodeName}" publishes no agent endpoint: cannot fetch logs`);
  const host = ip.includes(':') ? `[${ip}]` : ip;
  const path = `/logs/${encodeURIComponent(pod.metadata.namespace ?? 'default')}/${encodeURIComponent(pod.metadata.name)}/${encodeURIComponent(container)}${q}`;
  return tls && secure > 0 ? `https://${host}:${secure}${path}` : `http://${host}:${plain}${path}`;
}

export async function podLogProxy(app: FastifyInstance, o: PodLogProxyOptions): Promise<void> {
  app.get<{ Params: { ns: string; name: string }; Querystring: Record<string, string | undefined> }>('/api/v1/namespaces/:ns/pods/:name/log', async (req, reply) => {
    try {
      const user = o.authenticate ? await o.authenticate(req) : { name: 'system:anonymous', groups: ['system:unauthenticated'] };
      if (user === null) throw new ApiError(401, 'Unauthorized', 'Unauthorized');
      const { ns, name } = req.params;
      if ((o.authorize ? await o.authorize(user, 'get', 'pods/log', ns, name) : 'allow') !== 'allow')
        throw new ApiError(403, 'Forbidden', `pods "${name}" is forbidden: User "${user.name}" cannot get resource "pods/log" in API group "" in the namespace "${ns}"`);
      const pod = (await o.registry.get(PODS, ns, name)) as Pod;
      const names = pod.spec.containers.map((c) => c.name);
      const container = req.query.container ?? (names.length === 1 ? names[0]! : '');
      if (container === '') throw badRequest(`a container name must be specified for pod ${name}, choose one of: [${names.join(' ')}]`);
      if (!names.includes(container)) throw badRequest(`container ${container} is not valid for pod ${name}`);
      const nodeName = pod.spec.nodeName ?? '';
      if (nodeName === '') throw badRequest(`pod "${name}" has no node yet: there are no logs`);
      const node = (await o.registry.get(NODES, '', nodeName)) as Node;
      const params = new URLSearchParams();
      if (req.query.previous === 'true' || req.query.previous === '1') params.set('previous', 'true');
      if (req.query.tailBytes !== undefined && /^[0-9]{1,9}$/.test(req.query.tailBytes)) params.set('tailBytes', req.query.tailBytes);
      const qs = params.toString();
      const tls = o.agentClientTls?.() ?? null;
      const url = agentLogUrl(node, pod, container, qs === '' ? '' : `?${qs}`, tls !== null);
      let res: Response;
      try {
        res = await (url.startsWith('https:') && tls !== null ? tlsFetch(tls) : fetch)(url, { signal: AbortSignal.timeout(o.timeoutMs ?? 10_000) });
      } catch (e) {
        throw new ApiError(503, 'ServiceUnavailable', `cannot reach the agent of node "${nodeName}" at ${new URL(url).host}: ${e instanceof Error ? (e.cause instanceof Error ? e.cause.message : e.message) : String(e)}`);
      }
      const body = Buffer.from(await res.arrayBuffer());
      if (body.length > MAX_LOG_BYTES) throw new ApiError(500, 'InternalError', `the agent answered more than ${MAX_LOG_BYTES} bytes`);
      if (!res.ok) {
        const reason = res.status === 404 ? 'NotFound' : res.status === 403 ? 'Forbidden' : 'BadRequest';
        throw new ApiError(res.status === 403 ? 500 : res.status, res.status === 403 ? 'InternalError' : reason, `${body.toString('utf8').trim()}${res.status === 403 ? ` (agent of node "${nodeName}")` : ''}`);
      }
      return reply.type('text/plain; charset=utf-8').send(body);
    } catch (e) {
      if (e instanceof ApiError) return send(reply, e);
      throw e;
    }
  });
}
