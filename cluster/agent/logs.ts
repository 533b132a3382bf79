/**
 * Container logs: stdout and stderr appended to `<dir>/<container>.log`, capped
 * at `maxBytes` by rotating to `<container>.log.1` (one rotated file kept, so a
 * container uses at most 2 × maxBytes). When a container restarts, its current
 * log becomes `<container>.previous.log` (what `vigil ctl logs --previous` shows).
 */
import { closeSync, existsSync, fstatSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/** Default cap of one log file: 10 MiB (kubelet's containerLogMaxSize). */
export const DEFAULT_LOG_MAX_BYTES = 10 * 1024 * 1024;

/** The file names of a container's logs in a pod directory. */
export function logPaths(dir: string, container: string): { current: string; rotated: string; previous: string } {
  return {
    current: join(dir, `${container}.log`),
    rotated: join(dir, `${container}.log.1`),
    previous: join(dir, `${container}.previous.log`),
  };
}

/** An append-only size-capped log file; synchronous writes keep lines whole and ordered. */
export class RotatingLog {
  private fd: number;
  private size: number;
  private readonly paths: { current: string; rotated: string; previous: string };

  /** Opens the container's log; with `newRun` the existing log becomes the previous one. */
  constructor(
    dir: string,
    container: string,
    readonly maxBytes: number = DEFAULT_LOG_MAX_BYTES,
    newRun = true,
  ) {
    this.paths = logPaths(dir, container);
    if (newRun && existsSync(this.paths.current)) {
      renameSync(this.paths.current, this.paths.previous);
      rmSync(this.paths.rotated, { force: true });
    }
    this.fd = openSync(this.paths.current, 'a', 0o640);
    this.size = fstatSync(this.fd).size;
  }

  /** Appends `chunk`, rotating first when it would pass the cap. A chunk larger than the cap keeps its tail. */
  write(chunk: Uint8Array): void {
    if (this.fd < 0) return;
    let data = chunk;
    if (data.length > this.maxBytes) data = data.subarray(data.length - this.maxBytes);
    if (this.size + data.length > this.maxBytes) this.rotate();
    writeSync(this.fd, data);
    this.size += data.length;
  }

  private rotate(): void {
    closeSync(this.fd);
    renameSync(this.paths.current, this.paths.rotated);
    this.fd = openSync(this.paths.current, 'a', 0o640);
    this.size = 0;
  }

  close(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }
}
