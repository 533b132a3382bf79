/**
 * `Informer`: a list+watch cache of one kind, as client-go's shared informer:
 * it lists every object, then watches from the list's resourceVersion, keeps
 * `ns/name → object` in memory and calls handlers on add/update/delete. When a
 * watch ends or fails (compaction: 410) it re-lists and reports differences.
 * Every `resyncMs` it calls `onUpdate(o, o)` for every cached object, so
 * level-triggered controllers re-check the world even when nothing changed.
 *
 * Handlers run synchronously in event order and must not throw (they usually
 * only enqueue keys). The cache is read-only for callers.
 */
import type { ApiObject } from '../api/objects.js';
import type { Registry } from '../api/registry.js';
import type { ResourceInfo } from '../api/resources.js';

export interface InformerHandlers<T extends ApiObject> {
  onAdd?(o: T): void;
  onUpdate?(old: T, o: T): void;
  onDelete?(o: T): void;
}

export interface InformerOptions {
  /** Namespace to watch; '' = all. Default ''. */
  namespace?: string;
  /** Full resync period, ms; 0 = none. Default 0. */
  resyncMs?: number;
  /** Delay before re-listing after a watch failure, ms. Default 1000. */
  relistDelayMs?: number;
  logger?: { warn(msg: string, fields?: Readonly<Record<string, unknown>>): void };
}

/** `ns/name` (or `name` for cluster-scoped objects): the key work queues and caches use. */
export function objectKey(o: ApiObject): string {
  const ns = o.metadata.namespace ?? '';
  return ns === '' ? o.metadata.name : `${ns}/${o.metadata.name}`;
}

/** Splits a key from `objectKey` into namespace ('' when cluster-scoped) and name. */
export function splitKey(key: string): { namespace: string; name: string } {
  const i = key.indexOf('/');
  return i < 0 ? { namespace: '', name: key } : { namespace: key.slice(0, i), name: key.slice(i + 1) };
}

export class Informer<T extends ApiObject> {
  readonly info: ResourceInfo;
  private readonly registry: Registry;
  private readonly opts: InformerOptions;
  private readonly cache = new Map<string, T>();
  private readonly handlers: InformerHandlers<T>[] = [];
  private synced = false;
  private stopped = false;
  private closeWatch: (() => void) | null = null;
  private resyncTimer: NodeJS.Timeout | null = null;
  private relistTimer: NodeJS.Timeout | null = null;
  private firstSync: Promise<void> | null = null;

  constructor(registry: Registry, info: ResourceInfo, opts: InformerOptions = {}) {
    this.registry = registry;
    this.info = info;
    this.opts = opts;
  }

  addHandlers(h: InformerHandlers<T>): void {
    this.handlers.push(h);
  }

  /** Whether the first list completed. */
  hasSynced(): boolean {
    return this.synced;
  }

  /** The cached object under `key`, or undefined. */
  get(key: string): T | undefined {
    return this.cache.get(key);
  }

  /** Every cached object (a fresh array). */
  list(): T[] {
    return [...this.cache.values()];
  }

  /** Lists, then watches in the background. Resolves once the first list is in the cache. */
  start(): Promise<void> {
    this.stopped = false;
    if (this.firstSync === null) {
      this.firstSync = this.relist();
      const r = this.opts.resyncMs ?? 0;
      if (r > 0) {
        this.resyncTimer = setInterval(() => this.resync(), r);
        this.resyncTimer.unref();
      }
    }
    return this.firstSync;
  }

  /** Calls `onUpdate(o, o)` for every cached object. */
  resync(): void {
    for (const o of this.cache.values()) for (const h of this.handlers) h.onUpdate?.(o, o);
  }

  stop(): void {
    this.stopped = true;
    if (this.resyncTimer !== null) clearInterval(this.resyncTimer);
    if (this.relistTimer !== null) clearTimeout(this.relistTimer);
    this.closeWatch?.();
    this.closeWatch = null;
  }

  private async relist(): Promise<void> {
    const ns = this.opts.namespace ?? '';
    const l = await this.registry.list(this.info, ns);
    const seen = new Set<string>();
    for (const item of l.items as T[]) {
      const k = objectKey(item);
      seen.add(k);
      this.apply(k, item);
    }
    for (const [k, o] of [...this.cache]) {
      if (seen.has(k)) continue;
      this.cache.delete(k);
      for (const h of this.handlers) h.onDelete?.(o);
    }
    this.synced = true;
    if (!this.stopped) void this.watchFrom(l.metadata.resourceVersion);
  }

  private apply(k: string, o: T): void {
    const old = this.cache.get(k);
    this.cache.set(k, o);
    if (old === undefined) for (const h of this.handlers) h.onAdd?.(o);
    else if (old.metadata.resourceVersion !== o.metadata.resourceVersion) for (const h of this.handlers) h.onUpdate?.(old, o);
  }

  private async watchFrom(rv: string): Promise<void> {
    const w = this.registry.watch(this.info, this.opts.namespace ?? '', { resourceVersion: rv });
    this.closeWatch = () => w.close();
    try {
      for await (const ev of w) {
        if (ev.type === 'ERROR') break;
        const o = ev.object as T;
        const k = objectKey(o);
        if (ev.type === 'DELETED') {
          const old = this.cache.get(k);
          this.cache.delete(k);
          for (const h of this.handlers) h.onDelete?.(old ?? o);
        } else this.apply(k, o);
      }
    } catch (e) {
      if (!this.stopped) this.opts.logger?.warn('watch failed; re-listing', { resource: this.info.resource, err: e instanceof Error ? e.message : String(e) });
    }
    if (this.stopped) return;
    this.relistTimer = setTimeout(() => {
      this.relist().catch((e: unknown) => {
        this.opts.logger?.warn('re-list failed', { resource: this.info.resource, err: e instanceof Error ? e.message : String(e) });
        if (!this.stopped) void this.watchFrom('0');
      });
    }, this.opts.relistDelayMs ?? 1000);
    this.relistTimer.unref();
  }
}
