/**
 * The hook through which Vigil's cluster manager offers its objects as scrape
 * targets, the way Kubernetes SD does (`kubernetes_sd_configs` roles): the cluster
 * part registers a provider (cluster/discovery.ts) and each `vigil_sd_configs` block
 * asks it for a discoverer.
 *
 * `vigil_sd_configs` blocks (scrape/discovery_config.ts) reach the provider through
 * `discoverersFor`; with no provider registered they report an error and discover nothing.
 *
 * Contract for implementers (mirrors Kubernetes SD so relabel rules carry over):
 * - `node`: one target per node, `__address__` = the node's agent address; meta labels
 *   `__meta_vigil_node_name`, `__meta_vigil_node_label_<name>`, `__meta_vigil_node_address`.
 * - `pod`: one target per declared container port (or one per pod without ports);
 *   `__meta_vigil_namespace`, `__meta_vigil_pod_name`, `__meta_vigil_pod_ip`,
 *   `__meta_vigil_pod_label_<name>`, `__meta_vigil_pod_annotation_<name>`,
 *   `__meta_vigil_pod_container_name`, `__meta_vigil_pod_container_port_number`,
 *   `__meta_vigil_pod_node_name`, `__meta_vigil_pod_phase`, `__meta_vigil_pod_ready`.
 * - `service`: one target per service port, `__address__` = `<service>.<namespace>:<port>`;
 *   `__meta_vigil_service_name`, `__meta_vigil_service_label_<name>`, `__meta_vigil_service_port_name`.
 * - `endpoints`: one target per ready endpoint address of a service, with the service's and
 *   the pod's labels.
 * Label names are sanitised to `[a-zA-Z0-9_]` as Kubernetes SD does. Sources are stable per
 * object (`pod/<namespace>/<name>`) so an update replaces exactly that object's group and a
 * deletion is reported as an empty group with the same source.
 */
import type { Discoverer } from './target_group.js';

/** What is discovered: like Kubernetes SD's roles. */
export type ClusterRole = 'node' | 'pod' | 'service' | 'endpoints';

/** Options of a cluster discoverer. */
export interface ClusterDiscoveryOptions {
  /** Namespaces to watch; empty = all. */
  readonly namespaces: readonly string[];
  /** The cluster's API server URL; absent or '' = this server's own cluster. */
  readonly server?: string;
}

/** Implemented by the cluster manager. */
export interface ClusterDiscoveryProvider {
  discoverer(role: ClusterRole, opts: ClusterDiscoveryOptions): Discoverer;
}

let provider: ClusterDiscoveryProvider | null = null;

/** Registers the cluster manager's provider (one per process; a second call replaces the first). */
export function registerClusterDiscovery(p: ClusterDiscoveryProvider | null): void {
  provider = p;
}

/** The registered provider, or null when the cluster manager is not running. */
export function clusterDiscovery(): ClusterDiscoveryProvider | null {
  return provider;
}
