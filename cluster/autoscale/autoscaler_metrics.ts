/**
 * The autoscaler's metrics on a prom-client registry (the server's `/metrics`):
 *
 *   vigil_autoscaler_desired_replicas{namespace,scalingpolicy,deployment}   last decided count
 *   vigil_autoscaler_current_replicas{namespace,scalingpolicy,deployment}   spec.replicas seen
 *   vigil_autoscaler_metric_value{namespace,scalingpolicy,deployment}       last query value (absent while missing)
 *   vigil_autoscaler_metrics_missing{namespace,scalingpolicy}               1 while the query errs or is empty
 *   vigil_autoscaler_decisions_total{namespace,scalingpolicy,reason}        decisions by reason
 *
 * Registering twice on one registry reuses the existing metrics (two parts in
 * one test process). `forget` removes a deleted policy's series.
 */
import { Counter, Gauge, type Registry as PromRegistry } from 'prom-client';
import type { ScalingDecision } from './scaling_math.js';

type L3 = 'namespace' | 'scalingpolicy' | 'deployment';

function gauge<L extends string>(reg: PromRegistry, name: string, help: string, labelNames: L[]): Gauge<L> {
  const m = reg.getSingleMetric(name);
  if (m instanceof Gauge) return m as Gauge<L>;
  return new Gauge({ name, help, labelNames, registers: [reg] });
}

export class AutoscalerMetrics {
  private readonly desired: Gauge<L3>;
  private readonly current: Gauge<L3>;
  private readonly value: Gauge<L3>;
  private readonly missing: Gauge<'namespace' | 'scalingpolicy'>;
  private readonly decisions: Counter<'namespace' | 'scalingpolicy' | 'reason'>;

  constructor(reg: PromRegistry) {
    const l3: L3[] = ['namespace', 'scalingpolicy', 'deployment'];
    this.desired = gauge(reg, 'vigil_autoscaler_desired_replicas', 'Replica count the ScalingPolicy last decided on.', l3);
    this.current = gauge(reg, 'vigil_autoscaler_current_replicas', "The target Deployment's spec.replicas when the ScalingPolicy was last evaluated.", l3);
    this.value = gauge(reg, 'vigil_autoscaler_metric_value', "The ScalingPolicy query's last value (absent while metrics are missing).", l3);
    this.missing = gauge(reg, 'vigil_autoscaler_metrics_missing', "1 while the ScalingPolicy's query fails or returns no data (replicas are held), else 0.", ['namespace', 'scalingpolicy']);
    const c = reg.getSingleMetric('vigil_autoscaler_decisions_total');
    this.decisions =
      c instanceof Counter
        ? (c as Counter<'namespace' | 'scalingpolicy' | 'reason'>)
        : new Counter({ name: 'vigil_autoscaler_decisions_total', help: 'ScalingPolicy decisions, by reason.', labelNames: ['namespace', 'scalingpolicy', 'reason'], registers: [reg] });
  }

  /** Records one decision of policy `ns/policy` on Deployment `deployment`. */
  observe(ns: string, policy: string, deployment: string, d: ScalingDecision): void {
    const l = { namespace: ns, scalingpolicy: policy, deployment };
    this.desired.set(l, d.desiredReplicas);
    this.current.set(l, d.currentReplicas);
    if (d.value === null) this.value.remove(l);
    else this.value.set(l, d.value);
    this.missing.set({ namespace: ns, scalingpolicy: policy }, d.reason === 'metrics_missing' ? 1 : 0);
    this.decisions.inc({ namespace: ns, scalingpolicy: policy, reason: d.reason });
  }

  /** Counts an evaluation that computed nothing (`target_not_found`, `conflicting_policies`). */
  notEvaluated(ns: string, policy: string, reason: 'target_not_found' | 'conflicting_policies'): void {
    this.decisions.inc({ namespace: ns, scalingpolicy: policy, reason });
  }

  /** Drops the gauges of a deleted policy. */
  forget(ns: string, policy: string, deployment: string): void {
    const l = { namespace: ns, scalingpolicy: policy, deployment };
    this.desired.remove(l);
    this.current.remove(l);
    this.value.remove(l);
    this.missing.remove({ namespace: ns, scalingpolicy: policy });
  }
}
