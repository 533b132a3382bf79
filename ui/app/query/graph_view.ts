/**
 * The graph of a range query result, drawn with uPlot: one line per series on
 * the query's `start + k·step` grid (gaps where a series has no sample, NaN and
 * ±Inf shown as gaps), a legend with each series' labels and the values under
 * the cursor, optional stacking (areas summed bottom-up; the legend still shows
 * each series' own value). At most `MAX_GRAPH_SERIES` are drawn.
 */
import uPlot from 'uplot';
import { arr, labelMap, num, obj, str } from '../decode.js';
import { h } from '../dom.js';
import { formatSeries, formatValue, seriesColor } from '../format.js';

export const MAX_GRAPH_SERIES = 200;
const HEIGHT = 320;

/** A range-query matrix aligned on its grid. */
export interface AlignedMatrix {
  readonly xs: Float64Array;
  readonly labels: string[];
  readonly ys: (number | null)[][];
  /** Series left out because of `MAX_GRAPH_SERIES`. */
  readonly hidden: number;
}

/** Aligns the API's matrix (`[{metric, values: [[t, "v"]…]}]`) on `start..end` by `step` (seconds). */
export function alignMatrix(result: unknown, startSec: number, endSec: number, stepSec: number): AlignedMatrix {
  const n = Math.floor((endSec - startSec) / stepSec + 1e-9) + 1;
  const xs = new Float64Array(n);
  for (let i = 0; i < n; i++) xs[i] = startSec + i * stepSec;
  const all = arr(result);
  const labels: string[] = [];
  const ys: (number | null)[][] = [];
  for (const s of all.slice(0, MAX_GRAPH_SERIES)) {
    const o = obj(s);
    const col: (number | null)[] = new Array<number | null>(n).fill(null);
    for (const p of arr(o.values)) {
      const pair = arr(p);
      const idx = Math.round((num(pair[0]) - startSec) / stepSec);
      const v = Number(str(pair[1]));
      if (idx >= 0 && idx < n && Number.isFinite(v)) col[idx] = v;
    }
    labels.push(formatSeries(labelMap(o.metric)));
    ys.push(col);
  }
  return { xs, labels, ys, hidden: Math.max(0, all.length - MAX_GRAPH_SERIES) };
}

/** Cumulative sums bottom-up (gaps count as 0 in the sum but stay gaps in their own series). */
function stack(ys: (number | null)[][]): (number | null)[][] {
  const out: (number | null)[][] = [];
  let acc: number[] = [];
  ys.forEach((col, si) => {
    if (si === 0) acc = new Array<number>(col.length).fill(0);
    const next: (number | null)[] = new Array<number | null>(col.length);
    for (let i = 0; i < col.length; i++) {
      const v = col[i];
      const a = acc[i] ?? 0;
      if (v === null || v === undefined) next[i] = null;
      else {
        acc[i] = a + v;
        next[i] = a + v;
      }
    }
    out.push(next);
  });
  return out;
}

/** A uPlot chart in a container; `destroy` when the panel closes or re-renders. */
export class GraphView {
  readonly el: HTMLElement;
  private plot: uPlot | null = null;
  private readonly resize: ResizeObserver;

  constructor(m: AlignedMatrix, stacked: boolean) {
    const chart = h('div', { class: 'chart' });
    this.el = h('div', { class: 'graph', 'data-series': m.labels.length }, chart);
    if (m.hidden > 0) this.el.appendChild(h('div', { class: 'note' }, `Showing ${m.labels.length} series; ${m.hidden} more not drawn.`));
    if (m.labels.length === 0) {
      chart.appendChild(h('div', { class: 'empty' }, 'No data points in this range.'));
      this.resize = new ResizeObserver(() => {});
      return;
    }
    const shown = stacked ? stack(m.ys) : m.ys;
    const series: uPlot.Series[] = [{ label: 'Time' }];
    m.labels.forEach((label, i) => {
      const color = seriesColor(label);
      const own = m.ys[i] ?? [];
      series.push({
        label,
        stroke: color,
        width: 1.25,
        fill: stacked ? color.replace('hsl', 'hsla').replace(')', ', 0.35)') : undefined,
        points: { show: false },
        spanGaps: false,
        // The legend shows the series' own value, also when stacked.
        value: (_u, _v, _si, idx) => (idx === null ? '' : own[idx] === null || own[idx] === undefined ? '—' : formatValue(own[idx] as number)),
      });
    });
    const bands: uPlot.Band[] = [];
    if (stacked) for (let i = 2; i <= m.labels.length; i++) bands.push({ series: [i, i - 1] });
    const opts: uPlot.Options = {
      width: 800,
      height: HEIGHT,
      series,
      bands,
      scales: { x: { time: true } },
      legend: { show: true, live: true },
      cursor: { focus: { prox: 16 } },
      focus: { alpha: 0.3 },
      axes: [{}, { size: 70, values: (_u, splits) => splits.map((v) => formatValue(v)) }],
    };
    const data: uPlot.AlignedData = [m.xs, ...shown];
    this.plot = new uPlot(opts, data, chart);
    this.resize = new ResizeObserver((entries) => {
      const w = Math.floor(entries[0]?.contentRect.width ?? 0);
      if (w > 0 && this.plot !== null && Math.abs(this.plot.width - w) > 1) this.plot.setSize({ width: w, height: HEIGHT });
    });
    this.resize.observe(this.el);
  }

  destroy(): void {
    this.resize.disconnect();
    this.plot?.destroy();
    this.plot = null;
  }
}
