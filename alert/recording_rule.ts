/**
 * A recording rule (`rules/recording.go`): evaluates its expression at
 * `ts - query_offset`, renames the result to the rule's `record` name, applies
 * the rule labels (an empty value removes the label), and rejects results with
 * duplicate label sets or more series than the group's `limit`.
 */
import { Labels, LabelsBuilder, METRIC_NAME } from '../tsdb/labels.js';
import { type Rule, RuleEvalError, type RuleEvalContext, type RuleHealth, type RuleSample } from './rule.js';

export class RecordingRule implements Rule {
  readonly kind = 'recording' as const;
  health: RuleHealth = 'unknown';
  lastError = '';
  lastEvaluationMs = 0;
  evaluationSeconds = 0;

  constructor(
    readonly name: string,
    readonly expr: string,
    readonly labels: Labels,
    /** Rule labels written with an empty value: they remove the label from the output. */
    readonly removedLabels: readonly string[] = [],
  ) {}

  async eval(ctx: RuleEvalContext): Promise<RuleSample[]> {
    const t = ctx.ts - ctx.queryOffsetMs;
    const vector = await ctx.query(this.expr, t);
    const out: RuleSample[] = [];
    const seen = new Set<string>();
    const b = new LabelsBuilder();
    for (const s of vector) {
      b.reset(s.labels);
      b.set(METRIC_NAME, this.name);
      this.labels.forEach((n, v) => {
        b.set(n, v);
      });
      for (const n of this.removedLabels) b.del(n);
      const lbls = b.labels();
      const key = lbls.key();
      if (seen.has(key)) throw new RuleEvalError('duplicate_labelset', 'vector contains metrics with the same labelset after applying rule labels');
      seen.add(key);
      out.push({ labels: lbls, t, v: s.v });
    }
    if (ctx.limit > 0 && out.length > ctx.limit) throw new RuleEvalError('limit_exceeded', `exceeded limit of ${ctx.limit} with ${out.length} series`);
    return out;
  }

  definition(): string {
    return JSON.stringify(['record', this.name, this.expr, this.labels.key(), this.removedLabels]);
  }
}

/** For tests and callers that build rules by hand. */
export function recordingRule(name: string, expr: string, labels: Readonly<Record<string, string>> = {}): RecordingRule {
  return new RecordingRule(name, expr, Labels.from(labels));
}
