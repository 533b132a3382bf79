/**
 * An alerting rule (`rules/alerting.go`): the inactive → pending → firing state
 * machine with `for` and `keep_firing_for`, resolved alerts kept for 15 minutes
 * so they are re-sent as resolved, templated labels and annotations, the group
 * `limit`, the `ALERTS` / `ALERTS_FOR_STATE` output series, and which alerts
 * need (re)sending to Alertmanager.
 *
 * Times are ms since the epoch. An alert's timestamps are 0 when unset.
 */
import { Labels, LabelsBuilder, METRIC_NAME } from '../tsdb/labels.js';
import { type Rule, RuleEvalError, type RuleEvalContext, type RuleHealth, type RuleSample } from './rule.js';
import { expandAlertTemplate } from './template/expander.js';
import type { TemplateQueryFn } from './template/functions.js';

/** How long resolved alerts are kept (and re-sent as resolved). */
export const RESOLVED_RETENTION_MS = 15 * 60 * 1000;

export type AlertState = 'inactive' | 'pending' | 'firing';

/** One alert of an alerting rule. */
export interface Alert {
  state: AlertState;
  readonly labels: Labels;
  annotations: Labels;
  /** The value of the sample that produced the alert at the last evaluation. */
  value: number;
  activeAtMs: number;
  firedAtMs: number;
  resolvedAtMs: number;
  lastSentAtMs: number;
  /** Whether the alert was ever handed to the notifier (lastSentAtMs 0 is a valid time in tests). */
  sent: boolean;
  validUntilMs: number;
  keepFiringSinceMs: number;
}

/** A change of an alert's state, as delivered to in-process receivers. */
export interface AlertStateChange {
  readonly rule: string;
  readonly group: string;
  readonly file: string;
  readonly from: AlertState;
  readonly to: AlertState;
  /** A snapshot of the alert after the change. */
  readonly alert: Readonly<Alert>;
  /** Evaluation timestamp (ms). */
  readonly ts: number;
}

/** What an alerting rule needs besides its definition. */
export interface AlertingRuleOptions {
  readonly externalLabels: Readonly<Record<string, string>>;
  readonly externalUrl: string;
  /** For the `query` template function; null disables it. */
  readonly templateQuery: TemplateQueryFn | null;
  /** Whether `for` state is already restored (ALERTS series are written only then). Default true. */
  readonly restored?: boolean;
}

export class AlertingRule implements Rule {
  readonly kind = 'alerting' as const;
  health: RuleHealth = 'unknown';
  lastError = '';
  lastEvaluationMs = 0;
  evaluationSeconds = 0;
  /** Active alerts (pending, firing, and resolved ones within retention) by label-set key. */
  readonly active = new Map<string, Alert>();
  restored: boolean;
  /** State changes of the last evaluation (drained by the group after each evaluation). */
  changes: AlertStateChange[] = [];

  constructor(
    readonly name: string,
    readonly expr: string,
    readonly holdDurationMs: number,
    readonly keepFiringForMs: number,
    readonly labels: Labels,
    readonly annotations: Labels,
    readonly opts: AlertingRuleOptions,
    /** Group and file, for state-change records. */
    readonly origin: { group: string; file: string } = { group: '', file: '' },
    /** Rule labels written with an empty value: they remove the label from alerts (Prometheus's `Builder.Set` with ""). */
    readonly removedLabels: readonly string[] = [],
  ) {
    this.restored = opts.restored ?? true;
  }

  definition(): string {
    return JSON.stringify(['alert', this.name, this.expr, this.holdDurationMs, this.keepFiringForMs, this.labels.key(), this.annotations.key(), this.removedLabels]);
  }

  private change(a: Alert, from: AlertState, ts: number): void {
    if (from === a.state) return;
    this.changes.push({ rule: this.name, group: this.origin.group, file: this.origin.file, from, to: a.state, alert: { ...a }, ts });
  }

  async eval(ctx: RuleEvalContext): Promise<RuleSample[]> {
    const ts = ctx.ts;
    const qt = ts - ctx.queryOffsetMs;
    const res = await ctx.query(this.expr, qt);
    const fresh = new Map<string, Alert>();
    const b = new LabelsBuilder();
    const fctx = { timeMs: ts, externalUrl: this.opts.externalUrl, queryFn: this.opts.templateQuery };
    for (const s of res) {
      const tmplLabels = s.labels.toRecord();
      const data = { labels: tmplLabels, externalLabels: this.opts.externalLabels, externalUrl: this.opts.externalUrl, value: s.v };
      b.reset(s.labels);
      b.del(METRIC_NAME);
      for (const n of this.removedLabels) b.del(n);
      for (let i = 0; i < this.labels.length; i++) {
        const v = await expandAlertTemplate(this.name, this.labels.value(i), data, fctx);
        if (v === '') b.del(this.labels.name(i));
        else b.set(this.labels.name(i), v);
      }
      b.set('alertname', this.name);
      const ann: [string, string][] = [];
      for (let i = 0; i < this.annotations.length; i++) {
        ann.push([this.annotations.name(i), await expandAlertTemplate(this.name, this.annotations.value(i), data, fctx)]);
      }
      const lbls = b.labels();
      const key = lbls.key();
      if (fresh.has(key)) throw new RuleEvalError('duplicate_labelset', 'vector contains metrics with the same labelset after applying alert labels');
      fresh.set(key, {
        state: 'pending',
        labels: lbls,
        annotations: Labels.from(ann),
        value: s.v,
        activeAtMs: ts,
        firedAtMs: 0,
        resolvedAtMs: 0,
        lastSentAtMs: 0,
        sent: false,
        validUntilMs: 0,
        keepFiringSinceMs: 0,
      });
    }
    for (const [key, a] of fresh) {
      const cur = this.active.get(key);
      if (cur !== undefined && cur.state !== 'inactive') {
        cur.value = a.value;
        cur.annotations = a.annotations;
        continue;
      }
      this.active.set(key, a);
      this.change(a, 'inactive', ts);
    }
    const out: RuleSample[] = [];
    let numActivePending = 0;
    for (const [key, a] of this.active) {
      if (!fresh.has(key)) {
        let keepFiring = false;
        if (a.state === 'firing' && this.keepFiringForMs > 0) {
          if (a.keepFiringSinceMs === 0) a.keepFiringSinceMs = ts;
          if (ts - a.keepFiringSinceMs < this.keepFiringForMs) keepFiring = true;
        }
        if (a.state === 'pending' || (a.resolvedAtMs !== 0 && ts - a.resolvedAtMs > RESOLVED_RETENTION_MS)) this.active.delete(key);
        if (a.state !== 'inactive' && !keepFiring) {
          const from = a.state;
          a.state = 'inactive';
          a.resolvedAtMs = ts;
          this.change(a, from, ts);
        }
        if (!keepFiring) continue;
      } else {
        a.keepFiringSinceMs = 0;
      }
      numActivePending++;
      if (a.state === 'pending' && ts - a.activeAtMs >= this.holdDurationMs) {
        a.state = 'firing';
        a.firedAtMs = ts;
        this.change(a, 'pending', ts);
      } else if (a.state === 'firing' && ts - a.activeAtMs < this.holdDurationMs) {
        // `for` was raised by a reload: back to pending until the new duration passed.
        a.state = 'pending';
        a.firedAtMs = 0;
        a.lastSentAtMs = 0;
        a.sent = false;
        a.keepFiringSinceMs = 0;
        this.change(a, 'firing', ts);
      }
      if (this.restored) {
        out.push(this.alertsSample(a, qt));
        out.push(this.forStateSample(a, qt));
      }
    }
    if (ctx.limit > 0 && numActivePending > ctx.limit) {
      this.active.clear();
      throw new RuleEvalError('limit_exceeded', `exceeded limit of ${ctx.limit} with ${numActivePending} alerts`);
    }
    return out;
  }

  /** `ALERTS{alertname, alertstate, …labels} 1`. */
  alertsSample(a: Alert, t: number): RuleSample {
    const b = new LabelsBuilder(a.labels);
    b.set(METRIC_NAME, 'ALERTS');
    b.set('alertstate', a.state);
    return { labels: b.labels(), t, v: 1 };
  }

  /** `ALERTS_FOR_STATE{alertname, …labels} <activeAt seconds>`. */
  forStateSample(a: Alert, t: number): RuleSample {
    const b = new LabelsBuilder(a.labels);
    b.set(METRIC_NAME, 'ALERTS_FOR_STATE');
    return { labels: b.labels(), t, v: Math.trunc(a.activeAtMs / 1000) };
  }

  /** Alerts in pending or firing state (resolved ones excluded). */
  activeAlerts(): Alert[] {
    return [...this.active.values()].filter((a) => a.state !== 'inactive');
  }

  /** The rule's state: firing if any alert fires, else pending if any is pending, else inactive. */
  state(): AlertState {
    let s: AlertState = 'inactive';
    for (const a of this.active.values()) {
      if (a.state === 'firing') return 'firing';
      if (a.state === 'pending') s = 'pending';
    }
    return s;
  }

  /**
   * Alerts due for sending at `ts` (Prometheus's `needsSending`): not pending, and
   * resolved since last sent or not sent within `resendDelayMs`. Marks them sent and
   * sets `validUntil = ts + 4 * max(interval, resendDelay)`. Returns copies.
   */
  alertsToSend(ts: number, resendDelayMs: number, intervalMs: number): Alert[] {
    const out: Alert[] = [];
    for (const a of this.active.values()) {
      if (a.state === 'pending') continue;
      const resolvedSinceSent = a.resolvedAtMs > a.lastSentAtMs;
      if (a.sent && !resolvedSinceSent && !(a.lastSentAtMs + resendDelayMs < ts)) continue;
      a.lastSentAtMs = ts;
      a.sent = true;
      a.validUntilMs = ts + 4 * Math.max(intervalMs, resendDelayMs);
      out.push({ ...a });
    }
    return out;
  }
}
