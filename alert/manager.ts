/**
 * The rule manager (`rules/manager.go`): loads rule files into groups, runs each
 * group's loop, and on reload keeps unchanged groups running, hands the state of
 * changed groups (alerts, series written) to their replacements, and stops
 * removed groups marking their series stale. Alerts due for sending go to the
 * notify function as notifier alerts; every alert state change goes to the
 * registered receivers.
 */
import { expandGlob } from '../cmd/file_glob.js';
import { formatExpr } from '../query/printer.js';
import { parseExpr } from '../query/parser.js';
import { Labels } from '../tsdb/labels.js';
import type { Appendable, Queryable } from '../tsdb/storage.js';
import { type Alert, AlertingRule } from './alerting_rule.js';
import { type Clock, SYSTEM_CLOCK } from './clock.js';
import { type AlertReceiver, Group, type GroupLogger } from './group.js';
import type { NotifierAlert } from './notifier_alert.js';
import { RecordingRule } from './recording_rule.js';
import type { QueryFn, Rule } from './rule.js';
import { parseRuleFile, parseRules, RuleFileError, type RuleGroupNode } from './rule_file.js';
import { queryEscape } from './template/functions.js';

/** Defaults of the rule flags. */
export const DEFAULT_RESEND_DELAY_MS = 60_000;
export const DEFAULT_OUTAGE_TOLERANCE_MS = 3_600_000;
export const DEFAULT_GRACE_PERIOD_MS = 600_000;

/** Options of a `RuleManager`. */
export interface RuleManagerOptions {
  readonly query: QueryFn;
  readonly appendable: Appendable;
  readonly queryable: Queryable;
  /** Receives alerts to send (already converted, external labels not yet applied). Must not block. */
  readonly send: ((alerts: NotifierAlert[]) => void) | null;
  readonly clock?: Clock;
  readonly resendDelayMs?: number;
  readonly outageToleranceMs?: number;
  readonly forGracePeriodMs?: number;
  readonly logger: GroupLogger;
  /** External URL (no trailing slash) for templates and `generatorURL`. */
  readonly externalUrl: () => string;
}

/** The global settings a reload applies. */
export interface RuleSettings {
  /** ms. */
  readonly evaluationIntervalMs: number;
  /** ms. */
  readonly queryOffsetMs: number;
  readonly externalLabels: Labels;
  /** Rule file globs (already resolved against the configuration directory). */
  readonly files: readonly string[];
  /**
   * Rule files that are part of the program (e.g. the cluster's shipped group), loaded
   * before `files` and shown under `name` (`<builtin>/….rules.yml`). Default none.
   */
  readonly builtin?: readonly BuiltinRules[];
}

/** A rule file given as text rather than a path. */
export interface BuiltinRules {
  /** Shown as the groups' file; prefixes its errors. */
  readonly name: string;
  readonly yamlText: string;
}

/** Prometheus's generator URL: `<external>/graph?g0.expr=<escaped>&g0.tab=1`. */
export function generatorUrl(externalUrl: string, expr: string): string {
  let printed = expr;
  try {
    printed = formatExpr(parseExpr(expr));
  } catch {
    // Unparsable expressions never reach evaluation; keep the text.
  }
  return `${externalUrl}/graph?g0.expr=${queryEscape(printed)}&g0.tab=1`;
}

/** Converts rule alerts to notifier alerts (`rules/manager.go` `SendAlerts`). */
export function toNotifierAlerts(externalUrl: string, expr: string, alerts: readonly Alert[]): NotifierAlert[] {
  const url = generatorUrl(externalUrl, expr);
  return alerts.map((a) => ({
    labels: a.labels,
    annotations: a.annotations,
    startsAtMs: a.firedAtMs,
    endsAtMs: a.resolvedAtMs !== 0 ? a.resolvedAtMs : a.validUntilMs,
    generatorUrl: url,
  }));
}

export class RuleManager {
  private groupsByKey = new Map<string, Group>();
  private receivers: AlertReceiver[] = [];
  private restoredOnce = false;
  private updating: Promise<void> = Promise.resolve();
  readonly clock: Clock;

  constructor(readonly opts: RuleManagerOptions) {
    this.clock = opts.clock ?? SYSTEM_CLOCK;
  }

  /** Registers an in-process receiver of alert state changes; returns its removal. */
  addReceiver(r: AlertReceiver): () => void {
    this.receivers = [...this.receivers, r];
    return () => {
      this.receivers = this.receivers.filter((x) => x !== r);
    };
  }

  /** Groups in file, then definition order. */
  groups(): Group[] {
    return [...this.groupsByKey.values()];
  }

  /** Builds groups from parsed rule files (no I/O). */
  buildGroups(parsed: readonly { file: string; groups: readonly RuleGroupNode[] }[], s: RuleSettings, shouldRestore: boolean): Group[] {
    const ext = s.externalLabels.toRecord();
    const externalUrl = this.opts.externalUrl();
    const query = this.opts.query;
    const templateQuery = (expr: string, t: number) => query(expr, t);
    const out: Group[] = [];
    for (const { file, groups } of parsed) {
      for (const g of groups) {
        const rules: Rule[] = g.rules.map((r) => {
          const merged = { ...g.labels, ...r.labels };
          const labels = Labels.from(merged);
          const removed = Object.keys(merged).filter((k) => merged[k] === '');
          if (r.alert !== '') {
            return new AlertingRule(
              r.alert,
              r.expr,
              r.forMs,
              r.keepFiringForMs,
              labels,
              Labels.from(r.annotations),
              { externalLabels: ext, externalUrl, templateQuery, restored: !shouldRestore },
              { group: g.name, file },
              removed,
            );
          }
          return new RecordingRule(r.record, r.expr, labels, removed);
        });
        out.push(
          new Group(
            g.name,
            file,
            g.intervalMs > 0 ? g.intervalMs : s.evaluationIntervalMs,
            g.queryOffsetMs ?? s.queryOffsetMs,
            g.limit,
            rules,
            {
              query,
              appendable: this.opts.appendable,
              queryable: this.opts.queryable,
              notify: this.opts.send === null ? null : (expr, alerts) => this.opts.send?.(toNotifierAlerts(this.opts.externalUrl(), expr, alerts)),
              receivers: () => this.receivers,
              clock: this.clock,
              resendDelayMs: this.opts.resendDelayMs ?? DEFAULT_RESEND_DELAY_MS,
              outageToleranceMs: this.opts.outageToleranceMs ?? DEFAULT_OUTAGE_TOLERANCE_MS,
              forGracePeriodMs: this.opts.forGracePeriodMs ?? DEFAULT_GRACE_PERIOD_MS,
              logger: this.opts.logger,
            },
            shouldRestore,
          ),
        );
      }
    }
    return out;
  }

  /**
   * Loads the rule files and swaps groups in. Rejects with `RuleFileError` (listing
   * every problem) and keeps the current groups when any file is invalid.
   */
  update(s: RuleSettings): Promise<void> {
    const run = async (): Promise<void> => {
      const files: string[] = [];
      for (const pat of s.files) for (const f of await expandGlob(pat)) if (!files.includes(f)) files.push(f);
      const parsed: { file: string; groups: RuleGroupNode[] }[] = [];
      const errors: string[] = [];
      for (const b of s.builtin ?? []) {
        const r = parseRules(b.yamlText);
        errors.push(...r.errors.map((e) => `${b.name}: ${e}`));
        parsed.push({ file: b.name, groups: r.groups });
      }
      for (const f of files) {
        const r = await parseRuleFile(f);
        errors.push(...r.errors);
        parsed.push({ file: f, groups: r.groups });
      }
      if (errors.length > 0) throw new RuleFileError(files.join(','), errors);
      const next = this.buildGroups(parsed, s, !this.restoredOnce);
      this.restoredOnce = true;
      await this.swap(next);
    };
    this.updating = this.updating.then(run, run);
    return this.updating;
  }

  /** Replaces the running groups with `next`, keeping equal ones and carrying state over. */
  async swap(next: readonly Group[]): Promise<void> {
    const old = this.groupsByKey;
    const result = new Map<string, Group>();
    const stops: Promise<void>[] = [];
    for (const g of next) {
      const key = g.key();
      const prev = old.get(key);
      if (prev?.equals(g)) {
        result.set(key, prev);
        old.delete(key);
        continue;
      }
      if (prev !== undefined) {
        old.delete(key);
        await prev.stop(false);
        g.copyState(prev);
      }
      result.set(key, g);
      g.start();
    }
    for (const g of old.values()) stops.push(g.stop(true));
    await Promise.all(stops);
    this.groupsByKey = result;
  }

  /** Stops every group (series are not marked stale, as on Prometheus shutdown). */
  async stop(): Promise<void> {
    await this.updating.catch(() => undefined);
    await Promise.all([...this.groupsByKey.values()].map((g) => g.stop(false)));
    this.groupsByKey = new Map();
  }

  /** Active alerts of every alerting rule (pending and firing). */
  alertingRules(): AlertingRule[] {
    const out: AlertingRule[] = [];
    for (const g of this.groupsByKey.values()) for (const r of g.rules) if (r instanceof AlertingRule) out.push(r);
    return out;
  }

  /** The metrics of every group, in Prometheus's exposition names (label `rule_group`). */
  metrics(): { name: string; ruleGroup: string; value: number }[] {
    const out: { name: string; ruleGroup: string; value: number }[] = [];
    for (const g of this.groupsByKey.values()) {
      const k = g.key();
      const m = g.metrics;
      out.push(
        { name: 'prometheus_rule_evaluations_total', ruleGroup: k, value: m.evaluationsTotal },
        { name: 'prometheus_rule_evaluation_failures_total', ruleGroup: k, value: m.evaluationFailuresTotal },
        { name: 'prometheus_rule_group_iterations_total', ruleGroup: k, value: m.iterationsTotal },
        { name: 'prometheus_rule_group_iterations_missed_total', ruleGroup: k, value: m.iterationsMissedTotal },
        { name: 'prometheus_rule_group_interval_seconds', ruleGroup: k, value: g.intervalMs / 1000 },
        { name: 'prometheus_rule_group_last_duration_seconds', ruleGroup: k, value: m.lastDurationSeconds },
        { name: 'prometheus_rule_group_last_evaluation_timestamp_seconds', ruleGroup: k, value: m.lastEvaluationTimestampSeconds },
        { name: 'prometheus_rule_group_last_evaluation_samples', ruleGroup: k, value: m.lastEvaluationSamples },
        { name: 'prometheus_rule_group_rules', ruleGroup: k, value: g.rules.length },
      );
    }
    return out;
  }
}
