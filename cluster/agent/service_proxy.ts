/**
 * Services on this node, as kube-proxy's userspace mode did them: for every
 * port of every Service a TCP listener on `<bind address>:<service port>` that
 * hands each accepted connection to the next ready endpoint (round-robin) and
 * copies bytes both ways. A connection that cannot reach its endpoint is
 * retried on the next one (each endpoint at most once per connection), so a
 * backend that just went away costs a retry, not a failed request.
 *
 * Backends come from the Service's Endpoints (ready `addresses` only), minus
 * the pods this agent is terminating or knows to be not ready: the agent drops
 * them here before it sends SIGTERM, so no new connection reaches a stopping
 * pod even before the endpoints controller republishes.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';
import type { Endpoints, Service } from '../api/objects.js';

/** One endpoint of a Service port. `pod` is `namespace/name` when known. */
export interface Backend {
  host: string;
  port: number;
  pod: string;
}

export type ProxyLogger = (msg: string, fields: Record<string, unknown>) => void

/** A listener for one Service port. */
export class PortProxy {
  private backends: Backend[] = [];
  private next = 0;
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  /** Connections accepted / connections that found no reachable endpoint. */
  accepted = 0;
  failed = 0;

  constructor(
    readonly service: string,
    readonly bind: string,
    readonly port: number,
    private readonly log?: ProxyLogger,
  ) {
    this.server = createServer({ pauseOnConnect: true }, (client) => this.accept(client));
  }

  /** Starts listening; rejects when the port is taken. */
  listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen({ host: this.bind, port: this.port }, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
  }

  /** The bound port (useful with port 0 in tests). */
  get boundPort(): number {
    const a = this.server.address();
    return typeof a === 'object' && a !== null ? a.port : this.port;
  }

  setBackends(b: Backend[]): void {
    this.backends = b;
    if (this.next >= b.length) this.next = 0;
  }

  get currentBackends(): readonly Backend[] {
    return this.backends;
  }

  private accept(client: Socket): void {
    this.accepted++;
    this.sockets.add(client);
    client.on('close', () => this.sockets.delete(client));
    client.on('error', () => client.destroy());
    const list = this.backends;
    if (list.length === 0) {
      this.failed++;
      client.destroy();
      return;
    }
    const start = this.next % list.length;
    this.next = (start + 1) % list.length;
    this.tryBackend(client, list, start, 0);
  }

  private tryBackend(client: Socket, list: Backend[], start: number, attempt: number): void {
    if (client.destroyed) return;
    if (attempt >= list.length) {
      this.failed++;
      this.log?.('no endpoint of the service accepted the connection', { service: this.service, port: this.port, tried: attempt });
      client.destroy();
      return;
    }
    const b = list[(start + attempt) % list.length]!;
    const up = connect({ host: b.host, port: b.port });
    let connected = false;
    up.once('connect', () => {
      connected = true;
      this.sockets.add(up);
      up.on('close', () => this.sockets.delete(up));
      client.pipe(up);
      up.pipe(client);
      client.resume();
      up.on('error', () => client.destroy());
      client.on('close', () => up.destroy());
      up.on('close', () => client.end());
    });
    up.once('error', () => {
      if (connected) return;
      up.destroy();
      this.tryBackend(client, list, start, attempt + 1);
    });
  }

  /** Stops listening and cuts open connections. */
  close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** Annotation where the agent publishes a pod's host ports: JSON `{ "<port name or containerPort>": hostPort }`. */
export const HOST_PORTS_ANNOTATION = 'vigil.dev/host-ports';

/**
 * The ready backends of one Service port from its Endpoints: subsets whose port has the
 * Service port's name (or the only port when unnamed), minus pods `exclude` rejects.
 */
export function backendsFor(svcPortName: string | undefined, ep: Endpoints | undefined, exclude: (pod: string) => boolean): Backend[] {
  const out: Backend[] = [];
  for (const s of ep?.subsets ?? []) {
    const ports = s.ports ?? [];
    const p = ports.find((x) => (x.name ?? '') === (svcPortName ?? '')) ?? (ports.length === 1 ? ports[0] : undefined);
    if (p === undefined) continue;
    for (const a of s.addresses ?? []) {
      const pod = a.targetRef !== undefined ? `${a.targetRef.namespace}/${a.targetRef.name}` : '';
      if (pod !== '' && exclude(pod)) continue;
      out.push({ host: a.ip, port: p.port, pod });
    }
  }
  return out;
}

export interface ServiceProxierOptions {
  /** Address the listeners bind. Default 127.0.0.1. */
  bindAddress?: string;
  /** How often ports that could not be bound are tried again. Default 5000 ms. */
  rebindMs?: number;
  log?: ProxyLogger;
}

/** Keeps one PortProxy per Service port in line with the Services and Endpoints seen. */
export class ServiceProxier {
  private readonly services = new Map<string, Service>();
  private readonly endpoints = new Map<string, Endpoints>();
  private readonly proxies = new Map<string, PortProxy>();
  private readonly excluded = new Set<string>();
  private readonly unbound = new Set<string>();
  private syncing: Promise<void> = Promise.resolve();
  readonly bindAddress: string;

  private readonly rebindTimer: NodeJS.Timeout;

  constructor(private readonly o: ServiceProxierOptions = {}) {
    this.bindAddress = o.bindAddress ?? '127.0.0.1';
    this.rebindTimer = setInterval(() => {
      if (this.unbound.size > 0) void this.sync();
    }, o.rebindMs ?? 5000);
    this.rebindTimer.unref();
  }

  private static key(o: { metadata: { namespace?: string; name: string } }): string {
    return `${o.metadata.namespace ?? 'default'}/${o.metadata.name}`;
  }

  setService(s: Service | null, key = s === null ? '' : ServiceProxier.key(s)): Promise<void> {
    if (s === null) this.services.delete(key);
    else this.services.set(key, s);
    return this.sync();
  }

  setEndpoints(e: Endpoints | null, key = e === null ? '' : ServiceProxier.key(e)): Promise<void> {
    if (e === null) this.endpoints.delete(key);
    else this.endpoints.set(key, e);
    return this.sync();
  }

  /** Replaces everything (after a relist). */
  replaceAll(services: Service[] | null, endpoints: Endpoints[] | null): Promise<void> {
    if (services !== null) {
      this.services.clear();
      for (const s of services) this.services.set(ServiceProxier.key(s), s);
    }
    if (endpoints !== null) {
      this.endpoints.clear();
      for (const e of endpoints) this.endpoints.set(ServiceProxier.key(e), e);
    }
    return this.sync();
  }

  /** Drops (or restores) a pod `namespace/name` from every Service at once. */
  setPodExcluded(pod: string, excluded: boolean): void {
    const had = this.excluded.has(pod);
    if (excluded) this.excluded.add(pod);
    else this.excluded.delete(pod);
    if (had !== excluded) this.refreshBackends();
  }

  /** Every listening proxy. */
  all(): IterableIterator<PortProxy> {
    return this.proxies.values();
  }

  /** The proxy of a Service port (`namespace/name:port`), for tests and metrics. */
  proxy(key: string): PortProxy | undefined {
    return this.proxies.get(key);
  }

  private refreshBackends(): void {
    for (const [k, px] of this.proxies) {
      const svcKey = k.slice(0, k.lastIndexOf(':'));
      const svc = this.services.get(svcKey);
      const sp = svc?.spec.ports.find((p) => p.port === px.port);
      px.setBackends(backendsFor(sp?.name, this.endpoints.get(svcKey), (pod) => this.excluded.has(pod)));
    }
  }

  /** Opens listeners for new Service ports, closes ones for removed ports, refreshes backends. Serialised. */
  sync(): Promise<void> {
    this.syncing = this.syncing.then(() => this.syncOnce());
    return this.syncing;
  }

  private async syncOnce(): Promise<void> {
    const want = new Set<string>();
    for (const [k, s] of this.services) for (const p of s.spec.ports) want.add(`${k}:${p.port}`);
    for (const [k, px] of this.proxies) {
      if (want.has(k)) continue;
      this.proxies.delete(k);
      await px.close();
    }
    for (const k of want) {
      if (this.proxies.has(k)) continue;
      const port = Number(k.slice(k.lastIndexOf(':') + 1));
      const px = new PortProxy(k.slice(0, k.lastIndexOf(':')), this.bindAddress, port, this.o.log);
      try {
        await px.listen();
        this.proxies.set(k, px);
        this.unbound.delete(k);
      } catch (e) {
        // Retried on every sync, logged once: e.g. several agents on one machine share a bind address.
        if (!this.unbound.has(k))
          this.o.log?.('cannot listen for a service port (retried every few seconds; give each agent on one machine its own --proxy.bind-address)', {
            service: k,
            err: e instanceof Error ? e.message : String(e),
          });
        this.unbound.add(k);
      }
    }
    this.refreshBackends();
  }

  async close(): Promise<void> {
    clearInterval(this.rebindTimer);
    await this.syncing;
    for (const px of this.proxies.values()) await px.close();
    this.proxies.clear();
  }
}
