/**
 * `DecisionLog`: the recent scaling decisions per Deployment, in memory, for
 * `vigil ctl explain` and its API. Both the ScalingPolicy controller and the
 * alert-driven actions (cluster/actions, through the executor's `onOutcome`)
 * write here, so one view shows why a Deployment has the size it has.
 *
 * Bounds: at most `perTarget` entries per Deployment (a ring: the oldest goes
 * first) and at most `maxTargets` Deployments (the least recently written
 * goes first). Entries are plain JSON-able objects; readers get copies in time
 * order, oldest first. Not persisted: a restarted server starts empty.
 */
import type { ScalingDecision } from './scaling_math.js';

/** One entry of the log. Figures the source did not compute are null. */
export interface DecisionEntry {
  /** ms since the epoch. */
  readonly timeMs: number;
  readonly namespace: string;
  readonly deployment: string;
  /** `policy`: a ScalingPolicy evaluation; `alert`: an alerting rule's (or webhook's) action. */
  readonly source: 'policy' | 'alert';
  /** The ScalingPolicy's name, or the alert's name. */
  readonly by: string;
  /** scale_up, scale_down, within_tolerance, …; for alerts `alert_action`. */
  readonly reason: string;
  readonly currentReplicas: number | null;
  readonly value: number | null;
  readonly targetPerReplica: number | null;
  readonly ratio: number | null;
  readonly computedReplicas: number | null;
  readonly stabilizedReplicas: number | null;
  readonly desiredReplicas: number | null;
  readonly windowMax: number | null;
  readonly stepLimit: number | null;
  readonly upTolerance: number | null;
  readonly downTolerance: number | null;
  readonly windowSeconds: number | null;
  /** The action text (alerts) or the expanded query (policies). */
  readonly action: string;
  /** applied, dry_run, error, held (policies) / the action result ok, noop, … (alerts). */
  readonly result: string;
  readonly message: string;
}

export interface DecisionLogOptions {
  /** Entries kept per Deployment. Default 100. */
  perTarget?: number;
  /** Deployments tracked. Default 10 000. */
  maxTargets?: number;
}

class Ring {
  readonly items: (DecisionEntry | undefined)[];
  next = 0;
  size = 0;
  constructor(n: number) {
    this.items = new Array<DecisionEntry | undefined>(n).fill(undefined);
  }
  push(e: DecisionEntry): void {
    this.items[this.next] = e;
    this.next = (this.next + 1) % this.items.length;
    if (this.size < this.items.length) this.size++;
  }
  list(): DecisionEntry[] {
    const out: DecisionEntry[] = [];
    const n = this.items.length;
    for (let i = 0; i < this.size; i++) {
      const e = this.items[(this.next - this.size + i + n) % n];
      if (e !== undefined) out.push(e);
    }
    return out;
  }
}

export class DecisionLog {
  private readonly perTarget: number;
  private readonly maxTargets: number;
  private readonly rings = new Map<string, Ring>();

  constructor(opts: DecisionLogOptions = {}) {
    this.perTarget = Math.max(1, opts.perTarget ?? 100);
    this.maxTargets = Math.max(1, opts.maxTargets ?? 10_000);
  }

  /** Appends an entry to its Deployment's ring. */
  add(e: DecisionEntry): void {
    const key = `${e.namespace}/${e.deployment}`;
    let r = this.rings.get(key);
    if (r === undefined) {
      r = new Ring(this.perTarget);
      if (this.rings.size >= this.maxTargets) {
        const oldest = this.rings.keys().next().value;
        if (oldest !== undefined) this.rings.delete(oldest);
      }
    } else this.rings.delete(key);
    // Re-inserted: the Map's order is "least recently written first".
    this.rings.set(key, r);
    r.push(e);
  }

  /** The Deployment's entries, oldest first (empty when none). */
  list(namespace: string, deployment: string): DecisionEntry[] {
    return this.rings.get(`${namespace}/${deployment}`)?.list() ?? [];
  }

  /** How many Deployments have entries. */
  targets(): number {
    return this.rings.size;
  }
}

/** A log entry from a policy decision. */
export function policyEntry(
  d: ScalingDecision,
  ctx: { namespace: string; deployment: string; policy: string; targetPerReplica: number; query: string; result: string },
): DecisionEntry {
  return {
    timeMs: d.timeMs,
    namespace: ctx.namespace,
    deployment: ctx.deployment,
    source: 'policy',
    by: ctx.policy,
    reason: d.reason,
    currentReplicas: d.currentReplicas,
    value: d.value,
    targetPerReplica: ctx.targetPerReplica,
    ratio: d.ratio,
    computedReplicas: d.computedReplicas,
    stabilizedReplicas: d.stabilizedReplicas,
    desiredReplicas: d.desiredReplicas,
    windowMax: d.windowMax,
    stepLimit: d.stepLimit,
    upTolerance: d.upTolerance,
    downTolerance: d.downTolerance,
    windowSeconds: d.windowSeconds,
    action: ctx.query,
    result: ctx.result,
    message: d.message,
  };
}

/** A log entry from an alert action on a Deployment. */
export function alertEntry(timeMs: number, ctx: { namespace: string; deployment: string; alert: string; action: string; result: string; detail: string }): DecisionEntry {
  return {
    timeMs,
    namespace: ctx.namespace,
    deployment: ctx.deployment,
    source: 'alert',
    by: ctx.alert,
    reason: 'alert_action',
    currentReplicas: null,
    value: null,
    targetPerReplica: null,
    ratio: null,
    computedReplicas: null,
    stabilizedReplicas: null,
    desiredReplicas: null,
    windowMax: null,
    stepLimit: null,
    upTolerance: null,
    downTolerance: null,
    windowSeconds: null,
    action: ctx.action,
    result: ctx.result,
    message: ctx.detail,
  };
}
