import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import Fastify from 'fastify';
import { Registry } from 'prom-client';
import { ConfigDoc } from '../config_reader.js';
import { openDB, type TSDB } from '../db.js';
import { Labels } from '../labels.js';
import { NO_REF } from '../storage.js';
import { deleteSegmentsBefore, writeCheckpoint } from '../wal/checkpoint.js';
import { EncBuf } from '../encoding/encbuf.js';
import { RecordType, encodeSamples, encodeSeries } from '../wal/records.js';
import { listSegments } from '../wal/segment.js';
import { WalWriter } from '../wal/wal_writer.js';
import { decodeWriteRequest } from './codec.js';
import { parseRemoteWriteConfigs } from './config.js';
import { RemoteWriteMetrics } from './queue_metrics.js';
import { RemoteStorage, progressPath } from './remote_storage.js';
import { SampleBatch } from './sample_source.js';
import { snappyDecode } from './snappy.js';
import { ProgressFileError, WalSampleSource, readProgress } from './wal_sample_source.js';

type After = { after(fn: () => Promise<void> | void): void };
const quiet = { info() {}, warn() {}, error() {} };
const noTimer = () => () => {};

function tempDir(t: After): string {
  const d = mkdtempSync(join(tmpdir(), 'vigil-walsrc-'));
  t.after(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

function open(dir: string, segmentSize?: number): Promise<TSDB> {
  return openDB(dir, { autoCompact: false, log: () => {}, every: noTimer, walSyncIntervalMs: 0, ...(segmentSize !== undefined ? { walSegmentSize: segmentSize } : {}) });
}

/** Commits `n` samples (t = t0 .. t0+n-1, value = t) to each of `series` metric names `m0..`. */
async function commit(db: { appender(): { append(r: number, l: Labels, t: number, v: number): number; commit(): Promise<void> } }, series: number, t0: number, n: number) {
  const app = db.appender();
  for (let i = 0; i < n; i++) for (let s = 0; s < series; s++) app.append(NO_REF, Labels.fromStrings('__name__', `m${s}`, 'job', 'x'), t0 + i, t0 + i);
  await app.commit();
}

/** Drains `src` until a read comes back empty; returns "labels@t" strings and the number of reads. */
async function drain(src: WalSampleSource, cap = 100): Promise<{ got: string[]; reads: number }> {
  const b = new SampleBatch(cap);
  const got: string[] = [];
  let reads = 0;
  for (;;) {
    const n = await src.read(b, 0);
    if (n === 0) return { got, reads };
    reads++;
    for (let i = 0; i < n; i++) {
      const l = src.seriesLabels(b.refs[i]!);
      assert.ok(l !== undefined, `ref ${b.refs[i]} resolves`);
      assert.equal(b.vs[i], b.ts[i]);
      got.push(`${l.get('__name__')}@${b.ts[i]}`);
    }
  }
}

function expected(series: number, t0: number, n: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < n; i++) for (let s = 0; s < series; s++) out.push(`m${s}@${t0 + i}`);
  return out;
}

test('a new queue starts at the end of the WAL; later commits arrive in order across segment cuts', async (t) => {
  const dir = tempDir(t);
  const db = await open(dir, 32 * 1024);
  t.after(() => db.close());
  await commit(db, 3, 0, 50); // before the queue exists: not sent
  const src = new WalSampleSource({ walDir: join(dir, 'wal'), progressPath: join(dir, 'remote', 'q.json') });
  assert.equal((await drain(src)).got.length, 0);
  for (let r = 0; r < 40; r++) await commit(db, 3, 1000 + r * 100, 100);
  assert.ok(listSegments(join(dir, 'wal')).length >= 3, 'several segments were cut');
  const { got } = await drain(src);
  assert.deepEqual(got, expected(3, 1000, 4000));
});

test('progress: a restarted source resumes after the last delivered read, never before it', async (t) => {
  const dir = tempDir(t);
  const walDir = join(dir, 'wal');
  const pp = join(dir, 'remote', 'q.json');
  let db = await open(dir, 32 * 1024);
  const src = new WalSampleSource({ walDir, progressPath: pp });
  await drain(src); // position at the (empty) end
  await commit(db, 2, 0, 500);
  const b = new SampleBatch(70);
  const first: string[] = [];
  for (let k = 0; k < 5; k++) {
    const n = await src.read(b, 0);
    assert.equal(n, 70);
    for (let i = 0; i < n; i++) first.push(`${src.seriesLabels(b.refs[i]!)!.get('__name__')}@${b.ts[i]}`);
  }
  src.delivered(3); // reads 4 and 5 were in flight when we "crashed"
  assert.ok(existsSync(pp));
  src.close();
  await db.close();

  db = await open(dir, 32 * 1024);
  t.after(() => db.close());
  await commit(db, 2, 10_000, 10);
  const again = new WalSampleSource({ walDir, progressPath: pp });
  const { got } = await drain(again);
  const all = [...expected(2, 0, 500), ...expected(2, 10_000, 10)];
  assert.deepEqual(got, all.slice(3 * 70), 'resumes right after the 210 delivered samples');
});

test('survives a checkpoint: series of truncated segments come from the checkpoint', async (t) => {
  const dir = tempDir(t);
  const walDir = join(dir, 'wal');
  const pp = join(dir, 'remote', 'q.json');
  let db = await open(dir, 32 * 1024);
  const src = new WalSampleSource({ walDir, progressPath: pp });
  await drain(src);
  await commit(db, 4, 0, 10); // series records land in the first segment
  const d1 = await drain(src);
  src.delivered(d1.reads);
  for (let r = 0; r < 30; r++) await commit(db, 4, 100 + r * 100, 100);
  await db.close();
  const segs = listSegments(walDir);
  assert.ok(segs.length >= 3);
  const saved = readProgress(pp)!;
  // Checkpoint the segment holding the series records and every segment before the progress point.
  const upTo = saved.segment;
  await writeCheckpoint(walDir, segs[0]!, upTo, () => true, 0);
  deleteSegmentsBefore(walDir, upTo + 1);

  db = await open(dir, 32 * 1024);
  t.after(() => db.close());
  const again = new WalSampleSource({ walDir, progressPath: pp });
  const { got } = await drain(again);
  assert.ok(got.length > 0, 'later samples are read');
  // Segment 0 also held unsent samples after the progress point: they are gone, and counted.
  assert.equal(saved.segment, 0);
  assert.equal(again.segmentsMissed, 1);
  // Every sample from later segments resolves to its series (checked in drain) and is in order per series.
  const ts = got.filter((s) => s.startsWith('m0@')).map((s) => Number(s.split('@')[1]));
  for (let i = 1; i < ts.length; i++) assert.ok(ts[i]! > ts[i - 1]!);
  assert.equal(ts[ts.length - 1], 100 + 29 * 100 + 99);
});

test('a malformed progress file is a clear error', (t) => {
  const dir = tempDir(t);
  const p = join(dir, 'p.json');
  writeFileSync(p, '{"segment": -1, "offset": 0, "skip": 0}');
  assert.throws(() => readProgress(p), (e: unknown) => e instanceof ProgressFileError && /segment/.test(e.message) && e.message.includes(p));
  writeFileSync(p, 'not json');
  assert.throws(() => readProgress(p), ProgressFileError);
});


/** A fastify receiver decoding with codec.ts; can be told to fail with 503. */
async function receiver(t: After) {
  const got = new Map<string, number[]>();
  const state = { failing: false };
  const app = Fastify();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
  app.post('/write', async (req, reply) => {
    if (state.failing) return reply.code(503).send('down');
    const d = decodeWriteRequest(snappyDecode(req.body as Buffer, 1 << 24));
    for (const s of d.series) {
      const k = s.labels!.get('__name__');
      const list = got.get(k) ?? [];
      for (let i = s.start; i < s.end; i++) list.push(d.ts[i]!);
      got.set(k, list);
    }
    return reply.code(204).send();
  });
  const addr = await app.listen({ port: 0, host: '127.0.0.1' });
  t.after(() => app.close());
  return { url: `${addr}/write`, got, state };
}

async function until(what: string, check: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

test('RemoteStorage on a TSDB: stop mid-stream and an outage lose nothing; duplicates at most one batch', async (t) => {
  const dir = tempDir(t);
  const rcv = await receiver(t);
  const batch = 50;
  const cfg = parseRemoteWriteConfigs(
    ConfigDoc.parse(
      `remote_write:\n  - url: ${rcv.url}\n    name: r1\n    queue_config: {max_samples_per_send: ${batch}, batch_send_deadline: 20ms, min_backoff: 5ms, max_backoff: 20ms, min_shards: 1, max_shards: 1}\n`,
      'p.yml',
    ).root(),
    '',
    'utf8',
  );
  const env = { metrics: new RemoteWriteMetrics(new Registry()), logger: quiet };
  const start = async () => {
    const rs = new RemoteStorage(await open(dir, 32 * 1024), { flushDeadlineMs: 50 });
    assert.ok(rs.readsWal());
    await rs.applyConfig({ externalLabels: Labels.EMPTY, remoteWrite: cfg, remoteRead: [] }, env);
    return rs;
  };
  let rs = await start();
  await commit(rs, 1, 0, 400);
  await until('first samples', () => (rcv.got.get('m0')?.length ?? 0) >= 100);
  // The receiver goes down; Vigil keeps committing, then stops with samples unsent.
  rcv.state.failing = true;
  await commit(rs, 1, 400, 600);
  await rs.close();
  assert.ok(existsSync(progressPath(dir, cfg[0]!)));
  const beforeRestart = rcv.got.get('m0')?.length ?? 0;
  assert.ok(beforeRestart < 1000, 'some samples were still unsent at the stop');

  rcv.state.failing = false;
  rs = await start();
  t.after(() => rs.close());
  await commit(rs, 1, 1000, 200);
  await until('every sample', () => new Set(rcv.got.get('m0')).size === 1200);
  await new Promise((r) => setTimeout(r, 100));
  const list = rcv.got.get('m0')!;
  const dups = list.length - new Set(list).size;
  assert.ok(dups <= batch, `at most one batch resent (${dups} duplicates)`);
  for (let i = 0; i < 1200; i++) assert.ok(list.includes(i), `sample ${i} arrived`);
});

test('a record whose frame is intact but whose content does not decode is skipped and counted', async (t) => {
  const dir = tempDir(t);
  const walDir = join(dir, 'wal');
  const w = new WalWriter(walDir, { syncIntervalMs: 0, every: noTimer });
  t.after(() => w.close());
  const src = new WalSampleSource({ walDir, progressPath: join(dir, 'q.json') });
  assert.equal((await drain(src)).got.length, 0);
  const buf = new EncBuf();
  encodeSeries(buf, [7], [Labels.fromStrings('__name__', 'm0')]);
  w.log([buf.get().slice()]);
  // A samples record cut short: the CRC matches what was written, the decoder rejects it.
  w.log([Uint8Array.of(RecordType.Samples, 0, 0, 0)]);
  buf.reset();
  const vs = new Float64Array([5, 6]);
  encodeSamples(buf, Uint32Array.of(7, 7), Float64Array.of(5, 6), new Uint32Array(vs.buffer), 2);
  w.log([buf.get().slice()]);
  const { got } = await drain(src);
  assert.deepEqual(got, ['m0@5', 'm0@6']);
  assert.equal(src.recordsSkipped, 1);
});
