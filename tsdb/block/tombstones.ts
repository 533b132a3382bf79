/**
 * Tombstones: deleted time ranges per series of a block (`tsdb/docs/format/tombstones.md`).
 * File: magic 0x0130BA30 (4 bytes), format version 1 (1 byte), then one entry per
 * interval (series ref uvarint, mint varint, maxt varint), then a CRC-32C of the
 * entries. Intervals are inclusive at both ends and kept merged and sorted.
 */
import { open, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32c } from '../encoding/crc32.js';
import { DecBuf, DecodeError } from '../encoding/decbuf.js';
import { EncBuf } from '../encoding/encbuf.js';

export const TOMBSTONES_FILENAME = 'tombstones';
const MAGIC = 0x0130ba30;
const FORMAT_V1 = 1;

/** A tombstones file that cannot be read; the message names the file and what is wrong. */
export class TombstonesError extends Error {
  readonly code = 'tombstones_corrupt';
  constructor(message: string) {
    super(message);
    this.name = 'TombstonesError';
  }
}

/**
 * Deleted intervals by series id. Each series' intervals live in a flat
 * `[mint0, maxt0, mint1, maxt1, …]` array, sorted and non-overlapping.
 */
export class Tombstones {
  private readonly m: Map<number, number[]>;

  constructor() {
    this.m = new Map();
  }

  /** Number of series with deletions. */
  get size(): number {
    return this.m.size;
  }

  /** Total number of intervals (what meta.json's `numTombstones` counts). */
  count(): number {
    let n = 0;
    for (const iv of this.m.values()) n += iv.length >> 1;
    return n;
  }

  /** Marks `[mint, maxt]` of series `ref` deleted, merging with overlapping or adjacent intervals. */
  add(ref: number, mint: number, maxt: number): void {
    if (maxt < mint) return;
    const cur = this.m.get(ref);
    if (cur === undefined) {
      this.m.set(ref, [mint, maxt]);
      return;
    }
    const pairs: [number, number][] = [[mint, maxt]];
    for (let i = 0; i < cur.length; i += 2) pairs.push([cur[i]!, cur[i + 1]!]);
    pairs.sort((x, y) => x[0] - y[0]);
    const out: number[] = [pairs[0]![0], pairs[0]![1]];
    for (let i = 1; i < pairs.length; i++) {
      const [a, b] = pairs[i]!;
      const last = out.length - 1;
      if (a <= out[last]! + 1) out[last] = Math.max(out[last]!, b);
      else out.push(a, b);
    }
    this.m.set(ref, out);
  }

  /** The flat interval list of series `ref`, or null when nothing of it is deleted. */
  get(ref: number): readonly number[] | null {
    return this.m.get(ref) ?? null;
  }

  /** Iterates series ids (ascending) with their intervals. */
  *entries(): IterableIterator<[number, readonly number[]]> {
    const keys = [...this.m.keys()].sort((a, b) => a - b);
    for (const k of keys) yield [k, this.m.get(k)!];
  }

  /** Encodes the whole file. */
  encode(): Uint8Array {
    const e = new EncBuf(64 + this.m.size * 16);
    e.putBE32(MAGIC);
    e.putByte(FORMAT_V1);
    const start = e.len;
    for (const [ref, iv] of this.entries()) {
      for (let i = 0; i < iv.length; i += 2) {
        e.putUvarint(ref);
        e.putVarint(iv[i]!);
        e.putVarint(iv[i + 1]!);
      }
    }
    e.putBE32(crc32c(e.buf, start, e.len));
    return e.get();
  }

  /** Decodes a whole tombstones file; `file` is used in error messages. */
  static decode(b: Uint8Array, file: string): Tombstones {
    if (b.length < 9) throw new TombstonesError(`${file}: file too short (${b.length} bytes)`);
    const d = new DecBuf(b);
    const magic = d.be32();
    if (magic !== MAGIC) throw new TombstonesError(`${file}: invalid magic number ${magic.toString(16)}, expected 130ba30`);
    const v = d.byte();
    if (v !== FORMAT_V1) throw new TombstonesError(`${file}: unsupported tombstones format ${v}`);
    const end = b.length - 4;
    const want = ((b[end]! << 24) | (b[end + 1]! << 16) | (b[end + 2]! << 8) | b[end + 3]!) >>> 0;
    if (crc32c(b, 5, end) !== want) throw new TombstonesError(`${file}: checksum mismatch`);
    const t = new Tombstones();
    const body = new DecBuf(b.subarray(5, end), 5);
    try {
      while (body.remaining() > 0) {
        const ref = body.uvarint();
        const mint = body.varint();
        const maxt = body.varint();
        t.add(ref, mint, maxt);
      }
    } catch (e) {
      if (e instanceof DecodeError) throw new TombstonesError(`${file}: ${e.message}`);
      throw e;
    }
    return t;
  }

  /** Reads `<dir>/tombstones`; a missing file means no deletions (as in Prometheus). */
  static async read(dir: string): Promise<Tombstones> {
    const file = join(dir, TOMBSTONES_FILENAME);
    let b: Uint8Array;
    try {
      b = await readFile(file);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return new Tombstones();
      throw e;
    }
    return Tombstones.decode(b, file);
  }

  /** Writes `<dir>/tombstones` atomically; returns the file size. */
  async write(dir: string): Promise<number> {
    const file = join(dir, TOMBSTONES_FILENAME);
    const tmp = `${file}.tmp`;
    const data = this.encode();
    const fh = await open(tmp, 'w');
    try {
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, file);
    return data.length;
  }
}

/** Whether `t` falls in one of the flat sorted intervals `iv` (null: none). */
export function isDeleted(iv: readonly number[] | null, t: number): boolean {
  if (iv === null) return false;
  for (let i = 0; i < iv.length; i += 2) {
    if (t < iv[i]!) return false;
    if (t <= iv[i + 1]!) return true;
  }
  return false;
}
