/**
 * `vigil tsdb dump DIR`: every sample in `[min-time, max-time]` matching a
 * selector, from the blocks and from the write-ahead log (replayed read-only), one
 * line each as promtool prints it: `{labels} value timestamp` with the value in
 * Go's `%g`.
 */
import { MergeQuerier } from '../querier.js';
import { type Querier, ValueType } from '../storage.js';
import { formatG } from './go_format.js';
import { openBlocksReadOnly } from './read_only_blocks.js';
import { openHeadReadOnly } from './read_only_head.js';
import { parseSeriesSelector } from './series_selector.js';
import type { TsdbIO } from './tsdb_io.js';

export interface DumpOptions {
  readonly minTime: number;
  readonly maxTime: number;
  /** PromQL series selector; promtool's default selects everything. */
  readonly match: string;
}

export async function dumpCommand(dir: string, opts: DumpOptions, io: TsdbIO): Promise<number> {
  const matchers = parseSeriesSelector(opts.match);
  const blocks = await openBlocksReadOnly(dir);
  const minValid = blocks.length === 0 ? Number.NEGATIVE_INFINITY : Math.max(...blocks.map((b) => b.maxTime));
  const head = await openHeadReadOnly(dir, minValid, (m) => io.err(`${m}\n`));
  const qs: Querier[] = [];
  if (head !== null && head.numSeries() > 0) qs.push(head.querier(opts.minTime, opts.maxTime));
  for (const b of [...blocks].reverse()) if (b.overlaps(opts.minTime, opts.maxTime)) qs.push(b.querier(opts.minTime, opts.maxTime));
  const q = new MergeQuerier(qs);
  const ss = await q.select(true, null, matchers);
  let buf = '';
  while (ss.next()) {
    const s = ss.at();
    const ls = s.labels.toString();
    const it = s.iterator();
    while (it.next() !== ValueType.None) {
      buf += `${ls} ${formatG(it.atV())} ${it.atT()}\n`;
      if (buf.length > 1 << 16) {
        io.out(buf);
        buf = '';
      }
    }
    const e = it.err();
    if (e !== null) {
      io.out(buf);
      throw e;
    }
  }
  io.out(buf);
  const e = ss.err();
  await q.close();
  for (const b of blocks) await b.close();
  head?.close();
  if (e !== null) throw e;
  return 0;
}
