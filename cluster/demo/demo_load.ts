/**
 * The quick-start demo's load: HTTP GETs of `/` through the demo Service's proxy,
 * bounded in every way so it can run inside the server:
 *
 * - a fixed rate while "on" (`ratePerSecond`), nothing while "off": the phases
 *   alternate (`onMs` on, then `offMs` off, starting on), so the request rate per
 *   replica rises and falls and the demo's rules scale the Deployment up and down;
 * - at most `maxInFlight` requests at once (a tick's requests beyond that are
 *   skipped and counted), each with a `timeoutMs` deadline;
 * - one new connection per request (`agent: false`), so the Service proxy, which
 *   balances connections, spreads the requests over the replicas;
 * - `stop()` ends the ticks and waits for the requests in flight (each bounded by
 *   its timeout).
 */
import { request } from 'node:http';

export interface DemoLoadOptions {
  /** Where to send requests, e.g. `http://127.0.0.1:30080/`. */
  readonly url: string;
  /** Requests per second while on. */
  readonly ratePerSecond: number;
  readonly onMs: number;
  readonly offMs: number;
  /** Default 16. */
  readonly maxInFlight?: number;
  /** Default 2000. */
  readonly timeoutMs?: number;
  /** Default 100: requests go out in batches of `ratePerSecond * tickMs / 1000` (fractions carried over). */
  readonly tickMs?: number;
  /** Clock (ms). Default `Date.now`. */
  readonly now?: () => number;
}

/** Defaults of the demo: 24 requests/s for 90 s, then 150 s of quiet. */
export const DEMO_LOAD_DEFAULTS = { ratePerSecond: 24, onMs: 90_000, offMs: 150_000 } as const;

/** Whether the load is on `elapsedMs` after it started, and how long the current phase still lasts. */
export function loadPhase(elapsedMs: number, onMs: number, offMs: number): { on: boolean; remainingMs: number } {
  const period = onMs + offMs;
  if (period <= 0) return { on: false, remainingMs: Number.POSITIVE_INFINITY };
  const t = ((elapsedMs % period) + period) % period;
  return t < onMs ? { on: true, remainingMs: onMs - t } : { on: false, remainingMs: period - t };
}

/** Counts since start. */
export interface DemoLoadStats {
  sent: number;
  ok: number;
  failed: number;
  /** Requests not sent because `maxInFlight` were outstanding. */
  skipped: number;
}

export class DemoLoad {
  readonly stats: DemoLoadStats = { sent: 0, ok: 0, failed: 0, skipped: 0 };
  private readonly now: () => number;
  private readonly tickMs: number;
  private readonly maxInFlight: number;
  private readonly timeoutMs: number;
  private readonly inFlight = new Set<Promise<void>>();
  private timer: ReturnType<typeof setInterval> | null = null;
  private startedAt = 0;
  private carry = 0;

  constructor(private readonly o: DemoLoadOptions) {
    if (!(o.ratePerSecond >= 0 && o.ratePerSecond <= 1000)) throw new RangeError(`demo load: ratePerSecond must be within 0..1000, got ${o.ratePerSecond}`);
    this.now = o.now ?? Date.now;
    this.tickMs = o.tickMs ?? 100;
    this.maxInFlight = o.maxInFlight ?? 16;
    this.timeoutMs = o.timeoutMs ?? 2000;
  }

  /** Whether requests are being sent now. */
  isOn(): boolean {
    return this.timer !== null && loadPhase(this.now() - this.startedAt, this.o.onMs, this.o.offMs).on;
  }

  start(): void {
    if (this.timer !== null) return;
    this.startedAt = this.now();
    this.timer = setInterval(() => this.tick(), this.tickMs);
    this.timer.unref();
  }

  /** One tick: sends this tick's share of the rate (exposed for tests with an injected clock). */
  tick(): void {
    if (!loadPhase(this.now() - this.startedAt, this.o.onMs, this.o.offMs).on) {
      this.carry = 0;
      return;
    }
    this.carry += (this.o.ratePerSecond * this.tickMs) / 1000;
    const n = Math.floor(this.carry);
    this.carry -= n;
    for (let i = 0; i < n; i++) {
      if (this.inFlight.size >= this.maxInFlight) {
        this.stats.skipped++;
        continue;
      }
      const p = this.send().finally(() => this.inFlight.delete(p));
      this.inFlight.add(p);
    }
  }

  /** Stops sending and waits for the requests in flight. Idempotent. */
  async stop(): Promise<void> {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    await Promise.allSettled([...this.inFlight]);
  }

  private send(): Promise<void> {
    this.stats.sent++;
    return new Promise<void>((resolve) => {
      const req = request(this.o.url, { method: 'GET', agent: false, timeout: this.timeoutMs, headers: { 'user-agent': 'vigil-demo-load' } }, (res) => {
        res.resume();
        res.on('end', () => {
          if ((res.statusCode ?? 0) < 400) this.stats.ok++;
          else this.stats.failed++;
          resolve();
        });
        res.on('error', () => {
          this.stats.failed++;
          resolve();
        });
      });
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', () => {
        this.stats.failed++;
        resolve();
      });
      req.end();
    });
  }
}
