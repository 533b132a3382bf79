/**
 * Endpoints controller: for every Service with a selector, an Endpoints object
 * of the same name listing the pods the selector picks:
 * - a pod is listed once bound to a node and not finished; Ready pods go to
 *   `addresses`, the others to `notReadyAddresses` (so the proxies never use
 *   them); a pod with a `deletionTimestamp` is dropped at once (before the
 *   agent stops it, so rolling updates drop no connections);
 * - the address is the pod's `status.podIP` (the node's address: pods share
 *   the node's network), else its `status.hostIP`, else 127.0.0.1;
 * - the port of each Service port comes from the pod: Vigil pods listen on
 *   ports the agent allocates, which it publishes in the annotation
 *   `vigil.dev/host-ports` (JSON `{ "<port name>" | "<containerPort>": hostPort }`).
 *   A named `targetPort` is looked up by name; a numeric one by its number,
 *   falling back to the number itself when the pod declares a fixed port;
 *   with no `targetPort` the Service `port` is used the same way. A pod
 *   without the port (not yet published) is left out until it has it.
 *
 * Canary pattern (no object of its own, as in Kubernetes): two Deployments whose
 * pods share the label the Service selects (`app: web`) and differ in another
 * (`track: stable` / `track: canary`). The Endpoints list the Ready pods of
 * both, so the proxies' round-robin sends each Deployment a share of the
 * connections equal to its share of Ready replicas (3 stable + 1 canary ≈ 25 %
 * to the canary). Promote by updating the stable Deployment's template and
 * scaling the canary to 0; abort by scaling the canary to 0 alone.
 *
 * Each pod gets its own subset, since every pod listens on its own ports.
 * Subsets are ordered by pod name, so the object changes only when the set
 * changes. Services without a selector keep hand-written Endpoints.
 */
import { ApiError } from '../api/api_error.js';
import type { EndpointAddress, EndpointPort, EndpointSubset, Endpoints, Pod, Service, ServicePort } from '../api/objects.js';
import type { Registry } from '../api/registry.js';
import { selectorFromMap } from '../api/label_selector.js';
import { Controller, type ControllerLogger, type SyncResult } from './controller.js';
import { type Informer, objectKey, splitKey } from './informer.js';
import { isPodReady } from './pod_state.js';
import { ENDPOINTS, PODS, SERVICES } from './resources.js';

/** Annotation where node agents publish a pod's allocated ports (see cluster/agent/service_proxy.ts). */
export const HOST_PORTS_ANNOTATION = 'vigil.dev/host-ports';

/** The pod's published ports, or an empty map when absent or malformed. */
export function publishedPorts(p: Pod): Map<string, number> {
  const raw = p.metadata.annotations?.[HOST_PORTS_ANNOTATION];
  const m = new Map<string, number>();
  if (raw === undefined) return m;
  try {
    const v = JSON.parse(raw) as unknown;
    if (typeof v === 'object' && v !== null) for (const [k, n] of Object.entries(v)) if (typeof n === 'number' && Number.isInteger(n) && n > 0 && n < 65536) m.set(k, n);
  } catch {
    // A malformed annotation publishes nothing; the pod stays out of the Endpoints.
  }
  return m;
}

/** The port a pod serves a Service port on; null when it has none (yet). */
export function resolvePodPort(p: Pod, sp: ServicePort): number | null {
  const target = sp.targetPort ?? sp.port;
  const published = publishedPorts(p);
  if (typeof target === 'string' && !/^[0-9]+$/.test(target)) return published.get(target) ?? null;
  const n = Number(target);
  const hit = published.get(String(n));
  if (hit !== undefined) return hit;
  // A fixed containerPort the process listens on directly.
  for (const c of p.spec.containers) for (const cp of c.ports ?? []) if (cp.containerPort === n) return n;
  return null;
}

function address(p: Pod): EndpointAddress {
  return {
    ip: p.status?.podIP ?? p.status?.hostIP ?? '127.0.0.1',
    ...(p.spec.nodeName ? { nodeName: p.spec.nodeName } : {}),
    targetRef: { kind: 'Pod', namespace: p.metadata.namespace ?? 'default', name: p.metadata.name, uid: p.metadata.uid ?? '' },
  };
}

/** The subsets for `svc` over the namespace's `pods` (pure; exported for tests and the discovery). */
export function endpointSubsets(svc: Service, pods: readonly Pod[]): EndpointSubset[] {
  const sel = selectorFromMap(svc.spec.selector);
  const out: EndpointSubset[] = [];
  const sorted = pods.filter((p) => sel.matches(p.metadata.labels)).sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1));
  for (const p of sorted) {
    if (!p.spec.nodeName || p.metadata.deletionTimestamp !== undefined) continue;
    const phase = p.status?.phase;
    if (phase === 'Succeeded' || phase === 'Failed') continue;
    const ports: EndpointPort[] = [];
    for (const sp of svc.spec.ports) {
      const port = resolvePodPort(p, sp);
      if (port !== null) ports.push({ ...(sp.name ? { name: sp.name } : {}), port, protocol: 'TCP' });
    }
    if (ports.length === 0) continue;
    out.push(isPodReady(p) ? { addresses: [address(p)], ports } : { notReadyAddresses: [address(p)], ports });
  }
  return out;
}

export class EndpointsController extends Controller {
  readonly name = 'endpoints';
  private readonly registry: Registry;
  private services: Informer<Service> | null = null;
  private pods: Informer<Pod> | null = null;

  constructor(registry: Registry, opts: { logger?: ControllerLogger } = {}) {
    super(opts.logger);
    this.registry = registry;
  }

  /** Feeds the queue: Services themselves, and for a pod change every Service of its namespace whose selector matches it (before or after). */
  watch(services: Informer<Service>, pods: Informer<Pod>): void {
    this.services = services;
    this.pods = pods;
    services.addHandlers({ onAdd: (s) => this.queue.add(objectKey(s)), onUpdate: (_, s) => this.queue.add(objectKey(s)), onDelete: (s) => this.queue.add(objectKey(s)) });
    const touch = (p: Pod) => {
      for (const s of services.list()) {
        if (s.metadata.namespace !== p.metadata.namespace || s.spec.selector === undefined) continue;
        if (selectorFromMap(s.spec.selector).matches(p.metadata.labels)) this.queue.add(objectKey(s));
      }
    };
    pods.addHandlers({
      onAdd: touch,
      onUpdate: (old, p) => {
        touch(old);
        touch(p);
      },
      onDelete: touch,
    });
  }

  async sync(key: string): Promise<SyncResult> {
    const { namespace, name } = splitKey(key);
    let svc: Service | null = null;
    try {
      svc = (await this.registry.get(SERVICES, namespace, name)) as Service;
    } catch (e) {
      if (!(e instanceof ApiError && e.code === 404)) throw e;
    }
    let cur: Endpoints | null = null;
    try {
      cur = (await this.registry.get(ENDPOINTS, namespace, name)) as Endpoints;
    } catch (e) {
      if (!(e instanceof ApiError && e.code === 404)) throw e;
    }
    if (svc === null) {
      // The Service is gone: its Endpoints go too.
      if (cur !== null) await this.registry.delete(ENDPOINTS, namespace, name).catch((e: unknown) => {
        if (!(e instanceof ApiError && e.code === 404)) throw e;
      });
      return undefined;
    }
    if (svc.spec.selector === undefined || svc.metadata.deletionTimestamp !== undefined) return undefined;
    // The pod cache when there is one (it is what the watch just told us); else a fresh list.
    const cache = this.pods;
    const pods = cache?.hasSynced() ? cache.list().filter((p) => p.metadata.namespace === namespace) : ((await this.registry.list(PODS, namespace)).items as Pod[]);
    const subsets = endpointSubsets(svc, pods);
    if (cur === null) {
      const ep = { apiVersion: 'v1', kind: 'Endpoints', metadata: { name, namespace, labels: { ...(svc.metadata.labels ?? {}) } }, subsets };
      await this.registry.create(ENDPOINTS, namespace, ep);
    } else if (JSON.stringify(cur.subsets ?? []) !== JSON.stringify(subsets)) {
      await this.registry.update(ENDPOINTS, namespace, name, { ...cur, subsets });
    }
    return undefined;
  }

  /** Queues every Service (after start, and for tests). */
  enqueueAll(): void {
    for (const s of this.services?.list() ?? []) this.queue.add(objectKey(s));
  }
}
