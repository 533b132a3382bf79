import assert from 'node:assert/strict';
import { get, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { BodyError, gunzipBounded, readBody } from './body_reader.js';
import { Entry } from './parser.js';
import { TextParser } from './text_parser.js';

/** A 10-million-line exposition, generated lazily in 64 KiB chunks. */
function* tenMillionLines(): Generator<Uint8Array> {
  const line = 'metric_with_a_longish_name{label="value"} 1\n';
  const perChunk = Math.floor(65536 / line.length);
  const chunk = Buffer.from(line.repeat(perChunk));
  for (let n = 0; n < 10_000_000; n += perChunk) yield chunk;
}

describe('readBody', () => {
  test('identity bodies below the limit are returned whole', async () => {
    const got = await readBody([Buffer.from('a 1\n'), Buffer.from('b 2\n')], { limit: 100 });
    assert.equal(Buffer.from(got).toString(), 'a 1\nb 2\n');
  });

  test('a body of limit bytes or more fails, as in Prometheus', async () => {
    await assert.rejects(readBody([Buffer.alloc(100, 0x61)], { limit: 100 }), (e: unknown) => e instanceof BodyError && e.code === 'body_too_large');
    assert.equal((await readBody([Buffer.alloc(99, 0x61)], { limit: 100 })).byteLength, 99);
    assert.equal((await readBody([Buffer.alloc(1000, 0x61)], { limit: 0 })).byteLength, 1000, '0 means unlimited');
  });

  test('gzip bodies are decompressed and parse', async () => {
    const text = 'a{b="c"} 1\nd 2\n';
    const got = await readBody([gzipSync(text)], { contentEncoding: 'gzip', limit: 1000 });
    const p = new TextParser(got);
    assert.equal(p.next(), Entry.Series);
    assert.equal(p.labels().get('b'), 'c');
  });

  test('a 10M-line body beyond the limit fails early without reading it all', async () => {
    let pulled = 0;
    const src = Readable.from(
      (function* () {
        for (const c of tenMillionLines()) {
          pulled += c.byteLength;
          yield c;
        }
      })(),
    );
    await assert.rejects(readBody(src, { limit: 1 << 20 }), /body size limit exceeded/);
    assert.ok(pulled < 4 << 20, `read ${pulled} bytes for a 1 MiB limit`);
    assert.ok(src.destroyed, 'the source is destroyed');
  });

  test('a gzip bomb stops decompressing at the limit', async () => {
    // 100 gzip members of 100k lines each: a valid 10M-line (440 MB) gzip body, cheap to build.
    const member = gzipSync('metric_with_a_longish_name{label="value"} 1\n'.repeat(100_000));
    const bomb = Buffer.concat(Array.from({ length: 100 }, () => member));
    assert.ok(bomb.byteLength < 2 << 20, 'the compressed body is small');
    const t0 = process.hrtime.bigint();
    await assert.rejects(gunzipBounded(bomb, 1 << 20), (e: unknown) => e instanceof BodyError && e.code === 'body_too_large' && /after decompression/.test(e.message));
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    assert.ok(ms < 2000, `took ${ms} ms`);
  });

  test('corrupt gzip and unknown encodings are errors', async () => {
    await assert.rejects(readBody([Buffer.from('not gzip at all')], { contentEncoding: 'gzip' }), (e: unknown) => e instanceof BodyError && e.code === 'invalid_gzip');
    const gz = gzipSync('a 1\n'.repeat(1000));
    await assert.rejects(readBody([gz.subarray(0, gz.byteLength - 10)], { contentEncoding: 'gzip' }), (e: unknown) => e instanceof BodyError && e.code === 'invalid_gzip');
    await assert.rejects(readBody([Buffer.from('x')], { contentEncoding: 'br' }), (e: unknown) => e instanceof BodyError && e.code === 'unsupported_encoding');
  });

  test('an abort signal stops a body that never ends', async () => {
    const src = new Readable({ read() {} });
    src.push(Buffer.from('a 1\n'));
    const ac = new AbortController();
    const p = readBody(src, { signal: ac.signal });
    setImmediate(() => ac.abort());
    await assert.rejects(p, (e: unknown) => e instanceof Error && e.name === 'AbortError');
    assert.ok(src.destroyed);
  });

  test('reads a gzip-encoded HTTP response', async (t) => {
    const text = 'http_requests_total{code="200"} 1027\n'.repeat(1000);
    const server = createServer((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4', 'Content-Encoding': 'gzip' }).end(gzipSync(text));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    t.after(() => server.close());
    const { port } = server.address() as AddressInfo;
    const res = await new Promise<import('node:http').IncomingMessage>((resolve, reject) => get(`http://127.0.0.1:${port}/metrics`, resolve).on('error', reject));
    const body = await readBody(res, { contentEncoding: res.headers['content-encoding'], limit: 1 << 20 });
    assert.equal(Buffer.from(body).toString(), text);
  });
});
