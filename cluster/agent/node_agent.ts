/**
 * The node agent: registers this machine's Node, renews its Lease
 * (`kube-node-lease/<node>`, every 2 s) and posts the Node's Ready condition,
 * watches the pods bound to the node and runs each with a PodSupervisor,
 * writes their status back through the `/status` subresource, finishes graceful
 * deletions (stop the processes, then delete the pod with grace 0, as the
 * kubelet does), runs the Service proxies, and serves `/metrics`, `/healthz`
 * and container logs.
 *
 * Fencing (fencing.ts): when the Lease cannot be renewed for a pod's
 * failoverAfter − 3 s, the agent stops that pod itself; the cluster default comes
 * from the Node annotation `vigil.dev/failover-after` (set by the control plane),
 * a pod's own from its annotation. After the next successful renewal it relists
 * its pods and runs those the API still binds here.
 *
 * ConfigMap and Secret volumes are kept current by polling the objects the
 * pods refer to (every `volumeRefreshMs`), not by watching all ConfigMaps and
 * Secrets: under the node authorizer a node may read only what its own pods use.
 * Each pod gets a service account token bound to it (`POST …/serviceaccounts/<sa>/token`),
 * written to `<pod dir>/serviceaccount/token` and renewed at half its lifetime.
 *
 * Container logs are served only to callers whose cluster API token may `get`
 * `pods/log` of the pod (asked of the API server, log_access.ts).
 *
 * Every pod's host ports are published in the annotation `vigil.dev/host-ports`
 * (JSON: port name or containerPort → host port) before the pod is reported
 * Ready, so the endpoints controller can resolve a Service's targetPort.
 */
import { mkdirSync } from 'node:fs';
import { cpus, hostname, totalmem } from 'node:os';
import Fastify, { type FastifyInstance } from 'fastify';
import type { ConfigMap, Endpoints, Lease, Node, Pod, ResourceList, Secret, Service } from '../api/objects.js';
import { DEFAULT_FAILOVER_AFTER_MS, NODE_FAILOVER_AFTER_ANNOTATION, parseFailoverAfter, podFailoverAfterMs } from '../failover/failover_after.js';
import { agentHttp } from './agent_http.js';
import { fenceDecision, LeaseFence } from './fencing.js';
import { type ApiClient, ApiClientError, CONFIGMAPS, ENDPOINTS, LEASES, NODES, PODS, SECRETS, SERVICES } from './api_client.js';
import type { PodInputs } from './env.js';
import { AgentMetrics } from './metrics.js';
import { reapOrphans } from './orphan_reaper.js';
import { LogAccess } from './log_access.js';
import { removePodDir, serviceAccountTokenPath } from './pod_dir.js';
import { PodSupervisor } from './pod_supervisor.js';
import { PortAllocator } from './ports.js';
import { detectIsolation, type IsolationMode } from './resources.js';
import type { RestartBackoffOptions } from './restart_backoff.js';
import { HOST_PORTS_ANNOTATION, ServiceProxier } from './service_proxy.js';
import { startUsageSampler } from './usage_sampler.js';

export interface AgentLogger {
  info(msg: string, fields?: Readonly<Record<string, unknown>>): void;
  warn(msg: string, fields?: Readonly<Record<string, unknown>>): void;
  error(msg: string, fields?: Readonly<Record<string, unknown>>): void;
}

export interface NodeAgentOptions {
  client: ApiClient;
  nodeName: string;
  dataDir: string;
  labels?: Record<string, string>;
  /** Default: this machine's cores and memory. */
  capacity?: ResourceList;
  /** `host:port` of the agent's HTTP server. Default 127.0.0.1:10250; port 0 picks one. */
  listenAddress?: string;
  /** Host ports for pods. Default 30000–32767. */
  portRange?: { low: number; high: number };
  /** The node's address as other machines reach it: Node InternalIP, pods' hostIP/podIP. Default 127.0.0.1. */
  nodeIP?: string;
  /** Where Service proxies listen. Default 127.0.0.1. */
  proxyBindAddress?: string;
  /** Lease renewal period. Default 2000 ms. */
  leaseRenewMs?: number;
  /** Lease duration written to the Lease. Default 10 s. */
  leaseDurationSeconds?: number;
  /** Node status (Ready heartbeat) period. Default 10 000 ms. */
  nodeStatusMs?: number;
  /** Delay between marking a terminating pod not Ready and SIGTERM (bounded by its grace). Default 1000 ms. */
  drainMs?: number;
  /** Force a mode instead of detecting it. */
  isolation?: IsolationMode;
  backoff?: RestartBackoffOptions;
  probeSecondMs?: number;
  logMaxBytes?: number;
  /** Usage sampling period (memory limit enforcement in process-group mode). Default 1000 ms. */
  sampleMs?: number;
  /** Serve /logs on the plain HTTP listener (false once the agent has its TLS endpoint: cluster/agent/secure_endpoint.ts). Default true. */
  plainLogs?: boolean;
  /** How often the ConfigMaps and Secrets pods mount are checked for changes (and tokens renewed). Default 5000 ms. */
  volumeRefreshMs?: number;
  logger?: AgentLogger;
  /** failoverAfter until the control plane's Node annotation says otherwise, ms. Default 10 000. */
  failoverAfterMs?: number;
  /** How often fencing is checked, ms. Default 250; 0 = no fencing. */
  fenceCheckMs?: number;
}

const NOP: AgentLogger = { info() {}, warn() {}, error() {} };
const iso = (ms = Date.now()) => new Date(ms).toISOString().replace(/\.[0-9]{3}Z$/, 'Z');
const podKey = (p: Pod) => `${p.metadata.namespace ?? 'default'}/${p.metadata.name}`;

/** The default capacity: every core and all memory of this machine. */
export function machineCapacity(): ResourceList {
  return { cpu: String(cpus().length), memory: String(totalmem()), pods: '110' };
}

export class NodeAgent {
  readonly isolation: IsolationMode;
  readonly proxier: ServiceProxier;
  readonly metrics: AgentMetrics;
  /** Supervised pods by uid. */
  readonly pods = new Map<string, PodSupervisor>();
  private readonly ports: PortAllocator;
  private readonly log: AgentLogger;
  private readonly abort = new AbortController();
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly lastStatus = new Map<string, string>();
  /** Pods whose host ports are published (the annotation precedes any status write after the ports exist). */
  private readonly published = new Set<string>();
  private readonly dirty = new Set<string>();
  private flushTimer: NodeJS.Timeout | null = null;
  private stopSampler: () => void = () => {};
  private server: FastifyInstance | null = null;
  private loops: Promise<void>[] = [];
  private refreshing = false;
  /** Service account tokens by pod uid, with the time (ms) after which they are renewed. */
  private readonly saTokens = new Map<string, { token: string; renewAtMs: number }>();
  /** Resource versions of the ConfigMaps/Secrets each pod (by uid) mounts, as last written. */
  private readonly sourceVersions = new Map<string, string>();
  /** Port the HTTP server listens on (after start). */
  port = 0;
  /** Renewal bookkeeping for fencing. */
  readonly fence = new LeaseFence(Date.now());
  /** The cluster default failoverAfter as last learned from the Node, ms. */
  failoverAfterMs: number;
  /** Aborts the current pod watch (a relist after a fence). */
  private podWatch = new AbortController();
  /** Fencing stops in progress. */
  private readonly fencing = new Set<Promise<void>>();

  constructor(private readonly o: NodeAgentOptions) {
    this.log = o.logger ?? NOP;
    this.failoverAfterMs = o.failoverAfterMs ?? DEFAULT_FAILOVER_AFTER_MS;
    this.isolation = o.isolation ?? detectIsolation();
    const range = o.portRange ?? { low: 30000, high: 32767 };
    this.ports = new PortAllocator(range.low, range.high);
    this.proxier = new ServiceProxier({
      ...(o.proxyBindAddress !== undefined ? { bindAddress: o.proxyBindAddress } : {}),
      log: (m, f) => this.log.warn(m, f),
    });
    this.metrics = new AgentMetrics(
      () => this.pods.values(),
      () => this.proxier.all(),
    );
  }

  private get client(): ApiClient {
    return this.o.client;
  }

  /** Registers the node, starts the lease, the HTTP server and the watches. */
  async start(): Promise<void> {
    this.log.info('node agent starting', { node: this.o.nodeName, isolation: this.isolation, dataDir: this.o.dataDir });
    if (this.isolation === 'process-group')
      this.log.info('cgroup v2 with cpu and memory controllers is not available (or not writable): pods run as process groups; memory limits are enforced by RSS watching, CPU limits are accounted but not enforced');
    else this.log.info('pods run in cgroup v2 groups under /sys/fs/cgroup/vigil with cpu.max and memory.max limits');
    mkdirSync(this.o.dataDir, { recursive: true });
    const reaped = reapOrphans(this.o.dataDir);
    if (reaped > 0) this.log.warn('killed container processes left by a previous agent run; their pods start again', { groups: reaped });
    const [host = '127.0.0.1', portText = '10250'] = (this.o.listenAddress ?? '127.0.0.1:10250').split(/:(?=[0-9]+$)/);
    this.server = Fastify();
    const logAccess = new LogAccess(this.client);
    await this.server.register(agentHttp, {
      logs: this.o.plainLogs === false ? 'off' : 'open',
      metrics: this.metrics,
      findPod: (ns, name) => [...this.pods.values()].find((p) => p.pod.metadata.namespace === ns && p.pod.metadata.name === name),
      logAccess: (authorization, ns, pod) => logAccess.check(authorization, ns, pod),
    });
    await this.server.listen({ host, port: Number(portText) });
    const addr = this.server.server.address();
    this.port = typeof addr === 'object' && addr !== null ? addr.port : Number(portText);
    await this.registerNode();
    await this.renewLease();
    this.timers.push(setInterval(() => void this.renewLease(), this.o.leaseRenewMs ?? 2000));
    this.timers.push(setInterval(() => void this.postNodeStatus(true), this.o.nodeStatusMs ?? 10_000));
    const fenceMs = this.o.fenceCheckMs ?? 250;
    if (fenceMs > 0) this.timers.push(setInterval(() => this.checkFence(), fenceMs));
    this.stopSampler = startUsageSampler(() => this.pods.values(), this.o.sampleMs ?? 1000);
    this.loops = [this.watchPods(this.podWatch.signal), this.watchServices(), this.watchEndpoints()];
    this.timers.push(setInterval(() => void this.refreshVolumeSources(), this.o.volumeRefreshMs ?? 5000));
  }

  // ------------------------------------------------------------ node and lease

  private readyTransition: { ready: boolean; at: string } | null = null;

  private nodeStatus(ready: boolean): Node['status'] {
    if (this.readyTransition === null || this.readyTransition.ready !== ready) this.readyTransition = { ready, at: iso() };
    const capacity = this.o.capacity ?? machineCapacity();
    return {
      capacity,
      allocatable: { ...capacity },
      conditions: [
        {
          type: 'Ready',
          status: ready ? 'True' : 'False',
          reason: ready ? 'AgentReady' : 'AgentStopped',
          message: ready ? 'vigil agent is posting ready status' : 'vigil agent stopped',
          lastHeartbeatTime: iso(),
          lastTransitionTime: this.readyTransition.at,
        },
      ],
      addresses: [
        { type: 'InternalIP', address: this.o.nodeIP ?? '127.0.0.1' },
        { type: 'Hostname', address: hostname() },
      ],
      daemonEndpoints: { agentEndpoint: { Port: this.port } },
      nodeInfo: { agentVersion: 'vigil', isolation: this.isolation, operatingSystem: process.platform, architecture: process.arch },
    };
  }

  private async registerNode(): Promise<void> {
    const name = this.o.nodeName;
    const existing = await this.client.tryGet<Node>(NODES, name);
    if (existing !== null) this.learnFailoverAfter(existing);
    if (existing === null) {
      await this.client.create<Node>(NODES, { apiVersion: 'v1', kind: 'Node', metadata: { name, labels: { 'kubernetes.io/hostname': name, ...this.o.labels } }, spec: {} });
      this.log.info('registered node', { node: name });
    } else if (this.o.labels !== undefined && Object.keys(this.o.labels).length > 0) {
      await this.client.patch<Node>(NODES, name, { metadata: { labels: this.o.labels } });
    }
    await this.postNodeStatus(true);
  }

  /** Takes the cluster default failoverAfter from the Node's annotation (set by the control plane). */
  private learnFailoverAfter(n: Node): void {
    const v = parseFailoverAfter(n.metadata.annotations?.[NODE_FAILOVER_AFTER_ANNOTATION]);
    if (v !== null && v !== this.failoverAfterMs) {
      this.log.info('failoverAfter from the control plane', { node: this.o.nodeName, failoverAfterMs: v });
      this.failoverAfterMs = v;
    }
  }

  private async postNodeStatus(ready: boolean): Promise<void> {
    try {
      this.learnFailoverAfter(await this.client.patchStatus<Node>(NODES, this.o.nodeName, { status: this.nodeStatus(ready) }));
    } catch (e) {
      this.log.warn('cannot post node status', { err: e instanceof Error ? e.message : String(e) });
    }
  }

  private async renewLease(): Promise<void> {
    const ref = LEASES('kube-node-lease');
    const name = this.o.nodeName;
    // Fencing counts from when the renewal was sent: the control plane cannot have seen it earlier.
    const sentAt = Date.now();
    const spec = { holderIdentity: name, leaseDurationSeconds: this.o.leaseDurationSeconds ?? 10, renewTime: new Date(sentAt).toISOString() };
    try {
      await this.client.patch<Lease>(ref, name, { spec });
      this.renewed(sentAt);
    } catch (e) {
      if (e instanceof ApiClientError && e.status === 404) {
        try {
          await this.client.create<Lease>(ref, { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name, namespace: 'kube-node-lease' }, spec: { ...spec, acquireTime: spec.renewTime } });
          this.renewed(sentAt);
        } catch (e2) {
          this.log.warn('cannot create the node lease', { err: e2 instanceof Error ? e2.message : String(e2) });
        }
        return;
      }
      this.log.warn('cannot renew the node lease', { err: e instanceof Error ? e.message : String(e) });
    }
  }

  // ------------------------------------------------------------ fencing

  private renewed(sentAt: number): void {
    if (!this.fence.renewed(sentAt) || this.abort.signal.aborted) return;
    // The fence ends: once the fenced pods are down, relist, so pods the API still binds here
    // run again and failed-over ones stay stopped.
    this.log.warn('lease renewed again after fencing; relisting pods', { node: this.o.nodeName });
    const fenced = [...this.fencing];
    this.podWatch.abort();
    const next = new AbortController();
    this.podWatch = next;
    this.loops.push(
      Promise.allSettled(fenced).then(() => {
        if (!next.signal.aborted) return this.watchPods(next.signal);
      }),
    );
  }

  /** The fence decision for one pod now. */
  private fenceFor(p: Pod, silentMs: number) {
    return fenceDecision(silentMs, podFailoverAfterMs(p, this.failoverAfterMs), p.spec.terminationGracePeriodSeconds ?? 30);
  }

  /** Stops every pod whose fencing deadline passed. */
  private checkFence(): void {
    const silent = this.fence.silentMs(Date.now());
    for (const sup of this.pods.values()) {
      if (sup.terminating) continue;
      const d = this.fenceFor(sup.pod, silent);
      if (!d.fence) continue;
      this.fence.markFenced();
      this.log.warn('cannot renew the node lease: fencing the pod before the control plane fails it over', { pod: podKey(sup.pod), silentMs: silent, graceSeconds: d.graceSeconds });
      const f = this.finish(sup, false, d.graceSeconds).finally(() => this.fencing.delete(f));
      this.fencing.add(f);
    }
  }

  // ------------------------------------------------------------ pods

  private async watchPods(signal: AbortSignal): Promise<void> {
    const all = new AbortController();
    const stop = () => all.abort();
    signal.addEventListener('abort', stop, { once: true });
    this.abort.signal.addEventListener('abort', stop, { once: true });
    const it = this.client.watch<Pod>(PODS(''), { fieldSelector: `spec.nodeName=${this.o.nodeName}`, signal: all.signal });
    for await (const ev of it) {
      if (ev.type === 'SYNC') {
        const seen = new Set<string>();
        for (const p of ev.items) {
          seen.add(p.metadata.uid ?? '');
          this.onPod(p);
        }
        for (const [uid, sup] of this.pods) if (!seen.has(uid)) void this.finish(sup, false);
      } else if (ev.object !== null) {
        if (ev.type === 'DELETED') {
          const sup = this.pods.get(ev.object.metadata.uid ?? '');
          if (sup !== undefined) void this.finish(sup, false);
        } else this.onPod(ev.object);
      }
    }
  }

  private onPod(p: Pod): void {
    const uid = p.metadata.uid ?? '';
    let sup = this.pods.get(uid);
    if (sup !== undefined) sup.pod = p;
    const deleting = p.metadata.deletionTimestamp !== undefined;
    if (sup === undefined) {
      if (deleting) {
        // Nothing runs here for it: finish the deletion.
        void this.client.delete(PODS(p.metadata.namespace), p.metadata.name, 0).catch(() => undefined);
        return;
      }
      if (p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed') return;
      // Fenced: nothing starts until the lease is renewed again (then a relist brings it back).
      if (this.fenceFor(p, this.fence.silentMs(Date.now())).fence) return;
      sup = this.newSupervisor(p);
      this.pods.set(uid, sup);
      this.log.info('starting pod', { pod: podKey(p), uid });
      const s = sup;
      void s.start().catch((e) => this.log.error('BUG: pod start threw', { pod: podKey(p), err: e instanceof Error ? e.message : String(e) }));
      return;
    }
    if (deleting && !sup.terminating) void this.finish(sup, true);
  }

  private newSupervisor(p: Pod): PodSupervisor {
    const o = this.o;
    return new PodSupervisor(p, {
      dataDir: o.dataDir,
      ports: this.ports,
      isolation: this.isolation,
      loadInputs: (pod) => this.loadInputs(pod),
      hostIP: o.nodeIP ?? '127.0.0.1',
      onChange: (s) => this.onPodChange(s),
      onProbeResult: (container, kind, ok) => this.metrics.recordProbe(p.metadata.namespace ?? 'default', p.metadata.name, container, kind, ok),
      log: (m, f) => this.log.info(m, f),
      ...(o.backoff !== undefined ? { backoff: o.backoff } : {}),
      ...(o.probeSecondMs !== undefined ? { probeSecondMs: o.probeSecondMs } : {}),
      ...(o.logMaxBytes !== undefined ? { logMaxBytes: o.logMaxBytes } : {}),
    });
  }

  /** Stops a pod (graceful unless it vanished from the API) and, if it is still there, deletes it with grace 0. */
  private async finish(sup: PodSupervisor, inApi: boolean, fenceGraceSeconds?: number): Promise<void> {
    if (sup.terminating) return;
    const p = sup.pod;
    const grace = fenceGraceSeconds ?? p.metadata.deletionGracePeriodSeconds ?? p.spec.terminationGracePeriodSeconds ?? 30;
    this.log.info('stopping pod', { pod: podKey(p), graceSeconds: grace });
    await sup.terminate(grace, fenceGraceSeconds !== undefined ? 0 : (this.o.drainMs ?? 1000));
    await this.flush();
    const uid = p.metadata.uid ?? '';
    if (inApi) {
      try {
        await this.client.delete(PODS(p.metadata.namespace), p.metadata.name, 0);
      } catch (e) {
        if (!(e instanceof ApiClientError && e.status === 404)) this.log.warn('cannot finish the pod deletion', { pod: podKey(p), err: e instanceof Error ? e.message : String(e) });
      }
    }
    this.pods.delete(uid);
    this.saTokens.delete(uid);
    this.sourceVersions.delete(uid);
    this.lastStatus.delete(uid);
    this.published.delete(uid);
    this.proxier.setPodExcluded(podKey(p), false);
    this.metrics.forgetPod(p.metadata.namespace ?? 'default', p.metadata.name);
    removePodDir(this.o.dataDir, p);
  }

  private async loadInputs(p: Pod): Promise<PodInputs> {
    const ns = p.metadata.namespace ?? 'default';
    const cmNames = new Set<string>();
    const secretNames = new Set<string>();
    for (const v of p.spec.volumes ?? []) {
      if (v.configMap) cmNames.add(v.configMap.name);
      if (v.secret) secretNames.add(v.secret.secretName);
    }
    for (const c of p.spec.containers)
      for (const e of c.env ?? []) {
        if (e.valueFrom?.configMapKeyRef) cmNames.add(e.valueFrom.configMapKeyRef.name);
        if (e.valueFrom?.secretKeyRef) secretNames.add(e.valueFrom.secretKeyRef.name);
      }
    const configMaps = new Map<string, ConfigMap>();
    const secrets = new Map<string, Secret>();
    for (const n of cmNames) {
      const cm = await this.client.tryGet<ConfigMap>(CONFIGMAPS(ns), n);
      if (cm !== null) configMaps.set(n, cm);
    }
    for (const n of secretNames) {
      const s = await this.client.tryGet<Secret>(SECRETS(ns), n);
      if (s !== null) secrets.set(n, s);
    }
    const services = (await this.client.list<Service>(SERVICES(ns))).items;
    const token = p.spec.automountServiceAccountToken === false ? '' : await this.serviceAccountToken(p);
    return {
      configMaps,
      secrets,
      services,
      serviceHost: this.proxier.bindAddress === '0.0.0.0' ? '127.0.0.1' : this.proxier.bindAddress,
      ...(token !== '' ? { serviceAccountToken: token, serviceAccountTokenFile: serviceAccountTokenPath(this.o.dataDir, p) } : {}),
    };
  }

  /**
   * A token for the pod's service account, bound to the pod (cached; renewed at half its
   * lifetime). '' when the server gives none (no such service account, token requests
   * not enabled): the pod then runs without a token, and the next refresh tries again.
   */
  private async serviceAccountToken(p: Pod): Promise<string> {
    const uid = p.metadata.uid ?? '';
    const cached = this.saTokens.get(uid);
    if (cached !== undefined && Date.now() < cached.renewAtMs) return cached.token;
    if (uid === '') return '';
    const ns = p.metadata.namespace ?? 'default';
    const sa = p.spec.serviceAccountName !== undefined && p.spec.serviceAccountName !== '' ? p.spec.serviceAccountName : 'default';
    const ref = { prefix: '/api/v1', resource: `serviceaccounts/${encodeURIComponent(sa)}/token`, namespace: ns };
    const body = { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', metadata: { name: sa }, spec: { expirationSeconds: 3600, boundObjectRef: { kind: 'Pod', name: p.metadata.name, uid } } };
    try {
      const tr = (await this.client.create(ref, body)) as unknown as { status?: { token?: unknown; expirationTimestamp?: unknown } };
      const token = typeof tr.status?.token === 'string' ? tr.status.token : '';
      const expires = typeof tr.status?.expirationTimestamp === 'string' ? Date.parse(tr.status.expirationTimestamp) : Number.NaN;
      const now = Date.now();
      if (token !== '') this.saTokens.set(uid, { token, renewAtMs: Number.isNaN(expires) ? now + 1_800_000 : now + (expires - now) / 2 });
      return token;
    } catch (e) {
      // Retried a minute later (and logged once per pod), not on every refresh tick.
      if (cached === undefined) this.log.warn('no service account token for the pod', { pod: podKey(p), serviceAccount: sa, err: e instanceof Error ? e.message : String(e) });
      this.saTokens.set(uid, { token: cached?.token ?? '', renewAtMs: Date.now() + 60_000 });
      return cached?.token ?? '';
    }
  }

  /** Writes the host-ports annotation; false when the write failed (retried with the next flush). */
  private async publishPorts(sup: PodSupervisor): Promise<boolean> {
    const ports: Record<string, number> = {};
    sup.pod.spec.containers.forEach((c, ci) => {
      (c.ports ?? []).forEach((p, pi) => {
        const hp = sup.hostPorts[ci]?.[pi];
        if (hp === undefined) return;
        if (p.name) ports[p.name] = hp;
        if (p.containerPort) ports[String(p.containerPort)] = hp;
      });
    });
    if (Object.keys(ports).length === 0) return true;
    const p = sup.pod;
    try {
      await this.client.patch<Pod>(PODS(p.metadata.namespace), p.metadata.name, { metadata: { uid: p.metadata.uid, annotations: { [HOST_PORTS_ANNOTATION]: JSON.stringify(ports) } } });
      return true;
    } catch (e) {
      this.log.warn('cannot publish the pod host ports', { pod: podKey(p), err: e instanceof Error ? e.message : String(e) });
      return false;
    }
  }

  private onPodChange(sup: PodSupervisor): void {
    // Locally, a pod leaves the Service proxies the moment it is not Ready (terminating included).
    this.proxier.setPodExcluded(podKey(sup.pod), !sup.ready);
    this.dirty.add(sup.pod.metadata.uid ?? '');
    if (this.flushTimer === null) this.flushTimer = setTimeout(() => void this.flush(), 10);
  }

  /** Writes the changed pod statuses. */
  async flush(): Promise<void> {
    if (this.flushTimer !== null) clearTimeout(this.flushTimer);
    this.flushTimer = null;
    const uids = [...this.dirty];
    this.dirty.clear();
    for (const uid of uids) {
      const sup = this.pods.get(uid);
      if (sup === undefined) continue;
      if (!this.published.has(uid) && sup.runners.length > 0) {
        if (!(await this.publishPorts(sup))) {
          this.dirty.add(uid);
          continue;
        }
        this.published.add(uid);
      }
      const status = sup.status();
      const text = JSON.stringify(status);
      if (this.lastStatus.get(uid) === text) continue;
      const p = sup.pod;
      try {
        await this.client.patchStatus<Pod>(PODS(p.metadata.namespace), p.metadata.name, { metadata: { uid }, status });
        this.lastStatus.set(uid, text);
      } catch (e) {
        if (e instanceof ApiClientError && (e.status === 404 || e.status === 409)) continue;
        this.log.warn('cannot write pod status', { pod: podKey(p), err: e instanceof Error ? e.message : String(e) });
        this.dirty.add(uid);
      }
    }
    if (this.dirty.size > 0 && this.flushTimer === null && !this.abort.signal.aborted) this.flushTimer = setTimeout(() => void this.flush(), 1000);
  }

  /**
   * Rewrites the volume files of local pods whose ConfigMaps or Secrets changed, or whose
   * service account token is due for renewal: one GET per referenced object per tick.
   */
  private async refreshVolumeSources(): Promise<void> {
    if (this.refreshing || this.abort.signal.aborted) return;
    this.refreshing = true;
    try {
      const versions = new Map<string, string>();
      const now = Date.now();
      for (const sup of [...this.pods.values()]) {
        const p = sup.pod;
        const uid = p.metadata.uid ?? '';
        const ns = p.metadata.namespace ?? 'default';
        const parts: string[] = [];
        for (const v of p.spec.volumes ?? []) {
          const kind = v.configMap !== undefined ? 'cm' : v.secret !== undefined ? 'secret' : '';
          if (kind === '') continue;
          const name = v.configMap?.name ?? v.secret?.secretName ?? '';
          const key = `${kind}/${ns}/${name}`;
          let rv = versions.get(key);
          if (rv === undefined) {
            const obj = await this.client.tryGet<ConfigMap | Secret>(kind === 'cm' ? CONFIGMAPS(ns) : SECRETS(ns), name).catch(() => undefined);
            rv = obj === undefined ? '?' : (obj?.metadata.resourceVersion ?? '-');
            versions.set(key, rv);
          }
          parts.push(`${key}@${rv}`);
        }
        const sig = parts.join(',');
        const tokenDue = p.spec.automountServiceAccountToken !== false && (this.saTokens.get(uid)?.renewAtMs ?? 0) <= now;
        const prev = this.sourceVersions.get(uid);
        if (sig.includes('@?') && !tokenDue) continue; // could not read a source: try again next tick
        this.sourceVersions.set(uid, sig);
        if (prev !== sig || tokenDue) await sup.refreshVolumes();
      }
    } finally {
      this.refreshing = false;
    }
  }

  // ------------------------------------------------------------ services

  private async watchServices(): Promise<void> {
    for await (const ev of this.client.watch<Service>(SERVICES(''), { signal: this.abort.signal })) {
      if (ev.type === 'SYNC') await this.proxier.replaceAll([...ev.items], null);
      else if (ev.object !== null) await this.proxier.setService(ev.type === 'DELETED' ? null : ev.object, `${ev.object.metadata.namespace}/${ev.object.metadata.name}`);
    }
  }

  private async watchEndpoints(): Promise<void> {
    for await (const ev of this.client.watch<Endpoints>(ENDPOINTS(''), { signal: this.abort.signal })) {
      if (ev.type === 'SYNC') await this.proxier.replaceAll(null, [...ev.items]);
      else if (ev.object !== null) await this.proxier.setEndpoints(ev.type === 'DELETED' ? null : ev.object, `${ev.object.metadata.namespace}/${ev.object.metadata.name}`);
    }
  }

  /**
   * Stops the agent: stops watching, stops every pod gracefully (their deletion is left to
   * the control plane), reports the node not Ready, closes the proxies and the HTTP server.
   */
  async stop(): Promise<void> {
    this.abort.abort();
    for (const t of this.timers) clearInterval(t);
    this.stopSampler();
    await Promise.all([...this.pods.values()].map((s) => s.terminate(s.pod.spec.terminationGracePeriodSeconds ?? 30)));
    await this.flush();
    if (this.flushTimer !== null) clearTimeout(this.flushTimer);
    await this.postNodeStatus(false);
    await Promise.allSettled(this.loops);
    await this.proxier.close();
    await this.server?.close();
  }
}
