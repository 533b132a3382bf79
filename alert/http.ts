/**
 * The alerting HTTP API as a fastify plugin, shaped like Prometheus's
 * (`web/api/v1/api.go`): `GET /api/v1/rules` (filters `type=alert|record`,
 * `rule_name[]`, `rule_group[]`, `file[]`, `exclude_alerts`), `GET /api/v1/alerts`,
 * `GET /api/v1/alertmanagers`.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ApiError, sendSuccess } from '../cmd/http/api_envelope.js';
import { formatExpr } from '../query/printer.js';
import { parseExpr } from '../query/parser.js';
import { type Alert, AlertingRule } from './alerting_rule.js';
import type { RuleManager } from './manager.js';
import type { Notifier } from './notifier.js';
import { rfc3339 } from './notifier_alert.js';
import { formatFloat } from './template/go_fmt.js';

/** What the routes read; either may be absent (before start-up or when not configured). */
export interface AlertApiOptions {
  readonly manager: () => RuleManager | null;
  readonly notifier: () => Notifier | null;
}

/** Go's zero time as Prometheus's JSON shows it. */
const ZERO_TIME = '0001-01-01T00:00:00Z';

function time(ms: number): string {
  return ms === 0 ? ZERO_TIME : rfc3339(ms);
}

function printed(expr: string): string {
  try {
    return formatExpr(parseExpr(expr));
  } catch {
    return expr;
  }
}

function alertJson(a: Alert): Record<string, unknown> {
  const o: Record<string, unknown> = {
    labels: a.labels.toRecord(),
    annotations: a.annotations.toRecord(),
    state: a.state,
    activeAt: time(a.activeAtMs),
  };
  if (a.keepFiringSinceMs !== 0) o.keepFiringSince = time(a.keepFiringSinceMs);
  o.value = formatFloat(a.value, 'e', -1);
  return o;
}

/** Values of a repeated query parameter (`name[]` or `name`). */
function multi(req: FastifyRequest, name: string): string[] {
  const q = req.query as Record<string, string | string[] | undefined>;
  const out: string[] = [];
  for (const k of [`${name}[]`, name]) {
    const v = q[k];
    if (v === undefined) continue;
    if (Array.isArray(v)) out.push(...v);
    else out.push(v);
  }
  return out;
}

export async function alertApiPlugin(app: FastifyInstance, opts: AlertApiOptions): Promise<void> {
  app.get('/api/v1/rules', async (req, reply) => {
    const q = req.query as Record<string, string | undefined>;
    const type = (q.type ?? '').toLowerCase();
    if (type !== '' && type !== 'alert' && type !== 'record') throw new ApiError('bad_data', `unsupported type ${JSON.stringify(q.type)}`);
    const excludeAlerts = q.exclude_alerts === 'true';
    const names = new Set(multi(req, 'rule_name'));
    const groupsF = new Set(multi(req, 'rule_group'));
    const files = new Set(multi(req, 'file'));
    const filtered = names.size > 0 || groupsF.size > 0 || files.size > 0 || type !== '';
    const m = opts.manager();
    const groups: Record<string, unknown>[] = [];
    for (const g of m?.groups() ?? []) {
      if (groupsF.size > 0 && !groupsF.has(g.name)) continue;
      if (files.size > 0 && !files.has(g.file)) continue;
      const rules: Record<string, unknown>[] = [];
      for (const r of g.rules) {
        if (names.size > 0 && !names.has(r.name)) continue;
        const common = {
          health: r.health,
          evaluationTime: r.evaluationSeconds,
          lastEvaluation: time(r.lastEvaluationMs),
        };
        if (r instanceof AlertingRule) {
          if (type === 'record') continue;
          const o: Record<string, unknown> = {
            state: r.state(),
            name: r.name,
            query: printed(r.expr),
            duration: r.holdDurationMs / 1000,
            keepFiringFor: r.keepFiringForMs / 1000,
            labels: r.labels.toRecord(),
            annotations: r.annotations.toRecord(),
          };
          if (!excludeAlerts) o.alerts = r.activeAlerts().map(alertJson);
          if (r.lastError !== '') o.lastError = r.lastError;
          rules.push({ ...o, ...common, type: 'alerting' });
        } else {
          if (type === 'alert') continue;
          const o: Record<string, unknown> = { name: r.name, query: printed(r.expr), labels: r.labels.toRecord() };
          if (r.lastError !== '') o.lastError = r.lastError;
          rules.push({ ...o, ...common, type: 'recording' });
        }
      }
      if (filtered && rules.length === 0) continue;
      groups.push({
        name: g.name,
        file: g.file,
        rules,
        interval: g.intervalMs / 1000,
        limit: g.limit,
        evaluationTime: g.evaluationSeconds,
        lastEvaluation: time(g.lastEvaluationMs),
      });
    }
    return sendSuccess(reply, { groups });
  });

  app.get('/api/v1/alerts', async (_req, reply) => {
    const alerts: Record<string, unknown>[] = [];
    for (const r of opts.manager()?.alertingRules() ?? []) for (const a of r.activeAlerts()) alerts.push(alertJson(a));
    return sendSuccess(reply, { alerts });
  });

  app.get('/api/v1/alertmanagers', async (_req, reply) => {
    const ams = opts.notifier()?.alertmanagers() ?? { active: [], dropped: [] };
    return sendSuccess(reply, {
      activeAlertmanagers: ams.active.map((url) => ({ url })),
      droppedAlertmanagers: ams.dropped.map((url) => ({ url })),
    });
  });
}
