/**
 * The expression browser (`/query`, and `/graph` for Prometheus links): any
 * number of query panels whose state lives in the URL (`g0.expr=…`), so a page
 * can be shared or bookmarked. Panels given in the URL run on load.
 */
import { h } from '../dom.js';
import { QueryPanel } from '../query/panel.js';
import { defaultPanel, panelsFromParams, panelsToParams } from '../query/panel_state.js';
import type { PageContext } from '../routes.js';

export function queryPage(root: HTMLElement, ctx: PageContext): () => void {
  const list = h('div', { class: 'panels' });
  const panels: QueryPanel[] = [];
  const sync = () => ctx.replaceQuery(panelsToParams(panels.map((p) => p.state)));
  const add = (state = defaultPanel(), run = false) => {
    const panel: QueryPanel = new QueryPanel(state, sync, () => {
      panel.destroy();
      panel.el.remove();
      panels.splice(panels.indexOf(panel), 1);
      sync();
    });
    panels.push(panel);
    list.appendChild(panel.el);
    if (run && state.expr !== '') void panel.execute();
    return panel;
  };
  const initial = panelsFromParams(ctx.url.searchParams);
  if (initial.length === 0) add().focus();
  else for (const s of initial) add(s, true);
  root.appendChild(list);
  root.appendChild(h('button', { type: 'button', class: 'add-panel', onclick: () => {
        add().focus();
        sync();
      } }, 'Add panel'));
  // `/graph` is Prometheus 2's name of this page: show the canonical one, keeping the parameters.
  sync();
  return () => {
    for (const p of panels) p.destroy();
  };
}
