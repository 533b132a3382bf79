/** Builds the discoverers of one scrape job (or Alertmanager set) from its discovery blocks. */
import type { DiscoveryConfigs } from '../discovery_config.js';
import { FileDiscoverer } from './file_discoverer.js';
import { HttpDiscoverer } from './http_discoverer.js';
import { StaticDiscoverer } from './static_discoverer.js';
import type { Discoverer } from './target_group.js';

/** One discoverer per block: static groups together, then each file SD and HTTP SD block. */
export function discoverersFor(cfg: DiscoveryConfigs): Discoverer[] {
  const out: Discoverer[] = [];
  if (cfg.staticConfigs.length > 0) out.push(new StaticDiscoverer(cfg.staticConfigs));
  for (const f of cfg.fileSdConfigs) out.push(new FileDiscoverer(f));
  for (const h of cfg.httpSdConfigs) out.push(new HttpDiscoverer(h));
  return out;
}
