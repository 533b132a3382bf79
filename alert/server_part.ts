/**
 * The alerting part of `vigil server`: on every configuration (re)load it points
 * the notifier at the configured Alertmanagers and (re)loads the rule files into
 * the rule manager; it serves the alerting API and exposes the manager so other
 * parts (the cluster manager) can register alert receivers.
 *
 * Wiring (cmd/): add `...ALERT_FLAGS` to `SERVER_FLAGS` and `alertServerPart()` to
 * `SERVER_PARTS`.
 */
import type { FastifyInstance } from 'fastify';
import type { FlagSpec } from '../cmd/cli.js';
import type { PartContext, ServerPart } from '../cmd/server.js';
import { queryEngineFor } from '../query/query_part.js';
import { parseDuration } from '../tsdb/duration.js';
import type { AlertReceiver } from './receivers.js';
import { alertApiPlugin } from './http.js';
import { alertMetricsText } from './metrics.js';
import { type BuiltinRules, DEFAULT_GRACE_PERIOD_MS, DEFAULT_OUTAGE_TOLERANCE_MS, DEFAULT_RESEND_DELAY_MS, RuleManager } from './manager.js';
import { DEFAULT_QUEUE_CAPACITY, Notifier, type RelabelFn } from './notifier.js';
import { engineQueryFn } from './rule.js';

/** The alerting flags of `vigil server` (Prometheus's names and defaults). */
export const ALERT_FLAGS: readonly FlagSpec[] = [
  { name: 'rules.alert.for-outage-tolerance', kind: 'string', placeholder: 'DURATION', default: '1h', help: "Max time to tolerate prometheus outage for restoring 'for' state of alert." },
  { name: 'rules.alert.for-grace-period', kind: 'string', placeholder: 'DURATION', default: '10m', help: "Minimum duration between alert and restored 'for' state. This is maintained only for alerts with configured 'for' time greater than grace period." },
  { name: 'rules.alert.resend-delay', kind: 'string', placeholder: 'DURATION', default: '1m', help: 'Minimum amount of time to wait before resending an alert to Alertmanager.' },
  { name: 'alertmanager.notification-queue-capacity', kind: 'string', placeholder: 'N', default: '10000', help: 'The capacity of the queue for pending Alertmanager notifications.' },
  { name: 'alertmanager.timeout', kind: 'string', placeholder: 'DURATION', help: 'Timeout for sending alerts to Alertmanager (default: each Alertmanager config timeout, 10s).' },
];

/** Parsed alerting flags (ms / counts). */
export interface AlertFlags {
  readonly outageToleranceMs: number;
  readonly forGracePeriodMs: number;
  readonly resendDelayMs: number;
  readonly queueCapacity: number;
  /** null = each Alertmanager config's own timeout. */
  readonly timeoutMs: number | null;
}

/** Reads the alerting flags from `ServerFlags.asStrings` (absent → defaults). Throws Error naming the flag. */
export function alertFlagsFrom(asStrings: Readonly<Record<string, string>>): AlertFlags {
  const dur = (name: string, def: number): number => {
    const v = asStrings[name];
    if (v === undefined || v === '') return def;
    try {
      return parseDuration(v);
    } catch (e) {
      throw new Error(`--${name}: ${e instanceof Error ? e.message : String(e)}`);
    }
  };
  const cap = asStrings['alertmanager.notification-queue-capacity'];
  const queueCapacity = cap === undefined || cap === '' ? DEFAULT_QUEUE_CAPACITY : Number(cap);
  if (!Number.isInteger(queueCapacity) || queueCapacity <= 0) throw new Error(`--alertmanager.notification-queue-capacity: expected a positive integer, received ${JSON.stringify(cap)}`);
  const t = asStrings['alertmanager.timeout'];
  return {
    outageToleranceMs: dur('rules.alert.for-outage-tolerance', DEFAULT_OUTAGE_TOLERANCE_MS),
    forGracePeriodMs: dur('rules.alert.for-grace-period', DEFAULT_GRACE_PERIOD_MS),
    resendDelayMs: dur('rules.alert.resend-delay', DEFAULT_RESEND_DELAY_MS),
    queueCapacity,
    timeoutMs: t === undefined || t === '' ? null : dur('alertmanager.timeout', 10_000),
  };
}

/** Options of `alertServerPart`. */
export interface AlertServerPartOptions {
  /** Applies relabel rules (scrape/relabel.ts `relabel`); required when alert relabeling is configured. */
  readonly relabel?: RelabelFn | null;
  /** Receivers registered on start-up (e.g. the cluster manager's action receiver). */
  readonly receivers?: readonly AlertReceiver[];
  /**
   * Rule files shipped with the program, evaluated next to the configuration's
   * `rule_files` on every (re)load (e.g. the cluster's `<builtin>/vigil-cluster.rules.yml`).
   * A function of the server's flags so a flag can turn them off. Default none.
   */
  readonly builtinRules?: (flags: PartContext['flags']) => readonly BuiltinRules[];
}

/** The running alerting state of a server (for tests and other parts). */
export interface AlertPartHandle {
  manager(): RuleManager | null;
  notifier(): Notifier | null;
}

/** Builds the server part. `handle` (optional) receives access to the manager and notifier once running. */
export function alertServerPart(opts: AlertServerPartOptions = {}, handle?: { set(h: AlertPartHandle): void }): ServerPart {
  return {
    name: 'rules',
    async register(app: FastifyInstance, ctx: PartContext): Promise<void> {
      const flags = alertFlagsFrom(ctx.flags.asStrings);
      let manager: RuleManager | null = null;
      const notifier = new Notifier({
        queueCapacity: flags.queueCapacity,
        relabel: opts.relabel ?? null,
        ...(flags.timeoutMs !== null ? { timeoutMs: flags.timeoutMs } : {}),
        logger: ctx.logger.child({ component: 'notifier' }),
      });
      handle?.set({ manager: () => manager, notifier: () => notifier });
      ctx.addMetricsText(() => (manager === null ? '' : alertMetricsText(manager, notifier)));
      await app.register(async (scoped) => alertApiPlugin(scoped, { manager: () => manager, notifier: () => notifier }));
      ctx.onConfigReload('rules', async (cfg) => {
        if (manager === null) {
          const storage = ctx.storage();
          // The server's one engine: --query.max-concurrency bounds rules and API queries together.
          const engine = queryEngineFor(ctx);
          manager = new RuleManager({
            query: engineQueryFn(engine, storage),
            appendable: storage,
            queryable: storage,
            send: (alerts) => notifier.send(alerts),
            resendDelayMs: flags.resendDelayMs,
            outageToleranceMs: flags.outageToleranceMs,
            forGracePeriodMs: flags.forGracePeriodMs,
            logger: ctx.logger,
            externalUrl: ctx.externalUrl,
          });
          for (const r of opts.receivers ?? []) manager.addReceiver(r);
        }
        // Rules load even when the Alertmanager part of the configuration cannot be applied (reported after).
        let notifierError: unknown = null;
        await notifier.applyConfig(cfg.alerting, cfg.global.externalLabels).catch((e: unknown) => {
          notifierError = e;
        });
        await manager.update({
          evaluationIntervalMs: cfg.global.evaluationInterval,
          queryOffsetMs: cfg.global.ruleQueryOffset,
          externalLabels: cfg.global.externalLabels,
          files: cfg.ruleFiles,
          builtin: opts.builtinRules?.(ctx.flags) ?? [],
        });
        if (notifierError !== null) throw notifierError;
      });
      app.addHook('onClose', async () => {
        await manager?.stop();
        await notifier.stop();
      });
    },
  };
}
