/**
 * `EtcdStore`: the cluster store on etcd v3 (the `etcd3` client), for control
 * planes of several `vigil server` processes. etcd's own revisions are the
 * store revisions (a key's mod_revision is the object's resourceVersion),
 * writes are transactions comparing mod_revision (the same compare-and-swap
 * the Kubernetes apiserver issues), reads at a revision and watches are
 * native, and leases are etcd leases.
 *
 * Two details differ from a plain etcd client:
 * - Lease ids are chosen by us (random 48-bit integers) so they stay exact in
 *   JavaScript numbers; etcd's own ids use all 64 bits.
 * - etcd does not report its compacted revision on reads, so `compact()` first
 *   records it under `COMPACT_REVISION_KEY` (as the apiserver keeps its
 *   "compact_rev_key"); `compactRevision()` reads it back.
 */
import { randomInt } from 'node:crypto';
import { Etcd3, type IKeyValue, type IWatchResponse, type Watcher } from 'etcd3';
import { alreadyExists, checkKey, compacted, conflict, futureRevision, leaseNotFound, notFound, StoreError, storeClosed } from './errors.js';
import type { GetOptions, KeyValue, ListOptions, ListResult, Store, WatchEvent, WatchStream, WriteOptions } from './store.js';
import { WatchChannel } from './watch_channel.js';

/** Where `compact()` records the revision it compacted at. Outside `/registry/`, never listed by the API. */
export const COMPACT_REVISION_KEY = '/.vigil/compact_revision';

export interface EtcdStoreOptions {
  /** Dial timeout in ms. Default 5000. */
  dialTimeoutMs?: number;
  /** Unread events a watcher may queue before it is closed. Default 10 000. */
  watchCapacity?: number;
}

const enc = (s: string): Buffer => Buffer.from(s, 'utf8');

function rangeEnd(prefix: string): Buffer {
  // Keys are printable ASCII, so every key with the prefix sorts below prefix + DEL;
  // the empty prefix means every key ("\0" is etcd's "to the end").
  return prefix === '' ? Buffer.from([0]) : enc(prefix + '\x7f');
}

function toKeyValue(kv: IKeyValue): KeyValue {
  return {
    key: kv.key.toString('utf8'),
    value: kv.value.toString('utf8'),
    createRevision: Number(kv.create_revision),
    modRevision: Number(kv.mod_revision),
    lease: Number(kv.lease),
  };
}

/**
 * Maps an etcd client error to a StoreError. etcd reports compaction and future
 * revisions only as gRPC OutOfRange messages, so this one edge reads message text.
 */
function mapError(e: unknown, key: string, revision: number): unknown {
  if (e instanceof StoreError) return e;
  const msg = e instanceof Error ? e.message : String(e);
  if (msg.includes('required revision has been compacted')) return compacted(key, revision, 0);
  if (msg.includes('required revision is a future revision')) return futureRevision(key, revision, 0);
  if (msg.includes('requested lease not found')) return leaseNotFound(0);
  return new StoreError('unavailable', key, `etcd: ${msg}`);
}

export class EtcdStore implements Store {
  readonly backend = 'etcd';
  readonly endpoint: string;
  private readonly client: Etcd3;
  private readonly watchCapacity: number;
  private readonly channels = new Set<WatchChannel>();
  private isClosed = false;

  /** `endpoint` is `host:port` (or a full http:// URL) of an etcd v3 client port. */
  constructor(endpoint: string, opts: EtcdStoreOptions = {}) {
    this.endpoint = endpoint;
    this.watchCapacity = opts.watchCapacity ?? 10_000;
    const host = endpoint.includes('://') ? endpoint : `http://${endpoint}`;
    this.client = new Etcd3({ hosts: host, dialTimeout: opts.dialTimeoutMs ?? 5000 });
  }

  private checkOpen(): void {
    if (this.isClosed) throw storeClosed();
  }

  private async call<T>(key: string, revision: number, fn: () => Promise<T>): Promise<T> {
    this.checkOpen();
    try {
      return await fn();
    } catch (e) {
      const mapped = mapError(e, key, revision);
      if (mapped instanceof StoreError && mapped.code === 'compacted')
        throw compacted(key, revision, await this.compactRevision().catch(() => 0));
      if (mapped instanceof StoreError && mapped.code === 'future_revision')
        throw futureRevision(key, revision, await this.currentRevision().catch(() => 0));
      throw mapped;
    }
  }

  async currentRevision(): Promise<number> {
    const r = await this.call('', 0, () => this.client.kv.range({ key: enc(COMPACT_REVISION_KEY), count_only: true }));
    return Number(r.header.revision);
  }

  async compactRevision(): Promise<number> {
    const r = await this.call('', 0, () => this.client.kv.range({ key: enc(COMPACT_REVISION_KEY) }));
    const kv = r.kvs[0];
    return kv === undefined ? 0 : Number(kv.value.toString('utf8'));
  }

  async get(key: string, opts: GetOptions = {}): Promise<KeyValue | null> {
    checkKey(key);
    const rev = opts.revision ?? 0;
    const r = await this.call(key, rev, () => this.client.kv.range({ key: enc(key), revision: rev }));
    const kv = r.kvs[0];
    return kv === undefined ? null : toKeyValue(kv);
  }

  async list(prefix: string, opts: ListOptions = {}): Promise<ListResult> {
    checkKey(prefix, true);
    const rev = opts.revision ?? 0;
    const limit = opts.limit ?? 0;
    const start = opts.startAfter !== undefined && opts.startAfter >= prefix ? `${opts.startAfter}\x00` : prefix;
    const r = await this.call(prefix, rev, () =>
      this.client.kv.range({
        key: start === '' ? Buffer.from([0]) : enc(start),
        range_end: rangeEnd(prefix),
        revision: rev,
        limit: limit > 0 ? limit + 1 : 0,
      }),
    );
    const items = r.kvs.map(toKeyValue).filter((kv) => kv.key !== COMPACT_REVISION_KEY);
    let continueAfter = '';
    if (limit > 0 && items.length > limit) {
      items.length = limit;
      continueAfter = items[limit - 1]!.key;
    }
    return { items, revision: rev === 0 ? Number(r.header.revision) : rev, continueAfter };
  }

  async create(key: string, value: string, opts: WriteOptions = {}): Promise<KeyValue> {
    checkKey(key);
    const lease = opts.lease ?? 0;
    const r = await this.call(key, 0, () =>
      this.client.kv.txn({
        compare: [{ key: enc(key), target: 'Create', result: 'Equal', create_revision: 0 }],
        success: [{ request_put: { key: enc(key), value: enc(value), lease } }],
        failure: [],
      }),
    );
    if (!r.succeeded) throw alreadyExists(key);
    const rev = Number(r.header.revision);
    return { key, value, createRevision: rev, modRevision: rev, lease };
  }

  /** Why a guarded write failed: the key is gone or moved on. */
  private async explainFailure(key: string, expected: number): Promise<never> {
    const cur = await this.get(key);
    if (cur === null) throw notFound(key);
    throw conflict(key, expected, cur.modRevision);
  }

  async update(key: string, value: string, expectedRevision: number, opts: WriteOptions = {}): Promise<KeyValue> {
    checkKey(key);
    const lease = opts.lease ?? 0;
    const guard =
      expectedRevision === 0
        ? { key: enc(key), target: 'Create' as const, result: 'Greater' as const, create_revision: 0 }
        : { key: enc(key), target: 'Mod' as const, result: 'Equal' as const, mod_revision: expectedRevision };
    const r = await this.call(key, 0, () =>
      this.client.kv.txn({
        compare: [guard],
        success: [{ request_put: { key: enc(key), value: enc(value), lease, prev_kv: true } }],
        failure: [],
      }),
    );
    if (!r.succeeded) return this.explainFailure(key, expectedRevision);
    const prev = r.responses[0]?.response_put.prev_kv;
    const rev = Number(r.header.revision);
    return { key, value, createRevision: prev ? Number(prev.create_revision) : rev, modRevision: rev, lease };
  }

  async delete(key: string, expectedRevision = 0): Promise<KeyValue> {
    checkKey(key);
    const guard =
      expectedRevision === 0
        ? { key: enc(key), target: 'Create' as const, result: 'Greater' as const, create_revision: 0 }
        : { key: enc(key), target: 'Mod' as const, result: 'Equal' as const, mod_revision: expectedRevision };
    const r = await this.call(key, 0, () =>
      this.client.kv.txn({
        compare: [guard],
        success: [{ request_delete_range: { key: enc(key), prev_kv: true } }],
        failure: [],
      }),
    );
    if (!r.succeeded) return this.explainFailure(key, expectedRevision);
    const prev = r.responses[0]?.response_delete_range.prev_kvs[0];
    if (prev === undefined) throw notFound(key);
    return { ...toKeyValue(prev), modRevision: Number(r.header.revision) };
  }

  watch(prefix: string, fromRevision: number): WatchStream {
    checkKey(prefix, true);
    let watcher: Watcher | null = null;
    const ch = new WatchChannel(
      fromRevision,
      () => {
        this.channels.delete(ch);
        if (watcher !== null) void watcher.cancel().catch(() => undefined);
      },
      this.watchCapacity,
    );
    if (this.isClosed) {
      ch.fail(storeClosed());
      return ch;
    }
    this.channels.add(ch);
    void this.startWatch(prefix, fromRevision, ch).then(
      (w) => {
        if (ch.open) watcher = w;
        else void w.cancel().catch(() => undefined);
      },
      (e: unknown) => ch.fail(e instanceof StoreError ? e : new StoreError('unavailable', prefix, String(e))),
    );
    return ch;
  }

  private async startWatch(prefix: string, fromRevision: number, ch: WatchChannel): Promise<Watcher> {
    if (fromRevision > 0) {
      // etcd cancels a watch on a compacted revision without saying why through this client; ask first.
      const c = await this.compactRevision();
      if (fromRevision < c) throw compacted(prefix, fromRevision, c);
    }
    let b = this.client.watch();
    b = prefix === '' ? b.inRange({ start: Buffer.from([0]), end: Buffer.from([0]) }) : b.prefix(prefix);
    b = b.withPreviousKV();
    if (fromRevision > 0) b = b.startRevision(String(fromRevision + 1));
    const w = await b.create();
    w.on('data', (res: IWatchResponse) => {
      for (const e of res.events) {
        const ev = this.toEvent(e.type, e.kv, e.prev_kv);
        if (ev.kv.key !== COMPACT_REVISION_KEY) ch.push(ev);
      }
    });
    w.on('error', (err: Error) => {
      const mapped = mapError(err, prefix, fromRevision);
      ch.fail(mapped instanceof StoreError ? mapped : new StoreError('unavailable', prefix, String(err)));
    });
    return w;
  }

  private toEvent(type: string, kv: IKeyValue, prev: IKeyValue | undefined): WatchEvent {
    const rev = Number(kv.mod_revision);
    if (type === 'Delete') {
      const base: KeyValue = prev
        ? toKeyValue(prev)
        : { key: kv.key.toString('utf8'), value: '', createRevision: 0, modRevision: rev, lease: 0 };
      return { type: 'DELETED', kv: { ...base, modRevision: rev }, revision: rev, prevValue: null };
    }
    const v = toKeyValue(kv);
    const added = v.createRevision === v.modRevision;
    return { type: added ? 'ADDED' : 'MODIFIED', kv: v, revision: rev, prevValue: !added && prev ? prev.value.toString('utf8') : null };
  }

  async compact(revision: number): Promise<void> {
    const current = await this.currentRevision();
    if (revision > current) throw futureRevision('', revision, current);
    if (revision <= (await this.compactRevision())) return;
    await this.call('', revision, () => this.client.kv.put({ key: enc(COMPACT_REVISION_KEY), value: enc(String(revision)) }));
    await this.call('', revision, () => this.client.kv.compact({ revision, physical: true }));
  }

  async grantLease(ttlSeconds: number): Promise<number> {
    if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1) throw new RangeError(`lease TTL must be an integer ≥ 1 second, got ${ttlSeconds}`);
    for (let attempt = 0; ; attempt++) {
      const id = randomInt(1, 2 ** 48);
      try {
        await this.call('', 0, () => this.client.leaseClient.leaseGrant({ TTL: ttlSeconds, ID: id }));
        return id;
      } catch (e) {
        // A clash with an existing lease id: pick another (bounded).
        if (attempt >= 3 || !(e instanceof StoreError) || !e.message.includes('lease already exists')) throw e;
      }
    }
  }

  async keepAlive(lease: number): Promise<void> {
    this.checkOpen();
    const stream = await this.call('', 0, () => this.client.leaseClient.leaseKeepAlive());
    try {
      const res = await new Promise<{ TTL: string }>((resolve, reject) => {
        stream.on('data', resolve);
        stream.on('error', reject);
        stream.write({ ID: lease });
      });
      if (Number(res.TTL) <= 0) throw leaseNotFound(lease);
    } catch (e) {
      throw e instanceof StoreError ? e : mapError(e, '', 0);
    } finally {
      stream.end();
    }
  }

  async revokeLease(lease: number): Promise<void> {
    try {
      await this.call('', 0, () => this.client.leaseClient.leaseRevoke({ ID: lease }));
    } catch (e) {
      if (e instanceof StoreError && e.code === 'lease_not_found') return;
      throw e;
    }
  }

  async close(): Promise<void> {
    if (this.isClosed) return;
    for (const ch of [...this.channels]) ch.close();
    this.isClosed = true;
    this.client.close();
  }
}
