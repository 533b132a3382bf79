/**
 * Wires auto-rollback (auto_rollback.ts) into `vigil server`:
 *
 * - `part.receiver` is an alert receiver (alert/receivers.ts) for
 *   `alertServerPart({ receivers: [...] })`: a change to `firing` is observed
 *   (the alert's name is its rule's name); other changes are ignored.
 * - `part.webhookListener` goes to `actionsPart({ webhookListeners: [...] })`, so
 *   alerts posted to `POST /api/v1/cluster/alerts` by an external Alertmanager are
 *   observed too (alert name from the `alertname` label).
 * - Before the part is registered (and after the server closed) both ignore alerts.
 * - `--cluster.actions.dry-run` (or the `dryRun` option) makes every rollback a dry run.
 *
 * Register after `clusterPart()` in SERVER_PARTS.
 */
import type { FastifyInstance } from 'fastify';
import type { AlertReceiver } from '../../alert/receivers.js';
import type { PartContext, ServerPart } from '../../cmd/server.js';
import type { Registry } from '../api/registry.js';
import type { WebhookListener } from './actions_part.js';
import { AutoRollback, type AutoRollbackOutcome } from './auto_rollback.js';

export interface AutoRollbackPartOptions {
  /** The cluster registry, e.g. `() => cluster.api()?.registry ?? null`. */
  registry: () => Registry | null;
  /** Overrides `--cluster.actions.dry-run`. */
  dryRun?: boolean;
  now?: () => number;
  onOutcome?: (o: AutoRollbackOutcome) => void;
}

export interface AutoRollbackPart extends ServerPart {
  readonly receiver: AlertReceiver;
  readonly webhookListener: WebhookListener;
  engine(): AutoRollback | null;
}

/** Builds the part; see the file comment. */
export function autoRollbackPart(opts: AutoRollbackPartOptions): AutoRollbackPart {
  let engine: AutoRollback | null = null;
  const receiver: AlertReceiver = (c) => {
    if (engine === null || c.to !== 'firing') return;
    const labels: Record<string, string> = {};
    c.alert.labels.forEach((n, v) => {
      labels[n] = v;
    });
    engine.observe({ alertName: c.rule, status: 'firing', labels, source: 'rules' });
  };
  const webhookListener: WebhookListener = (alerts) => {
    const e = engine;
    if (e === null) return;
    for (const a of alerts) e.observe({ alertName: a.labels.alertname ?? '', status: a.status, labels: a.labels, source: 'webhook' });
  };
  return {
    name: 'auto-rollback',
    receiver,
    webhookListener,
    engine: () => engine,
    async register(app: FastifyInstance, ctx: PartContext): Promise<void> {
      const flagDry = (ctx.flags as { clusterActionsDryRun?: boolean }).clusterActionsDryRun === true;
      const e = new AutoRollback({
        registry: opts.registry,
        dryRun: opts.dryRun ?? flagDry,
        logger: ctx.logger,
        metrics: ctx.metrics,
        ...(opts.now ? { now: opts.now } : {}),
        ...(opts.onOutcome ? { onOutcome: opts.onOutcome } : {}),
      });
      engine = e;
      app.addHook('onClose', async () => {
        engine = null;
        await e.idle();
      });
    },
  };
}
