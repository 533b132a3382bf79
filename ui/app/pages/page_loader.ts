/**
 * Loading a page's data: a "Loading…" line, then the rendered content, a clear
 * "not available" note when the server has no such endpoint (404: the part
 * serving it is not enabled or not there yet), or the API's error.
 */
import { ApiFailure, type ApiResult, apiGet } from '../api.js';
import { h, replaceChildren } from '../dom.js';

/** Fetches `path` and renders it into a new section of `root` with `render`. Returns a cleanup that aborts. */
export function loadInto(root: HTMLElement, path: string, params: URLSearchParams | undefined, render: (r: ApiResult<unknown>, box: HTMLElement) => void): () => void {
  const box = h('div', { class: 'page-body', 'data-state': 'loading' }, h('div', { class: 'loading' }, 'Loading…'));
  root.appendChild(box);
  const ac = new AbortController();
  apiGet(path, params, ac.signal).then(
    (r) => {
      replaceChildren(box);
      render(r, box);
      box.dataset.state = 'loaded';
    },
    (e: unknown) => {
      if (e instanceof DOMException && e.name === 'AbortError') return;
      box.dataset.state = 'error';
      replaceChildren(box, errorNote(e, path));
    },
  );
  return () => ac.abort();
}

/** A note for a failed load. */
export function errorNote(e: unknown, path: string): HTMLElement {
  if (e instanceof ApiFailure && e.notAvailable) {
    return h('div', { class: 'not-available' }, h('strong', null, 'Not available. '), `This server does not provide ${path} (the part serving it is not enabled in this build).`);
  }
  return h('div', { class: 'error-box' }, `Error loading ${path}: ${e instanceof Error ? e.message : String(e)}`);
}

/** A two-column key/value table. */
export function kvTable(rows: readonly (readonly [string, string])[], cls = 'kv'): HTMLTableElement {
  return h('table', { class: cls }, h('tbody', null, ...rows.map(([k, v]) => h('tr', null, h('th', null, k), h('td', null, v)))));
}

/** Label pills (`name="value"`), each rendered as text. */
export function labelPills(labels: Record<string, string>): HTMLElement {
  const keys = Object.keys(labels).sort();
  return h('span', { class: 'labels' }, ...keys.map((k) => h('span', { class: 'label-pill', title: `${k}="${labels[k] ?? ''}"` }, `${k}="${labels[k] ?? ''}"`)));
}
