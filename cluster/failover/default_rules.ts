/**
 * The rule group shipped with Vigil (`<builtin>/vigil-cluster.rules.yml`): the
 * server evaluates it next to the configuration's `rule_files` unless started
 * with `--no-cluster.default-rules`. It is an ordinary Prometheus rule file
 * (valid for `vigil check rules` and `promtool check rules`), shown in
 * `/api/v1/rules` and the UI under that name. To tune it, print it with
 * `vigil cluster default-rules > cluster.rules.yml`, edit, list the file in
 * `rule_files` and start the server with `--no-cluster.default-rules`.
 *
 * The series it reads are written every 500 ms by the leading control plane
 * (cluster/failover/lease_monitor.ts):
 * - `vigil_node_lease_age_seconds{node}`: time since the control plane last saw
 *   the node renew its Lease (agents renew every 2 s), on its own clock;
 * - `vigil_node_failover_after_seconds{node}`: the earliest failoverAfter of the
 *   node's pods (cluster default `--cluster.failover-after`, 10 s, or the pod
 *   template annotation `vigil.dev/failover-after`; 0 = never).
 *
 * Other rules join this group by adding entries to `rules:` below (keep the
 * two-space YAML indentation).
 */

import { AUTOSCALER_METRICS_MISSING_RULE_YAML } from '../autoscale/autoscaler_rules.js';

/** A rule file that is part of the program rather than the configuration. */
export interface BuiltinRuleFile {
  /** Shown as the rules' file, e.g. `<builtin>/vigil-cluster.rules.yml`. */
  readonly name: string;
  /** The file's YAML text. */
  readonly yamlText: string;
}

export const CLUSTER_RULES_NAME = '<builtin>/vigil-cluster.rules.yml';

export const CLUSTER_RULES_YAML = `# Vigil's shipped cluster rules. Tune a copy: see \`vigil cluster default-rules --help\`.
groups:
  - name: vigil-cluster
    interval: 500ms
    rules:
      # 3 missed renewals of the agents' 2 s lease.
      - alert: NodeSuspect
        expr: vigil_node_lease_age_seconds > 6
        labels:
          severity: warning
        annotations:
          summary: "Node {{ $labels.node }} missed 3 lease renewals"
          description: "The control plane has not seen node {{ $labels.node }} renew its lease for {{ $value | humanizeDuration }}."
      # Failed after failoverAfter: its pods are recreated on healthy nodes (the agent fenced them meanwhile).
      - alert: NodeDown
        expr: vigil_node_lease_age_seconds >= on(node) vigil_node_failover_after_seconds and on(node) vigil_node_failover_after_seconds > 0
        labels:
          severity: critical
        annotations:
          summary: "Node {{ $labels.node }} is down; failing its pods over"
          description: "Node {{ $labels.node }} has not renewed its lease for {{ $value | humanizeDuration }}."
          action: "failover node/{{ $labels.node }}"
          # Re-run while firing: pods with a longer vigil.dev/failover-after move when their time comes.
          action_cooldown: 5s
      # A ScalingPolicy whose query yields nothing holds its Deployment (no data is not zero).
${AUTOSCALER_METRICS_MISSING_RULE_YAML}
`;

/** The shipped cluster rule group. */
export const CLUSTER_DEFAULT_RULES: BuiltinRuleFile = { name: CLUSTER_RULES_NAME, yamlText: CLUSTER_RULES_YAML };
