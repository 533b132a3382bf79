/**
 * A `Storage` that combines a primary storage with secondary queryables (remote read
 * endpoints): writes and lifecycle go to the primary; reads merge every source.
 *
 * Merging: each source is selected sorted, and the series sets are merged k-way by
 * `Labels.compare`. Series with equal labels from several sources become one series
 * whose samples are merged by timestamp; at an identical timestamp the primary's sample
 * wins (then the first secondary's, and so on). Failures of secondaries — opening a
 * querier, selecting, or an error ending their series set — become warnings; failures of
 * the primary fail the read, as in Prometheus's fanout storage.
 */
import { Labels } from './labels.js';
import type { Matcher } from './matcher.js';
import {
  type Appender,
  type LabelHints,
  type Querier,
  type Queryable,
  type SampleIterator,
  type SelectHints,
  type Series,
  type SeriesSet,
  type Storage,
  ValueType,
} from './storage.js';

export class FanoutStorage implements Storage {
  private readonly primary: Storage;
  private readonly secondaries: () => readonly Queryable[];

  /** `secondaries` is read on every `querier` call, so the set can change with configuration reloads. */
  constructor(primary: Storage, secondaries: () => readonly Queryable[]) {
    this.primary = primary;
    this.secondaries = secondaries;
  }

  appender(): Appender {
    return this.primary.appender();
  }

  async querier(mint: number, maxt: number): Promise<Querier> {
    const primary = await this.primary.querier(mint, maxt);
    const secs = this.secondaries();
    if (secs.length === 0) return primary;
    const warnings: string[] = [];
    const others: Querier[] = [];
    await Promise.all(
      secs.map(async (s) => {
        try {
          others.push(await s.querier(mint, maxt));
        } catch (e) {
          warnings.push(e instanceof Error ? e.message : String(e));
        }
      }),
    );
    return new FanoutQuerier(primary, others, warnings);
  }

  startTime(): Promise<number> {
    return this.primary.startTime();
  }

  close(): Promise<void> {
    return this.primary.close();
  }
}

class FanoutQuerier implements Querier {
  constructor(
    private readonly primary: Querier,
    private readonly secondaries: readonly Querier[],
    private readonly warns: readonly string[],
  ) {}

  async select(sortSeries: boolean, hints: SelectHints | null, matchers: readonly Matcher[]): Promise<SeriesSet> {
    const sets = await Promise.all([
      this.primary.select(true, hints, matchers),
      ...this.secondaries.map(async (q) => {
        try {
          return await q.select(true, hints, matchers);
        } catch (e) {
          return new ErrorWarningSet(e instanceof Error ? e.message : String(e));
        }
      }),
    ]);
    void sortSeries; // merged output is always sorted
    const limit = hints?.limit ?? 0;
    return new MergeSeriesSet(sets, [...this.warns], limit);
  }

  async labelNames(matchers: readonly Matcher[], hints?: LabelHints): Promise<string[]> {
    return this.union((q) => q.labelNames(matchers, hints), hints);
  }

  async labelValues(name: string, matchers: readonly Matcher[], hints?: LabelHints): Promise<string[]> {
    return this.union((q) => q.labelValues(name, matchers, hints), hints);
  }

  private async union(fn: (q: Querier) => Promise<string[]>, hints?: LabelHints): Promise<string[]> {
    const all = new Set(await fn(this.primary));
    for (const q of this.secondaries) {
      try {
        for (const v of await fn(q)) all.add(v);
      } catch {
        // Secondary failures do not fail metadata lookups.
      }
    }
    const out = [...all].sort();
    return hints !== undefined && hints.limit > 0 ? out.slice(0, hints.limit) : out;
  }

  async close(): Promise<void> {
    await Promise.all([this.primary.close(), ...this.secondaries.map((q) => q.close().catch(() => {}))]);
  }
}

/** A series set that failed to open: no series, one warning. */
class ErrorWarningSet implements SeriesSet {
  constructor(private readonly msg: string) {}
  next(): boolean {
    return false;
  }
  at(): Series {
    throw new RangeError('no series');
  }
  err(): Error | null {
    return null;
  }
  warnings(): readonly string[] {
    return [this.msg];
  }
}

/**
 * K-way merge of sorted series sets. Set 0 is the primary: its error fails the merge;
 * errors of the others become warnings.
 */
export class MergeSeriesSet implements SeriesSet {
  private readonly sets: SeriesSet[];
  /** Whether set i has a current series. */
  private readonly live: boolean[];
  private readonly warns: string[];
  private readonly limit: number;
  private emitted: number;
  private cur: Series | null;
  private error: Error | null;
  private started: boolean;

  constructor(sets: SeriesSet[], warnings: string[] = [], limit = 0) {
    this.sets = sets;
    this.live = sets.map(() => false);
    this.warns = warnings;
    this.limit = limit;
    this.emitted = 0;
    this.cur = null;
    this.error = null;
    this.started = false;
  }

  private advance(i: number): void {
    const s = this.sets[i]!;
    this.live[i] = s.next();
    if (!this.live[i]) {
      const e = s.err();
      if (e !== null) {
        if (i === 0) this.error = e;
        else this.warns.push(e.message);
      }
    }
  }

  next(): boolean {
    if (this.error !== null) return false;
    if (!this.started) {
      this.started = true;
      for (let i = 0; i < this.sets.length; i++) this.advance(i);
    } else if (this.cur !== null) {
      // Advance every set that contributed to the current series.
      const labels = this.cur.labels;
      for (let i = 0; i < this.sets.length; i++) {
        if (this.live[i] && Labels.compare(this.sets[i]!.at().labels, labels) === 0) this.advance(i);
      }
    }
    if (this.error !== null || (this.limit > 0 && this.emitted >= this.limit)) {
      this.cur = null;
      return false;
    }
    let min: Labels | null = null;
    for (let i = 0; i < this.sets.length; i++) {
      if (!this.live[i]) continue;
      const l = this.sets[i]!.at().labels;
      if (min === null || Labels.compare(l, min) < 0) min = l;
    }
    if (min === null) {
      this.cur = null;
      return false;
    }
    const parts: Series[] = [];
    for (let i = 0; i < this.sets.length; i++) {
      if (this.live[i] && Labels.compare(this.sets[i]!.at().labels, min) === 0) parts.push(this.sets[i]!.at());
    }
    this.cur = parts.length === 1 ? parts[0]! : new MergedSeries(min, parts);
    this.emitted++;
    return true;
  }

  at(): Series {
    if (this.cur === null) throw new RangeError('SeriesSet.at() called without a successful next()');
    return this.cur;
  }

  err(): Error | null {
    return this.error;
  }

  warnings(): readonly string[] {
    const all = [...this.warns];
    for (const s of this.sets) all.push(...s.warnings());
    return [...new Set(all)];
  }
}

/** One series from several sources; earlier parts win at equal timestamps. */
class MergedSeries implements Series {
  constructor(
    readonly labels: Labels,
    private readonly parts: readonly Series[],
  ) {}

  iterator(): SampleIterator {
    return new MergedIterator(this.parts.map((p) => p.iterator()));
  }
}

class MergedIterator implements SampleIterator {
  private readonly its: SampleIterator[];
  /** Current timestamp of each iterator, +Infinity when exhausted, NaN before the first step. */
  private readonly heads: Float64Array;
  private t: number;
  private v: number;
  private started: boolean;

  constructor(its: SampleIterator[]) {
    this.its = its;
    this.heads = new Float64Array(its.length).fill(Number.NaN);
    this.t = Number.NaN;
    this.v = Number.NaN;
    this.started = false;
  }

  private pick(): ValueType {
    let best = -1;
    let bt = Number.POSITIVE_INFINITY;
    for (let i = 0; i < this.its.length; i++) {
      const h = this.heads[i]!;
      if (h < bt) {
        bt = h;
        best = i;
      }
    }
    if (best < 0) return ValueType.None;
    this.t = bt;
    this.v = this.its[best]!.atV();
    return ValueType.Float;
  }

  private step(i: number): void {
    this.heads[i] = this.its[i]!.next() !== ValueType.None ? this.its[i]!.atT() : Number.POSITIVE_INFINITY;
  }

  next(): ValueType {
    if (!this.started) {
      this.started = true;
      for (let i = 0; i < this.its.length; i++) this.step(i);
    } else {
      // Drop the current timestamp from every iterator that holds it (de-duplication).
      for (let i = 0; i < this.its.length; i++) if (this.heads[i] === this.t) this.step(i);
    }
    return this.pick();
  }

  seek(t: number): ValueType {
    if (this.started && this.t >= t) return ValueType.Float;
    this.started = true;
    for (let i = 0; i < this.its.length; i++) {
      const h = this.heads[i]!;
      if (Number.isNaN(h) || h < t) {
        this.heads[i] = this.its[i]!.seek(t) !== ValueType.None ? this.its[i]!.atT() : Number.POSITIVE_INFINITY;
      }
    }
    return this.pick();
  }

  atT(): number {
    return this.t;
  }

  atV(): number {
    return this.v;
  }

  err(): Error | null {
    return this.its[0]!.err();
  }
}
