/**
 * `file_sd_configs`: target groups from JSON or YAML files matched by globs, re-read when
 * a watched directory changes (`fs.watch`) and every `refresh_interval`, as Prometheus's
 * `discovery/file` does.
 *
 * A file that cannot be read or parsed keeps its last good groups (the error goes to
 * `onError`); a file that vanishes, or now holds fewer groups, has its old sources
 * cleared with empty groups. Each group gets `__meta_filepath` and the source
 * `<path>:<index>`.
 */
import { type FSWatcher, watch } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { expandGlob, globElementRegExp } from '../../cmd/file_glob.js';
import type { FileSdConfig } from '../discovery_config.js';
import { type Discoverer, parseTargetGroups, type TargetGroup, type TargetGroupsHandler } from './target_group.js';

/** Largest file read (bytes): target files are small; a runaway file must not exhaust memory. */
export const MAX_FILE_SD_BYTES = 64 << 20;

export class FileDiscoverer implements Discoverer {
  readonly mechanism = 'file';
  private readonly cfg: FileSdConfig;
  /** Number of groups last reported per file (for clearing vanished sources). */
  private readonly counts: Map<string, number>;
  private watchers: FSWatcher[];
  private timer: ReturnType<typeof setInterval> | null;
  private onUpdate: TargetGroupsHandler | null;
  private onError: (err: Error) => void;
  private running: Promise<void> | null;
  private pending: boolean;
  private stopped: boolean;

  constructor(cfg: FileSdConfig) {
    this.cfg = cfg;
    this.counts = new Map();
    this.watchers = [];
    this.timer = null;
    this.onUpdate = null;
    this.onError = () => {};
    this.running = null;
    this.pending = false;
    this.stopped = false;
  }

  start(onUpdate: TargetGroupsHandler, onError: (err: Error) => void): void {
    this.onUpdate = onUpdate;
    this.onError = onError;
    const patterns = new Map<string, RegExp[]>();
    for (const f of this.cfg.files) {
      const dir = dirname(f);
      const list = patterns.get(dir) ?? [];
      list.push(globElementRegExp(basename(f)));
      patterns.set(dir, list);
    }
    for (const [dir, res] of patterns) {
      try {
        const w = watch(dir, { persistent: false }, (_event, name) => {
          const n = name === null ? null : String(name);
          if (n === null || res.some((re) => re.test(n))) this.trigger();
        });
        w.on('error', (e) => this.onError(e));
        this.watchers.push(w);
      } catch (e) {
        // A directory that does not exist yet is only picked up by the periodic refresh.
        this.onError(new Error(`cannot watch ${dir}: ${e instanceof Error ? e.message : String(e)}`));
      }
    }
    this.timer = setInterval(() => this.trigger(), this.cfg.refreshInterval);
    this.timer.unref();
    this.trigger();
  }

  stop(): void {
    this.stopped = true;
    for (const w of this.watchers) w.close();
    this.watchers = [];
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  /** Re-reads all files now (coalesced with a refresh already running). Resolves when done. */
  refresh(): Promise<void> {
    this.trigger();
    return this.running ?? Promise.resolve();
  }

  private trigger(): void {
    if (this.stopped) return;
    if (this.running !== null) {
      this.pending = true;
      return;
    }
    this.running = this.readAll().finally(() => {
      this.running = null;
      if (this.pending) {
        this.pending = false;
        this.trigger();
      }
    });
  }

  private async readAll(): Promise<void> {
    const seen = new Set<string>();
    const out: TargetGroup[] = [];
    for (const pattern of this.cfg.files) {
      let files: string[];
      try {
        files = await expandGlob(pattern);
      } catch (e) {
        this.onError(e instanceof Error ? e : new Error(String(e)));
        // Keep every file of this pattern as it was.
        for (const p of this.counts.keys()) seen.add(p);
        continue;
      }
      for (const path of files) {
        if (seen.has(path)) continue;
        seen.add(path);
        try {
          const groups = await readGroups(path);
          out.push(...groups);
          const before = this.counts.get(path) ?? 0;
          for (let i = groups.length; i < before; i++) out.push({ targets: [], labels: {}, source: `${path}:${i}` });
          this.counts.set(path, groups.length);
        } catch (e) {
          this.onError(e instanceof Error ? e : new Error(String(e)));
        }
      }
    }
    for (const [path, n] of [...this.counts]) {
      if (seen.has(path)) continue;
      for (let i = 0; i < n; i++) out.push({ targets: [], labels: {}, source: `${path}:${i}` });
      this.counts.delete(path);
    }
    if (!this.stopped && this.onUpdate !== null) this.onUpdate(out);
  }
}

async function readGroups(path: string): Promise<TargetGroup[]> {
  const buf = await readFile(path);
  if (buf.byteLength > MAX_FILE_SD_BYTES) throw new Error(`${path}: file is larger than ${MAX_FILE_SD_BYTES} bytes`);
  const format = /\.json$/i.test(path) ? 'json' : 'yaml';
  return parseTargetGroups(buf.toString('utf8'), format, path, { __meta_filepath: path });
}
