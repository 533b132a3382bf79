/**
 * Service discovery (`/service-discovery`): per scrape pool, each discovered
 * target's labels before relabelling beside the target labels after it, or
 * "dropped" when relabelling dropped it (`targets?state=any`). Rows are
 * virtualised; a text filter narrows them.
 */
import { arr, labelMap, obj, str } from '../decode.js';
import { h, replaceChildren } from '../dom.js';
import type { PageContext } from '../routes.js';
import { VirtualList } from '../virtual_list.js';
import { labelPills, loadInto } from './page_loader.js';

interface SdRow {
  readonly pool: string;
  readonly discovered: Record<string, string>;
  /** null when dropped. */
  readonly target: Record<string, string> | null;
  readonly haystack: string;
}

type Row = { kind: 'pool'; pool: string; active: number; dropped: number } | { kind: 'target'; r: SdRow };

const ROW_HEIGHT = 96;

function text(l: Record<string, string>): string {
  return Object.entries(l)
    .map(([k, v]) => `${k}="${v}"`)
    .join(' ')
    .toLowerCase();
}

function decode(data: unknown): SdRow[] {
  const d = obj(data);
  const out: SdRow[] = [];
  for (const x of arr(d.activeTargets)) {
    const o = obj(x);
    const discovered = labelMap(o.discoveredLabels);
    const target = labelMap(o.labels);
    out.push({ pool: str(o.scrapePool), discovered, target, haystack: `${text(discovered)} ${text(target)}` });
  }
  for (const x of arr(d.droppedTargets)) {
    const o = obj(x);
    const discovered = labelMap(o.discoveredLabels);
    out.push({ pool: str(o.scrapePool) || discovered.job || '', discovered, target: null, haystack: `${text(discovered)} dropped` });
  }
  return out;
}

export function serviceDiscoveryPage(root: HTMLElement, ctx: PageContext): () => void {
  const search = h('input', { type: 'search', class: 'search', placeholder: 'Filter by label', value: ctx.url.searchParams.get('search') ?? '', 'aria-label': 'Filter' });
  const showDropped = h('input', { type: 'checkbox', checked: ctx.url.searchParams.get('dropped') !== '0' });
  const summary = h('span', { class: 'summary' });
  root.appendChild(h('div', { class: 'toolbar' }, search, h('label', { class: 'check' }, showDropped, ' show dropped'), summary));
  const body = h('div', { class: 'sd' });
  root.appendChild(body);
  let all: SdRow[] = [];
  let rows: Row[] = [];
  const list = new VirtualList(ROW_HEIGHT, (i) => {
    const r = rows[i];
    if (r === undefined) return h('div');
    if (r.kind === 'pool') return h('div', { class: 'vrow pool-row' }, h('span', { class: 'pool-name' }, r.pool), h('span', { class: 'badge' }, `${r.active} active, ${r.dropped} dropped`));
    return h(
      'div',
      { class: `vrow sd-row${r.r.target === null ? ' dropped' : ''}` },
      h('div', { class: 'cell' }, labelPills(r.r.discovered)),
      h('div', { class: 'cell arrow' }, '→'),
      h('div', { class: 'cell' }, r.r.target === null ? h('span', { class: 'badge bad' }, 'dropped') : labelPills(r.r.target)),
    );
  });
  const refilter = () => {
    const needle = search.value.trim().toLowerCase();
    const pools = new Map<string, SdRow[]>();
    for (const r of all) {
      let g = pools.get(r.pool);
      if (g === undefined) pools.set(r.pool, (g = []));
      g.push(r);
    }
    rows = [];
    let shown = 0;
    for (const [pool, rs] of [...pools.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
      const m = rs.filter((r) => (showDropped.checked || r.target !== null) && (needle === '' || r.haystack.includes(needle)));
      if (m.length === 0) continue;
      rows.push({ kind: 'pool', pool, active: rs.filter((r) => r.target !== null).length, dropped: rs.filter((r) => r.target === null).length });
      for (const r of m) rows.push({ kind: 'target', r });
      shown += m.length;
    }
    summary.textContent = `${shown} of ${all.length} discovered targets`;
    if (rows.length === 0) replaceChildren(body, h('div', { class: 'empty' }, 'No discovered targets match.'));
    else {
      if (list.el.parentElement !== body) replaceChildren(body, list.el);
      list.setCount(rows.length);
    }
    const p = new URLSearchParams();
    if (search.value !== '') p.set('search', search.value);
    if (!showDropped.checked) p.set('dropped', '0');
    ctx.replaceQuery(p);
  };
  search.addEventListener('input', refilter);
  showDropped.addEventListener('change', refilter);
  return loadInto(body, 'api/v1/targets', new URLSearchParams({ state: 'any' }), (r, box) => {
    box.remove();
    all = decode(r.data);
    refilter();
  });
}
