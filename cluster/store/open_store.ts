/**
 * `openStore`: turns the `--cluster.store` flag value into a ready `Store`.
 *
 *   sqlite://PATH        embedded SQLite file (relative or, with a third slash, absolute:
 *                        `sqlite:///var/lib/vigil/cluster.db`); parent directories are created
 *   etcd://HOST:PORT     an etcd v3 cluster's client endpoint (plain HTTP/gRPC)
 *
 * The default is `defaultStoreUrl(<storage.tsdb.path>)` = `sqlite://<storage.tsdb.path>/cluster.db`.
 * An etcd store is probed once so a wrong address fails at start-up, not on first use.
 */
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { EtcdStore } from './etcd_store.js';
import { SqliteStore, type SqliteStoreOptions } from './sqlite_store.js';
import type { Store } from './store.js';

/** A `--cluster.store` value that cannot be used; the message says what was expected. */
export class StoreUrlError extends Error {
  readonly code = 'invalid_store_url';
  readonly url: string;
  constructor(url: string, why: string) {
    super(`invalid --cluster.store ${JSON.stringify(url)}: ${why}`);
    this.name = 'StoreUrlError';
    this.url = url;
  }
}

export interface OpenStoreOptions {
  /** Passed to the SQLite store (clock, poll intervals). */
  sqlite?: SqliteStoreOptions;
  /** How long to wait for etcd at start-up, ms. Default 5000. */
  etcdDialTimeoutMs?: number;
}

/** The default store URL for a given `--storage.tsdb.path`. */
export function defaultStoreUrl(tsdbPath: string): string {
  return `sqlite://${join(tsdbPath, 'cluster.db')}`;
}

/** Parses and opens a store URL (see the file comment). Throws `StoreUrlError` or the store's error. */
export async function openStore(url: string, opts: OpenStoreOptions = {}): Promise<Store> {
  const m = /^([a-z0-9]+):\/\/(.*)$/.exec(url);
  if (m === null) throw new StoreUrlError(url, 'expected sqlite://PATH or etcd://HOST:PORT');
  const scheme = m[1]!;
  const rest = m[2]!;
  if (scheme === 'sqlite') {
    if (rest === '') throw new StoreUrlError(url, 'sqlite:// needs a file path, e.g. sqlite://data/cluster.db');
    mkdirSync(dirname(rest), { recursive: true });
    return new SqliteStore(rest, opts.sqlite);
  }
  if (scheme === 'etcd') {
    const hp = /^([A-Za-z0-9.-]+|\[[0-9a-fA-F:]+\]):([0-9]{1,5})\/?$/.exec(rest);
    if (hp === null || Number(hp[2]) < 1 || Number(hp[2]) > 65535)
      throw new StoreUrlError(url, 'etcd:// needs HOST:PORT with a port in 1..65535, e.g. etcd://127.0.0.1:2379');
    const store = new EtcdStore(`${hp[1]}:${hp[2]}`, { dialTimeoutMs: opts.etcdDialTimeoutMs ?? 5000 });
    try {
      await store.currentRevision();
    } catch (e) {
      await store.close();
      throw new StoreUrlError(url, `cannot reach etcd: ${e instanceof Error ? e.message : String(e)}`);
    }
    return store;
  }
  throw new StoreUrlError(url, `unknown scheme "${scheme}", expected sqlite or etcd`);
}
