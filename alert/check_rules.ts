/**
 * `vigil check rules FILE...`, compatible with `promtool check rules`: for each
 * file `Checking FILE`, then `  SUCCESS: N rules found` (stdout) or `  FAILED:` and
 * one error per line (stderr), then an empty line. The duplicate-rules lint
 * (`--lint=duplicate-rules`, the default) reports rules with the same name and
 * labels; it fails the command only with `--lint-fatal`.
 *
 * Exit codes as promtool: 0 valid, 1 invalid, 3 lint problems with `--lint-fatal`.
 */
import type { CommandIo } from '../cmd/cli.js';
import { checkActionAnnotations } from '../cluster/actions/action_spec.js';
import { Labels } from '../tsdb/labels.js';
import { parseRuleFile, parseRules, type RuleGroupNode } from './rule_file.js';

/** Options of `runCheckRules`. */
export interface CheckRulesOptions {
  /** `duplicate-rules` (default) or `none`. */
  lint?: 'duplicate-rules' | 'none';
  /** Lint problems make the exit code 3. Default false. */
  lintFatal?: boolean;
  ignoreUnknownFields?: boolean;
  nameValidationScheme?: 'utf8' | 'legacy';
}

/** Exit code for lint problems with `--lint-fatal` (promtool's `lintErrExitCode`). */
export const LINT_ERR_EXIT_CODE = 3;

interface Dup {
  metric: string;
  labels: Labels;
}

/** promtool's `checkDuplicates`: rules sharing name and labels, each reported once. */
export function findDuplicateRules(groups: readonly RuleGroupNode[]): Dup[] {
  const all: Dup[] = [];
  for (const g of groups) for (const r of g.rules) all.push({ metric: r.alert !== '' ? r.alert : r.record, labels: Labels.from(r.labels) });
  const cmp = (a: Dup, b: Dup): number => (a.metric < b.metric ? -1 : a.metric > b.metric ? 1 : Labels.compare(a.labels, b.labels));
  all.sort(cmp);
  const dups: Dup[] = [];
  for (let i = 1; i < all.length; i++) {
    if (cmp(all[i - 1]!, all[i]!) === 0) {
      const lastDup = dups[dups.length - 1];
      if (lastDup === undefined || cmp(all[i - 1]!, lastDup) !== 0) dups.push(all[i]!);
    }
  }
  return dups;
}

function lintMessage(dups: readonly Dup[]): string {
  let s = `lint error ${dups.length} duplicate rule(s) found.\n`;
  for (const d of dups) {
    s += `Metric: ${d.metric}\nLabel(s):\n`;
    d.labels.forEach((n, v) => {
      s += `\t${n}: ${v}\n`;
    });
  }
  return `${s}Might cause inconsistency while recording expressions`;
}

/**
 * Problems with the cluster `action` annotations of alerting rules (cluster/actions/action_spec.ts),
 * each as `LINE:COL: group "G", rule N, "ALERT": annotation "action": …` (the rule's `alert:` line).
 */
export function checkRuleActions(groups: readonly RuleGroupNode[]): string[] {
  const errs: string[] = [];
  for (const g of groups) {
    g.rules.forEach((r, i) => {
      if (r.alert === '') return;
      for (const m of checkActionAnnotations(r.annotations)) {
        errs.push(`${r.alertPos.line}:${r.alertPos.col}: group ${JSON.stringify(g.name)}, rule ${i + 1}, ${JSON.stringify(r.alert)}: ${m}`);
      }
    });
  }
  return errs;
}

/** Runs the check over `files`; returns the exit code. */
export async function runCheckRules(files: readonly string[], io: CommandIo, opts: CheckRulesOptions = {}): Promise<number> {
  let failed = false;
  let hasErrors = false;
  for (const f of files) {
    io.log(`Checking ${f}`);
    const parsed = await parseRuleFile(f, opts);
    const actionErrors = parsed.errors.length > 0 ? [] : checkRuleActions(parsed.groups).map((e) => `${f}:${e}`);
    if (parsed.errors.length > 0 || actionErrors.length > 0) {
      failed = true;
      hasErrors = true;
      io.err(`  FAILED:\n${[...parsed.errors, ...actionErrors].join('\n')}`);
      continue;
    }
    const n = parsed.groups.reduce((s, g) => s + g.rules.length, 0);
    const dups = (opts.lint ?? 'duplicate-rules') === 'duplicate-rules' ? findDuplicateRules(parsed.groups) : [];
    if (dups.length > 0) {
      failed = true;
      io.err(`  FAILED:\n${lintMessage(dups)}`);
    } else {
      io.log(`  SUCCESS: ${n} rules found`);
    }
    io.log('');
  }
  if (failed && hasErrors) return 1;
  if (failed && opts.lintFatal === true) return LINT_ERR_EXIT_CODE;
  return 0;
}

/**
 * Validates one rule file's content for `vigil check config` (`CheckConfigOptions.checkRuleFile`).
 * Errors carry no file prefix (the caller adds `path: `).
 */
export function checkRuleFileContent(_path: string, text: string): { ok: true; rules: number } | { ok: false; errors: string[] } {
  const r = parseRules(text);
  if (r.errors.length > 0) return { ok: false, errors: r.errors };
  const actionErrors = checkRuleActions(r.groups);
  if (actionErrors.length > 0) return { ok: false, errors: actionErrors };
  return { ok: true, rules: r.groups.reduce((s, g) => s + g.rules.length, 0) };
}
