import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Labels } from '../labels.js';
import { FileSource } from './byte_source.js';
import { ChunkMeta, packChunkRef } from './chunk_meta.js';
import { IndexCorruptError, IndexReader, SeriesEntry } from './index_reader.js';
import { IndexWriteError, IndexWriter, collectSymbols, compareLabelsUtf8 } from './index_writer.js';
import { compareUtf8 } from './utf8_order.js';

function makeSeries(n: number): { labels: Labels; chunks: ChunkMeta[] }[] {
  const out: { labels: Labels; chunks: ChunkMeta[] }[] = [];
  for (let i = 0; i < n; i++) {
    const ls = Labels.from({
      __name__: i % 3 === 0 ? 'http_requests_total' : i % 3 === 1 ? 'up' : 'node_cpu_seconds_total',
      instance: `host-${i % 7}:9100`,
      job: i % 2 === 0 ? 'api' : 'node',
      ...(i % 5 === 0 ? { mode: 'idle' } : {}),
      ...(i % 11 === 0 ? { unicode: 'ünï☃𝄞' } : {}),
      shard: String(i),
    });
    out.push({ labels: ls, chunks: [] });
  }
  out.sort((a, b) => compareLabelsUtf8(a.labels, b.labels));
  let off = 8;
  for (let i = 0; i < out.length; i++) {
    const k = i % 4; // 0..3 chunks
    let t = -5000 + i * 10;
    for (let c = 0; c < k; c++) {
      out[i]!.chunks.push(new ChunkMeta(packChunkRef(c === 3 ? 1 : 0, off), t, t + 119_000));
      t += 120_000 + (c * 7);
      off += 150 + c;
    }
  }
  return out;
}

test('index round trip: symbols, series, chunk metas, postings, label values', () => {
  const series = makeSeries(500);
  const symbols = collectSymbols(series.map((s) => s.labels));
  const w = new IndexWriter(symbols);
  const ids: number[] = [];
  for (const s of series) ids.push(w.addSeries(s.labels, s.chunks));
  const bytes = w.finish();
  const r = new IndexReader(bytes, 'mem/index');
  assert.deepEqual(r.symbols(), symbols);
  const e = new SeriesEntry();
  for (let i = 0; i < series.length; i++) {
    r.series(ids[i]!, e);
    assert.ok(e.labels.equals(series[i]!.labels), `series ${i}: ${e.labels} != ${series[i]!.labels}`);
    assert.deepEqual(e.chunks, series[i]!.chunks);
  }
  assert.deepEqual([...r.allPostings()], ids);
  // Postings for every label pair equal the ids of series carrying it.
  const names = new Set<string>();
  for (const s of series) s.labels.forEach((n) => {
      names.add(n);
    });
  assert.deepEqual([...r.labelNames()], [...names].sort(compareUtf8));
  for (const name of names) {
    const values = new Set<string>();
    for (const s of series) if (s.labels.has(name)) values.add(s.labels.get(name));
    assert.deepEqual([...r.labelValues(name)], [...values].sort(compareUtf8));
    for (const v of values) {
      const want = ids.filter((_, i) => series[i]!.labels.get(name) === v);
      assert.deepEqual([...r.postings(name, v)], want, `${name}=${v}`);
    }
  }
  assert.equal(r.postings('job', 'nope').length, 0);
  assert.equal(r.postings('nope', 'x').length, 0);
  assert.deepEqual([...r.postingsForName('mode')], ids.filter((_, i) => series[i]!.labels.has('mode')));
});

test('index writer rejects out-of-order series and unknown symbols', () => {
  const a = Labels.from({ a: '1' });
  const b = Labels.from({ a: '2' });
  const w = new IndexWriter(['1', '2', 'a']);
  w.addSeries(b, []);
  assert.throws(() => w.addSeries(a, []), IndexWriteError);
  const w2 = new IndexWriter(['a']);
  assert.throws(() => w2.addSeries(a, []), /symbol "1" is not in the symbol table/);
  assert.throws(() => new IndexWriter(['b', 'a']), /out of order/);
});

test('empty index is readable', () => {
  const r = new IndexReader(new IndexWriter([]).finish(), 'empty');
  assert.equal(r.allPostings().length, 0);
  assert.deepEqual([...r.labelNames()], []);
});

test('index reader detects a flipped byte in each section', () => {
  const series = makeSeries(40);
  const w = new IndexWriter(collectSymbols(series.map((s) => s.labels)));
  const ids = series.map((s) => w.addSeries(s.labels, s.chunks));
  const good = w.finish();
  const toc = new IndexReader(good, 'x').toc;
  // Symbols and postings offset table are checked at open; TOC too.
  for (const off of [toc.symbols + 9, toc.postingsTable + 9, good.length - 10]) {
    const bad = good.slice();
    bad[off]! ^= 0x40;
    assert.throws(() => new IndexReader(bad, 'blk/index'), (e: unknown) => e instanceof IndexCorruptError && e.message.startsWith('blk/index: '));
  }
  // Series and postings are checked on read.
  const bad = good.slice();
  bad[ids[3]! * 16 + 3]! ^= 0x01;
  const r = new IndexReader(bad, 'blk/index');
  assert.throws(() => r.series(ids[3]!, new SeriesEntry()), /series \d+ checksum mismatch/);
  const bad2 = good.slice();
  bad2[toc.postings + 12]! ^= 0x01;
  assert.throws(() => new IndexReader(bad2, 'p').allPostings(), /checksum mismatch/);
  const bad3 = good.slice();
  bad3[4] = 1;
  assert.throws(() => new IndexReader(bad3, 'v1'), /unsupported index version 1/);
});

test('index reader fails only with IndexCorruptError on random damage (bit flips and truncation)', () => {
  const series = makeSeries(60);
  const w = new IndexWriter(collectSymbols(series.map((s) => s.labels)));
  const ids = series.map((s) => w.addSeries(s.labels, s.chunks));
  const good = w.finish();
  let seed = 4242;
  const rnd = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 4294967296);
  let detected = 0;
  for (let round = 0; round < 400; round++) {
    let bad = good.slice();
    if (round % 10 === 0) bad = bad.subarray(0, Math.floor(rnd() * bad.length));
    else for (let k = 0; k < 1 + Math.floor(rnd() * 3); k++) bad[Math.floor(rnd() * bad.length)]! ^= 1 << Math.floor(rnd() * 8);
    try {
      const r = new IndexReader(bad, 'fuzz/index');
      const e = new SeriesEntry();
      for (const id of ids) r.series(id, e);
      for (const n of r.labelNames()) for (const v of r.labelValues(n)) r.postings(n, v);
      r.allPostings();
    } catch (err) {
      assert.ok(err instanceof IndexCorruptError, `round ${round}: ${String(err)}`);
      detected++;
    }
  }
  assert.ok(detected > 300, `only ${detected} of 400 damaged indexes were detected`);
});

test('index read from a paged file source equals the in-memory read', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'vigil-index-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const series = makeSeries(300);
  const w = new IndexWriter(collectSymbols(series.map((s) => s.labels)));
  const ids = series.map((s) => w.addSeries(s.labels, s.chunks));
  const bytes = w.finish();
  await writeFile(join(dir, 'index'), bytes);
  const mem = new IndexReader(bytes, 'mem');
  const paged = new IndexReader(new FileSource(join(dir, 'index'), 128, 3), join(dir, 'index'));
  t.after(() => paged.close());
  const a = new SeriesEntry();
  const b = new SeriesEntry();
  for (const id of ids) {
    mem.series(id, a);
    paged.series(id, b);
    assert.ok(a.labels.equals(b.labels));
    assert.deepEqual(a.chunks, b.chunks);
  }
  assert.deepEqual(paged.labelNames(), mem.labelNames());
  for (const n of mem.labelNames()) for (const v of mem.labelValues(n)) assert.deepEqual(paged.postings(n, v), mem.postings(n, v));
});

test('compareUtf8 orders like UTF-8 bytes, including surrogate pairs against U+E000–U+FFFF', () => {
  const strs = ['', 'a', 'ab', 'b', 'é', '\u00ff', '\u0800', '\ud7ff', '\ue000', '\uffff', '𝄞', '😀', 'a😀', 'a\uffff', 'a\ue000x', 'zz'];
  const enc = new TextEncoder();
  const byBytes = (x: string, y: string) => Buffer.compare(Buffer.from(enc.encode(x)), Buffer.from(enc.encode(y)));
  for (const x of strs) for (const y of strs) assert.equal(Math.sign(compareUtf8(x, y)), Math.sign(byBytes(x, y)), `${JSON.stringify(x)} vs ${JSON.stringify(y)}`);
});
