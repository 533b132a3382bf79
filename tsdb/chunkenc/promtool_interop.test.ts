/**
 * Byte-for-byte comparison with chunks written by real Prometheus tooling:
 * `promtool tsdb create-blocks-from openmetrics` ingests a generated file through
 * Prometheus's own head (so its chunk cutting applies) and writes blocks; every
 * chunk in their `chunks/` files must equal a chunk Vigil encodes from the same
 * samples with the same cutting rules.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Encoding, encodeXOR } from './chunk.js';
import { shouldCut, startChunk } from './chunk_range.js';

const H2 = 2 * 3600 * 1000;
/** Go's `math.NaN()` (0x7ff8000000000001), which Prometheus's parsers return for "NaN". */
const GO_NAN = new Float64Array(new BigUint64Array([0x7ff8000000000001n]).buffer)[0]!;
const hasPromtool = spawnSync('promtool', ['--version']).status === 0;

/** Deterministic series: timestamps with scrape jitter, gaps and values of several shapes. */
function makeSeries(seed: number, n: number): { ts: number[]; vs: Float64Array } {
  let x = seed;
  const rnd = () => {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    return x / 4294967296;
  };
  const ts: number[] = [];
  const vs = new Float64Array(n);
  let t = 1_700_000_000_000 + seed * 7;
  let v = seed * 10;
  for (let i = 0; i < n; i++) {
    const r = rnd();
    // Mostly 15s with ±50ms jitter, sometimes a long gap (dod in the 17/20/64-bit buckets).
    t += r < 0.02 ? 15_000 + Math.floor(rnd() * 40_000_000) : r < 0.05 ? 15_000 + Math.floor(rnd() * 600_000) : 15_000 + Math.floor((rnd() - 0.5) * 100);
    const k = seed % 3;
    if (k === 0) v += Math.floor(rnd() * 5); // counter
    else if (k === 1) v = Math.round(rnd() * 1e6) / 1000; // gauge with decimals
    else v = i % 10 === 0 ? Number.POSITIVE_INFINITY : i % 7 === 0 ? GO_NAN : rnd() * 1e-5; // odd values
    ts.push(t);
    vs[i] = v;
  }
  return { ts, vs };
}

function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Number.POSITIVE_INFINITY) return '+Inf';
  if (v === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(v); // shortest round-trip form; Go's ParseFloat reads it back exactly
}

/**
 * Splits one series into chunks exactly as Prometheus's head cuts them. promtool's
 * backfill appends each 2h block through its own head whose chunk range is twice
 * the block (4h, `NewBlockWriter(…, 2*blockDuration)`), so chunks follow the 4h
 * cutting rules and additionally end at every 2h block boundary.
 */
function expectedChunks(ts: number[], vs: Float64Array): string[] {
  const out: string[] = [];
  const state = { nextAt: 0 };
  let start = 0;
  for (let i = 0; i < ts.length; i++) {
    const n = i - start;
    const t = ts[i]!;
    if (n === 0) startChunk(state, t, 2 * H2);
    else if (Math.floor(t / H2) !== Math.floor(ts[start]! / H2) || shouldCut(state, n, ts[start]!, ts[i - 1]!, t)) {
      out.push(Buffer.from(encodeXOR(ts, vs, start, i).bytes()).toString('hex'));
      start = i;
      startChunk(state, t, 2 * H2);
    }
  }
  out.push(Buffer.from(encodeXOR(ts, vs, start, ts.length).bytes()).toString('hex'));
  return out;
}

/** Reads every chunk of a block `chunks/NNNNNN` segment: magic, version, padding, then len|enc|data|crc. */
function readChunkSegment(buf: Buffer): { enc: number; hex: string }[] {
  assert.equal(buf.readUInt32BE(0), 0x85bd40dd, 'chunk segment magic');
  const out: { enc: number; hex: string }[] = [];
  let off = 8;
  while (off < buf.length) {
    let len = 0;
    let shift = 0;
    for (;;) {
      const b = buf[off++]!;
      len += (b & 0x7f) * 2 ** shift;
      shift += 7;
      if (b < 0x80) break;
    }
    if (len === 0) break;
    const enc = buf[off++]!;
    out.push({ enc, hex: buf.subarray(off, off + len).toString('hex') });
    off += len + 4;
  }
  return out;
}

test('xor chunks equal, byte for byte, those promtool writes for the same samples', { skip: hasPromtool ? false : 'promtool not installed' }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-promtool-'));
  try {
    const series = [1, 2, 3, 4, 5, 6].map((s) => ({ name: `s${s}`, ...makeSeries(s, 1500) }));
    const lines = ['# TYPE m gauge'];
    for (const s of series) {
      for (let i = 0; i < s.ts.length; i++) lines.push(`m{id="${s.name}"} ${formatValue(s.vs[i]!)} ${(s.ts[i]! / 1000).toFixed(3)}`);
    }
    lines.push('# EOF', '');
    writeFileSync(join(dir, 'in.om'), lines.join('\n'));
    const res = spawnSync('promtool', ['tsdb', 'create-blocks-from', 'openmetrics', join(dir, 'in.om'), join(dir, 'out')], {
      encoding: 'utf8',
    });
    assert.equal(res.status, 0, `promtool failed: ${res.stderr}`);

    const got: string[] = [];
    for (const ulid of readdirSync(join(dir, 'out'))) {
      for (const seg of readdirSync(join(dir, 'out', ulid, 'chunks'))) {
        for (const c of readChunkSegment(readFileSync(join(dir, 'out', ulid, 'chunks', seg)))) {
          assert.equal(c.enc, Encoding.XOR);
          got.push(c.hex);
        }
      }
    }
    const want = series.flatMap((s) => expectedChunks(s.ts, s.vs));
    assert.ok(want.length > 50, `enough chunks to be meaningful (${want.length})`);
    const gotSet = new Set(got);
    const wantSet = new Set(want);
    const missing = want.filter((h) => !gotSet.has(h));
    const extra = got.filter((h) => !wantSet.has(h));
    assert.deepEqual({ missing, extra }, { missing: [], extra: [] }, 'chunks Vigil encodes vs chunks promtool wrote');
    assert.equal(got.length, want.length);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
