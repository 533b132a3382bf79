/**
 * The rule subcommands of `vigil`, registered in cmd/vigil.ts:
 * `vigil check rules FILE...` and `vigil test rules FILE...` (promtool-compatible).
 */
import { type Command, UsageError } from '../cmd/cli.js';
import { runCheckRules } from './check_rules.js';
import { runRuleTests } from './rule_test/unit_test.js';

/** `vigil check rules FILE...`: validates rule files like `promtool check rules`. */
export const checkRulesCommand: Command = {
  path: ['check', 'rules'],
  summary: 'Check that rule files are valid (exit 0 valid, 1 invalid, 3 lint problems with --lint-fatal; as promtool).',
  args: 'FILE...',
  positionals: { min: 1, max: -1 },
  flags: [
    { name: 'lint', kind: 'string', help: "Linting checks to apply: 'duplicate-rules' or 'none'.", default: 'duplicate-rules', placeholder: 'LINT' },
    { name: 'lint-fatal', kind: 'bool', help: 'Make lint errors exit with exit code 3.' },
    { name: 'ignore-unknown-fields', kind: 'bool', help: 'Ignore unknown fields in the rule files.' },
  ],
  description: 'Errors name the file, line and column, e.g. rules.yml: 5:15: group "g", rule 1, "r": could not parse expression: …',
  run: (args, io) => {
    const lint = args.values.get('lint') ?? 'duplicate-rules';
    if (lint !== 'duplicate-rules' && lint !== 'none' && lint !== 'all') throw new UsageError(`--lint: expected duplicate-rules, all or none, received ${JSON.stringify(lint)}`);
    return runCheckRules([...args.positionals], io, {
      lint: lint === 'none' ? 'none' : 'duplicate-rules',
      lintFatal: args.values.get('lint-fatal') === true,
      ignoreUnknownFields: args.values.get('ignore-unknown-fields') === true,
    });
  },
};

/** `vigil test rules FILE...`: runs rule unit tests like `promtool test rules`. */
export const testRulesCommand: Command = {
  path: ['test', 'rules'],
  summary: 'Run rule unit tests (promtool test rules format; exit 0 all passed, 1 otherwise).',
  args: 'FILE...',
  positionals: { min: 1, max: -1 },
  flags: [
    { name: 'run', kind: 'string', help: 'Only run test groups whose name matches this regular expression (repeatable).', repeatable: true, placeholder: 'REGEX' },
    { name: 'ignore-unknown-fields', kind: 'bool', help: 'Ignore unknown fields in the test and rule files.' },
  ],
  description: 'Tests input_series, alert_rule_test and promql_expr_test; native histogram expectations are not supported.',
  run: (args, io) => {
    const run = [...(args.lists.get('run') ?? [])];
    for (const r of run) {
      try {
        new RegExp(r);
      } catch {
        throw new UsageError(`--run: invalid regular expression ${JSON.stringify(r)}`);
      }
    }
    return runRuleTests([...args.positionals], io, { run, ignoreUnknownFields: args.values.get('ignore-unknown-fields') === true });
  },
};
