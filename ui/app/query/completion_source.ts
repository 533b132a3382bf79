/**
 * Suggestions for a completion context: metric names, PromQL functions,
 * aggregations and keywords, label names and label values. Names come from the
 * API (`label/__name__/values`, `labels`, `label/<name>/values`, narrowed by
 * `match[]` when the metric is known) and are cached per page load for a
 * minute. At most `MAX_SUGGESTIONS` are offered (prefix matches first), so a
 * server with tens of thousands of metric names stays responsive.
 */
import { FUNCTIONS } from '../../../query/functions.js';
import { apiGet } from '../api.js';
import { arr, str } from '../decode.js';
import type { CompletionContext } from './completion_context.js';

/** One suggestion. `insert` replaces the text from the context's `from` to the cursor. */
export interface Suggestion {
  readonly label: string;
  readonly kind: 'metric' | 'function' | 'aggregation' | 'keyword' | 'label' | 'value';
  readonly insert: string;
}

export const MAX_SUGGESTIONS = 50;
const CACHE_MS = 60_000;

const AGGREGATIONS = ['sum', 'min', 'max', 'avg', 'group', 'stddev', 'stdvar', 'count', 'count_values', 'bottomk', 'topk', 'quantile', 'limitk', 'limit_ratio'];
const KEYWORDS = ['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'offset', 'bool', 'and', 'or', 'unless', 'atan2'];

const cache = new Map<string, { at: number; values: Promise<string[]> }>();

function cachedList(key: string, path: string, params: URLSearchParams): Promise<string[]> {
  const hit = cache.get(key);
  if (hit !== undefined && Date.now() - hit.at < CACHE_MS) return hit.values;
  const values = apiGet(path, params).then(
    (r) => arr(r.data).map(str),
    () => [] as string[],
  );
  cache.set(key, { at: Date.now(), values });
  return values;
}

function matchParams(metric: string): URLSearchParams {
  const p = new URLSearchParams();
  if (metric !== '') p.append('match[]', metric);
  return p;
}

/** Ranks `names` against `prefix`: prefix matches, then substring matches; at most `limit`. */
export function rank(names: readonly string[], prefix: string, limit: number = MAX_SUGGESTIONS): string[] {
  const lower = prefix.toLowerCase();
  const starts: string[] = [];
  const contains: string[] = [];
  for (const n of names) {
    if (n === prefix) continue;
    const l = n.toLowerCase();
    if (l.startsWith(lower)) starts.push(n);
    else if (lower !== '' && l.includes(lower) && contains.length < limit) contains.push(n);
  }
  starts.sort();
  return starts.concat(contains).slice(0, limit);
}

/** Suggestions for `ctx` (empty for `none`). */
export async function suggestions(ctx: CompletionContext): Promise<Suggestion[]> {
  switch (ctx.kind) {
    case 'none':
      return [];
    case 'metric': {
      const metrics = await cachedList('__name__', 'api/v1/label/__name__/values', new URLSearchParams());
      const out: Suggestion[] = [];
      for (const m of rank(metrics, ctx.prefix)) out.push({ label: m, kind: 'metric', insert: m });
      const fns = rank([...FUNCTIONS.keys()], ctx.prefix, 20);
      for (const f of fns) out.push({ label: `${f}()`, kind: 'function', insert: `${f}(` });
      for (const a of rank(AGGREGATIONS, ctx.prefix, 10)) out.push({ label: a, kind: 'aggregation', insert: a });
      for (const k of rank(KEYWORDS, ctx.prefix, 5)) out.push({ label: k, kind: 'keyword', insert: k });
      return out.slice(0, MAX_SUGGESTIONS);
    }
    case 'labelName': {
      const names = await cachedList(`labels:${ctx.metric}`, 'api/v1/labels', matchParams(ctx.metric));
      return rank(
        names.filter((n) => n !== '__name__'),
        ctx.prefix,
      ).map((n) => ({ label: n, kind: 'label', insert: n }));
    }
    case 'labelValue': {
      const values = await cachedList(`values:${ctx.label}:${ctx.metric}`, `api/v1/label/${encodeURIComponent(ctx.label)}/values`, matchParams(ctx.metric));
      return rank(values, ctx.prefix).map((v) => ({ label: v, kind: 'value', insert: v.replace(/\\/g, '\\\\').replace(/"/g, '\\"') }));
    }
  }
}
