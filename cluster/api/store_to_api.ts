/**
 * Translation from the store's world to the API's: `storeToApi` maps a
 * `StoreError` to the Kubernetes Status error the client should see (404, 409,
 * 410 Expired, 503, …), and `parseResourceVersion` checks a resourceVersion
 * from a URL or body ('' = none = 0).
 */
import { ApiError, alreadyExistsError, badRequest, conflictError, expiredError, notFoundError } from './api_error.js';
import type { ResourceInfo } from './resources.js';
import { StoreError } from '../store/errors.js';

/** A resourceVersion as a store revision; '' / undefined = 0. Throws 400 when not a decimal integer. */
export function parseResourceVersion(s: string | undefined, what: string): number {
  if (s === undefined || s === '') return 0;
  if (!/^[0-9]{1,16}$/.test(s)) throw badRequest(`invalid ${what} ${JSON.stringify(s)}: must be a non-negative integer`);
  return Number(s);
}

/** The API error for a store error (other errors pass through unchanged). */
export function storeToApi(e: unknown, info: ResourceInfo, name: string): unknown {
  if (!(e instanceof StoreError)) return e;
  switch (e.code) {
    case 'not_found':
    // A write to a key whose lease (an Event's TTL) just ran out: the object is as good as gone.
    case 'lease_not_found':
      return notFoundError(info, name);
    case 'already_exists':
      return alreadyExistsError(info, name);
    case 'conflict':
      return conflictError(info, name);
    case 'compacted':
    case 'watch_overflow':
      return expiredError(e.message);
    case 'future_revision':
      return new ApiError(504, 'InternalError', `Timeout: Too large resource version: ${e.message}`);
    case 'invalid_key':
      return badRequest(e.message);
    default:
      return new ApiError(503, 'ServiceUnavailable', `the cluster store is unavailable: ${e.message}`);
  }
}

