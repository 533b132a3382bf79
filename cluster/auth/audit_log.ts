/**
 * `AuditLog`: one JSON line per mutating cluster API request, appended to a
 * file (mode 0600) off the request path:
 *
 *   {"time":"2026-01-02T03:04:05.678Z","user":"vigil-admin","groups":["system:masters","system:authenticated"],
 *    "verb":"create","resource":"deployments","namespace":"default","name":"web","code":201,
 *    "sourceIP":"127.0.0.1","method":"POST","uri":"/apis/apps/v1/namespaces/default/deployments"}
 *
 * `record` only queues (never awaits, never throws); one writer drains the
 * queue in batches. When more than `maxQueued` records wait (a stuck disk), new
 * ones are dropped and counted, and the count is written as a line of its own
 * (`{"time":…,"dropped":N}`) once writing resumes. The file is rotated when it
 * passes `maxBytes`: `audit.log` → `audit.log.1` → … → `audit.log.<maxBackups>`.
 */
import { appendFile, chmod, mkdir, rename, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { AuditRecord } from '../api/http.js';

export interface AuditLogOptions {
  /** Rotate past this size. Default 100 MiB. */
  maxBytes?: number;
  /** Rotated files kept. Default 3. */
  maxBackups?: number;
  /** Records waiting beyond this are dropped (and counted). Default 10 000. */
  maxQueued?: number;
  /** Told about write failures (the log keeps trying with the next batch). */
  onError?: (err: Error) => void;
}

/** The JSON line of a record (without the newline). */
export function auditLine(r: AuditRecord): string {
  return JSON.stringify({
    time: new Date(r.timeMs).toISOString(),
    user: r.user,
    groups: r.groups,
    verb: r.verb,
    resource: r.resource,
    namespace: r.namespace,
    name: r.name,
    code: r.code,
    sourceIP: r.sourceIP,
    method: r.method,
    uri: r.uri,
  });
}

export class AuditLog {
  readonly path: string;
  private readonly maxBytes: number;
  private readonly maxBackups: number;
  private readonly maxQueued: number;
  private readonly onError: (err: Error) => void;
  private queue: string[] = [];
  private dropped = 0;
  private size = -1;
  private writing: Promise<void> | null = null;

  constructor(path: string, opts: AuditLogOptions = {}) {
    this.path = path;
    this.maxBytes = opts.maxBytes ?? 100 * 1024 * 1024;
    this.maxBackups = opts.maxBackups ?? 3;
    this.maxQueued = opts.maxQueued ?? 10_000;
    this.onError = opts.onError ?? (() => {});
  }

  /** Queues one record; returns at once. */
  record(r: AuditRecord): void {
    if (this.queue.length >= this.maxQueued) {
      this.dropped++;
      return;
    }
    this.queue.push(auditLine(r));
    if (this.writing === null) this.writing = this.drain();
  }

  /** Resolves once everything queued so far is written (or failed). */
  async flush(): Promise<void> {
    while (this.writing !== null) await this.writing;
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0 || this.dropped > 0) {
        const lines = this.queue;
        this.queue = [];
        if (this.dropped > 0) {
          lines.push(JSON.stringify({ time: new Date().toISOString(), dropped: this.dropped }));
          this.dropped = 0;
        }
        const text = `${lines.join('\n')}\n`;
        try {
          await this.write(text);
        } catch (e) {
          this.onError(e instanceof Error ? e : new Error(String(e)));
        }
      }
    } finally {
      this.writing = null;
    }
  }

  private async write(text: string): Promise<void> {
    if (this.size < 0) {
      await mkdir(dirname(this.path), { recursive: true, mode: 0o700 });
      this.size = await stat(this.path).then(
        (s) => s.size,
        () => 0,
      );
    }
    if (this.size > 0 && this.size + text.length > this.maxBytes) await this.rotate();
    const fresh = this.size === 0;
    await appendFile(this.path, text, { mode: 0o600 });
    // An existing file keeps its mode on append; a fresh one gets 0600 whatever the umask.
    if (fresh) await chmod(this.path, 0o600);
    this.size += Buffer.byteLength(text);
  }

  private async rotate(): Promise<void> {
    await rm(`${this.path}.${this.maxBackups}`, { force: true });
    for (let i = this.maxBackups - 1; i >= 1; i--) await rename(`${this.path}.${i}`, `${this.path}.${i + 1}`).catch(() => undefined);
    if (this.maxBackups > 0) await rename(this.path, `${this.path}.1`);
    else await rm(this.path, { force: true });
    this.size = 0;
  }
}
