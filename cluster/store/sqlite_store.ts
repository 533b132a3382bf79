/**
 * `SqliteStore`: the embedded default cluster store, a log-structured MVCC
 * table on SQLite in the style of k3s's kine.
 *
 * Every write appends one row to `kine`; the row id is the store revision and
 * becomes the object's resourceVersion. A key's state at revision R is its
 * newest row with id ≤ R (a `deleted` row is a tombstone that keeps the last
 * value for the DELETED event). The unique index on (name, prev_revision)
 * makes two writers that both read the same version of a key unable to both
 * append after it, which is the compare-and-swap even across processes.
 *
 * Watch: one change feed per store instance reads rows with id > the last one
 * it saw, right after each local write (in-process notification) and every
 * `pollIntervalMs` (to see writes by other processes sharing the file), and
 * fans them out to bounded per-watcher channels. SQLite serialises writers
 * and AUTOINCREMENT never reuses or skips ids of committed rows, so the feed
 * has no gaps to fill (kine fills them for SQL servers with concurrent
 * commits).
 *
 * Leases live in table `leases` with an absolute expiry on the injected clock;
 * `sweepLeases()` (run every `leaseSweepIntervalMs` and before lease
 * operations) deletes the keys of expired leases. One file serves one control
 * plane; use etcd for several servers (SQLite has no leader-aware replication).
 */
import Database from 'better-sqlite3';
import { alreadyExists, checkKey, compacted, conflict, futureRevision, leaseNotFound, notFound, storeClosed } from './errors.js';
import type { GetOptions, KeyValue, ListOptions, ListResult, Store, WatchEvent, WatchStream, WriteOptions } from './store.js';
import { WatchChannel } from './watch_channel.js';

export interface SqliteStoreOptions {
  /** Clock in ms since the epoch for lease expiry. Default `Date.now`. */
  now?: () => number;
  /** How often the change feed looks for writes by other processes. Default 1000 ms; 0 disables the timer. */
  pollIntervalMs?: number;
  /** How often expired leases are swept. Default 1000 ms; 0 disables the timer (tests call `sweepLeases`). */
  leaseSweepIntervalMs?: number;
  /** Unread events a watcher may queue before it is closed. Default 10 000. */
  watchCapacity?: number;
}

interface Row {
  id: number;
  /** Only in change-feed queries: the value of the row this one follows. */
  prev_value?: string | null;
  name: string;
  created: number;
  deleted: number;
  create_revision: number;
  prev_revision: number;
  lease: number;
  value: string;
}

interface Watcher {
  prefix: string;
  channel: WatchChannel;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS kine (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL,
  created INTEGER NOT NULL,
  deleted INTEGER NOT NULL,
  create_revision INTEGER NOT NULL,
  prev_revision INTEGER NOT NULL,
  lease INTEGER NOT NULL,
  value TEXT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS kine_name_prev_revision ON kine (name, prev_revision);
CREATE INDEX IF NOT EXISTS kine_name_id ON kine (name, id);
CREATE TABLE IF NOT EXISTS leases (id INTEGER PRIMARY KEY AUTOINCREMENT, ttl INTEGER NOT NULL, expires_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
`;

/** Upper bound of a key range: keys are printable ASCII, so every key with the prefix sorts below prefix + DEL. */
function prefixEnd(prefix: string): string {
  return prefix + '\x7f';
}

function toKeyValue(r: Row): KeyValue {
  return { key: r.name, value: r.value, createRevision: r.create_revision, modRevision: r.id, lease: r.lease };
}

function toEvent(r: Row): WatchEvent {
  const type = r.deleted === 1 ? 'DELETED' : r.created === 1 ? 'ADDED' : 'MODIFIED';
  return { type, kv: toKeyValue(r), revision: r.id, prevValue: type === 'MODIFIED' ? (r.prev_value ?? null) : null };
}

/** Change-feed rows with the previous version's value (null once compacted away). */
const FEED_SELECT = 'SELECT k.*, p.value AS prev_value FROM kine k LEFT JOIN kine p ON p.id = k.prev_revision';

export class SqliteStore implements Store {
  readonly backend = 'sqlite';
  readonly path: string;
  private readonly db: Database.Database;
  private readonly now: () => number;
  private readonly watchCapacity: number;
  private readonly watchers = new Set<Watcher>();
  private feedRevision: number;
  private readonly timers: NodeJS.Timeout[] = [];
  private isClosed = false;
  private readonly statements = new Map<string, Database.Statement>();

  /** Opens (creating if needed) the database file at `path` in WAL mode. */
  constructor(path: string, opts: SqliteStoreOptions = {}) {
    this.path = path;
    this.now = opts.now ?? Date.now;
    this.watchCapacity = opts.watchCapacity ?? 10_000;
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(SCHEMA);
    this.feedRevision = this.revisionNow();
    const poll = opts.pollIntervalMs ?? 1000;
    if (poll > 0) this.timers.push(setInterval(() => this.pump(), poll).unref());
    const sweep = opts.leaseSweepIntervalMs ?? 1000;
    if (sweep > 0) this.timers.push(setInterval(() => this.sweepLeases(), sweep).unref());
  }

  /** The prepared statement for `sql`, compiled once per store (SQL text is a small fixed set). */
  private stmt(sql: string): Database.Statement {
    let st = this.statements.get(sql);
    if (st === undefined) {
      st = this.db.prepare(sql);
      this.statements.set(sql, st);
    }
    return st;
  }

  private revisionNow(): number {
    const r = this.stmt("SELECT seq FROM sqlite_sequence WHERE name = 'kine'").get() as { seq: number } | undefined;
    return r?.seq ?? 0;
  }

  private compactedAt(): number {
    const r = this.stmt("SELECT value FROM meta WHERE key = 'compact_revision'").get() as { value: number } | undefined;
    return r?.value ?? 0;
  }

  private checkOpen(): void {
    if (this.isClosed) throw storeClosed();
  }

  /** Resolves the revision to read at, throwing `compacted`/`future_revision`. */
  private readRevision(key: string, requested: number | undefined): number {
    const current = this.revisionNow();
    if (requested === undefined || requested === 0) return current;
    if (requested > current) throw futureRevision(key, requested, current);
    const c = this.compactedAt();
    if (requested < c) throw compacted(key, requested, c);
    return requested;
  }

  private latestRow(key: string, atRevision: number): Row | undefined {
    return this.stmt('SELECT * FROM kine WHERE name = ? AND id <= ? ORDER BY id DESC LIMIT 1').get(key, atRevision) as
      | Row
      | undefined;
  }

  async currentRevision(): Promise<number> {
    this.checkOpen();
    return this.revisionNow();
  }

  async compactRevision(): Promise<number> {
    this.checkOpen();
    return this.compactedAt();
  }

  async get(key: string, opts: GetOptions = {}): Promise<KeyValue | null> {
    this.checkOpen();
    checkKey(key);
    const rev = this.readRevision(key, opts.revision);
    const row = this.latestRow(key, rev);
    return row === undefined || row.deleted === 1 ? null : toKeyValue(row);
  }

  async list(prefix: string, opts: ListOptions = {}): Promise<ListResult> {
    this.checkOpen();
    checkKey(prefix, true);
    const rev = this.readRevision(prefix, opts.revision);
    const limit = opts.limit ?? 0;
    const from = opts.startAfter !== undefined && opts.startAfter > prefix ? opts.startAfter : prefix;
    const fromOp = opts.startAfter !== undefined && opts.startAfter >= prefix ? '>' : '>=';
    const rows = this.stmt(
        `SELECT k.* FROM kine k JOIN (SELECT name, MAX(id) AS id FROM kine WHERE name ${fromOp} ? AND name < ? AND id <= ? GROUP BY name) m ON k.id = m.id
         WHERE k.deleted = 0 ORDER BY k.name ${limit > 0 ? 'LIMIT ?' : ''}`,
      )
      .all(...(limit > 0 ? [from, prefixEnd(prefix), rev, limit + 1] : [from, prefixEnd(prefix), rev])) as Row[];
    let continueAfter = '';
    if (limit > 0 && rows.length > limit) {
      rows.length = limit;
      continueAfter = rows[limit - 1]!.name;
    }
    return { items: rows.map(toKeyValue), revision: rev, continueAfter };
  }

  /** Appends a row inside an IMMEDIATE transaction (other processes wait on the write lock). */
  private append(
    key: string,
    kind: 'create' | 'update' | 'delete',
    value: string | null,
    expected: number,
    lease: number,
  ): Row {
    const tx = this.db.transaction((): Row => {
      const prev = this.latestRow(key, Number.MAX_SAFE_INTEGER);
      const live = prev !== undefined && prev.deleted === 0;
      if (kind === 'create') {
        if (live) throw alreadyExists(key);
      } else {
        if (!live) throw notFound(key);
        if (expected !== 0 && prev.id !== expected) throw conflict(key, expected, prev.id);
      }
      if (lease !== 0) this.requireLease(lease);
      const id = this.revisionNow() + 1;
      const row: Row = {
        id,
        name: key,
        created: kind === 'create' ? 1 : 0,
        deleted: kind === 'delete' ? 1 : 0,
        create_revision: kind === 'create' ? id : prev!.create_revision,
        prev_revision: prev?.id ?? 0,
        lease: kind === 'delete' ? prev!.lease : lease,
        value: value ?? prev!.value,
      };
      this.stmt(
          'INSERT INTO kine (id, name, created, deleted, create_revision, prev_revision, lease, value) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
        )
        .run(row.id, row.name, row.created, row.deleted, row.create_revision, row.prev_revision, row.lease, row.value);
      return row;
    });
    const row = tx.immediate();
    this.pump();
    return row;
  }

  private requireLease(id: number): void {
    const r = this.stmt('SELECT expires_at FROM leases WHERE id = ?').get(id) as { expires_at: number } | undefined;
    if (r === undefined || r.expires_at <= this.now()) throw leaseNotFound(id);
  }

  async create(key: string, value: string, opts: WriteOptions = {}): Promise<KeyValue> {
    this.checkOpen();
    checkKey(key);
    return toKeyValue(this.append(key, 'create', value, 0, opts.lease ?? 0));
  }

  async update(key: string, value: string, expectedRevision: number, opts: WriteOptions = {}): Promise<KeyValue> {
    this.checkOpen();
    checkKey(key);
    return toKeyValue(this.append(key, 'update', value, expectedRevision, opts.lease ?? 0));
  }

  async delete(key: string, expectedRevision = 0): Promise<KeyValue> {
    this.checkOpen();
    checkKey(key);
    return toKeyValue(this.append(key, 'delete', null, expectedRevision, 0));
  }

  /**
   * Reads rows newer than the feed's position and hands them to matching watchers.
   * Called after every local write and by the poll timer; cheap when nothing changed.
   */
  pump(): void {
    if (this.isClosed) return;
    for (;;) {
      const rows = this.stmt(`${FEED_SELECT} WHERE k.id > ? ORDER BY k.id LIMIT 1000`).all(this.feedRevision) as Row[];
      if (rows.length === 0) return;
      for (const r of rows) {
        this.feedRevision = r.id;
        if (this.watchers.size === 0) continue;
        const ev = toEvent(r);
        for (const w of this.watchers) if (r.name.startsWith(w.prefix)) w.channel.push(ev);
      }
    }
  }

  watch(prefix: string, fromRevision: number): WatchStream {
    checkKey(prefix, true);
    const w: Watcher = { prefix, channel: new WatchChannel(0, () => this.watchers.delete(w), this.watchCapacity) };
    if (this.isClosed) {
      w.channel.fail(storeClosed());
      return w.channel;
    }
    // Bring the feed up to date first, so catch-up below and live delivery meet at feedRevision.
    this.pump();
    const start = fromRevision === 0 ? this.feedRevision : fromRevision;
    w.channel.floorRevision = start;
    const c = this.compactedAt();
    if (start < c) {
      w.channel.fail(compacted(prefix, start, c));
      return w.channel;
    }
    const rows = this.stmt(`${FEED_SELECT} WHERE k.id > ? AND k.id <= ? AND k.name >= ? AND k.name < ? ORDER BY k.id`)
      .all(start, this.feedRevision, prefix, prefixEnd(prefix)) as Row[];
    for (const r of rows) w.channel.push(toEvent(r));
    if (w.channel.open) this.watchers.add(w);
    return w.channel;
  }

  async compact(revision: number): Promise<void> {
    this.checkOpen();
    const tx = this.db.transaction(() => {
      const current = this.revisionNow();
      if (revision > current) throw futureRevision('', revision, current);
      if (revision <= this.compactedAt()) return;
      // Drop every row no read at a revision ≥ `revision` can see: rows superseded by a newer
      // row at or below it, and tombstones at or below it.
      this.stmt(
          `DELETE FROM kine WHERE id <= ? AND (deleted = 1 OR id < (SELECT MAX(k2.id) FROM kine k2 WHERE k2.name = kine.name AND k2.id <= ?))`,
        )
        .run(revision, revision);
      this.stmt("INSERT INTO meta (key, value) VALUES ('compact_revision', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value").run(revision);
    });
    tx.immediate();
  }

  async grantLease(ttlSeconds: number): Promise<number> {
    this.checkOpen();
    if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1) throw new RangeError(`lease TTL must be an integer ≥ 1 second, got ${ttlSeconds}`);
    const r = this.stmt('INSERT INTO leases (ttl, expires_at) VALUES (?, ?)').run(ttlSeconds, this.now() + ttlSeconds * 1000);
    return Number(r.lastInsertRowid);
  }

  async keepAlive(lease: number): Promise<void> {
    this.checkOpen();
    const now = this.now();
    const r = this.stmt('UPDATE leases SET expires_at = ? + ttl * 1000 WHERE id = ? AND expires_at > ?').run(now, lease, now);
    if (r.changes === 0) {
      this.sweepLeases();
      throw leaseNotFound(lease);
    }
  }

  async revokeLease(lease: number): Promise<void> {
    this.checkOpen();
    this.dropLeases([lease]);
  }

  /** Deletes expired leases and their keys (appending DELETED rows). Returns how many leases expired. */
  sweepLeases(): number {
    if (this.isClosed) return 0;
    const ids = (this.stmt('SELECT id FROM leases WHERE expires_at <= ?').all(this.now()) as { id: number }[]).map((r) => r.id);
    if (ids.length > 0) this.dropLeases(ids);
    return ids.length;
  }

  private dropLeases(ids: number[]): void {
    let wrote = false;
    const tx = this.db.transaction(() => {
      for (const id of ids) {
        const keys = this.stmt(
            `SELECT k.* FROM kine k JOIN (SELECT name, MAX(id) AS id FROM kine GROUP BY name) m ON k.id = m.id WHERE k.deleted = 0 AND k.lease = ?`,
          )
          .all(id) as Row[];
        for (const prev of keys) {
          const rid = this.revisionNow() + 1;
          this.stmt(
              'INSERT INTO kine (id, name, created, deleted, create_revision, prev_revision, lease, value) VALUES (?, ?, 0, 1, ?, ?, ?, ?)',
            )
            .run(rid, prev.name, prev.create_revision, prev.id, prev.lease, prev.value);
          wrote = true;
        }
        this.stmt('DELETE FROM leases WHERE id = ?').run(id);
      }
    });
    tx.immediate();
    if (wrote) this.pump();
  }

  async close(): Promise<void> {
    if (this.isClosed) return;
    for (const t of this.timers) clearInterval(t);
    for (const w of [...this.watchers]) w.channel.close();
    this.isClosed = true;
    this.db.close();
  }
}
