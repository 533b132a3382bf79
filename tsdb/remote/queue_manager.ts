/**
 * The remote write sender for one `remote_write` endpoint, after Prometheus's
 * QueueManager: a reader moves samples from a `SampleSource` into N shards (a series
 * always maps to the same shard, so its samples stay in order); each shard sends a
 * batch when it holds `max_samples_per_send` samples or `batch_send_deadline` passed.
 *
 * - Labels: external labels are added (series labels win), then `write_relabel_configs`
 *   apply; the encoded label bytes are cached per series, so a send only copies bytes.
 * - Retries: retryable failures (5xx, network, 429 with `retry_on_http_429`) are retried
 *   forever with jittered exponential backoff from `min_backoff` to `max_backoff`
 *   (`Retry-After` wins); other statuses drop the batch (`samples_failed_total`).
 *   While a shard retries, its queue fills, then the reader waits and the source keeps
 *   the backlog — nothing is dropped during an outage up to the source's capacity.
 * - Dynamic sharding: every `shardUpdateIntervalMs` (10 s) the desired shard count is
 *   computed from EWMA rates of samples in/out and send time (Prometheus's formula,
 *   30 % hysteresis, no downsharding when more than 10 s behind, no resharding when the
 *   last successful send is older than twice the batch deadline). Resharding drains
 *   the old shards completely before the new ones start, so order is kept.
 */
import type { Labels } from '../labels.js';
import type { QueueConfig } from './config.js';
import type { RelabelConfig } from '../../scrape/relabel_config.js';
import { encodeLabels, encodeWriteRequest } from './codec.js';
import { ProtoWriter } from './proto_writer.js';
import type { RemoteWriteMetrics } from './queue_metrics.js';
import { mergeLabels } from './read_codec.js';
import { RemoteError } from './remote_error.js';
import { SampleBatch, type SampleSource } from './sample_source.js';
import { snappyEncode } from './snappy.js';
import { relabel } from '../../scrape/relabel.js';
import type { RemoteWriter } from './write_client.js';

interface Logger {
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

const EWMA_WEIGHT = 0.2;
const SHARD_TOLERANCE = 0.3;

/** Options of a `QueueManager`. Every field is required except the last four. */
export interface QueueManagerOptions {
  /** `remote_name` label of the metrics. */
  name: string;
  /** `url` label of the metrics. */
  url: string;
  queue: QueueConfig;
  externalLabels: Labels;
  relabel: readonly RelabelConfig[];
  source: SampleSource;
  writer: RemoteWriter;
  metrics: RemoteWriteMetrics;
  logger: Logger;
  /** Default 10 000 ms, as Prometheus. */
  shardUpdateIntervalMs?: number;
  /** Clock (ms). Default `Date.now`. */
  now?: () => number;
  /** Random in [0, 1) for backoff jitter. Default `Math.random`. */
  random?: () => number;
}

class EwmaRate {
  private newEvents = 0;
  private rateValue = 0;
  private init = false;
  constructor(private readonly intervalSec: number) {}
  incr(n: number): void {
    this.newEvents += n;
  }
  tick(): void {
    const instant = this.newEvents / this.intervalSec;
    this.newEvents = 0;
    if (this.init) this.rateValue += EWMA_WEIGHT * (instant - this.rateValue);
    else {
      this.init = true;
      this.rateValue = instant;
    }
  }
  rate(): number {
    return this.rateValue;
  }
}

class Shard {
  private readonly qm: QueueManager;
  private readonly cap: number;
  private readonly refs: Float64Array;
  private readonly ts: Float64Array;
  private readonly vs: Float64Array;
  /** Read sequence number (see `QueueManager.settle`) of each held sample. */
  private readonly seqs: Float64Array;
  private head: number;
  count: number;
  stopping: boolean;
  private wake: (() => void) | null;
  readonly done: Promise<void>;

  constructor(qm: QueueManager, capacity: number) {
    this.qm = qm;
    this.cap = capacity;
    this.refs = new Float64Array(capacity);
    this.ts = new Float64Array(capacity);
    this.vs = new Float64Array(capacity);
    this.seqs = new Float64Array(capacity);
    this.head = 0;
    this.count = 0;
    this.stopping = false;
    this.wake = null;
    this.done = this.loop();
  }

  push(ref: number, t: number, v: number, seq: number): boolean {
    if (this.count === this.cap) return false;
    const i = (this.head + this.count) % this.cap;
    this.seqs[i] = seq;
    this.refs[i] = ref;
    this.ts[i] = t;
    this.vs[i] = v;
    this.count++;
    if (this.count >= this.qm.maxPerSend) this.poke();
    return true;
  }

  /** Wakes the send loop (batch full, stop requested). */
  poke(): void {
    if (this.wake !== null) {
      const w = this.wake;
      this.wake = null;
      w();
    }
  }

  private waitData(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.wake = null;
        resolve();
      }, ms);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  private async loop(): Promise<void> {
    const qm = this.qm;
    const out = new SampleBatch(qm.maxPerSend);
    const outSeqs = new Float64Array(qm.maxPerSend);
    for (;;) {
      if (this.count < qm.maxPerSend && !this.stopping) await this.waitData(qm.batchDeadline);
      if (this.count === 0) {
        if (this.stopping) return;
        continue;
      }
      const k = Math.min(this.count, qm.maxPerSend);
      for (let j = 0; j < k; j++) {
        const i = (this.head + j) % this.cap;
        out.refs[j] = this.refs[i]!;
        out.ts[j] = this.ts[i]!;
        out.vs[j] = this.vs[i]!;
        outSeqs[j] = this.seqs[i]!;
      }
      out.n = k;
      this.head = (this.head + k) % this.cap;
      this.count -= k;
      qm.notifySpace();
      if (await qm.sendBatch(out)) qm.settle(outSeqs, k);
    }
  }
}

export class QueueManager {
  readonly name: string;
  readonly url: string;
  readonly source: SampleSource;
  /** Whether `start` was called. */
  started: boolean;
  /** @internal */ readonly maxPerSend: number;
  /** @internal */ readonly batchDeadline: number;
  private readonly cfg: QueueConfig;
  private readonly opts: QueueManagerOptions;
  private readonly labels: { remote_name: string; url: string };
  private readonly prepared: Map<number, Uint8Array | null>;
  private readonly writer: ProtoWriter;
  private readonly now: () => number;
  private readonly random: () => number;
  private shards: Shard[];
  private numShards: number;
  private resharding: boolean;
  private stopped: boolean;
  private aborted: boolean;
  private spaceWaiter: (() => void) | null;
  private abortWaiters: Set<() => void>;
  private readerDone: Promise<void> | null;
  private reshardDone: Promise<void> | null;
  private reshardTimer: NodeJS.Timeout | null;
  private readonly dataIn: EwmaRate;
  private readonly dataOut: EwmaRate;
  private readonly dataDropped: EwmaRate;
  private readonly dataOutDuration: EwmaRate;
  private highestSentSec: number;
  private highestRecvSec: number;
  private lastSendOkMs: number;
  private pendingInShards: number;
  /** Non-empty reads so far; read `i` (1-based) has sequence number `i`. */
  private readSeq: number;
  /** Reads whose samples are all in shards (or dropped at read time). */
  private enqueuedThrough: number;
  /** Reads whose samples are all sent or dropped for good; told to the source. */
  private settledThrough: number;
  /** Samples of read `seq` in shards and not yet settled. */
  private readonly unsettled: Map<number, number>;

  constructor(opts: QueueManagerOptions) {
    this.opts = opts;
    this.name = opts.name;
    this.url = opts.url;
    this.source = opts.source;
    this.started = false;
    this.cfg = opts.queue;
    this.maxPerSend = opts.queue.maxSamplesPerSend;
    this.batchDeadline = opts.queue.batchSendDeadline;
    this.labels = { remote_name: opts.name, url: opts.url };
    this.prepared = new Map();
    this.writer = new ProtoWriter();
    this.now = opts.now ?? Date.now;
    this.random = opts.random ?? Math.random;
    this.shards = [];
    this.numShards = opts.queue.minShards;
    this.resharding = false;
    this.stopped = false;
    this.aborted = false;
    this.spaceWaiter = null;
    this.abortWaiters = new Set();
    this.readerDone = null;
    this.reshardDone = null;
    this.reshardTimer = null;
    const interval = (opts.shardUpdateIntervalMs ?? 10_000) / 1000;
    this.dataIn = new EwmaRate(interval);
    this.dataOut = new EwmaRate(interval);
    this.dataDropped = new EwmaRate(interval);
    this.dataOutDuration = new EwmaRate(interval);
    this.highestSentSec = 0;
    this.highestRecvSec = 0;
    this.lastSendOkMs = this.now();
    this.pendingInShards = 0;
    this.readSeq = 0;
    this.enqueuedThrough = 0;
    this.settledThrough = 0;
    this.unsettled = new Map();
  }

  /** Starts the reader, the shards and the reshard timer. */
  start(): void {
    if (this.started) return;
    this.started = true;
    const m = this.opts.metrics;
    m.shardCapacity.set(this.labels, this.cfg.capacity);
    m.shardsMax.set(this.labels, this.cfg.maxShards);
    m.shardsMin.set(this.labels, this.cfg.minShards);
    m.shardsDesired.set(this.labels, this.numShards);
    m.maxSamplesPerSend.set(this.labels, this.maxPerSend);
    // Counters start at 0 for every queue, as Prometheus's do, so rates and alerts see them.
    for (const c of [m.samplesTotal, m.samplesFailed, m.samplesRetried, m.samplesDropped, m.enqueueRetries, m.bytesTotal]) c.inc(this.labels, 0);
    this.startShards(this.numShards);
    this.readerDone = this.readLoop();
    this.reshardTimer = setInterval(() => void this.updateShards(), this.opts.shardUpdateIntervalMs ?? 10_000);
    this.reshardTimer.unref();
  }

  /** Current number of shards. */
  shardCount(): number {
    return this.shards.length;
  }

  private startShards(n: number): void {
    this.shards = [];
    for (let i = 0; i < n; i++) this.shards.push(new Shard(this, this.cfg.capacity));
    this.opts.metrics.shards.set(this.labels, n);
  }

  /** @internal Called by shards when they take samples out. */
  notifySpace(): void {
    if (this.spaceWaiter !== null) {
      const w = this.spaceWaiter;
      this.spaceWaiter = null;
      w();
    }
  }

  /** The encoded labels of source series `ref` after external labels and relabeling, null if dropped. */
  private prepare(ref: number): Uint8Array | null {
    let p = this.prepared.get(ref);
    if (p !== undefined) return p;
    const raw = this.source.seriesLabels(ref);
    if (raw === undefined) return null;
    const withExternal = mergeLabels(raw, this.opts.externalLabels);
    const relabeled = relabel(withExternal, this.opts.relabel);
    p = relabeled === null ? null : encodeLabels(relabeled);
    this.prepared.set(ref, p);
    return p;
  }

  private async readLoop(): Promise<void> {
    // A durable source re-sends unsettled reads after a restart: reads of one batch bound the duplicates.
    const batch = new SampleBatch(this.source.delivered !== undefined ? this.maxPerSend : Math.max(this.maxPerSend, 1000));
    const m = this.opts.metrics;
    while (!this.stopped) {
      const n = await this.source.read(batch, 200);
      if (n === 0) continue;
      const seq = ++this.readSeq;
      this.unsettled.set(seq, 0);
      m.samplesIn.inc(n);
      this.dataIn.incr(n);
      const ageLimit = this.cfg.sampleAgeLimit;
      const minT = ageLimit > 0 ? this.now() - ageLimit : Number.NEGATIVE_INFINITY;
      let dropped = 0;
      let maxT = 0;
      for (let i = 0; i < n; i++) {
        const ref = batch.refs[i]!;
        const t = batch.ts[i]!;
        if (t > maxT) maxT = t;
        if (this.prepare(ref) === null || t < minT) {
          dropped++;
          continue;
        }
        while (!this.enqueue(ref, t, batch.vs[i]!, seq)) {
          m.enqueueRetries.inc(this.labels);
          await new Promise<void>((resolve) => {
            this.spaceWaiter = resolve;
          });
          if (this.aborted) return;
        }
      }
      if (maxT / 1000 > this.highestRecvSec) {
        this.highestRecvSec = maxT / 1000;
        m.highestIn.set(this.highestRecvSec);
      }
      if (dropped > 0) {
        m.samplesDropped.inc(this.labels, dropped);
        this.dataDropped.incr(dropped);
      }
      m.samplesPending.set(this.labels, this.pendingInShards);
      this.enqueuedThrough = seq;
      this.advanceSettled();
    }
  }

  private enqueue(ref: number, t: number, v: number, seq: number): boolean {
    if (this.resharding) return false;
    const shard = this.shards[ref % this.shards.length]!;
    if (!shard.push(ref, t, v, seq)) return false;
    this.pendingInShards++;
    this.unsettled.set(seq, (this.unsettled.get(seq) ?? 0) + 1);
    return true;
  }

  /**
   * @internal Called by a shard when the first `n` samples of a batch, which came from
   * reads `seqs[0..n)`, were sent or dropped for good (a 4xx). Samples abandoned because
   * the queue stopped are never settled, so a durable source re-reads them.
   */
  settle(seqs: Float64Array, n: number): void {
    let i = 0;
    while (i < n) {
      const seq = seqs[i]!;
      let j = i + 1;
      while (j < n && seqs[j] === seq) j++;
      this.unsettled.set(seq, (this.unsettled.get(seq) ?? 0) - (j - i));
      i = j;
    }
    this.advanceSettled();
  }

  /** Moves `settledThrough` past fully enqueued, fully settled reads and tells the source. */
  private advanceSettled(): void {
    const before = this.settledThrough;
    while (this.settledThrough < this.enqueuedThrough && (this.unsettled.get(this.settledThrough + 1) ?? 0) <= 0) {
      this.unsettled.delete(this.settledThrough + 1);
      this.settledThrough++;
    }
    if (this.settledThrough > before) this.source.delivered?.(this.settledThrough);
  }

  /** Reads whose every sample was sent or dropped for good (for tests and status). */
  settledReads(): number {
    return this.settledThrough;
  }

  /**
   * @internal Encodes, compresses and sends one batch, retrying as the contract says.
   * Resolves false when the batch was abandoned because the queue stopped.
   */
  async sendBatch(b: SampleBatch): Promise<boolean> {
    let settled = true;
    const labelBytes: Uint8Array[] = new Array(b.n);
    let highest = 0;
    for (let i = 0; i < b.n; i++) {
      labelBytes[i] = this.prepared.get(b.refs[i]!)!;
      if (b.ts[i]! > highest) highest = b.ts[i]!;
    }
    const body = snappyEncode(encodeWriteRequest(this.writer, b.n, labelBytes, b.ts, b.vs));
    const m = this.opts.metrics;
    let backoff = this.cfg.minBackoff;
    for (let attempt = 0; ; attempt++) {
      const start = this.now();
      try {
        await this.opts.writer.store(body, attempt);
        const sec = (this.now() - start) / 1000;
        m.sentBatchDuration.observe(this.labels, sec);
        m.samplesTotal.inc(this.labels, b.n);
        m.bytesTotal.inc(this.labels, body.length);
        this.dataOut.incr(b.n);
        this.dataOutDuration.incr(sec);
        this.lastSendOkMs = this.now();
        if (highest / 1000 > this.highestSentSec) {
          this.highestSentSec = highest / 1000;
          m.highestSent.set(this.labels, this.highestSentSec);
        }
        break;
      } catch (e) {
        m.sentBatchDuration.observe(this.labels, (this.now() - start) / 1000);
        const retryable = e instanceof RemoteError && e.retryable;
        const msg = e instanceof Error ? e.message : String(e);
        if (!retryable || this.aborted) {
          if (this.aborted) settled = false;
          m.samplesFailed.inc(this.labels, b.n);
          this.opts.logger.error('non-recoverable error sending samples to remote storage; dropping the batch', {
            remote_name: this.name,
            url: this.url,
            count: b.n,
            err: this.aborted ? `queue stopped before the batch could be sent: ${msg}` : msg,
          });
          break;
        }
        m.samplesRetried.inc(this.labels, b.n);
        const wait = e instanceof RemoteError && e.retryAfterMs > 0 ? e.retryAfterMs : backoff / 2 + (this.random() * backoff) / 2;
        if (attempt === 0 || attempt % 10 === 0) {
          this.opts.logger.warn('Failed to send batch, retrying', { remote_name: this.name, url: this.url, err: msg, attempt });
        }
        await this.sleep(wait);
        backoff = Math.min(backoff * 2, this.cfg.maxBackoff);
      }
    }
    this.pendingInShards -= b.n;
    return settled;
  }

  /** Sleeps `ms`, or less when the queue is aborted. */
  private sleep(ms: number): Promise<void> {
    if (this.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.abortWaiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.abortWaiters.add(done);
    });
  }

  /** Prometheus's desired-shards computation; public for tests. */
  calculateDesiredShards(): number {
    this.dataOut.tick();
    this.dataDropped.tick();
    this.dataOutDuration.tick();
    this.dataIn.tick();
    const inRate = this.dataIn.rate();
    const outRate = this.dataOut.rate();
    const keptRatio = outRate / (this.dataDropped.rate() + outRate);
    const outDuration = this.dataOutDuration.rate();
    const delay = this.highestRecvSec - this.highestSentSec;
    const pending = delay * inRate * keptRatio;
    const current = this.shards.length;
    if (outRate <= 0) return current;
    const timePerSample = outDuration / outRate;
    let desired = timePerSample * (inRate * keptRatio + 0.05 * pending);
    this.opts.metrics.shardsDesired.set(this.labels, desired);
    const lower = current * (1 - SHARD_TOLERANCE);
    const upper = current * (1 + SHARD_TOLERANCE);
    desired = Math.ceil(desired);
    if (lower <= desired && desired <= upper) return current;
    if (desired < current && delay > 10) return current;
    return Math.max(this.cfg.minShards, Math.min(this.cfg.maxShards, desired));
  }

  private async updateShards(): Promise<void> {
    if (this.stopped || this.resharding) return;
    const desired = this.calculateDesiredShards();
    if (desired === this.shards.length) return;
    if (this.lastSendOkMs < this.now() - 2 * this.batchDeadline) {
      this.opts.logger.warn('Skipping resharding, last successful send was beyond threshold', { remote_name: this.name });
      return;
    }
    this.reshardDone = this.reshard(desired);
    await this.reshardDone;
  }

  /** Drains every shard, then runs `n` shards. Samples keep their per-series order. */
  async reshard(n: number): Promise<void> {
    if (this.resharding || this.stopped) return;
    this.opts.logger.info('Remote storage resharding', { remote_name: this.name, from: this.shards.length, to: n });
    this.resharding = true;
    for (const s of this.shards) {
      s.stopping = true;
      s.poke();
    }
    await Promise.all(this.shards.map((s) => s.done));
    if (!this.stopped) this.startShards(n);
    this.resharding = false;
    this.notifySpace();
  }

  /**
   * Stops reading, sends what the shards hold for up to `flushDeadlineMs`, then gives up
   * on the rest (counted as failed). Samples still in the source stay there (a queue that
   * replaces this one can take the source over).
   */
  async stop(flushDeadlineMs: number): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.reshardTimer !== null) clearInterval(this.reshardTimer);
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, flushDeadlineMs);
    });
    // The reader finishes the batch it holds (it may wait for shard space), then the shards flush.
    const flushed = (async () => {
      await this.readerDone;
      await this.reshardDone;
      for (const s of this.shards) {
        s.stopping = true;
        s.poke();
      }
      await Promise.all(this.shards.map((s) => s.done));
    })();
    await Promise.race([flushed, deadline]);
    clearTimeout(timer);
    this.aborted = true;
    this.notifySpace();
    for (const w of [...this.abortWaiters]) w();
    await flushed;
    this.opts.writer.close();
    this.opts.metrics.remove(this.labels);
  }
}
