/**
 * `vigil agent`: runs the node agent for this machine against a cluster API server.
 *
 *   vigil agent --server URL [--token T] [--ca-cert-hash sha256:HEX] [--node-name N] [--data-dir D] [--labels k=v,...]
 *               [--capacity cpu=2,memory=4Gi] [--listen-address 127.0.0.1:10250]
 *               [--port-range 30000-32767] [--node-ip 127.0.0.1] [--proxy.bind-address 127.0.0.1]
 *               [--token-file FILE]
 *
 * `--token-file` holds the node's bearer token for the cluster API (a node
 * credential: user `system:node:<name>`); it is re-read on every request, so
 * it can be replaced while the agent runs.
 *
 * With an `https://` server the agent joins as kubeadm does (cluster/pki/agent_join.ts):
 * on the first start `--token` (a bootstrap token from `vigil ctl token create`) and
 * `--ca-cert-hash` pin the server's CA and buy the node's own credential, stored in
 * `<data dir>/node.conf` (0600) and reused on every later start. With an `http://`
 * server (no TLS: local tests, the server's own port) `--token` is optional and sent
 * as a bearer token as it is.
 *
 * SIGTERM/SIGINT stop the agent: its pods are stopped gracefully and the node is
 * reported not Ready.
 */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { hostname } from 'node:os';
import { UsageError, type Command, type ParsedArgs } from '../../cmd/cli.js';
import { isLogLevel, StructuredLogger } from '../../cmd/logger.js';
import { DurationError, parseDuration } from '../../tsdb/duration.js';
import { dns1123Subdomain, labelValue, qualifiedName } from '../api/names.js';
import { parseQuantity } from '../api/quantity.js';
import { JoinError, nodeCredentials } from '../pki/agent_join.js';
import { tlsFetch } from '../pki/tls_fetch.js';
import { ApiClient } from './api_client.js';
import { type SecureEndpoint, startSecureEndpoint } from './secure_endpoint.js';
import { machineCapacity, NodeAgent } from './node_agent.js';
import { parsePortRange, PortRangeError } from './ports.js';

/** Parses `k=v,k2=v2` (empty string = none); `what` names the flag in errors. */
export function parseKeyValues(s: string, what: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (s.trim() === '') return out;
  for (const part of s.split(',')) {
    const i = part.indexOf('=');
    if (i <= 0) throw new UsageError(`flag --${what}: expected key=value pairs separated by commas, got "${part}"`);
    out[part.slice(0, i).trim()] = part.slice(i + 1).trim();
  }
  return out;
}

/** Parses `--labels k=v,...` and checks keys and values as Kubernetes label syntax. */
export function parseLabels(s: string): Record<string, string> {
  const labels = parseKeyValues(s, 'labels');
  for (const [k, v] of Object.entries(labels)) {
    const errs = [...qualifiedName(k).map((e) => `key "${k}": ${e}`), ...labelValue(v).map((e) => `value "${v}" of "${k}": ${e}`)];
    if (errs.length > 0) throw new UsageError(`flag --labels: ${errs.join('; ')}`);
  }
  return labels;
}

/** Parses `--capacity cpu=2,memory=4Gi` over the machine's defaults. */
export function parseCapacity(s: string): Record<string, string> {
  const cap = machineCapacity();
  for (const [k, v] of Object.entries(parseKeyValues(s, 'capacity'))) {
    if (k !== 'cpu' && k !== 'memory' && k !== 'pods') throw new UsageError(`flag --capacity: unknown resource "${k}" (expected cpu, memory or pods)`);
    const q = parseQuantity(v);
    if (q === null || q < 0) throw new UsageError(`flag --capacity: ${k}="${v}" is not a quantity (e.g. cpu=2, memory=4Gi)`);
    cap[k] = v;
  }
  return cap;
}

const str = (a: ParsedArgs, k: string, d: string) => {
  const v = a.values.get(k);
  return typeof v === 'string' ? v : d;
};

export const agentCommand: Command = {
  path: ['agent'],
  summary: 'Run the node agent: register this machine and run the pods bound to it.',
  args: '',
  positionals: { min: 0, max: 0 },
  flags: [
    { name: 'server', kind: 'string', help: 'URL of the cluster API server.', placeholder: 'URL' },
    { name: 'token', kind: 'string', help: 'Bootstrap token (https server, first start) or bearer token (http server).', placeholder: 'TOKEN' },
    { name: 'ca-cert-hash', kind: 'string', help: "sha256:<hex> of the cluster CA's public key, printed by `vigil ctl token create` (https server, first start).", placeholder: 'HASH' },
    { name: 'node-name', kind: 'string', help: 'Name of this node.', default: 'the host name', placeholder: 'NAME' },
    { name: 'data-dir', kind: 'string', help: 'Directory for pod directories and logs.', default: 'data/agent', placeholder: 'DIR' },
    { name: 'labels', kind: 'string', help: 'Node labels, k=v,...', default: '', placeholder: 'LABELS' },
    { name: 'capacity', kind: 'string', help: 'Node capacity, e.g. cpu=2,memory=4Gi (default: the machine).', default: '', placeholder: 'RESOURCES' },
    { name: 'listen-address', kind: 'string', help: 'Address of the agent HTTP server (/metrics, logs).', default: '127.0.0.1:10250', placeholder: 'ADDR' },
    {
      name: 'secure-listen-address',
      kind: 'string',
      help: 'TLS endpoint of the agent (after joining an https server): /metrics, /healthz, and /logs for the API server only. Default: the --listen-address host, port 10251 (0 when that port is 0).',
      placeholder: 'ADDR',
    },
    { name: 'port-range', kind: 'string', help: 'Host ports handed to pods.', default: '30000-32767', placeholder: 'LOW-HIGH' },
    { name: 'node-ip', kind: 'string', help: "This node's address for other machines (Node InternalIP, pods' podIP).", default: '127.0.0.1', placeholder: 'IP' },
    { name: 'proxy.bind-address', kind: 'string', help: 'Address the Service proxies listen on.', default: '127.0.0.1', placeholder: 'IP' },
    { name: 'pod.drain-delay', kind: 'string', help: 'Time between taking a stopping pod out of Service endpoints and sending it SIGTERM (bounded by its grace period).', default: '1s', placeholder: 'DURATION' },
    { name: 'token-file', kind: 'string', help: "File holding this node's bearer token for the cluster API.", default: '', placeholder: 'FILE' },
    { name: 'log.level', kind: 'string', help: 'Only log messages with the given severity or above: debug, info, warn, error.', default: 'info', placeholder: 'LEVEL' },
  ],
  description:
    'Pods run as local process groups (or cgroup v2 groups where available; the start-up log says which). Fencing: when the agent cannot renew its node lease for failoverAfter − 3 s (the server\'s --cluster.failover-after, 10s by default, or the pod\'s vigil.dev/failover-after annotation), it stops those pods itself before the server recreates them elsewhere; once it reaches the server again it relists and runs what is still bound to it.',
  async run(a: ParsedArgs, io): Promise<number> {
    const server = str(a, 'server', '');
    if (server === '') throw new UsageError('flag --server is required (e.g. --server http://127.0.0.1:9090)');
    if (!/^https?:\/\//.test(server)) throw new UsageError(`flag --server: expected an http:// or https:// URL, got "${server}"`);
    const nodeName = str(a, 'node-name', hostname().toLowerCase());
    const nameErrors = dns1123Subdomain(nodeName);
    if (nameErrors.length > 0) throw new UsageError(`flag --node-name: "${nodeName}" is not a valid node name: ${nameErrors.join('; ')}`);
    const level = str(a, 'log.level', 'info');
    if (!isLogLevel(level)) throw new UsageError(`flag --log.level: expected debug, info, warn or error, got "${level}"`);
    let portRange: { low: number; high: number };
    try {
      portRange = parsePortRange(str(a, 'port-range', '30000-32767'));
    } catch (e) {
      if (e instanceof PortRangeError) throw new UsageError(`flag --port-range: ${e.message}`);
      throw e;
    }
    const nodeIP = str(a, 'node-ip', '127.0.0.1');
    if (isIP(nodeIP) === 0) throw new UsageError(`flag --node-ip: expected an IP address, got "${nodeIP}"`);
    let drainMs: number;
    try {
      drainMs = parseDuration(str(a, 'pod.drain-delay', '1s'));
    } catch (e) {
      if (e instanceof DurationError) throw new UsageError(`flag --pod.drain-delay: ${e.message}`);
      throw e;
    }
    const tokenFile = str(a, 'token-file', '');
    const readToken = (): string => readFileSync(tokenFile, 'utf8').trim();
    if (tokenFile !== '') {
      try {
        if (readToken() === '') throw new Error('the file is empty');
      } catch (e) {
        throw new UsageError(`flag --token-file: cannot read a token from ${tokenFile}: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    const logger = new StructuredLogger({ level });
    const dataDir = str(a, 'data-dir', 'data/agent');
    const token = str(a, 'token', '');
    let client: ApiClient;
    let agentTls: { cert: string; key: string; ca: string } | null = null;
    if (server.startsWith('https://')) {
      let creds: Awaited<ReturnType<typeof nodeCredentials>>;
      try {
        creds = await nodeCredentials({ server, bootstrapToken: token, caCertHash: str(a, 'ca-cert-hash', ''), nodeName, dataDir, nodeIP });
      } catch (e) {
        if (e instanceof JoinError) {
          io.err(`vigil agent: cannot join ${server}: ${e.message}`);
          return 1;
        }
        throw e;
      }
      const bearer = { authorization: `Bearer ${creds.creds.token}` };
      client = new ApiClient(creds.creds.server, { fetchImpl: tlsFetch({ ca: creds.creds.caCert }), headers: () => bearer });
      if (creds.creds.agentCert !== undefined && creds.creds.agentKey !== undefined) agentTls = { cert: creds.creds.agentCert, key: creds.creds.agentKey, ca: creds.creds.caCert };
      logger.info(creds.joined ? 'joined the cluster with the bootstrap token; credential stored' : 'using the stored node credential', { server: creds.creds.server, dataDir });
    } else {
      // Plain http: a bearer token from --token-file (re-read on every request, so it can be replaced) or --token.
      const bearer = (): string => (tokenFile !== '' ? readToken() : token);
      client = new ApiClient(server, tokenFile !== '' || token !== '' ? { headers: () => ({ authorization: `Bearer ${bearer()}` }) } : {});
    }
    const listenAddress = str(a, 'listen-address', '127.0.0.1:10250');
    const [listenHost = '127.0.0.1', listenPort = '10250'] = listenAddress.split(/:(?=[0-9]+$)/);
    const secureAddress = str(a, 'secure-listen-address', `${listenHost}:${listenPort === '0' ? 0 : 10251}`);
    const agent = new NodeAgent({
      client,
      // With a TLS endpoint, logs are served there only (to the API server).
      plainLogs: agentTls === null,
      nodeName,
      dataDir,
      labels: parseLabels(str(a, 'labels', '')),
      capacity: parseCapacity(str(a, 'capacity', '')),
      listenAddress,
      portRange,
      proxyBindAddress: str(a, 'proxy.bind-address', '127.0.0.1'),
      nodeIP,
      drainMs,
      logger,
    });
    try {
      await agent.start();
    } catch (e) {
      io.err(`vigil agent: cannot start: ${e instanceof Error ? e.message : String(e)}`);
      await agent.stop().catch(() => undefined);
      return 1;
    }
    let secure: SecureEndpoint | null = null;
    if (agentTls !== null) {
      try {
        secure = await startSecureEndpoint(agent, { client, nodeName, listenAddress: secureAddress, ...agentTls });
      } catch (e) {
        io.err(`vigil agent: cannot start the TLS endpoint on ${secureAddress}: ${e instanceof Error ? e.message : String(e)}`);
        await agent.stop().catch(() => undefined);
        return 1;
      }
    }
    logger.info('node agent running', { node: nodeName, server, port: agent.port, ...(secure !== null ? { securePort: secure.port } : {}) });
    await new Promise<void>((resolve) => {
      const done = () => resolve();
      process.once('SIGTERM', done);
      process.once('SIGINT', done);
    });
    logger.info('stopping node agent: stopping pods');
    await secure?.close();
    await agent.stop();
    return 0;
  },
};
