/**
 * `Autoscaler`: evaluates every ScalingPolicy once per `tick()` (the server part
 * calls it on the rule engine's evaluation interval) and sets its Deployment's
 * `spec.replicas` from the PromQL value, through `ScalingState` (scaling_math.ts).
 *
 * Contract:
 * - Acts only while `isLeading()` (the controller manager's leadership): of several
 *   servers on one store, one scales. A tick that finds itself not leading does nothing.
 * - Queries go through the narrow `InstantQueryFn` (the engine the rules use); an
 *   error, an empty result, more than one sample or a non-finite value is "missing":
 *   the count is held, `vigil_autoscaler_metrics_missing` = 1, a Warning Event
 *   `MetricsMissing` is recorded when it starts, and the decision is logged.
 * - Every decision goes to the `DecisionLog` and the metrics; real changes are a
 *   merge patch of `spec.replicas` plus a Normal Event `SuccessfulRescale` on the
 *   Deployment; dry run (the policy's `spec.dryRun` or the global option) records
 *   everything and changes nothing. The policy's `/status` is written each tick.
 * - Several policies targeting one Deployment: none of them acts (condition
 *   ScalingActive=False, reason AmbiguousTarget), so two policies never fight.
 * - Ticks never overlap (a tick still running makes the next one a no-op) and never throw.
 */
import { ApiError } from '../api/api_error.js';
import type { Condition, Deployment, ScalingPolicy, ScalingPolicyStatus } from '../api/objects.js';
import type { Registry } from '../api/registry.js';
import { RESOURCES } from '../api/resources.js';
import { expandQuery } from '../api/scaling_policy_validation.js';
import type { ControllerLogger } from '../controllers/controller.js';
import { EventRecorder } from '../controllers/event_recorder.js';
import { timestamp } from '../controllers/pod_state.js';
import { DEPLOYMENTS } from '../controllers/resources.js';
import type { AutoscalerMetrics } from './autoscaler_metrics.js';
import { type DecisionLog, policyEntry } from './decision_log.js';
import { type ScalingDecision, type ScalingParams, ScalingState } from './scaling_math.js';

export const SCALING_POLICIES = RESOURCES.find((r) => r.resource === 'scalingpolicies')!;

/** One sample of an instant vector (only the value is read). */
export interface InstantSample {
  readonly v: number;
}

/** Evaluates `expr` at `timeMs` (ms) as an instant query; a scalar is one sample. Rejects on error. */
export type InstantQueryFn = (expr: string, timeMs: number) => Promise<readonly InstantSample[]>;

export interface AutoscalerOptions {
  /** The cluster registry (null = the store is not open yet: the tick does nothing). */
  registry: () => Registry | null;
  query: InstantQueryFn;
  /** Whether this process's controller manager leads. */
  isLeading: () => boolean;
  log: DecisionLog;
  metrics?: AutoscalerMetrics;
  now?: () => number;
  logger?: ControllerLogger;
  /** Global dry run. Default false. */
  dryRun?: boolean;
}

/** The parameters of a stored (defaulted) policy. */
export function paramsOf(p: ScalingPolicy): ScalingParams {
  const s = p.spec;
  const tol = s.tolerance ?? 0.1;
  return {
    minReplicas: s.minReplicas ?? 1,
    maxReplicas: s.maxReplicas,
    targetPerReplica: s.targetPerReplica,
    upTolerance: s.scaleUp?.tolerance ?? tol,
    downTolerance: s.scaleDown?.tolerance ?? tol,
    upMaxPercent: s.scaleUp?.maxPercent ?? 100,
    upMaxPods: s.scaleUp?.maxPods ?? 4,
    upPeriodMs: (s.scaleUp?.periodSeconds ?? 15) * 1000,
    downWindowMs: (s.scaleDown?.stabilizationWindowSeconds ?? 300) * 1000,
  };
}

function cond(type: 'MetricsAvailable' | 'ScalingActive' | 'ScalingLimited', ok: boolean, reason: string, message: string, now: string, old?: Condition[]): Condition<'MetricsAvailable' | 'ScalingActive' | 'ScalingLimited'> {
  const status = ok ? 'True' : 'False';
  const prev = old?.find((c) => c.type === type);
  return { type, status, reason, message, lastTransitionTime: prev !== undefined && prev.status === status ? (prev.lastTransitionTime ?? now) : now };
}

interface Tracked {
  state: ScalingState;
  namespace: string;
  name: string;
  deployment: string;
  missing: boolean;
}

export class Autoscaler {
  private readonly opts: AutoscalerOptions;
  private readonly now: () => number;
  private readonly tracked = new Map<string, Tracked>();
  private running = false;
  /** Ticks that evaluated (leading) — for tests and the benchmark. */
  ticks = 0;

  constructor(opts: AutoscalerOptions) {
    this.opts = opts;
    this.now = opts.now ?? Date.now;
  }

  /** Evaluates every policy once (see the file comment). Resolves when done; never rejects. */
  async tick(): Promise<void> {
    if (this.running) return;
    const registry = this.opts.registry();
    if (registry === null || !this.opts.isLeading()) return;
    this.running = true;
    try {
      this.ticks++;
      const policies = (await registry.list(SCALING_POLICIES, '')).items as ScalingPolicy[];
      const seen = new Set<string>();
      // Two policies on one Deployment would fight: neither acts (as the HPA does with ambiguous selectors).
      const perTarget = new Map<string, string[]>();
      for (const p of policies) {
        const k = `${p.metadata.namespace}/${p.spec.target}`;
        perTarget.set(k, [...(perTarget.get(k) ?? []), p.metadata.name]);
      }
      for (const p of policies) {
        const key = p.metadata.uid ?? `${p.metadata.namespace}/${p.metadata.name}`;
        seen.add(key);
        try {
          const rivals = perTarget.get(`${p.metadata.namespace}/${p.spec.target}`) ?? [];
          if (rivals.length > 1) await this.conflict(registry, p, rivals);
          else await this.evaluate(registry, key, p);
        } catch (e) {
          this.opts.logger?.warn('scaling policy evaluation failed', { policy: `${p.metadata.namespace}/${p.metadata.name}`, err: e instanceof Error ? e.message : String(e) });
        }
      }
      for (const [key, t] of this.tracked) {
        if (seen.has(key)) continue;
        this.tracked.delete(key);
        this.opts.metrics?.forget(t.namespace, t.name, t.deployment);
      }
    } catch (e) {
      this.opts.logger?.warn('autoscaler tick failed', { err: e instanceof Error ? e.message : String(e) });
    } finally {
      this.running = false;
    }
  }

  private async conflict(registry: Registry, p: ScalingPolicy, rivals: readonly string[]): Promise<void> {
    const ns = p.metadata.namespace ?? 'default';
    const now = timestamp(this.now());
    this.opts.metrics?.notEvaluated(ns, p.metadata.name, 'conflicting_policies');
    await this.writeStatus(registry, p, {
      ...(p.status ?? {}),
      observedGeneration: p.metadata.generation ?? 1,
      lastEvaluationTime: now,
      lastReason: 'conflicting_policies',
      conditions: [cond('ScalingActive', false, 'AmbiguousTarget', `Deployment ${ns}/${p.spec.target} is the target of several ScalingPolicies (${rivals.join(', ')}): none of them acts`, now, p.status?.conditions)],
    });
  }

  private async evaluate(registry: Registry, key: string, p: ScalingPolicy): Promise<void> {
    const ns = p.metadata.namespace ?? 'default';
    const name = p.metadata.name;
    const target = p.spec.target;
    let t = this.tracked.get(key);
    if (t === undefined || t.deployment !== target) {
      if (t !== undefined) this.opts.metrics?.forget(ns, name, t.deployment);
      t = { state: new ScalingState(), namespace: ns, name, deployment: target, missing: false };
      this.tracked.set(key, t);
    }
    const now = this.now();
    const nowText = timestamp(now);
    const events = new EventRecorder(registry, 'vigil-autoscaler', { now: this.now, ...(this.opts.logger ? { logger: this.opts.logger } : {}) });
    let d: Deployment;
    try {
      d = (await registry.get(DEPLOYMENTS, ns, target)) as Deployment;
    } catch (e) {
      if (!(e instanceof ApiError && e.reason === 'NotFound')) throw e;
      this.opts.metrics?.notEvaluated(ns, name, 'target_not_found');
      const conds = p.status?.conditions;
      await this.writeStatus(registry, p, {
        ...(p.status ?? {}),
        observedGeneration: p.metadata.generation ?? 1,
        lastEvaluationTime: nowText,
        lastReason: 'target_not_found',
        conditions: [cond('ScalingActive', false, 'TargetNotFound', `Deployment ${ns}/${target} does not exist`, nowText, conds)],
      });
      return;
    }
    const current = d.spec.replicas ?? 1;
    const params = paramsOf(p);
    const expr = expandQuery(p.spec.query, { namespace: ns, target, policy: name, replicas: String(current) });
    let value: number | null = null;
    let queryError = '';
    try {
      const r = await this.opts.query(expr, now);
      if (r.length === 1) value = r[0]!.v;
      else if (r.length > 1) queryError = `the query returned ${r.length} series, expected one (aggregate it, e.g. sum(...))`;
    } catch (e) {
      queryError = `the query failed: ${e instanceof Error ? e.message : String(e)}`;
    }
    let decision = t.state.decide(now, current, value, params);
    if (decision.reason === 'metrics_missing' && queryError !== '') decision = { ...decision, message: `${queryError}: holding ${current} replicas (no data is not zero)` };
    const dry = this.opts.dryRun === true || p.spec.dryRun === true;
    let result = 'held';
    let lastScaleTime = p.status?.lastScaleTime;
    if (decision.desiredReplicas !== current) {
      if (dry) result = 'dry_run';
      else {
        try {
          await registry.patch(DEPLOYMENTS, ns, target, { spec: { replicas: decision.desiredReplicas } }, 'merge');
          t.state.recordScale(now, current, decision.desiredReplicas);
          result = 'applied';
          lastScaleTime = nowText;
        } catch (e) {
          result = 'error';
          decision = { ...decision, message: `${decision.message}; the update failed: ${e instanceof Error ? e.message : String(e)}` };
        }
      }
      if (result !== 'error') {
        await events.record(d, 'Normal', 'SuccessfulRescale', `${dry ? '[dry-run] ' : ''}ScalingPolicy ${name}: New size: ${decision.desiredReplicas}; reason: ${decision.reason}: ${decision.message}`);
      }
      this.opts.logger?.info('autoscaler decision', { policy: `${ns}/${name}`, deployment: target, from: current, to: decision.desiredReplicas, reason: decision.reason, result });
    }
    const missing = decision.reason === 'metrics_missing';
    if (missing && !t.missing) await events.record(d, 'Warning', 'MetricsMissing', `ScalingPolicy ${name}: no usable data from its query; replicas are held`);
    t.missing = missing;
    this.opts.metrics?.observe(ns, name, target, decision);
    this.opts.log.add(policyEntry(decision, { namespace: ns, deployment: target, policy: name, targetPerReplica: params.targetPerReplica, query: expr, result }));
    await this.writeStatus(registry, p, this.statusOf(p, decision, nowText, lastScaleTime, params));
  }

  private statusOf(p: ScalingPolicy, d: ScalingDecision, now: string, lastScaleTime: string | undefined, params: ScalingParams): ScalingPolicyStatus {
    const old = p.status?.conditions;
    const missing = d.reason === 'metrics_missing';
    const limited = d.reason === 'at_max' || d.reason === 'at_min' || d.reason === 'held_by_cooldown' || d.reason === 'held_by_stabilization';
    return {
      observedGeneration: p.metadata.generation ?? 1,
      currentReplicas: d.currentReplicas,
      desiredReplicas: d.desiredReplicas,
      ...(d.value !== null ? { lastValue: d.value } : {}),
      lastEvaluationTime: now,
      ...(lastScaleTime !== undefined ? { lastScaleTime } : {}),
      lastReason: d.reason,
      conditions: [
        cond('MetricsAvailable', !missing, missing ? 'MetricsMissing' : 'ValidMetricFound', missing ? d.message : `value ${d.value} (target ${params.targetPerReplica} per replica)`, now, old),
        cond('ScalingActive', d.reason !== 'scaled_to_zero', d.reason === 'scaled_to_zero' ? 'ScalingDisabled' : 'ValidMetricFound', d.reason === 'scaled_to_zero' ? d.message : 'the policy is computing replica counts', now, old),
        cond('ScalingLimited', limited, limited ? d.reason : 'DesiredWithinRange', limited ? d.message : `the desired count is within [${params.minReplicas}, ${params.maxReplicas}]`, now, old),
      ],
    };
  }

  private async writeStatus(registry: Registry, p: ScalingPolicy, status: ScalingPolicyStatus): Promise<void> {
    const ns = p.metadata.namespace ?? 'default';
    try {
      await registry.update(SCALING_POLICIES, ns, p.metadata.name, { ...p, status }, { subresource: 'status' });
    } catch (e) {
      // A concurrent edit of the policy: the next tick writes a fresh status.
      if (!(e instanceof ApiError && (e.reason === 'Conflict' || e.reason === 'NotFound'))) throw e;
    }
  }
}
