/**
 * TSDB status (`/tsdb-status`, `api/v1/status/tsdb`): head statistics and the
 * top entries by series count (metric names, label pairs), label value count
 * and label memory. Shows "not available" when the server has no such endpoint.
 */
import { arr, num, obj, str } from '../decode.js';
import { h } from '../dom.js';
import type { PageContext } from '../routes.js';
import { kvTable, loadInto } from './page_loader.js';

const TOPS: readonly (readonly [string, string, string])[] = [
  ['seriesCountByMetricName', 'Top metric names by series count', 'Metric name'],
  ['labelValueCountByLabelName', 'Top label names by value count', 'Label name'],
  ['memoryInBytesByLabelName', 'Top label names by memory used (bytes)', 'Label name'],
  ['seriesCountByLabelValuePair', 'Top label pairs by series count', 'Label pair'],
];

function time(ms: number): string {
  return Number.isFinite(ms) && Math.abs(ms) < 8.64e15 ? new Date(ms).toISOString() : '—';
}

export function tsdbStatusPage(root: HTMLElement, _ctx: PageContext): () => void {
  return loadInto(root, 'api/v1/status/tsdb', undefined, (r, box) => {
    const d = obj(r.data);
    const head = obj(d.headStats);
    box.appendChild(h('h2', null, 'Head'));
    box.appendChild(
      kvTable([
        ['Number of series', str(head.numSeries)],
        ['Number of chunks', str(head.chunkCount)],
        ['Number of label pairs', str(head.numLabelPairs)],
        ['Current min time', time(num(head.minTime))],
        ['Current max time', time(num(head.maxTime))],
      ]),
    );
    for (const [key, title, col] of TOPS) {
      const entries = arr(d[key]);
      if (entries.length === 0) continue;
      box.appendChild(h('h2', null, title));
      box.appendChild(h('table', { class: `top-table top-${key}` }, h('thead', null, h('tr', null, h('th', null, col), h('th', null, 'Count'))), h('tbody', null, ...entries.map((e) => h('tr', null, h('td', null, str(obj(e).name)), h('td', { class: 'value' }, str(obj(e).value)))))));
    }
  });
}
