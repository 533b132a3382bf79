/**
 * The query part of `vigil server`: one PromQL `Engine` configured from the
 * `--query.*` flags, serving the Prometheus query API (`query/http.ts`) over the
 * server's storage. Other parts that evaluate PromQL (rules) get the same engine
 * through `queryEngineFor`, so `--query.max-concurrency` bounds them all together.
 */
import type { PartContext, ServerPart } from '../cmd/server.js';
import type { Queryable } from '../tsdb/storage.js';
import { Engine } from './engine.js';
import { queryApiPlugin } from './http.js';

const engines = new WeakMap<PartContext['flags'], Engine>();

/** The engine for a server's flags (created once per server). */
export function queryEngineFor(ctx: Pick<PartContext, 'flags' | 'config'>): Engine {
  let e = engines.get(ctx.flags);
  if (e === undefined) {
    e = new Engine({
      timeoutMs: ctx.flags.queryTimeoutMs,
      maxSamples: ctx.flags.queryMaxSamples,
      lookbackDeltaMs: ctx.flags.queryLookbackDeltaMs,
      maxConcurrency: ctx.flags.queryMaxConcurrency,
      defaultSubqueryStepMs: ctx.config().global.evaluationInterval,
      // Prometheus 3's defaults: experimental functions and delayed name removal are opt-in features.
      enableExperimentalFunctions: false,
      enableDelayedNameRemoval: false,
    });
    engines.set(ctx.flags, e);
  }
  return e;
}

/** The storage as a `Queryable` that is resolved per query (storage opens after routes are registered). */
export function lazyQueryable(ctx: Pick<PartContext, 'storage'>): Queryable {
  return { querier: (mint, maxt) => ctx.storage().querier(mint, maxt) };
}

export const queryPart: ServerPart = {
  name: 'query',
  async register(app, ctx) {
    await app.register(queryApiPlugin, { queryable: lazyQueryable(ctx), engine: queryEngineFor(ctx) });
  },
};
