/**
 * A `SampleSource` that tails the TSDB's write-ahead log, as Prometheus's WAL watcher
 * does: series records give `seriesLabels(ref)`, samples records feed `read()`, in the
 * order they were logged. Nothing committed is lost across restarts of Vigil or outages
 * of the receiver, as long as the WAL still holds it.
 *
 * Position: after every delivered read (see `SampleSource.delivered`) the position of
 * the last sample handed out in that read — segment, start offset of its samples record,
 * samples of that record already handed out — is written to a small JSON progress file
 * (atomically: temporary file + rename). On start the source reads the newest checkpoint
 * and every segment for series records, and hands out only samples after the recorded
 * position. Without a progress file (a new queue) it starts at the end the WAL had when
 * the source was constructed.
 * Delivery is at-least-once: reads in flight when Vigil stops are sent again.
 *
 * Segments are followed as they are cut (a newer segment existing means the older one is
 * complete: the writer logs synchronously in this process). When the segment to read was
 * deleted by a checkpoint, the samples in it are lost (counted in `segmentsMissed`), the
 * checkpoint's series are read and tailing continues at the oldest remaining segment.
 *
 * Limits: series are never forgotten (no garbage collection on checkpoints); histogram,
 * exemplar and metadata records are skipped; the first read after start scans the WAL
 * synchronously for series records.
 */
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync, openSync, readSync, closeSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Labels } from '../labels.js';
import { RecordType, SampleBatch as WalSamples, decodeSamples, decodeSeries, recordType } from '../wal/records.js';
import { PAGE_SIZE, lastCheckpoint, listSegments, segmentPath } from '../wal/segment.js';
import { readSegment, readSegmentBytes } from '../wal/wal_reader.js';
import type { SampleBatch, SampleSource } from './sample_source.js';

/** Where the next sample to hand out is: samples records before (`segment`, `offset`) are done, and the first `skip` samples of the record at `offset`. */
export interface WalPosition {
  segment: number;
  offset: number;
  skip: number;
}

interface Logger {
  warn(msg: string, fields?: Record<string, unknown>): void;
}

/** Options of `WalSampleSource`. */
export interface WalSampleSourceOptions {
  /** The TSDB's WAL directory. */
  walDir: string;
  /** The per-queue progress file (its directory is created on first write). */
  progressPath: string;
  /** How often a waiting `read` looks for new records (ms). Default 50. */
  pollMs?: number;
  logger?: Logger;
}

/** The progress file could not be parsed. */
export class ProgressFileError extends Error {
  readonly code = 'remote_progress_invalid';
  constructor(path: string, why: string) {
    super(`remote write progress file ${path}: ${why}`);
    this.name = 'ProgressFileError';
  }
}

/** Reads a progress file; null when it does not exist. Throws `ProgressFileError` when it is malformed. */
export function readProgress(path: string): WalPosition | null {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
  if (text.length > 4096) throw new ProgressFileError(path, `too large (${text.length} bytes)`);
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new ProgressFileError(path, `not JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
  const o = v as Record<string, unknown>;
  for (const k of ['segment', 'offset', 'skip']) {
    const x = o?.[k];
    if (typeof x !== 'number' || !Number.isSafeInteger(x) || x < 0) throw new ProgressFileError(path, `field "${k}" must be a non-negative integer`);
  }
  return { segment: o.segment as number, offset: o.offset as number, skip: o.skip as number };
}

function before(seg: number, off: number, p: WalPosition): boolean {
  return seg < p.segment || (seg === p.segment && off < p.offset);
}

export class WalSampleSource implements SampleSource {
  private readonly walDir: string;
  private readonly progressPath: string;
  private readonly pollMs: number;
  private readonly logger: Logger | undefined;
  private readonly series: Map<number, Labels>;
  private started: boolean;
  private closed: boolean;
  private wake: (() => void) | null;
  /** Samples before this position are not handed out. */
  private start: WalPosition;
  /** The end of the WAL when the source was made: where a queue without progress starts. */
  private readonly fallback: WalPosition;
  /** Segment being scanned, and the offset before which its records were taken. */
  private seg: number;
  private scanFrom: number;
  /** Raw records scanned and not processed yet. */
  private recs: { offset: number; rec: Uint8Array }[];
  private recIdx: number;
  /** The samples record being handed out. */
  private readonly dec: WalSamples;
  private decPos: number;
  /** Position after the last sample handed out. */
  private pos: WalPosition;
  private reads: number;
  private readonly marks: { seq: number; pos: WalPosition }[];
  private progressDirMade: boolean;
  /** Segments deleted before they were read (their samples are lost). */
  segmentsMissed: number;
  /** Records whose frame was intact but whose content did not decode. */
  recordsSkipped: number;
  /** Position last written to the progress file. */
  lastSaved: WalPosition | null;

  constructor(opts: WalSampleSourceOptions) {
    this.walDir = opts.walDir;
    this.progressPath = opts.progressPath;
    this.pollMs = opts.pollMs ?? 50;
    this.logger = opts.logger;
    this.series = new Map();
    this.started = false;
    this.closed = false;
    this.wake = null;
    this.start = { segment: 0, offset: 0, skip: 0 };
    this.seg = 0;
    this.scanFrom = 0;
    this.recs = [];
    this.recIdx = 0;
    this.dec = new WalSamples(1024);
    this.decPos = 0;
    this.pos = this.start;
    this.reads = 0;
    this.marks = [];
    this.progressDirMade = false;
    this.segmentsMissed = 0;
    this.recordsSkipped = 0;
    this.lastSaved = null;
    const last = listSegments(this.walDir).pop();
    this.fallback = last === undefined ? { segment: 0, offset: 0, skip: 0 } : { segment: last, offset: this.sizeOf(last), skip: 0 };
  }

  /** Reads the progress file and the checkpoint's series; positions the scan at the oldest segment. */
  private init(): void {
    this.started = true;
    const segs = listSegments(this.walDir);
    const last = segs[segs.length - 1];
    let p: WalPosition | null = null;
    try {
      p = readProgress(this.progressPath);
    } catch (e) {
      this.logger?.warn('Ignoring unreadable remote write progress; starting at the end of the WAL', { err: e instanceof Error ? e.message : String(e) });
    }
    if (p === null || last === undefined || p.segment > last) p = this.fallback;
    this.start = p;
    this.pos = p;
    this.readCheckpointSeries();
    const first = segs[0] ?? 0;
    if (p.segment < first) {
      this.segmentsMissed += first - p.segment;
      this.logger?.warn('WAL segments holding unsent samples were deleted before they were sent', { from: p.segment, to: first - 1 });
    }
    this.seg = first;
    this.scanFrom = 0;
  }

  private sizeOf(seg: number): number {
    try {
      return statSync(segmentPath(this.walDir, seg)).size;
    } catch {
      return 0;
    }
  }

  private readCheckpointSeries(): void {
    const cp = lastCheckpoint(this.walDir);
    if (cp === null) return;
    const refs: number[] = [];
    const labels: Labels[] = [];
    try {
      for (const s of listSegments(cp.path)) {
        const c = readSegment(cp.path, s, (rec) => {
          if (recordType(rec) === RecordType.Series) decodeSeries(rec, refs, labels);
        });
        if (c !== null) this.logger?.warn('Corrupt WAL checkpoint; series after the damage are unknown', { err: c.toString() });
      }
    } catch (e) {
      this.logger?.warn('Cannot read the WAL checkpoint', { path: cp.path, err: e instanceof Error ? e.message : String(e) });
    }
    for (let i = 0; i < refs.length; i++) if (!this.series.has(refs[i]!)) this.series.set(refs[i]!, labels[i]!);
  }

  /** Scans new records of the current segment, moving to the next one when it is complete. Returns whether records were added. */
  private scan(): boolean {
    for (;;) {
      const segs = listSegments(this.walDir);
      const later = segs.find((s) => s > this.seg);
      let size: number;
      try {
        size = statSync(segmentPath(this.walDir, this.seg)).size;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
        if (later === undefined) return false;
        // Truncated away by a checkpoint before we read it.
        if (this.seg >= this.start.segment) {
          this.segmentsMissed += later - this.seg;
          this.logger?.warn('WAL segment deleted before its samples were sent', { segment: this.seg });
        }
        this.readCheckpointSeries();
        this.seg = later;
        this.scanFrom = 0;
        continue;
      }
      if (size > this.scanFrom) {
        const base = Math.floor(this.scanFrom / PAGE_SIZE) * PAGE_SIZE;
        const buf = new Uint8Array(size - base);
        const fd = openSync(segmentPath(this.walDir, this.seg), 'r');
        let got = 0;
        try {
          while (got < buf.length) {
            const k = readSync(fd, buf, got, buf.length - got, base + got);
            if (k === 0) break;
            got += k;
          }
        } finally {
          closeSync(fd);
        }
        const from = this.scanFrom;
        const added = this.recs.length;
        const c = readSegmentBytes(buf.subarray(0, got), this.walDir, this.seg, (rec, _n, off) => {
          if (base + off >= from) this.recs.push({ offset: base + off, rec });
        });
        if (c === null) this.scanFrom = base + got;
        else if (later !== undefined) {
          this.logger?.warn('Corrupt WAL segment; skipping its rest', { err: c.toString() });
          this.scanFrom = Number.MAX_SAFE_INTEGER;
        } else this.scanFrom = Math.max(from, base + c.offset);
        if (this.recs.length > added) return true;
      }
      if (later === undefined) return false;
      this.seg = later;
      this.scanFrom = 0;
    }
  }

  /** Moves samples into `into`; processes series records on the way. */
  private take(into: SampleBatch): number {
    let n = 0;
    const cap = into.capacity;
    for (;;) {
      const d = this.dec;
      if (this.decPos < d.n) {
        const k = Math.min(cap - n, d.n - this.decPos);
        into.refs.set(d.refs.subarray(this.decPos, this.decPos + k), n);
        into.ts.set(d.ts.subarray(this.decPos, this.decPos + k), n);
        into.vs.set(d.vs.subarray(this.decPos, this.decPos + k), n);
        this.decPos += k;
        n += k;
        this.pos = { segment: this.pos.segment, offset: this.pos.offset, skip: this.decPos };
        if (n === cap) return n;
      }
      if (this.recIdx >= this.recs.length) {
        this.recs = [];
        this.recIdx = 0;
        if (!this.safeScan()) return n;
      }
      const r = this.recs[this.recIdx++]!;
      try {
        this.process(r.offset, r.rec);
      } catch (e) {
        // The frame's checksum held but the record does not decode: skip it, keep tailing.
        d.n = 0;
        this.decPos = 0;
        this.recordsSkipped++;
        this.logger?.warn('Skipping undecodable WAL record', { segment: this.seg, offset: r.offset, err: e instanceof Error ? e.message : String(e) });
      }
    }
  }

  /** Applies a series record, or makes a samples record after the start position the one being handed out. */
  private process(offset: number, rec: Uint8Array): void {
    const typ = recordType(rec);
    if (typ === RecordType.Series) {
      const refs: number[] = [];
      const labels: Labels[] = [];
      decodeSeries(rec, refs, labels);
      for (let i = 0; i < refs.length; i++) this.series.set(refs[i]!, labels[i]!);
    } else if (typ === RecordType.Samples && !before(this.seg, offset, this.start)) {
      decodeSamples(rec, this.dec);
      const atStart = this.seg === this.start.segment && offset === this.start.offset;
      this.decPos = atStart ? Math.min(this.start.skip, this.dec.n) : 0;
      this.pos = { segment: this.seg, offset, skip: this.decPos };
    }
  }

  /** `scan`, with I/O failures logged (and retried on the next poll) instead of thrown. */
  private safeScan(): boolean {
    try {
      return this.scan();
    } catch (e) {
      this.logger?.warn('Cannot read the WAL for remote write', { segment: this.seg, err: e instanceof Error ? e.message : String(e) });
      return false;
    }
  }

  async read(into: SampleBatch, waitMs: number): Promise<number> {
    if (this.closed) {
      into.n = 0;
      return 0;
    }
    if (!this.started) this.init();
    let n = this.take(into);
    const deadline = Date.now() + waitMs;
    while (n === 0 && !this.closed && Date.now() < deadline) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          this.wake = null;
          resolve();
        }, Math.min(this.pollMs, Math.max(1, deadline - Date.now())));
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      if (!this.closed) n = this.take(into);
    }
    into.n = n;
    if (n > 0) {
      this.reads++;
      this.marks.push({ seq: this.reads, pos: this.pos });
    }
    return n;
  }

  /** Records the position after read `reads` in the progress file. */
  delivered(reads: number): void {
    let p: WalPosition | null = null;
    while (this.marks.length > 0 && this.marks[0]!.seq <= reads) p = this.marks.shift()!.pos;
    if (p === null) return;
    try {
      if (!this.progressDirMade) {
        mkdirSync(dirname(this.progressPath), { recursive: true });
        this.progressDirMade = true;
      }
      const tmp = `${this.progressPath}.tmp`;
      writeFileSync(tmp, JSON.stringify(p));
      renameSync(tmp, this.progressPath);
      this.lastSaved = p;
    } catch (e) {
      this.logger?.warn('Cannot record remote write progress', { path: this.progressPath, err: e instanceof Error ? e.message : String(e) });
    }
  }

  seriesLabels(ref: number): Labels | undefined {
    return this.series.get(ref);
  }

  pending(): number {
    return -1;
  }

  close(): void {
    this.closed = true;
    if (this.wake !== null) {
      const w = this.wake;
      this.wake = null;
      w();
    }
  }
}
