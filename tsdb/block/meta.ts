/**
 * `meta.json` of a block: its ULID, time range `[minTime, maxTime)` (ms; maxTime is
 * exclusive, as in Prometheus), statistics, compaction lineage and format version.
 * Written in Go's `json.MarshalIndent(meta, "", "\t")` shape with Go's
 * `omitempty` rules, so the file looks the same as one Prometheus writes.
 */
import { mkdir, open, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';

export const META_FILENAME = 'meta.json';
export const META_VERSION_1 = 1;

export interface BlockStats {
  numSamples: number;
  numSeries: number;
  numChunks: number;
  numTombstones: number;
}

export interface BlockDesc {
  ulid: string;
  minTime: number;
  maxTime: number;
}

export interface BlockMetaCompaction {
  /** 1 for a block cut from the head; max(parents) + 1 after compaction. */
  level: number;
  /** ULIDs of the level-1 blocks whose data this block holds. */
  sources: string[];
  /** Direct inputs of the compaction that made this block. */
  parents: BlockDesc[];
  /** Set when compaction produced no samples: the block is to be deleted on reload. */
  deletable: boolean;
  failed: boolean;
  hints: string[];
}

export interface BlockMeta {
  ulid: string;
  minTime: number;
  maxTime: number;
  stats: BlockStats;
  compaction: BlockMetaCompaction;
  version: number;
}

/** A `meta.json` that is missing, unreadable or not a valid block meta; the message names the file and field. */
export class BlockMetaError extends Error {
  readonly code = 'block_meta';
  constructor(message: string) {
    super(message);
    this.name = 'BlockMetaError';
  }
}

/** A fresh meta with empty stats and a level-1 compaction entry listing itself as its source. */
export function newBlockMeta(ulid: string, minTime: number, maxTime: number): BlockMeta {
  return {
    ulid,
    minTime,
    maxTime,
    stats: { numSamples: 0, numSeries: 0, numChunks: 0, numTombstones: 0 },
    compaction: { level: 1, sources: [ulid], parents: [], deletable: false, failed: false, hints: [] },
    version: META_VERSION_1,
  };
}

/** The JSON text Prometheus would write for `m` (tab-indented, zero/empty fields omitted where Go omits them). */
export function metaToJSON(m: BlockMeta): string {
  const stats: Record<string, number> = {};
  if (m.stats.numSamples) stats['numSamples'] = m.stats.numSamples;
  if (m.stats.numSeries) stats['numSeries'] = m.stats.numSeries;
  if (m.stats.numChunks) stats['numChunks'] = m.stats.numChunks;
  if (m.stats.numTombstones) stats['numTombstones'] = m.stats.numTombstones;
  const c: Record<string, unknown> = { level: m.compaction.level };
  if (m.compaction.sources.length > 0) c['sources'] = m.compaction.sources;
  if (m.compaction.deletable) c['deletable'] = true;
  if (m.compaction.parents.length > 0) c['parents'] = m.compaction.parents;
  if (m.compaction.failed) c['failed'] = true;
  if (m.compaction.hints.length > 0) c['hints'] = m.compaction.hints;
  const o = { ulid: m.ulid, minTime: m.minTime, maxTime: m.maxTime, stats, compaction: c, version: m.version };
  return JSON.stringify(o, null, '\t');
}

function num(o: Record<string, unknown>, k: string, where: string, dflt?: number): number {
  const v = o[k];
  if (v === undefined && dflt !== undefined) return dflt;
  if (typeof v !== 'number' || !Number.isInteger(v)) throw new BlockMetaError(`${where}: field "${k}" must be an integer, got ${JSON.stringify(v)}`);
  return v;
}

function obj(v: unknown, where: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new BlockMetaError(`${where}: expected an object, got ${JSON.stringify(v)}`);
  return v as Record<string, unknown>;
}

function strs(v: unknown, where: string): string[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw new BlockMetaError(`${where}: expected an array of strings`);
  return v as string[];
}

/** Parses and validates meta.json text; `file` is used in error messages. */
export function parseMeta(text: string, file: string): BlockMeta {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new BlockMetaError(`${file}: invalid JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
  const o = obj(raw, file);
  const ulid = o['ulid'];
  if (typeof ulid !== 'string') throw new BlockMetaError(`${file}: field "ulid" must be a string`);
  const version = num(o, 'version', file);
  if (version !== META_VERSION_1) throw new BlockMetaError(`${file}: unsupported meta version ${version}, expected 1`);
  const st = o['stats'] === undefined ? {} : obj(o['stats'], `${file}: stats`);
  const c = obj(o['compaction'], `${file}: compaction`);
  const parentsRaw = c['parents'] ?? [];
  if (!Array.isArray(parentsRaw)) throw new BlockMetaError(`${file}: compaction.parents must be an array`);
  const parents = parentsRaw.map((p: unknown, i: number) => {
    const po = obj(p, `${file}: compaction.parents[${i}]`);
    const pu = po['ulid'];
    if (typeof pu !== 'string') throw new BlockMetaError(`${file}: compaction.parents[${i}].ulid must be a string`);
    return { ulid: pu, minTime: num(po, 'minTime', file), maxTime: num(po, 'maxTime', file) };
  });
  return {
    ulid,
    minTime: num(o, 'minTime', file),
    maxTime: num(o, 'maxTime', file),
    stats: {
      numSamples: num(st, 'numSamples', file, 0),
      numSeries: num(st, 'numSeries', file, 0),
      numChunks: num(st, 'numChunks', file, 0),
      numTombstones: num(st, 'numTombstones', file, 0),
    },
    compaction: {
      level: num(c, 'level', file),
      sources: strs(c['sources'], `${file}: compaction.sources`),
      parents,
      deletable: c['deletable'] === true,
      failed: c['failed'] === true,
      hints: strs(c['hints'], `${file}: compaction.hints`),
    },
    version,
  };
}

/** Reads `<dir>/meta.json`. Throws `BlockMetaError` (missing file, bad JSON, bad field). */
export async function readMeta(dir: string): Promise<BlockMeta> {
  const file = join(dir, META_FILENAME);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new BlockMetaError(`${file}: cannot read: ${e instanceof Error ? e.message : String(e)}`);
  }
  return parseMeta(text, file);
}

/** Writes `<dir>/meta.json` atomically (temp file, fsync, rename). */
export async function writeMeta(dir: string, m: BlockMeta): Promise<void> {
  await mkdir(dir, { recursive: true });
  const file = join(dir, META_FILENAME);
  const tmp = `${file}.tmp`;
  const fh = await open(tmp, 'w');
  try {
    await fh.writeFile(metaToJSON(m));
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, file);
}
