/**
 * `vigil tsdb list DIR`: one row per block, in promtool's layout
 * (`BLOCK ULID  MIN TIME  MAX TIME  DURATION  NUM SAMPLES  NUM CHUNKS  NUM SERIES  SIZE`).
 */
import type { BlockMeta } from '../block/meta.js';
import { formatBase2Bytes, formatDurationMs, formatUnixUTC, tabwrite } from './go_format.js';
import { openBlocksReadOnly } from './read_only_blocks.js';
import type { TsdbIO } from './tsdb_io.js';

const HEADER = ['BLOCK ULID', 'MIN TIME', 'MAX TIME', 'DURATION', 'NUM SAMPLES', 'NUM CHUNKS', 'NUM SERIES', 'SIZE'];

/** The block table as promtool prints it (tabwriter with min width 13, padding 2). */
export function formatBlockTable(blocks: readonly { meta: BlockMeta; size: number }[], header: boolean, humanReadable: boolean): string {
  const rows: string[][] = header ? [HEADER] : [];
  const time = (t: number) => (humanReadable ? formatUnixUTC(t) : String(t));
  for (const { meta: m, size } of blocks) {
    rows.push([
      m.ulid,
      time(m.minTime),
      time(m.maxTime),
      formatDurationMs(m.maxTime - m.minTime),
      String(m.stats.numSamples),
      String(m.stats.numChunks),
      String(m.stats.numSeries),
      humanReadable ? formatBase2Bytes(size) : String(size),
    ]);
  }
  return tabwrite(rows, 13, 2);
}

export async function listBlocksCommand(dir: string, humanReadable: boolean, io: TsdbIO): Promise<number> {
  const blocks = await openBlocksReadOnly(dir);
  const rows = await Promise.all(blocks.map(async (b) => ({ meta: b.meta, size: await b.size() })));
  for (const b of blocks) await b.close();
  io.out(formatBlockTable(rows, true, humanReadable));
  return 0;
}
