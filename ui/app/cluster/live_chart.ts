/**
 * A small live chart for the cluster views: one or more PromQL range queries
 * over the last `rangeS` seconds, re-run every `pollMs` (query_range polling),
 * drawn with uPlot on one or two y scales. Series may be lines or points (e.g.
 * autoscaler decisions), and vertical markers (Events) can be overlaid. When
 * the series set is unchanged the plot is updated in place (`setData`), so a
 * live chart does not flicker. A query that returns nothing simply adds no
 * series (metrics that are not there yet); when none returns anything the
 * chart says `empty`. `data-state` (loading/empty/drawn/error), `data-series`
 * and `data-polls` are set on the element for tests and styling.
 */
import uPlot from 'uplot';
import { apiGet } from '../api.js';
import { arr, labelMap, num, obj, str } from '../decode.js';
import { h, replaceChildren } from '../dom.js';
import { formatSeries, formatValue } from '../format.js';
import { errorNote } from '../pages/page_loader.js';
import { poll } from './kube_api.js';

/** One query of a chart. */
export interface ChartQuery {
  readonly expr: string;
  /** Legend text of a series from its labels; default the series' labels as PromQL. */
  readonly label?: (metric: Record<string, string>) => string;
  /** The right-hand scale instead of the left one. */
  readonly right?: boolean;
  /** Draw as points only (events such as scaling decisions). */
  readonly points?: boolean;
}

/** A vertical marker at `t` (seconds). */
export interface ChartMarker {
  readonly t: number;
  readonly text: string;
  readonly tone: 'normal' | 'warning';
}

export interface LiveChartOptions {
  readonly queries: readonly ChartQuery[];
  /** Shown when no query returned data. */
  readonly empty: string;
  /** Default 900 (15 minutes). */
  readonly rangeS?: number;
  /** Default: a step giving about 120 points, at least 5 s. */
  readonly stepS?: number;
  /** Default 5000. */
  readonly pollMs?: number;
  /** Default 180 pixels. */
  readonly height?: number;
  /** Formats the left / right axis values; default `formatValue`. */
  readonly leftFormat?: (v: number) => string;
  readonly rightFormat?: (v: number) => string;
  /** Tick increments of the left axis (e.g. `BYTE_INCRS`); default uPlot's decimal ones. */
  readonly leftIncrs?: number[];
  /** Extra class names of the chart element. */
  readonly cls?: string;
  /** Markers to overlay, read on every redraw. */
  readonly markers?: () => readonly ChartMarker[];
}

export interface LiveChart {
  readonly el: HTMLElement;
  /** Redraws with the current data (after the markers changed). */
  redraw(): void;
  stop(): void;
}

interface Series {
  label: string;
  right: boolean;
  points: boolean;
  ys: (number | null)[];
}

/** Aligns range-query results on `start + k·step` and labels them (exported for tests). */
export function alignSeries(results: readonly { q: ChartQuery; result: unknown }[], startSec: number, stepSec: number, n: number): Series[] {
  const out: Series[] = [];
  for (const { q, result } of results) {
    for (const s of arr(result)) {
      const o = obj(s);
      const ys = new Array<number | null>(n).fill(null);
      for (const p of arr(o.values)) {
        const pair = arr(p);
        const idx = Math.round((num(pair[0]) - startSec) / stepSec);
        const v = Number(str(pair[1]));
        if (idx >= 0 && idx < n && Number.isFinite(v)) ys[idx] = v;
      }
      const m = labelMap(o.metric);
      out.push({ label: q.label?.(m) ?? formatSeries(m), right: q.right === true, points: q.points === true, ys });
    }
  }
  return out;
}

/** Powers of two: byte axes tick at 256Mi, 512Mi, 1Gi… instead of 953.7Mi. */
export const BYTE_INCRS: number[] = Array.from({ length: 51 }, (_, i) => 2 ** i);

/** Distinct colours for the few series of a cluster chart, by position. */
const PALETTE = ['#0969da', '#1a7f37', '#bf3989', '#9a6700', '#8250df', '#cf222e', '#1b7c83', '#953800'];

function color(i: number): string {
  return PALETTE[i % PALETTE.length] ?? '#0969da';
}

function drawMarkers(u: uPlot, markers: readonly ChartMarker[]): void {
  const ctx = u.ctx;
  const { left, top, width, height } = u.bbox;
  ctx.save();
  ctx.setLineDash([5, 4]);
  ctx.lineWidth = 1.5 * devicePixelRatio;
  for (const m of markers) {
    const x = u.valToPos(m.t, 'x', true);
    if (!(x >= left && x <= left + width)) continue;
    ctx.strokeStyle = m.tone === 'warning' ? '#cf222e' : '#8250df';
    ctx.beginPath();
    ctx.moveTo(x, top);
    ctx.lineTo(x, top + height);
    ctx.stroke();
  }
  ctx.restore();
}

/** Creates a live chart (polling starts at once); `stop()` when the page is left. */
export function liveChart(o: LiveChartOptions): LiveChart {
  const rangeS = o.rangeS ?? 900;
  const stepS = o.stepS ?? Math.max(5, Math.round(rangeS / 120));
  const height = o.height ?? 180;
  const box = h('div', { class: 'chart' });
  const el = h('div', { class: `live-chart graph${o.cls === undefined ? '' : ` ${o.cls}`}`, 'data-state': 'loading', 'data-series': 0, 'data-polls': 0 }, box);
  replaceChildren(box, h('div', { class: 'loading' }, 'Loading…'));
  let plot: uPlot | null = null;
  let shape = '';
  let polls = 0;
  const resize = new ResizeObserver((entries) => {
    const w = Math.floor(entries[0]?.contentRect.width ?? 0);
    if (w > 0 && plot !== null && Math.abs(plot.width - w) > 1) plot.setSize({ width: w, height });
  });
  resize.observe(el);
  const drop = () => {
    plot?.destroy();
    plot = null;
    shape = '';
  };

  const build = (series: Series[], data: uPlot.AlignedData) => {
    drop();
    const hasRight = series.some((s) => s.right);
    const opts: uPlot.Options = {
      width: Math.max(300, Math.floor(el.clientWidth) || 600),
      height,
      series: [
        { label: 'Time' },
        ...series.map(
          (s, i): uPlot.Series => ({
            label: s.label,
            scale: s.right ? 'r' : 'y',
            stroke: color(i),
            width: s.points ? 0 : 1.5,
            spanGaps: false,
            // Lines show their points by themselves while the data is sparse (uPlot's default).
            ...(s.points ? { paths: () => null, points: { show: true, size: 9, fill: color(i) } } : {}),
            value: (_u, v) => (v === null || v === undefined ? '—' : (s.right ? (o.rightFormat ?? formatValue) : (o.leftFormat ?? formatValue))(v)),
          }),
        ),
      ],
      scales: { x: { time: true }, y: { range: (_u, min, max) => [Math.min(0, min), max > 0 ? max * 1.1 : 1] }, r: { range: (_u, min, max) => [Math.min(0, min), max > 0 ? max * 1.1 : 1] } },
      axes: [
        {},
        { scale: 'y', size: 64, values: (_u, splits) => splits.map((v) => (o.leftFormat ?? formatValue)(v)), ...(o.leftIncrs === undefined ? {} : { incrs: o.leftIncrs }) },
        ...(hasRight ? [{ scale: 'r', side: 1, size: 64, grid: { show: false }, values: (_u: uPlot, splits: number[]) => splits.map((v) => (o.rightFormat ?? formatValue)(v)) }] : []),
      ],
      legend: { show: true, live: true },
      cursor: { focus: { prox: 16 } },
      hooks: { draw: [(u) => drawMarkers(u, o.markers?.() ?? [])] },
    };
    replaceChildren(box);
    plot = new uPlot(opts, data, box);
    shape = series.map((s) => `${s.right ? 'r' : 'l'}${s.points ? 'p' : 'l'}${s.label}`).join('\n');
  };

  const stopPoll = poll(async (signal) => {
    const end = Math.floor(Date.now() / 1000 / stepS) * stepS;
    const start = end - rangeS;
    const n = Math.floor(rangeS / stepS) + 1;
    try {
      const results = await Promise.all(
        o.queries.map(async (q) => {
          const params = new URLSearchParams({ query: q.expr, start: String(start), end: String(end), step: String(stepS) });
          const r = await apiGet('api/v1/query_range', params, signal);
          return { q, result: obj(r.data).result };
        }),
      );
      if (signal.aborted) return;
      polls++;
      el.dataset.polls = String(polls);
      const series = alignSeries(results, start, stepS, n);
      el.dataset.series = String(series.length);
      if (series.length === 0) {
        drop();
        el.dataset.state = 'empty';
        replaceChildren(box, h('div', { class: 'empty' }, o.empty));
        return;
      }
      const xs = new Float64Array(n);
      for (let i = 0; i < n; i++) xs[i] = start + i * stepS;
      const data: uPlot.AlignedData = [xs, ...series.map((s) => s.ys)];
      const nextShape = series.map((s) => `${s.right ? 'r' : 'l'}${s.points ? 'p' : 'l'}${s.label}`).join('\n');
      if (plot !== null && nextShape === shape) plot.setData(data);
      else build(series, data);
      el.dataset.state = 'drawn';
    } catch (e) {
      if (signal.aborted || (e instanceof DOMException && e.name === 'AbortError')) return;
      drop();
      el.dataset.state = 'error';
      replaceChildren(box, errorNote(e, 'api/v1/query_range'));
    }
  }, o.pollMs ?? 5000);

  return {
    el,
    redraw: () => plot?.redraw(false, true),
    stop: () => {
      stopPoll();
      resize.disconnect();
      drop();
    },
  };
}
