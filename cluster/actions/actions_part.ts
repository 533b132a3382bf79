/**
 * Wires cluster actions into `vigil server`:
 *
 * - `part.receiver` is an alert receiver (alert/receivers.ts) for
 *   `alertServerPart({ receivers: [part.receiver] })`: a change to `firing` submits
 *   the alert's action, a change away from `firing` ends its episode. Before the
 *   part is registered the receiver ignores changes.
 * - `POST /api/v1/cluster/alerts` accepts Alertmanager's webhook JSON
 *   (`{alerts: [{status, labels, annotations, fingerprint, startsAt}]}`, at most
 *   MAX_WEBHOOK_ALERTS alerts) and runs the same actions; it answers once the
 *   alerts are queued, not run; `webhookListeners` see every parsed payload too.
 *   It is a cluster API write: it needs a bearer token
 *   authorized for `create` on `alerts.vigil.dev` (the ClusterRole
 *   `vigil:alert-sender`, or cluster-admin): 401 without one, 403 when not allowed,
 *   and it is audited. The authorizer is the cluster part's (`app.vigilClusterAuth`);
 *   when the cluster part runs with authentication off, so does the webhook.
 * - The registry is the cluster part's, looked up on every run; the metric goes on
 *   the server's registry; `--cluster.actions.dry-run` switches every action to dry run.
 *
 * Register after `clusterPart()` in SERVER_PARTS.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AlertReceiver } from '../../alert/receivers.js';
import type { PartContext, ServerPart } from '../../cmd/server.js';
import type { Registry } from '../api/registry.js';
import type { ClusterAuth } from '../auth/cluster_auth.js';
import { ActionExecutor, type ActionOutcome } from './action_executor.js';

type Executor = ActionExecutor;

export const WEBHOOK_PATH = '/api/v1/cluster/alerts';
export const MAX_WEBHOOK_ALERTS = 1000;

export interface ActionsPartOptions {
  /** The cluster registry, e.g. `() => cluster.api()?.registry ?? null`. */
  registry: () => Registry | null;
  /** Overrides `--cluster.actions.dry-run`. */
  dryRun?: boolean;
  now?: () => number;
  /** Re-check interval for cooldowns (ms). Default 1000; 0 = never (tests call `executor().tick()`). */
  tickMs?: number;
  onOutcome?: (o: ActionOutcome) => void;
  /** Also handed every parsed webhook payload (e.g. auto-rollback); called after the actions are queued, must not throw. */
  webhookListeners?: readonly WebhookListener[];
  /** Performs `failover node/NAME` (see ActionExecutorOptions.failover). */
  failover?: (node: string, dry: boolean) => Promise<{ change: string; noop: boolean }>;
}

/** Receives the alerts of one parsed webhook payload. */
export type WebhookListener = (alerts: readonly WebhookAlert[]) => void;

export interface ActionsPart extends ServerPart {
  readonly receiver: AlertReceiver;
  executor(): Executor | null;
}

/** A webhook body that does not have Alertmanager's shape. */
export class WebhookError extends Error {
  readonly code = 'bad_webhook';
}

/** One alert of an Alertmanager webhook payload. */
export interface WebhookAlert {
  status: 'firing' | 'resolved';
  labels: Record<string, string>;
  annotations: Record<string, string>;
  fingerprint: string;
  startsAtMs: number;
}

function strMap(v: unknown, where: string): Record<string, string> {
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v)) throw new WebhookError(`${where}: expected an object of strings`);
  const out: Record<string, string> = {};
  for (const [k, x] of Object.entries(v)) {
    if (typeof x !== 'string') throw new WebhookError(`${where}.${k}: expected a string`);
    out[k] = x;
  }
  return out;
}

/** Stable fingerprint from labels when the sender gives none (FNV-1a over sorted pairs). */
export function labelsFingerprint(labels: Readonly<Record<string, string>>): string {
  let h = 0xcbf29ce484222325n;
  const m = 0xffffffffffffffffn;
  for (const k of Object.keys(labels).sort()) {
    for (const ch of `${k}\u00ff${labels[k]}\u00ff`) {
      h ^= BigInt(ch.codePointAt(0) ?? 0);
      h = (h * 0x100000001b3n) & m;
    }
  }
  return h.toString(16).padStart(16, '0');
}

/** Parses Alertmanager's webhook payload. Throws WebhookError naming the field. */
export function parseWebhook(body: unknown): WebhookAlert[] {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new WebhookError('body: expected a JSON object');
  const alerts = (body as { alerts?: unknown }).alerts;
  if (!Array.isArray(alerts)) throw new WebhookError('alerts: expected an array');
  if (alerts.length > MAX_WEBHOOK_ALERTS) throw new WebhookError(`alerts: ${alerts.length} alerts, at most ${MAX_WEBHOOK_ALERTS} per request`);
  return alerts.map((a: unknown, i): WebhookAlert => {
    const w = `alerts[${i}]`;
    if (typeof a !== 'object' || a === null || Array.isArray(a)) throw new WebhookError(`${w}: expected an object`);
    const o = a as Record<string, unknown>;
    if (o.status !== 'firing' && o.status !== 'resolved') throw new WebhookError(`${w}.status: expected "firing" or "resolved"`);
    const labels = strMap(o.labels, `${w}.labels`);
    const annotations = strMap(o.annotations, `${w}.annotations`);
    const fp = typeof o.fingerprint === 'string' && o.fingerprint !== '' ? o.fingerprint : labelsFingerprint(labels);
    const startsAtMs = typeof o.startsAt === 'string' ? Date.parse(o.startsAt) : Number.NaN;
    if (Number.isNaN(startsAtMs)) throw new WebhookError(`${w}.startsAt: expected an RFC 3339 time`);
    return { status: o.status, labels, annotations, fingerprint: fp, startsAtMs };
  });
}

/** Runs a parsed webhook payload through the executor; returns how many firing alerts were submitted. */
export function submitWebhook(ex: Executor, alerts: readonly WebhookAlert[]): number {
  let n = 0;
  for (const a of alerts) {
    if (a.status === 'resolved') {
      ex.resolve(a.fingerprint);
      continue;
    }
    ex.submit({ alertName: a.labels.alertname ?? '', fingerprint: a.fingerprint, activeAtMs: a.startsAtMs, labels: a.labels, annotations: a.annotations, source: 'webhook' });
    n++;
  }
  return n;
}

type WebhookAuth = Pick<ClusterAuth, 'authenticate' | 'authorize' | 'audit'>;
type ApiUserLike = { name: string; groups: string[] };

/** 401/403 as the cluster API answers them (a Kubernetes Status). */
function refuse(code: 401 | 403, message: string): Record<string, unknown> {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason: code === 401 ? 'Unauthorized' : 'Forbidden', code };
}

/**
 * The webhook route on `app` (exported for tests that mount it alone). With `auth`, the caller
 * must be allowed `create` on `alerts` (group vigil.dev) and every call is audited; without, anybody may post.
 * `listeners` see every accepted payload after its actions are queued.
 */
export async function actionsWebhookPlugin(
  app: FastifyInstance,
  executor: () => Executor | null,
  auth: WebhookAuth | null = null,
  listeners: readonly WebhookListener[] = [],
): Promise<void> {
  const callers = new WeakMap<object, ApiUserLike | null>();
  const onResponse = async (req: FastifyRequest, reply: FastifyReply): Promise<void> => {
    if (auth === null) return;
    const user = callers.get(req) ?? null;
    auth.audit({ timeMs: Date.now(), user: user?.name ?? '', groups: user?.groups ?? [], verb: 'create', resource: 'alerts', namespace: '', name: '', code: reply.statusCode, sourceIP: req.ip, method: req.method, uri: WEBHOOK_PATH });
  };
  app.post(WEBHOOK_PATH, { bodyLimit: 4 * 1024 * 1024, onResponse }, async (req, reply) => {
    if (auth !== null) {
      const user = await auth.authenticate(req);
      callers.set(req, user);
      if (user === null || user.groups.includes('system:unauthenticated')) return reply.code(401).send(refuse(401, 'Unauthorized'));
      if ((await auth.authorize(user, 'create', 'alerts', '', '')) !== 'allow')
        return reply.code(403).send(refuse(403, `alerts.vigil.dev is forbidden: User "${user.name}" cannot create resource "alerts" in API group "vigil.dev"`));
    }
    const ex = executor();
    if (ex === null) return reply.code(503).send({ status: 'error', errorType: 'unavailable', error: 'cluster actions are not running' });
    let alerts: WebhookAlert[];
    try {
      alerts = parseWebhook(req.body);
    } catch (e) {
      if (e instanceof WebhookError) return reply.code(400).send({ status: 'error', errorType: 'bad_data', error: e.message });
      throw e;
    }
    const submitted = submitWebhook(ex, alerts);
    for (const l of listeners) l(alerts);
    return reply.send({ status: 'success', data: { received: alerts.length, submitted } });
  });
}

/** Builds the part; see the file comment. */
export function actionsPart(opts: ActionsPartOptions): ActionsPart {
  let executor: Executor | null = null;
  const receiver: AlertReceiver = (c) => {
    const ex = executor;
    if (ex === null) return;
    const labels: Record<string, string> = {};
    c.alert.labels.forEach((n, v) => {
      labels[n] = v;
    });
    const fingerprint = c.alert.labels.hash().toString(16);
    if (c.to !== 'firing') {
      if (c.from === 'firing') ex.resolve(fingerprint);
      return;
    }
    const annotations: Record<string, string> = {};
    c.alert.annotations.forEach((n, v) => {
      annotations[n] = v;
    });
    ex.submit({ alertName: c.rule, fingerprint, activeAtMs: c.alert.activeAtMs, labels, annotations, source: 'rules' });
  };
  return {
    name: 'cluster-actions',
    receiver,
    executor: () => executor,
    async register(app: FastifyInstance, ctx: PartContext): Promise<void> {
      const flagDry = (ctx.flags as { clusterActionsDryRun?: boolean }).clusterActionsDryRun === true;
      const ex = new ActionExecutor({
        registry: opts.registry,
        dryRun: opts.dryRun ?? flagDry,
        logger: ctx.logger,
        metrics: ctx.metrics,
        ...(opts.now ? { now: opts.now } : {}),
        ...(opts.onOutcome ? { onOutcome: opts.onOutcome } : {}),
        ...(opts.failover ? { failover: opts.failover } : {}),
      });
      executor = ex;
      const tickMs = opts.tickMs ?? 1000;
      const timer = tickMs > 0 ? setInterval(() => ex.tick(), tickMs) : null;
      timer?.unref();
      app.addHook('onClose', async () => {
        if (timer !== null) clearInterval(timer);
        await ex.idle();
        executor = null;
      });
      const auth = app.vigilClusterAuth ?? null;
      if (auth === null) ctx.logger.warn('the cluster alert webhook runs without authentication (the cluster part has authentication off)', { path: WEBHOOK_PATH });
      await app.register(async (scoped) => actionsWebhookPlugin(scoped, () => executor, auth, opts.webhookListeners));
    },
  };
}
