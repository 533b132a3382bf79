/**
 * The head's write transaction (Prometheus's `headAppender`). `append` validates
 * each sample against the committed state and buffers it in typed arrays;
 * `commit` logs the new series and the samples to the WAL (handing the bytes to
 * the OS) and only then applies them to the series, so a sample is visible
 * exactly when its commit has resolved and durable against a process kill.
 *
 * Rejections (typed `StorageError`s, Prometheus's wording): timestamp before the
 * head's appendable window → out of bounds (or too old with an out-of-order
 * window); older than the series' newest sample → out of order (unless the
 * out-of-order window accepts it); same timestamp with different value bits →
 * duplicate. Same timestamp and identical value bits is a silent no-op.
 */
import { EncBuf } from '../encoding/encbuf.js';
import { StorageError, duplicateSampleForTimestamp, outOfBounds, outOfOrderSample } from '../errors.js';
import type { Labels } from '../labels.js';
import type { Appender, SeriesRef } from '../storage.js';
import { WORD_HI, WORD_LO } from '../sample_buffer.js';
import { encodeSamples, encodeSeries } from '../wal/records.js';
import type { Head } from './head.js';
import type { MemSeries } from './mem_series.js';

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);

// One encoding buffer for all appenders: commit encodes and writes synchronously.
const recBuf = new EncBuf(64 * 1024);
const seriesBuf = new EncBuf(4 * 1024);

/** The typed arrays one transaction buffers its samples in; pooled across appenders. */
class SampleBuffers {
  refs: Uint32Array;
  ts: Float64Array;
  vs: Float64Array;
  vw: Uint32Array;
  constructor(cap: number) {
    this.refs = new Uint32Array(cap);
    this.ts = new Float64Array(cap);
    this.vs = new Float64Array(cap);
    this.vw = new Uint32Array(this.vs.buffer);
  }
  grow(n: number): void {
    const c = this.refs.length * 2;
    const r = new Uint32Array(c);
    const t = new Float64Array(c);
    const v = new Float64Array(c);
    r.set(this.refs.subarray(0, n));
    t.set(this.ts.subarray(0, n));
    v.set(this.vs.subarray(0, n));
    this.refs = r;
    this.ts = t;
    this.vs = v;
    this.vw = new Uint32Array(v.buffer);
  }
}

// Free buffers: appenders take one on their first sample and give it back when done,
// so steady-state scraping allocates no typed arrays per commit.
const pool: SampleBuffers[] = [];
const POOL_MAX = 64;
const EMPTY_BUFFERS = new SampleBuffers(0);

export class HeadAppender implements Appender {
  private readonly head: Head;
  private readonly minValid: number;
  private bufs: SampleBuffers;
  private n: number;
  private readonly created: MemSeries[];
  private done: boolean;

  constructor(head: Head) {
    this.head = head;
    this.minValid = head.appendableMinValidTime();
    this.bufs = EMPTY_BUFFERS;
    this.n = 0;
    this.created = [];
    this.done = false;
  }

  append(ref: SeriesRef, labels: Labels, t: number, v: number): SeriesRef {
    if (this.done) throw new StorageError('invalid_sample', 'append after commit or rollback: appenders are single-use');
    const head = this.head;
    if (!Number.isSafeInteger(t)) throw new StorageError('invalid_sample', `invalid timestamp ${t} for ${labels.toString()}: must be an integer number of milliseconds`);
    let s = ref !== 0 ? head.getByRef(ref) : undefined;
    if (s === undefined || (s.labels !== labels && !s.labels.equals(labels))) s = head.getOrCreate(labels, this.created);

    if (t < this.minValid) {
      if (head.oooWindow === 0) {
        head.stats.outOfBoundsRejected++;
        throw outOfBounds(labels, t, this.minValid);
      }
      if (t < head.maxT - head.oooWindow) {
        head.stats.tooOldRejected++;
        throw tooOld(labels, t, head.maxT - head.oooWindow);
      }
      // Data before the head's minimum valid time is already in blocks; Vigil does not
      // write overlapping out-of-order blocks (Prometheus's OOO compaction), so refuse it.
      if (t < head.minValidTime) {
        head.stats.tooOldRejected++;
        throw tooOld(labels, t, head.minValidTime);
      }
    }
    if (t <= s.lastT) {
      if (t === s.lastT) {
        f64[0] = v;
        if (u32[WORD_HI] === s.lastHi && u32[WORD_LO] === s.lastLo) return s.ref as SeriesRef;
        head.stats.duplicateRejected++;
        throw duplicateSampleForTimestamp(labels, t);
      }
      if (head.oooWindow === 0) {
        head.stats.outOfOrderRejected++;
        throw outOfOrderSample(labels, t, s.lastT);
      }
      if (t < head.maxT - head.oooWindow) {
        head.stats.tooOldRejected++;
        throw tooOld(labels, t, head.maxT - head.oooWindow);
      }
    }
    const i = this.n;
    let b = this.bufs;
    if (i === b.refs.length) {
      if (b === EMPTY_BUFFERS) b = this.bufs = pool.pop() ?? new SampleBuffers(256);
      else b.grow(i);
    }
    b.refs[i] = s.ref;
    b.ts[i] = t;
    b.vs[i] = v;
    this.n = i + 1;
    return s.ref as SeriesRef;
  }

  /** Returns the sample buffers to the pool. */
  private release(): void {
    if (this.bufs !== EMPTY_BUFFERS && pool.length < POOL_MAX) pool.push(this.bufs);
    this.bufs = EMPTY_BUFFERS;
    this.n = 0;
  }

  /**
   * Logs and applies the transaction. Rejects (with nothing applied) when the WAL
   * write fails, e.g. on a full disk; the series created stay in the head.
   */
  commit(): Promise<void> {
    if (this.done) return Promise.resolve();
    this.done = true;
    const head = this.head;
    if (head.closed) return Promise.reject(new StorageError('storage_closed', 'cannot commit: the head is closed'));
    try {
      this.writeLog(true);
    } catch (e) {
      this.release();
      return Promise.reject(e);
    }
    this.apply();
    this.release();
    return Promise.resolve();
  }

  /** Discards the samples. New series were already created; they are still logged, as Prometheus does. */
  rollback(): Promise<void> {
    if (this.done) return Promise.resolve();
    this.done = true;
    this.release();
    if (this.head.closed) return Promise.resolve();
    try {
      this.writeLog(false);
    } catch (e) {
      return Promise.reject(e);
    }
    return Promise.resolve();
  }

  private writeLog(withSamples: boolean): void {
    const log = this.head.log;
    if (log === null) return;
    const recs: Uint8Array[] = [];
    if (this.created.length > 0) {
      const refs: number[] = [];
      const labels: Labels[] = [];
      for (const s of this.created) {
        refs.push(s.ref);
        labels.push(s.labels);
      }
      seriesBuf.reset();
      encodeSeries(seriesBuf, refs, labels);
      recs.push(seriesBuf.get());
    }
    if (withSamples && this.n > 0) {
      recBuf.reset();
      encodeSamples(recBuf, this.bufs.refs, this.bufs.ts, this.bufs.vw, this.n);
      recs.push(recBuf.get());
    }
    if (recs.length > 0) log.log(recs);
  }

  private apply(): void {
    const head = this.head;
    const refs = this.bufs.refs;
    const ts = this.bufs.ts;
    const vs = this.bufs.vs;
    const vw = this.bufs.vw;
    const range = head.chunkRange;
    const spc = head.samplesPerChunk;
    const sink = head.sink;
    let appended = 0;
    let ooo = 0;
    let chunks = 0;
    let minT = head.minT;
    let maxT = head.maxT;
    for (let i = 0; i < this.n; i++) {
      const s = head.getByRef(refs[i]!);
      if (s === undefined) continue; // removed by a truncation since append: the sample is too old anyway
      const t = ts[i]!;
      if (t > s.lastT) {
        chunks += s.appendAt(ts, vw, i, range, spc, sink);
      } else if (t === s.lastT || head.oooWindow === 0 || !s.insertOoo(t, vs[i]!)) {
        // Another appender got there first; Prometheus drops these at commit too.
        head.stats.outOfOrderRejected++;
        continue;
      } else {
        ooo++;
      }
      appended++;
      if (t < minT) minT = t;
      if (t > maxT) maxT = t;
    }
    head.minT = minT;
    head.maxT = maxT;
    head.stats.samplesAppended += appended;
    head.stats.outOfOrderSamplesAppended += ooo;
    head.stats.chunksCreated += chunks;
  }
}

function tooOld(labels: Labels, t: number, limit: number): StorageError {
  return new StorageError(
    'too_old_sample',
    `too old sample for ${labels.toString()}: timestamp ${t} is older than the out-of-order window allows (${limit})`,
  );
}
