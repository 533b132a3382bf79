/**
 * The PromQL evaluator: walks an AST and evaluates every node for all steps of
 * a query at once (as Prometheus's engine does), over columnar series.
 *
 * Contract: selectors' raw data is loaded before evaluation (see
 * query/selector_data.ts), so evaluation itself is synchronous per node; the
 * evaluator awaits only between nodes, to let cancellation through. Every
 * node yields an array of `EvalSeries` (instant vectors and scalars hold
 * points on the step grid; range vectors hold raw points) or a string.
 */
import { Labels, METRIC_NAME, isValidLabelName } from '../tsdb/labels.js';
import { type StepGrid, aggregateCountValues, aggregateK, aggregateSimple, checkKParams } from './aggregation.js';
import { type Annotations, SORT_IN_RANGE_QUERY_MSG, invalidQuantileMsg, invalidRatioMsg, possibleNonCounterMsg } from './annotations.js';
import type { AggregateExpr, BinaryExpr, Call, Expr, MatrixSelector, SubqueryExpr, VectorSelector } from './ast.js';
import { typeOf } from './ast.js';
import { scalarScalar, setOp, vectorScalar, vectorVector } from './binary_ops.js';
import { UnsupportedFeatureError, canceledError, executionError, timeoutError, tooManySamplesError } from './eval_errors.js';
import { EvalSeries, dropMetadata, mergeSameLabelsets, totalPoints } from './eval_series.js';
import { type FnArg, INSTANT_FUNCTIONS, absentLabels } from './functions_impl.js';
import { labelJoin, labelReplace } from './label_functions.js';
import { type SelectSink, selectInstant, selectRange, upperBound, withoutStale } from './selector_eval.js';
import { ROLLUPS, extrapolatedRateSeries, newRollupCtx, resetPrefix, rollupKeepsName } from './rollup.js';

/** State shared by the evaluators of one query (the top level and its subqueries). */
export interface QueryState {
  /** Raw samples of each selector (stale markers included), loaded before evaluation. */
  readonly data: ReadonlyMap<VectorSelector, readonly EvalSeries[]>;
  readonly lookbackMs: number;
  readonly maxSamples: number;
  /** Step of subqueries written without one (`x[5m:]`). */
  readonly defaultSubqueryStepMs: number;
  /** Wall-clock deadline (ms since epoch). */
  readonly deadline: number;
  readonly signal: AbortSignal | null;
  readonly annotations: Annotations;
  /** The top-level query's start/end/step (for `start()`, `end()`, `step()`, `range()`). */
  readonly queryStart: number;
  readonly queryEnd: number;
  readonly queryStep: number;
  /**
   * Prometheus 3's delayed `__name__` removal (the conformance scripts' setting):
   * names are dropped at the end. When false, every node drops them at once, as
   * Prometheus does without the feature flag.
   */
  readonly delayedNameRemoval: boolean;
  /** The clock deadlines are measured with (ms). */
  readonly now: () => number;
  /** Samples currently held (what max-samples limits). */
  samples: number;
  lastYield: number;
}

type NodeValue = EvalSeries[] | string;

/** Rollup outputs up to this many points (in total) share one pair of arrays. */
const SHARED_OUTPUT_LIMIT = 1 << 23;

export class Evaluator {
  readonly grid: StepGrid;
  private readonly q: QueryState;

  /** How selector evaluation reports progress and accounts samples. */
  private readonly sink: SelectSink;

  constructor(grid: StepGrid, q: QueryState) {
    this.grid = grid;
    this.q = q;
    this.sink = { check: () => this.check(), addSamples: (n: number) => this.addSamples(n) };
  }

  private get instant(): boolean {
    return this.grid.numSteps === 1;
  }

  /** Throws when the deadline passed or the query was aborted. Cheap; call in loops. */
  check(): void {
    if (this.q.signal?.aborted) throw canceledError('expression evaluation');
    if (this.q.now() > this.q.deadline) throw timeoutError('expression evaluation');
  }

  /** Lets the event loop run (so an abort can arrive) at most every 20 ms. */
  private async checkpoint(): Promise<void> {
    this.check();
    const now = this.q.now();
    if (now - this.q.lastYield > 20) {
      this.q.lastYield = now;
      await new Promise<void>((r) => setImmediate(r));
      this.check();
    }
  }

  private addSamples(n: number): void {
    this.q.samples += n;
    if (this.q.samples > this.q.maxSamples) throw tooManySamplesError();
  }

  /** Evaluates `e` over this evaluator's steps. */
  async eval(e: Expr): Promise<NodeValue> {
    const v = await this.evalNode(e);
    if (this.q.delayedNameRemoval || typeof v === 'string') return v;
    return dropNamesNow(v);
  }

  private async evalNode(e: Expr): Promise<NodeValue> {
    await this.checkpoint();
    switch (e.type) {
      case 'NumberLiteral':
        return this.constant(e.val);
      case 'StringLiteral':
        return e.val;
      case 'ParenExpr':
      case 'StepInvariantExpr':
        return this.eval(e.expr);
      case 'UnaryExpr': {
        const v = this.series(await this.eval(e.expr));
        if (e.op === '+') return v;
        return v.map((s) => {
          const vs = new Float64Array(s.n);
          for (let i = 0; i < s.n; i++) vs[i] = -s.vs[i]!;
          return s.withValues(vs, true);
        });
      }
      case 'VectorSelector':
        return this.vectorSelector(e);
      case 'MatrixSelector':
        if (!this.instant) throw executionError('BUG: cannot do range evaluation of matrix selector');
        return this.matrixSelector(e);
      case 'SubqueryExpr': {
        const [inner] = await this.subquery(e);
        return inner;
      }
      case 'BinaryExpr':
        return this.binary(e);
      case 'AggregateExpr':
        return this.aggregate(e);
      case 'Call':
        return this.call(e);
    }
  }

  private series(v: NodeValue): EvalSeries[] {
    if (typeof v === 'string') throw executionError('BUG: expected a series value, got a string');
    return v;
  }

  /** A scalar with value `v` at every step. */
  private constant(v: number): EvalSeries[] {
    const s = new EvalSeries(Labels.EMPTY, false, this.grid.numSteps);
    for (let k = 0; k < this.grid.numSteps; k++) s.push(this.grid.start + k * this.grid.interval, v);
    return [s];
  }

  /** Per-step values of a scalar-typed expression. */
  private async scalarValues(e: Expr): Promise<Float64Array> {
    const out = new Float64Array(this.grid.numSteps).fill(Number.NaN);
    const v = this.series(await this.eval(e));
    const s = v[0];
    if (s !== undefined) for (let i = 0; i < s.n; i++) out[(s.ts[i]! - this.grid.start) / this.grid.interval] = s.vs[i]!;
    return out;
  }

  private data(sel: VectorSelector): readonly EvalSeries[] {
    const d = this.q.data.get(sel);
    if (d === undefined) throw executionError('BUG: selector data was not loaded');
    return d;
  }

  /** Instant vector selection with lookback and staleness, for every step. */
  private vectorSelector(sel: VectorSelector): EvalSeries[] {
    if (sel.anchored || sel.smoothed) throw new UnsupportedFeatureError('anchored/smoothed selectors');
    return selectInstant(this.data(sel), sel, this.grid, this.q.lookbackMs, false, this.sink);
  }

  /** `timestamp(selector)`: the timestamps of the selected samples, not the step times. */
  private timestampOfSelector(sel: VectorSelector): EvalSeries[] {
    return selectInstant(this.data(sel), sel, this.grid, this.q.lookbackMs, true, this.sink);
  }

  /** A range selector evaluated at the (single) evaluation time: raw points in the window. */
  private matrixSelector(ms: MatrixSelector): EvalSeries[] {
    return selectRange(this.data(ms.vectorSelector), ms, this.grid.start, this.sink);
  }

  /**
   * Evaluates a subquery's inner expression on the subquery's own step grid
   * (aligned to absolute multiples of its step, as Prometheus's `subqueryTimeRange`).
   * Returns the inner series and the grid used.
   */
  private async subquery(e: SubqueryExpr): Promise<[EvalSeries[], StepGrid]> {
    const outerStart = e.timestamp ?? this.grid.start;
    const outerEnd = e.timestamp ?? this.grid.start + (this.grid.numSteps - 1) * this.grid.interval;
    const interval = e.step !== 0 ? e.step : this.q.defaultSubqueryStepMs;
    const end = outerEnd - e.offset;
    const from = outerStart - e.offset - e.range;
    // Go integer division truncates toward zero.
    let start = interval * Math.trunc(from / interval);
    if (start <= from) start += interval;
    if (end < start) return [[], { start, interval, numSteps: 0 }];
    const grid: StepGrid = { start, interval, numSteps: Math.floor((end - start) / interval) + 1 };
    // Per-step buffers of the inner evaluation are sized by the step count; a subquery
    // with more steps than samples allowed cannot be evaluated within the limit.
    if (grid.numSteps > this.q.maxSamples) throw tooManySamplesError();
    const child = new Evaluator(grid, this.q);
    const v = child.series(await child.eval(e.expr));
    return [v, grid];
  }

  private async binary(e: BinaryExpr): Promise<EvalSeries[]> {
    const lt = typeOf(e.lhs);
    const rt = typeOf(e.rhs);
    const before = this.q.samples;
    const lhs = this.series(await this.eval(e.lhs));
    const rhs = this.series(await this.eval(e.rhs));
    let out: EvalSeries[];
    if (lt === 'scalar' && rt === 'scalar') {
      out = [scalarScalar(e.op, lhs[0]!, rhs[0]!, this.grid, Labels.EMPTY)];
    } else if (lt === 'vector' && rt === 'vector') {
      const m = e.vectorMatching;
      if (m === null) throw executionError('BUG: vector matching missing for a vector/vector operation');
      if (e.op === 'and' || e.op === 'or' || e.op === 'unless') out = setOp(e.op, lhs, rhs, m, this.grid);
      else out = vectorVector(e.op, lhs, rhs, m, e.returnBool, this.grid);
    } else if (lt === 'vector') {
      out = vectorScalar(e.op, lhs, rhs[0]!, false, e.returnBool, this.grid);
    } else {
      out = vectorScalar(e.op, rhs, lhs[0]!, true, e.returnBool, this.grid);
    }
    this.settle(before, out);
    return out;
  }

  /** Accounts a node's output in place of its inputs (Prometheus frees inputs after each node). */
  private settle(before: number, out: readonly EvalSeries[]): void {
    const peak = this.q.samples + totalPoints(out);
    if (peak > this.q.maxSamples) throw tooManySamplesError();
    this.q.samples = before + totalPoints(out);
  }

  private async aggregate(e: AggregateExpr): Promise<EvalSeries[]> {
    const grouping = e.grouping.slice().sort();
    const before = this.q.samples;
    if (e.op === 'count_values') {
      if (e.param === null || e.param.type !== 'StringLiteral') throw executionError('BUG: count_values needs a string parameter');
      const label = e.param.val;
      if (!isValidLabelName(label)) throw executionError(`invalid label name ${JSON.stringify(label)}`);
      const input = this.series(await this.eval(e.expr));
      const out = aggregateCountValues(input, grouping, e.without, label, this.grid);
      this.settle(before, out);
      return out;
    }
    let param: Float64Array | null = null;
    if (e.param !== null) param = await this.scalarValues(e.param);
    const input = this.series(await this.eval(e.expr));
    let out: EvalSeries[];
    switch (e.op) {
      case 'topk':
      case 'bottomk':
      case 'limitk':
      case 'limit_ratio': {
        const p = param ?? new Float64Array(this.grid.numSteps);
        if (checkKParams(e.op, p) === 'empty') {
          out = [];
          break;
        }
        if (e.op === 'limit_ratio') {
          let max = Number.NEGATIVE_INFINITY;
          let min = Number.POSITIVE_INFINITY;
          for (const v of p) {
            if (v > max) max = v;
            if (v < min) min = v;
          }
          if (max > 1) this.q.annotations.warn(invalidRatioMsg(max, 1), e.param?.posRange ?? null);
          if (min < -1) this.q.annotations.warn(invalidRatioMsg(min, -1), e.param?.posRange ?? null);
        }
        out = aggregateK(e.op, input, grouping, e.without, p, this.grid);
        break;
      }
      default: {
        if (e.op === 'quantile' && param !== null) this.quantileWarnings(param, e.param!);
        out = aggregateSimple(e.op, input, grouping, e.without, param, this.grid, this.q.maxSamples);
      }
    }
    this.settle(before, out);
    return out;
  }

  private quantileWarnings(param: Float64Array, at: Expr): void {
    let nan = false;
    let max = Number.NEGATIVE_INFINITY;
    let min = Number.POSITIVE_INFINITY;
    for (const v of param) {
      if (Number.isNaN(v)) nan = true;
      else {
        if (v > max) max = v;
        if (v < min) min = v;
      }
    }
    if (nan) this.q.annotations.warn(invalidQuantileMsg(Number.NaN), at.posRange);
    if (max > 1) this.q.annotations.warn(invalidQuantileMsg(max), at.posRange);
    if (min < 0) this.q.annotations.warn(invalidQuantileMsg(min), at.posRange);
  }

  private async call(e: Call): Promise<NodeValue> {
    const name = e.func.name;
    // Prometheus unwraps parentheses around function arguments (`rate((x[5m]))`).
    for (let i = 0; i < e.args.length; i++) {
      let a = e.args[i]!;
      while (a.type === 'ParenExpr') a = a.expr;
      e.args[i] = a;
    }
    switch (name) {
      case 'info':
        throw new UnsupportedFeatureError('info()');
      case 'start_timestamp':
        throw new UnsupportedFeatureError('start timestamps');
      case 'histogram_quantiles':
        throw new UnsupportedFeatureError('histogram_quantiles() (native histograms)');
      case 'start':
        return this.constant(this.q.queryStart / 1000);
      case 'end':
        return this.constant(this.q.queryEnd / 1000);
      case 'step':
        return this.constant(this.q.queryStep / 1000);
      case 'range':
        return this.constant((this.q.queryEnd - this.q.queryStart) / 1000);
      case 'label_replace': {
        const input = this.series(await this.eval(e.args[0]!));
        return labelReplace(input, str(e.args[1]), str(e.args[2]), str(e.args[3]), str(e.args[4]));
      }
      case 'label_join': {
        const input = this.series(await this.eval(e.args[0]!));
        return labelJoin(input, str(e.args[1]), str(e.args[2]), e.args.slice(3).map(str));
      }
      case 'timestamp': {
        const a = e.args[0]!;
        if (a.type === 'VectorSelector') return this.timestampOfSelector(a);
        break;
      }
      default:
        break;
    }
    const matrixIdx = e.args.findIndex((a) => a.type === 'MatrixSelector' || a.type === 'SubqueryExpr');
    if (matrixIdx >= 0) return this.rollupCall(e, matrixIdx);
    const impl = INSTANT_FUNCTIONS.get(name);
    if (impl === undefined) throw new UnsupportedFeatureError(`function ${name}()`);
    if ((name === 'sort' || name === 'sort_desc' || name === 'sort_by_label' || name === 'sort_by_label_desc') && !this.instant) {
      this.q.annotations.warn(SORT_IN_RANGE_QUERY_MSG, e.posRange);
    }
    const before = this.q.samples;
    const args: FnArg[] = [];
    for (const a of e.args) args.push(await this.eval(a));
    const out = impl(args, { grid: this.grid, annotations: this.q.annotations, instant: this.instant, call: e });
    this.settle(before, out);
    return out;
  }

  /** Prometheus's info for `rate`/`increase` over a metric whose name does not look like a counter (once per name). */
  private counterInfo(name: string, s: EvalSeries, e: Call, done: Set<string>): void {
    if (name !== 'rate' && name !== 'increase') return;
    const metric = s.labels.get(METRIC_NAME);
    if (metric !== '' && !done.has(metric) && !/_(total|sum|count|bucket)$/.test(metric)) {
      done.add(metric);
      this.q.annotations.info(possibleNonCounterMsg(metric), e.args[0]!.posRange);
    }
  }

  /** A function over a range vector (matrix selector or subquery), evaluated per series and step. */
  private async rollupCall(e: Call, matrixIdx: number): Promise<EvalSeries[]> {
    const name = e.func.name;
    const kernel = ROLLUPS.get(name);
    if (kernel === undefined) throw new UnsupportedFeatureError(`function ${name}() over a range vector`);
    const before = this.q.samples;
    // Scalar parameters, per step.
    const params: Float64Array[] = [];
    for (let i = 0; i < e.args.length; i++) if (i !== matrixIdx) params.push(await this.scalarValues(e.args[i]!));
    const arg = e.args[matrixIdx]!;
    let raw: readonly EvalSeries[];
    let rangeMs: number;
    let offset: number;
    let atT: number | null;
    if (arg.type === 'MatrixSelector') {
      const sel = arg.vectorSelector;
      if (sel.anchored || sel.smoothed) throw new UnsupportedFeatureError('anchored/smoothed range selectors');
      raw = withoutStale(this.data(sel));
      rangeMs = arg.range;
      offset = sel.offset;
      atT = sel.timestamp;
    } else if (arg.type === 'SubqueryExpr') {
      const [inner] = await this.subquery(arg);
      raw = inner;
      rangeMs = arg.range;
      offset = arg.offset;
      atT = arg.timestamp;
    } else throw executionError('BUG: expected a range vector argument');

    if (name === 'quantile_over_time' && params[0] !== undefined) {
      // Prometheus warns only when a series is evaluated; an empty input gives no warning.
      if (raw.some((s) => s.n > 0)) {
        for (const q of params[0]) {
          if (Number.isNaN(q) || q < 0 || q > 1) {
            this.q.annotations.warn(invalidQuantileMsg(q), e.args[0]!.posRange);
            break;
          }
        }
      }
    }

    const g = this.grid;
    const c = newRollupCtx();
    c.rangeMs = rangeMs;
    const keepName = rollupKeepsName(name);
    const infoDone = new Set<string>();
    const counter = name === 'rate' || name === 'increase';
    let resetBuf: Int32Array | null = null;
    const out: EvalSeries[] = [];
    // Output capacity per series: a point can only follow from a step whose window holds a
    // sample, so at most n·(range/step + 1) points, and never more than the steps.
    // Small enough totals share one pair of arrays (views per series): less GC.
    const stepsPerSample = atT !== null ? g.numSteps : Math.ceil(rangeMs / g.interval) + 1;
    const caps = new Int32Array(raw.length);
    let totalCap = 0;
    for (let si = 0; si < raw.length; si++) {
      const cap = Math.min(g.numSteps, raw[si]!.n * stepsPerSample);
      caps[si] = cap;
      totalCap += cap;
    }
    const shared = totalCap <= SHARED_OUTPUT_LIMIT;
    const fast = atT === null && (name === 'rate' || name === 'increase' || name === 'delta');
    const sharedT = shared ? new Float64Array(totalCap) : null;
    const sharedV = shared ? new Float64Array(totalCap) : null;
    let sharedOff = 0;
    for (let si = 0; si < raw.length; si++) {
      if ((si & 255) === 255) this.check();
      const s = raw[si]!;
      const cap = caps[si]!;
      let o: EvalSeries;
      if (sharedT !== null && sharedV !== null) {
        o = EvalSeries.wrap(s.labels, !keepName || s.dropName, sharedT.subarray(sharedOff, sharedOff + cap), sharedV.subarray(sharedOff, sharedOff + cap), 0);
        sharedOff += cap;
      } else o = new EvalSeries(s.labels, !keepName || s.dropName, Math.min(cap, 4096));
      if (counter && g.numSteps > 1) c.resets = resetBuf = resetPrefix(s.vs, s.n, resetBuf);
      if (fast) {
        // rate/increase/delta over a plain window: one pass per series.
        if (o.ts.length < cap) o = new EvalSeries(o.labels, o.dropName, cap);
        o.n = extrapolatedRateSeries(s.ts, s.vs, s.n, g.start, g.interval, g.numSteps, rangeMs, offset, counter, name === 'rate', c.resets, o.ts, o.vs);
        if (o.n > 0) {
          if (this.q.samples + o.n > this.q.maxSamples) throw tooManySamplesError();
          this.addSamples(o.n);
          out.push(o);
          this.counterInfo(name, s, e, infoDone);
        }
        continue;
      }
      let lo = 0;
      let hi = 0;
      let fixedDone = false;
      let fixedHas = false;
      let fixedVal = 0;
      for (let k = 0; k < g.numSteps; k++) {
        const t = g.start + k * g.interval;
        const ref = (atT ?? t) - offset;
        c.stepT = t;
        c.p0 = params[0]?.[k] ?? Number.NaN;
        c.p1 = params[1]?.[k] ?? Number.NaN;
        if (atT !== null && fixedDone && name !== 'predict_linear' && name !== 'double_exponential_smoothing' && name !== 'quantile_over_time') {
          if (fixedHas) o.push(t, fixedVal);
          continue;
        }
        const startT = ref - rangeMs;
        if (atT !== null) {
          lo = upperBound(s.ts, s.n, startT);
          hi = upperBound(s.ts, s.n, ref);
        } else {
          while (hi < s.n && s.ts[hi]! <= ref) hi++;
          while (lo < hi && s.ts[lo]! <= startT) lo++;
        }
        fixedDone = true;
        fixedHas = false;
        if (hi <= lo) continue;
        if (this.q.samples + (hi - lo) > this.q.maxSamples) throw tooManySamplesError();
        c.rangeStart = startT;
        c.rangeEnd = ref;
        if (kernel(s.ts, s.vs, lo, hi, c)) {
          o.push(t, c.out);
          fixedHas = true;
          fixedVal = c.out;
        }
      }
      if (o.n > 0) {
        this.addSamples(o.n);
        out.push(o);
        this.counterInfo(name, s, e, infoDone);
      }
    }
    if (name === 'absent_over_time') {
      const present = new Uint8Array(g.numSteps);
      for (const s of out) for (let i = 0; i < s.n; i++) present[(s.ts[i]! - g.start) / g.interval] = 1;
      const o = new EvalSeries(absentLabels(arg), true, 4);
      for (let k = 0; k < g.numSteps; k++) if (present[k] === 0) o.push(g.start + k * g.interval, 1);
      this.settle(before, o.n > 0 ? [o] : []);
      return o.n > 0 ? [o] : [];
    }
    this.settle(before, out);
    return out;
  }
}

/** Removes the metric name (and type/unit) from flagged series at once, merging what became equal. */
function dropNamesNow(m: EvalSeries[]): EvalSeries[] {
  let any = false;
  for (const s of m) if (s.dropName) any = true;
  if (!any) return m;
  const out: EvalSeries[] = [];
  for (const s of m) out.push(s.dropName ? EvalSeries.wrap(dropMetadata(s.labels), false, s.ts, s.vs, s.n) : s);
  return mergeSameLabelsets(out);
}

function str(e: Expr | undefined): string {
  while (e !== undefined && (e.type === 'ParenExpr' || e.type === 'StepInvariantExpr')) e = e.expr;
  if (e === undefined || e.type !== 'StringLiteral') throw executionError('BUG: expected a string literal argument');
  return e.val;
}

