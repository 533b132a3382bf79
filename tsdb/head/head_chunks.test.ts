import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { encodeXOR } from '../chunkenc/chunk.js';
import { ValueType } from '../storage.js';
import { HeadChunkError, HeadChunkFiles, headChunkSeq } from './head_chunks.js';

function chunkOf(i: number) {
  const ts = Array.from({ length: 50 }, (_, k) => i * 1_000_000 + k * 15_000);
  return encodeXOR(ts, ts.map((t) => t / 7 + i));
}

function firstT(c: ReturnType<HeadChunkFiles['read']>): number {
  const it = c.iterator();
  assert.equal(it.next(), ValueType.Float);
  return it.atT();
}

test('head chunk files cut at the size limit and read back chunks from every file, buffered or flushed', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-hc-'));
  try {
    const f = new HeadChunkFiles(dir, { maxFileSize: 4096, bufferSize: 1024 });
    const refs: number[] = [];
    for (let i = 0; i < 100; i++) refs.push(f.write(i + 1, i * 1_000_000, i * 1_000_000 + 49 * 15_000, chunkOf(i)));
    assert.ok(headChunkSeq(refs[99]!) > 3, 'several files');
    // Every chunk, old or still in the write buffer, reads back intact.
    for (let i = 0; i < 100; i++) assert.equal(firstT(f.read(refs[i]!)), i * 1_000_000);
    f.flush();
    for (let i = 0; i < 100; i++) assert.deepEqual(f.read(refs[i]!).bytes(), chunkOf(i).bytes());
    const files = readdirSync(dir).sort();
    assert.equal(files[0], '000001');
    // Dropping old files frees them; chunks in later files still read.
    const keepFrom = headChunkSeq(refs[60]!);
    f.dropFilesBefore(keepFrom);
    assert.ok(readdirSync(dir).every((n) => Number(n) >= keepFrom));
    assert.equal(firstT(f.read(refs[99]!)), 99_000_000);
    assert.throws(() => f.read(refs[0]!), HeadChunkError);
    f.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('head chunk files detect a corrupted chunk by its CRC32C', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-hc-'));
  try {
    const f = new HeadChunkFiles(dir);
    const ref = f.write(7, 0, 49 * 15_000, chunkOf(0));
    f.flush();
    const p = join(dir, '000001');
    const b = readFileSync(p);
    b[40] = b[40]! ^ 1;
    writeFileSync(p, b);
    // Reads go to the file once flushed; reopen-free: the descriptor sees the new bytes.
    assert.throws(() => f.read(ref), /checksum mismatch/);
    f.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('head chunk read cache: chunks across page boundaries, a growing last page, eviction and cache-off reads agree', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-hc-'));
  try {
    // Small cache (2 pages of 64 KiB) to force eviction; a second reader without a cache as the reference.
    const f = new HeadChunkFiles(dir, { bufferSize: 4096, readCacheSize: 128 * 1024 });
    const refs: number[] = [];
    const want: Uint8Array[] = [];
    for (let i = 0; i < 1500; i++) {
      const c = chunkOf(i);
      refs.push(f.write(i + 1, i * 1_000_000, i * 1_000_000 + 49 * 15_000, c));
      want.push(c.bytes().slice());
      // Read back while the file grows: cached partial last pages must pick up later chunks.
      if (i % 97 === 0) {
        f.flush();
        for (let j = 0; j <= i; j += 13) assert.deepEqual(f.read(refs[j]!).bytes(), want[j]!, `chunk ${j} after ${i} writes`);
      }
    }
    f.flush();
    const crossing = refs.filter((r, i) => Math.floor(r / 65536) !== Math.floor((r + want[i]!.length + 30) / 65536));
    assert.ok(crossing.length > 0, 'some chunks straddle a page boundary');
    for (let pass = 0; pass < 2; pass++) for (let i = 0; i < refs.length; i++) assert.deepEqual(f.read(refs[i]!).bytes(), want[i]!, `chunk ${i} pass ${pass}`);
    f.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
