/**
 * `vigil cluster default-rules`: prints the rule group shipped with Vigil
 * (`<builtin>/vigil-cluster.rules.yml`) so users can copy and tune it:
 *
 *   vigil cluster default-rules > cluster.rules.yml
 *   vigil check rules cluster.rules.yml
 *   # list it in rule_files, then: vigil server --no-cluster.default-rules
 */
import type { Command } from '../../cmd/cli.js';
import { CLUSTER_RULES_NAME, CLUSTER_RULES_YAML } from './default_rules.js';

export const defaultRulesCommand: Command = {
  path: ['cluster', 'default-rules'],
  summary: `Print the rule group shipped with Vigil (${CLUSTER_RULES_NAME}) to copy and tune.`,
  args: '',
  positionals: { min: 0, max: 0 },
  flags: [],
  description:
    'The server evaluates this group unless started with --no-cluster.default-rules. To tune it: save the output to a file, edit it, list the file in rule_files and start the server with --no-cluster.default-rules (otherwise both copies run).',
  run: async (_args, io) => {
    io.log(CLUSTER_RULES_YAML.replace(/\n$/, ''));
    return 0;
  },
};
