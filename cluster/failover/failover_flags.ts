/**
 * The failover flags of `vigil server` (read from `ServerFlags.asStrings`, so
 * adding them needs no change to the flag struct):
 *
 *   --[no-]cluster.default-rules      evaluate the shipped `<builtin>/vigil-cluster.rules.yml` (default on)
 *   --cluster.failover-after=DURATION cluster default failoverAfter (default 10s; 0s = only pods that set one)
 */
import type { FlagSpec } from '../../cmd/cli.js';
import { type BuiltinRuleFile, CLUSTER_DEFAULT_RULES } from './default_rules.js';
import { DEFAULT_FAILOVER_AFTER_MS, parseFailoverAfter } from './failover_after.js';

export const FAILOVER_FLAGS: readonly FlagSpec[] = [
  {
    name: 'cluster.default-rules',
    kind: 'bool',
    default: 'true',
    help: 'Evaluate the rule group shipped with Vigil (<builtin>/vigil-cluster.rules.yml: NodeSuspect, NodeDown → failover); --no-cluster.default-rules turns it off (e.g. when you run a tuned copy, see `vigil cluster default-rules`).',
  },
  {
    name: 'cluster.failover-after',
    kind: 'string',
    placeholder: 'DURATION',
    default: '10s',
    help: 'How long a node may go without renewing its lease before its pods are recreated elsewhere (NodeDown), unless a pod template sets the annotation vigil.dev/failover-after. 0s = never by default.',
  },
];

export interface FailoverFlags {
  readonly defaultRules: boolean;
  /** ms; 0 = never by default. */
  readonly failoverAfterMs: number;
}

/** Reads the failover flags (absent → defaults). Throws Error naming the flag. */
export function failoverFlagsFrom(asStrings: Readonly<Record<string, string>>): FailoverFlags {
  const fa = asStrings['cluster.failover-after'];
  const ms = fa === undefined || fa === '' ? DEFAULT_FAILOVER_AFTER_MS : parseFailoverAfter(fa);
  if (ms === null) throw new Error(`--cluster.failover-after: expected a duration such as 10s or 0s, received ${JSON.stringify(fa)}`);
  return { defaultRules: asStrings['cluster.default-rules'] !== 'false', failoverAfterMs: ms };
}

/** The built-in rule files the server evaluates for these flags (`AlertServerPartOptions.builtinRules`). */
export function builtinClusterRules(flags: { readonly asStrings: Readonly<Record<string, string>> }): readonly BuiltinRuleFile[] {
  return flags.asStrings['cluster.default-rules'] !== 'false' ? [CLUSTER_DEFAULT_RULES] : [];
}
