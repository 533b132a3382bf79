/**
 * Targets (`/targets`): active scrape targets grouped by scrape pool, with
 * health, labels, last scrape, duration and last error. The pool filter is sent
 * to the server (`scrapePool=`, `state=active`); health and text filters run in
 * the browser over the answer, and the rows are virtualised so thousands of
 * targets stay responsive. Filters are kept in the URL (`pool`, `health`, `search`).
 */
import { apiGet } from '../api.js';
import { arr, labelMap, num, obj, str } from '../decode.js';
import { h, replaceChildren } from '../dom.js';
import { ago, formatSeconds } from '../format.js';
import type { PageContext } from '../routes.js';
import { VirtualList } from '../virtual_list.js';
import { labelPills, loadInto } from './page_loader.js';

interface Target {
  readonly pool: string;
  readonly url: string;
  readonly health: string;
  readonly labels: Record<string, string>;
  readonly lastError: string;
  readonly lastScrape: string;
  readonly duration: number;
  readonly interval: string;
  /** Lower-cased text the search filter matches. */
  readonly haystack: string;
}

type Row = { kind: 'pool'; pool: string; up: number; total: number } | { kind: 'target'; t: Target };

const HEALTHS = ['up', 'down', 'unknown'] as const;
const ROW_HEIGHT = 58;

function decodeTargets(data: unknown): Target[] {
  return arr(obj(data).activeTargets).map((x) => {
    const o = obj(x);
    const labels = labelMap(o.labels);
    const url = str(o.scrapeUrl);
    const lastError = str(o.lastError);
    return {
      pool: str(o.scrapePool),
      url,
      health: str(o.health) || 'unknown',
      labels,
      lastError,
      lastScrape: str(o.lastScrape),
      duration: num(o.lastScrapeDuration),
      interval: str(o.scrapeInterval),
      haystack: `${url} ${Object.entries(labels)
        .map(([k, v]) => `${k}="${v}"`)
        .join(' ')} ${lastError}`.toLowerCase(),
    };
  });
}

export function targetsPage(root: HTMLElement, ctx: PageContext): () => void {
  const q = ctx.url.searchParams;
  const health = new Set<string>((q.get('health') ?? '').split(',').filter((s) => (HEALTHS as readonly string[]).includes(s)));
  let pool = q.get('pool') ?? '';
  const collapsed = new Set<string>();
  let targets: Target[] = [];
  let rows: Row[] = [];

  const search = h('input', { type: 'search', class: 'search', placeholder: 'Filter by endpoint, labels or error', value: q.get('search') ?? '', 'aria-label': 'Filter targets' });
  const poolSelect = h('select', { class: 'pool', 'aria-label': 'Scrape pool' }, h('option', { value: '' }, 'All scrape pools'));
  const summary = h('span', { class: 'summary' });
  const healthBoxes = HEALTHS.map((s) => {
    const box = h('input', { type: 'checkbox', value: s, checked: health.has(s) });
    box.addEventListener('change', () => {
      if (box.checked) health.add(s);
      else health.delete(s);
      refilter();
    });
    return h('label', { class: `check health-${s}` }, box, ` ${s}`);
  });
  root.appendChild(h('div', { class: 'toolbar' }, poolSelect, ...healthBoxes, search, summary));
  const list = new VirtualList(ROW_HEIGHT, (i) => renderRow(rows[i]));
  const body = h('div', { class: 'targets' });
  root.appendChild(body);

  const syncUrl = () => {
    const p = new URLSearchParams();
    if (pool !== '') p.set('pool', pool);
    if (health.size > 0) p.set('health', [...health].join(','));
    if (search.value !== '') p.set('search', search.value);
    ctx.replaceQuery(p);
  };

  function renderRow(r: Row | undefined): HTMLElement {
    if (r === undefined) return h('div');
    if (r.kind === 'pool') {
      const row = h('div', { class: 'vrow pool-row', role: 'button', tabindex: 0, 'data-pool': r.pool }, h('span', { class: 'toggle' }, collapsed.has(r.pool) ? '▸' : '▾'), h('span', { class: 'pool-name' }, r.pool), h('span', { class: `badge ${r.up === r.total ? 'ok' : 'bad'}` }, `${r.up} / ${r.total} up`));
      row.addEventListener('click', () => {
        if (collapsed.has(r.pool)) collapsed.delete(r.pool);
        else collapsed.add(r.pool);
        refilter();
      });
      return row;
    }
    const t = r.t;
    return h(
      'div',
      { class: 'vrow target-row', 'data-health': t.health },
      h('div', { class: 'cell endpoint' }, h('a', { href: t.url, rel: 'noreferrer', target: '_blank' }, t.url), h('span', { class: `badge health ${t.health}` }, t.health)),
      h('div', { class: 'cell tlabels' }, labelPills(t.labels)),
      h('div', { class: 'cell scrape' }, `${ago(t.lastScrape)} · ${Number.isFinite(t.duration) ? formatSeconds(t.duration) : '—'}${t.interval === '' ? '' : ` · every ${t.interval}`}`),
      h('div', { class: 'cell terror', title: t.lastError }, t.lastError),
    );
  }

  function refilter(): void {
    const needle = search.value.trim().toLowerCase();
    const byPool = new Map<string, Target[]>();
    for (const t of targets) {
      let g = byPool.get(t.pool);
      if (g === undefined) byPool.set(t.pool, (g = []));
      g.push(t);
    }
    rows = [];
    let shown = 0;
    for (const [p, all] of [...byPool.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
      const matching = all.filter((t) => (health.size === 0 || health.has(t.health)) && (needle === '' || t.haystack.includes(needle)));
      if (matching.length === 0) continue;
      rows.push({ kind: 'pool', pool: p, up: all.filter((t) => t.health === 'up').length, total: all.length });
      shown += matching.length;
      if (!collapsed.has(p)) for (const t of matching) rows.push({ kind: 'target', t });
    }
    summary.textContent = `${shown} of ${targets.length} targets`;
    if (rows.length === 0) replaceChildren(body, h('div', { class: 'empty' }, targets.length === 0 ? 'No active targets.' : 'No targets match the filter.'));
    else {
      if (list.el.parentElement !== body) replaceChildren(body, list.el);
      list.setCount(rows.length);
    }
    syncUrl();
  }

  let frame = 0;
  search.addEventListener('input', () => {
    cancelAnimationFrame(frame);
    frame = requestAnimationFrame(refilter);
  });

  let cancel = (): void => {};
  const load = () => {
    cancel();
    replaceChildren(body);
    const params = new URLSearchParams({ state: 'active' });
    if (pool !== '') params.set('scrapePool', pool);
    cancel = loadInto(body, 'api/v1/targets', params, (r, box) => {
      box.remove();
      targets = decodeTargets(r.data);
      refilter();
    });
  };
  poolSelect.addEventListener('change', () => {
    pool = poolSelect.value;
    load();
  });
  apiGet('api/v1/scrape_pools').then(
    (r) => {
      for (const name of arr(obj(r.data).scrapePools).map(str)) poolSelect.appendChild(h('option', { value: name, selected: name === pool }, name));
    },
    () => {
      poolSelect.disabled = true;
    },
  );
  load();
  return () => cancel();
}
