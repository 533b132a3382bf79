/**
 * The quick-start demo as a part of `vigil server`. Active only when the server
 * runs on its embedded default configuration (no `--config.file`, no
 * ./prometheus.yml) and `--no-demo` was not given; then:
 *
 * 1. at registration it writes the demo's alerting rules (`demoRulesText` in
 *    cmd/config.ts) to `<storage.tsdb.path>/demo/rules.yml`, the file the embedded
 *    default lists in `rule_files` (see `demoRulesFile`);
 * 2. once the server is ready (after the local node agent started), it creates the
 *    demo's Namespace, Deployment and Service through the server's own cluster API
 *    where they are missing (demo_objects.ts; retried every few seconds until it
 *    works or the server stops), then
 * 3. runs the bounded demo load (demo_load.ts) through the Service's proxy on
 *    127.0.0.1:<service port>, until the server closes.
 *
 * With `--web.config.file` set the demo does not deploy (it has no credentials for
 * the API), like the local agent; it says so in the log.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { demoRulesText, EMBEDDED_CONFIG_FILE } from '../../cmd/config.js';
import type { ServerFlags } from '../../cmd/flags.js';
import type { PartContext, ServerPart } from '../../cmd/server.js';
import { ApiClient } from '../agent/api_client.js';
import { DemoLoad, DEMO_LOAD_DEFAULTS, type DemoLoadOptions } from './demo_load.js';
import { DEMO_SERVICE_PORT, ensureDemoObjects, type EnsureResult } from './demo_objects.js';

export interface DemoPartOptions {
  /** The demo Service's port (its proxy listens on 127.0.0.1:<port> on each node). Default 29080. */
  servicePort?: number;
  /** Load settings; default `DEMO_LOAD_DEFAULTS`. `ratePerSecond: 0` sends nothing. */
  load?: Partial<Omit<DemoLoadOptions, 'url'>>;
  /** Delay between attempts to create the objects. Default 3000 ms. */
  retryMs?: number;
}

/** The demo part plus what it did, for tests. */
export interface DemoPart extends ServerPart {
  /** Whether the demo is on for this server (known after `register`). */
  enabled(): boolean;
  /** Resolves with the outcome of creating the objects (rejects never; null when the demo is off or stopped first). */
  deployed(): Promise<EnsureResult | null>;
  /** The running load, once started. */
  load(): DemoLoad | null;
}

/** The demo rules file for these flags: `<storage.tsdb.path>/demo/rules.yml` (absolute), or undefined with `--no-demo`. */
export function demoRulesFile(flags: Pick<ServerFlags, 'demo' | 'storagePath'>): string | undefined {
  return flags.demo ? resolve(flags.storagePath, 'demo', 'rules.yml') : undefined;
}

export function demoPart(opts: DemoPartOptions = {}): DemoPart {
  let on = false;
  let load: DemoLoad | null = null;
  let settle: (r: EnsureResult | null) => void = () => {};
  const deployed = new Promise<EnsureResult | null>((r) => {
    settle = r;
  });
  return {
    name: 'demo',
    enabled: () => on,
    deployed: () => deployed,
    load: () => load,
    async register(app: FastifyInstance, ctx: PartContext): Promise<void> {
      const rules = demoRulesFile(ctx.flags);
      on = rules !== undefined && ctx.config().file === EMBEDDED_CONFIG_FILE;
      if (!on || rules === undefined) {
        settle(null);
        return;
      }
      mkdirSync(join(rules, '..'), { recursive: true });
      writeFileSync(rules, demoRulesText());
      const log = ctx.logger;
      if (ctx.flags.webConfigFile !== '') {
        log.warn('the quick-start demo does not deploy when --web.config.file is set (it has no API credentials)');
        settle(null);
        return;
      }
      // The demo creates a namespace, a Deployment and a Service: as the cluster's admin (in process),
      // when the cluster part runs with authentication (it registers first and decorates the app).
      const auth = app.vigilClusterAuth ?? null;
      ctx.onReady('demo', async ({ url }) => start(ctx, url, rules, auth === null ? null : await auth.adminToken()));
    },
  };

  async function start(ctx: PartContext, url: string, rules: string, token: string | null): Promise<() => Promise<void>> {
    const log = ctx.logger;
    const port = opts.servicePort ?? DEMO_SERVICE_PORT;
    const client = new ApiClient(url, token !== null ? { headers: () => ({ authorization: `Bearer ${token}` }) } : {});
    const ac = new AbortController();
    const retryMs = opts.retryMs ?? 3000;
    const task = (async () => {
      for (;;) {
        try {
          const r = await ensureDemoObjects(client, port);
          log.info('quick-start demo deployed (--no-demo turns it off)', { created: r.created.join(','), reused: r.existing.join(','), service: `127.0.0.1:${port}`, rules });
          settle(r);
          break;
        } catch (e) {
          if (ac.signal.aborted) break;
          log.warn('quick-start demo: creating its objects failed; retrying', { err: e instanceof Error ? e.message : String(e) });
          await new Promise((r) => setTimeout(r, retryMs).unref());
          if (ac.signal.aborted) break;
        }
      }
      if (ac.signal.aborted) return;
      const settings = { ...DEMO_LOAD_DEFAULTS, ...(opts.load ?? {}) };
      if (settings.ratePerSecond <= 0) return;
      load = new DemoLoad({ ...settings, url: `http://127.0.0.1:${port}/` });
      load.start();
      log.info('quick-start demo load started', { rate_per_second: settings.ratePerSecond, on: `${settings.onMs / 1000}s`, off: `${settings.offMs / 1000}s` });
    })();
    return async () => {
      ac.abort();
      settle(null);
      await task;
      if (load !== null) {
        const s = load.stats;
        await load.stop();
        log.info('quick-start demo load stopped', { sent: s.sent, ok: s.ok, failed: s.failed, skipped: s.skipped });
      }
    };
  }
}
