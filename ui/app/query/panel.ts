/**
 * One query panel: the expression box, Table/Graph tabs, time controls
 * (range, end time, step, stacked) and the result. Every change is reported
 * through `onChange` so the page can keep the URL shareable.
 */
import { ApiFailure, apiGet } from '../api.js';
import { h, replaceChildren } from '../dom.js';
import { formatDateTime, formatDuration, parseDateTime, parseDuration } from '../format.js';
import { ExprInput } from './expr_input.js';
import { alignMatrix, GraphView } from './graph_view.js';
import { autoStepSec, type PanelState } from './panel_state.js';
import { tableView } from './table_view.js';

const RANGE_STEPS_MS = [60_000, 300_000, 900_000, 1_800_000, 3_600_000, 7_200_000, 21_600_000, 43_200_000, 86_400_000, 172_800_000, 604_800_000, 1_209_600_000, 2_419_200_000, 7_862_400_000, 31_449_600_000];

export class QueryPanel {
  readonly el: HTMLElement;
  private readonly input: ExprInput;
  private readonly result: HTMLElement;
  private readonly stats: HTMLElement;
  private readonly controls: HTMLElement;
  private readonly tabs: Record<'graph' | 'table', HTMLButtonElement>;
  private graph: GraphView | null = null;
  private abort: AbortController | null = null;

  constructor(
    readonly state: PanelState,
    private readonly onChange: () => void,
    onRemove: () => void,
  ) {
    this.input = new ExprInput(state.expr, () => this.execute());
    this.result = h('div', { class: 'result' });
    this.stats = h('span', { class: 'stats' });
    this.tabs = {
      table: h('button', { type: 'button', class: 'tab', onclick: () => this.setTab('table') }, 'Table'),
      graph: h('button', { type: 'button', class: 'tab', onclick: () => this.setTab('graph') }, 'Graph'),
    };
    this.controls = h('div', { class: 'controls' });
    this.el = h(
      'section',
      { class: 'panel' },
      h('div', { class: 'panel-top' }, this.input.el, h('button', { type: 'button', class: 'primary execute', onclick: () => this.execute() }, 'Execute'), h('button', { type: 'button', class: 'remove', title: 'Remove panel', 'aria-label': 'Remove panel', onclick: onRemove }, '×')),
      h('div', { class: 'tabbar' }, this.tabs.table, this.tabs.graph, this.stats),
      this.controls,
      this.result,
    );
    this.renderControls();
  }

  focus(): void {
    this.input.focus();
  }

  private setTab(tab: 'graph' | 'table'): void {
    if (this.state.tab === tab) return;
    this.state.tab = tab;
    this.renderControls();
    this.onChange();
    if (this.state.expr !== '') void this.execute();
  }

  private renderControls(): void {
    this.tabs.graph.classList.toggle('active', this.state.tab === 'graph');
    this.tabs.table.classList.toggle('active', this.state.tab === 'table');
    const s = this.state;
    const end = h('input', { type: 'text', class: 'end', placeholder: 'End time (now)', size: 19, value: s.endMs === null ? '' : formatDateTime(s.endMs), 'aria-label': 'End time' });
    end.addEventListener('change', () => {
      const ms = end.value.trim() === '' ? Number.NaN : parseDateTime(end.value);
      s.endMs = Number.isFinite(ms) ? ms : null;
      end.value = s.endMs === null ? '' : formatDateTime(s.endMs);
      this.changed();
    });
    const nowBtn = h('button', { type: 'button', title: 'Reset end time to now', onclick: () => {
        s.endMs = null;
        end.value = '';
        this.changed();
      } }, 'now');
    if (s.tab === 'table') {
      replaceChildren(this.controls, h('label', null, 'Evaluation time ', end), nowBtn);
      return;
    }
    const range = h('input', { type: 'text', class: 'range', size: 6, value: formatDuration(s.rangeMs), 'aria-label': 'Range' });
    range.addEventListener('change', () => {
      const ms = parseDuration(range.value);
      if (ms > 0) s.rangeMs = ms;
      range.value = formatDuration(s.rangeMs);
      this.changed();
    });
    const shiftRange = (dir: 1 | -1) => {
      const i = RANGE_STEPS_MS.findIndex((r) => r >= s.rangeMs);
      const next = dir > 0 ? RANGE_STEPS_MS.find((r) => r > s.rangeMs) : [...RANGE_STEPS_MS].reverse().find((r) => r < s.rangeMs);
      s.rangeMs = next ?? RANGE_STEPS_MS[Math.max(0, i)] ?? s.rangeMs;
      range.value = formatDuration(s.rangeMs);
      this.changed();
    };
    const step = h('input', { type: 'number', class: 'step', min: 0.001, step: 'any', placeholder: `${autoStepSec(s.rangeMs)}s auto`, value: s.stepSec === null ? '' : String(s.stepSec), 'aria-label': 'Resolution in seconds' });
    step.addEventListener('change', () => {
      const n = Number(step.value);
      s.stepSec = step.value !== '' && n > 0 ? n : null;
      this.changed();
    });
    const stacked = h('input', { type: 'checkbox', class: 'stacked', checked: s.stacked });
    stacked.addEventListener('change', () => {
      s.stacked = stacked.checked;
      this.changed();
    });
    replaceChildren(
      this.controls,
      h('button', { type: 'button', title: 'Shorter range', onclick: () => shiftRange(-1) }, '−'),
      range,
      h('button', { type: 'button', title: 'Longer range', onclick: () => shiftRange(1) }, '+'),
      h('label', null, 'End ', end),
      nowBtn,
      h('label', null, 'Step ', step),
      h('label', { class: 'check' }, stacked, ' stacked'),
    );
  }

  private changed(): void {
    this.onChange();
    if (this.state.expr !== '') void this.execute();
  }

  /** Runs the expression for the current tab and shows the result or the error. */
  async execute(): Promise<void> {
    const s = this.state;
    s.expr = this.input.value;
    this.onChange();
    this.abort?.abort();
    this.input.clearError();
    if (s.expr.trim() === '') {
      this.clearResult();
      return;
    }
    const ac = new AbortController();
    this.abort = ac;
    const t0 = performance.now();
    const endMs = s.endMs ?? Date.now();
    this.stats.textContent = 'Loading…';
    try {
      if (s.tab === 'table') {
        const p = new URLSearchParams({ query: s.expr, time: String(endMs / 1000) });
        const r = await apiGet('api/v1/query', p, ac.signal);
        this.clearResult();
        this.result.appendChild(tableView(r.data));
        this.showNotes(r.warnings, r.infos);
      } else {
        const step = s.stepSec ?? autoStepSec(s.rangeMs);
        const endSec = Math.floor(endMs / 1000);
        const startSec = endSec - Math.floor(s.rangeMs / 1000);
        const p = new URLSearchParams({ query: s.expr, start: String(startSec), end: String(endSec), step: String(step) });
        const r = await apiGet('api/v1/query_range', p, ac.signal);
        this.clearResult();
        const m = alignMatrix((r.data as { result?: unknown } | null)?.result, startSec, endSec, step);
        this.graph = new GraphView(m, s.stacked);
        this.result.appendChild(this.graph.el);
        this.showNotes(r.warnings, r.infos);
      }
      this.stats.textContent = `Load time: ${Math.round(performance.now() - t0)}ms`;
    } catch (e) {
      if (e instanceof DOMException && e.name === 'AbortError') return;
      this.clearResult();
      this.stats.textContent = '';
      const msg = e instanceof ApiFailure ? (e.errorType === 'network' || e.errorType === 'http' ? e.message : `${e.errorType}: ${e.message}`) : String(e);
      this.input.showError(msg, s.expr);
    }
  }

  private showNotes(warnings: readonly string[], infos: readonly string[]): void {
    for (const w of warnings) this.result.prepend(h('div', { class: 'warning' }, `Warning: ${w}`));
    for (const i of infos) this.result.prepend(h('div', { class: 'info' }, `Info: ${i}`));
  }

  private clearResult(): void {
    this.graph?.destroy();
    this.graph = null;
    replaceChildren(this.result);
  }

  destroy(): void {
    this.abort?.abort();
    this.clearResult();
  }
}
