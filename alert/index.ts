/**
 * The public entry of the alerting part: what other parts (cmd/, cluster/) may
 * import. Everything else in alert/ is internal.
 */
export type { Alert, AlertState, AlertStateChange } from './alerting_rule.js';
export { AlertingRule } from './alerting_rule.js';
export { checkRuleFileContent, runCheckRules } from './check_rules.js';
export { type Clock, ManualClock, SYSTEM_CLOCK } from './clock.js';
export { checkRulesCommand, testRulesCommand } from './commands.js';
export { Group, type NotifyFn } from './group.js';
export { alertApiPlugin } from './http.js';
export { alertMetricsText } from './metrics.js';
export { type BuiltinRules, RuleManager, type RuleManagerOptions, type RuleSettings } from './manager.js';
export { Notifier, type NotifierOptions, type RelabelFn } from './notifier.js';
export type { NotifierAlert } from './notifier_alert.js';
export { type AlertReceiver, RecordingReceiver } from './receivers.js';
export { engineQueryFn, type QueryFn } from './rule.js';
export { parseRuleFile, parseRules, RuleFileError } from './rule_file.js';
export { runRuleTests } from './rule_test/unit_test.js';
export { ALERT_FLAGS, type AlertFlags, alertFlagsFrom, type AlertPartHandle, alertServerPart } from './server_part.js';
