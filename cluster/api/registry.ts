/**
 * `Registry`: the API server's storage logic for every kind, between the HTTP
 * layer (http.ts) and the `Store`. Each request goes through the same steps
 * Kubernetes' generic registry takes:
 *
 *   create:  fill apiVersion/kind/namespace, generateName → name, defaults,
 *            validation (422), admission (namespace exists and is not
 *            terminating; ResourceQuota for pods), server fields (uid from
 *            hyperid, creationTimestamp, generation 1, fresh status), store create (409 if it exists)
 *   update:  name/namespace/uid must match; a stale metadata.resourceVersion is
 *            409 Conflict; status is kept on the main resource and only status
 *            changes through `/status`; generation += 1 when spec changes
 *   patch:   JSON merge patch or strategic-merge-patch lite (merge_patch.ts) on the
 *            current object, then update (retried on a conflict unless the patch
 *            itself carries a resourceVersion)
 *   delete:  preconditions (uid, resourceVersion); objects with finalizers and
 *            pods bound to a node are deleted gracefully (deletionTimestamp set,
 *            the agent finishes the deletion); a Deployment's ReplicaSets and a
 *            ReplicaSet's Pods (by ownerReferences) are deleted too (background cascade);
 *            deleting a namespace deletes its contents
 *   watch:   resumable from any resourceVersion that is not compacted (410 Expired
 *            as an ERROR event otherwise); "0"/"" starts with ADDED for every current object;
 *            with selectors, objects entering/leaving the selection are ADDED/DELETED
 *
 * `metadata.resourceVersion` is the store revision of the object's last write
 * (not stored in the value; set on every read). All methods throw `ApiError`.
 */
import hyperid from 'hyperid';
import {
  ApiError,
  badRequest,
  conflictError,
  forbiddenError,
  invalidError,
  notFoundError,
} from './api_error.js';
import { applyDefaults } from './defaults.js';
import type { FieldSelector } from './field_selector.js';
import type { Selector } from './label_selector.js';
import { applyMergePatch, applyStrategicPatch } from './merge_patch.js';
import type { ApiObject, Namespace, ObjectList, Pod } from './objects.js';
import { podCharged } from './quota.js';
import { QuotaAdmission } from './quota_admission.js';
import { apiVersionOf, RESOURCES, type ResourceInfo, storeKey, storePrefix } from './resources.js';
import { decodeObject, encodeObject } from './object_codec.js';
import { type ObjectWatch, type WatchOptions, watchObjects } from './object_watch.js';
import { podUpdateErrors } from './pod_update.js';
import { parseResourceVersion, storeToApi } from './store_to_api.js';
import { validateObject } from './validation.js';

import { StoreError } from '../store/errors.js';
import type { KeyValue, Store } from '../store/store.js';

export type { ObjectWatch, WatchEventOut, WatchOptions } from './object_watch.js';
export { MAX_OBJECT_BYTES } from './object_codec.js';

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Namespaces created at start and never deletable. */
export const SYSTEM_NAMESPACES: readonly string[] = ['default', 'kube-system', 'kube-node-lease'];


export interface RegistryLogger {
  info(msg: string, fields?: Readonly<Record<string, unknown>>): void;
  warn(msg: string, fields?: Readonly<Record<string, unknown>>): void;
}

export interface RegistryOptions {
  /** Clock in ms. Default `Date.now`. */
  now?: () => number;
  /** Object uid generator. Default hyperid (unique per process start + counter). */
  uid?: () => string;
  /** Random suffix for `generateName` (5 characters). Default: random from Kubernetes' alphabet. */
  nameSuffix?: () => string;
  logger?: RegistryLogger;
  /** Events expire this long after their creation (a store lease, as Kubernetes does on etcd). Default 3600 s; 0 = never. */
  eventTtlSeconds?: number;
}

/** Events created within this window share one store lease (Kubernetes reuses leases the same way). */
const EVENT_LEASE_REUSE_MS = 60_000;

export interface GetOptions {
  /** Read as of this resourceVersion ('' / '0' = latest). */
  resourceVersion?: string;
}

export interface ListOptions {
  labelSelector?: Selector;
  fieldSelector?: FieldSelector;
  /** Page size (0 = all). Selectors filter within the page, as in Kubernetes. */
  limit?: number;
  /** Token from a previous page's `metadata.continue`. */
  continue?: string;
  resourceVersion?: string;
}

export interface UpdateOptions {
  /** Write the `status` subresource: only `status` changes. */
  subresource?: 'status';
}

export type PatchType = 'merge' | 'strategic';

export interface DeleteOptions {
  /** Overrides the pod's terminationGracePeriodSeconds; 0 deletes at once. */
  gracePeriodSeconds?: number;
  preconditions?: { uid?: string; resourceVersion?: string };
  /** 'Background' (default) deletes dependents; 'Orphan' leaves them. */
  propagationPolicy?: 'Background' | 'Orphan';
}

/** Owner kind → the resource its dependents are (for the delete cascade). */
const OWNED: Readonly<Record<string, string>> = { Deployment: 'replicasets', ReplicaSet: 'pods' };

const SUFFIX_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

function specOf(o: Obj): string {
  // Kinds without spec (ConfigMap, Secret, Endpoints) have no generation semantics beyond 1.
  return JSON.stringify(o.spec ?? null);
}

export class Registry {
  readonly store: Store;
  private readonly now: () => number;
  private readonly uid: () => string;
  private readonly nameSuffix: () => string;
  private readonly logger: RegistryLogger | undefined;
  /** ResourceQuota enforcement (ledger in the quotas' status.used). */
  readonly quota: QuotaAdmission;
  private readonly eventTtlSeconds: number;
  private eventLease = { id: 0, grantedAt: 0 };

  constructor(store: Store, opts: RegistryOptions = {}) {
    this.store = store;
    this.now = opts.now ?? Date.now;
    const gen = hyperid();
    this.uid = opts.uid ?? (() => gen());
    this.nameSuffix =
      opts.nameSuffix ??
      (() => {
        let s = '';
        for (let i = 0; i < 5; i++) s += SUFFIX_ALPHABET[Math.floor(Math.random() * SUFFIX_ALPHABET.length)];
        return s;
      });
    this.logger = opts.logger;
    this.quota = new QuotaAdmission(store, opts.logger);
    this.eventTtlSeconds = opts.eventTtlSeconds ?? 3600;
  }

  /**
   * The store lease new Events are attached to, so they disappear `eventTtlSeconds` after
   * creation (at most a minute later, since one lease serves a minute of events).
   */
  private async leaseForEvent(fresh: boolean): Promise<number> {
    if (this.eventTtlSeconds <= 0) return 0;
    const now = this.now();
    if (fresh || this.eventLease.id === 0 || now - this.eventLease.grantedAt >= EVENT_LEASE_REUSE_MS) {
      const id = await this.store.grantLease(this.eventTtlSeconds + EVENT_LEASE_REUSE_MS / 1000);
      this.eventLease = { id, grantedAt: now };
    }
    return this.eventLease.id;
  }

  private timestamp(): string {
    return new Date(this.now()).toISOString().replace(/\.[0-9]{3}Z$/, 'Z');
  }

  /** Creates the system namespaces when missing. Call once at start; idempotent. */
  async ensureSystemNamespaces(): Promise<void> {
    const info = RESOURCES.find((r) => r.resource === 'namespaces')!;
    for (const name of SYSTEM_NAMESPACES) {
      try {
        await this.create(info, '', { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
      } catch (e) {
        if (!(e instanceof ApiError && e.reason === 'AlreadyExists')) throw e;
      }
    }
  }

  private namespaceOf(info: ResourceInfo, ns: string): string {
    if (info.namespaced && ns === '') throw badRequest(`${info.resource} is namespaced: a namespace is required`);
    return info.namespaced ? ns : '';
  }

  async get(info: ResourceInfo, ns: string, name: string, opts: GetOptions = {}): Promise<ApiObject> {
    const n = this.namespaceOf(info, ns);
    const rev = parseResourceVersion(opts.resourceVersion, 'resourceVersion');
    let kv: KeyValue | null;
    try {
      kv = await this.store.get(storeKey(info, n, name), rev > 0 ? { revision: rev } : {});
    } catch (e) {
      throw storeToApi(e, info, name);
    }
    if (kv === null) throw notFoundError(info, name);
    return decodeObject(kv) as unknown as ApiObject;
  }

  async list(info: ResourceInfo, ns: string, opts: ListOptions = {}): Promise<ObjectList> {
    let revision = parseResourceVersion(opts.resourceVersion, 'resourceVersion');
    let startAfter = '';
    if (opts.continue) {
      const tok = this.decodeContinue(opts.continue);
      revision = tok.rv;
      startAfter = tok.start;
    }
    const limit = opts.limit ?? 0;
    if (!Number.isInteger(limit) || limit < 0) throw badRequest(`invalid limit ${limit}: must be a non-negative integer`);
    let res: Awaited<ReturnType<Store['list']>>;
    try {
      res = await this.store.list(storePrefix(info, ns), { revision, limit, startAfter });
    } catch (e) {
      throw storeToApi(e, info, '');
    }
    const items: ApiObject[] = [];
    for (const kv of res.items) {
      const o = decodeObject(kv) as unknown as ApiObject;
      if (opts.labelSelector && !opts.labelSelector.matches(o.metadata.labels)) continue;
      if (opts.fieldSelector && !opts.fieldSelector.matches(o)) continue;
      items.push(o);
    }
    const metadata: ObjectList['metadata'] = { resourceVersion: String(res.revision) };
    if (res.continueAfter !== '')
      metadata.continue = Buffer.from(JSON.stringify({ rv: res.revision, start: res.continueAfter })).toString('base64url');
    return { apiVersion: apiVersionOf(info), kind: info.listKind, metadata, items };
  }

  private decodeContinue(tok: string): { rv: number; start: string } {
    try {
      const v = JSON.parse(Buffer.from(tok, 'base64url').toString('utf8')) as { rv?: unknown; start?: unknown };
      if (typeof v.rv === 'number' && typeof v.start === 'string') return { rv: v.rv, start: v.start };
    } catch {
      // fall through
    }
    throw badRequest('invalid continue token: pass metadata.continue from the previous page unchanged');
  }

  /** Checks apiVersion/kind/namespace of a body against the request. */
  private prepareBody(info: ResourceInfo, ns: string, body: unknown): Obj {
    if (!isObj(body)) throw badRequest(`the request body must be a ${info.kind} object`);
    const o = structuredClone(body);
    if (o.apiVersion === undefined) o.apiVersion = apiVersionOf(info);
    if (o.kind === undefined) o.kind = info.kind;
    if (o.apiVersion !== apiVersionOf(info) || o.kind !== info.kind)
      throw badRequest(
        `the body is ${String(o.apiVersion)}/${String(o.kind)}, but the request is for ${apiVersionOf(info)}/${info.kind} (${info.resource})`,
      );
    if (!isObj(o.metadata)) o.metadata = {};
    const meta = o.metadata as Obj;
    if (info.namespaced) {
      if (meta.namespace !== undefined && meta.namespace !== '' && meta.namespace !== ns)
        throw badRequest(`the namespace of the provided object (${String(meta.namespace)}) does not match the namespace sent on the request (${ns})`);
      meta.namespace = ns;
    } else if (meta.namespace !== undefined && meta.namespace !== '') {
      throw badRequest(`${info.resource} is not namespaced, but the object has metadata.namespace ${JSON.stringify(meta.namespace)}`);
    } else meta.namespace = undefined;
    return o;
  }

  private validate(info: ResourceInfo, o: Obj, isCreate: boolean): void {
    applyDefaults(info.kind, o);
    const errs = validateObject(info, o, isCreate);
    if (errs.length > 0) {
      const meta = isObj(o.metadata) ? o.metadata : {};
      const name = typeof meta.name === 'string' && meta.name !== '' ? meta.name : String(meta.generateName ?? '');
      throw invalidError(info, name, errs);
    }
  }

  /** Secret.stringData is write-only: merged into data as base64. */
  private foldStringData(o: Obj): void {
    if (o.kind !== 'Secret' || !isObj(o.stringData)) return;
    const data: Obj = isObj(o.data) ? o.data : {};
    for (const [k, v] of Object.entries(o.stringData)) if (typeof v === 'string') data[k] = Buffer.from(v, 'utf8').toString('base64');
    o.data = data;
    o.stringData = undefined;
  }

  private freshStatus(info: ResourceInfo, o: Obj): void {
    switch (info.kind) {
      case 'Pod':
        o.status = { phase: 'Pending' };
        break;
      case 'Namespace':
        o.status = { phase: 'Active' };
        break;
      case 'Deployment':
      case 'ReplicaSet':
      case 'ResourceQuota':
        o.status = {};
        break;
      // Nodes register with their status (capacity, addresses), as Kubernetes allows.
    }
  }

  async create(info: ResourceInfo, ns: string, body: unknown): Promise<ApiObject> {
    const n = this.namespaceOf(info, ns);
    const o = this.prepareBody(info, n, body);
    const meta = o.metadata as Obj;
    if ((meta.name === undefined || meta.name === '') && typeof meta.generateName === 'string' && meta.generateName !== '')
      meta.name = `${meta.generateName}${this.nameSuffix()}`;
    this.validate(info, o, true);
    const name = meta.name as string;
    meta.uid = this.uid();
    meta.creationTimestamp = this.timestamp();
    meta.generation = 1;
    meta.deletionTimestamp = undefined;
    meta.deletionGracePeriodSeconds = undefined;
    this.freshStatus(info, o);
    this.foldStringData(o);
    if (info.namespaced) await this.admitNamespace(info, n, name);
    const write = async () => {
      try {
        const key = storeKey(info, n, name);
        const value = encodeObject(o, info, name);
        let kv: KeyValue;
        if (info.kind !== 'Event') kv = await this.store.create(key, value);
        else {
          try {
            kv = await this.store.create(key, value, { lease: await this.leaseForEvent(false) });
          } catch (e) {
            // The shared lease ran out (or was revoked) under us: take a fresh one once.
            if (!(e instanceof StoreError && e.code === 'lease_not_found')) throw e;
            kv = await this.store.create(key, value, { lease: await this.leaseForEvent(true) });
          }
        }
        meta.resourceVersion = String(kv.modRevision);
      } catch (e) {
        throw storeToApi(e, info, name);
      }
    };
    if (info.kind === 'Pod') await this.quota.admit(n, o as unknown as Pod, write);
    else await write();
    if (info.kind === 'ResourceQuota') await this.quota.recount(n);
    return JSON.parse(JSON.stringify(o)) as ApiObject;
  }

  private async admitNamespace(info: ResourceInfo, ns: string, name: string): Promise<void> {
    const nsInfo = RESOURCES.find((r) => r.resource === 'namespaces')!;
    const kv = await this.store.get(storeKey(nsInfo, '', ns)).catch((e: unknown) => {
      throw storeToApi(e, nsInfo, ns);
    });
    if (kv === null) throw notFoundError(nsInfo, ns);
    const nsObj = JSON.parse(kv.value) as Namespace;
    if (nsObj.status?.phase === 'Terminating')
      throw forbiddenError(info, name, `unable to create new content in namespace ${ns} because it is being terminated`);
  }

  private async currentKv(info: ResourceInfo, ns: string, name: string): Promise<KeyValue> {
    let kv: KeyValue | null;
    try {
      kv = await this.store.get(storeKey(info, ns, name));
    } catch (e) {
      throw storeToApi(e, info, name);
    }
    if (kv === null) throw notFoundError(info, name);
    return kv;
  }

  async update(info: ResourceInfo, ns: string, name: string, body: unknown, opts: UpdateOptions = {}): Promise<ApiObject> {
    const n = this.namespaceOf(info, ns);
    const o = this.prepareBody(info, n, body);
    const bodyName = (o.metadata as Obj).name;
    if (bodyName !== undefined && bodyName !== name)
      throw badRequest(`the name of the object (${String(bodyName)}) does not match the name on the URL (${name})`);
    const kv = await this.currentKv(info, n, name);
    return this.updateFrom(info, n, name, kv, o, opts);
  }

  private async updateFrom(info: ResourceInfo, ns: string, name: string, kv: KeyValue, o: Obj, opts: UpdateOptions): Promise<ApiObject> {
    const old = decodeObject(kv);
    const oldMeta = old.metadata as Obj;
    const meta = o.metadata as Obj;
    if (meta.name !== undefined && meta.name !== name)
      throw badRequest(`the name of the object (${String(meta.name)}) does not match the name on the URL (${name})`);
    meta.name = name;
    if (meta.uid !== undefined && meta.uid !== '' && meta.uid !== oldMeta.uid)
      throw conflictError(info, name, `Precondition failed: UID in precondition: ${String(meta.uid)}, UID in object meta: ${String(oldMeta.uid)}`);
    const rv = meta.resourceVersion;
    if (rv !== undefined && rv !== '' && rv !== String(kv.modRevision)) throw conflictError(info, name);
    let next: Obj;
    if (opts.subresource === 'status') {
      if (!info.hasStatus) throw notFoundError(info, `${name}/status`);
      next = structuredClone(old);
      next.status = o.status;
    } else {
      next = o;
      if (info.hasStatus) next.status = old.status;
      const nm = next.metadata as Obj;
      for (const k of ['uid', 'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'generation']) nm[k] = oldMeta[k];
      this.validate(info, next, false);
      if (info.kind === 'Pod') {
        const errs = podUpdateErrors(old, next);
        if (errs.length > 0) throw invalidError(info, name, errs);
      }
      this.foldStringData(next);
      if (specOf(next) !== specOf(old)) nm.generation = (typeof oldMeta.generation === 'number' ? oldMeta.generation : 1) + 1;
    }
    const nm = next.metadata as Obj;
    // The last finalizer of an object being deleted is gone: finish the deletion.
    const fins = Array.isArray(nm.finalizers) ? nm.finalizers : [];
    if (nm.deletionTimestamp !== undefined && fins.length === 0 && !this.awaitsAgent(info, next)) {
      try {
        const d = await this.store.delete(kv.key, kv.modRevision);
        nm.resourceVersion = String(d.modRevision);
      } catch (e) {
        throw storeToApi(e, info, name);
      }
      if (info.kind === 'Pod' && podCharged(old as unknown as Pod)) await this.quota.release(ns, old as unknown as Pod);
      return next as unknown as ApiObject;
    }
    try {
      const u = await this.store.update(kv.key, encodeObject(next, info, name), kv.modRevision, { lease: kv.lease });
      nm.resourceVersion = String(u.modRevision);
    } catch (e) {
      throw storeToApi(e, info, name);
    }
    if (info.kind === 'Pod' && podCharged(old as unknown as Pod) && !podCharged(next as unknown as Pod))
      await this.quota.release(ns, next as unknown as Pod);
    if (info.kind === 'ResourceQuota' && opts.subresource !== 'status') await this.quota.recount(ns);
    return next as unknown as ApiObject;
  }

  /**
   * Applies a patch to the current object and updates it. Without a resourceVersion in the
   * patch a concurrent write is retried (up to 5 times), as Kubernetes does for patches.
   */
  async patch(info: ResourceInfo, ns: string, name: string, patch: unknown, type: PatchType, opts: UpdateOptions = {}): Promise<ApiObject> {
    const n = this.namespaceOf(info, ns);
    if (!isObj(patch)) throw badRequest('the patch must be a JSON object');
    const pinned = isObj(patch.metadata) && patch.metadata.resourceVersion !== undefined;
    for (let attempt = 0; ; attempt++) {
      const kv = await this.currentKv(info, n, name);
      const cur = decodeObject(kv);
      let patched: unknown;
      try {
        patched = type === 'merge' ? applyMergePatch(cur, patch) : applyStrategicPatch(cur, patch);
      } catch (e) {
        throw badRequest(`cannot apply the patch: ${e instanceof Error ? e.message : String(e)}`);
      }
      try {
        return await this.updateFrom(info, n, name, kv, this.prepareBody(info, n, patched), opts);
      } catch (e) {
        if (pinned || attempt >= 4 || !(e instanceof ApiError && e.reason === 'Conflict')) throw e;
      }
    }
  }

  /** Pods bound to a node are finished by that node's agent after it stopped the processes. */
  private awaitsAgent(info: ResourceInfo, o: Obj): boolean {
    if (info.kind !== 'Pod' || !isObj(o.spec) || typeof o.spec.nodeName !== 'string' || o.spec.nodeName === '') return false;
    const meta = o.metadata as Obj;
    const phase = isObj(o.status) ? o.status.phase : undefined;
    return meta.deletionGracePeriodSeconds !== 0 && phase !== 'Succeeded' && phase !== 'Failed';
  }

  async delete(info: ResourceInfo, ns: string, name: string, opts: DeleteOptions = {}): Promise<ApiObject> {
    const n = this.namespaceOf(info, ns);
    if (info.kind === 'Namespace' && SYSTEM_NAMESPACES.includes(name))
      throw forbiddenError(info, name, 'this namespace may not be deleted');
    for (let attempt = 0; ; attempt++) {
      const kv = await this.currentKv(info, n, name);
      const o = decodeObject(kv);
      const meta = o.metadata as Obj;
      const pre = opts.preconditions;
      if (pre?.uid !== undefined && pre.uid !== meta.uid)
        throw conflictError(info, name, `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${String(meta.uid)}`);
      if (pre?.resourceVersion !== undefined && pre.resourceVersion !== String(kv.modRevision))
        throw conflictError(info, name, `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${kv.modRevision}`);
      try {
        const result = await this.deleteOnce(info, name, kv, o, opts);
        if (opts.propagationPolicy !== 'Orphan' && result.gone) await this.cascade(n, info.kind, String(meta.uid));
        if (info.kind === 'Pod' && result.gone && podCharged(o as unknown as Pod)) await this.quota.release(n, o as unknown as Pod);
        return result.obj as unknown as ApiObject;
      } catch (e) {
        const mapped = storeToApi(e, info, name);
        if (attempt >= 4 || !(mapped instanceof ApiError && mapped.reason === 'Conflict') || pre?.resourceVersion !== undefined) throw mapped;
      }
    }
  }

  private async deleteOnce(info: ResourceInfo, name: string, kv: KeyValue, o: Obj, opts: DeleteOptions): Promise<{ obj: Obj; gone: boolean }> {
    const meta = o.metadata as Obj;
    const fins = Array.isArray(meta.finalizers) ? meta.finalizers : [];
    let grace: number | undefined = opts.gracePeriodSeconds;
    if (info.kind === 'Pod' && grace === undefined && isObj(o.spec)) {
      const t = o.spec.terminationGracePeriodSeconds;
      grace = typeof t === 'number' ? t : 30;
    }
    if (info.kind === 'Pod' && this.awaitsAgent(info, o) && grace !== undefined && grace > 0) {
      // Graceful: mark and let the node agent stop the pod and finish the deletion.
      const deadline = this.now() + grace * 1000;
      const existing = typeof meta.deletionTimestamp === 'string' ? Date.parse(meta.deletionTimestamp) : Number.POSITIVE_INFINITY;
      if (deadline < existing) {
        meta.deletionTimestamp = new Date(deadline).toISOString().replace(/\.[0-9]{3}Z$/, 'Z');
        meta.deletionGracePeriodSeconds = grace;
        const u = await this.store.update(kv.key, encodeObject(o, info, name), kv.modRevision, { lease: kv.lease });
        meta.resourceVersion = String(u.modRevision);
      }
      return { obj: o, gone: false };
    }
    if (fins.length > 0) {
      if (meta.deletionTimestamp === undefined) {
        meta.deletionTimestamp = this.timestamp();
        meta.deletionGracePeriodSeconds = 0;
        const u = await this.store.update(kv.key, encodeObject(o, info, name), kv.modRevision, { lease: kv.lease });
        meta.resourceVersion = String(u.modRevision);
      }
      return { obj: o, gone: false };
    }
    if (info.kind === 'Namespace') await this.deleteNamespaceContents(name, kv, o);
    const d = await this.store.delete(kv.key, info.kind === 'Namespace' ? 0 : kv.modRevision);
    meta.resourceVersion = String(d.modRevision);
    return { obj: o, gone: true };
  }

  /** Marks the namespace Terminating (no new content), then deletes every namespaced object in it. */
  private async deleteNamespaceContents(ns: string, kv: KeyValue, o: Obj): Promise<void> {
    o.status = { phase: 'Terminating' };
    await this.store.update(kv.key, encodeObject(o, RESOURCES[0]!, ns), kv.modRevision);
    for (const info of RESOURCES) {
      if (!info.namespaced) continue;
      const items = await this.store.list(storePrefix(info, ns));
      for (const item of items.items) {
        await this.store.delete(item.key).catch((e: unknown) => {
          if (!(e instanceof StoreError && e.code === 'not_found')) throw e;
        });
      }
    }
  }

  /**
   * Deletes (gracefully, for pods) the objects owned by the deleted `kind`/`uid`, recursively:
   * Deployment → its ReplicaSets → their Pods. Only these owner kinds are followed, so a pod
   * deletion costs no scan; other ownerReferences are informational until a garbage collector exists.
   */
  private async cascade(ns: string, kind: string, uid: string): Promise<void> {
    const dependents = OWNED[kind];
    if (ns === '' || dependents === undefined) return;
    const info = RESOURCES.find((r) => r.resource === dependents)!;
    const items = await this.store.list(storePrefix(info, ns));
    for (const kv of items.items) {
      const o = JSON.parse(kv.value) as ApiObject;
      if (!(o.metadata.ownerReferences ?? []).some((r) => r.uid === uid)) continue;
      try {
        await this.delete(info, ns, o.metadata.name, {});
      } catch (e) {
        if (!(e instanceof ApiError && e.reason === 'NotFound')) throw e;
      }
    }
  }


  /** Watches a kind in a namespace ('' = all); see object_watch.ts. */
  watch(info: ResourceInfo, ns: string, opts: WatchOptions = {}): ObjectWatch {
    return watchObjects(this.store, info, ns, opts);
  }
}
