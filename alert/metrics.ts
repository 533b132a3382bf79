/**
 * The alerting part's own metrics in the Prometheus text exposition format, with
 * Prometheus's names: `prometheus_rule_evaluations_total`,
 * `prometheus_rule_evaluation_failures_total`, `prometheus_rule_group_*` (label
 * `rule_group="<file>;<group>"`) and `prometheus_notifications_*` (label
 * `alertmanager="<url>"`). For a `/metrics` endpoint to include.
 */
import { formatFloat } from './template/go_fmt.js';
import type { RuleManager } from './manager.js';
import type { Notifier } from './notifier.js';

const HELP: Readonly<Record<string, [string, 'counter' | 'gauge']>> = {
  prometheus_rule_evaluations_total: ['The total number of rule evaluations.', 'counter'],
  prometheus_rule_evaluation_failures_total: ['The total number of rule evaluation failures.', 'counter'],
  prometheus_rule_group_iterations_total: ['The total number of scheduled rule group evaluations, whether executed or missed.', 'counter'],
  prometheus_rule_group_iterations_missed_total: ['The total number of rule group evaluations missed due to slow rule group evaluation.', 'counter'],
  prometheus_rule_group_interval_seconds: ['The interval of a rule group.', 'gauge'],
  prometheus_rule_group_last_duration_seconds: ['The duration of the last rule group evaluation.', 'gauge'],
  prometheus_rule_group_last_evaluation_timestamp_seconds: ['The timestamp of the last rule group evaluation in seconds.', 'gauge'],
  prometheus_rule_group_last_evaluation_samples: ['The number of samples returned during the last rule group evaluation.', 'gauge'],
  prometheus_rule_group_rules: ['The number of rules.', 'gauge'],
  prometheus_notifications_sent_total: ['Total number of alerts sent.', 'counter'],
  prometheus_notifications_errors_total: ['Total number of sent alerts affected by errors.', 'counter'],
  prometheus_notifications_dropped_total: ['Total number of alerts dropped due to errors when sending to Alertmanager.', 'counter'],
  prometheus_notifications_queue_length: ['The number of alert notifications in the queue.', 'gauge'],
  prometheus_notifications_alertmanagers_discovered: ['The number of alertmanagers discovered and active.', 'gauge'],
};

function esc(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function num(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Number.POSITIVE_INFINITY) return '+Inf';
  if (v === Number.NEGATIVE_INFINITY) return '-Inf';
  return formatFloat(v, 'g', -1);
}

/** The exposition text of the rule manager's and notifier's metrics (either may be null). */
export function alertMetricsText(manager: RuleManager | null, notifier: Notifier | null): string {
  const rows = new Map<string, string[]>();
  const add = (name: string, label: string, value: string, v: number): void => {
    const list = rows.get(name) ?? [];
    list.push(`${name}{${label}="${esc(value)}"} ${num(v)}`);
    rows.set(name, list);
  };
  for (const m of manager?.metrics() ?? []) add(m.name, 'rule_group', m.ruleGroup, m.value);
  for (const { url, stats } of notifier?.stats() ?? []) {
    add('prometheus_notifications_sent_total', 'alertmanager', url, stats.sent);
    add('prometheus_notifications_errors_total', 'alertmanager', url, stats.errors);
    add('prometheus_notifications_dropped_total', 'alertmanager', url, stats.dropped);
    add('prometheus_notifications_queue_length', 'alertmanager', url, stats.queueLength);
  }
  let out = '';
  for (const [name, lines] of rows) {
    const [help, type] = HELP[name] ?? ['', 'gauge'];
    out += `# HELP ${name} ${help}\n# TYPE ${name} ${type}\n${lines.join('\n')}\n`;
  }
  if (notifier !== null) {
    const [help, type] = HELP.prometheus_notifications_alertmanagers_discovered!;
    out += `# HELP prometheus_notifications_alertmanagers_discovered ${help}\n# TYPE prometheus_notifications_alertmanagers_discovered ${type}\nprometheus_notifications_alertmanagers_discovered ${notifier.alertmanagers().active.length}\n`;
  }
  return out;
}
