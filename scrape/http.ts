/**
 * The scrape part's HTTP API, shaped as Prometheus 2.42 answers it:
 * - `GET /api/v1/targets?state=active|dropped|any&scrapePool=<job>`: active targets with
 *   `discoveredLabels`, `labels`, `scrapePool`, `scrapeUrl`, `globalUrl`, `lastError`,
 *   `lastScrape` (RFC 3339), `lastScrapeDuration` (seconds), `health`, `scrapeInterval`,
 *   `scrapeTimeout`; dropped targets with their `discoveredLabels`.
 * - `GET /api/v1/targets/metadata?match_target=<selector>&metric=<name>&limit=<n>`: the
 *   TYPE/HELP/UNIT each matching target exposed.
 * - `GET /api/v1/scrape_pools`: the job names.
 */
import { hostname } from 'node:os';
import type { FastifyInstance } from 'fastify';
import { ApiError, sendSuccess } from '../cmd/http/api_envelope.js';
import { formatDuration } from '../tsdb/duration.js';
import { type Matcher, matchesAll } from '../tsdb/matcher.js';
import type { ScrapeManager } from './manager.js';
import { parseTargetSelector, SelectorError } from './target_selector.js';

export interface ScrapeRoutesOptions {
  /** The running manager, or null before the configuration was applied. */
  manager: () => ScrapeManager | null;
}

const ZERO_TIME = '0001-01-01T00:00:00Z';

function globalUrl(url: string): string {
  // Prometheus swaps loopback hosts for this machine's name, so links work from elsewhere.
  try {
    const u = new URL(url);
    if (u.hostname === 'localhost' || u.hostname === '127.0.0.1' || u.hostname === '[::1]') {
      u.hostname = hostname();
      return u.toString();
    }
  } catch {
    // keep the URL as is
  }
  return url;
}

function oneQuery(q: Record<string, string | string[] | undefined>, name: string): string {
  const v = q[name];
  return Array.isArray(v) ? (v[v.length - 1] ?? '') : (v ?? '');
}

/** Registers the routes on `app` (already under the route prefix). */
export async function scrapeRoutes(app: FastifyInstance, opts: ScrapeRoutesOptions): Promise<void> {
  app.get('/api/v1/scrape_pools', async (_req, reply) => {
    const m = opts.manager();
    const names = m === null ? [] : m.scrapePools().map((p) => p.cfg.jobName).sort();
    return sendSuccess(reply, { scrapePools: names });
  });

  app.get('/api/v1/targets', async (req, reply) => {
    const q = req.query as Record<string, string | string[] | undefined>;
    const state = oneQuery(q, 'state').toLowerCase();
    const poolFilter = oneQuery(q, 'scrapePool');
    const showActive = state === '' || state === 'any' || state === 'active';
    const showDropped = state === '' || state === 'any' || state === 'dropped';
    const m = opts.manager();
    const pools = (m === null ? [] : m.scrapePools()).filter((p) => poolFilter === '' || p.cfg.jobName === poolFilter).sort((a, b) => (a.cfg.jobName < b.cfg.jobName ? -1 : 1));
    const activeTargets: unknown[] = [];
    const droppedTargets: unknown[] = [];
    for (const p of pools) {
      if (showActive) {
        for (const l of p.activeLoops()) {
          activeTargets.push({
            discoveredLabels: l.target.discoveredLabels.toRecord(),
            labels: l.target.publicLabels.toRecord(),
            scrapePool: p.cfg.jobName,
            scrapeUrl: l.target.url,
            globalUrl: globalUrl(l.target.url),
            lastError: l.lastError,
            lastScrape: l.lastScrape === 0 ? ZERO_TIME : new Date(l.lastScrape).toISOString(),
            lastScrapeDuration: l.lastScrapeDuration,
            health: l.health,
            scrapeInterval: formatDuration(l.target.interval),
            scrapeTimeout: formatDuration(l.target.timeout),
          });
        }
      }
      if (showDropped) for (const d of p.droppedTargets()) droppedTargets.push({ discoveredLabels: d.discoveredLabels.toRecord() });
    }
    return sendSuccess(reply, { activeTargets, droppedTargets });
  });

  app.get('/api/v1/targets/metadata', async (req, reply) => {
    const q = req.query as Record<string, string | string[] | undefined>;
    const limitText = oneQuery(q, 'limit');
    let limit = -1;
    if (limitText !== '') {
      limit = Number(limitText);
      if (!Number.isInteger(limit)) throw new ApiError('bad_data', `limit must be a number, received ${JSON.stringify(limitText)}`);
    }
    let matchers: Matcher[] = [];
    const sel = oneQuery(q, 'match_target');
    if (sel !== '') {
      try {
        matchers = parseTargetSelector(sel);
      } catch (e) {
        if (e instanceof SelectorError) throw new ApiError('bad_data', e.message);
        throw e;
      }
    }
    const metric = oneQuery(q, 'metric');
    const out: unknown[] = [];
    const m = opts.manager();
    for (const p of m === null ? [] : m.scrapePools()) {
      for (const l of p.activeLoops()) {
        if (limit >= 0 && out.length >= limit) break;
        const labels = l.target.publicLabels;
        if (!matchesAll(matchers, (n) => labels.get(n))) continue;
        const md = l.cache.metadata();
        const names = metric === '' ? [...md.keys()].sort() : md.has(metric) ? [metric] : [];
        for (const name of names) {
          if (limit >= 0 && out.length >= limit) break;
          const e = md.get(name)!;
          out.push({ target: labels.toRecord(), metric: name, type: e.type, help: e.help, unit: e.unit });
        }
      }
    }
    return sendSuccess(reply, out);
  });
}
