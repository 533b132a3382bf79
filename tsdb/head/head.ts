/**
 * The head: the in-memory block holding the newest samples (Prometheus's
 * `tsdb/head.go`). Series are found by reference (`Map<number, MemSeries>`) and
 * by label hash (`Labels.hash()`, collisions resolved with `equals`); postings
 * index them for matcher lookups. Full chunks go to head chunk files so the
 * JavaScript heap holds one open chunk per series.
 *
 * Writes go through `appender()` (head_appender.ts), reads through
 * `querier(mint, maxt)` (head_read.ts). Everything runs on the one JS thread, so
 * there are no locks; a commit applies all its samples without yielding.
 */
import { Tombstones } from '../block/tombstones.js';
import { CHUNK_SAMPLES_TARGET } from '../chunkenc/chunk.js';
import { StorageError, invalidSeries } from '../errors.js';
import type { Labels } from '../labels.js';
import type { Matcher } from '../matcher.js';
import { postingsForMatchers } from '../index/postings_for_matchers.js';
import { HeadAppender } from './head_appender.js';
import { HeadChunkFiles } from './head_chunks.js';
import { HeadQuerier } from './head_read.js';
import { MemPostings } from './mem_postings.js';
import { MemSeries } from './mem_series.js';

/** Two hours in milliseconds: Prometheus's default block and chunk range. */
export const DEFAULT_CHUNK_RANGE = 2 * 3600 * 1000;

/** Receives WAL records for every commit before its samples become visible. */
export interface HeadLog {
  /** Writes the records (handing them to the OS) or throws; called synchronously in `commit`. */
  log(records: readonly Uint8Array[]): void;
}

export interface HeadOptions {
  /** Chunk range (ms); chunks never span a multiple of it. Default 2h. */
  readonly chunkRange?: number;
  /** Target samples per chunk. Default 120. */
  readonly samplesPerChunk?: number;
  /** Out-of-order window (ms); 0 (default) rejects out-of-order samples. */
  readonly outOfOrderWindow?: number;
  /** Directory for head chunk files (`chunks_head`); null keeps full chunks in memory. */
  readonly chunkDir?: string | null;
  /** Where commits are logged; null for no WAL. */
  readonly log?: HeadLog | null;
}

/** Counters exposed as Prometheus self-metrics. All monotonic except where noted. */
export class HeadStats {
  samplesAppended = 0;
  outOfOrderSamplesAppended = 0;
  seriesCreated = 0;
  seriesRemoved = 0;
  chunksCreated = 0;
  chunksRemoved = 0;
  outOfOrderRejected = 0;
  outOfBoundsRejected = 0;
  tooOldRejected = 0;
  duplicateRejected = 0;
  truncations = 0;
}

export class Head {
  readonly chunkRange: number;
  readonly samplesPerChunk: number;
  readonly oooWindow: number;
  /** Series by reference, for iteration and counting. */
  readonly series: Map<number, MemSeries>;
  /**
   * Series by reference as a holey array: the per-sample lookup in commits and
   * WAL replay is an index, not a hash probe. References are dense (handed out in
   * sequence), so the array costs 8 bytes per reference ever issued.
   */
  private readonly byRef: (MemSeries | undefined)[];
  private readonly byHash: Map<number, MemSeries | MemSeries[]>;
  readonly postings: MemPostings;
  readonly tombstones: Tombstones;
  readonly sink: HeadChunkFiles | null;
  readonly stats: HeadStats;
  log: HeadLog | null;
  /** Next series reference to hand out. */
  nextRef: number;
  /** Oldest and newest sample times (ms); +Inf / -Inf while empty. */
  minT: number;
  maxT: number;
  /** Samples older than this are out of bounds (set by truncation). */
  minValidTime: number;
  closed: boolean;

  constructor(opts: HeadOptions = {}) {
    this.chunkRange = opts.chunkRange ?? DEFAULT_CHUNK_RANGE;
    this.samplesPerChunk = opts.samplesPerChunk ?? CHUNK_SAMPLES_TARGET;
    this.oooWindow = opts.outOfOrderWindow ?? 0;
    this.series = new Map();
    this.byRef = [];
    this.byHash = new Map();
    this.postings = new MemPostings();
    this.tombstones = new Tombstones();
    this.sink = opts.chunkDir ? new HeadChunkFiles(opts.chunkDir) : null;
    this.stats = new HeadStats();
    this.log = opts.log ?? null;
    this.nextRef = 1;
    this.minT = Number.POSITIVE_INFINITY;
    this.maxT = Number.NEGATIVE_INFINITY;
    this.minValidTime = Number.NEGATIVE_INFINITY;
    this.closed = false;
  }

  /** Number of series in the head. */
  numSeries(): number {
    return this.series.size;
  }

  /** The series with reference `ref`, or undefined. */
  getByRef(ref: number): MemSeries | undefined {
    return this.byRef[ref];
  }

  /** The series with these labels, or undefined. */
  getByLabels(labels: Labels): MemSeries | undefined {
    const e = this.byHash.get(labels.hash());
    if (e === undefined) return undefined;
    if (e instanceof MemSeries) return e.labels.equals(labels) ? e : undefined;
    for (const s of e) if (s.labels.equals(labels)) return s;
    return undefined;
  }

  /**
   * The series with these labels, created (with the next free reference) when
   * missing. `created` receives newly created series so the caller can log them.
   * Throws `StorageError` for an empty label set.
   */
  getOrCreate(labels: Labels, created: MemSeries[] | null): MemSeries {
    const s = this.getByLabels(labels);
    if (s !== undefined) return s;
    if (labels.isEmpty()) throw invalidSeries(labels, 'empty label set');
    const n = this.createWithRef(this.nextRef, labels);
    if (created !== null) created.push(n);
    return n;
  }

  /**
   * Creates a series with a given reference (WAL replay). Returns the existing
   * series if the labels are already known (then `ref` is ignored).
   */
  createWithRef(ref: number, labels: Labels): MemSeries {
    const existing = this.getByLabels(labels);
    if (existing !== undefined) return existing;
    const s = new MemSeries(ref, labels);
    this.series.set(ref, s);
    this.byRef[ref] = s;
    const h = labels.hash();
    const e = this.byHash.get(h);
    if (e === undefined) this.byHash.set(h, s);
    else if (e instanceof MemSeries) this.byHash.set(h, [e, s]);
    else e.push(s);
    this.postings.add(ref, labels);
    if (ref >= this.nextRef) this.nextRef = ref + 1;
    this.stats.seriesCreated++;
    return s;
  }

  /** Oldest time an in-order append may have: max(minValidTime, maxT - chunkRange/2). */
  appendableMinValidTime(): number {
    if (this.maxT === Number.NEGATIVE_INFINITY) return this.minValidTime;
    return Math.max(this.minValidTime, this.maxT - this.chunkRange / 2);
  }

  /** Updates the head's time span for a sample at `t`. */
  noteTime(t: number): void {
    if (t < this.minT) this.minT = t;
    if (t > this.maxT) this.maxT = t;
  }

  /** A new write transaction. */
  appender(): HeadAppender {
    if (this.closed) throw new StorageError('storage_closed', 'cannot append: the head is closed');
    return new HeadAppender(this);
  }

  /** A read view over `[mint, maxt]` (inclusive). */
  querier(mint: number, maxt: number): HeadQuerier {
    return new HeadQuerier(this, mint, maxt);
  }

  /** Series references (sorted) matching all matchers. */
  postingsFor(matchers: readonly Matcher[]): Uint32Array {
    return postingsForMatchers(this.postings, matchers);
  }

  /**
   * Drops all data older than `mint` (after it was persisted in a block): chunks,
   * out-of-order samples, series left empty, their postings and tombstones; and
   * rejects later appends before `mint`. Returns the number of series removed.
   */
  truncate(mint: number): number {
    if (mint > this.minValidTime) this.minValidTime = mint;
    const dead = new Set<number>();
    let newMin = Number.POSITIVE_INFINITY;
    for (const s of this.series.values()) {
      this.stats.chunksRemoved += s.truncateBefore(mint);
      if (s.isEmpty()) dead.add(s.ref);
      else {
        const m = s.minTime();
        if (m < newMin) newMin = m;
      }
    }
    for (const ref of dead) this.removeSeries(ref);
    if (dead.size > 0) this.postings.deleteWhere((r) => dead.has(r));
    this.minT = newMin;
    if (this.series.size === 0) this.maxT = Number.NEGATIVE_INFINITY;
    if (this.sink !== null) {
      // Files older than every chunk still referenced can go.
      let minSeq = this.sink.currentSeq();
      for (const s of this.series.values()) {
        if (s.mmCount > 0) {
          const seq = Math.floor(s.mm[0]! / 4294967296);
          if (seq < minSeq) minSeq = seq;
        }
      }
      this.sink.dropFilesBefore(minSeq);
    }
    this.stats.truncations++;
    return dead.size;
  }

  private removeSeries(ref: number): void {
    const s = this.series.get(ref);
    if (s === undefined) return;
    this.series.delete(ref);
    this.byRef[ref] = undefined;
    const h = s.labels.hash();
    const e = this.byHash.get(h);
    if (e === s) this.byHash.delete(h);
    else if (Array.isArray(e)) {
      const rest = e.filter((x) => x !== s);
      if (rest.length === 1) this.byHash.set(h, rest[0]!);
      else this.byHash.set(h, rest);
    }
    this.stats.seriesRemoved++;
  }

  /** Marks `[mint, maxt]` of every series matching `matchers` deleted; returns the tombstones added as [ref, mint, maxt] triples. */
  deleteRange(mint: number, maxt: number, matchers: readonly Matcher[]): number[] {
    const refs = this.postingsFor(matchers);
    const out: number[] = [];
    for (let i = 0; i < refs.length; i++) {
      const s = this.byRef[refs[i]!];
      if (s === undefined || s.isEmpty()) continue;
      if (s.maxTime() < mint || s.minTime() > maxt) continue;
      this.tombstones.add(s.ref, mint, maxt);
      out.push(s.ref, mint, maxt);
    }
    return out;
  }

  /** Releases chunk files. */
  close(): void {
    this.closed = true;
    this.sink?.close();
  }
}
