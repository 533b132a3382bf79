/**
 * Serves the bundled web UI (built by `node ui/build.mjs` into `dist/ui-web/`)
 * under the server's route prefix:
 * - `GET /assets/<name>-<hash>.{js,css}` with `@fastify/static`, pre-compressed
 *   (`.gz` beside each file), `Cache-Control: public, max-age=31536000, immutable`
 *   because the names change with the content;
 * - `GET /` and every page of the UI (`UI_PAGES`, `/cluster/*`) answer `index.html`
 *   with `Cache-Control: no-cache` and `<base href="<prefix>/">` so relative asset
 *   and API URLs work under `--web.route-prefix`/`--web.external-url`;
 * - `GET /graph?g0.expr=…` (the Prometheus links alert `generatorURL`s carry) is
 *   a page too; the app shows those queries in the expression browser.
 * Nothing is fetched from the network at run time. When the bundle is missing
 * (the UI was not built) the pages answer 503 with a message saying how to build it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { PartContext, ServerPart } from '../cmd/server.js';

/** The placeholder `ui/build.mjs` writes into `index.html`'s `<base href>`. */
export const BASE_PLACEHOLDER = '%VIGIL_BASE_HREF%';

/** The default bundle directory: `dist/ui-web/` next to this compiled file's `dist/ui/`. */
export const DEFAULT_UI_ROOT = fileURLToPath(new URL('../ui-web/', import.meta.url));

/**
 * The UI's page paths (relative to the route prefix). The app's router
 * (ui/app/routes.ts) knows the same list; `/cluster/*` is reserved for the
 * cluster views. `/graph` is Prometheus 2's name of the expression browser.
 */
export const UI_PAGES: readonly string[] = [
  '/',
  '/query',
  '/graph',
  '/targets',
  '/service-discovery',
  '/alerts',
  '/rules',
  '/tsdb-status',
  '/config',
  '/flags',
  '/status',
];

/** Options of `uiPlugin`. */
export interface UiOptions {
  /** The route prefix the plugin is registered under, without trailing slash (`''` for none). */
  readonly routePrefix: string;
  /** Directory holding `index.html` and `assets/`. Default `DEFAULT_UI_ROOT`. */
  readonly root?: string;
}

const HTML = 'text/html; charset=utf-8';

/** Escapes text for an HTML attribute value. */
function attr(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Registers the UI routes on `app` (already inside the route-prefix scope). */
export async function uiPlugin(app: FastifyInstance, opts: UiOptions): Promise<void> {
  const root = opts.root ?? DEFAULT_UI_ROOT;
  const indexPath = join(root, 'index.html');
  let page: (reply: FastifyReply) => FastifyReply;
  if (existsSync(indexPath) && existsSync(join(root, 'assets'))) {
    const html = readFileSync(indexPath, 'utf8').replace(BASE_PLACEHOLDER, attr(`${opts.routePrefix}/`));
    page = (reply) => reply.code(200).type(HTML).header('cache-control', 'no-cache').send(html);
    await app.register(fastifyStatic, {
      root: join(root, 'assets'),
      prefix: '/assets/',
      // Routes are created for the files present at start-up; nothing else under /assets/ is served.
      wildcard: false,
      index: false,
      preCompressed: true,
      immutable: true,
      maxAge: '365d',
      decorateReply: false,
      serveDotFiles: false,
    });
  } else {
    const msg = `Vigil's web UI is not built (no ${indexPath}). Run \`npm run build\` (or \`node ui/build.mjs\`) and restart. The HTTP API works without it.\n`;
    page = (reply) => reply.code(503).type('text/plain; charset=utf-8').header('cache-control', 'no-cache').send(msg);
  }
  for (const p of UI_PAGES) app.get(p, async (_req, reply) => page(reply));
  app.get('/cluster', async (_req, reply) => page(reply));
  app.get('/cluster/*', async (_req, reply) => page(reply));
}

/** The UI as a server part. `root` overrides the bundle directory (tests). */
export function createUiServerPart(root?: string): ServerPart {
  return {
    name: 'ui',
    async register(app: FastifyInstance, ctx: PartContext): Promise<void> {
      const routePrefix = ctx.flags.routePrefix === '/' ? '' : ctx.flags.routePrefix;
      const indexPath = join(root ?? DEFAULT_UI_ROOT, 'index.html');
      if (!existsSync(indexPath)) ctx.logger.warn('Web UI bundle not found; UI pages will answer 503 until it is built', { path: indexPath });
      await uiPlugin(app, root === undefined ? { routePrefix } : { routePrefix, root });
    },
  };
}

/** The UI part with the default bundle directory, for `SERVER_PARTS` in cmd/server.ts. */
export const uiServerPart: ServerPart = createUiServerPart();
