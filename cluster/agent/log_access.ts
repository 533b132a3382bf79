/**
 * `LogAccess`: who may read container logs from the agent's HTTP server. The
 * caller presents its cluster API bearer token (`vigil ctl logs` sends the one
 * it uses for the API); the agent cannot check tokens itself, so it asks the API
 * server (`POST /apis/authorization.vigil.dev/v1/accessreviews`, with its own
 * node credential) whether that token may `get` `pods/log` of the pod. Answers
 * are cached for `ttlMs` (default 10 s) under a SHA-256 of the token, at most
 * `maxEntries` (default 1000) of them.
 *
 * A server that serves no access reviews (404: its authentication is off) lets
 * everybody read, as the rest of its API does; any other failure refuses.
 */
import { createHash } from 'node:crypto';
import { type ApiClient, ApiClientError, type ResourceRef } from './api_client.js';

export type LogAccessDecision = 'allow' | 'unauthenticated' | 'forbidden';

const REVIEWS: ResourceRef = { prefix: '/apis/authorization.vigil.dev/v1', resource: 'accessreviews' };

export interface LogAccessOptions {
  ttlMs?: number;
  maxEntries?: number;
  now?: () => number;
}

export class LogAccess {
  private readonly client: ApiClient;
  private readonly ttlMs: number;
  private readonly maxEntries: number;
  private readonly now: () => number;
  private readonly cache = new Map<string, { decision: LogAccessDecision; at: number }>();

  constructor(client: ApiClient, opts: LogAccessOptions = {}) {
    this.client = client;
    this.ttlMs = opts.ttlMs ?? 10_000;
    this.maxEntries = opts.maxEntries ?? 1000;
    this.now = opts.now ?? Date.now;
  }

  /** May the caller presenting `authorization` (the raw header) read the logs of pod `namespace/name`? */
  async check(authorization: string | undefined, namespace: string, name: string): Promise<LogAccessDecision> {
    const m = /^Bearer[ \t]+(\S+)\s*$/i.exec(authorization ?? '');
    const token = m === null ? '' : m[1]!;
    const key = `${createHash('sha256').update(token).digest('hex')}|${namespace}|${name}`;
    const hit = this.cache.get(key);
    if (hit !== undefined && this.now() - hit.at < this.ttlMs) return hit.decision;
    let decision: LogAccessDecision;
    try {
      const review = { apiVersion: 'authorization.vigil.dev/v1', kind: 'AccessReview', metadata: { name: '' }, token, verb: 'get', resource: 'pods/log', namespace, name };
      const r = (await this.client.create(REVIEWS, review)) as unknown as { authenticated?: unknown; allowed?: unknown };
      decision = r.allowed === true ? 'allow' : r.authenticated === true ? 'forbidden' : 'unauthenticated';
    } catch (e) {
      if (e instanceof ApiClientError && e.status === 404 && e.reason === 'NotFound') decision = 'allow';
      else return 'forbidden';
    }
    if (this.cache.size >= this.maxEntries) this.cache.delete(this.cache.keys().next().value ?? '');
    this.cache.set(key, { decision, at: this.now() });
    return decision;
  }
}
