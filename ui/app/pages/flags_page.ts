/** Flags (`/flags`): the command-line flags in effect (`api/v1/status/flags`), filterable. */
import { obj, str } from '../decode.js';
import { h } from '../dom.js';
import type { PageContext } from '../routes.js';
import { loadInto } from './page_loader.js';

export function flagsPage(root: HTMLElement, _ctx: PageContext): () => void {
  return loadInto(root, 'api/v1/status/flags', undefined, (r, box) => {
    const flags = Object.entries(obj(r.data))
      .map(([k, v]) => [k, str(v)] as const)
      .sort((a, b) => (a[0] < b[0] ? -1 : 1));
    const search = h('input', { type: 'search', class: 'search', placeholder: 'Filter flags', 'aria-label': 'Filter flags' });
    const rows = flags.map(([k, v]) => h('tr', { 'data-text': `${k} ${v}`.toLowerCase() }, h('th', null, `--${k}`), h('td', null, v)));
    search.addEventListener('input', () => {
      const needle = search.value.trim().toLowerCase();
      for (const tr of rows) tr.hidden = needle !== '' && !(tr.dataset.text ?? '').includes(needle);
    });
    box.appendChild(h('div', { class: 'toolbar' }, search));
    box.appendChild(h('table', { class: 'kv flags' }, h('tbody', null, ...rows)));
  });
}
