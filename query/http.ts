/**
 * The Prometheus query HTTP API as a fastify plugin: `/api/v1/query`,
 * `/api/v1/query_range`, `/api/v1/series`, `/api/v1/labels`,
 * `/api/v1/label/:name/values`, `/api/v1/metadata`, `/api/v1/query_exemplars`,
 * `/api/v1/format_query`, `/api/v1/parse_query` — the requests Grafana and the
 * Prometheus UI send. GET and form-encoded POST where Prometheus accepts them;
 * parameters, validation messages, error types and status codes as in
 * `web/api/v1/api.go`. A query is aborted when its client goes away.
 *
 * Register it without a prefix (the routes carry `/api/v1`); it adds a scoped
 * `application/x-www-form-urlencoded` body parser.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { cmpStr, Labels } from '../tsdb/labels.js';
import type { Matcher } from '../tsdb/matcher.js';
import type { Queryable, SelectHints } from '../tsdb/storage.js';
import { type ApiErrorType, errorJson, goJson, invalidParam, jsonString, jsonStringArray, labelsJson, QueryApiError, queryDataJson, successJson } from './api_response.js';
import { extractSelectors } from './ast.js';
import { astToJson } from './ast_json.js';
import { ParseError } from './errors.js';
import { MAX_TIME_MS, MIN_TIME_MS, Params, parseDurationParam, parseLimit, parseTime, parseTimeParam } from './http_params.js';
import { parseExpr, parseMetricSelector } from './parser.js';
import { prettyExpr } from './printer.js';
import type { QueryEngine, QueryResult, Value } from './value.js';

/** Options of `queryApiPlugin`. */
export interface QueryApiOptions {
  /** Where series, labels and query data come from. */
  queryable: Queryable;
  /** Evaluates PromQL (query/engine.ts `Engine`). */
  engine: QueryEngine;
  /** The clock for the default `time` of instant queries (ms). Default `Date.now`. */
  now?: () => number;
}

/** What a route handler produces: encoded `data` (null = omitted), warnings and infos. */
interface RouteResult {
  data: string | null;
  warnings: string[];
  infos?: string[];
}

const MAX_POINTS = 11_000;
const TRUNCATED = 'results truncated due to limit';

/** Maps an error from the engine or storage to an API error type, as Prometheus's `returnAPIError`. */
function apiErrorOf(e: unknown): QueryApiError {
  if (e instanceof QueryApiError) return e;
  if (e instanceof ParseError) return invalidParam('query', e.message);
  const err = e instanceof Error ? e : new Error(String(e));
  const code = (err as { code?: unknown }).code;
  if (code === 'canceled' || code === 'timeout') return new QueryApiError(code, err.message);
  // Prometheus evaluates duration expressions while creating the query: bad_data on "query".
  if (code === 'bad_duration') return invalidParam('query', err.message);
  if (code === 'execution' || code === 'too_many_samples') {
    // Prometheus rejects a range query over a string or range vector when creating it: bad_data.
    if (err.message.startsWith('invalid expression type')) return invalidParam('query', err.message);
    return new QueryApiError('execution', err.message);
  }
  return new QueryApiError('internal', err.message);
}

function send(reply: FastifyReply, status: number, body: string): FastifyReply {
  // A Buffer keeps fastify from appending "; charset=utf-8": Prometheus sends plain application/json.
  return reply.code(status).header('content-type', 'application/json').send(Buffer.from(body, 'utf8'));
}

function paramsOf(req: FastifyRequest): Params {
  const q = req.url.indexOf('?');
  const query = new URLSearchParams(q < 0 ? '' : req.url.slice(q + 1));
  return new Params(query, formParams(req.body));
}

/**
 * The form body as URLSearchParams: either this plugin's own parser produced one, or
 * the host server's form parser produced a record of string / string[] fields.
 */
function formParams(body: unknown): URLSearchParams | null {
  if (body instanceof URLSearchParams) return body;
  if (body === null || typeof body !== 'object') return null;
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(body)) {
    if (typeof v === 'string') p.append(k, v);
    else if (Array.isArray(v)) for (const x of v) if (typeof x === 'string') p.append(k, x);
  }
  return p;
}

/** Runs a route, answering with the envelope; a query signal aborts when the client disconnects. */
async function run(req: FastifyRequest, reply: FastifyReply, fn: (p: Params, signal: AbortSignal) => Promise<RouteResult>): Promise<FastifyReply> {
  const ac = new AbortController();
  const onClose = (): void => {
    if (!reply.raw.writableFinished) ac.abort();
  };
  reply.raw.once('close', onClose);
  try {
    const r = await fn(paramsOf(req), ac.signal);
    return send(reply, 200, successJson(r.data, r.warnings, r.infos));
  } catch (e) {
    const ae = apiErrorOf(e);
    if (ae.type === 'internal') req.log.error({ err: e }, 'query API internal error');
    return send(reply, ae.statusCode, errorJson(ae.type, ae.message));
  } finally {
    reply.raw.removeListener('close', onClose);
  }
}

function limitOf(p: Params): number {
  try {
    return parseLimit(p.get('limit'));
  } catch (e) {
    throw invalidParam('limit', (e as Error).message);
  }
}

/** Applies the per-request `timeout` to the query signal; returns the signal and a disposer. */
function withTimeout(p: Params, signal: AbortSignal): { signal: AbortSignal; timedOut: () => boolean; done: () => void } {
  const to = p.get('timeout');
  if (to === '') return { signal, timedOut: () => false, done: () => {} };
  let ms: number;
  try {
    ms = parseDurationParam(to);
  } catch (e) {
    throw invalidParam('timeout', (e as Error).message);
  }
  const ac = new AbortController();
  let fired = false;
  const timer = setTimeout(() => {
    fired = true;
    ac.abort();
  }, Math.max(0, ms));
  const forward = (): void => ac.abort();
  signal.addEventListener('abort', forward, { once: true });
  return {
    signal: ac.signal,
    timedOut: () => fired,
    done: () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', forward);
    },
  };
}

function lookbackOf(p: Params): number | undefined {
  const s = p.get('lookback_delta');
  if (s === '') return undefined;
  try {
    return parseDurationParam(s);
  } catch (e) {
    throw new QueryApiError('bad_data', `error parsing lookback delta duration: ${(e as Error).message}`);
  }
}

function truncate(v: Value, limit: number, warnings: string[]): Value {
  if (limit <= 0) return v;
  if ((v.type === 'vector' || v.type === 'matrix') && v.series.length > limit) {
    warnings.push(TRUNCATED);
    return v.type === 'vector' ? { type: 'vector', series: v.series.slice(0, limit) } : { type: 'matrix', series: v.series.slice(0, limit) };
  }
  return v;
}

async function runQuery(p: Params, signal: AbortSignal, exec: (opts: { signal: AbortSignal; lookbackDeltaMs?: number }) => Promise<QueryResult>): Promise<RouteResult> {
  const limit = limitOf(p);
  const t = withTimeout(p, signal);
  const lookback = lookbackOf(p);
  const opts: { signal: AbortSignal; lookbackDeltaMs?: number } = { signal: t.signal };
  if (lookback !== undefined) opts.lookbackDeltaMs = lookback;
  let res: QueryResult;
  try {
    res = await exec(opts);
  } catch (e) {
    if (t.timedOut() && (e as { code?: unknown }).code === 'canceled') throw new QueryApiError('timeout', 'query timed out in expression evaluation');
    throw e;
  } finally {
    t.done();
  }
  const warnings = [...res.warnings];
  const value = truncate(res.value, limit, warnings);
  // An engine may return info annotations apart from warnings (Prometheus's "infos").
  const infos = (res as { infos?: unknown }).infos;
  return { data: queryDataJson(value), warnings, infos: Array.isArray(infos) ? (infos as string[]) : [] };
}

function matcherSets(p: Params): Matcher[][] {
  const sets: Matcher[][] = [];
  for (const s of p.getAll('match[]')) {
    let ms: Matcher[];
    try {
      ms = parseMetricSelector(s);
    } catch (e) {
      if (e instanceof ParseError) throw new QueryApiError('bad_data', e.message);
      throw e;
    }
    if (!ms.some((m) => !m.matches(''))) throw new QueryApiError('bad_data', 'match[] must contain at least one non-empty matcher');
    sets.push(ms);
  }
  return sets;
}

function timeRange(p: Params): [number, number] {
  let start: number;
  let end: number;
  try {
    start = parseTimeParam(p, 'start', MIN_TIME_MS);
  } catch (e) {
    throw invalidParam('start', (e as Error).message);
  }
  try {
    end = parseTimeParam(p, 'end', MAX_TIME_MS);
  } catch (e) {
    throw invalidParam('end', (e as Error).message);
  }
  return [start, end];
}

/** Sorted union of string lists, truncated to `limit` (0 = none) with Prometheus's warning. */
function finishList(lists: string[][], limit: number, warnings: string[]): string {
  let out: string[];
  if (lists.length === 1) out = [...lists[0]!];
  else out = [...new Set(lists.flat())];
  out.sort(cmpStr);
  if (limit > 0 && out.length > limit) {
    out = out.slice(0, limit);
    warnings.push(TRUNCATED);
  }
  return jsonStringArray(out);
}

/** `U__`-escaped label names (Prometheus's `model.UnescapeName` with value-encoding escaping). */
function unescapeName(name: string): string {
  if (!name.startsWith('U__')) return name;
  const s = name.slice(3);
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c !== '_') {
      out += c;
      continue;
    }
    if (s[i + 1] === '_') {
      out += '_';
      i++;
      continue;
    }
    const end = s.indexOf('_', i + 1);
    const code = end < 0 ? Number.NaN : Number.parseInt(s.slice(i + 1, end), 16);
    if (end < 0 || !/^[0-9a-fA-F]+$/.test(s.slice(i + 1, end)) || code > 0x10ffff) return name;
    out += String.fromCodePoint(code);
    i = end;
  }
  return out;
}

/** Registers the query API routes. */
export async function queryApiPlugin(app: FastifyInstance, opts: QueryApiOptions): Promise<void> {
  const { queryable, engine } = opts;
  const now = opts.now ?? Date.now;

  // Standalone use parses forms here; inside `vigil server` the server's bounded form parser is used.
  if (!app.hasContentTypeParser('application/x-www-form-urlencoded')) {
    app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
      done(null, new URLSearchParams(body as string));
    });
  }

  const both = (url: string, handler: (req: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply>): void => {
    app.get(url, handler);
    app.post(url, handler);
  };

  both('/api/v1/query', (req, reply) =>
    run(req, reply, (p, signal) => {
      let t: number;
      try {
        t = parseTimeParam(p, 'time', now());
      } catch (e) {
        throw invalidParam('time', (e as Error).message);
      }
      return runQuery(p, signal, (o) => engine.instantQuery(queryable, p.get('query'), t, o));
    }),
  );

  both('/api/v1/query_range', (req, reply) =>
    run(req, reply, (p, signal) => {
      const time = (name: string): number => {
        try {
          return parseTime(p.get(name));
        } catch (e) {
          throw invalidParam(name, (e as Error).message);
        }
      };
      limitOf(p);
      const start = time('start');
      const end = time('end');
      if (end < start) throw invalidParam('end', 'end timestamp must not be before start time');
      let step: number;
      try {
        step = parseDurationParam(p.get('step'));
      } catch (e) {
        throw invalidParam('step', (e as Error).message);
      }
      if (step <= 0) throw invalidParam('step', 'zero or negative query resolution step widths are not accepted. Try a positive integer');
      if (Math.floor((end - start) / step) > MAX_POINTS) {
        throw new QueryApiError('bad_data', 'exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)');
      }
      const stepMs = Math.max(1, Math.trunc(step));
      return runQuery(p, signal, (o) => engine.rangeQuery(queryable, p.get('query'), start, end, stepMs, o));
    }),
  );

  both('/api/v1/format_query', (req, reply) =>
    run(req, reply, async (p) => ({ data: jsonString(prettyExpr(parseExpr(p.get('query')))), warnings: [] })),
  );

  both('/api/v1/parse_query', (req, reply) =>
    run(req, reply, async (p) => ({ data: goJson(astToJson(parseExpr(p.get('query')))), warnings: [] })),
  );

  both('/api/v1/series', (req, reply) =>
    run(req, reply, async (p) => {
      if (p.getAll('match[]').length === 0) throw new QueryApiError('bad_data', 'no match[] parameter provided');
      const limit = limitOf(p);
      const [start, end] = timeRange(p);
      let sets: Matcher[][];
      try {
        sets = matcherSets(p);
      } catch (e) {
        if (e instanceof QueryApiError) throw invalidParam('match[]', e.message);
        throw e;
      }
      const hints: SelectHints = { start, end, step: 0, func: 'series', range: 0, grouping: [], by: false, limit: limit > 0 ? limit + 1 : 0 };
      const q = await queryable.querier(start, end);
      const warnings: string[] = [];
      try {
        const seen = new Map<string, Labels>();
        const ordered: Labels[] = [];
        for (const ms of sets) {
          const ss = await q.select(sets.length > 1, hints, ms);
          while (ss.next()) {
            const ls = ss.at().labels;
            if (sets.length > 1) {
              const k = ls.toString();
              if (seen.has(k)) continue;
              seen.set(k, ls);
            }
            ordered.push(ls);
          }
          const err = ss.err();
          if (err !== null) throw err;
          warnings.push(...ss.warnings());
        }
        if (sets.length > 1) ordered.sort(Labels.compare);
        let out = ordered;
        if (limit > 0 && out.length > limit) {
          out = out.slice(0, limit);
          warnings.push(TRUNCATED);
        }
        return { data: `[${out.map(labelsJson).join(',')}]`, warnings };
      } finally {
        await q.close();
      }
    }),
  );

  both('/api/v1/labels', (req, reply) =>
    run(req, reply, async (p) => {
      const limit = limitOf(p);
      const [start, end] = timeRange(p);
      const sets = matcherSets(p);
      const q = await queryable.querier(start, end);
      try {
        const hints = { limit: limit > 0 ? limit + 1 : 0 };
        const lists: string[][] = [];
        if (sets.length === 0) lists.push(await q.labelNames([], hints));
        for (const ms of sets) lists.push(await q.labelNames(ms, hints));
        const warnings: string[] = [];
        return { data: finishList(lists, limit, warnings), warnings };
      } finally {
        await q.close();
      }
    }),
  );

  app.get<{ Params: { name: string } }>('/api/v1/label/:name/values', (req, reply) =>
    run(req, reply, async (p) => {
      const name = unescapeName(req.params.name);
      if (name === '') throw new QueryApiError('bad_data', `invalid label name: ${JSON.stringify(name)}`);
      const limit = limitOf(p);
      const [start, end] = timeRange(p);
      const sets = matcherSets(p);
      const q = await queryable.querier(start, end);
      try {
        const hints = { limit: limit > 0 ? limit + 1 : 0 };
        const lists: string[][] = [];
        if (sets.length === 0) lists.push(await q.labelValues(name, [], hints));
        for (const ms of sets) lists.push(await q.labelValues(name, ms, hints));
        const warnings: string[] = [];
        return { data: finishList(lists, limit, warnings), warnings };
      } finally {
        await q.close();
      }
    }),
  );

  app.get('/api/v1/metadata', (req, reply) =>
    run(req, reply, async (p) => {
      for (const name of ['limit', 'limit_per_metric']) {
        const v = p.get(name);
        if (v !== '' && !/^[+-]?\d+$/.test(v)) throw new QueryApiError('bad_data', `${name} must be a number`);
      }
      // No metadata store yet: the shape of an empty answer (metric name -> [{type, help, unit}]).
      return { data: '{}', warnings: [] };
    }),
  );

  both('/api/v1/query_exemplars', (req, reply) =>
    run(req, reply, async (p) => {
      const [start, end] = timeRange(p);
      if (end < start) throw new QueryApiError('bad_data', 'end timestamp must not be before start timestamp');
      let expr: ReturnType<typeof parseExpr>;
      try {
        expr = parseExpr(p.get('query'));
      } catch (e) {
        if (e instanceof ParseError) throw new QueryApiError('bad_data', e.message);
        throw e;
      }
      // No exemplar storage yet: every selector matches no exemplars.
      if (extractSelectors(expr).length === 0) return { data: null, warnings: [] };
      return { data: '[]', warnings: [] };
    }),
  );
}

export type { ApiErrorType };
