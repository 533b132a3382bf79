/**
 * Rules (`/rules`): every rule group with its interval, last evaluation and
 * duration, and each rule's definition, health, last error, last evaluation and
 * evaluation time (`api/v1/rules`).
 */
import { arr, labelMap, num, obj, str } from '../decode.js';
import { h, replaceChildren } from '../dom.js';
import { ago, formatSeconds } from '../format.js';
import type { PageContext } from '../routes.js';
import { labelPills, loadInto } from './page_loader.js';

function ruleRow(r: unknown): HTMLElement {
  const o = obj(r);
  const alerting = str(o.type) === 'alerting';
  const health = str(o.health) || 'unknown';
  const labels = labelMap(o.labels);
  const def = h(
    'td',
    { class: 'rule-def' },
    h('div', null, h('span', { class: 'kw' }, alerting ? 'alert: ' : 'record: '), h('strong', null, str(o.name))),
    h('pre', { class: 'expr-text' }, str(o.query)),
    alerting && num(o.duration) > 0 ? h('div', null, `for: ${formatSeconds(num(o.duration))}`) : null,
    Object.keys(labels).length > 0 ? h('div', null, labelPills(labels)) : null,
  );
  return h(
    'tr',
    { class: `rule-row health-${health}` },
    def,
    h('td', null, h('span', { class: `badge health ${health === 'ok' ? 'up' : health === 'err' ? 'down' : 'unknown'}` }, health), str(o.lastError) === '' ? null : h('div', { class: 'error-text' }, str(o.lastError))),
    h('td', { title: str(o.lastEvaluation) }, ago(str(o.lastEvaluation))),
    h('td', null, formatSeconds(num(o.evaluationTime))),
  );
}

export function rulesPage(root: HTMLElement, _ctx: PageContext): () => void {
  const body = h('div', { class: 'rules' });
  root.appendChild(body);
  return loadInto(body, 'api/v1/rules', undefined, (r, box) => {
    const groups = arr(obj(r.data).groups);
    replaceChildren(box);
    if (groups.length === 0) box.appendChild(h('div', { class: 'empty' }, 'No rule groups are configured.'));
    for (const g of groups) {
      const go = obj(g);
      const rules = arr(go.rules);
      const details = h(
        'details',
        { class: 'rule-group', open: groups.length <= 20 },
        h('summary', null, h('span', { class: 'rule-name' }, str(go.name)), h('span', { class: 'file' }, str(go.file)), h('span', { class: 'meta' }, `every ${formatSeconds(num(go.interval))} · last evaluation ${ago(str(go.lastEvaluation))} · took ${formatSeconds(num(go.evaluationTime))} · ${rules.length} rules`)),
      );
      // Rows are built when the group is first opened.
      const fill = () => {
        if (details.querySelector('table') !== null) return;
        details.appendChild(h('table', { class: 'rules-table' }, h('thead', null, h('tr', null, h('th', null, 'Rule'), h('th', null, 'Health'), h('th', null, 'Last evaluation'), h('th', null, 'Evaluation time'))), h('tbody', null, ...rules.map(ruleRow))));
      };
      if (details.open) fill();
      details.addEventListener('toggle', () => details.open && fill());
      box.appendChild(details);
    }
  });
}
