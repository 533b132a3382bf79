import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import pbFull from 'protobufjs';
import { Labels } from '../labels.js';
import { MatchType } from '../matcher.js';
import { STALE_NAN, isStaleNaN } from '../storage.js';
import { ListSeriesSet } from '../series_set.js';
import { ArraySeries } from '../memory_storage.js';
import { decodeWriteRequest, encodeLabels, encodeWriteRequest, encodeWriteRequestSeries } from './codec.js';
import { ProtoWriter } from './proto_writer.js';
import { decodeReadRequest, decodeReadResponse, encodeReadRequest, writeQueryResult } from './read_codec.js';
import { RemoteError } from './remote_error.js';
import { snappyDecode, snappyEncode } from './snappy.js';

// The real schema, parsed by full protobufjs: an oracle independent of the hand-written codec.
const root = pbFull.parse(readFileSync(new URL('../../../tsdb/remote/testdata/remote.proto', import.meta.url), 'utf8')).root;
const WriteRequest = root.lookupType('prometheus.WriteRequest');
const ReadRequest = root.lookupType('prometheus.ReadRequest');
const ReadResponse = root.lookupType('prometheus.ReadResponse');

const lbl = (...nv: string[]) => Labels.fromStrings(...nv);

test('decodeWriteRequest reads what the reference encoder wrote, including negative and large timestamps', () => {
  const msg = WriteRequest.create({
    timeseries: [
      {
        labels: [{ name: 'job', value: 'api' }, { name: '__name__', value: 'up' }],
        samples: [{ value: 1, timestamp: 1_700_000_000_123 }, { value: -2.5, timestamp: -1000 }],
      },
      { labels: [{ name: '__name__', value: 'x' }, { name: 'ü', value: 'wert ✓' }], samples: [{ value: 3, timestamp: 0 }], exemplars: [{ value: 1, timestamp: 5 }] },
    ],
    metadata: [{ type: 1, metricFamilyName: 'up', help: 'Up.', unit: 's' }],
  });
  const d = decodeWriteRequest(WriteRequest.encode(msg).finish());
  assert.equal(d.series.length, 2);
  assert.equal(d.series[0]!.labels!.toString(), '{__name__="up", job="api"}');
  assert.equal(d.series[1]!.labels!.toString(), '{__name__="x", "ü"="wert ✓"}');
  assert.deepEqual([...d.ts.subarray(0, d.samples)], [1_700_000_000_123, -1000, 0]);
  assert.deepEqual([...d.vs.subarray(0, d.samples)], [1, -2.5, 3]);
  assert.deepEqual([d.series[0]!.start, d.series[0]!.end, d.series[1]!.start, d.series[1]!.end], [0, 2, 2, 3]);
  assert.equal(d.exemplars, 1);
  assert.deepEqual(d.metadata, [{ type: 'counter', familyName: 'up', help: 'Up.', unit: 's' }]);
});

test('encodeWriteRequest output decodes with the reference decoder; the staleness marker keeps its bits', () => {
  const a = lbl('__name__', 'm', 'i', '1');
  const b = lbl('__name__', 'm', 'i', '2');
  const la = encodeLabels(a);
  const lb = encodeLabels(b);
  const ts = Float64Array.of(1000, 2000, 4_102_444_800_000);
  const vs = Float64Array.of(1.5, STALE_NAN, -0);
  const bytes = encodeWriteRequest(new ProtoWriter(16), 3, [la, lb, la], ts, vs, [{ type: 'gauge', familyName: 'm', help: 'h', unit: '' }]);
  const ref = WriteRequest.toObject(WriteRequest.decode(bytes), { longs: Number }) as {
    timeseries: { labels: { name: string; value: string }[]; samples: { value: number; timestamp: number }[] }[];
    metadata: { type: number; metricFamilyName: string }[];
  };
  assert.equal(ref.timeseries.length, 3);
  assert.deepEqual(ref.timeseries[2]!.labels, [{ name: '__name__', value: 'm' }, { name: 'i', value: '1' }]);
  assert.equal(ref.timeseries[2]!.samples[0]!.timestamp, 4_102_444_800_000);
  assert.equal(ref.metadata[0]!.type, 2);
  const d = decodeWriteRequest(bytes);
  assert.ok(isStaleNaN(d.vs[1]!));
  assert.ok(Object.is(d.vs[2], -0));
  assert.equal(d.series[1]!.labels, decodeWriteRequest(bytes).series[1]!.labels, 'label sets are cached by their bytes');
});

test('random round trips through encodeWriteRequestSeries and decodeWriteRequest', () => {
  let seed = 42;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  for (let round = 0; round < 20; round++) {
    const series = [];
    for (let s = 0; s < 1 + Math.floor(rnd() * 10); s++) {
      const n = Math.floor(rnd() * 50);
      const ts = new Float64Array(n);
      const vs = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        ts[i] = Math.floor((rnd() - 0.3) * 2 ** 50);
        vs[i] = (rnd() - 0.5) * 10 ** Math.floor(rnd() * 600 - 300);
      }
      series.push({ labels: lbl('__name__', `m${round}`, 's', String(s), 'v', 'x'.repeat(Math.floor(rnd() * 300))), ts, vs });
    }
    const d = decodeWriteRequest(encodeWriteRequestSeries(series));
    assert.equal(d.series.length, series.length);
    series.forEach((s, i) => {
      const got = d.series[i]!;
      assert.ok(got.labels!.equals(s.labels));
      assert.deepEqual([...d.ts.subarray(got.start, got.end)], [...s.ts]);
      assert.deepEqual([...d.vs.subarray(got.start, got.end)], [...s.vs]);
    });
  }
});

test('invalid label sets are reported per series, not thrown', () => {
  const msg = WriteRequest.create({
    timeseries: [
      { labels: [{ name: 'job', value: 'x' }], samples: [{ value: 1, timestamp: 1 }] },
      { labels: [{ name: '__name__', value: 'a' }, { name: '__name__', value: 'b' }], samples: [{ value: 1, timestamp: 1 }] },
      { labels: [{ name: '__name__', value: 'a' }, { name: '', value: 'b' }], samples: [{ value: 1, timestamp: 1 }] },
      { samples: [{ value: 1, timestamp: 1 }] },
    ],
  });
  const d = decodeWriteRequest(WriteRequest.encode(msg).finish());
  assert.deepEqual(
    d.series.map((s) => s.invalid),
    ['the metric name label __name__ is missing or empty', 'duplicate label name "__name__"', 'a label has an empty name', 'the series has no labels'],
  );
});

test('malformed protobuf is a typed error naming the message and offset', () => {
  const good = WriteRequest.encode(WriteRequest.create({ timeseries: [{ labels: [{ name: '__name__', value: 'up' }], samples: [{ value: 1, timestamp: 5 }] }] })).finish();
  for (const bad of [good.subarray(0, good.length - 3), Uint8Array.of(0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f), Uint8Array.of(0x0b), Uint8Array.of(0, 0, 0)]) {
    assert.throws(() => decodeWriteRequest(bad), (e: unknown) => e instanceof RemoteError && e.code === 'protobuf_malformed' && /^WriteRequest: /.test(e.message));
  }
  // Unknown fields of known wire types are skipped.
  const withUnknown = Uint8Array.of(...good, 0x10, 0x05, 0x2a, 0x01, 0x00);
  assert.equal(decodeWriteRequest(withUnknown).samples, 1);
});

test('snappy round trip; declared length over the limit is refused before allocation', () => {
  const data = new TextEncoder().encode('abc'.repeat(10_000));
  const c = snappyEncode(data);
  assert.deepEqual(Buffer.from(snappyDecode(c, 1 << 20)), Buffer.from(data));
  // 0xffffffff declared, 5 bytes of body.
  const huge = Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0x0f, 0x00);
  const before = process.memoryUsage().arrayBuffers;
  assert.throws(() => snappyDecode(huge, 1 << 20), (e: unknown) => e instanceof RemoteError && e.code === 'snappy_too_large' && /declares 4294967295/.test(e.message));
  assert.ok(process.memoryUsage().arrayBuffers - before < 1 << 20);
  assert.throws(() => snappyDecode(c, 1000), (e: unknown) => e instanceof RemoteError && e.code === 'snappy_too_large');
});

test('truncated or corrupt snappy blocks are typed errors', () => {
  const c = snappyEncode(new TextEncoder().encode('hello hello hello hello hello world'.repeat(50)));
  for (const cut of [1, 2, 5, c.length - 1, c.length - 4]) {
    assert.throws(() => snappyDecode(c.subarray(0, cut), 1 << 20), (e: unknown) => e instanceof RemoteError && e.code === 'snappy_corrupt', `cut at ${cut}`);
  }
  assert.throws(() => snappyDecode(new Uint8Array(0), 10), (e: unknown) => e instanceof RemoteError && e.code === 'snappy_corrupt');
  // A copy pointing before the start of the output.
  assert.throws(() => snappyDecode(Uint8Array.of(4, 0x01 | (0 << 2), 0x05), 10), /copy offset 5/);
  // Framed-format stream identifier is not a block.
  assert.throws(() => snappyDecode(Uint8Array.of(0xff, 0x06, 0x00, 0x00, 0x73, 0x4e, 0x61, 0x50, 0x70, 0x59), 1 << 20), RemoteError);
});

test('read requests round trip with the reference codec, packed response types included', () => {
  const w = new ProtoWriter();
  const bytes = encodeReadRequest(w, [
    {
      startMs: 1000,
      endMs: 2000,
      matchers: [{ type: MatchType.Equal, name: '__name__', value: 'up' }, { type: MatchType.NotRegexp, name: 'job', value: 'a|b' }],
      hints: { stepMs: 15_000, func: 'rate', startMs: 900, endMs: 2000, grouping: ['job'], by: true, rangeMs: 60_000 },
    },
  ]);
  const ref = ReadRequest.toObject(ReadRequest.decode(bytes), { longs: Number }) as { queries: { matchers: { type?: number }[] }[]; acceptedResponseTypes: number[] };
  assert.equal(ref.queries[0]!.matchers[1]!.type, 3);
  assert.deepEqual(ref.acceptedResponseTypes, [0]);
  const d = decodeReadRequest(bytes);
  assert.deepEqual(d.queries[0], {
    startMs: 1000,
    endMs: 2000,
    matchers: [{ type: MatchType.Equal, name: '__name__', value: 'up' }, { type: MatchType.NotRegexp, name: 'job', value: 'a|b' }],
    hints: { stepMs: 15_000, func: 'rate', startMs: 900, endMs: 2000, grouping: ['job'], by: true, rangeMs: 60_000 },
  });
  const unpacked = ReadRequest.encode(ReadRequest.create({ queries: [{ startTimestampMs: 5 }], acceptedResponseTypes: [1, 0] })).finish();
  assert.deepEqual(decodeReadRequest(unpacked).acceptedResponseTypes, [1, 0]);
});

test('read responses: writeQueryResult merges extra labels, decodes with both decoders, enforces limits', () => {
  const mk = () =>
    new ListSeriesSet([
      new ArraySeries(lbl('__name__', 'up', 'job', 'a'), Float64Array.of(1, 2), Float64Array.of(1, STALE_NAN)),
      new ArraySeries(lbl('__name__', 'up', 'job', 'b', 'site', 'own'), Float64Array.of(3), Float64Array.of(7)),
    ]);
  const w = new ProtoWriter(8);
  writeQueryResult(w, mk(), lbl('site', 'x'), { maxSamples: 0, maxBytes: 0 }, 0);
  const bytes = w.finish();
  const ref = ReadResponse.toObject(ReadResponse.decode(bytes), { longs: Number }) as { results: { timeseries: { labels: { name: string; value: string }[] }[] }[] };
  assert.deepEqual(ref.results[0]!.timeseries[0]!.labels.map((l) => `${l.name}=${l.value}`), ['__name__=up', 'job=a', 'site=x']);
  const d = decodeReadResponse(bytes);
  assert.deepEqual(d[0]!.labels.map(String), ['{__name__="up", job="a", site="x"}', '{__name__="up", job="b", site="own"}']);
  assert.deepEqual(d[0]!.starts, [0, 2, 3]);
  assert.ok(isStaleNaN(d[0]!.vs[1]!));
  assert.throws(() => writeQueryResult(new ProtoWriter(), mk(), Labels.EMPTY, { maxSamples: 2, maxBytes: 0 }, 0), /exceeded sample limit \(2\)/);
  assert.throws(() => writeQueryResult(new ProtoWriter(), mk(), Labels.EMPTY, { maxSamples: 0, maxBytes: 10 }, 0), (e: unknown) => e instanceof RemoteError && e.code === 'body_too_large');
});

test('snappy: a stream the decoder library refuses is still a typed snappy_corrupt error (found by the fuzzer)', () => {
  // Declares 2 bytes, then a 2-byte literal written with the long length form, ending the input.
  assert.throws(
    () => snappyDecode(Uint8Array.from([2, 240, 1, 0, 0]), 1 << 20),
    (e: unknown) => e instanceof RemoteError && e.code === 'snappy_corrupt' && /Invalid Snappy bitstream/.test(e.message),
  );
});
