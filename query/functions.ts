/**
 * The PromQL function table: names and type signatures (Prometheus's
 * `promql/parser/functions.go`). Implementations live in the engine; this table
 * is what the parser type-checks calls against.
 */
import type { ValueType } from './ast.js';

/** A PromQL function's signature. */
export interface FunctionDef {
  readonly name: string;
  /** Types of the positional arguments. With `variadic > 0`, the last `variadic` may be repeated/omitted as Prometheus does. */
  readonly argTypes: readonly ValueType[];
  /**
   * 0: exactly `argTypes.length` arguments. n > 0: the last argument type is optional
   * and may appear up to n times in total beyond `argTypes.length - 1` (Prometheus semantics:
   * between `argTypes.length - 1` and `argTypes.length - 1 + n` arguments).
   * -1: at least `argTypes.length - 1` arguments, the last type repeated without limit.
   */
  readonly variadic: number;
  readonly returnType: ValueType;
  /** Needs experimental functions enabled (Prometheus's `--enable-feature=promql-experimental-functions`). */
  readonly experimental: boolean;
}

const T: Record<string, ValueType> = { v: 'vector', m: 'matrix', s: 'scalar', S: 'string' };

// name, argument types (v instant vector, m range vector, s scalar, S string), return type,
// variadic, experimental. Kept as one line per function so the table reads like the reference.
const SPEC: readonly (readonly [string, string, string, number, boolean])[] = [
  ['abs', 'v', 'v', 0, false],
  ['absent', 'v', 'v', 0, false],
  ['absent_over_time', 'm', 'v', 0, false],
  ['acos', 'v', 'v', 0, false],
  ['acosh', 'v', 'v', 0, false],
  ['asin', 'v', 'v', 0, false],
  ['asinh', 'v', 'v', 0, false],
  ['atan', 'v', 'v', 0, false],
  ['atanh', 'v', 'v', 0, false],
  ['avg_over_time', 'm', 'v', 0, false],
  ['ceil', 'v', 'v', 0, false],
  ['changes', 'm', 'v', 0, false],
  ['clamp', 'vss', 'v', 0, false],
  ['clamp_max', 'vs', 'v', 0, false],
  ['clamp_min', 'vs', 'v', 0, false],
  ['cos', 'v', 'v', 0, false],
  ['cosh', 'v', 'v', 0, false],
  ['count_over_time', 'm', 'v', 0, false],
  ['days_in_month', 'v', 'v', 1, false],
  ['day_of_month', 'v', 'v', 1, false],
  ['day_of_week', 'v', 'v', 1, false],
  ['day_of_year', 'v', 'v', 1, false],
  ['deg', 'v', 'v', 0, false],
  ['delta', 'm', 'v', 0, false],
  ['deriv', 'm', 'v', 0, false],
  ['double_exponential_smoothing', 'mss', 'v', 0, true],
  ['end', '', 's', 0, true],
  ['exp', 'v', 'v', 0, false],
  ['first_over_time', 'm', 'v', 0, false],
  ['floor', 'v', 'v', 0, false],
  ['histogram_avg', 'v', 'v', 0, false],
  ['histogram_count', 'v', 'v', 0, false],
  ['histogram_fraction', 'ssv', 'v', 0, false],
  ['histogram_quantile', 'sv', 'v', 0, false],
  ['histogram_quantiles', 'vSss', 'v', 9, true],
  ['histogram_stddev', 'v', 'v', 0, false],
  ['histogram_stdvar', 'v', 'v', 0, false],
  ['histogram_sum', 'v', 'v', 0, false],
  ['hour', 'v', 'v', 1, false],
  ['idelta', 'm', 'v', 0, false],
  ['increase', 'm', 'v', 0, false],
  ['info', 'vv', 'v', 1, true],
  ['irate', 'm', 'v', 0, false],
  ['label_join', 'vSSS', 'v', -1, false],
  ['label_replace', 'vSSSS', 'v', 0, false],
  ['last_over_time', 'm', 'v', 0, false],
  ['ln', 'v', 'v', 0, false],
  ['log10', 'v', 'v', 0, false],
  ['log2', 'v', 'v', 0, false],
  ['mad_over_time', 'm', 'v', 0, true],
  ['max_of', 'ss', 's', 0, true],
  ['max_over_time', 'm', 'v', 0, false],
  ['min_of', 'ss', 's', 0, true],
  ['min_over_time', 'm', 'v', 0, false],
  ['minute', 'v', 'v', 1, false],
  ['month', 'v', 'v', 1, false],
  ['pi', '', 's', 0, false],
  ['predict_linear', 'ms', 'v', 0, false],
  ['present_over_time', 'm', 'v', 0, false],
  ['quantile_over_time', 'sm', 'v', 0, false],
  ['rad', 'v', 'v', 0, false],
  ['range', '', 's', 0, true],
  ['rate', 'm', 'v', 0, false],
  ['resets', 'm', 'v', 0, false],
  ['round', 'vs', 'v', 1, false],
  ['scalar', 'v', 's', 0, false],
  ['sgn', 'v', 'v', 0, false],
  ['sin', 'v', 'v', 0, false],
  ['sinh', 'v', 'v', 0, false],
  ['sort', 'v', 'v', 0, false],
  ['sort_by_label', 'vS', 'v', -1, true],
  ['sort_by_label_desc', 'vS', 'v', -1, true],
  ['sort_desc', 'v', 'v', 0, false],
  ['sqrt', 'v', 'v', 0, false],
  ['start', '', 's', 0, true],
  ['start_timestamp', 'v', 'v', 0, true],
  ['stddev_over_time', 'm', 'v', 0, false],
  ['stdvar_over_time', 'm', 'v', 0, false],
  ['step', '', 's', 0, true],
  ['sum_over_time', 'm', 'v', 0, false],
  ['tan', 'v', 'v', 0, false],
  ['tanh', 'v', 'v', 0, false],
  ['time', '', 's', 0, false],
  ['timestamp', 'v', 'v', 0, false],
  ['ts_of_first_over_time', 'm', 'v', 0, true],
  ['ts_of_last_over_time', 'm', 'v', 0, true],
  ['ts_of_max_over_time', 'm', 'v', 0, true],
  ['ts_of_min_over_time', 'm', 'v', 0, true],
  ['vector', 's', 'v', 0, false],
  ['year', 'v', 'v', 1, false],
];

function build(): ReadonlyMap<string, FunctionDef> {
  const m = new Map<string, FunctionDef>();
  for (const [name, args, ret, variadic, experimental] of SPEC) {
    const argTypes = Array.from(args, (c) => T[c]!);
    m.set(name, Object.freeze({ name, argTypes: Object.freeze(argTypes), variadic, returnType: T[ret]!, experimental }));
  }
  return m;
}

/** Every PromQL function by name. The objects are frozen and shared by all ASTs. */
export const FUNCTIONS: ReadonlyMap<string, FunctionDef> = build();

/** The function named `name`, or undefined. */
export function getFunction(name: string): FunctionDef | undefined {
  return FUNCTIONS.get(name);
}
