/**
 * Health, readiness and lifecycle endpoints (Prometheus `web/web.go`):
 * - `GET|HEAD /-/healthy` → 200 "Vigil is Healthy." from process start.
 * - `GET|HEAD /-/ready` → 503 "Service Unavailable" until storage is open, then 200 "Vigil is Ready.".
 * - `POST|PUT /-/reload` → re-reads the configuration; 200 on success, 500 with the reason on failure.
 * - `POST|PUT /-/quit` → 200, then asks the process to shut down.
 * Reload and quit need `--web.enable-lifecycle` (403 "Lifecycle API is not enabled." otherwise);
 * `GET` on them is 405, as in Prometheus.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';

/** Result of a configuration reload. */
export type ReloadOutcome = { readonly ok: true } | { readonly ok: false; readonly error: string };

/** What the lifecycle routes need from the server. */
export interface LifecycleOptions {
  /** `--web.enable-lifecycle`. */
  readonly enableLifecycle: boolean;
  /** Whether storage is open and the server serves queries. */
  isReady(): boolean;
  /** Re-reads and applies the configuration; never throws. */
  reload(): Promise<ReloadOutcome>;
  /** Starts a clean shutdown; called after the quit response has been sent. */
  quit(): void;
}

const TEXT = 'text/plain; charset=utf-8';

/** Registers the routes on `app` (use inside the route-prefix scope). */
export async function lifecycleRoutes(app: FastifyInstance, opts: LifecycleOptions): Promise<void> {
  app.get('/-/healthy', async (_req, reply) => reply.code(200).type(TEXT).send('Vigil is Healthy.\n'));

  app.get('/-/ready', async (_req, reply) => {
    if (opts.isReady()) return reply.code(200).type(TEXT).send('Vigil is Ready.\n');
    return reply.code(503).type(TEXT).send('Service Unavailable\n');
  });

  const forbidden = async (_req: unknown, reply: FastifyReply) =>
    reply.code(403).type(TEXT).send('Lifecycle API is not enabled.\n');
  const notAllowed = async (_req: unknown, reply: FastifyReply) =>
    reply.code(405).type(TEXT).header('allow', 'POST, PUT').send('Only POST or PUT requests allowed\n');

  const reload = async (_req: unknown, reply: FastifyReply) => {
    const outcome = await opts.reload();
    if (outcome.ok) return reply.code(200).type(TEXT).send('');
    return reply.code(500).type(TEXT).send(`failed to reload config: ${outcome.error}\n`);
  };

  const quit = async (_req: unknown, reply: FastifyReply) => {
    // Shut down only once the client has its answer.
    reply.raw.once('finish', () => opts.quit());
    return reply.code(200).type(TEXT).send('Requesting termination... Goodbye!\n');
  };

  for (const path of ['/-/reload', '/-/quit']) {
    const handler = !opts.enableLifecycle ? forbidden : path === '/-/reload' ? reload : quit;
    app.route({ method: ['POST', 'PUT'], url: path, handler });
    app.route({ method: 'GET', url: path, exposeHeadRoute: false, handler: notAllowed });
  }
}
