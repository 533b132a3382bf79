/**
 * `watchObjects`: a Kubernetes watch over the store — events after a
 * resourceVersion (or, from '' / '0', an ADDED event per current object first),
 * filtered by label and field selectors with Kubernetes' watch-cache
 * semantics (an object entering the selection is ADDED, one leaving it is
 * DELETED), and a compacted resourceVersion reported as one ERROR event with
 * a 410 Expired Status.
 */
import { ApiError } from './api_error.js';
import type { FieldSelector } from './field_selector.js';
import type { Selector } from './label_selector.js';
import { decodeObject } from './object_codec.js';
import type { ApiObject } from './objects.js';
import { type ResourceInfo, storePrefix } from './resources.js';
import { parseResourceVersion, storeToApi } from './store_to_api.js';
import type { Store, WatchStream } from '../store/store.js';

export interface WatchOptions {
  resourceVersion?: string;
  labelSelector?: Selector;
  fieldSelector?: FieldSelector;
}

/** One watch event as Kubernetes streams it; ERROR carries a Status object. */
export interface WatchEventOut {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'ERROR';
  object: ApiObject | ReturnType<ApiError['toStatus']>;
}

/** A running watch: iterate it; `close()` stops it. */
export interface ObjectWatch extends AsyncIterable<WatchEventOut> {
  close(): void;
}

/**
 * Watches a kind in a namespace ('' = all). Events after `resourceVersion`; with '' or '0',
 * first an ADDED event for every current object. Selector filtering applies to each event's object.
 */
export function watchObjects(store: Store, info: ResourceInfo, ns: string, opts: WatchOptions = {}): ObjectWatch {
  const rv = parseResourceVersion(opts.resourceVersion, 'resourceVersion');
  const prefix = storePrefix(info, ns);
  let stream: WatchStream | null = null;
  let closed = false;
  const matches = (o: ApiObject) =>
    (!opts.labelSelector || opts.labelSelector.matches(o.metadata.labels)) && (!opts.fieldSelector || opts.fieldSelector.matches(o));
  async function* run(): AsyncGenerator<WatchEventOut> {
    let from = rv;
    if (from === 0) {
      const l = await store.list(prefix).catch((e: unknown) => {
        throw storeToApi(e, info, '');
      });
      from = l.revision;
      for (const kv of l.items) {
        const o = decodeObject(kv) as unknown as ApiObject;
        if (matches(o)) yield { type: 'ADDED', object: o };
      }
    }
    if (closed) return;
    stream = store.watch(prefix, from);
    try {
      for await (const ev of stream) {
        const o = decodeObject(ev.kv, ev.revision) as unknown as ApiObject;
        const now = matches(o);
        if (ev.type !== 'MODIFIED' || ev.prevValue === null) {
          if (now) yield { type: ev.type, object: o };
          continue;
        }
        // As Kubernetes' watch cache: an object entering the selection is ADDED, one leaving it
        // is DELETED (with its previous content and the new resourceVersion).
        const prev = decodeObject({ ...ev.kv, value: ev.prevValue }, ev.revision) as unknown as ApiObject;
        const before = matches(prev);
        if (now) yield { type: before ? 'MODIFIED' : 'ADDED', object: o };
        else if (before) yield { type: 'DELETED', object: prev };
      }
    } catch (e) {
      const mapped = storeToApi(e, info, '');
      if (mapped instanceof ApiError) yield { type: 'ERROR', object: mapped.toStatus() };
      else throw mapped;
    }
  }
  const gen = run();
  return {
    [Symbol.asyncIterator]: () => gen,
    close: () => {
      closed = true;
      stream?.close();
      void gen.return(undefined);
    },
  };
}

