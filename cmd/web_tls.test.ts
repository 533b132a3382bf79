import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { connect as tlsConnect } from 'node:tls';
import { MemoryStorage } from '../tsdb/memory_storage.js';
import { makeTestPki, type TestPki } from './_test_certs.js';
import { parseServerFlags } from './flags.js';
import { StructuredLogger } from './logger.js';
import { type RunningServer, startServer } from './server.js';
import { clientAuthFlags } from './web_tls.js';

type After = { after(fn: () => Promise<void> | void): void };

const dir = mkdtempSync(join(tmpdir(), 'vigil-webtls-unit-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
const pki: TestPki = makeTestPki(dir);

async function start(t: After, web: string, ...extra: string[]): Promise<RunningServer & { webFile: string }> {
  const file = join(dir, `web-${Math.random().toString(36).slice(2)}.yml`);
  writeFileSync(file, web);
  writeFileSync(join(dir, 'prometheus.yml'), '');
  const flags = parseServerFlags([`--config.file=${join(dir, 'prometheus.yml')}`, `--web.config.file=${file}`, '--web.listen-address=127.0.0.1:0', ...extra]);
  const s = await startServer(flags, { logger: new StructuredLogger({ level: 'error', sink: { write: () => {} } }), openStorage: async () => new MemoryStorage() });
  t.after(() => s.close());
  return Object.assign(s, { webFile: file });
}

/** Writes `bytes` on a raw TCP connection; resolves with everything received until close. */
function raw(port: number, bytes: string | Buffer, ms = 5000): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = netConnect(port, '127.0.0.1');
    let data = '';
    const timer = setTimeout(() => reject(new Error(`still open after ${ms} ms`)), ms);
    s.on('data', (b: Buffer) => (data += b.toString('latin1')));
    s.on('error', () => {});
    s.on('close', () => {
      clearTimeout(timer);
      resolve(data);
    });
    s.write(bytes);
  });
}

const TLS = 'tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n';

describe('TLS listener', () => {
  test('client-auth policies map to Node flags', () => {
    assert.deepEqual(clientAuthFlags('NoClientCert'), { requestCert: false, rejectUnauthorized: false });
    assert.deepEqual(clientAuthFlags('RequireAndVerifyClientCert'), { requestCert: true, rejectUnauthorized: true });
    assert.deepEqual(clientAuthFlags('VerifyClientCertIfGiven'), { requestCert: true, rejectUnauthorized: false });
  });

  test('the server URL is https; plain HTTP gets Go\'s 400 answer; other bytes are just closed', async (t) => {
    const s = await start(t, TLS);
    assert.match(s.url, /^https:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(await raw(s.port, 'GET /-/healthy HTTP/1.1\r\nHost: x\r\n\r\n'), 'HTTP/1.0 400 Bad Request\r\n\r\nClient sent an HTTP request to an HTTPS server.\n');
    assert.equal(await raw(s.port, Buffer.from([0x00, 0x01, 0x02, 0x03])), '');
  });

  test('a TLS client that never finishes its headers is answered 408 and disconnected', async (t) => {
    const s = await start(t, TLS, '--web.read-timeout=1s');
    const started = Date.now();
    const answer = await new Promise<string>((resolve, reject) => {
      const sock = tlsConnect({ host: '127.0.0.1', port: s.port, ca: readFileSync(pki.caCert) });
      let data = '';
      const timer = setTimeout(() => reject(new Error('still open')), 6000);
      sock.on('secureConnect', () => sock.write('GET /-/healthy HTTP/1.1\r\nHost: x\r\n'));
      sock.on('data', (b: Buffer) => (data += b.toString()));
      sock.on('error', () => {});
      sock.on('close', () => {
        clearTimeout(timer);
        resolve(data);
      });
    });
    assert.match(answer, /^HTTP\/1\.1 408/);
    assert.ok(Date.now() - started < 4000);
  });

  test('an invalid web config on disk refuses new TLS connections until fixed', async (t) => {
    const s = await start(t, TLS);
    const handshake = () =>
      new Promise<boolean>((resolve) => {
        const sock = tlsConnect({ host: '127.0.0.1', port: s.port, ca: readFileSync(pki.caCert) }, () => {
          sock.destroy();
          resolve(true);
        });
        sock.on('error', () => resolve(false));
      });
    assert.equal(await handshake(), true);
    writeFileSync(s.webFile, `${TLS}  min_version: TLS99\n`);
    assert.equal(await handshake(), false);
    writeFileSync(s.webFile, TLS);
    assert.equal(await handshake(), true);
  });
});
