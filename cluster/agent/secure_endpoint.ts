/**
 * The agent's TLS endpoint: the same routes as its plain listener (agent_http.ts)
 * over HTTPS with the certificate the cluster CA issued to this node at join, where
 * `/logs` needs the API server's client certificate (`logs: 'client-cert'`) and
 * `/metrics`, `/healthz` stay open for scraping. Its port is published on the Node as
 * the annotation `vigil.dev/agent-secure-port`, which the API server's log proxy
 * (cluster/api/pod_log.ts) prefers over the plain port. Plain HTTP to it gets a 400.
 */
import type { Server as HttpsServer } from 'node:https';
import Fastify, { type FastifyInstance } from 'fastify';
import { guardPlainHttp } from '../pki/plain_http_guard.js';
import { agentHttp } from './agent_http.js';
import { type ApiClient, NODES } from './api_client.js';
import type { NodeAgent } from './node_agent.js';

export const SECURE_PORT_ANNOTATION = 'vigil.dev/agent-secure-port';

export interface SecureEndpointOptions {
  client: ApiClient;
  nodeName: string;
  /** `host:port`; port 0 picks one. */
  listenAddress: string;
  /** PEM: the node's serving certificate and key, and the cluster CA (verifies client certificates). */
  cert: string;
  key: string;
  ca: string;
}

export interface SecureEndpoint {
  readonly port: number;
  close(): Promise<void>;
}

/** Starts the endpoint for `agent` (already started) and publishes its port on the Node. */
export async function startSecureEndpoint(agent: NodeAgent, o: SecureEndpointOptions): Promise<SecureEndpoint> {
  const [host = '127.0.0.1', portText = '0'] = o.listenAddress.split(/:(?=[0-9]+$)/);
  const app = Fastify({
    https: { cert: o.cert, key: o.key, ca: o.ca, requestCert: true, rejectUnauthorized: false },
    logger: false,
    forceCloseConnections: true,
  }) as unknown as FastifyInstance;
  guardPlainHttp(app.server as unknown as HttpsServer);
  await app.register(agentHttp, {
    logs: 'client-cert',
    metrics: agent.metrics,
    findPod: (ns, name) => [...agent.pods.values()].find((p) => p.pod.metadata.namespace === ns && p.pod.metadata.name === name),
  });
  await app.listen({ host: host.replace(/^\[|\]$/g, ''), port: Number(portText) });
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
  try {
    await o.client.patch(NODES, o.nodeName, { metadata: { annotations: { [SECURE_PORT_ANNOTATION]: String(port) } } });
  } catch (e) {
    await app.close();
    throw e;
  }
  return { port, close: () => app.close() };
}
