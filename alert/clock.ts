/**
 * The time source of rule evaluation, injectable so tests never sleep on the
 * wall clock. `SYSTEM_CLOCK` uses `Date.now` and timers; `ManualClock` moves only
 * when a test calls `advance`.
 */

/** A time source: `now` in ms since the epoch; `sleep` resolves after `ms` or at once when `signal` aborts. */
export interface Clock {
  now(): number;
  sleep(ms: number, signal: AbortSignal): Promise<void>;
}

export const SYSTEM_CLOCK: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve) => {
      if (signal.aborted) return resolve();
      const t = setTimeout(done, Math.max(0, ms));
      function done(): void {
        clearTimeout(t);
        signal.removeEventListener('abort', done);
        resolve();
      }
      signal.addEventListener('abort', done, { once: true });
    }),
};

/** A clock for tests: time stands still until `advance`/`set`; sleepers wake when their deadline passes. */
export class ManualClock implements Clock {
  private t: number;
  private sleepers: { until: number; resolve: () => void }[] = [];
  constructor(startMs: number) {
    this.t = startMs;
  }
  now(): number {
    return this.t;
  }
  sleep(ms: number, signal: AbortSignal): Promise<void> {
    return new Promise<void>((resolve) => {
      if (signal.aborted || ms <= 0) return resolve();
      const s = { until: this.t + ms, resolve };
      this.sleepers.push(s);
      signal.addEventListener(
        'abort',
        () => {
          this.sleepers = this.sleepers.filter((x) => x !== s);
          resolve();
        },
        { once: true },
      );
    });
  }
  /** Number of pending sleeps (to know when a loop is waiting). */
  waiting(): number {
    return this.sleepers.length;
  }
  /** Moves time forward by `ms` and wakes every sleeper whose deadline passed. */
  advance(ms: number): void {
    this.t += ms;
    const due = this.sleepers.filter((s) => s.until <= this.t);
    this.sleepers = this.sleepers.filter((s) => s.until > this.t);
    for (const s of due) s.resolve();
  }
}
