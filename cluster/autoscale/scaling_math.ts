/**
 * The replica arithmetic of a ScalingPolicy, with Kubernetes HPA's semantics
 * and defaults (reference: cluster.md §1.1) plus Vigil's rules for missing data:
 *
 * 1. `current` = the Deployment's `spec.replicas`. 0 means scaled to zero by hand:
 *    autoscaling is off until someone scales it up (HPA does the same).
 * 2. Out of bounds first: below `min` → `min`, above `max` → `max` (no metric needed).
 * 3. No data is not zero: a missing, non-finite or negative value holds `current`
 *    (reason `metrics_missing`) and counts as a recommendation of `current`, so
 *    a scale-down after data comes back still waits a full window.
 * 4. ratio = value / targetPerReplica. Scale up when ratio > 1 + up tolerance,
 *    down when ratio < 1 − down tolerance (separate thresholds = hysteresis);
 *    proposal = ceil(current × ratio), else proposal = current.
 * 5. Scale-down stabilization: the result is the highest proposal of the last
 *    `downWindowMs` (this one included), never above `current`.
 * 6. Scale-up step limit: at most max(ceil(base × (1 + maxPercent/100)), base + maxPods)
 *    where base = `current` minus what was added in the last `upPeriodMs`;
 *    when the period's budget is used up the proposal is held (`held_by_cooldown`).
 * 7. Clamp to [min, max].
 *
 * The first decision of a `ScalingState` seeds the window with `current`, so a
 * new policy or a restarted server never scales down before one whole window.
 *
 * `ScalingState` keeps what steps 5 and 6 need (proposals and scale-ups of one
 * policy, pruned to the longer of the two windows, bounded). Time is passed in.
 */

/** Why a decision came out as it did (also the `reason` label of `vigil_autoscaler_decisions_total`). */
export type DecisionReason =
  | 'scale_up'
  | 'scale_down'
  | 'within_tolerance'
  | 'no_change'
  | 'held_by_stabilization'
  | 'held_by_cooldown'
  | 'metrics_missing'
  | 'at_min'
  | 'at_max'
  | 'below_min'
  | 'above_max'
  | 'scaled_to_zero';

/** The numbers of one policy, defaults applied (see scaling_policy_validation.ts). */
export interface ScalingParams {
  readonly minReplicas: number;
  readonly maxReplicas: number;
  readonly targetPerReplica: number;
  readonly upTolerance: number;
  readonly downTolerance: number;
  readonly upMaxPercent: number;
  readonly upMaxPods: number;
  readonly upPeriodMs: number;
  readonly downWindowMs: number;
}

/** One evaluation's outcome; every intermediate figure is kept for `explain`. */
export interface ScalingDecision {
  readonly timeMs: number;
  readonly reason: DecisionReason;
  readonly currentReplicas: number;
  /** The query value (null when missing). */
  readonly value: number | null;
  /** value / targetPerReplica (null when missing). */
  readonly ratio: number | null;
  /** ceil(current × ratio) before any limit (null when not computed). */
  readonly computedReplicas: number | null;
  /** After tolerance, stabilization and the step limit, before the min/max clamp. */
  readonly stabilizedReplicas: number | null;
  /** The replica count decided (clamped). */
  readonly desiredReplicas: number;
  /** The highest proposal within the scale-down window (null when not consulted). */
  readonly windowMax: number | null;
  /** The most replicas the scale-up step limit allowed (null when not consulted). */
  readonly stepLimit: number | null;
  readonly upTolerance: number;
  readonly downTolerance: number;
  readonly windowSeconds: number;
  /** One readable sentence. */
  readonly message: string;
}

/** Most proposals kept per policy (at a 1 s tick, a one-hour window). */
const MAX_PROPOSALS = 4096;

/** The history one policy's decisions depend on. Not shared between policies. */
export class ScalingState {
  private proposalT: Float64Array = new Float64Array(64);
  private proposalN: Float64Array = new Float64Array(64);
  private proposals = 0;
  /** Scale-ups as (time, replicas added). */
  private readonly ups: { tMs: number; added: number }[] = [];
  /** False until the first decision, which seeds the window with the current size. */
  private seeded = false;

  /** Records a proposal (done by `decide`; exported for tests of the window). */
  addProposal(tMs: number, replicas: number): void {
    if (this.proposals === this.proposalT.length) {
      if (this.proposals >= MAX_PROPOSALS) this.drop(this.proposals >> 1);
      else {
        const t = new Float64Array(this.proposalT.length * 2);
        const n = new Float64Array(this.proposalT.length * 2);
        t.set(this.proposalT);
        n.set(this.proposalN);
        this.proposalT = t;
        this.proposalN = n;
      }
    }
    this.proposalT[this.proposals] = tMs;
    this.proposalN[this.proposals] = replicas;
    this.proposals++;
  }

  /** Records that the Deployment was actually scaled from `from` to `to` at `tMs`. */
  recordScale(tMs: number, from: number, to: number): void {
    if (to > from) this.ups.push({ tMs, added: to - from });
    if (this.ups.length > 1024) this.ups.shift();
  }

  /** Highest proposal with time in (sinceMs, ∞); -1 when none. */
  maxProposalSince(sinceMs: number): number {
    let m = -1;
    for (let i = 0; i < this.proposals; i++) if (this.proposalT[i]! > sinceMs && this.proposalN[i]! > m) m = this.proposalN[i]!;
    return m;
  }

  /** Replicas added by scale-ups with time in (sinceMs, ∞). */
  addedSince(sinceMs: number): number {
    let s = 0;
    for (const u of this.ups) if (u.tMs > sinceMs) s += u.added;
    return s;
  }

  /** Forgets what is older than `beforeMs`. */
  prune(beforeMs: number): void {
    let k = 0;
    while (k < this.proposals && this.proposalT[k]! < beforeMs) k++;
    if (k > 0) this.drop(k);
    while (this.ups.length > 0 && this.ups[0]!.tMs < beforeMs) this.ups.shift();
  }

  private drop(k: number): void {
    this.proposalT.copyWithin(0, k, this.proposals);
    this.proposalN.copyWithin(0, k, this.proposals);
    this.proposals -= k;
  }

  /** Decides the replica count at `nowMs` (records the proposal; the caller records an applied scale). */
  decide(nowMs: number, current: number, value: number | null, p: ScalingParams): ScalingDecision {
    this.prune(nowMs - Math.max(p.downWindowMs, p.upPeriodMs));
    if (!this.seeded) {
      // A new policy (or a restarted server) knows no history: it behaves as if the current
      // size had just been proposed, so the first scale-down waits a whole window.
      this.seeded = true;
      if (current > 0) this.addProposal(nowMs, current);
    }
    const base = {
      timeMs: nowMs,
      currentReplicas: current,
      upTolerance: p.upTolerance,
      downTolerance: p.downTolerance,
      windowSeconds: p.downWindowMs / 1000,
    };
    const hold = (reason: DecisionReason, message: string, extra: Partial<ScalingDecision> = {}): ScalingDecision => ({
      ...base,
      value: null,
      ratio: null,
      computedReplicas: null,
      stabilizedReplicas: null,
      windowMax: null,
      stepLimit: null,
      desiredReplicas: current,
      reason,
      message,
      ...extra,
    });
    if (current === 0) return hold('scaled_to_zero', 'the Deployment is scaled to 0: autoscaling is off until it is scaled up');
    if (current < p.minReplicas || current > p.maxReplicas) {
      const to = current < p.minReplicas ? p.minReplicas : p.maxReplicas;
      this.addProposal(nowMs, to);
      return hold(current < p.minReplicas ? 'below_min' : 'above_max', `${current} replicas is outside [${p.minReplicas}, ${p.maxReplicas}]: set to ${to}`, { desiredReplicas: to });
    }
    if (value === null || !Number.isFinite(value) || value < 0) {
      this.addProposal(nowMs, current);
      const why = value === null ? 'the query returned no data' : `the query returned ${value}`;
      return hold('metrics_missing', `${why}: holding ${current} replicas (no data is not zero)`);
    }
    const ratio = value / p.targetPerReplica;
    const computed = Math.ceil(current * ratio);
    let proposal = current;
    let inBand = true;
    if (ratio > 1 + p.upTolerance || ratio < 1 - p.downTolerance) {
      proposal = Math.min(Math.max(computed, p.minReplicas), p.maxReplicas);
      inBand = false;
    }
    this.addProposal(nowMs, proposal);
    const seen = { value, ratio, computedReplicas: computed };
    const band = `[${fmt(1 - p.downTolerance)}, ${fmt(1 + p.upTolerance)}]`;
    const calc = `ceil(${current} × ${fmt(value)} / ${fmt(p.targetPerReplica)}) = ${computed}`;
    if (inBand) return hold('within_tolerance', `ratio ${fmt(ratio)} is within ${band}: keep ${current}`, { ...seen, stabilizedReplicas: current });
    if (proposal === current) {
      const reason: DecisionReason = computed > current ? 'at_max' : computed < current ? 'at_min' : 'no_change';
      const why = reason === 'at_max' ? `already at maxReplicas ${p.maxReplicas}` : reason === 'at_min' ? `already at minReplicas ${p.minReplicas}` : 'no change';
      return hold(reason, `${calc}: ${why}`, { ...seen, stabilizedReplicas: current });
    }
    if (proposal < current) {
      const windowMax = this.maxProposalSince(nowMs - p.downWindowMs);
      const stabilized = Math.min(current, Math.max(proposal, windowMax));
      if (stabilized >= current) {
        return hold('held_by_stabilization', `${calc}, but the highest proposal of the last ${fmt(p.downWindowMs / 1000)}s is ${windowMax}: keep ${current}`, {
          ...seen,
          stabilizedReplicas: current,
          windowMax,
        });
      }
      const note = stabilized > proposal ? ` (highest proposal of the last ${fmt(p.downWindowMs / 1000)}s)` : '';
      return { ...base, ...seen, reason: 'scale_down', stabilizedReplicas: stabilized, desiredReplicas: stabilized, windowMax, stepLimit: null, message: `${calc}: scale down ${current} → ${stabilized}${note}` };
    }
    const start = Math.max(1, current - this.addedSince(nowMs - p.upPeriodMs));
    const limit = Math.max(Math.ceil(start * (1 + p.upMaxPercent / 100)), start + p.upMaxPods);
    const stabilized = Math.min(proposal, Math.max(current, limit));
    if (stabilized <= current) {
      return hold('held_by_cooldown', `${calc}, but ${current - start} replicas were already added in the last ${fmt(p.upPeriodMs / 1000)}s (limit ${limit}): keep ${current}`, {
        ...seen,
        stabilizedReplicas: current,
        stepLimit: limit,
      });
    }
    const capped = stabilized < proposal ? ` (step limit ${limit}: +${p.upMaxPercent}% or +${p.upMaxPods} per ${fmt(p.upPeriodMs / 1000)}s)` : '';
    const atMax = computed > p.maxReplicas && stabilized === p.maxReplicas ? ` (maxReplicas ${p.maxReplicas})` : '';
    return { ...base, ...seen, reason: 'scale_up', stabilizedReplicas: stabilized, desiredReplicas: stabilized, windowMax: null, stepLimit: limit, message: `${calc}: scale up ${current} → ${stabilized}${capped}${atMax}` };
  }
}

/** A number for messages: integers as is, others with up to 3 decimals. */
export function fmt(x: number): string {
  return Number.isInteger(x) ? String(x) : String(Math.round(x * 1000) / 1000);
}
