/**
 * Auto-rollback: undoes a Deployment's rollout when an alert named in its
 * `spec.rollbackOn` starts firing for the new revision while the rollout is in
 * progress or settling (the rules are in rollback_match.ts).
 *
 * Contract:
 * - `observe` never blocks and never throws: firing alerts are queued and handled
 *   one at a time in arrival order; the queue is bounded (`maxQueue`, default 1000;
 *   beyond it signals are dropped, counted and logged). Resolved alerts change nothing.
 * - An alert without a `namespace` label, or whose name no Deployment of that
 *   namespace lists in `rollbackOn`, is dropped silently (most alerts).
 * - Otherwise every listing Deployment gets a decision; an ignored one is logged
 *   at info with its reason (`auto rollback skipped`), nothing changes.
 * - A rollback writes, with the Deployment's resourceVersion as precondition (a
 *   conflict re-reads and decides again, at most 3 times), the annotations
 *   `vigil.dev/rollback-to: <previous revision>` (the deployment controller then
 *   restores that revision's template) and `vigil.dev/auto-rollback-to: <its hash>`
 *   (so the restored revision is never undone automatically). Then it records: an
 *   Event `AutoRollback` (Warning) naming the alert and both revisions, the status
 *   condition `RolledBack` (True, reason AutoRollback, the same message), an audit
 *   line `deployment auto rollback` (warn), `vigil_deployment_auto_rollbacks_total
 *   {namespace,deployment,alertname}` and `vigil_cluster_actions_total{verb="rollback",result="ok"}`.
 * - Dry run (global option, or the alert's `action_dry_run="true"` label as set for
 *   a rule group): the Event is prefixed "[dry-run] ", the result is dry_run, nothing
 *   else is written and the dedicated counter is not incremented.
 */
import { Counter, type Registry as PromRegistry } from 'prom-client';
import { ApiError } from '../api/api_error.js';
import { type Deployment, type DeploymentStatus, POD_TEMPLATE_HASH_LABEL, type Pod, type ReplicaSet } from '../api/objects.js';
import type { Registry } from '../api/registry.js';
import type { ControllerLogger } from '../controllers/controller.js';
import { ROLLBACK_ANNOTATION, revisionOf } from '../controllers/deployment_controller.js';
import { EventRecorder } from '../controllers/event_recorder.js';
import { timestamp } from '../controllers/pod_state.js';
import { DEPLOYMENTS, PODS, REPLICASETS } from '../controllers/resources.js';
import { DRY_RUN_KEY } from './action_spec.js';
import { AUTO_ROLLBACK_TO_ANNOTATION, decideRollback, POD_LABEL, REVISION_LABEL, rollbackOnOf } from './rollback_match.js';

export const AUTO_ROLLBACK_REASON = 'AutoRollback';
export const ROLLED_BACK_CONDITION = 'RolledBack';

/** A firing or resolved alert, from the rule engine or from Alertmanager's webhook. */
export interface AlertSignal {
  readonly alertName: string;
  readonly status: 'firing' | 'resolved';
  readonly labels: Readonly<Record<string, string>>;
  readonly source: 'rules' | 'webhook';
}

export type AutoRollbackResult = 'rolled_back' | 'dry_run' | 'ignored' | 'error' | 'dropped';

/** What handling one alert for one Deployment did. */
export interface AutoRollbackOutcome {
  readonly alert: string;
  /** `namespace/name` of the Deployment ('' when none was looked at). */
  readonly deployment: string;
  readonly result: AutoRollbackResult;
  /** The ignore reason (rollback_match.ts), or '' */
  readonly reason: string;
  readonly detail: string;
}

export interface AutoRollbackOptions {
  /** The cluster registry, looked up per alert (null = not open: result error). */
  registry: () => Registry | null;
  /** Global dry-run switch. Default false. */
  dryRun?: boolean;
  now?: () => number;
  logger?: ControllerLogger;
  /** Where the counters go; omitted = not exported. */
  metrics?: PromRegistry;
  /** Queue bound. Default 1000. */
  maxQueue?: number;
  onOutcome?: (o: AutoRollbackOutcome) => void;
}

function sharedCounter<L extends string>(reg: PromRegistry, name: string, help: string, labelNames: L[]): Counter<L> {
  const existing = reg.getSingleMetric(name);
  if (existing instanceof Counter) return existing as Counter<L>;
  return new Counter({ name, help, labelNames, registers: [reg] });
}

const errText = (e: unknown): string => (e instanceof Error ? e.message : String(e));

export class AutoRollback {
  private readonly opts: AutoRollbackOptions;
  private readonly now: () => number;
  private readonly rollbacks: Counter<'namespace' | 'deployment' | 'alertname'> | null;
  private readonly actions: Counter<'verb' | 'result'> | null;
  private tail: Promise<void> = Promise.resolve();
  private queued = 0;

  constructor(opts: AutoRollbackOptions) {
    this.opts = opts;
    this.now = opts.now ?? Date.now;
    const reg = opts.metrics;
    this.rollbacks = reg === undefined ? null : sharedCounter(reg, 'vigil_deployment_auto_rollbacks_total', 'Rollouts undone automatically because an alert in spec.rollbackOn fired for the new revision.', ['namespace', 'deployment', 'alertname']);
    this.actions = reg === undefined ? null : sharedCounter(reg, 'vigil_cluster_actions_total', 'Cluster actions run for alerts, by verb and result.', ['verb', 'result']);
  }

  /** Queues a firing alert for a decision; returns at once. */
  observe(sig: AlertSignal): void {
    if (sig.status !== 'firing' || (sig.labels.namespace ?? '') === '') return;
    if (this.queued >= (this.opts.maxQueue ?? 1000)) {
      this.finish({ alert: sig.alertName, deployment: '', result: 'dropped', reason: '', detail: 'auto-rollback queue full' });
      return;
    }
    this.queued++;
    this.tail = this.tail.then(async () => {
      try {
        await this.handle(sig);
      } catch (e) {
        this.finish({ alert: sig.alertName, deployment: '', result: 'error', reason: '', detail: errText(e) });
      } finally {
        this.queued--;
      }
    });
  }

  /** Resolves once every queued alert has been handled. */
  idle(): Promise<void> {
    return this.tail;
  }

  private finish(o: AutoRollbackOutcome): void {
    if (o.result === 'rolled_back') this.actions?.inc({ verb: 'rollback', result: 'ok' });
    else if (o.result === 'dry_run' || o.result === 'error' || o.result === 'dropped') this.actions?.inc({ verb: 'rollback', result: o.result });
    const fields = { alert: o.alert, deployment: o.deployment, result: o.result, reason: o.reason, detail: o.detail };
    if (o.result === 'ignored') this.opts.logger?.info('auto rollback skipped', fields);
    else this.opts.logger?.warn('deployment auto rollback', fields);
    this.opts.onOutcome?.(o);
  }

  private async handle(sig: AlertSignal): Promise<void> {
    const registry = this.opts.registry();
    const ns = sig.labels.namespace ?? '';
    if (registry === null) {
      this.finish({ alert: sig.alertName, deployment: '', result: 'error', reason: '', detail: 'the cluster store is not open' });
      return;
    }
    const listing = ((await registry.list(DEPLOYMENTS, ns)).items as Deployment[]).filter((d) => rollbackOnOf(d).includes(sig.alertName));
    if (listing.length === 0) return;
    let pod: Pod | undefined;
    const podName = sig.labels[POD_LABEL];
    if ((sig.labels[REVISION_LABEL] ?? '') === '' && podName !== undefined && podName !== '') {
      try {
        pod = (await registry.get(PODS, ns, podName)) as Pod;
      } catch (e) {
        if (!(e instanceof ApiError && e.code === 404)) throw e;
      }
    }
    for (const first of listing) await this.handleOne(registry, sig, first, pod);
  }

  private async handleOne(registry: Registry, sig: AlertSignal, first: Deployment, pod: Pod | undefined): Promise<void> {
    const ns = first.metadata.namespace ?? 'default';
    const name = first.metadata.name;
    const key = `${ns}/${name}`;
    const base = { alert: sig.alertName, deployment: key };
    const dry = this.opts.dryRun === true || sig.labels[DRY_RUN_KEY] === 'true';
    let d = first;
    for (let attempt = 0; ; attempt++) {
      const replicaSets = (await registry.list(REPLICASETS, ns)).items as ReplicaSet[];
      const dec = decideRollback({ deployment: d, replicaSets, alertName: sig.alertName, labels: sig.labels, pod, now: this.now() });
      if (dec.kind === 'ignore') {
        this.finish({ ...base, result: 'ignored', reason: dec.reason, detail: dec.detail });
        return;
      }
      const from = revisionOf(dec.newRS);
      const to = revisionOf(dec.previous);
      const toHash = dec.previous.metadata.labels?.[POD_TEMPLATE_HASH_LABEL] ?? '';
      const message = `alert ${sig.alertName} fired for revision ${from} (${dec.matchedBy}) during its rollout; rolled back to revision ${to} (${dec.previous.metadata.name})`;
      const events = new EventRecorder(registry, 'vigil-auto-rollback', { now: this.now, ...(this.opts.logger ? { logger: this.opts.logger } : {}) });
      if (dry) {
        await events.record(d, 'Normal', AUTO_ROLLBACK_REASON, `[dry-run] ${message}`);
        this.finish({ ...base, result: 'dry_run', reason: '', detail: message });
        return;
      }
      try {
        const patch = { metadata: { resourceVersion: d.metadata.resourceVersion, annotations: { [ROLLBACK_ANNOTATION]: String(to), [AUTO_ROLLBACK_TO_ANNOTATION]: toHash } } };
        d = (await registry.patch(DEPLOYMENTS, ns, name, patch, 'merge')) as Deployment;
      } catch (e) {
        if (e instanceof ApiError && e.reason === 'Conflict' && attempt < 2) {
          d = (await registry.get(DEPLOYMENTS, ns, name)) as Deployment;
          continue;
        }
        if (e instanceof ApiError && e.code === 404) return;
        this.finish({ ...base, result: 'error', reason: '', detail: errText(e) });
        return;
      }
      await events.record(d, 'Warning', AUTO_ROLLBACK_REASON, message);
      await this.setCondition(registry, ns, name, message);
      this.rollbacks?.inc({ namespace: ns, deployment: name, alertname: sig.alertName });
      this.finish({ ...base, result: 'rolled_back', reason: '', detail: message });
      return;
    }
  }

  /** Sets `RolledBack` True on the status (retrying conflicts with the controller's own status writes). */
  private async setCondition(registry: Registry, ns: string, name: string, message: string): Promise<void> {
    const ts = timestamp(this.now());
    for (let attempt = 0; attempt < 5; attempt++) {
      const cur = (await registry.get(DEPLOYMENTS, ns, name)) as Deployment;
      const conds = (cur.status?.conditions ?? []).filter((c) => c.type !== ROLLED_BACK_CONDITION);
      conds.push({ type: ROLLED_BACK_CONDITION, status: 'True', reason: AUTO_ROLLBACK_REASON, message, lastUpdateTime: ts, lastTransitionTime: ts });
      conds.sort((a, b) => (a.type < b.type ? -1 : 1));
      const status: DeploymentStatus = { ...(cur.status ?? {}), conditions: conds };
      try {
        await registry.update(DEPLOYMENTS, ns, name, { ...cur, status }, { subresource: 'status' });
        return;
      } catch (e) {
        if (!(e instanceof ApiError && e.reason === 'Conflict')) throw e;
      }
    }
    this.opts.logger?.warn('auto rollback: could not set the RolledBack condition after 5 conflicts', { deployment: `${ns}/${name}` });
  }
}
