/**
 * The table of an instant query result: one row per series (labels, value) for
 * a vector; the samples of each series for a matrix; one row for a scalar or
 * string. At most `MAX_TABLE_ROWS` rows are rendered.
 */
import { arr, labelMap, num, obj, str } from '../decode.js';
import { h } from '../dom.js';
import { formatSeries } from '../format.js';

export const MAX_TABLE_ROWS = 10_000;

/** Renders `{resultType, result}` as a table. */
export function tableView(data: unknown): HTMLElement {
  const d = obj(data);
  const type = str(d.resultType);
  const tbody = h('tbody');
  let count = 0;
  const row = (series: string, value: string) => {
    tbody.appendChild(h('tr', null, h('td', { class: 'series' }, series), h('td', { class: 'value' }, value)));
  };
  if (type === 'vector') {
    const all = arr(d.result);
    count = all.length;
    for (const s of all.slice(0, MAX_TABLE_ROWS)) {
      const o = obj(s);
      row(formatSeries(labelMap(o.metric)), str(arr(o.value)[1]));
    }
  } else if (type === 'matrix') {
    const all = arr(d.result);
    count = all.length;
    for (const s of all.slice(0, MAX_TABLE_ROWS)) {
      const o = obj(s);
      const vals = arr(o.values)
        .map((p) => `${str(arr(p)[1])} @${num(arr(p)[0])}`)
        .join('\n');
      row(formatSeries(labelMap(o.metric)), vals);
    }
  } else if (type === 'scalar' || type === 'string') {
    count = 1;
    row(type, str(arr(d.result)[1]));
  }
  const table = h('table', { class: 'result-table', 'data-result-type': type }, h('thead', null, h('tr', null, h('th', null, 'Series'), h('th', null, 'Value'))), tbody);
  if (count === 0) return h('div', { class: 'empty' }, 'Empty query result');
  const wrap = h('div', { class: 'table-wrap' }, table);
  if (count > MAX_TABLE_ROWS) wrap.appendChild(h('div', { class: 'note' }, `Showing ${MAX_TABLE_ROWS} of ${count} series.`));
  return wrap;
}
