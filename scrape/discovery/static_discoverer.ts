/** `static_configs`: fixed groups, reported once. Sources are the group indexes, as in Prometheus. */
import type { StaticConfig } from '../discovery_config.js';
import type { Discoverer, TargetGroup, TargetGroupsHandler } from './target_group.js';

export class StaticDiscoverer implements Discoverer {
  readonly mechanism = 'static';
  private readonly groups: TargetGroup[];

  constructor(configs: readonly StaticConfig[]) {
    this.groups = configs.map((c, i) => ({
      targets: c.targets.map((t) => ({ __address__: t })),
      labels: { ...c.labels },
      source: String(i),
    }));
  }

  start(onUpdate: TargetGroupsHandler, _onError?: (err: Error) => void): void {
    onUpdate(this.groups);
  }

  stop(): void {}
}
