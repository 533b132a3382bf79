/**
 * `vigil_sd_configs`: the cluster manager's implementation of the scrape
 * discovery hook (scrape/discovery/cluster_discovery.ts). A discoverer keeps a
 * snapshot of the objects its role needs (nodes; pods; services; endpoints with
 * their services and pods), rebuilds every group when the snapshot changes
 * (coalesced: at most one rebuild per `debounceMs`) and reports the groups that
 * differ from the last report, plus an empty group for each object that went away.
 *
 * Two snapshot sources:
 * - local (no `server`, or the provider's own API): informers on the server's
 *   registry, so changes arrive through the store's watch at once;
 * - remote (`server` is another server's URL): the REST API through `ApiClient`,
 *   listed every `pollMs`.
 */
import type { ClusterDiscoveryOptions, ClusterDiscoveryProvider, ClusterRole } from '../scrape/discovery/cluster_discovery.js';
import type { Discoverer, TargetGroup, TargetGroupsHandler } from '../scrape/discovery/target_group.js';
import { ApiClient, ENDPOINTS as EP_REF, NODES as NODE_REF, PODS as POD_REF, SERVICES as SVC_REF } from './agent/api_client.js';
import type { ApiObject, Endpoints, Node, Pod, Service } from './api/objects.js';
import type { Registry } from './api/registry.js';
import type { ResourceInfo } from './api/resources.js';
import { endpointsGroup, nodeGroup, podGroup, serviceGroup } from './discovery_groups.js';
import { Informer, objectKey } from './controllers/informer.js';
import { ENDPOINTS, NODES, PODS, SERVICES } from './controllers/resources.js';

type Kind = 'nodes' | 'pods' | 'services' | 'endpoints';

/** The kinds each role reads. */
const KINDS: Readonly<Record<ClusterRole, readonly Kind[]>> = {
  node: ['nodes'],
  pod: ['pods'],
  service: ['services'],
  endpoints: ['endpoints', 'services', 'pods'],
};

/** Objects of the kinds a role needs, keyed `ns/name`. */
interface Snapshot {
  get(kind: Kind): readonly ApiObject[];
  find(kind: Kind, key: string): ApiObject | undefined;
}

/** Where a discoverer's objects come from. */
interface SnapshotSource extends Snapshot {
  /** Begins; `onChange` after the first full load and after every later change. */
  start(onChange: () => void, onError: (e: Error) => void): void;
  stop(): void;
}

const INFO: Readonly<Record<Kind, ResourceInfo>> = { nodes: NODES, pods: PODS, services: SERVICES, endpoints: ENDPOINTS };

/** Informers on the local registry, one per kind and namespace. */
class RegistrySource implements SnapshotSource {
  private readonly informers = new Map<Kind, Informer<ApiObject>[]>();
  constructor(registry: Registry, kinds: readonly Kind[], namespaces: readonly string[]) {
    for (const k of kinds) {
      const nss = k === 'nodes' || namespaces.length === 0 ? [''] : namespaces;
      this.informers.set(
        k,
        nss.map((ns) => new Informer<ApiObject>(registry, INFO[k], { namespace: ns })),
      );
    }
  }
  start(onChange: () => void, onError: (e: Error) => void): void {
    const all = [...this.informers.values()].flat();
    for (const i of all) i.addHandlers({ onAdd: onChange, onUpdate: onChange, onDelete: onChange });
    Promise.all(all.map((i) => i.start())).then(onChange, (e: unknown) => onError(e instanceof Error ? e : new Error(String(e))));
  }
  stop(): void {
    for (const l of this.informers.values()) for (const i of l) i.stop();
  }
  get(kind: Kind): readonly ApiObject[] {
    return (this.informers.get(kind) ?? []).flatMap((i) => i.list());
  }
  find(kind: Kind, key: string): ApiObject | undefined {
    for (const i of this.informers.get(kind) ?? []) {
      const o = i.get(key);
      if (o !== undefined) return o;
    }
    return undefined;
  }
}

/** Lists through another server's REST API every `pollMs`. */
class RemoteSource implements SnapshotSource {
  private objects = new Map<Kind, Map<string, ApiObject>>();
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  constructor(
    private readonly client: ApiClient,
    private readonly kinds: readonly Kind[],
    private readonly namespaces: readonly string[],
    private readonly pollMs: number,
  ) {}
  start(onChange: () => void, onError: (e: Error) => void): void {
    const poll = async (): Promise<void> => {
      try {
        const next = new Map<Kind, Map<string, ApiObject>>();
        for (const k of this.kinds) {
          const m = new Map<string, ApiObject>();
          const nss = k === 'nodes' || this.namespaces.length === 0 ? [''] : this.namespaces;
          for (const ns of nss) {
            const ref = k === 'nodes' ? NODE_REF : k === 'pods' ? POD_REF(ns) : k === 'services' ? SVC_REF(ns) : EP_REF(ns);
            for (const o of (await this.client.list<ApiObject>(ref)).items) m.set(objectKey(o), o);
          }
          next.set(k, m);
        }
        if (this.stopped) return;
        this.objects = next;
        onChange();
      } catch (e) {
        if (!this.stopped) onError(e instanceof Error ? e : new Error(String(e)));
      }
      if (!this.stopped) this.timer = setTimeout(() => void poll(), this.pollMs);
    };
    void poll();
  }
  stop(): void {
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
  }
  get(kind: Kind): readonly ApiObject[] {
    return [...(this.objects.get(kind)?.values() ?? [])];
  }
  find(kind: Kind, key: string): ApiObject | undefined {
    return this.objects.get(kind)?.get(key);
  }
}

/** Every group of `role` in a snapshot. */
export function groupsOf(role: ClusterRole, s: Snapshot): TargetGroup[] {
  switch (role) {
    case 'node':
      return (s.get('nodes') as Node[]).map(nodeGroup);
    case 'pod':
      return (s.get('pods') as Pod[]).map(podGroup);
    case 'service':
      return (s.get('services') as Service[]).map(serviceGroup);
    case 'endpoints':
      return (s.get('endpoints') as Endpoints[]).map((ep) =>
        endpointsGroup(ep, s.find('services', objectKey(ep)) as Service | undefined, (ns, name) => s.find('pods', `${ns}/${name}`) as Pod | undefined),
      );
  }
}

/** A discoverer over a snapshot source; reports only groups that changed. */
export class ClusterDiscoverer implements Discoverer {
  readonly mechanism = 'vigil';
  private last = new Map<string, string>();
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private first = true;
  constructor(
    private readonly role: ClusterRole,
    private readonly source: SnapshotSource,
    private readonly debounceMs: number,
  ) {}

  start(onUpdate: TargetGroupsHandler, onError: (err: Error) => void): void {
    const rebuild = (): void => {
      this.timer = null;
      if (this.stopped) return;
      const groups = groupsOf(this.role, this.source);
      const next = new Map<string, string>();
      const changed: TargetGroup[] = [];
      for (const g of groups) {
        if (g.targets.length === 0) continue;
        const text = JSON.stringify(g);
        next.set(g.source, text);
        if (this.last.get(g.source) !== text) changed.push(g);
      }
      for (const src of this.last.keys()) if (!next.has(src)) changed.push({ source: src, labels: {}, targets: [] });
      this.last = next;
      if (changed.length > 0 || this.first) onUpdate(changed);
      this.first = false;
    };
    this.source.start(() => {
      if (this.timer === null && !this.stopped) this.timer = setTimeout(rebuild, this.debounceMs);
    }, onError);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.source.stop();
  }
}

export interface ClusterDiscoveryProviderOptions {
  /** The local registry (the server's own cluster), used when a config names no `server`. */
  registry: Registry;
  /** URLs meaning "this server" (its own listen URL), also served from the registry. */
  localUrls?: () => readonly string[];
  /** Rebuild coalescing, ms. Default 200. */
  debounceMs?: number;
  /** Remote list period, ms. Default 15 000. */
  pollMs?: number;
}

/** The provider the cluster part registers with `registerClusterDiscovery`. */
export class VigilClusterDiscovery implements ClusterDiscoveryProvider {
  constructor(private readonly o: ClusterDiscoveryProviderOptions) {}

  discoverer(role: ClusterRole, opts: ClusterDiscoveryOptions): Discoverer {
    const kinds = KINDS[role];
    const server = (opts.server ?? '').replace(/\/+$/, '');
    const local = server === '' || (this.o.localUrls?.() ?? []).some((u) => u.replace(/\/+$/, '') === server);
    const source = local
      ? new RegistrySource(this.o.registry, kinds, opts.namespaces)
      : new RemoteSource(new ApiClient(server), kinds, opts.namespaces, this.o.pollMs ?? 15_000);
    return new ClusterDiscoverer(role, source, this.o.debounceMs ?? 200);
  }
}
