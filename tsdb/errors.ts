/**
 * Typed storage errors. Callers branch on `instanceof StorageError` and `code`,
 * never on message text. Messages follow Prometheus's wording so that users who
 * search for them find the same explanations.
 */
import type { Labels } from './labels.js';

export type StorageErrorCode =
  | 'out_of_order_sample'
  | 'duplicate_sample_for_timestamp'
  | 'out_of_bounds'
  | 'too_old_sample'
  | 'invalid_sample'
  | 'storage_closed';

/** A sample or request rejected by storage. The transaction it came from stays usable. */
export class StorageError extends Error {
  readonly code: StorageErrorCode;
  constructor(code: StorageErrorCode, message: string) {
    super(message);
    this.name = 'StorageError';
    this.code = code;
  }
}

/** The sample is older than the newest sample of its series (and outside any out-of-order window). */
export function outOfOrderSample(labels: Labels, t: number, newest: number): StorageError {
  return new StorageError(
    'out_of_order_sample',
    `out of order sample for ${labels.toString()}: timestamp ${t} is older than the series' newest sample at ${newest}`,
  );
}

/** Same timestamp as the newest sample of its series, but a different value. */
export function duplicateSampleForTimestamp(labels: Labels, t: number): StorageError {
  return new StorageError(
    'duplicate_sample_for_timestamp',
    `duplicate sample for timestamp ${t} with a different value for ${labels.toString()}`,
  );
}

/** The sample's timestamp is outside the range the storage currently accepts. */
export function outOfBounds(labels: Labels, t: number, minValid: number): StorageError {
  return new StorageError(
    'out_of_bounds',
    `out of bounds: cannot append sample for ${labels.toString()}: timestamp ${t} is older than the head's minimum valid time ${minValid}`,
  );
}

/** The label set cannot identify a series (empty, duplicate or invalid names). */
export function invalidSeries(labels: Labels, why: string): StorageError {
  return new StorageError('invalid_sample', `invalid series ${labels.toString()}: ${why}`);
}

/** A broken invariant: a bug in Vigil, never a user error. */
export class BugError extends Error {
  constructor(message: string) {
    super(`BUG: ${message}`);
    this.name = 'BugError';
  }
}
