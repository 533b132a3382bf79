/**
 * The query engine: parses a query, loads the data its selectors need, evaluates
 * it (query/evaluator.ts) and shapes the result as the Prometheus API does, under
 * the limits of `--query.timeout`, `--query.max-samples` and
 * `--query.max-concurrency`.
 *
 * Concurrency: at most `maxConcurrency` queries evaluate at once; the others
 * wait in FIFO order (their timeout and abort signal apply while waiting).
 */
import { Labels } from '../tsdb/labels.js';
import type { Queryable } from '../tsdb/storage.js';
import type { StepGrid } from './aggregation.js';
import { Annotations } from './annotations.js';
import { type Expr, inspect, typeOf } from './ast.js';
import { resolveDurations } from './durations.js';
import { EvaluationError, canceledError, executionError, timeoutError } from './eval_errors.js';
import { EvalSeries, dropMetadata, hasDuplicateLabels, mergeSameLabelsets } from './eval_series.js';
import { Evaluator, type QueryState } from './evaluator.js';
import { parseExpr } from './parser.js';
import { loadSelectorData, selectorNeeds } from './selector_data.js';
import type { MatrixSeries, QueryEngine, QueryOptions, QueryResult, Value, VectorSample } from './value.js';

export type { QueryEngine, QueryOptions, QueryResult } from './value.js';

/** Engine settings; each documents its Prometheus flag and default. */
export interface EngineOptions {
  /** `--query.timeout` (Prometheus default 2m). */
  timeoutMs: number;
  /** `--query.max-samples` (Prometheus default 50,000,000). */
  maxSamples: number;
  /** `--query.lookback-delta` (default 5m). */
  lookbackDeltaMs: number;
  /** `--query.max-concurrency` (default 20). */
  maxConcurrency: number;
  /** Accept experimental functions (`--enable-feature=promql-experimental-functions`). Default false. */
  enableExperimentalFunctions?: boolean;
  /** Step of subqueries without one (Prometheus: the global evaluation interval, default 1m). */
  defaultSubqueryStepMs?: number;
  /**
   * Prometheus 3's delayed `__name__` removal (`--enable-feature=promql-delayed-name-removal`,
   * which the conformance scripts assume). Default true. When false, functions and
   * operators drop the metric name at once, as Prometheus 3 does by default and 2.x did.
   */
  enableDelayedNameRemoval?: boolean;
  /**
   * Raw samples a query may read from storage in total (the engine holds a query's
   * raw data in memory while evaluating). Default: max(maxSamples, 50,000,000).
   */
  maxLoadedSamples?: number;
  /** The clock (ms since the epoch) deadlines are measured with. Default `Date.now`; tests inject one. */
  now?: () => number;
  /** Infos are rendered into `warnings` too (Prometheus returns them separately as `infos`). Default false. */
  infosAsWarnings?: boolean;
}

/** A query result whose infos are always present. */
export interface DetailedResult extends QueryResult {
  readonly infos: string[];
}

class Semaphore {
  private active: number;
  private readonly waiting: (() => void)[];
  private readonly max: number;
  private readonly now: () => number;

  constructor(max: number, now: () => number) {
    this.active = 0;
    this.waiting = [];
    this.max = Math.max(1, max);
    this.now = now;
  }

  /** Resolves when a slot is free; rejects (and leaves the queue) on abort or deadline. */
  acquire(signal: AbortSignal | null, deadline: number): Promise<void> {
    if (this.active < this.max) {
      this.active++;
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const cleanup = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        const i = this.waiting.indexOf(grant);
        if (i >= 0) this.waiting.splice(i, 1);
      };
      const grant = (): void => {
        cleanup();
        this.active++;
        resolve();
      };
      const onAbort = (): void => {
        cleanup();
        reject(canceledError('query queue'));
      };
      const timer = setTimeout(
        () => {
          cleanup();
          reject(timeoutError('query queue'));
        },
        Math.max(0, deadline - this.now()),
      );
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiting.push(grant);
    });
  }

  release(): void {
    this.active--;
    const next = this.waiting.shift();
    if (next !== undefined) next();
  }
}

export class Engine implements QueryEngine {
  private readonly opts: Required<EngineOptions>;
  private readonly sem: Semaphore;

  constructor(opts: EngineOptions) {
    this.opts = {
      enableExperimentalFunctions: false,
      defaultSubqueryStepMs: 60_000,
      infosAsWarnings: false,
      enableDelayedNameRemoval: true,
      now: Date.now,
      maxLoadedSamples: Math.max(opts.maxSamples, 50_000_000),
      ...opts,
    };
    this.sem = new Semaphore(opts.maxConcurrency, this.opts.now);
  }

  async instantQuery(q: Queryable, expr: string, timeMs: number, opts?: QueryOptions): Promise<QueryResult> {
    return this.flatten(await this.exec(q, expr, timeMs, timeMs, 0, opts));
  }

  prepareInstant(q: Queryable, expr: string): (timeMs: number) => Promise<QueryResult> {
    const parse = () => this.parse(expr);
    const ast = parse();
    let busy = false;
    return async (timeMs) => {
      // The engine writes per-run fields into the tree (offsets, `@ start()`, duration
      // expressions): an evaluation that overlaps a running one gets its own parse.
      const own = busy ? parse() : ast;
      if (own === ast) busy = true;
      try {
        return this.flatten(await this.execAst(q, own, expr, timeMs, timeMs, 0));
      } finally {
        if (own === ast) busy = false;
      }
    };
  }

  async rangeQuery(q: Queryable, expr: string, startMs: number, endMs: number, stepMs: number, opts?: QueryOptions): Promise<QueryResult> {
    if (!(stepMs > 0)) throw executionError('zero or negative query resolution step widths are not accepted');
    if (endMs < startMs) throw executionError('end timestamp must not be before start time');
    return this.flatten(await this.exec(q, expr, startMs, endMs, stepMs, opts));
  }

  /** Like `instantQuery`/`rangeQuery` (stepMs 0 = instant) but with infos separate from warnings. */
  async exec(q: Queryable, expr: string, startMs: number, endMs: number, stepMs: number, opts?: QueryOptions): Promise<DetailedResult> {
    return this.execAst(q, this.parse(expr), expr, startMs, endMs, stepMs, opts);
  }

  private parse(expr: string): Expr {
    return parseExpr(expr, { enableExperimentalFunctions: this.opts.enableExperimentalFunctions });
  }

  /**
   * Evaluates an already parsed expression (which the engine may mutate: offsets,
   * `@ start()`). `expr` is its text, for annotation positions.
   */
  async execAst(q: Queryable, ast: Expr, expr: string, startMs: number, endMs: number, stepMs: number, opts?: QueryOptions): Promise<DetailedResult> {
    const instant = stepMs === 0;
    const t = typeOf(ast);
    if (!instant && t !== 'scalar' && t !== 'vector') {
      throw executionError(`invalid expression type "${t === 'matrix' ? 'range vector' : t}" for range query, must be Scalar or instant Vector`);
    }
    const signal = opts?.signal ?? null;
    const deadline = this.opts.now() + this.opts.timeoutMs;
    if (signal?.aborted) throw canceledError('query queue');
    await this.sem.acquire(signal, deadline);
    try {
      return await this.run(q, ast, expr, startMs, endMs, stepMs, opts, deadline);
    } finally {
      this.sem.release();
    }
  }

  private flatten(r: DetailedResult): QueryResult {
    return this.opts.infosAsWarnings ? { value: r.value, warnings: [...r.warnings, ...r.infos], infos: [] } : { value: r.value, warnings: r.warnings, infos: r.infos };
  }

  private async run(
    q: Queryable,
    ast: Expr,
    query: string,
    start: number,
    end: number,
    step: number,
    opts: QueryOptions | undefined,
    deadline: number,
  ): Promise<DetailedResult> {
    const lookbackMs = opts?.lookbackDeltaMs !== undefined && opts.lookbackDeltaMs > 0 ? opts.lookbackDeltaMs : this.opts.lookbackDeltaMs;
    const signal = opts?.signal ?? null;
    resolveDurations(ast, { stepMs: step, rangeMs: end - start });
    // `@ start()` / `@ end()` refer to the query's own range; parsed offsets become effective offsets.
    inspect(ast, (n) => {
      if (n.type === 'VectorSelector' || n.type === 'SubqueryExpr') {
        if (n.startOrEnd === 'start') n.timestamp = start;
        else if (n.startOrEnd === 'end') n.timestamp = end;
        n.offset = n.originalOffset;
      }
      return true;
    });
    const check = (): void => {
      if (signal?.aborted) throw canceledError('query preparation');
      if (this.opts.now() > deadline) throw timeoutError('query preparation');
    };
    const needs = selectorNeeds(ast, start, end, lookbackMs, this.opts.defaultSubqueryStepMs);
    const loaded = await loadSelectorData(q, needs, step, check, this.opts.maxLoadedSamples);
    const annotations = new Annotations();
    const state: QueryState = {
      data: loaded.data,
      lookbackMs,
      maxSamples: this.opts.maxSamples,
      defaultSubqueryStepMs: this.opts.defaultSubqueryStepMs,
      deadline,
      signal,
      annotations,
      queryStart: start,
      queryEnd: end,
      queryStep: step,
      delayedNameRemoval: this.opts.enableDelayedNameRemoval,
      samples: 0,
      lastYield: this.opts.now(),
      now: this.opts.now,
    };
    const instant = step === 0;
    const grid: StepGrid = instant ? { start, interval: 1, numSteps: 1 } : { start, interval: step, numSteps: Math.floor((end - start) / step) + 1 };
    const ev = new Evaluator(grid, state);
    let value: Value;
    try {
      const raw = await ev.eval(ast);
      value = shape(raw, typeOf(ast), instant, start);
    } catch (e) {
      if (e instanceof EvaluationError) throw e;
      if (e instanceof RangeError && /Invalid array length|Array buffer allocation failed/.test(e.message)) {
        throw executionError(`query needs more memory than available: ${e.message}`);
      }
      throw e;
    }
    const rendered = annotations.render(query);
    return { value, warnings: [...loaded.warnings, ...rendered.warnings], infos: rendered.infos };
  }
}

/** Removes `__name__` (and `__type__`, `__unit__`) from series marked for it (delayed name removal). */
function cleanup(m: EvalSeries[]): EvalSeries[] {
  const out: EvalSeries[] = [];
  for (const s of m) {
    if (s.dropName) out.push(EvalSeries.wrap(dropMetadata(s.labels), false, s.ts, s.vs, s.n));
    else out.push(s);
  }
  return out;
}

/** Converts the evaluator's output into the API value for the expression's type. */
function shape(raw: EvalSeries[] | string, type: string, instant: boolean, t: number): Value {
  if (typeof raw === 'string') return { type: 'string', t, v: raw };
  if (instant && type === 'scalar') return { type: 'scalar', t, v: raw[0]?.vs[0] ?? Number.NaN };
  if (instant && type === 'vector') {
    const m = cleanup(raw);
    if (hasDuplicateLabels(m)) throw executionError('vector cannot contain metrics with the same labelset');
    const series: VectorSample[] = m.map((s) => ({ labels: s.labels, t, v: s.vs[0]! }));
    return { type: 'vector', series };
  }
  // Range vectors of instant queries, and every range query: a matrix sorted by labels.
  const m = mergeSameLabelsets(cleanup(raw));
  m.sort((a, b) => Labels.compare(a.labels, b.labels));
  // Views, not copies: the evaluator's arrays are not used after this.
  const series: MatrixSeries[] = m.map((s) => ({ labels: s.labels, ts: s.ts.subarray(0, s.n), vs: s.vs.subarray(0, s.n) }));
  return { type: 'matrix', series };
}
