/**
 * The web UI's entry point: the navigation bar and a client-side router over
 * `routes.ts`. Links are relative to `<base href>` (the server's route prefix),
 * so the UI works under `--web.route-prefix`.
 */
import 'uplot/dist/uPlot.min.css';
import './styles.css';
import { clear, h } from './dom.js';
import { ALIASES, findPage, PAGES, type PageContext } from './routes.js';

const basePath = new URL(document.baseURI).pathname.replace(/\/$/, '');

/** The current path relative to the route prefix (`/query`). */
function currentPath(): string {
  const p = location.pathname.startsWith(basePath) ? location.pathname.slice(basePath.length) : location.pathname;
  return p === '' ? '/' : p.replace(/\/+$/, '') || '/';
}

const main = h('main', { id: 'page' });
const nav = h('nav', { class: 'topnav' });
let cleanup: (() => void) | undefined;

function link(path: string, title: string): HTMLAnchorElement {
  const a = h('a', { href: path.slice(1), 'data-path': path }, title);
  a.addEventListener('click', (e) => {
    if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    navigate(path);
  });
  return a;
}

function buildNav(): void {
  nav.appendChild(link('/query', 'Vigil')).classList.add('brand');
  for (const section of ['main', 'status', 'cluster'] as const) {
    const pages = PAGES.filter((p) => p.section === section);
    if (pages.length === 0) continue;
    const group = h('div', { class: `navgroup navgroup-${section}` });
    for (const p of pages) group.appendChild(link(p.path, p.title));
    nav.appendChild(group);
  }
}

function navigate(pathWithQuery: string): void {
  history.pushState(null, '', pathWithQuery.slice(1) === '' ? './' : pathWithQuery.slice(1));
  render();
}

function render(): void {
  cleanup?.();
  cleanup = undefined;
  clear(main);
  const path = currentPath();
  const page = findPage(path);
  for (const a of nav.querySelectorAll<HTMLAnchorElement>('a[data-path]')) a.classList.toggle('active', page !== null && a.dataset.path === page.path && !a.classList.contains('brand'));
  if (page === null) {
    document.title = 'Vigil — not found';
    main.appendChild(h('div', { class: 'error-box' }, `No page at ${path}.`));
    return;
  }
  document.title = `Vigil — ${page.title}`;
  const canonical = ALIASES[path];
  const ctx: PageContext = {
    url: new URL(location.href),
    replaceQuery: (params) => {
      const q = params.toString();
      const target = canonical ?? path;
      history.replaceState(null, '', `${basePath}${target}${q === '' ? '' : `?${q}`}`);
    },
    navigate,
  };
  main.appendChild(h('h1', { class: 'page-title' }, page.title));
  cleanup = page.mount(main, ctx) ?? undefined;
}

buildNav();
const app = document.getElementById('app') ?? document.body;
app.appendChild(h('header', null, nav));
app.appendChild(main);
window.addEventListener('popstate', render);
render();
