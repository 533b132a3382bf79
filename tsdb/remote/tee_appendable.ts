/**
 * An `Appendable` that writes through to a primary one and, once a transaction has
 * committed there, hands its samples to the remote write sources (one per
 * `remote_write` queue). Samples the primary rejected are not forwarded; a rollback
 * forwards nothing. Stand-in until the queues tail the WAL (see sample_source.ts).
 */
import type { Labels } from '../labels.js';
import type { Appendable, Appender, SeriesRef } from '../storage.js';
import type { MemorySampleSource, SeriesTable } from './memory_sample_source.js';

class TeeAppender implements Appender {
  private readonly inner: Appender;
  private readonly tee: TeeAppendable;
  private refs: Float64Array;
  private ts: Float64Array;
  private vs: Float64Array;
  private n: number;

  constructor(inner: Appender, tee: TeeAppendable) {
    this.inner = inner;
    this.tee = tee;
    this.refs = new Float64Array(64);
    this.ts = new Float64Array(64);
    this.vs = new Float64Array(64);
    this.n = 0;
  }

  append(ref: SeriesRef, labels: Labels, t: number, v: number): SeriesRef {
    const out = this.inner.append(ref, labels, t, v);
    if (!this.tee.active()) return out;
    if (this.n === this.ts.length) {
      const grow = (a: Float64Array) => {
        const b = new Float64Array(a.length * 2);
        b.set(a);
        return b;
      };
      this.refs = grow(this.refs);
      this.ts = grow(this.ts);
      this.vs = grow(this.vs);
    }
    this.refs[this.n] = this.tee.table.ref(labels);
    this.ts[this.n] = t;
    this.vs[this.n] = v;
    this.n++;
    return out;
  }

  async commit(): Promise<void> {
    await this.inner.commit();
    if (this.n > 0) this.tee.forward(this.refs, this.ts, this.vs, this.n);
    this.n = 0;
  }

  async rollback(): Promise<void> {
    this.n = 0;
    await this.inner.rollback();
  }
}

export class TeeAppendable implements Appendable {
  readonly table: SeriesTable;
  private readonly primary: Appendable;
  private readonly sources: () => readonly MemorySampleSource[];

  /** `sources` is read on every commit, so queues can come and go with configuration reloads. */
  constructor(primary: Appendable, table: SeriesTable, sources: () => readonly MemorySampleSource[]) {
    this.primary = primary;
    this.table = table;
    this.sources = sources;
  }

  appender(): Appender {
    return new TeeAppender(this.primary.appender(), this);
  }

  /** @internal Whether any queue listens (otherwise appenders record nothing). */
  active(): boolean {
    return this.sources().length > 0;
  }

  /** @internal */
  forward(refs: Float64Array, ts: Float64Array, vs: Float64Array, n: number): void {
    for (const s of this.sources()) s.push(refs, ts, vs, n);
  }
}
