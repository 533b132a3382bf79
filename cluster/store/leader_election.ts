/**
 * `LeaderElector`: control-plane leader election through the cluster store,
 * the way client-go's leaderelection does it on Kubernetes Lease objects.
 *
 * One record (JSON, the shape of a Lease's spec) lives at `key`:
 *   { holderIdentity, leaseDurationSeconds, acquireTime, renewTime, leaseTransitions }
 * Every write is a compare-and-swap on the key's revision, so of several
 * contenders that read the same record at most one can write after it.
 *
 * - The holder renews the record every `retryPeriodMs`.
 * - Another contender takes over only after the record has not changed for
 *   `leaseDurationMs` **on its own clock** (it times its observation of the
 *   record, never trusting the writer's timestamps, so clock offsets between
 *   machines do not matter, only clock rates).
 * - The holder considers itself leader only while its last successful renewal
 *   is younger than `renewDeadlineMs` (< `leaseDurationMs`), so it steps down
 *   before anybody else can step up: two contenders never both lead.
 * - `release()` hands the lease back at once (holder '' and duration 1 s).
 *
 * Time is injected (`now`); `tryAcquireOrRenew()` is one round and is what
 * tests drive. `run()` loops it on real timers for production.
 */
import { StoreError } from './errors.js';
import type { Store } from './store.js';

/** The stored record; field names and meaning follow Kubernetes' LeaseSpec. */
export interface LeaderRecord {
  holderIdentity: string;
  leaseDurationSeconds: number;
  /** RFC 3339 times, informational (for humans and `vigil ctl get leases`). */
  acquireTime: string;
  renewTime: string;
  leaseTransitions: number;
}

/** Minimal logger (a `Logger` from cmd/logger.ts fits). */
export interface ElectionLogger {
  info(msg: string, fields?: Readonly<Record<string, unknown>>): void;
  warn(msg: string, fields?: Readonly<Record<string, unknown>>): void;
}

export interface LeaderElectorOptions {
  /** Store key of the record, e.g. `/registry/leases/vigil-system/vigil-controller-manager`. */
  key: string;
  /** This contender's unique identity (host name + process id + random suffix). */
  identity: string;
  /** How long a silent lease stays taken. Default 15 000 ms (Kubernetes' default). */
  leaseDurationMs?: number;
  /** How long the holder keeps leading without a successful renewal. Default 10 000 ms; must be < leaseDurationMs. */
  renewDeadlineMs?: number;
  /** Time between rounds of `run()`. Default 2 000 ms; must be < renewDeadlineMs. */
  retryPeriodMs?: number;
  /** Clock in ms. Default `Date.now`. */
  now?: () => number;
  /** Called when this contender becomes leader / stops being leader (from `run()` and `tryAcquireOrRenew()`). */
  onStartedLeading?: () => void;
  onStoppedLeading?: () => void;
  logger?: ElectionLogger;
}

function parseRecord(value: string): LeaderRecord | null {
  try {
    const v = JSON.parse(value) as Partial<LeaderRecord>;
    if (typeof v.holderIdentity !== 'string' || typeof v.leaseDurationSeconds !== 'number') return null;
    return {
      holderIdentity: v.holderIdentity,
      leaseDurationSeconds: v.leaseDurationSeconds,
      acquireTime: String(v.acquireTime ?? ''),
      renewTime: String(v.renewTime ?? ''),
      leaseTransitions: typeof v.leaseTransitions === 'number' ? v.leaseTransitions : 0,
    };
  } catch {
    return null;
  }
}

export class LeaderElector {
  readonly key: string;
  readonly identity: string;
  private readonly store: Store;
  private readonly leaseDurationMs: number;
  private readonly renewDeadlineMs: number;
  private readonly retryPeriodMs: number;
  private readonly now: () => number;
  private readonly opts: LeaderElectorOptions;
  /** The record revision we last saw and when (our clock) we first saw it. */
  private observedRevision = 0;
  private observedAt = 0;
  private observedHolder = '';
  /** Our clock at our last successful acquire/renew; -Infinity when never. */
  private renewedAt = Number.NEGATIVE_INFINITY;
  private leading = false;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(store: Store, opts: LeaderElectorOptions) {
    this.store = store;
    this.opts = opts;
    this.key = opts.key;
    this.identity = opts.identity;
    this.leaseDurationMs = opts.leaseDurationMs ?? 15_000;
    this.renewDeadlineMs = opts.renewDeadlineMs ?? 10_000;
    this.retryPeriodMs = opts.retryPeriodMs ?? 2_000;
    this.now = opts.now ?? Date.now;
    if (!(this.renewDeadlineMs < this.leaseDurationMs))
      throw new RangeError(`renewDeadlineMs (${this.renewDeadlineMs}) must be less than leaseDurationMs (${this.leaseDurationMs})`);
    if (!(this.retryPeriodMs < this.renewDeadlineMs))
      throw new RangeError(`retryPeriodMs (${this.retryPeriodMs}) must be less than renewDeadlineMs (${this.renewDeadlineMs})`);
    if (identity(opts.identity) === '') throw new RangeError('identity must not be empty');
  }

  /** Whether this contender leads now: it holds the record and renewed it within the renew deadline. */
  isLeader(): boolean {
    return this.leading && this.now() - this.renewedAt < this.renewDeadlineMs;
  }

  /** The holder we last observed ('' when none or unknown). */
  observedLeader(): string {
    return this.observedHolder;
  }

  private record(prev: LeaderRecord | null, acquiring: boolean): string {
    const t = new Date(this.now()).toISOString();
    const rec: LeaderRecord = {
      holderIdentity: this.identity,
      leaseDurationSeconds: Math.ceil(this.leaseDurationMs / 1000),
      acquireTime: acquiring || prev === null ? t : prev.acquireTime,
      renewTime: t,
      leaseTransitions: prev === null ? 0 : acquiring ? prev.leaseTransitions + 1 : prev.leaseTransitions,
    };
    return JSON.stringify(rec);
  }

  private setLeading(v: boolean): void {
    if (v === this.leading) return;
    this.leading = v;
    if (v) {
      this.opts.logger?.info('became leader', { key: this.key, identity: this.identity });
      this.opts.onStartedLeading?.();
    } else {
      this.opts.logger?.info('stopped leading', { key: this.key, identity: this.identity });
      this.opts.onStoppedLeading?.();
    }
  }

  /**
   * One election round: acquire the record if free or expired, renew it if ours.
   * Returns whether this contender leads afterwards. Store errors other than
   * conflicts are logged and count as a failed renewal.
   */
  async tryAcquireOrRenew(): Promise<boolean> {
    const started = this.now();
    try {
      const kv = await this.store.get(this.key);
      if (kv === null) {
        const c = await this.store.create(this.key, this.record(null, true));
        this.observe(c.modRevision, this.identity, started);
        this.renewedAt = started;
      } else {
        // Time the observation after the read returned: the holder's renewal it shows was taken
        // before its write, so our view of the lease's age never overestimates it.
        const seen = this.now();
        const rec = parseRecord(kv.value);
        const holder = rec?.holderIdentity ?? '';
        if (kv.modRevision !== this.observedRevision) this.observe(kv.modRevision, holder, seen);
        const mine = holder === this.identity;
        const ttlMs = rec === null ? 0 : Math.min(this.leaseDurationMs, rec.leaseDurationSeconds * 1000);
        const expired = holder === '' || seen - this.observedAt >= ttlMs;
        if (!mine && !expired) {
          this.setLeading(false);
          return false;
        }
        const u = await this.store.update(this.key, this.record(rec, !mine), kv.modRevision);
        this.observe(u.modRevision, this.identity, started);
        this.renewedAt = started;
      }
      this.setLeading(true);
      return true;
    } catch (e) {
      if (!(e instanceof StoreError && (e.code === 'conflict' || e.code === 'already_exists')))
        this.opts.logger?.warn('leader election round failed', { key: this.key, err: e instanceof Error ? e.message : String(e) });
      this.setLeading(this.isLeader());
      return this.leading;
    }
  }

  private observe(revision: number, holder: string, at: number): void {
    this.observedRevision = revision;
    this.observedHolder = holder;
    this.observedAt = at;
  }

  /** Runs rounds every `retryPeriodMs` until `stop()`. Resolves after the first round. */
  async run(): Promise<void> {
    this.stopped = false;
    const tick = async () => {
      if (this.stopped) return;
      await this.tryAcquireOrRenew();
      if (!this.stopped) this.timer = setTimeout(() => void tick(), this.retryPeriodMs);
    };
    await tick();
  }

  /** Stops `run()`; if leading, releases the record so another contender can take over at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    await this.release();
  }

  /** Gives up leadership now (no-op when not holding the record). */
  async release(): Promise<void> {
    if (!this.leading) return;
    try {
      const kv = await this.store.get(this.key);
      const rec = kv === null ? null : parseRecord(kv.value);
      if (kv !== null && rec?.holderIdentity === this.identity) {
        const released: LeaderRecord = { ...rec, holderIdentity: '', leaseDurationSeconds: 1, renewTime: new Date(this.now()).toISOString() };
        await this.store.update(this.key, JSON.stringify(released), kv.modRevision);
      }
    } catch (e) {
      this.opts.logger?.warn('releasing leadership failed', { key: this.key, err: e instanceof Error ? e.message : String(e) });
    }
    this.renewedAt = Number.NEGATIVE_INFINITY;
    this.setLeading(false);
  }
}

function identity(s: string): string {
  return s.trim();
}
