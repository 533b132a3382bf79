/**
 * A rule group (`rules/group.go`): rules evaluated in order on the group's
 * interval, at timestamps shifted by a per-group offset
 * (`xxhash(labels{file, name}) % interval`, so groups spread over the interval),
 * results appended to storage, series that vanished marked stale, missed
 * iterations counted, `for` state restored after a restart, alerts handed to the
 * notifier and to in-process receivers.
 *
 * Concurrency: one evaluation at a time per group (the loop awaits each);
 * receivers and the notifier are called without awaiting, so they never delay it.
 */
import { prometheusLabelsHash } from '../query/xxhash64.js';
import { Labels } from '../tsdb/labels.js';
import { Matcher, MatchType } from '../tsdb/matcher.js';
import { type Appendable, isStaleNaN, NO_REF, type Queryable, STALE_NAN, ValueType } from '../tsdb/storage.js';
import { type Alert, AlertingRule } from './alerting_rule.js';
import type { Clock } from './clock.js';
import type { AlertReceiver } from './receivers.js';
import type { QueryFn, Rule, RuleSample } from './rule.js';

/** Hands alerts due for sending to the notifier; `expr` is the rule's expression. Must not block. */
export type NotifyFn = (expr: string, alerts: readonly Alert[]) => void;

export type { AlertReceiver } from './receivers.js';

/** Minimal logging the group needs. */
export interface GroupLogger {
  warn(msg: string, fields?: Readonly<Record<string, unknown>>): void;
}

/** What every group of a manager shares. */
export interface GroupOptions {
  readonly query: QueryFn;
  readonly appendable: Appendable;
  readonly queryable: Queryable;
  readonly notify: NotifyFn | null;
  readonly receivers: () => readonly AlertReceiver[];
  readonly clock: Clock;
  /** `--rules.alert.resend-delay` (1m). */
  readonly resendDelayMs: number;
  /** `--rules.alert.for-outage-tolerance` (1h). */
  readonly outageToleranceMs: number;
  /** `--rules.alert.for-grace-period` (10m). */
  readonly forGracePeriodMs: number;
  readonly logger: GroupLogger;
}

/** The `prometheus_rule_group_*` and `prometheus_rule_evaluation*` figures of one group. */
export class GroupMetrics {
  evaluationsTotal = 0;
  evaluationFailuresTotal = 0;
  iterationsTotal = 0;
  iterationsMissedTotal = 0;
  lastDurationSeconds = 0;
  lastEvaluationTimestampSeconds = 0;
  lastEvaluationSamples = 0;
}

export class Group {
  readonly metrics = new GroupMetrics();
  /** Series each rule wrote at its last evaluation, by label key. */
  seriesInPreviousEval: Map<string, Labels>[];
  /** Series of removed rules to mark stale at the next evaluation. */
  staleSeries: Labels[] = [];
  shouldRestore: boolean;
  /** ms of the last iteration's start (0 before). */
  lastEvaluationMs = 0;
  evaluationSeconds = 0;
  /** Evaluation timestamp (ms) of the last iteration. */
  lastEvalTimestampMs = 0;
  private abort: AbortController | null = null;
  private loop: Promise<void> | null = null;
  private markStale = false;

  constructor(
    readonly name: string,
    readonly file: string,
    readonly intervalMs: number,
    readonly queryOffsetMs: number,
    readonly limit: number,
    readonly rules: readonly Rule[],
    readonly opts: GroupOptions,
    shouldRestore: boolean,
  ) {
    this.seriesInPreviousEval = rules.map(() => new Map());
    this.shouldRestore = shouldRestore;
  }

  /** `file;name`, the `rule_group` label of the metrics. */
  key(): string {
    return `${this.file};${this.name}`;
  }

  /** The per-group offset (ms) within the interval. */
  offsetMs(): number {
    const h = prometheusLabelsHash(Labels.from({ name: this.name, file: this.file }));
    const ns = h % (BigInt(this.intervalMs) * 1_000_000n);
    return Number(ns / 1_000_000n);
  }

  /** Prometheus's `EvalTimestamp`: the latest slot of this group at or before `nowMs`. */
  evalTimestamp(nowMs: number): number {
    const offset = this.offsetMs();
    const adj = nowMs - offset;
    const base = adj - (((adj % this.intervalMs) + this.intervalMs) % this.intervalMs);
    return base + offset;
  }

  /** Whether `o` has the same definition (then a reload keeps this group running). */
  equals(o: Group): boolean {
    if (this.name !== o.name || this.file !== o.file || this.intervalMs !== o.intervalMs || this.limit !== o.limit || this.queryOffsetMs !== o.queryOffsetMs) return false;
    if (this.rules.length !== o.rules.length) return false;
    return this.rules.every((r, i) => r.definition() === o.rules[i]!.definition());
  }

  /** Takes over state from the group this one replaces (`CopyState`): series, alerts, timings. */
  copyState(from: Group): void {
    this.evaluationSeconds = from.evaluationSeconds;
    this.lastEvaluationMs = from.lastEvaluationMs;
    const byName = new Map<string, number[]>();
    from.rules.forEach((r, i) => {
      const k = `${r.name}\u0000${r.labels.key()}`;
      byName.set(k, [...(byName.get(k) ?? []), i]);
    });
    this.rules.forEach((r, i) => {
      const k = `${r.name}\u0000${r.labels.key()}`;
      const idx = byName.get(k) ?? [];
      const fi = idx[0];
      if (fi === undefined) return;
      byName.set(k, idx.slice(1));
      this.seriesInPreviousEval[i] = from.seriesInPreviousEval[fi]!;
      const fr = from.rules[fi];
      if (r instanceof AlertingRule && fr instanceof AlertingRule) {
        for (const [key, a] of fr.active) r.active.set(key, a);
      }
    });
    this.staleSeries = [...from.staleSeries];
    from.rules.forEach((r, fi) => {
      const k = `${r.name}\u0000${r.labels.key()}`;
      if ((byName.get(k) ?? []).length > 0) for (const l of from.seriesInPreviousEval[fi]!.values()) this.staleSeries.push(l);
    });
  }

  /** One evaluation of every rule at timestamp `ts` (ms). Never rejects. */
  async evalAt(ts: number): Promise<void> {
    let samplesTotal = 0;
    if (this.staleSeries.length > 0) {
      const app = this.opts.appendable.appender();
      for (const l of this.staleSeries) {
        try {
          app.append(NO_REF, l, ts, STALE_NAN);
        } catch {
          // Out of order or duplicate: the series already moved on.
        }
      }
      await app.commit();
      this.staleSeries = [];
    }
    for (let i = 0; i < this.rules.length; i++) {
      const rule = this.rules[i]!;
      const start = performance.now();
      rule.lastEvaluationMs = this.opts.clock.now();
      this.metrics.evaluationsTotal++;
      let vector: RuleSample[];
      try {
        vector = await rule.eval({ ts, queryOffsetMs: this.queryOffsetMs, query: this.opts.query, limit: this.limit });
      } catch (e) {
        rule.health = 'err';
        rule.lastError = e instanceof Error ? e.message : String(e);
        this.metrics.evaluationFailuresTotal++;
        this.opts.logger.warn('Evaluating rule failed', { group: this.name, file: this.file, rule: rule.name, err: rule.lastError });
        this.deliverChanges(rule);
        rule.evaluationSeconds = (performance.now() - start) / 1000;
        continue;
      }
      rule.health = 'ok';
      rule.lastError = '';
      samplesTotal += vector.length;
      if (rule instanceof AlertingRule) {
        const due = rule.alertsToSend(ts, this.opts.resendDelayMs, this.intervalMs);
        if (due.length > 0 && this.opts.notify !== null) this.opts.notify(rule.expr, due);
      }
      this.deliverChanges(rule);
      const app = this.opts.appendable.appender();
      const returned = new Map<string, Labels>();
      for (const s of vector) {
        try {
          app.append(NO_REF, s.labels, s.t, s.v);
          returned.set(s.labels.key(), s.labels);
        } catch (e) {
          rule.health = 'err';
          rule.lastError = e instanceof Error ? e.message : String(e);
        }
      }
      const staleT = ts - this.queryOffsetMs;
      for (const [k, l] of this.seriesInPreviousEval[i]!) {
        if (returned.has(k)) continue;
        try {
          app.append(NO_REF, l, staleT, STALE_NAN);
        } catch {
          // Already written at this timestamp or older: nothing to mark.
        }
      }
      try {
        await app.commit();
        this.seriesInPreviousEval[i] = returned;
      } catch (e) {
        rule.health = 'err';
        rule.lastError = e instanceof Error ? e.message : String(e);
        this.metrics.evaluationFailuresTotal++;
      }
      rule.evaluationSeconds = (performance.now() - start) / 1000;
    }
    this.metrics.lastEvaluationSamples = samplesTotal;
  }

  private deliverChanges(rule: Rule): void {
    if (!(rule instanceof AlertingRule) || rule.changes.length === 0) return;
    const changes = rule.changes;
    rule.changes = [];
    const receivers = this.opts.receivers();
    if (receivers.length === 0) return;
    // Delivered after the current evaluation step, so a slow receiver never delays rules.
    setImmediate(() => {
      for (const c of changes) {
        for (const r of receivers) {
          try {
            r(c);
          } catch (e) {
            this.opts.logger.warn('Alert receiver failed', { rule: c.rule, err: e instanceof Error ? e.message : String(e) });
          }
        }
      }
    });
  }

  /** One scheduled iteration: evaluation plus its metrics. */
  async iterate(ts: number): Promise<void> {
    this.metrics.iterationsTotal++;
    const startWall = this.opts.clock.now();
    const start = performance.now();
    await this.evalAt(ts);
    this.evaluationSeconds = (performance.now() - start) / 1000;
    this.metrics.lastDurationSeconds = this.evaluationSeconds;
    this.lastEvaluationMs = startWall;
    this.metrics.lastEvaluationTimestampSeconds = startWall / 1000;
    this.lastEvalTimestampMs = ts;
  }

  /**
   * Restores `for` state from `ALERTS_FOR_STATE` (Prometheus's `RestoreForState`):
   * active alerts of rules with `for` ≥ the grace period get the `activeAt` they had
   * before the restart, moved forward by the downtime, but never firing sooner than
   * `nowMs + grace period`.
   */
  async restoreForState(nowMs: number): Promise<void> {
    const q = await this.opts.queryable.querier(nowMs - this.opts.outageToleranceMs, nowMs);
    try {
      for (const rule of this.rules) {
        if (!(rule instanceof AlertingRule)) continue;
        const hold = rule.holdDurationMs;
        if (hold < this.opts.forGracePeriodMs) {
          rule.restored = true;
          continue;
        }
        const matchers = [new Matcher(MatchType.Equal, '__name__', 'ALERTS_FOR_STATE'), new Matcher(MatchType.Equal, 'alertname', rule.name)];
        rule.labels.forEach((n, v) => {
          // Templated label values cannot be matched literally.
          if (!v.includes('{{')) matchers.push(new Matcher(MatchType.Equal, n, v));
        });
        const ss = await q.select(false, null, matchers);
        const found = new Map<string, { t: number; v: number }>();
        while (ss.next()) {
          const s = ss.at();
          const it = s.iterator();
          let t = 0;
          const last = new Float64Array(1);
          let any = false;
          while (it.next() === ValueType.Float) {
            t = it.atT();
            last[0] = it.atV();
            any = true;
          }
          if (any) found.set(s.labels.withoutMetricName().key(), { t, v: last[0]! });
        }
        for (const a of rule.active.values()) {
          const f = found.get(a.labels.key());
          if (f === undefined || isStaleNaN(f.v)) continue;
          const downAt = Math.trunc(f.t / 1000) * 1000;
          let restoredActiveAt = Math.trunc(f.v) * 1000;
          const remaining = hold - (downAt - restoredActiveAt);
          if (remaining <= 0) {
            // It was firing when we went down; the next evaluation fires it again if still true.
          } else if (remaining < this.opts.forGracePeriodMs) {
            restoredActiveAt = nowMs + this.opts.forGracePeriodMs - hold;
          } else {
            restoredActiveAt += nowMs - downAt;
          }
          a.activeAtMs = restoredActiveAt;
        }
        rule.restored = true;
      }
    } finally {
      await q.close();
    }
  }

  /** Starts the evaluation loop. */
  start(): void {
    if (this.loop !== null) return;
    this.abort = new AbortController();
    this.loop = this.run(this.abort.signal).catch((e: unknown) => {
      this.opts.logger.warn('Rule group loop failed', { group: this.name, err: e instanceof Error ? e.message : String(e) });
    });
  }

  private async run(signal: AbortSignal): Promise<void> {
    const clock = this.opts.clock;
    const interval = this.intervalMs;
    let evalTs = this.evalTimestamp(clock.now()) + interval;
    await clock.sleep(evalTs - clock.now(), signal);
    if (signal.aborted) return;
    const tick = async (): Promise<boolean> => {
      await clock.sleep(evalTs + interval - clock.now(), signal);
      if (signal.aborted) return false;
      const missed = Math.floor((clock.now() - evalTs) / interval) - 1;
      if (missed > 0) this.metrics.iterationsMissedTotal += missed;
      evalTs += (Math.max(missed, 0) + 1) * interval;
      await this.iterate(evalTs);
      return true;
    };
    await this.iterate(evalTs);
    if (this.shouldRestore) {
      // As Prometheus: one more evaluation first, so recording rules the alerts depend on are fresh.
      if (!(await tick())) return;
      await this.restoreForState(clock.now());
      this.shouldRestore = false;
    }
    while (!signal.aborted) if (!(await tick())) return;
  }

  /** Stops the loop (waiting for a running evaluation); with `markStale`, the group's series get stale markers. */
  async stop(markStale: boolean): Promise<void> {
    this.markStale = markStale;
    this.abort?.abort();
    await this.loop;
    this.loop = null;
    if (!this.markStale) return;
    const now = this.opts.clock.now();
    const app = this.opts.appendable.appender();
    for (const m of this.seriesInPreviousEval) {
      for (const l of m.values()) {
        try {
          app.append(NO_REF, l, now, STALE_NAN);
        } catch {
          // Nothing to mark for this series.
        }
      }
    }
    await app.commit();
  }
}
