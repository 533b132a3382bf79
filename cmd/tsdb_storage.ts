/**
 * Opens the server's storage: the TSDB in `--storage.tsdb.path` with the storage
 * flags applied, its log lines routed into the server's structured logger.
 */
import { type DBOptions, openDB, type TSDB } from '../tsdb/db.js';
import type { ServerFlags } from './flags.js';
import type { Logger } from './logger.js';

const LEVEL = /(?:^|\s)level=(debug|info|warn|error)(?:\s|$)/;
const MSG = /(?:^|\s)msg="((?:[^"\\]|\\.)*)"/;

/**
 * Adapts the TSDB's logfmt lines (`level=warn msg="…" k=v`) to a `Logger`: the level
 * picks the method, `msg` becomes the message and the whole line stays in `detail`.
 */
export function tsdbLogAdapter(logger: Logger): (line: string) => void {
  return (line: string) => {
    const level = LEVEL.exec(line)?.[1] ?? 'info';
    const msg = MSG.exec(line)?.[1]?.replace(/\\"/g, '"') ?? line;
    const fields = { detail: line };
    if (level === 'error') logger.error(msg, fields);
    else if (level === 'warn') logger.warn(msg, fields);
    else if (level === 'debug') logger.debug(msg, fields);
    else logger.info(msg, fields);
  };
}

/** The `DBOptions` the server flags ask for. */
export function dbOptionsFromFlags(flags: ServerFlags, logger: Logger): DBOptions {
  return {
    retentionMs: flags.retentionTimeMs,
    retentionBytes: flags.retentionSizeBytes,
    outOfOrderWindowMs: flags.outOfOrderWindowMs,
    walSyncIntervalMs: flags.walSyncIntervalMs,
    lockfile: !flags.noLockfile,
    log: tsdbLogAdapter(logger),
  };
}

/** Opens (creating if needed) the TSDB for `vigil server`. */
export function openTsdbStorage(flags: ServerFlags, logger: Logger): Promise<TSDB> {
  return openDB(flags.storagePath, dbOptionsFromFlags(flags, logger));
}
