/**
 * Typed errors of the cluster store. Callers branch on `instanceof StoreError`
 * and `code`, never on message text. Each code maps to one HTTP status of the
 * Kubernetes-shaped API (see `httpStatus`), so the API server can turn a store
 * failure into a Status object without guessing.
 */

export type StoreErrorCode =
  /** The key does not exist (or not at the requested revision). HTTP 404. */
  | 'not_found'
  /** `create` of a key that already exists. HTTP 409. */
  | 'already_exists'
  /** `update`/`delete` with an expected revision that is not the key's current one. HTTP 409. */
  | 'conflict'
  /** A read or watch at a revision older than the compacted revision. HTTP 410 Gone. */
  | 'compacted'
  /** A read at a revision newer than the store's current revision. HTTP 504 in Kubernetes; we use 400. */
  | 'future_revision'
  /** A lease id the store does not know (expired or revoked). HTTP 404. */
  | 'lease_not_found'
  /** A watcher fell too far behind and was closed; resume from its last revision. HTTP 410. */
  | 'watch_overflow'
  /** The key is empty, too long or contains characters the store does not accept. HTTP 400. */
  | 'invalid_key'
  /** The store was closed. HTTP 503. */
  | 'closed'
  /** The backing service (etcd) could not be reached or answered with an error. HTTP 503. */
  | 'unavailable';

/** A failed store operation; `key` names the key (or prefix) involved, '' when none. */
export class StoreError extends Error {
  readonly code: StoreErrorCode;
  readonly key: string;
  constructor(code: StoreErrorCode, key: string, message: string) {
    super(message);
    this.name = 'StoreError';
    this.code = code;
    this.key = key;
  }
}

/** The HTTP status the API server answers for a store error code. */
export function httpStatus(code: StoreErrorCode): number {
  switch (code) {
    case 'not_found':
    case 'lease_not_found':
      return 404;
    case 'already_exists':
    case 'conflict':
      return 409;
    case 'compacted':
    case 'watch_overflow':
      return 410;
    case 'future_revision':
    case 'invalid_key':
      return 400;
    case 'closed':
    case 'unavailable':
      return 503;
  }
}

export function notFound(key: string): StoreError {
  return new StoreError('not_found', key, `key ${JSON.stringify(key)} not found`);
}

export function alreadyExists(key: string): StoreError {
  return new StoreError('already_exists', key, `key ${JSON.stringify(key)} already exists`);
}

export function conflict(key: string, expected: number, actual: number): StoreError {
  return new StoreError(
    'conflict',
    key,
    `key ${JSON.stringify(key)} was modified: expected revision ${expected}, current revision is ${actual}`,
  );
}

/** Wording follows etcd/Kubernetes ("too old resource version") so users find the usual explanations. */
export function compacted(key: string, requested: number, compactRevision: number): StoreError {
  return new StoreError(
    'compacted',
    key,
    `too old resource version: ${requested} (${compactRevision}): required revision has been compacted`,
  );
}

export function futureRevision(key: string, requested: number, current: number): StoreError {
  return new StoreError(
    'future_revision',
    key,
    `revision ${requested} is newer than the store's current revision ${current}`,
  );
}

export function leaseNotFound(id: number): StoreError {
  return new StoreError('lease_not_found', '', `lease ${id} not found (expired or revoked)`);
}

export function storeClosed(): StoreError {
  return new StoreError('closed', '', 'the cluster store is closed');
}

/** Keys are 1..1024 printable ASCII characters (0x21–0x7e): this keeps prefix ranges simple on every store. */
export const MAX_KEY_LENGTH = 1024;

/** Throws `invalid_key` unless `key` is an acceptable store key (prefixes may be empty). */
export function checkKey(key: string, isPrefix = false): void {
  if (key.length === 0 && !isPrefix) throw new StoreError('invalid_key', key, 'key must not be empty');
  if (key.length > MAX_KEY_LENGTH)
    throw new StoreError('invalid_key', key, `key is ${key.length} characters long, at most ${MAX_KEY_LENGTH} allowed`);
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    if (c < 0x21 || c > 0x7e)
      throw new StoreError(
        'invalid_key',
        key,
        `key ${JSON.stringify(key)} has character code ${c} at offset ${i}; only printable ASCII (0x21-0x7e) is allowed`,
      );
  }
}
