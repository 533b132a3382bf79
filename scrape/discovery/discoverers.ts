/** Builds the discoverers of one scrape job (or Alertmanager set) from its discovery blocks. */
import type { DiscoveryConfigs } from '../discovery_config.js';
import { clusterDiscovery } from './cluster_discovery.js';
import { FileDiscoverer } from './file_discoverer.js';
import { HttpDiscoverer } from './http_discoverer.js';
import { StaticDiscoverer } from './static_discoverer.js';
import type { Discoverer } from './target_group.js';

/** Stands in for `vigil_sd_configs` when no cluster manager registered a provider: reports why, once. */
class NoClusterDiscoverer implements Discoverer {
  readonly mechanism = 'vigil';
  start(onUpdate: (g: []) => void, onError: (err: Error) => void): void {
    onUpdate([]);
    onError(new Error('vigil_sd_configs: the cluster manager does not run in this process, so there is nothing to discover'));
  }
  stop(): void {}
}

/** One discoverer per block: static groups together, then each file SD, HTTP SD and Vigil SD block. */
export function discoverersFor(cfg: DiscoveryConfigs): Discoverer[] {
  const out: Discoverer[] = [];
  if (cfg.staticConfigs.length > 0) out.push(new StaticDiscoverer(cfg.staticConfigs));
  for (const f of cfg.fileSdConfigs) out.push(new FileDiscoverer(f));
  for (const h of cfg.httpSdConfigs) out.push(new HttpDiscoverer(h));
  for (const v of cfg.vigilSdConfigs ?? []) {
    const p = clusterDiscovery();
    out.push(p === null ? new NoClusterDiscoverer() : p.discoverer(v.role, { namespaces: v.namespaces, server: v.server }));
  }
  return out;
}
