/**
 * `vigil tsdb analyze DIR [BLOCK_ID]`: cardinality and churn report of one block
 * (the newest by default), with promtool's sections and line format. Ties are
 * ordered by name so the output is deterministic (promtool's order among ties is not).
 */
import type { Block } from '../block/block.js';
import { SeriesEntry } from '../index/index_reader.js';
import { formatDurationMs } from './go_format.js';
import { openBlocksReadOnly } from './read_only_blocks.js';
import type { TsdbIO } from './tsdb_io.js';

export interface AnalyzeOptions {
  /** Rows per section; default 20. */
  readonly limit: number;
  /** Also print the chunk fullness histogram. */
  readonly extended: boolean;
}

function section(title: string, m: Map<string, number>, limit: number): string {
  const rows = [...m.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  let out = `\n${title}:\n`;
  for (let i = 0; i < rows.length && i < limit; i++) out += `${rows[i]![1]} ${rows[i]![0]}\n`;
  return out;
}

const utf8Len = (s: string) => Buffer.byteLength(s, 'utf8');

/** The analysis text for `b`. */
export async function analyzeBlock(b: Block, opts: AnalyzeOptions): Promise<string> {
  const meta = b.meta;
  const ix = b.index;
  const span = meta.maxTime - meta.minTime;
  let out = `Block ID: ${meta.ulid}\nDuration: ${formatDurationMs(span)}\nSeries: ${meta.stats.numSeries}\n`;
  const names = ix.labelNames();
  out += `Label names: ${names.length}\n`;
  const labelsUncovered = new Map<string, number>();
  const pairsUncovered = new Map<string, number>();
  const pairsCount = new Map<string, number>();
  let entries = 0;
  const ids = ix.allPostings();
  const e = new SeriesEntry();
  for (let i = 0; i < ids.length; i++) {
    ix.series(ids[i]!, e);
    if (e.chunks.length === 0) continue;
    const uncovered = span - (e.chunks[e.chunks.length - 1]!.maxTime - e.chunks[0]!.minTime);
    const ls = e.labels;
    for (let k = 0; k < ls.length; k++) {
      const n = ls.name(k);
      const key = `${n}=${ls.value(k)}`;
      labelsUncovered.set(n, (labelsUncovered.get(n) ?? 0) + uncovered);
      pairsUncovered.set(key, (pairsUncovered.get(key) ?? 0) + uncovered);
      pairsCount.set(key, (pairsCount.get(key) ?? 0) + 1);
      entries++;
    }
  }
  out += `Postings (unique label pairs): ${pairsUncovered.size}\n`;
  out += `Postings entries (total label pairs): ${entries}\n`;
  const norm = (m: Map<string, number>) => new Map([...m].map(([k, v]) => [k, span > 0 ? Math.floor(v / span) : 0]));
  out += section('Label pairs most involved in churning', norm(pairsUncovered), opts.limit);
  out += section('Label names most involved in churning', norm(labelsUncovered), opts.limit);
  out += section('Most common label pairs', pairsCount, opts.limit);
  const cumLen = new Map<string, number>();
  const card = new Map<string, number>();
  for (const n of names) {
    const vs = ix.labelValues(n);
    let total = 0;
    for (const v of vs) total += utf8Len(v);
    cumLen.set(n, total);
    card.set(n, vs.length);
  }
  out += section('Label names with highest cumulative label value length', cumLen, opts.limit);
  out += section('Highest cardinality labels', card, opts.limit);
  const metrics = new Map<string, number>();
  for (const v of ix.labelValues('__name__')) metrics.set(v, ix.postings('__name__', v).length);
  out += section('Highest cardinality metric names', metrics, opts.limit);
  if (opts.extended) out += await fullness(b);
  return out;
}

async function fullness(b: Block): Promise<string> {
  const buckets = new Array<number>(10).fill(0);
  let total = 0;
  const ids = b.index.allPostings();
  const e = new SeriesEntry();
  for (let i = 0; i < ids.length; i++) {
    b.index.series(ids[i]!, e);
    const loaded = await b.chunks.read(e.chunks.map((c) => c.ref));
    for (const c of e.chunks) {
      const n = Math.min(loaded.chunk(c.ref).numSamples(), 120);
      buckets[Math.max(0, Math.ceil((10 * n) / 120) - 1)]!++;
      total++;
    }
  }
  let out = '\nCompaction analysis:\nFullness: Amount of samples in chunks (100% is 120 samples)\n';
  for (let k = 0; k < 10; k++) {
    const pct = total === 0 ? 0 : Math.floor((100 * buckets[k]!) / total);
    out += `${String((k + 1) * 10).padStart(7)}%: ${'#'.repeat(pct)}\n`;
  }
  return out;
}

export async function analyzeCommand(dir: string, blockId: string, opts: AnalyzeOptions, io: TsdbIO): Promise<number> {
  const blocks = await openBlocksReadOnly(dir);
  const b = blockId === '' ? blocks[blocks.length - 1] : blocks.find((x) => x.ulid === blockId);
  if (b === undefined) {
    for (const x of blocks) await x.close();
    io.err(`block ${blockId} not found\n`);
    return 1;
  }
  try {
    io.out(await analyzeBlock(b, opts));
  } finally {
    for (const x of blocks) await x.close();
  }
  return 0;
}
