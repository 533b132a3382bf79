/**
 * Runs the cluster actions named by firing alerts (see action_spec.ts).
 *
 * Contract:
 * - `submit` never blocks and never throws: work is queued and run one at a time
 *   in submission order (so rule evaluation is never held up). The queue is bounded
 *   (`maxQueue`); beyond it requests are dropped and counted as result="dropped".
 * - Idempotent per alert: the key is the alert's fingerprint (hash of its labels)
 *   plus its firing episode (the time it became active). A repeated submit of the
 *   same episode runs again only when the rule has an `action_cooldown` and that
 *   much time passed since the last run; without a cooldown it runs once per episode.
 *   `resolve(fingerprint)` ends the episode. `tick()` re-submits still-firing
 *   rule alerts whose cooldown has passed (the part calls it every second);
 *   webhook alerts are re-run only when Alertmanager re-sends them.
 * - Bounds: `scale` is clamped to the Deployment's `vigil.dev/min-replicas` /
 *   `vigil.dev/max-replicas` annotations (defaults 0 and 100).
 * - Dry run (globally via the option, per rule group via the group label
 *   `action_dry_run="true"`, which the rule engine adds to every alert of the group,
 *   or per rule via the annotation of that name): everything is computed and
 *   recorded (Event with a "[dry-run]" prefix, audit line, metric result="dry_run")
 *   but nothing is changed.
 * - Every run records: an Event on the target (reason AlertAction; Warning on
 *   failure when the target exists), an audit line on the logger
 *   (`cluster action`), and `vigil_cluster_actions_total{verb,result}`, result one
 *   of ok, noop, dry_run, error, invalid, dropped.
 *
 * Verb semantics: restart = delete the pod (its ReplicaSet recreates it);
 * cordon = `spec.unschedulable: true`; failover = cordon, then delete every pod
 * bound to the node so controllers recreate them on other nodes (fencing of the
 * old node's processes is the node agent's lease, not done here); rollback =
 * annotation `vigil.dev/rollback-to: "0"` (the previous revision).
 */
import { Counter, type Registry as PromRegistry } from 'prom-client';
import { ApiError } from '../api/api_error.js';
import type { ApiObject, Deployment, Node, Pod } from '../api/objects.js';
import type { Registry } from '../api/registry.js';
import type { ControllerLogger } from '../controllers/controller.js';
import { ROLLBACK_ANNOTATION } from '../controllers/deployment_controller.js';
import { EventRecorder } from '../controllers/event_recorder.js';
import { DEPLOYMENTS, NODES, PODS } from '../controllers/resources.js';
import { ACTION_ANNOTATION, type ActionSpec, COOLDOWN_ANNOTATION, DRY_RUN_KEY, formatActionSpec, parseActionSpec, parseCooldown, type ScaleChange } from './action_spec.js';

export const MIN_REPLICAS_ANNOTATION = 'vigil.dev/min-replicas';
export const MAX_REPLICAS_ANNOTATION = 'vigil.dev/max-replicas';
export const DEFAULT_MIN_REPLICAS = 0;
export const DEFAULT_MAX_REPLICAS = 100;
export const EVENT_REASON = 'AlertAction';

/** One firing alert that may carry an action. */
export interface ActionRequest {
  readonly alertName: string;
  /** Identity of the alert (hash of its labels); the idempotency key with `activeAtMs`. */
  readonly fingerprint: string;
  /** When the alert became active (start of its firing episode), ms. */
  readonly activeAtMs: number;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  readonly source: 'rules' | 'webhook';
}

export type ActionResult = 'ok' | 'noop' | 'dry_run' | 'error' | 'invalid' | 'dropped';

/** What one run did (also the audit line's fields). */
export interface ActionOutcome {
  readonly alert: string;
  readonly fingerprint: string;
  readonly action: string;
  readonly verb: string;
  readonly result: ActionResult;
  readonly detail: string;
}

export interface ActionExecutorOptions {
  /** The cluster registry; looked up on every run (null = cluster not open yet → result error). */
  registry: () => Registry | null;
  /** Global dry-run switch. Default false. */
  dryRun?: boolean;
  now?: () => number;
  logger?: ControllerLogger;
  /** Where `vigil_cluster_actions_total` goes; omitted = not exported. */
  metrics?: PromRegistry;
  /** Queue bound. Default 1000. */
  maxQueue?: number;
  /** Called with every outcome (tests, explain views). */
  onOutcome?: (o: ActionOutcome) => void;
  /**
   * Performs `failover node/NAME` (cluster/failover/node_failover.ts: per-pod failoverAfter,
   * failed taint, metrics). Absent = cordon the node and delete all its pods.
   */
  failover?: (node: string, dry: boolean) => Promise<{ change: string; noop: boolean }>;
}

interface Episode {
  activeAtMs: number;
  lastRunMs: number;
  cooldownMs: number;
  req: ActionRequest;
}

const MAX_TRACKED = 10_000;

export class ActionExecutor {
  private readonly opts: ActionExecutorOptions;
  private readonly now: () => number;
  private readonly counter: Counter<'verb' | 'result'> | null;
  private readonly episodes = new Map<string, Episode>();
  private tail: Promise<void> = Promise.resolve();
  private queued = 0;

  constructor(opts: ActionExecutorOptions) {
    this.opts = opts;
    this.now = opts.now ?? Date.now;
    const reg = opts.metrics;
    if (reg === undefined) this.counter = null;
    else {
      const existing = reg.getSingleMetric('vigil_cluster_actions_total');
      this.counter =
        existing instanceof Counter
          ? (existing as Counter<'verb' | 'result'>)
          : new Counter({ name: 'vigil_cluster_actions_total', help: 'Cluster actions run for alerts, by verb and result.', labelNames: ['verb', 'result'], registers: [reg] });
    }
  }

  /** Queues the request's action if it has one and it is due; returns at once. */
  submit(req: ActionRequest): void {
    if (req.annotations[ACTION_ANNOTATION] === undefined) return;
    const now = this.now();
    const ep = this.episodes.get(req.fingerprint);
    if (ep !== undefined && ep.activeAtMs === req.activeAtMs) {
      if (ep.cooldownMs <= 0 || now - ep.lastRunMs < ep.cooldownMs) return;
      ep.lastRunMs = now;
      ep.req = req;
    } else {
      let cooldownMs = 0;
      try {
        cooldownMs = parseCooldown(req.annotations[COOLDOWN_ANNOTATION]);
      } catch {
        // Reported by the run itself (result invalid); run once.
      }
      this.episodes.delete(req.fingerprint);
      this.episodes.set(req.fingerprint, { activeAtMs: req.activeAtMs, lastRunMs: now, cooldownMs, req });
      if (this.episodes.size > MAX_TRACKED) {
        const oldest = this.episodes.keys().next().value;
        if (oldest !== undefined) this.episodes.delete(oldest);
      }
    }
    if (this.queued >= (this.opts.maxQueue ?? 1000)) {
      this.finish({ alert: req.alertName, fingerprint: req.fingerprint, action: req.annotations[ACTION_ANNOTATION] ?? '', verb: 'unknown', result: 'dropped', detail: 'action queue full' });
      return;
    }
    this.queued++;
    this.tail = this.tail.then(async () => {
      try {
        this.finish(await this.run(req));
      } catch (e) {
        this.finish({ alert: req.alertName, fingerprint: req.fingerprint, action: req.annotations[ACTION_ANNOTATION] ?? '', verb: 'unknown', result: 'error', detail: e instanceof Error ? e.message : String(e) });
      } finally {
        this.queued--;
      }
    });
  }

  /** Ends the alert's firing episode (it resolved): the next firing runs the action again. */
  resolve(fingerprint: string): void {
    this.episodes.delete(fingerprint);
  }

  /** Re-submits still-firing rule alerts whose cooldown has passed. */
  tick(): void {
    const now = this.now();
    for (const ep of [...this.episodes.values()]) {
      if (ep.req.source === 'rules' && ep.cooldownMs > 0 && now - ep.lastRunMs >= ep.cooldownMs) this.submit(ep.req);
    }
  }

  /** Resolves once every queued action has run. */
  idle(): Promise<void> {
    return this.tail;
  }

  private finish(o: ActionOutcome): void {
    this.counter?.inc({ verb: o.verb, result: o.result });
    const fields = { alert: o.alert, fingerprint: o.fingerprint, action: o.action, result: o.result, detail: o.detail };
    if (o.result === 'error' || o.result === 'invalid' || o.result === 'dropped') this.opts.logger?.warn('cluster action', fields);
    else this.opts.logger?.info('cluster action', fields);
    this.opts.onOutcome?.(o);
  }

  private async run(req: ActionRequest): Promise<ActionOutcome> {
    const text = req.annotations[ACTION_ANNOTATION] ?? '';
    const base = { alert: req.alertName, fingerprint: req.fingerprint, action: text };
    let spec: ActionSpec;
    try {
      spec = parseActionSpec(text);
    } catch (e) {
      return { ...base, verb: 'unknown', result: 'invalid', detail: e instanceof Error ? e.message : String(e) };
    }
    const verb = spec.verb;
    const registry = this.opts.registry();
    if (registry === null) return { ...base, verb, result: 'error', detail: 'the cluster store is not open' };
    const dry = this.opts.dryRun === true || req.labels[DRY_RUN_KEY] === 'true' || req.annotations[DRY_RUN_KEY] === 'true';
    const events = new EventRecorder(registry, 'vigil-actions', { now: this.now, ...(this.opts.logger ? { logger: this.opts.logger } : {}) });
    const t = spec.target;
    const info = t.kind === 'deployment' ? DEPLOYMENTS : t.kind === 'pod' ? PODS : NODES;
    let target: ApiObject;
    try {
      target = await registry.get(info, t.namespace, t.name);
    } catch (e) {
      const why = e instanceof ApiError && e.reason === 'NotFound' ? `${formatActionSpec(spec).split(' ')[1]} not found` : e instanceof Error ? e.message : String(e);
      return { ...base, verb, result: 'error', detail: why };
    }
    let change: string;
    let noop = false;
    try {
      const r = await this.apply(registry, spec, target, dry);
      change = r.change;
      noop = r.noop;
    } catch (e) {
      const detail = e instanceof Error ? e.message : String(e);
      await events.record(target, 'Warning', EVENT_REASON, `alert ${req.alertName}: ${formatActionSpec(spec)} failed: ${detail}`);
      return { ...base, verb, result: 'error', detail };
    }
    const result: ActionResult = noop ? 'noop' : dry ? 'dry_run' : 'ok';
    await events.record(target, 'Normal', EVENT_REASON, `${dry ? '[dry-run] ' : ''}alert ${req.alertName}: ${formatActionSpec(spec)}: ${change}`);
    return { ...base, verb, result, detail: change };
  }

  /** Performs (or, dry, only computes) the change. */
  private async apply(registry: Registry, spec: ActionSpec, target: ApiObject, dry: boolean): Promise<{ change: string; noop: boolean }> {
    const t = spec.target;
    switch (spec.verb) {
      case 'scale': {
        const d = target as Deployment;
        const cur = d.spec.replicas ?? 1;
        const { min, max } = replicaBounds(d);
        const want = desiredReplicas(cur, spec.change);
        const next = Math.min(max, Math.max(min, want));
        const clamped = next !== want ? ` (wanted ${want}, clamped to [${min}, ${max}])` : '';
        if (next === cur) return { change: `replicas stay ${cur}${clamped}`, noop: true };
        if (!dry) await registry.patch(DEPLOYMENTS, t.namespace, t.name, { spec: { replicas: next } }, 'merge');
        return { change: `replicas ${cur} → ${next}${clamped}`, noop: false };
      }
      case 'restart':
        if (!dry) await registry.delete(PODS, t.namespace, t.name);
        return { change: 'pod deleted for its controller to recreate', noop: false };
      case 'cordon': {
        if ((target as Node).spec?.unschedulable === true) return { change: 'node already cordoned', noop: true };
        if (!dry) await registry.patch(NODES, '', t.name, { spec: { unschedulable: true } }, 'merge');
        return { change: 'node cordoned', noop: false };
      }
      case 'failover': {
        if (this.opts.failover !== undefined) return this.opts.failover(t.name, dry);
        if (!dry && (target as Node).spec?.unschedulable !== true) await registry.patch(NODES, '', t.name, { spec: { unschedulable: true } }, 'merge');
        const pods = ((await registry.list(PODS, '')).items as Pod[]).filter((p) => p.spec.nodeName === t.name && p.metadata.deletionTimestamp === undefined);
        if (!dry) {
          for (const p of pods) {
            try {
              await registry.delete(PODS, p.metadata.namespace ?? 'default', p.metadata.name);
            } catch (e) {
              if (!(e instanceof ApiError && e.reason === 'NotFound')) throw e;
            }
          }
        }
        return { change: `node cordoned, ${pods.length} pod(s) deleted for rescheduling`, noop: false };
      }
      case 'rollback':
        if (!dry) await registry.patch(DEPLOYMENTS, t.namespace, t.name, { metadata: { annotations: { [ROLLBACK_ANNOTATION]: '0' } } }, 'merge');
        return { change: 'rollback to the previous revision requested', noop: false };
    }
  }
}

/** The replica count `change` asks for from `cur` (before clamping); `*F` rounds up. */
export function desiredReplicas(cur: number, change: ScaleChange): number {
  switch (change.op) {
    case '+':
      return cur + change.n;
    case '-':
      return Math.max(0, cur - change.n);
    case '=':
      return change.n;
    case '*':
      return Math.ceil(cur * change.factor);
  }
}

/** The Deployment's replica bounds from its annotations (invalid values fall back to the defaults). */
export function replicaBounds(d: Deployment): { min: number; max: number } {
  const read = (k: string, def: number): number => {
    const v = d.metadata.annotations?.[k];
    const n = v === undefined ? Number.NaN : Number(v);
    return Number.isInteger(n) && n >= 0 ? n : def;
  };
  const min = read(MIN_REPLICAS_ANNOTATION, DEFAULT_MIN_REPLICAS);
  return { min, max: Math.max(min, read(MAX_REPLICAS_ANNOTATION, DEFAULT_MAX_REPLICAS)) };
}
