import assert from 'node:assert/strict';
import net, { type AddressInfo } from 'node:net';
import { after, describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { BodyError } from './parser/body_reader.js';
import { RawHttpConnection, RawHttpError } from './raw_http.js';

/** A TCP server answering each request head (up to the empty line) with what `respond` writes. */
interface Scripted {
  port: number;
  connections: number;
  closed: number;
  requests: string[];
  close(): Promise<void>;
}

async function scripted(respond: (sock: net.Socket, request: string, n: number) => void): Promise<Scripted> {
  const st: Scripted = { port: 0, connections: 0, closed: 0, requests: [], close: async () => {} };
  const sockets = new Set<net.Socket>();
  const server = net.createServer((sock) => {
    st.connections++;
    sockets.add(sock);
    sock.on('close', () => {
      st.closed++;
      sockets.delete(sock);
    });
    sock.on('error', () => {});
    let pending = '';
    sock.on('data', (c) => {
      pending += c.toString('latin1');
      for (let i = pending.indexOf('\r\n\r\n'); i >= 0; i = pending.indexOf('\r\n\r\n')) {
        const req = pending.slice(0, i + 4);
        pending = pending.slice(i + 4);
        st.requests.push(req);
        respond(sock, req, st.requests.length);
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  st.port = (server.address() as AddressInfo).port;
  st.close = () =>
    new Promise<void>((r) => {
      for (const s of sockets) s.destroy();
      server.close(() => r());
    });
  return st;
}

const HEAD = 'GET /metrics HTTP/1.1\r\nHost: x\r\nAccept: text/plain\r\n\r\n';
const never = new AbortController().signal;
const text = (b: Uint8Array) => Buffer.from(b).toString('latin1');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Writes `parts` one TCP write at a time, a few ms apart, so the client sees them split. */
async function dribble(sock: net.Socket, parts: (string | Buffer)[]): Promise<void> {
  for (const p of parts) {
    sock.write(p);
    await sleep(5);
  }
}

describe('RawHttpConnection', () => {
  const servers: Scripted[] = [];
  const conns: RawHttpConnection[] = [];
  after(async () => {
    for (const c of conns) c.close();
    for (const s of servers) await s.close();
  });
  const setup = async (respond: Parameters<typeof scripted>[0]) => {
    const s = await scripted(respond);
    servers.push(s);
    const c = new RawHttpConnection('127.0.0.1', s.port);
    conns.push(c);
    return { s, c };
  };

  test('Content-Length responses over one kept-alive connection, the request head sent as given', async () => {
    const { s, c } = await setup((sock, _req, n) => {
      const body = `metric_${n} ${n}\n`.repeat(n * 2000);
      sock.write(`HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
    });
    for (let n = 1; n <= 3; n++) {
      const r = await c.request(HEAD, never, 0);
      assert.equal(r.status, 200);
      assert.equal(r.statusText, '200 OK');
      assert.equal(r.contentType, 'text/plain; version=0.0.4');
      assert.equal(text(r.body), `metric_${n} ${n}\n`.repeat(n * 2000));
    }
    assert.equal(s.connections, 1);
    assert.deepEqual(s.requests, [HEAD, HEAD, HEAD]);
  });

  test('chunked bodies split at every awkward place, with extensions and trailers', async () => {
    const { c } = await setup((sock) => {
      void dribble(sock, ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n', '\r\n5', ';ext=1\r\nhel', 'lo\r', '\n6\r\n world\r\n0\r\nX-Trailer: 1\r', '\n\r\n']);
    });
    const r = await c.request(HEAD, never, 0);
    assert.equal(text(r.body), 'hello world');
    // The connection stays usable after a chunked response.
    const r2 = await c.request(HEAD, never, 0);
    assert.equal(text(r2.body), 'hello world');
  });

  test('a body delimited by the end of the connection; the next request connects anew', async () => {
    const { s, c } = await setup((sock) => {
      void dribble(sock, ['HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nup 1\n', 'down 0\n']).then(() => sock.end());
    });
    assert.equal(text((await c.request(HEAD, never, 0)).body), 'up 1\ndown 0\n');
    assert.equal(text((await c.request(HEAD, never, 0)).body), 'up 1\ndown 0\n');
    assert.equal(s.connections, 2);
  });

  test('gzip bodies are decompressed; the size limit applies after decompression', async () => {
    const plain = 'x_total 1\n'.repeat(5000);
    const gz = gzipSync(plain);
    const { c } = await setup((sock) => {
      sock.write(Buffer.concat([Buffer.from(`HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: ${gz.length}\r\n\r\n`), gz]));
    });
    assert.equal(text((await c.request(HEAD, never, 0)).body), plain);
    await assert.rejects(c.request(HEAD, never, 10_000), (e) => e instanceof BodyError && e.code === 'body_too_large');
  });

  test('body_size_limit: an announced length at the limit fails at once, a chunked body when it reaches it', async () => {
    const { c } = await setup((sock, _req, n) => {
      if (n === 1) sock.write('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n');
      else sock.write(`HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n40\r\n${'a'.repeat(64)}\r\n40\r\n${'b'.repeat(64)}\r\n0\r\n\r\n`);
    });
    await assert.rejects(c.request(HEAD, never, 100), (e) => e instanceof BodyError && e.code === 'body_too_large');
    await assert.rejects(c.request(HEAD, never, 100), (e) => e instanceof BodyError && e.code === 'body_too_large');
    assert.equal(text((await c.request(HEAD, never, 129)).body), 'a'.repeat(64) + 'b'.repeat(64));
  });

  test('a kept-alive connection the server closed while idle is retried once, transparently', async () => {
    const { s, c } = await setup((sock) => {
      sock.write('HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nok\n');
      // The server closes idle connections right away, as a short keep-alive timeout would.
      setTimeout(() => sock.destroy(), 20);
    });
    assert.equal(text((await c.request(HEAD, never, 0)).body), 'ok\n');
    await sleep(60);
    assert.equal(text((await c.request(HEAD, never, 0)).body), 'ok\n');
    assert.equal(s.connections, 2);
  });

  test('the connection ending inside the body is an unexpected EOF; before any byte, a request error', async () => {
    const { c } = await setup((sock, _req, n) => {
      if (n === 1) sock.end('HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\npartial');
      else sock.end();
    });
    await assert.rejects(c.request(HEAD, never, 0), (e) => e instanceof RawHttpError && e.kind === 'eof' && e.message === 'unexpected EOF');
    await assert.rejects(c.request(HEAD, never, 0), (e) => e instanceof RawHttpError && e.kind === 'request' && e.message === 'EOF');
  });

  test('garbage and oversized heads are protocol errors naming what was wrong', async () => {
    const { c } = await setup((sock, _req, n) => {
      if (n === 1) sock.write('hello there\r\n\r\n');
      else sock.write(`HTTP/1.1 200 OK\r\nX-Big: ${'a'.repeat(70 * 1024)}`);
    });
    await assert.rejects(c.request(HEAD, never, 0), (e) => e instanceof RawHttpError && e.kind === 'protocol' && e.message === 'malformed HTTP response "hello there"');
    await assert.rejects(c.request(HEAD, never, 0), (e) => e instanceof RawHttpError && e.kind === 'protocol' && /head exceeds 65536 bytes/.test(e.message));
  });

  test('an interim 100 response is skipped; 204 needs no length', async () => {
    const { c } = await setup((sock, _req, n) => {
      if (n === 1) void dribble(sock, ['HTTP/1.1 100 Continue\r\n\r\n', 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi']);
      else sock.write('HTTP/1.1 204 No Content\r\n\r\n');
    });
    assert.equal(text((await c.request(HEAD, never, 0)).body), 'hi');
    const r = await c.request(HEAD, never, 0);
    assert.equal(r.status, 204);
    assert.equal(r.body.length, 0);
  });

  test('aborting a request that gets no answer rejects at once and closes the connection', async () => {
    const { s, c } = await setup(() => {});
    const ac = new AbortController();
    const p = c.request(HEAD, ac.signal, 0);
    await sleep(30);
    const t0 = Date.now();
    ac.abort();
    await assert.rejects(p, (e) => e instanceof RawHttpError && e.message === 'aborted');
    assert.ok(Date.now() - t0 < 100);
    await sleep(30);
    assert.equal(s.closed, 1);
  });

  test('a refused connection names the address', async () => {
    const s = await scripted(() => {});
    const port = s.port;
    await s.close();
    const c = new RawHttpConnection('127.0.0.1', port);
    await assert.rejects(c.request(HEAD, never, 0), (e) => e instanceof RawHttpError && e.kind === 'request' && e.message.includes(`ECONNREFUSED 127.0.0.1:${port}`));
  });

  test('status and reason phrase as sent; a body larger than the first buffer grows it', async () => {
    const big = 'y'.repeat(300 * 1024);
    const { c } = await setup((sock, _req, n) => {
      if (n === 1) sock.write('HTTP/1.1 503 Service Unavailable\r\nContent-Length: 4\r\n\r\nbusy');
      else void dribble(sock, [`HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n${(150 * 1024).toString(16)}\r\n${big.slice(0, 150 * 1024)}\r\n`, `${(150 * 1024).toString(16)}\r\n${big.slice(150 * 1024)}\r\n0\r\n\r\n`]);
    });
    const r = await c.request(HEAD, never, 0);
    assert.equal(r.statusText, '503 Service Unavailable');
    assert.equal(text((await c.request(HEAD, never, 0)).body), big);
  });
});
