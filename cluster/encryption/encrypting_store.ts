/**
 * A `Store` wrapper that keeps chosen values encrypted at rest (by default every
 * Secret: keys under `/registry/secrets/`) and is otherwise transparent: writes
 * encrypt with the cipher's first key, reads (get, list, watch events, the value a
 * delete returns) decrypt, so the registry, field selectors and watches see plain
 * JSON while the SQLite file or etcd holds only AES-256-GCM envelopes
 * (secret_cipher.ts). A value no key opens fails the read with `EncryptionError`.
 */
import type { GetOptions, KeyValue, ListOptions, ListResult, Store, WatchEvent, WatchStream, WriteOptions } from '../store/store.js';
import type { SecretCipher } from './secret_cipher.js';

/** The store prefixes encrypted by default. */
export const ENCRYPTED_PREFIXES: readonly string[] = ['/registry/secrets/'];

export class EncryptingStore implements Store {
  readonly backend: string;
  constructor(
    /** The wrapped store (raw envelopes). */
    readonly inner: Store,
    readonly cipher: SecretCipher,
    private readonly prefixes: readonly string[] = ENCRYPTED_PREFIXES,
  ) {
    this.backend = inner.backend;
  }

  /** Whether values under `key` are encrypted. */
  covers(key: string): boolean {
    return this.prefixes.some((p) => key.startsWith(p));
  }

  private enc(key: string, value: string): string {
    return this.covers(key) ? this.cipher.encrypt(value, key) : value;
  }

  private dec(kv: KeyValue): KeyValue {
    if (!this.covers(kv.key)) return kv;
    return { ...kv, value: this.cipher.decrypt(kv.value, kv.key) };
  }

  currentRevision(): Promise<number> {
    return this.inner.currentRevision();
  }
  async get(key: string, opts?: GetOptions): Promise<KeyValue | null> {
    const kv = await this.inner.get(key, opts);
    return kv === null ? null : this.dec(kv);
  }
  async list(prefix: string, opts?: ListOptions): Promise<ListResult> {
    const r = await this.inner.list(prefix, opts);
    return { ...r, items: r.items.map((kv) => this.dec(kv)) };
  }
  async create(key: string, value: string, opts?: WriteOptions): Promise<KeyValue> {
    const kv = await this.inner.create(key, this.enc(key, value), opts);
    return { ...kv, value };
  }
  async update(key: string, value: string, expectedRevision: number, opts?: WriteOptions): Promise<KeyValue> {
    const kv = await this.inner.update(key, this.enc(key, value), expectedRevision, opts);
    return { ...kv, value };
  }
  async delete(key: string, expectedRevision?: number): Promise<KeyValue> {
    return this.dec(await this.inner.delete(key, expectedRevision));
  }
  watch(prefix: string, fromRevision: number): WatchStream {
    const w = this.inner.watch(prefix, fromRevision);
    const self = this;
    return {
      close: () => w.close(),
      async *[Symbol.asyncIterator](): AsyncIterator<WatchEvent> {
        for await (const ev of w) {
          if (!self.covers(ev.kv.key)) {
            yield ev;
            continue;
          }
          yield {
            ...ev,
            kv: self.dec(ev.kv),
            prevValue: ev.prevValue === null ? null : self.cipher.decrypt(ev.prevValue, ev.kv.key),
          };
        }
      },
    };
  }
  compact(revision: number): Promise<void> {
    return this.inner.compact(revision);
  }
  compactRevision(): Promise<number> {
    return this.inner.compactRevision();
  }
  grantLease(ttlSeconds: number): Promise<number> {
    return this.inner.grantLease(ttlSeconds);
  }
  keepAlive(lease: number): Promise<void> {
    return this.inner.keepAlive(lease);
  }
  revokeLease(lease: number): Promise<void> {
    return this.inner.revokeLease(lease);
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}
