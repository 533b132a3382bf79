/**
 * Patches for `PATCH` requests:
 * - `application/merge-patch+json` — RFC 7386 JSON merge patch: objects merge
 *   recursively, `null` deletes a field, anything else (arrays too) replaces.
 * - `application/strategic-merge-patch+json` — "strategic merge patch lite":
 *   like a merge patch, except that lists Kubernetes merges by a key are merged
 *   element-wise by that key (containers, volumes, env and volumeMounts by
 *   `name`; container ports by `containerPort`; service ports by `port`;
 *   tolerations and taints by `key`) — an element with a matching key is merged,
 *   a new key is appended, and `{"$patch": "delete", <key>: …}` removes one.
 *   Labels, annotations, replicas and every scalar behave as in a merge patch.
 *   Not supported: `$setElementOrder`, `$retainKeys`, `$deleteFromPrimitiveList`.
 * JSON patch (`application/json-patch+json`) is not supported (415).
 */

type Json = unknown;
type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Deepest nesting a patch may have (untrusted input). */
export const MAX_PATCH_DEPTH = 64;

/** RFC 7386. Returns a new value; `target` is not modified. */
export function applyMergePatch(target: Json, patch: Json, depth = 0): Json {
  if (depth > MAX_PATCH_DEPTH) throw new RangeError(`patch nested deeper than ${MAX_PATCH_DEPTH} levels`);
  if (!isObj(patch)) return patch;
  return mergeObjects(isObj(target) ? target : {}, patch, (_k, cur, v) => applyMergePatch(cur, v, depth + 1));
}

/**
 * A new object: `base`'s fields in their order, each patched field replaced by `merge(...)` or
 * dropped when the patch sets it to null, then the patch's new fields. (No `delete`: shapes stay stable.)
 */
function mergeObjects(base: Obj, patch: Obj, merge: (key: string, current: unknown, value: unknown) => unknown): Obj {
  const out: Obj = {};
  for (const [k, cur] of Object.entries(base)) {
    if (!Object.hasOwn(patch, k)) out[k] = cur;
    else if (patch[k] !== null) out[k] = merge(k, cur, patch[k]);
  }
  for (const [k, v] of Object.entries(patch)) {
    if (!Object.hasOwn(base, k) && v !== null && k !== '$patch') out[k] = merge(k, undefined, v);
  }
  return out;
}

/** List field name → merge key, for the strategic merge patch. */
const MERGE_KEYS: Readonly<Record<string, string>> = {
  containers: 'name',
  volumes: 'name',
  env: 'name',
  volumeMounts: 'name',
  tolerations: 'key',
  taints: 'key',
  finalizers: '',
};

function mergeList(target: unknown, patch: unknown[], key: string, field: string, depth: number): unknown[] {
  const out: unknown[] = Array.isArray(target) ? [...target] : [];
  for (const item of patch) {
    if (!isObj(item) || item[key] === undefined) {
      out.push(item);
      continue;
    }
    const idx = out.findIndex((x) => isObj(x) && x[key] === item[key]);
    if (item.$patch === 'delete') {
      if (idx >= 0) out.splice(idx, 1);
      continue;
    }
    if (idx >= 0) out[idx] = applyStrategicPatch(out[idx], item, depth + 1, field);
    else out.push(applyStrategicPatch(undefined, item, depth + 1, field));
  }
  return out;
}

/**
 * The strategic-merge-patch subset described in the file comment. `parentField` tells which
 * list we are inside (ports of a container merge by containerPort, of a service by port).
 */
export function applyStrategicPatch(target: Json, patch: Json, depth = 0, parentField = ''): Json {
  if (depth > MAX_PATCH_DEPTH) throw new RangeError(`patch nested deeper than ${MAX_PATCH_DEPTH} levels`);
  if (!isObj(patch)) return patch;
  return mergeObjects(isObj(target) ? target : {}, patch, (k, cur, v) => {
    let key = MERGE_KEYS[k];
    if (k === 'ports') key = parentField === 'containers' ? 'containerPort' : 'port';
    if (Array.isArray(v) && key !== undefined && key !== '') return mergeList(cur, v, key, k, depth);
    if (Array.isArray(v) && key === '') {
      // Primitive lists merged as sets (finalizers), order kept.
      const list = Array.isArray(cur) ? (cur as unknown[]) : [];
      return [...list, ...v.filter((x) => !list.includes(x))];
    }
    return applyStrategicPatch(cur, v, depth + 1, '');
  });
}
