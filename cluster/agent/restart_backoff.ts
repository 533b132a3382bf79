/**
 * Kubernetes' CrashLoopBackOff for one container: the first restart is
 * immediate, later ones wait `initialMs` (10 s) doubling up to `maxMs` (5 min);
 * a run that lasted at least `resetAfterMs` (10 min) resets the sequence.
 * Pure arithmetic over times passed in, so tests need no clock.
 */

export interface RestartBackoffOptions {
  /** First non-zero delay. Default 10 000 ms. */
  initialMs?: number;
  /** Cap. Default 300 000 ms. */
  maxMs?: number;
  /** A run at least this long resets the backoff. Default 600 000 ms. */
  resetAfterMs?: number;
}

export class RestartBackoff {
  readonly initialMs: number;
  readonly maxMs: number;
  readonly resetAfterMs: number;
  private current = -1;

  constructor(opts: RestartBackoffOptions = {}) {
    this.initialMs = opts.initialMs ?? 10_000;
    this.maxMs = opts.maxMs ?? 300_000;
    this.resetAfterMs = opts.resetAfterMs ?? 600_000;
  }

  /**
   * The delay before restarting a container that ran from `startedAtMs` to `exitedAtMs`
   * (epoch milliseconds), advancing the sequence: 0, initial, 2×initial, … ≤ max.
   */
  next(startedAtMs: number, exitedAtMs: number): number {
    if (exitedAtMs - startedAtMs >= this.resetAfterMs) this.current = -1;
    if (this.current < 0) this.current = 0;
    else if (this.current === 0) this.current = this.initialMs;
    else this.current = Math.min(this.current * 2, this.maxMs);
    return this.current;
  }

  /** Forget the history (the pod was recreated). */
  reset(): void {
    this.current = -1;
  }
}
