/**
 * Loads the raw samples every selector of a query needs, before evaluation
 * (Prometheus's `populateSeries`): one querier over the union of the needed time
 * ranges, one `select` per selector. This is the only place the engine awaits
 * storage; evaluation afterwards is synchronous over the loaded typed arrays.
 */
import type { Labels } from '../tsdb/labels.js';
import type { Queryable, SampleIterator, SelectHints } from '../tsdb/storage.js';
import { SampleBuffer, drainInto, hasLatest } from '../tsdb/sample_buffer.js';
import type { Expr, VectorSelector } from './ast.js';
import { tooManySamplesError } from './eval_errors.js';
import { EvalSeries } from './eval_series.js';

interface Need {
  sel: VectorSelector;
  mint: number;
  maxt: number;
  range: number;
  func: string;
  grouping: string[];
  by: boolean;
  /**
   * An instant selector evaluated at one time only (an instant query, or `@`):
   * only the newest sample in `[mint, maxt]` matters, so only that one is kept.
   */
  lastOnly: boolean;
}

/** The time range each selector reads, given the query's `[start, end]` (ms). */
export function selectorNeeds(root: Expr, start: number, end: number, lookbackMs: number, defaultSubqueryStepMs: number): Need[] {
  const out: Need[] = [];
  const visit = (e: Expr, s: number, t: number, func: string, grouping: string[], by: boolean): void => {
    switch (e.type) {
      case 'VectorSelector': {
        const from = e.timestamp ?? s;
        const to = e.timestamp ?? t;
        out.push({ sel: e, mint: from - e.offset - lookbackMs, maxt: to - e.offset, range: 0, func, grouping, by, lastOnly: from === to });
        return;
      }
      case 'MatrixSelector': {
        const v = e.vectorSelector;
        const from = v.timestamp ?? s;
        const to = v.timestamp ?? t;
        out.push({ sel: v, mint: from - v.offset - e.range, maxt: to - v.offset, range: e.range, func, grouping, by, lastOnly: false });
        return;
      }
      case 'SubqueryExpr': {
        const from = e.timestamp ?? s;
        const to = e.timestamp ?? t;
        const step = e.step !== 0 ? e.step : defaultSubqueryStepMs;
        visit(e.expr, from - e.offset - e.range - step, to - e.offset, '', [], false);
        return;
      }
      case 'Call':
        for (const a of e.args) visit(a, s, t, e.func.name, grouping, by);
        return;
      case 'AggregateExpr':
        if (e.param !== null) visit(e.param, s, t, func, grouping, by);
        visit(e.expr, s, t, func, e.grouping, !e.without);
        return;
      case 'BinaryExpr':
        visit(e.lhs, s, t, func, grouping, by);
        visit(e.rhs, s, t, func, grouping, by);
        return;
      case 'ParenExpr':
      case 'UnaryExpr':
      case 'StepInvariantExpr':
        visit(e.expr, s, t, func, grouping, by);
        return;
      default:
        return;
    }
  };
  visit(root, start, end, '', [], false);
  return out;
}

/** Shared scratch: a selector's samples are gathered here, then copied out in one piece. */
const scratch = new SampleBuffer(1 << 16);

/** Keeps only the newest sample in `[mint, maxt]` of `buf[off, n)` (none if there is none). */
function keepLatest(buf: SampleBuffer, off: number, mint: number, maxt: number): void {
  let j = buf.n - 1;
  while (j >= off && buf.ts[j]! > maxt) j--;
  if (j < off || buf.ts[j]! < mint) {
    buf.n = off;
    return;
  }
  if (j !== off) {
    buf.ts[off] = buf.ts[j]!;
    // Word copies: the staleness marker's NaN payload must survive.
    buf.words[2 * off] = buf.words[2 * j]!;
    buf.words[2 * off + 1] = buf.words[2 * j + 1]!;
  }
  buf.n = off + 1;
}

/** What `loadSelectorData` returns: raw series per selector and storage warnings. */
export interface SelectorData {
  data: Map<VectorSelector, EvalSeries[]>;
  warnings: string[];
}

/**
 * Selects and copies the raw samples (stale markers included) of every selector.
 * `check` is called between selectors and every 256 series (it throws on timeout
 * or cancellation). More than `maxLoaded` raw samples in total fail the query
 * with the too-many-samples error instead of exhausting memory.
 */
export async function loadSelectorData(
  q: Queryable,
  needs: readonly Need[],
  step: number,
  check: () => void,
  maxLoaded: number = Number.POSITIVE_INFINITY,
): Promise<SelectorData> {
  let loaded = 0;
  const data = new Map<VectorSelector, EvalSeries[]>();
  const warnings: string[] = [];
  if (needs.length === 0) return { data, warnings };
  let mint = Number.POSITIVE_INFINITY;
  let maxt = Number.NEGATIVE_INFINITY;
  for (const n of needs) {
    if (n.mint < mint) mint = n.mint;
    if (n.maxt > maxt) maxt = n.maxt;
  }
  const querier = await q.querier(mint, maxt);
  try {
    for (const n of needs) {
      check();
      const hints: SelectHints = {
        start: n.mint,
        end: n.maxt,
        step,
        func: n.func,
        range: n.range,
        grouping: n.grouping,
        by: n.by,
        limit: 0,
      };
      const set = await querier.select(false, hints, n.sel.matchers);
      // All series of a selector are drained into the shared scratch buffer (in bulk where
      // the storage supports it), then copied into one pair of arrays per selector; each
      // series is a view (few allocations, little GC). Filling and copying are synchronous,
      // so concurrent queries never interleave on the scratch buffer.
      const found: { labels: Labels; off: number; n: number }[] = [];
      const base = loaded;
      scratch.n = 0;
      // Bound memory before growing further (a hostile selector over a long range).
      scratch.beforeGrow = (needed: number): void => {
        if (base + needed > maxLoaded) throw tooManySamplesError();
      };
      // One iterator recycled across the series of a selector (implementations reset it in place).
      let it: SampleIterator | undefined;
      while (set.next()) {
        if ((found.length & 255) === 255) check();
        const series = set.at();
        const off = scratch.n;
        if (!(n.lastOnly && hasLatest(series) && series.latestInto(n.mint, n.maxt, scratch))) {
          it = series.iterator(it);
          drainInto(it, scratch);
          const err = it.err();
          if (err !== null) throw err;
          if (n.lastOnly) keepLatest(scratch, off, n.mint, n.maxt);
        }
        if (scratch.n > off) found.push({ labels: series.labels, off, n: scratch.n - off });
      }
      const total = scratch.n;
      loaded += total;
      if (loaded > maxLoaded) throw tooManySamplesError();
      const allT = scratch.ts.slice(0, total);
      const allV = scratch.vs.slice(0, total);
      const list: EvalSeries[] = found.map((f) =>
        EvalSeries.wrap(f.labels, false, allT.subarray(f.off, f.off + f.n), allV.subarray(f.off, f.off + f.n), f.n),
      );
      const err = set.err();
      if (err !== null) throw err;
      for (const w of set.warnings()) warnings.push(w);
      data.set(n.sel, list);
    }
  } finally {
    await querier.close();
  }
  return { data, warnings };
}
