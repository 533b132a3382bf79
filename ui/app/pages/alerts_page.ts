/**
 * Alerts (`/alerts`): alerting rules by group (`rules?type=alert`), each with
 * its state, expression, hold duration, labels and annotations, and its active
 * alerts (state, active since, value, labels, annotations). Filters by state
 * and text; a rule's alerts are rendered only when it is expanded, so rules
 * with thousands of alerts do not slow the page.
 */
import { arr, labelMap, obj, str } from '../decode.js';
import { h, replaceChildren } from '../dom.js';
import { ago, formatSeconds } from '../format.js';
import type { PageContext } from '../routes.js';
import { kvTable, labelPills, loadInto } from './page_loader.js';

const STATES = ['inactive', 'pending', 'firing'] as const;

interface AlertRule {
  readonly group: string;
  readonly file: string;
  readonly name: string;
  readonly state: string;
  readonly query: string;
  readonly duration: number;
  readonly labels: Record<string, string>;
  readonly annotations: Record<string, string>;
  readonly alerts: readonly unknown[];
  readonly health: string;
  readonly lastError: string;
}

function decode(data: unknown): AlertRule[] {
  const out: AlertRule[] = [];
  for (const g of arr(obj(data).groups)) {
    const go = obj(g);
    for (const r of arr(go.rules)) {
      const o = obj(r);
      if (str(o.type) !== 'alerting') continue;
      out.push({
        group: str(go.name),
        file: str(go.file),
        name: str(o.name),
        state: str(o.state) || 'inactive',
        query: str(o.query),
        duration: typeof o.duration === 'number' ? o.duration : 0,
        labels: labelMap(o.labels),
        annotations: labelMap(o.annotations),
        alerts: arr(o.alerts),
        health: str(o.health),
        lastError: str(o.lastError),
      });
    }
  }
  return out;
}

function alertsTable(alerts: readonly unknown[]): HTMLElement {
  const rows = alerts.map((a) => {
    const o = obj(a);
    const ann = labelMap(o.annotations);
    return h(
      'tr',
      { class: `alert-${str(o.state)}` },
      h('td', null, labelPills(labelMap(o.labels))),
      h('td', null, h('span', { class: `badge state ${str(o.state)}` }, str(o.state))),
      h('td', { title: str(o.activeAt) }, ago(str(o.activeAt))),
      h('td', { class: 'value' }, str(o.value)),
      h('td', { class: 'annotations' }, ...Object.keys(ann).sort().map((k) => h('div', null, h('strong', null, `${k}: `), ann[k] ?? ''))),
    );
  });
  return h('table', { class: 'alerts-table' }, h('thead', null, h('tr', null, h('th', null, 'Labels'), h('th', null, 'State'), h('th', null, 'Active since'), h('th', null, 'Value'), h('th', null, 'Annotations'))), h('tbody', null, ...rows));
}

function ruleBlock(r: AlertRule): HTMLElement {
  const details = h('details', { class: `rule alert-rule state-${r.state}`, 'data-rule': r.name });
  const summary = h('summary', null, h('span', { class: `badge state ${r.state}` }, r.state), h('span', { class: 'rule-name' }, r.name), h('span', { class: 'count' }, `(${r.alerts.length} active)`), r.health === 'err' ? h('span', { class: 'badge bad' }, 'error') : null);
  details.appendChild(summary);
  let filled = false;
  details.addEventListener('toggle', () => {
    if (!details.open || filled) return;
    filled = true;
    const info: [string, string][] = [['expr', r.query]];
    if (r.duration > 0) info.push(['for', formatSeconds(r.duration)]);
    for (const [k, v] of Object.entries(r.labels)) info.push([`label ${k}`, v]);
    for (const [k, v] of Object.entries(r.annotations)) info.push([`annotation ${k}`, v]);
    if (r.lastError !== '') info.push(['last error', r.lastError]);
    details.appendChild(kvTable(info, 'kv rule-def'));
    if (r.alerts.length > 0) details.appendChild(alertsTable(r.alerts));
  });
  return details;
}

export function alertsPage(root: HTMLElement, ctx: PageContext): () => void {
  const q = ctx.url.searchParams;
  const wanted = new Set((q.get('state') ?? '').split(',').filter((s) => (STATES as readonly string[]).includes(s)));
  const search = h('input', { type: 'search', class: 'search', placeholder: 'Filter by name or label', value: q.get('search') ?? '', 'aria-label': 'Filter alerts' });
  const counts = h('span', { class: 'summary' });
  const boxes = STATES.map((s) => {
    const b = h('input', { type: 'checkbox', checked: wanted.has(s) });
    b.addEventListener('change', () => {
      if (b.checked) wanted.add(s);
      else wanted.delete(s);
      render();
    });
    return h('label', { class: `check state-${s}` }, b, ` ${s}`);
  });
  root.appendChild(h('div', { class: 'toolbar' }, ...boxes, search, counts));
  const body = h('div', { class: 'alerts' });
  root.appendChild(body);
  let rules: AlertRule[] = [];
  const render = () => {
    const needle = search.value.trim().toLowerCase();
    const n = { inactive: 0, pending: 0, firing: 0 } as Record<string, number>;
    for (const r of rules) n[r.state] = (n[r.state] ?? 0) + 1;
    counts.textContent = STATES.map((s) => `${s} (${n[s] ?? 0})`).join(' · ');
    const shown = rules.filter((r) => (wanted.size === 0 || wanted.has(r.state)) && (needle === '' || `${r.name} ${JSON.stringify(r.labels)}`.toLowerCase().includes(needle)));
    replaceChildren(body);
    if (rules.length === 0) body.appendChild(h('div', { class: 'empty' }, 'No alerting rules are configured.'));
    else if (shown.length === 0) body.appendChild(h('div', { class: 'empty' }, 'No alerting rules match the filter.'));
    let group = '';
    for (const r of shown) {
      if (`${r.file}/${r.group}` !== group) {
        group = `${r.file}/${r.group}`;
        body.appendChild(h('h2', { class: 'group-title' }, r.group, h('span', { class: 'file' }, ` ${r.file}`)));
      }
      body.appendChild(ruleBlock(r));
    }
    const p = new URLSearchParams();
    if (wanted.size > 0) p.set('state', [...wanted].join(','));
    if (search.value !== '') p.set('search', search.value);
    ctx.replaceQuery(p);
  };
  search.addEventListener('input', render);
  return loadInto(body, 'api/v1/rules', new URLSearchParams({ type: 'alert' }), (r, box) => {
    box.remove();
    rules = decode(r.data);
    render();
  });
}
