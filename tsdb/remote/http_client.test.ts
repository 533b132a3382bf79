import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { defaultTlsConfig, type HttpClientConfig } from '../../scrape/http_client_config.js';
import { HttpEndpoint, retryAfterMs } from './http_client.js';
import { RemoteError } from './remote_error.js';
import { WriteClient } from './write_client.js';

type After = { after(fn: () => Promise<void> | void): void };

function client(over: Partial<HttpClientConfig> = {}): HttpClientConfig {
  return { basicAuth: null, authorization: null, tlsConfig: defaultTlsConfig(), followRedirects: true, enableHttp2: false, ...over };
}

async function listen(t: After, handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
  const srv = createServer(handler);
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  t.after(() => new Promise<void>((r) => srv.close(() => r())));
  const a = srv.address();
  return `http://127.0.0.1:${typeof a === 'object' && a !== null ? a.port : 0}/w`;
}

test('headers, basic_auth and authorization (credentials re-read from file on every request) are sent', async (t) => {
  const seen: Record<string, string | undefined>[] = [];
  const url = await listen(t, (req, res) => {
    seen.push({ auth: req.headers.authorization, tenant: String(req.headers['x-scope-orgid']), ua: req.headers['user-agent'], v: String(req.headers['x-prometheus-remote-write-version']) });
    req.resume();
    req.on('end', () => res.writeHead(204).end());
  });
  const basic = new WriteClient({ url, timeoutMs: 1000, headers: { 'X-Scope-OrgID': 'team-a' }, httpClientConfig: client({ basicAuth: { username: 'u', usernameFile: '', password: 'p', passwordFile: '' } }) }, false);
  await basic.store(new Uint8Array(1), 0);
  basic.close();
  assert.deepEqual(seen[0], { auth: `Basic ${Buffer.from('u:p').toString('base64')}`, tenant: 'team-a', ua: seen[0]!.ua, v: '0.1.0' });
  assert.match(seen[0]!.ua!, /^Vigil\//);

  const dir = mkdtempSync(join(tmpdir(), 'vigil-http-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'token');
  writeFileSync(file, 'one\n');
  const bearer = new WriteClient({ url, timeoutMs: 1000, headers: {}, httpClientConfig: client({ authorization: { type: 'Bearer', credentials: '', credentialsFile: file } }) }, false);
  await bearer.store(new Uint8Array(1), 0);
  writeFileSync(file, 'two\n');
  await bearer.store(new Uint8Array(1), 1);
  bearer.close();
  assert.deepEqual([seen[1]!.auth, seen[2]!.auth], ['Bearer one', 'Bearer two']);
});

test('statuses are classified by the retry contract; timeouts are retryable', async (t) => {
  let status = 500;
  const url = await listen(t, (req, res) => {
    req.resume();
    req.on('end', () => {
      if (status === 0) return; // never answer
      res.writeHead(status, status === 429 ? { 'retry-after': '7' } : {}).end('why\nmore');
    });
  });
  const c = new WriteClient({ url, timeoutMs: 300, headers: {}, httpClientConfig: client() }, true);
  t.after(() => c.close());
  const outcome = async () => {
    try {
      await c.store(new Uint8Array(1), 0);
      return 'ok';
    } catch (e) {
      assert.ok(e instanceof RemoteError);
      return `${e.status}:${e.retryable}:${e.retryAfterMs}:${e.message}`;
    }
  };
  assert.equal(await outcome(), '500:true:0:server returned HTTP status 500: why');
  status = 429;
  assert.equal(await outcome(), '429:true:7000:server returned HTTP status 429: why');
  status = 404;
  assert.equal(await outcome(), '404:false:0:server returned HTTP status 404: why');
  status = 0;
  assert.match(await outcome(), /^0:true:0:request to .* timed out after 300ms$/);
  assert.equal(retryAfterMs('Wed, 21 Oct 2015 07:28:10 GMT', Date.parse('Wed, 21 Oct 2015 07:28:00 GMT')), 10_000);
});

test('tls_config: a self-signed server is refused without its CA and accepted with ca_file', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-tls-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const key = join(dir, 'key.pem');
  const cert = join(dir, 'cert.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=vigil-test', '-addext', 'subjectAltName=IP:127.0.0.1'], {
    stdio: 'ignore',
  });
  const srv = createTlsServer({ key: readFileSync(key), cert: readFileSync(cert) }, (req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(204).end());
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  t.after(() => new Promise<void>((r) => srv.close(() => r())));
  const a = srv.address();
  const url = `https://127.0.0.1:${typeof a === 'object' && a !== null ? a.port : 0}/w`;
  const untrusted = new HttpEndpoint({ url, timeoutMs: 2000, headers: {}, httpClientConfig: client() });
  await assert.rejects(untrusted.post(new Uint8Array(1), {}, 1024), (e: unknown) => e instanceof RemoteError && e.code === 'http_transport' && /certificate/.test(e.message));
  untrusted.close();
  const trusted = new HttpEndpoint({ url, timeoutMs: 2000, headers: {}, httpClientConfig: client({ tlsConfig: { ...defaultTlsConfig(), caFile: cert } }) });
  assert.equal((await trusted.post(new Uint8Array(1), {}, 1024)).status, 204);
  trusted.close();
  const skip = new HttpEndpoint({ url, timeoutMs: 2000, headers: {}, httpClientConfig: client({ tlsConfig: { ...defaultTlsConfig(), insecureSkipVerify: true } }) });
  assert.equal((await skip.post(new Uint8Array(1), {}, 1024)).status, 204);
  skip.close();
});
