/**
 * The cluster store contract: a versioned key/value store with the subset of
 * etcd v3 semantics the API server needs (the same subset k3s's kine serves).
 *
 * - Every write gets the next value of one store-wide, strictly increasing
 *   **revision** (a positive integer). A key's `modRevision` is the revision of
 *   its last write; the API uses it as the object's `resourceVersion`.
 * - Reads may ask for a past revision ("the state as of revision N") until the
 *   store is compacted past N; then they fail with `StoreError('compacted')`.
 * - Writes are compare-and-swap on `modRevision`: `update`/`delete` given an
 *   expected revision fail with `conflict` when the key moved on.
 * - `watch(prefix, fromRevision)` streams every change with a revision
 *   strictly greater than `fromRevision`, in revision order, without gaps or
 *   duplicates, and can be resumed from the last revision seen.
 * - Leases: a key written with a lease is deleted (a DELETED event) when the
 *   lease expires or is revoked.
 *
 * Values are opaque strings (the API layer stores JSON). Keys are printable
 * ASCII, 1..1024 characters (see `checkKey`). Implementations: `SqliteStore`
 * (embedded default), `EtcdStore` (clustered). Both pass `store_conformance.ts`.
 * All methods may be called concurrently; each write is atomic.
 */
/** One key at one revision. */
export interface KeyValue {
  readonly key: string;
  readonly value: string;
  /** Revision of the write that created this incarnation of the key. */
  readonly createRevision: number;
  /** Revision of the last write to the key (for a DELETED event: the deletion's revision). */
  readonly modRevision: number;
  /** Lease the key is attached to; 0 when none. */
  readonly lease: number;
}

/** A page of keys read at one revision. */
export interface ListResult {
  /** Sorted by key (byte order). */
  readonly items: KeyValue[];
  /** The revision the list reflects: watch from it to see every later change. */
  readonly revision: number;
  /** When `limit` cut the page short: the last key returned, to pass as `startAfter`; '' when complete. */
  readonly continueAfter: string;
}

export interface GetOptions {
  /** Read the state as of this revision. Default: the latest. */
  revision?: number;
}

export interface ListOptions {
  /** Read the state as of this revision. Default: the latest (and the result's `revision` says which). */
  revision?: number;
  /** At most this many items (0 = no limit). Default 0. */
  limit?: number;
  /** Only keys strictly greater than this one (for paging). Default ''. */
  startAfter?: string;
}

export interface WriteOptions {
  /**
   * The key's lease after the write (from `grantLease`); 0 = none. Default 0 — so, as with an
   * etcd put, an update that does not pass the key's current lease detaches it.
   */
  lease?: number;
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

/** One change. For DELETED, `kv.value` is the value the key had before it was deleted. */
export interface WatchEvent {
  readonly type: WatchEventType;
  readonly kv: KeyValue;
  /** The revision of the change (equals `kv.modRevision`). */
  readonly revision: number;
  /**
   * For MODIFIED: the value before this change, so a filtered watch can tell an object that
   * stopped (or started) matching; null when unknown (compacted) and for ADDED and DELETED.
   */
  readonly prevValue: string | null;
}

/**
 * A live watch. Iterate it with `for await`; iteration ends after `close()`,
 * and throws a `StoreError` (`compacted`, `watch_overflow`, `closed`,
 * `unavailable`) when the stream cannot continue — then resume with a new
 * watch from the last revision received (or re-list on `compacted`).
 */
export interface WatchStream extends AsyncIterable<WatchEvent> {
  /** Stops the watch; pending iteration ends normally. Idempotent. */
  close(): void;
}

export interface Store {
  /** 'sqlite' or 'etcd', for logs and status pages. */
  readonly backend: string;
  /** The store's latest revision (0 on an empty new store). */
  currentRevision(): Promise<number>;
  /** The key at the latest (or the given) revision; null when absent. Throws `compacted`, `future_revision`. */
  get(key: string, opts?: GetOptions): Promise<KeyValue | null>;
  /** Every key starting with `prefix` ('' = all), sorted. Throws `compacted`, `future_revision`. */
  list(prefix: string, opts?: ListOptions): Promise<ListResult>;
  /** Creates `key`; throws `already_exists` when it exists. Returns the stored key. */
  create(key: string, value: string, opts?: WriteOptions): Promise<KeyValue>;
  /**
   * Replaces `key` if its `modRevision` is `expectedRevision` (0 = any, i.e. an unconditional
   * update of an existing key). Throws `not_found` when absent, `conflict` on a revision mismatch.
   */
  update(key: string, value: string, expectedRevision: number, opts?: WriteOptions): Promise<KeyValue>;
  /**
   * Deletes `key` if its `modRevision` is `expectedRevision` (0 = any). Returns the key as it was
   * before deletion, with `modRevision` set to the deletion's revision. Throws `not_found`, `conflict`.
   */
  delete(key: string, expectedRevision?: number): Promise<KeyValue>;
  /**
   * Streams changes to keys under `prefix` with revision > `fromRevision`. Throws (synchronously,
   * or from the first iteration) `compacted` when `fromRevision` < the compacted revision.
   * `fromRevision` 0 = from the current revision on (only future changes).
   */
  watch(prefix: string, fromRevision: number): WatchStream;
  /** Drops history up to and including `revision`; later reads/watches before it throw `compacted`. */
  compact(revision: number): Promise<void>;
  /** The revision the store was last compacted at (0 = never). */
  compactRevision(): Promise<number>;
  /** Grants a lease that expires `ttlSeconds` (≥ 1) after the last keep-alive. Returns its id (> 0). */
  grantLease(ttlSeconds: number): Promise<number>;
  /** Renews a lease for another full TTL. Throws `lease_not_found` when it expired or was revoked. */
  keepAlive(lease: number): Promise<void>;
  /** Revokes a lease now, deleting its keys. Unknown ids are ignored. */
  revokeLease(lease: number): Promise<void>;
  /** Stops watches and background work and releases the backend. Idempotent. */
  close(): Promise<void>;
}
