/**
 * End-to-end over real HTTP: hostile remote write bodies sent to a running Vigil are
 * refused with 400 (413 above the body limit) and never make it allocate what they claim.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Labels } from '../tsdb/labels.js';
import { encodeWriteRequestSeries } from '../tsdb/remote/codec.js';
import { snappyEncode } from '../tsdb/remote/snappy.js';
import { MAX_WRITE_BODY_BYTES } from '../tsdb/remote/write_handler.js';
import { startVigil, tempDir } from './remote_peers.js';

describe('remote write receiver under hostile bodies', () => {
  test('truncated snappy, gigabyte declared lengths, malformed protobuf and oversized bodies are refused cheaply', async (t) => {
    const dir = tempDir(t, 'vigil-rw-bad-');
    const { server } = await startVigil(t, dir, 'global:\n  scrape_interval: 1m\n', ['--web.enable-remote-write-receiver']);
    const post = (body: Uint8Array) =>
      fetch(`${server.url}/api/v1/write`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-protobuf', 'content-encoding': 'snappy', 'x-prometheus-remote-write-version': '0.1.0' },
        body,
      });
    const good = snappyEncode(
      encodeWriteRequestSeries([{ labels: Labels.fromStrings('__name__', 'up', 'job', 'x'), ts: Float64Array.of(Date.now()), vs: Float64Array.of(1) }]),
    );
    const rssBefore = process.memoryUsage().rss;
    const cases: [string, Uint8Array, number, RegExp][] = [
      ['truncated snappy', good.subarray(0, good.length - 3), 400, /snappy: invalid block/],
      ['4 GiB declared', Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0x0f, 0x00, 0x00), 400, /declares 4294967295 uncompressed bytes/],
      ['1 GiB declared, 64 KiB of literals', Uint8Array.of(0x80, 0x80, 0x80, 0x80, 0x04, ...new Uint8Array(65536)), 400, /more than the limit/],
      ['malformed protobuf', snappyEncode(Uint8Array.of(0x0a, 0x7f, 0x0a)), 400, /^WriteRequest: .*unexpected end of input/],
      ['wrong wire type', snappyEncode(Uint8Array.of(0x0f, 0x01)), 400, /WriteRequest: /],
      ['over the body limit', new Uint8Array(MAX_WRITE_BODY_BYTES + 1), 413, /./],
    ];
    for (const [what, body, status, want] of cases) {
      const res = await post(body);
      assert.equal(res.status, status, what);
      assert.match(await res.text(), want, what);
    }
    assert.equal((await post(good)).status, 204, 'the receiver still works');
    assert.ok(process.memoryUsage().rss - rssBefore < 256 * 1024 * 1024, 'no memory blow-up');
  });
});
