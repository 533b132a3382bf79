/**
 * Wires the ScalingPolicy autoscaler into `vigil server`:
 *
 * - On every configuration (re)load the tick period becomes the global
 *   `evaluation_interval` (the rule engine's tick); `tick()` runs every period.
 * - Queries go through the server's one PromQL engine (`queryEngineFor`, the one
 *   the rules use, so `--query.max-concurrency` bounds both) over its storage.
 * - Only the leading controller manager acts (`isLeading`).
 * - `recordAction` is the actions part's `onOutcome`: alert actions on a
 *   Deployment land in the same decision log as the policy's decisions.
 * - Serves the explain API (explain_http.ts); metrics go on the server's registry.
 * - `--cluster.actions.dry-run` also puts the autoscaler in dry run.
 *
 * Wiring (cmd/server.ts `serverParts()`):
 *
 *   const autoscale = autoscalePart({ registry: () => cluster.api()?.registry ?? null, isLeading: () => cluster.manager()?.isLeading() ?? false });
 *   const clusterActions = actionsPart({ …, onOutcome: autoscale.recordAction });
 *   return [ …, cluster, clusterActions, autoscale, … ];
 */
import type { FastifyInstance } from 'fastify';
import type { PartContext, ServerPart } from '../../cmd/server.js';
import { lazyQueryable, queryEngineFor } from '../../query/query_part.js';
import type { ActionOutcome } from '../actions/action_executor.js';
import { ActionSpecError, parseActionSpec } from '../actions/action_spec.js';
import type { Registry } from '../api/registry.js';
import { Autoscaler, type InstantQueryFn, type InstantSample } from './autoscaler.js';
import { AutoscalerMetrics } from './autoscaler_metrics.js';
import { alertEntry, DecisionLog } from './decision_log.js';
import { explainPlugin } from './explain_http.js';

export interface AutoscalePartOptions {
  /** Mounts routes on the cluster API's TLS listener too (the cluster part's `addTlsRoutes`). */
  addTlsRoutes?: (register: (app: FastifyInstance) => Promise<void>) => void;
  /** The cluster registry, e.g. `() => cluster.api()?.registry ?? null`. */
  registry: () => Registry | null;
  /** e.g. `() => cluster.manager()?.isLeading() ?? false`. */
  isLeading: () => boolean;
  /** Overrides `--cluster.actions.dry-run`. */
  dryRun?: boolean;
  now?: () => number;
  /** Tick period override, ms (tests); default the configuration's `evaluation_interval`; 0 = never (call `autoscaler().tick()`). */
  tickMs?: number;
  /** Query function override (tests); default the server's engine over its storage. */
  query?: InstantQueryFn;
  /** Entries kept per Deployment in the decision log. Default 100. */
  decisionsPerTarget?: number;
}

export interface AutoscalePart extends ServerPart {
  /** The decision log (explain's source). */
  readonly log: DecisionLog;
  /** The running autoscaler (null before `register`). */
  autoscaler(): Autoscaler | null;
  /** Feed for `actionsPart({ onOutcome })`: logs alert actions on Deployments. */
  readonly recordAction: (o: ActionOutcome) => void;
}

/** An `InstantQueryFn` over the server's engine and storage (vector → its samples, scalar → one sample). */
export function serverQueryFn(ctx: PartContext): InstantQueryFn {
  const engine = queryEngineFor(ctx);
  const q = lazyQueryable(ctx);
  return async (expr, timeMs): Promise<readonly InstantSample[]> => {
    const r = await engine.instantQuery(q, expr, timeMs);
    const v = r.value;
    if (v.type === 'vector') return v.series.map((s) => ({ v: s.v }));
    if (v.type === 'scalar') return [{ v: v.v }];
    throw new Error(`the query returned a ${v.type}, expected an instant vector or a scalar`);
  };
}

export function autoscalePart(opts: AutoscalePartOptions): AutoscalePart {
  const now = opts.now ?? Date.now;
  const log = new DecisionLog({ ...(opts.decisionsPerTarget !== undefined ? { perTarget: opts.decisionsPerTarget } : {}) });
  let autoscaler: Autoscaler | null = null;
  const recordAction = (o: ActionOutcome): void => {
    let target: { namespace: string; name: string } | null = null;
    try {
      const s = parseActionSpec(o.action);
      if (s.target.kind === 'deployment') target = s.target;
    } catch (e) {
      if (!(e instanceof ActionSpecError)) throw e;
    }
    if (target === null) return;
    log.add(alertEntry(now(), { namespace: target.namespace, deployment: target.name, alert: o.alert, action: o.action, result: o.result, detail: o.detail }));
  };
  return {
    name: 'cluster-autoscale',
    log,
    autoscaler: () => autoscaler,
    recordAction,
    async register(app: FastifyInstance, ctx: PartContext): Promise<void> {
      const flagDry = (ctx.flags as { clusterActionsDryRun?: boolean }).clusterActionsDryRun === true;
      const a = new Autoscaler({
        registry: opts.registry,
        query: opts.query ?? serverQueryFn(ctx),
        isLeading: opts.isLeading,
        log,
        metrics: new AutoscalerMetrics(ctx.metrics),
        now,
        logger: ctx.logger,
        dryRun: opts.dryRun ?? flagDry,
      });
      autoscaler = a;
      let timer: NodeJS.Timeout | null = null;
      let periodMs = 0;
      const schedule = (ms: number): void => {
        if (ms === periodMs) return;
        if (timer !== null) clearInterval(timer);
        periodMs = ms;
        timer = ms > 0 ? setInterval(() => void a.tick(), ms) : null;
        timer?.unref();
        if (ms > 0) ctx.logger.info('autoscaler evaluating scaling policies', { interval_ms: ms });
      };
      ctx.onConfigReload('autoscale', (cfg) => {
        schedule(opts.tickMs ?? cfg.global.evaluationInterval);
      });
      app.addHook('onClose', async () => {
        if (timer !== null) clearInterval(timer);
        timer = null;
        autoscaler = null;
      });
      // Guarded by the cluster API's auth (the cluster part registers first and decorates the app); also on
      // the cluster API's TLS listener (where `vigil ctl` connects), with tokens only.
      const clusterAuth = app.vigilClusterAuth ?? null;
      await app.register(async (scoped) => explainPlugin(scoped, { registry: opts.registry, log, auth: clusterAuth }));
      opts.addTlsRoutes?.((tlsApp) =>
        explainPlugin(tlsApp, {
          registry: opts.registry,
          log,
          auth: clusterAuth === null ? null : { authenticate: clusterAuth.authenticateToken, authorize: (...a) => clusterAuth.authorize(...a) },
        }),
      );
    },
  };
}
