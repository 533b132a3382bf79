/**
 * `vigil tsdb dump DIR`: every sample of the blocks in `[min-time, max-time]`
 * matching a selector, one line each as promtool prints it:
 * `{labels} value timestamp` with the value in Go's `%g`.
 * (Data still only in a write-ahead log is not included.)
 */
import { MergeQuerier } from '../querier.js';
import { ValueType } from '../storage.js';
import { formatG } from './go_format.js';
import { openBlocksReadOnly } from './read_only_blocks.js';
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
  const q = new MergeQuerier(blocks.filter((b) => b.overlaps(opts.minTime, opts.maxTime)).map((b) => b.querier(opts.minTime, opts.maxTime)).reverse());
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
  if (e !== null) throw e;
  return 0;
}
