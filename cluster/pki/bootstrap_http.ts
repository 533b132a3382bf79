/**
 * The two public routes of node bootstrap, on the cluster API's TLS listener only
 * (cluster_tls.ts), outside `/api` on purpose — they answer callers that have no
 * credential yet:
 *
 *   GET  /bootstrap/v1/cluster-info   {kind: ClusterInfo, caCert: PEM}: the CA, public
 *                                     (the agent checks its hash against --ca-cert-hash
 *                                     before trusting it, as kubeadm's discovery does)
 *   POST /bootstrap/v1/join           `Authorization: Bearer <bootstrap token>`, body
 *                                     {nodeName, nodeIP?}: a valid, unexpired token gets
 *                                     {kind: NodeCredential, nodeName, token, caCert,
 *                                     agentCert, agentKey} (the last two: the serving
 *                                     certificate of the agent's TLS endpoint, for the node
 *                                     name, nodeIP and loopback);
 *                                     anything else 401 (the reason goes to the server log only)
 */
import type { FastifyInstance } from 'fastify';
import { dns1123Subdomain } from '../api/names.js';
import type { Registry } from '../api/registry.js';
import { isIP } from 'node:net';
import { checkBootstrapToken } from './bootstrap_token.js';
import type { CertAndKey } from './ca.js';

export interface BootstrapRoutesOptions {
  registry: Registry;
  caCertPem: string;
  /** The node's own credential (a bearer token the authenticator maps to `system:node:<name>`). */
  issueNodeCredential: (nodeName: string) => Promise<string>;
  /** The serving certificate of a node agent's TLS endpoint. */
  issueAgentCert?: (nodeName: string, nodeIP: string) => CertAndKey;
  /** Clock (ms). Default Date.now. */
  now?: () => number;
  logger?: { info(msg: string, f?: Record<string, unknown>): void; warn(msg: string, f?: Record<string, unknown>): void };
}

const status = (code: number, reason: string, message: string) => ({ kind: 'Status', apiVersion: 'v1', status: 'Failure', code, reason, message });

export async function bootstrapRoutes(app: FastifyInstance, o: BootstrapRoutesOptions): Promise<void> {
  const now = o.now ?? Date.now;
  app.get('/bootstrap/v1/cluster-info', async () => ({ kind: 'ClusterInfo', apiVersion: 'bootstrap.vigil.dev/v1', caCert: o.caCertPem }));
  app.post('/bootstrap/v1/join', { bodyLimit: 16 * 1024 }, async (req, reply) => {
    const auth = String(req.headers.authorization ?? '');
    const token = auth.startsWith('Bearer ') ? auth.slice(7).trim() : '';
    const body = (typeof req.body === 'object' && req.body !== null ? req.body : {}) as { nodeName?: unknown; nodeIP?: unknown };
    const nodeName = typeof body.nodeName === 'string' ? body.nodeName : '';
    const nodeIP = typeof body.nodeIP === 'string' ? body.nodeIP : '';
    if (nodeIP !== '' && isIP(nodeIP) === 0) return reply.code(400).send(status(400, 'BadRequest', `nodeIP: ${JSON.stringify(nodeIP)} is not an IP address`));
    const errs = dns1123Subdomain(nodeName);
    if (nodeName === '' || errs.length > 0) return reply.code(400).send(status(400, 'BadRequest', `nodeName: ${JSON.stringify(nodeName)} is not a valid node name: ${errs.join('; ') || 'empty'}`));
    const check = await checkBootstrapToken(o.registry, token, now());
    if (!check.ok) {
      o.logger?.warn('node join refused', { node: nodeName, remote: req.ip, reason: token === '' ? 'no bootstrap token' : check.reason });
      return reply.code(401).send(status(401, 'Unauthorized', 'the bootstrap token is missing, unknown or expired'));
    }
    const credential = await o.issueNodeCredential(nodeName);
    const agent = o.issueAgentCert?.(nodeName, nodeIP);
    o.logger?.info('node joined with a bootstrap token', { node: nodeName, tokenId: check.id, remote: req.ip });
    return {
      kind: 'NodeCredential',
      apiVersion: 'bootstrap.vigil.dev/v1',
      nodeName,
      token: credential,
      caCert: o.caCertPem,
      ...(agent !== undefined ? { agentCert: agent.certPem, agentKey: agent.keyPem } : {}),
    };
  });
}
