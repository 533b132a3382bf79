/**
 * `RevocationList`: single tokens revoked before they expire. The list is the
 * ConfigMap `kube-system/vigil-token-revocations`, one key per revoked token id
 * (`jti` claim) with the token's expiry (Unix seconds, `0` = never) as value,
 * so an administrator can also revoke with `vigil ctl apply`/`edit`. Entries are
 * dropped once their token has expired anyway (on the next revocation).
 *
 * `isRevoked` answers from a copy reloaded when older than `ttlMs` (default
 * 2 s) or invalidated (the server invalidates it after a write to that
 * ConfigMap), so a revocation through this server holds from the next request.
 * A store failure while reloading keeps the last copy (fails open for at most
 * as long as the store is down; tokens still expire).
 */
import { ApiError } from '../api/api_error.js';
import type { ConfigMap } from '../api/objects.js';
import type { Registry } from '../api/registry.js';
import { RESOURCES } from '../api/resources.js';
import type { TokenClaims } from './tokens.js';

export const REVOCATIONS_NAMESPACE = 'kube-system';
export const REVOCATIONS_CONFIGMAP = 'vigil-token-revocations';

const CONFIGMAPS = RESOURCES.find((r) => r.resource === 'configmaps')!;

export interface RevocationListOptions {
  ttlMs?: number;
  now?: () => number;
}

export class RevocationList {
  private readonly registry: Registry;
  private readonly ttlMs: number;
  private readonly now: () => number;
  private ids = new Set<string>();
  private loadedAt = Number.NEGATIVE_INFINITY;
  private loading: Promise<void> | null = null;

  constructor(registry: Registry, opts: RevocationListOptions = {}) {
    this.registry = registry;
    this.ttlMs = opts.ttlMs ?? 2000;
    this.now = opts.now ?? Date.now;
  }

  invalidate(): void {
    this.loadedAt = Number.NEGATIVE_INFINITY;
  }

  private async read(): Promise<ConfigMap | null> {
    try {
      return (await this.registry.get(CONFIGMAPS, REVOCATIONS_NAMESPACE, REVOCATIONS_CONFIGMAP)) as ConfigMap;
    } catch (e) {
      if (e instanceof ApiError && e.code === 404) return null;
      throw e;
    }
  }

  private async reload(): Promise<void> {
    const startedAt = this.now();
    try {
      const cm = await this.read();
      this.ids = new Set(Object.keys(cm?.data ?? {}));
    } catch {
      // keep the last copy; retried on the next request
      return;
    }
    this.loadedAt = startedAt;
  }

  /** Whether the token with id `jti` was revoked. */
  async isRevoked(jti: string): Promise<boolean> {
    if (this.now() - this.loadedAt >= this.ttlMs) {
      if (this.loading === null) {
        this.loading = this.reload().finally(() => {
          this.loading = null;
        });
      }
      await this.loading;
    }
    return this.ids.has(jti);
  }

  /** Adds a token to the list (creating the ConfigMap when missing), pruning expired entries. */
  async revoke(claims: TokenClaims): Promise<void> {
    const nowS = Math.floor(this.now() / 1000);
    for (let attempt = 0; attempt < 5; attempt++) {
      const cm = await this.read();
      const data: Record<string, string> = {};
      for (const [k, v] of Object.entries(cm?.data ?? {})) {
        const exp = Number(v);
        if (exp === 0 || !(exp <= nowS)) data[k] = v;
      }
      data[claims.jti] = String(claims.exp);
      try {
        if (cm === null)
          await this.registry.create(CONFIGMAPS, REVOCATIONS_NAMESPACE, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: REVOCATIONS_CONFIGMAP, namespace: REVOCATIONS_NAMESPACE }, data });
        else await this.registry.update(CONFIGMAPS, REVOCATIONS_NAMESPACE, REVOCATIONS_CONFIGMAP, { ...cm, data });
        this.invalidate();
        return;
      } catch (e) {
        // Lost a race with another writer: read again.
        if (e instanceof ApiError && (e.code === 409 || e.reason === 'AlreadyExists')) continue;
        throw e;
      }
    }
    throw new ApiError(409, 'Conflict', `cannot revoke token ${claims.jti}: the revocation list keeps changing`);
  }
}
