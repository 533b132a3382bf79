/**
 * Runs several discoverers for one consumer and merges their reports into one current
 * view, like Prometheus's discovery manager does per provider: groups are kept per
 * (discoverer, source), an empty group removes its source, and the consumer is told
 * about changes at most once per `coalesceMs` (Prometheus: every 5 s).
 */
import type { Discoverer, TargetGroup } from './target_group.js';

export interface DiscoverySetOptions {
  /** Delay that coalesces bursts of updates; the first report is delivered at once. Default 500 ms. */
  coalesceMs?: number;
  /** Called with each discoverer failure (the last good groups stay in force). */
  onError?: (mechanism: string, err: Error) => void;
}

export class DiscoverySet {
  private readonly discoverers: readonly Discoverer[];
  /** Per discoverer: source → non-empty group. */
  private readonly groups: Map<string, TargetGroup>[];
  private readonly onChange: (groups: readonly TargetGroup[]) => void;
  private readonly coalesceMs: number;
  private readonly onError: (mechanism: string, err: Error) => void;
  private timer: ReturnType<typeof setTimeout> | null;
  private delivered: boolean;
  private stopped: boolean;

  constructor(discoverers: readonly Discoverer[], onChange: (groups: readonly TargetGroup[]) => void, opts: DiscoverySetOptions = {}) {
    this.discoverers = discoverers;
    this.groups = discoverers.map(() => new Map());
    this.onChange = onChange;
    this.coalesceMs = opts.coalesceMs ?? 500;
    this.onError = opts.onError ?? (() => {});
    this.timer = null;
    this.delivered = false;
    this.stopped = false;
  }

  start(): void {
    if (this.discoverers.length === 0) {
      this.deliver();
      return;
    }
    this.discoverers.forEach((d, i) => {
      d.start(
        (groups) => this.update(i, groups),
        (err) => this.onError(d.mechanism, err),
      );
    });
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    for (const d of this.discoverers) d.stop();
  }

  /** The merged current groups. */
  current(): TargetGroup[] {
    const out: TargetGroup[] = [];
    for (const m of this.groups) for (const g of m.values()) out.push(g);
    return out;
  }

  private update(i: number, groups: readonly TargetGroup[]): void {
    if (this.stopped) return;
    const m = this.groups[i]!;
    for (const g of groups) {
      if (g.targets.length === 0) m.delete(g.source);
      else m.set(g.source, g);
    }
    if (!this.delivered) {
      this.deliver();
      return;
    }
    if (this.timer === null) {
      this.timer = setTimeout(() => {
        this.timer = null;
        this.deliver();
      }, this.coalesceMs);
    }
  }

  private deliver(): void {
    if (this.stopped) return;
    this.delivered = true;
    this.onChange(this.current());
  }
}
