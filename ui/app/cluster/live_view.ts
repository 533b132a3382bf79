/**
 * A live section of a cluster page: loads with `load(signal)` (which returns
 * the rendered content) every `POLL_MS`, swapping the content in place. The
 * first load shows "Loading…"; a failure shows the error (or "not available"
 * for a 404) and keeps polling, so the page recovers when the server does.
 * `data-state` (loading/loaded/error) and `data-loads` (successful loads) are
 * set on the section for tests and styling.
 */
import { h, replaceChildren } from '../dom.js';
import { errorNote } from '../pages/page_loader.js';
import { POLL_MS, poll } from './kube_api.js';

export interface LiveView {
  readonly el: HTMLElement;
  /** Reloads now (e.g. after a filter change), without waiting for the next tick. */
  refresh(): void;
  /** Stops polling. */
  stop(): void;
}

/** Creates a live section appended to `root`; `what` names the data in error notes. */
export function liveView(root: HTMLElement, what: string, load: (signal: AbortSignal) => Promise<HTMLElement>, intervalMs: number = POLL_MS): LiveView {
  const el = h('div', { class: 'page-body live', 'data-state': 'loading', 'data-loads': 0 }, h('div', { class: 'loading' }, 'Loading…'));
  const stamp = h('div', { class: 'note live-stamp' });
  root.appendChild(el);
  root.appendChild(stamp);
  let loads = 0;
  const tick = async (signal: AbortSignal): Promise<void> => {
    try {
      const content = await load(signal);
      if (signal.aborted) return;
      replaceChildren(el, content);
      loads++;
      el.dataset.loads = String(loads);
      el.dataset.state = 'loaded';
      replaceChildren(stamp, `Updated ${new Date().toLocaleTimeString()} · refreshes every ${Math.round(intervalMs / 1000)}s`);
    } catch (e) {
      if (signal.aborted || (e instanceof DOMException && e.name === 'AbortError')) return;
      el.dataset.state = 'error';
      replaceChildren(el, errorNote(e, what));
    }
  };
  let stop = poll(tick, intervalMs);
  return {
    el,
    refresh: () => {
      stop();
      stop = poll(tick, intervalMs);
    },
    stop: () => stop(),
  };
}

/** A table with a header row and body rows; `empty` is shown as a single row when there are none. */
export function dataTable(cls: string, headers: readonly string[], rows: readonly HTMLTableRowElement[], empty: string): HTMLElement {
  const body = rows.length > 0 ? rows : [h('tr', null, h('td', { class: 'empty', colspan: headers.length }, empty))];
  return h('div', { class: 'table-wrap' }, h('table', { class: `cluster-table ${cls}` }, h('thead', null, h('tr', null, ...headers.map((t) => h('th', null, t)))), h('tbody', null, ...body)));
}

/** A status badge: `ok`, `bad` or `pending` colouring. */
export function badge(text: string, tone: 'ok' | 'bad' | 'pending' | 'neutral'): HTMLElement {
  return h('span', { class: `badge ${tone === 'neutral' ? '' : tone}` }, text);
}
