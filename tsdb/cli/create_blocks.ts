/**
 * `vigil tsdb create-blocks-from openmetrics FILE DIR`: backfills an OpenMetrics
 * file into blocks, as promtool does it (`cmd/promtool/backfill.go`):
 *
 * - the block duration is 2h, or the largest of 2h·3^n not above `--max-block-duration`;
 * - blocks cover aligned windows `[t, t + duration)`, each block spanning from its
 *   first to its last sample (+1 ms);
 * - chunks are cut with the head's rules over a chunk range of twice the block
 *   duration (promtool's block writer pretends the block is twice as large), so the
 *   chunks match the ones promtool writes for the same input.
 *
 * Every sample needs a timestamp. Within a window, a series' samples must not go
 * back in time; a repeated timestamp with the same value is ignored, with another
 * value it is an error naming the line.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Block } from '../block/block.js';
import { XORAppender, XORChunk } from '../chunkenc/chunk.js';
import { type ChunkCutState, shouldCut, startChunk } from '../chunkenc/chunk_range.js';
import { BlockChunk, writeBlock } from '../block/block_writer.js';
import { exponentialBlockRanges } from '../block/compaction_plan.js';
import type { BlockMeta } from '../block/meta.js';
import { compareLabelsUtf8 } from '../index/index_writer.js';
import { Labels } from '../labels.js';
import { formatBlockTable } from './list_blocks.js';
import { parseOpenMetrics } from './openmetrics_parser.js';
import type { TsdbIO } from './tsdb_io.js';

const DEFAULT_BLOCK_DURATION = 2 * 3600_000;
/** Largest input accepted (bytes); the file is held in memory while it is converted. */
export const MAX_BACKFILL_INPUT = 1 << 30;

/** A backfill input problem (no timestamp, out of order, duplicate); the message names the line. */
export class BackfillError extends Error {
  readonly code = 'backfill';
  constructor(message: string) {
    super(message);
    this.name = 'BackfillError';
  }
}

export interface CreateBlocksOptions {
  /** `--max-block-duration` in ms; 0 means the default (2h). */
  readonly maxBlockDuration: number;
  readonly humanReadable: boolean;
  readonly quiet: boolean;
  /** Clock for block ULIDs (ms). */
  readonly now?: () => number;
}

/** promtool's `getCompatibleBlockDuration`. */
export function compatibleBlockDuration(maxBlockDuration: number): number {
  if (maxBlockDuration <= DEFAULT_BLOCK_DURATION) return DEFAULT_BLOCK_DURATION;
  const ranges = exponentialBlockRanges(DEFAULT_BLOCK_DURATION, 10, 3);
  let idx = ranges.length - 1;
  for (let i = 0; i < ranges.length; i++) {
    if (ranges[i]! > maxBlockDuration) {
      idx = i - 1;
      break;
    }
  }
  return ranges[idx]!;
}

/** All samples of one series, columnar, in input order (`lines` are source line numbers for errors). */
export class SeriesSamples {
  readonly labels: Labels;
  ts: Float64Array;
  vs: Float64Array;
  lines: Uint32Array;
  n: number;
  constructor(labels: Labels) {
    this.labels = labels;
    this.ts = new Float64Array(16);
    this.vs = new Float64Array(16);
    this.lines = new Uint32Array(16);
    this.n = 0;
  }
  push(t: number, v: number, line: number): void {
    if (this.n === this.ts.length) {
      const ts = new Float64Array(this.n * 2);
      ts.set(this.ts);
      this.ts = ts;
      const vs = new Float64Array(this.n * 2);
      vs.set(this.vs);
      this.vs = vs;
      const ln = new Uint32Array(this.n * 2);
      ln.set(this.lines);
      this.lines = ln;
    }
    this.ts[this.n] = t;
    this.vs[this.n] = v;
    this.lines[this.n] = line;
    this.n++;
  }
}

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);
function sameBits(a: number, b: number): boolean {
  f64[0] = a;
  const a0 = u32[0];
  const a1 = u32[1];
  f64[0] = b;
  return a0 === u32[0] && a1 === u32[1];
}

/**
 * Cuts the samples of `s` in `[from, to)` into XOR chunks with the head's rules over
 * `chunkRange` (Prometheus's `appendPreprocessor`). Throws `BackfillError` on samples
 * going back in time or conflicting duplicates.
 */
export function chunkWindow(s: SeriesSamples, from: number, to: number, chunkRange: number, file: string): BlockChunk[] {
  const out: BlockChunk[] = [];
  const state: ChunkCutState = { nextAt: 0 };
  let chunk: XORChunk | null = null;
  let app: XORAppender | null = null;
  let cmin = 0;
  let cmax = 0;
  let count = 0;
  let last = Number.NEGATIVE_INFINITY;
  let lastV = 0;
  const finish = () => {
    if (chunk !== null) {
      chunk.compact();
      out.push(new BlockChunk(chunk, cmin, cmax));
    }
  };
  for (let i = 0; i < s.n; i++) {
    const t = s.ts[i]!;
    if (t < from || t >= to) continue;
    const v = s.vs[i]!;
    if (t < last) throw new BackfillError(`${file}:${s.lines[i]}: out of order sample for ${s.labels.toString()}: timestamp ${t} is before ${last}`);
    if (t === last) {
      if (sameBits(v, lastV)) continue;
      throw new BackfillError(`${file}:${s.lines[i]}: duplicate sample for timestamp ${t} with a different value for ${s.labels.toString()}`);
    }
    if (chunk === null || shouldCut(state, count, cmin, cmax, t)) {
      finish();
      chunk = new XORChunk(256);
      app = new XORAppender(chunk);
      startChunk(state, t, chunkRange);
      cmin = t;
      count = 0;
    }
    app!.append(t, v);
    cmax = t;
    count++;
    last = t;
    lastV = v;
  }
  finish();
  return out;
}

/** Converts OpenMetrics `text` into blocks under `outDir`; returns the metas written, in time order. */
export async function createBlocksFromOpenMetrics(text: string, file: string, outDir: string, opts: CreateBlocksOptions, io: TsdbIO): Promise<BlockMeta[]> {
  const byRaw = new Map<string, SeriesSamples>();
  const byKey = new Map<string, SeriesSamples>();
  let mint = Number.POSITIVE_INFINITY;
  let maxt = Number.NEGATIVE_INFINITY;
  parseOpenMetrics(text, file, (s) => {
    if (s.timestampMs === null) throw new BackfillError(`${file}:${s.line}: expected timestamp for series ${s.name}, got none`);
    const raw = s.series;
    let ser = byRaw.get(raw);
    if (ser === undefined) {
      const ls = Labels.fromStrings('__name__', s.name, ...s.labels);
      ser = byKey.get(ls.key());
      if (ser === undefined) {
        ser = new SeriesSamples(ls);
        byKey.set(ls.key(), ser);
      }
      byRaw.set(raw, ser);
    }
    ser.push(s.timestampMs, s.value, s.line);
    if (s.timestampMs < mint) mint = s.timestampMs;
    if (s.timestampMs > maxt) maxt = s.timestampMs;
  });
  await mkdir(outDir, { recursive: true });
  const series = [...byKey.values()].sort((a, b) => compareLabelsUtf8(a.labels, b.labels));
  if (series.length === 0) return [];
  const bd = compatibleBlockDuration(opts.maxBlockDuration);
  const start = bd * Math.trunc(mint / bd);
  const metas: BlockMeta[] = [];
  let header = true;
  for (let t = start; t <= maxt; t += bd) {
    const upper = t + bd;
    const labels: Labels[] = [];
    const chunks: BlockChunk[][] = [];
    let bmin = Number.POSITIVE_INFINITY;
    let bmax = Number.NEGATIVE_INFINITY;
    for (const s of series) {
      const c = chunkWindow(s, t, upper, 2 * bd, file);
      if (c.length === 0) continue;
      labels.push(s.labels);
      chunks.push(c);
      bmin = Math.min(bmin, c[0]!.minTime);
      bmax = Math.max(bmax, c[c.length - 1]!.maxTime);
    }
    if (labels.length === 0) continue;
    const meta = await writeBlock(outDir, labels, (i) => chunks[i]!, {
      minTime: bmin,
      maxTime: bmax + 1,
      ...(opts.now ? { now: opts.now } : {}),
    });
    metas.push(meta);
    if (!opts.quiet) {
      const b = await Block.open(join(outDir, meta.ulid));
      io.out(formatBlockTable([{ meta, size: await b.size() }], header, opts.humanReadable));
      await b.close();
      header = false;
    }
  }
  return metas;
}

export async function createBlocksCommand(file: string, outDir: string, opts: CreateBlocksOptions, io: TsdbIO): Promise<number> {
  const buf = await readFile(file);
  if (buf.length > MAX_BACKFILL_INPUT) throw new BackfillError(`${file}: input of ${buf.length} bytes exceeds the ${MAX_BACKFILL_INPUT}-byte limit; split the file`);
  await createBlocksFromOpenMetrics(buf.toString('utf8'), file, outDir, opts, io);
  return 0;
}
