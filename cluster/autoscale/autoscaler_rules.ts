/**
 * The alerting rule that goes with the autoscaler's "no data is not zero" rule:
 * `AutoscalerMetricsMissing` fires while a ScalingPolicy's query yields no usable
 * value (its replicas are then held). It reads the server's own
 * `vigil_autoscaler_metrics_missing` gauge, so the server must scrape itself
 * (the embedded default configuration does: job `vigil`).
 *
 * `AUTOSCALER_METRICS_MISSING_RULE_YAML` is one rule as a list item indented for
 * a group's `rules:` (for Vigil's shipped default rule group);
 * `autoscalerRuleGroupYaml()` is a whole rule file (tests, users).
 */

/** How long the data must be missing before the alert fires, in the shipped rule. */
export const METRICS_MISSING_FOR = '1m';

/** The rule, as YAML list item lines indented by 6 spaces (`groups[].rules[]`). */
export function autoscalerMetricsMissingRuleYaml(forDuration = METRICS_MISSING_FOR, indent = '      '): string {
  return [
    '- alert: AutoscalerMetricsMissing',
    '  expr: max by (namespace, scalingpolicy) (vigil_autoscaler_metrics_missing) == 1',
    `  for: ${forDuration}`,
    '  labels:',
    '    severity: warning',
    '  annotations:',
    "    summary: 'ScalingPolicy {{ $labels.namespace }}/{{ $labels.scalingpolicy }} has no metric data'",
    "    description: 'The query of ScalingPolicy {{ $labels.namespace }}/{{ $labels.scalingpolicy }} fails or returns nothing, so its Deployment is held at its current size. Check that its targets are scraped (vigil ctl explain deployment/NS/NAME shows the error).'",
  ]
    .map((l) => `${indent}${l}`)
    .join('\n');
}

export const AUTOSCALER_METRICS_MISSING_RULE_YAML = autoscalerMetricsMissingRuleYaml();

/** A rule file with one group `vigil-autoscaler` holding the rule. */
export function autoscalerRuleGroupYaml(forDuration = METRICS_MISSING_FOR): string {
  return ['groups:', '  - name: vigil-autoscaler', '    rules:', autoscalerMetricsMissingRuleYaml(forDuration), ''].join('\n');
}
