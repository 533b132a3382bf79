/**
 * Fencing: a node agent that cannot renew its Lease stops its own pods before
 * the control plane's failover deadline, so a partitioned node never runs a pod
 * next to its replacement.
 *
 * The agent counts, on its own clock, from the moment it *sent* its last
 * successful renewal — never later than when the control plane saw it, so the
 * agent's deadline comes first however slow the answer was.
 *
 * Trade-off (stated in the README): an agent cannot tell a partition from a
 * control plane that is down, so a control-plane outage longer than
 * failoverAfter − 3 s stops the pods with a non-zero failoverAfter too; they
 * start again when the agent reaches the API (a restarted control plane gives
 * every node a full failoverAfter). Pods that must ride out control-plane
 * outages set `vigil.dev/failover-after: "0"` or a longer value. A pod is fenced once that silence reaches `fenceAfterMs(failoverAfter)`
 * (failoverAfter − 3 s, see cluster/failover/failover_after.ts), with a SIGTERM
 * grace that ends at least `KILL_MARGIN_MS` before failoverAfter; pods whose
 * failoverAfter is 0 are never fenced (the control plane never replaces them).
 * While fenced, no new pod starts. The first successful renewal afterwards ends
 * the fence; the agent then relists its pods from the API (the ones failed over
 * are gone and stay stopped; the others start again).
 */
import { fenceAfterMs } from '../failover/failover_after.js';

/** SIGKILL comes at least this long before the control plane's deadline, ms. */
export const KILL_MARGIN_MS = 1500;

/** The decision for one pod at one moment. */
export type FenceDecision = { readonly fence: false } | { readonly fence: true; readonly graceSeconds: number };

/**
 * Whether a pod with `failoverAfterMs` is due for fencing after `silentMs` without
 * a renewal, and with what SIGTERM grace (seconds, at most `podGraceSeconds`).
 */
export function fenceDecision(silentMs: number, failoverAfterMs: number, podGraceSeconds: number): FenceDecision {
  if (silentMs < fenceAfterMs(failoverAfterMs)) return { fence: false };
  const left = Math.floor((failoverAfterMs - silentMs - KILL_MARGIN_MS) / 1000);
  return { fence: true, graceSeconds: Math.max(0, Math.min(podGraceSeconds, left)) };
}

/** The agent's renewal bookkeeping (clock injected). */
export class LeaseFence {
  private lastRenewMs: number;
  private fenced = false;

  /** `startMs`: when the agent started (its first renewal counts from there). */
  constructor(startMs: number) {
    this.lastRenewMs = startMs;
  }

  /** A renewal succeeded at `nowMs`. Returns true when this ends a fence (the caller relists). */
  renewed(nowMs: number): boolean {
    this.lastRenewMs = Math.max(this.lastRenewMs, nowMs);
    const was = this.fenced;
    this.fenced = false;
    return was;
  }

  /** Time without a successful renewal, ms. */
  silentMs(nowMs: number): number {
    return Math.max(0, nowMs - this.lastRenewMs);
  }

  /** Records that a pod was fenced (so the next renewal reports the fence's end). */
  markFenced(): void {
    this.fenced = true;
  }

  isFenced(): boolean {
    return this.fenced;
  }
}
