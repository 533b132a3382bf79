/**
 * The input of a remote write queue: where committed samples come from.
 *
 * Prometheus's queue reads the WAL (series records, then sample records referring to
 * them by ref), so a restart or an outage loses nothing the WAL still holds. Vigil's
 * queue is written against this interface so that a WAL tailer can feed it; today the
 * only implementation is `MemorySampleSource` (fed by `TeeAppendable` on commit), which
 * survives receiver outages but not a restart of Vigil.
 *
 * Contract:
 * - `read` moves samples out of the source: each sample is handed out once, in commit
 *   order per series. It waits up to `waitMs` for the first sample and resolves with the
 *   number placed in `into` (0 on timeout or after `close`).
 * - Every `ref` handed out resolves through `seriesLabels` at least until the queue has
 *   read past it (a WAL tailer keeps series records until checkpointed).
 * - `delivered(k)`, when implemented, is called by the queue with a growing `k` once
 *   every sample of the first `k` non-empty reads has been sent (or dropped for good,
 *   e.g. on a 4xx). A durable source records its position there, so that a restart
 *   resumes after the last delivered read (at-least-once: a read in flight is resent).
 */
import type { Labels } from '../labels.js';

/** A columnar batch of samples: source series ref, timestamp (ms), value. */
export class SampleBatch {
  /** Samples held. */
  n: number;
  readonly refs: Float64Array;
  readonly ts: Float64Array;
  readonly vs: Float64Array;

  constructor(capacity: number) {
    this.n = 0;
    this.refs = new Float64Array(capacity);
    this.ts = new Float64Array(capacity);
    this.vs = new Float64Array(capacity);
  }

  get capacity(): number {
    return this.refs.length;
  }
}

export interface SampleSource {
  /** Fills `into` (from index 0, up to its capacity); see the contract above. */
  read(into: SampleBatch, waitMs: number): Promise<number>;
  /** The label set of series `ref`, or undefined if unknown (the sample is then dropped and counted). */
  seriesLabels(ref: number): Labels | undefined;
  /** Samples waiting to be read, or -1 when the source cannot tell. */
  pending(): number;
  /** Optional: the first `reads` non-empty reads are delivered (see the contract above). */
  delivered?(reads: number): void;
  /** Wakes a waiting `read` (which resolves 0); later reads resolve 0 at once. */
  close(): void;
}
