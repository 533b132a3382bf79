/**
 * The TSDB admin API (Prometheus `web/api/v1` admin endpoints), enabled by
 * `--web.enable-admin-api`; otherwise every call answers 503 `unavailable`
 * "admin APIs disabled", as Prometheus does.
 *
 *   POST|PUT /api/v1/admin/tsdb/delete_series?match[]=…&start=&end=   → 204
 *   POST|PUT /api/v1/admin/tsdb/clean_tombstones                      → 204
 *   POST|PUT /api/v1/admin/tsdb/snapshot?skip_head=false              → {name}
 *
 * Snapshots go to `<storage.tsdb.path>/snapshots/<YYYYMMDDTHHMMSSZ>-<hex>`.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { parseTime } from '../../query/http_params.js';
import { parseMetricSelector } from '../../query/parser.js';
import type { Matcher } from '../../tsdb/matcher.js';
import type { Storage } from '../../tsdb/storage.js';
import { ApiError, sendSuccess } from './api_envelope.js';

/** What a storage must offer for the admin API (the TSDB does). */
export interface AdminStorage {
  delete(mint: number, maxt: number, matchers: readonly Matcher[]): Promise<number>;
  cleanTombstones(): Promise<number>;
  snapshot(dir: string, withHead: boolean): Promise<void>;
}

function isAdminStorage(s: Storage): s is Storage & AdminStorage {
  const x = s as Partial<Record<keyof AdminStorage, unknown>>;
  return typeof x.delete === 'function' && typeof x.cleanTombstones === 'function' && typeof x.snapshot === 'function';
}

export interface AdminOptions {
  readonly enabled: boolean;
  readonly storage: () => Storage;
  readonly dataDir: string;
  readonly now?: () => number;
}

// "No start"/"no end": every timestamp a JS number holds exactly (Prometheus uses int64 bounds).
const MIN_TIME = Number.MIN_SAFE_INTEGER;
const MAX_TIME = Number.MAX_SAFE_INTEGER;

/** Query string and form body merged into one multimap (Prometheus reads both via ParseForm). */
function params(req: FastifyRequest): URLSearchParams {
  const q = req.url.indexOf('?');
  const p = new URLSearchParams(q < 0 ? '' : req.url.slice(q + 1));
  const body = req.body;
  if (body !== null && typeof body === 'object') {
    for (const [k, v] of Object.entries(body)) {
      if (typeof v === 'string') p.append(k, v);
      else if (Array.isArray(v)) for (const x of v) if (typeof x === 'string') p.append(k, x);
    }
  }
  return p;
}

function timeParam(p: URLSearchParams, name: string, dflt: number): number {
  const v = p.get(name) ?? '';
  if (v === '') return dflt;
  try {
    return parseTime(v);
  } catch (e) {
    throw new ApiError('bad_data', `invalid time value for '${name}': ${(e as Error).message}`);
  }
}

function snapshotName(nowMs: number): string {
  const iso = new Date(nowMs).toISOString(); // 2017-12-10T21:12:24.123Z
  const stamp = `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}T${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z`;
  return `${stamp}-${randomBytes(8).toString('hex')}`;
}

/** Registers the admin routes. */
export async function adminRoutes(app: FastifyInstance, opts: AdminOptions): Promise<void> {
  const now = opts.now ?? Date.now;
  const adminStorage = (): AdminStorage => {
    if (!opts.enabled) throw new ApiError('unavailable', 'admin APIs disabled');
    const s = opts.storage();
    if (!isAdminStorage(s)) throw new ApiError('unavailable', 'the storage in use does not support the admin API');
    return s;
  };
  const route = (path: string, handler: (req: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply>): void => {
    app.post(path, handler);
    app.put(path, handler);
  };

  route('/api/v1/admin/tsdb/delete_series', async (req, reply) => {
    const s = adminStorage();
    const p = params(req);
    const matches = p.getAll('match[]');
    if (matches.length === 0) throw new ApiError('bad_data', 'no match[] parameter provided');
    const start = timeParam(p, 'start', MIN_TIME);
    const end = timeParam(p, 'end', MAX_TIME);
    const sets: Matcher[][] = [];
    for (const m of matches) {
      try {
        sets.push(parseMetricSelector(m));
      } catch (e) {
        throw new ApiError('bad_data', (e as Error).message);
      }
    }
    for (const ms of sets) await s.delete(start, end, ms);
    return reply.code(204).send();
  });

  route('/api/v1/admin/tsdb/clean_tombstones', async (_req, reply) => {
    await adminStorage().cleanTombstones();
    return reply.code(204).send();
  });

  route('/api/v1/admin/tsdb/snapshot', async (req, reply) => {
    const s = adminStorage();
    const skip = params(req).get('skip_head') ?? '';
    if (skip !== '' && !['true', 'false', '1', '0', 't', 'f', 'TRUE', 'FALSE', 'True', 'False', 'T', 'F'].includes(skip)) {
      throw new ApiError('bad_data', `unable to parse boolean 'skip_head' argument: strconv.ParseBool: parsing ${JSON.stringify(skip)}: invalid syntax`);
    }
    const skipHead = ['true', '1', 't', 'TRUE', 'True', 'T'].includes(skip);
    const name = snapshotName(now());
    await s.snapshot(join(opts.dataDir, 'snapshots', name), !skipHead);
    return sendSuccess(reply, { name });
  });
}
