/**
 * How API objects are stored: JSON without `metadata.resourceVersion` (the
 * store revision is the resourceVersion, set on every read), at most
 * `MAX_OBJECT_BYTES` each.
 */
import { ApiError } from './api_error.js';
import type { ResourceInfo } from './resources.js';
import type { KeyValue } from '../store/store.js';

type Obj = Record<string, unknown>;

/** Largest stored object (etcd's default request limit is 1.5 MiB). */
export const MAX_OBJECT_BYTES = 1536 * 1024;

/** Decodes a stored value; its resourceVersion is `revision` (default: the key's last write). */
export function decodeObject(kv: KeyValue, revision = kv.modRevision): Obj {
  const o = JSON.parse(kv.value) as Obj;
  const meta = o.metadata;
  if (typeof meta === 'object' && meta !== null && !Array.isArray(meta)) (meta as Obj).resourceVersion = String(revision);
  return o;
}

/** Encodes an object for the store (without resourceVersion). Throws 413 when too large. */
export function encodeObject(o: Obj, info: ResourceInfo, name: string): string {
  const meta = o.metadata as Obj;
  const rv = meta.resourceVersion;
  meta.resourceVersion = undefined;
  const s = JSON.stringify(o);
  meta.resourceVersion = rv;
  if (s.length > MAX_OBJECT_BYTES)
    throw new ApiError(413, 'RequestEntityTooLarge', `${info.resource} "${name}" is ${s.length} bytes, more than the limit of ${MAX_OBJECT_BYTES}`);
  return s;
}
