import assert from 'node:assert/strict';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { crc32c } from '../encoding/crc32.js';
import { EncBuf } from '../encoding/encbuf.js';
import { Labels } from '../labels.js';
import { STALE_NAN } from '../storage.js';
import { deleteCheckpointsBefore, deleteSegmentsBefore, writeCheckpoint } from './checkpoint.js';
import {
  RecordType,
  SampleBatch,
  decodeSamples,
  decodeSeries,
  decodeTombstones,
  encodeSamples,
  encodeSeries,
  encodeTombstones,
  recordType,
} from './records.js';
import { repairWal } from './repair.js';
import { PAGE_SIZE, lastCheckpoint, listSegments, segmentPath } from './segment.js';
import { readSegment } from './wal_reader.js';
import { WalWriter } from './wal_writer.js';

const noTimer = () => () => {};

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'vigil-wal-'));
}

/** A record of `n` bytes whose content identifies it. */
function rec(id: number, n: number): Uint8Array {
  const r = new Uint8Array(n);
  for (let i = 0; i < n; i++) r[i] = (id * 31 + i * 7) & 0xff;
  if (n >= 4) new DataView(r.buffer).setUint32(0, id);
  return r;
}

function readAll(dir: string): { recs: Uint8Array[]; corruption: string | null } {
  const recs: Uint8Array[] = [];
  for (const n of listSegments(dir)) {
    const c = readSegment(dir, n, (r) => recs.push(Uint8Array.from(r)));
    if (c !== null) return { recs, corruption: c.toString() };
  }
  return { recs, corruption: null };
}

test('wal writes a small record as one full fragment: type, BE length, CRC32C, data', () => {
  const dir = tmp();
  try {
    const w = new WalWriter(dir, { every: noTimer });
    const data = new TextEncoder().encode('123456789');
    w.log([data]);
    w.close();
    const b = readFileSync(segmentPath(dir, 0));
    assert.equal(b.length, 7 + 9, 'a partial page is not padded');
    assert.equal(b[0], 1);
    assert.equal(b.readUInt16BE(1), 9);
    // The standard CRC-32C check value of "123456789".
    assert.equal(b.readUInt32BE(3), 0xe3069283);
    assert.equal(crc32c(data), 0xe3069283);
    assert.deepEqual(b.subarray(7), Buffer.from(data));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('wal round trip of records of every size across pages and segments, in order', () => {
  const dir = tmp();
  try {
    const w = new WalWriter(dir, { segmentSize: 4 * PAGE_SIZE, every: noTimer });
    const sizes = [0, 1, 100, PAGE_SIZE - 7, PAGE_SIZE - 8, PAGE_SIZE, PAGE_SIZE + 1, 3 * PAGE_SIZE, 5 * PAGE_SIZE, 10, 20_000];
    const want: Uint8Array[] = [];
    for (let i = 0; i < 60; i++) {
      const r = rec(i, sizes[i % sizes.length]!);
      want.push(r);
      w.log([r]);
    }
    w.close();
    assert.ok(listSegments(dir).length > 3, 'several segments');
    for (const n of listSegments(dir).slice(0, -1)) {
      // A record larger than a segment makes that segment larger; others are cut at the limit.
      assert.equal(statSync(segmentPath(dir, n)).size % PAGE_SIZE, 0, 'closed segments end on a page boundary');
    }
    const got = readAll(dir);
    assert.equal(got.corruption, null);
    assert.equal(got.recs.length, want.length);
    for (let i = 0; i < want.length; i++) assert.deepEqual(got.recs[i], want[i], `record ${i}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('wal writer starts a new segment when reopened, as Prometheus does', () => {
  const dir = tmp();
  try {
    let w = new WalWriter(dir, { every: noTimer });
    w.log([rec(1, 10)]);
    w.close();
    w = new WalWriter(dir, { every: noTimer });
    assert.equal(w.currentSegment(), 1);
    w.log([rec(2, 10)]);
    w.close();
    assert.deepEqual(listSegments(dir), [0, 1]);
    assert.equal(readAll(dir).recs.length, 2);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('wal periodic fsync runs on the injected timer and only when there is new data', () => {
  const dir = tmp();
  try {
    let tick: () => void = () => {};
    const w = new WalWriter(dir, {
      syncIntervalMs: 1000,
      every: (_ms, fn) => {
        tick = fn;
        return () => {};
      },
    });
    w.log([rec(1, 10)]);
    w.sync();
    assert.equal(w.fsyncCount, 1);
    w.sync();
    assert.equal(w.fsyncCount, 1, 'no new data, no fsync');
    tick();
    w.close();
    const sync0 = new WalWriter(join(dir, 'b'), { syncIntervalMs: 0, every: noTimer });
    sync0.log([rec(1, 10)]);
    sync0.log([rec(2, 10)]);
    assert.equal(sync0.fsyncCount, 2, 'interval 0 fsyncs every log');
    sync0.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('wal reader reports a torn tail at the start of the incomplete record; repair keeps everything before it', () => {
  const dir = tmp();
  try {
    const w = new WalWriter(dir, { every: noTimer });
    for (let i = 0; i < 10; i++) w.log([rec(i, 5000)]);
    w.close();
    const path = segmentPath(dir, 0);
    const size = statSync(path).size;
    truncateSync(path, size - 100);
    const got = readAll(dir);
    assert.equal(got.recs.length, 9);
    assert.match(got.corruption ?? '', /torn fragment/);
    const c = readSegment(dir, 0, () => {});
    assert.ok(c !== null);
    const report = repairWal(c);
    assert.equal(report.truncatedBytes, size - 100 - c.offset);
    assert.match(report.toString(), /dropped its last \d+ bytes/);
    const again = readAll(dir);
    assert.equal(again.corruption, null);
    assert.equal(again.recs.length, 9);
    for (let i = 0; i < 9; i++) assert.deepEqual(again.recs[i], rec(i, 5000));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('wal reader detects a flipped byte by checksum; repair drops that record, the rest of the segment and later segments', () => {
  const dir = tmp();
  try {
    const w = new WalWriter(dir, { segmentSize: 2 * PAGE_SIZE, every: noTimer });
    for (let i = 0; i < 80; i++) w.log([rec(i, 3000)]);
    w.close();
    assert.ok(listSegments(dir).length >= 3);
    const path = segmentPath(dir, 0);
    const b = readFileSync(path);
    const at = 7 + 3000 + 7 + 1500; // inside record 1
    b[at] = b[at]! ^ 0xff;
    writeFileSync(path, b);
    const got = readAll(dir);
    assert.equal(got.recs.length, 1);
    assert.match(got.corruption ?? '', /checksum mismatch/);
    const report = repairWal(readSegment(dir, 0, () => {})!);
    assert.ok(report.deletedSegments.length >= 2);
    assert.match(report.toString(), /deleted later segments/);
    assert.deepEqual(listSegments(dir), [0]);
    assert.deepEqual(readAll(dir), { recs: [rec(0, 3000)], corruption: null });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('wal records round trip: series, samples (bit-exact values, negative times) and tombstones', () => {
  const buf = new EncBuf();
  const ls = [Labels.fromStrings('__name__', 'up', 'job', 'ä-ü'), Labels.fromStrings('a', 'b')];
  encodeSeries(buf, [7, 2 ** 40], ls);
  const sr = Uint8Array.from(buf.get());
  assert.equal(recordType(sr), RecordType.Series);
  const refs: number[] = [];
  const labels: Labels[] = [];
  decodeSeries(sr, refs, labels);
  assert.deepEqual(refs, [7, 2 ** 40]);
  assert.ok(labels[0]!.equals(ls[0]!) && labels[1]!.equals(ls[1]!));

  const b = new SampleBatch(4);
  b.ensure(5);
  const rs = [10, 3, 10, 4_000_000_000, 11];
  const ts = [-5000, 1_700_000_000_000, -6000, 0, 2 ** 50];
  for (let i = 0; i < 5; i++) {
    b.refs[i] = rs[i]!;
    b.ts[i] = ts[i]!;
  }
  b.vs[0] = STALE_NAN;
  b.vs[1] = Number.NEGATIVE_INFINITY;
  b.vs[2] = 0.1;
  b.vs[3] = -0;
  b.vs[4] = 1e308;
  buf.reset();
  encodeSamples(buf, b.refs, b.ts, b.vw, 5);
  const out = new SampleBatch(1);
  decodeSamples(buf.get(), out);
  assert.equal(out.n, 5);
  assert.deepEqual(Array.from(out.refs.subarray(0, 5)), rs);
  assert.deepEqual(Array.from(out.ts.subarray(0, 5)), ts);
  assert.deepEqual(Array.from(out.vw.subarray(0, 10)), Array.from(b.vw.subarray(0, 10)), 'value bits identical');
  assert.equal(new DataView(out.vs.buffer).getBigUint64(0, true), 0x7ff0000000000002n);

  buf.reset();
  encodeTombstones(buf, [5, -100, 200, 2 ** 33, 0, 1]);
  const st: number[] = [];
  decodeTombstones(buf.get(), st);
  assert.deepEqual(st, [5, -100, 200, 2 ** 33, 0, 1]);
});

test('wal checkpoint keeps live series and samples at or after mint; old segments and checkpoints can go', async () => {
  const dir = tmp();
  try {
    const w = new WalWriter(dir, { segmentSize: PAGE_SIZE, every: noTimer });
    const buf = new EncBuf();
    encodeSeries(buf, [1, 2], [Labels.fromStrings('a', '1'), Labels.fromStrings('a', '2')]);
    w.log([Uint8Array.from(buf.get())]);
    const b = new SampleBatch(256);
    for (let k = 0; k < 40; k++) {
      for (let i = 0; i < 100; i++) {
        b.refs[i] = 1 + (i % 2);
        b.ts[i] = k * 100 + i;
        b.vs[i] = i;
      }
      buf.reset();
      encodeSamples(buf, b.refs, b.ts, b.vw, 100);
      w.log([Uint8Array.from(buf.get())]);
    }
    w.close();
    const segs = listSegments(dir);
    const last = segs[segs.length - 2]!;
    const stats = await writeCheckpoint(dir, segs[0]!, last, (ref) => ref === 1, 2000);
    assert.equal(stats.seriesKept, 1);
    assert.equal(stats.seriesDropped, 1);
    deleteSegmentsBefore(dir, last + 1);
    deleteCheckpointsBefore(dir, last);
    const cp = lastCheckpoint(dir);
    assert.ok(cp !== null && cp.index === last);
    const seen: number[] = [];
    const out = new SampleBatch(1);
    for (const n of listSegments(cp.path)) {
      assert.equal(
        readSegment(cp.path, n, (r) => {
          if (recordType(r) !== RecordType.Samples) return;
          decodeSamples(r, out);
          for (let i = 0; i < out.n; i++) {
            assert.equal(out.refs[i], 1);
            seen.push(out.ts[i]!);
          }
        }),
        null,
      );
    }
    assert.ok(seen.length > 0 && seen.every((t) => t >= 2000));
    assert.deepEqual(listSegments(dir), segs.filter((n) => n > last));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('wal write failure on a full disk throws WalWriteError and later writes start a clean segment', { skip: process.platform !== 'linux' ? 'needs /dev/full' : false }, () => {
  const dir = tmp();
  try {
    mkdirSync(dir, { recursive: true });
    const w = new WalWriter(dir, { every: noTimer });
    w.log([rec(1, 100)]);
    // Swap the segment's descriptor for /dev/full, which fails every write with ENOSPC.
    const priv = w as unknown as { fd: number };
    const good = priv.fd;
    const full = openSync('/dev/full', 'w');
    priv.fd = full;
    assert.throws(() => w.log([rec(2, 100)]), (e: unknown) => e instanceof Error && (e as { code?: string }).code === 'wal_write_failed' && /ENOSPC/.test(e.message));
    priv.fd = good;
    closeSync(full);
    w.log([rec(3, 100)]);
    w.close();
    assert.deepEqual(
      readAll(dir).recs.map((r) => new DataView(r.buffer).getUint32(0)),
      [1, 3],
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
