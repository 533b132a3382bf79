/**
 * `QuotaAdmission`: enforces ResourceQuota when pods are created, with the
 * quota's `status.used` as the ledger — Kubernetes' design:
 *
 * - admit: for each quota of the namespace, read it, check `used + requested ≤ hard`
 *   (403 "exceeded quota" otherwise), and compare-and-swap `status.used += requested`;
 *   only then is the pod written (a failed write refunds). The CAS on the quota
 *   object makes concurrent creates on several API servers unable to overshoot;
 *   within one process creates per namespace are also serialised to avoid CAS retries.
 * - release: a pod that stops counting (deleted, or Succeeded/Failed) refunds its usage.
 * - recount: recomputes `status.used` from the live pods — on quota create/change, when
 *   a quota has no ledger yet, and periodically (`recountAll`) to repair drift such as a
 *   charge whose pod write never happened because the process died in between.
 * Each admission costs two small reads and one write per quota, independent of pod count.
 */
import { forbiddenError } from './api_error.js';
import type { Pod, ResourceQuota } from './objects.js';
import { parseQuantity } from './quantity.js';
import { addUsage, checkQuota, podCharged, podUsage, type Usage, usedList } from './quota.js';
import { RESOURCES, storePrefix } from './resources.js';
import { StoreError } from '../store/errors.js';
import type { KeyValue, Store } from '../store/store.js';

const PODS = RESOURCES.find((r) => r.resource === 'pods')!;
const QUOTAS = RESOURCES.find((r) => r.resource === 'resourcequotas')!;
const ALIASES: Readonly<Record<string, string>> = { cpu: 'requests.cpu', memory: 'requests.memory' };
/** CAS attempts per quota before giving up with the conflict. */
const MAX_ATTEMPTS = 10;

export interface QuotaLogger {
  warn(msg: string, fields?: Readonly<Record<string, unknown>>): void;
}

/** The ledger in `status.used`, or null when it does not cover every hard resource. */
function ledger(q: ResourceQuota): Usage | null {
  const used = q.status?.used;
  if (used === undefined) return null;
  const out: Usage = new Map();
  for (const r of Object.keys(q.spec.hard)) {
    const s = used[r];
    const v = s === undefined ? null : parseQuantity(s);
    if (v === null) return null;
    out.set(ALIASES[r] ?? r, v);
  }
  return out;
}

function scaled(u: Usage, sign: number): Usage {
  const out: Usage = new Map();
  for (const [k, v] of u) out.set(k, v * sign);
  return out;
}

export class QuotaAdmission {
  private readonly store: Store;
  private readonly logger: QuotaLogger | undefined;
  private readonly locks = new Map<string, Promise<unknown>>();

  constructor(store: Store, logger?: QuotaLogger) {
    this.store = store;
    this.logger = logger;
  }

  private async withLock<T>(ns: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.locks.get(ns) ?? Promise.resolve();
    const run = prev.then(fn, fn);
    const tail = run.catch(() => undefined);
    this.locks.set(ns, tail);
    try {
      return await run;
    } finally {
      if (this.locks.get(ns) === tail) this.locks.delete(ns);
    }
  }

  /** Live pod usage of a namespace (a full list: used for recounts only). */
  private async countUsage(ns: string): Promise<Usage> {
    const used: Usage = new Map();
    const pods = await this.store.list(storePrefix(PODS, ns));
    for (const kv of pods.items) {
      const p = JSON.parse(kv.value) as Pod;
      if (podCharged(p)) addUsage(used, podUsage(p));
    }
    return used;
  }

  private async writeLedger(kv: KeyValue, q: ResourceQuota, used: Usage): Promise<void> {
    for (const [k, v] of used) if (v < 0) used.set(k, 0);
    q.status = { hard: { ...q.spec.hard }, used: usedList(q, used) };
    await this.store.update(kv.key, JSON.stringify(q), kv.modRevision);
  }

  /**
   * Charges `pod` to every quota of `ns` (throwing 403 when one is exceeded), runs `write`,
   * and refunds if `write` throws.
   */
  async admit(ns: string, pod: Pod, write: () => Promise<void>): Promise<void> {
    await this.withLock(ns, async () => {
      const req = podUsage(pod);
      const charged: string[] = [];
      try {
        const quotas = await this.store.list(storePrefix(QUOTAS, ns));
        for (const item of quotas.items) {
          await this.apply(item.key, ns, req, (q, used) => {
            const why = checkQuota(q, used, req);
            if (why !== null) throw forbiddenError(PODS, pod.metadata.name, why);
          });
          charged.push(item.key);
        }
        await write();
      } catch (e) {
        for (const key of charged) await this.apply(key, ns, scaled(req, -1), null).catch((err: unknown) => this.warn(ns, err));
        throw e;
      }
    });
  }

  /** Refunds a pod that stopped counting (deleted or terminal). Best effort: failures are logged. */
  async release(ns: string, pod: Pod): Promise<void> {
    try {
      const quotas = await this.store.list(storePrefix(QUOTAS, ns));
      for (const item of quotas.items) await this.apply(item.key, ns, scaled(podUsage(pod), -1), null);
    } catch (e) {
      this.warn(ns, e);
    }
  }

  /** Adds `delta` to one quota's ledger by CAS, after `check` (which may throw) approves. */
  private async apply(key: string, ns: string, delta: Usage, check: ((q: ResourceQuota, used: Usage) => void) | null): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const kv = await this.store.get(key);
      if (kv === null) return; // the quota was deleted meanwhile: nothing to charge
      const q = JSON.parse(kv.value) as ResourceQuota;
      const used = ledger(q) ?? (await this.countUsage(ns));
      check?.(q, used);
      addUsage(used, delta);
      try {
        await this.writeLedger(kv, q, used);
        return;
      } catch (e) {
        if (!(e instanceof StoreError && e.code === 'conflict') || attempt >= MAX_ATTEMPTS) throw e;
      }
    }
  }

  /** Recomputes the ledgers of a namespace's quotas from its live pods. */
  async recount(ns: string): Promise<void> {
    await this.withLock(ns, async () => {
      try {
        const quotas = await this.store.list(storePrefix(QUOTAS, ns));
        if (quotas.items.length === 0) return;
        const used = await this.countUsage(ns);
        for (const kv of quotas.items) {
          const q = JSON.parse(kv.value) as ResourceQuota;
          const cur = ledger(q);
          const fresh = new Map(used);
          if (cur !== null && [...cur].every(([k, v]) => Math.abs((fresh.get(k) ?? 0) - v) < 1e-9)) continue;
          await this.writeLedger(kv, q, fresh).catch((e: unknown) => {
            if (!(e instanceof StoreError && e.code === 'conflict')) throw e;
          });
        }
      } catch (e) {
        this.warn(ns, e);
      }
    });
  }

  /** Recounts every namespace that has a quota (for a periodic resync). */
  async recountAll(): Promise<void> {
    const quotas = await this.store.list(storePrefix(QUOTAS, ''));
    const namespaces = new Set(quotas.items.map((kv) => (JSON.parse(kv.value) as ResourceQuota).metadata.namespace ?? ''));
    for (const ns of namespaces) if (ns !== '') await this.recount(ns);
  }

  private warn(ns: string, e: unknown): void {
    this.logger?.warn('updating resource quota usage failed', { namespace: ns, err: e instanceof Error ? e.message : String(e) });
  }
}
