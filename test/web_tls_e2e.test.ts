/**
 * End to end, differential: the built `vigil server` and Prometheus 2.42 (`/usr/bin/prometheus`)
 * run side by side with the SAME `--web.config.file`; the same requests (node:https, a fresh
 * connection each) must get the same outcome (HTTP status, or a failed connection) from both:
 * basic auth accepted/rejected, TLS required (plain HTTP answered 400), every client-certificate
 * policy, certificate rotation without restart. Then Vigil's own additions (scopes, tokens),
 * hot-reloaded into the running server.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { TLSSocket } from 'node:tls';
import { fileURLToPath } from 'node:url';
import bcrypt from 'bcryptjs';
import { issueCert, makeTestPki, type TestPki } from '../cmd/_test_certs.js';

const ROOT = process.env.VIGIL_REPO_ROOT ?? fileURLToPath(new URL('../..', import.meta.url));
const VIGIL = join(ROOT, 'dist', 'cmd', 'vigil.js');
const PROMETHEUS = '/usr/bin/prometheus';

type After = { after(fn: () => Promise<void> | void): void };

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

interface Proc {
  readonly name: string;
  readonly port: number;
  readonly logs: () => string;
}

async function launch(t: After, name: string, cmd: string[], port: number, cwd: string): Promise<Proc> {
  const child: ChildProcess = spawn(cmd[0]!, cmd.slice(1), { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr?.on('data', (b: Buffer) => (out += b.toString()));
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return { name, port, logs: () => out };
}

interface Client {
  auth?: string;
  cert?: string;
  key?: string;
  method?: string;
  path?: string;
}

/** Outcome of one request on a new connection: the status, or 'error' when TLS/connection failed. */
type Outcome = { status: number | 'error'; wwwAuth: string; serial: string };

function tlsRequest(pki: TestPki, port: number, c: Client): Promise<Outcome> {
  return new Promise((resolve) => {
    const req = httpsRequest(
      {
        host: '127.0.0.1',
        port,
        path: c.path ?? '/-/healthy',
        method: c.method ?? 'GET',
        ca: readFileSync(pki.caCert),
        ...(c.cert !== undefined ? { cert: readFileSync(c.cert), key: readFileSync(c.key ?? '') } : {}),
        agent: false,
        headers: c.auth === undefined ? {} : { authorization: c.auth },
        timeout: 5000,
      },
      (res) => {
        const serial = (res.socket as TLSSocket).getPeerCertificate().serialNumber ?? '';
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, wwwAuth: String(res.headers['www-authenticate'] ?? ''), serial }));
        res.on('error', () => resolve({ status: 'error', wwwAuth: '', serial: '' }));
      },
    );
    req.on('error', () => resolve({ status: 'error', wwwAuth: '', serial: '' }));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

function plainRequest(port: number): Promise<number | 'error'> {
  return new Promise((resolve) => {
    const req = httpRequest({ host: '127.0.0.1', port, path: '/-/healthy', agent: false, timeout: 5000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', () => resolve('error'));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

function basic(user: string, pass: string): string {
  return `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
}

async function until(what: string, p: Proc, check: () => Promise<boolean>, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail(`${p.name}: timed out waiting for ${what}; logs:\n${p.logs().slice(-3000)}`);
}

test('web config over TLS: Vigil answers as Prometheus 2.42 does for the same file', { timeout: 120_000 }, async (t) => {
  assert.ok(existsSync(PROMETHEUS), `${PROMETHEUS} is missing: install the Debian package "prometheus"`);
  const dir = mkdtempSync(join(tmpdir(), 'vigil-webtls-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const pki = makeTestPki(dir);
  const hash = bcrypt.hashSync('s3cret', 4);
  const web = join(dir, 'web.yml');
  const tlsBase = `tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n`;
  const users = `basic_auth_users:\n  alice: ${hash}\n`;
  writeFileSync(web, tlsBase + users);
  writeFileSync(join(dir, 'prometheus.yml'), 'global:\n  scrape_interval: 15s\n');

  const [vp, pp] = [await freePort(), await freePort()];
  const common = ['--config.file=prometheus.yml', '--web.config.file=web.yml', '--web.enable-lifecycle'];
  const vigil = await launch(t, 'vigil', [process.execPath, VIGIL, 'server', ...common, `--web.listen-address=127.0.0.1:${vp}`, '--storage.tsdb.path=vdata'], vp, dir);
  const prom = await launch(t, 'prometheus', [PROMETHEUS, ...common, `--web.listen-address=127.0.0.1:${pp}`, '--storage.tsdb.path=pdata'], pp, dir);
  const alice = basic('alice', 's3cret');
  for (const p of [vigil, prom]) {
    await until('/-/ready over TLS', p, async () => (await tlsRequest(pki, p.port, { auth: alice, path: '/-/ready' })).status === 200);
  }

  const both = async (what: string, c: Client): Promise<Outcome> => {
    const [v, p] = [await tlsRequest(pki, vigil.port, c), await tlsRequest(pki, prom.port, c)];
    assert.equal(v.status, p.status, `${what}: vigil ${v.status}, prometheus ${p.status}`);
    assert.equal(v.wwwAuth, p.wwwAuth, `${what}: WWW-Authenticate`);
    return v;
  };

  // Basic auth over TLS.
  assert.equal((await both('valid user', { auth: alice })).status, 200);
  assert.equal((await both('wrong password', { auth: basic('alice', 'nope') })).status, 401);
  assert.equal((await both('unknown user', { auth: basic('mallory', 's3cret') })).wwwAuth, 'Basic');
  assert.equal((await both('no credentials', {})).status, 401);
  assert.equal((await both('no credentials on /metrics', { path: '/metrics' })).status, 401);
  assert.equal((await both('reload by a valid user', { auth: alice, method: 'POST', path: '/-/reload' })).status, 200);
  // TLS required: plain HTTP on the TLS port.
  const [vPlain, pPlain] = [await plainRequest(vigil.port), await plainRequest(prom.port)];
  assert.equal(vPlain, pPlain, 'plain HTTP to the TLS port');
  assert.equal(vPlain, 400);

  // Client certificate policies, switched by rewriting the file (both re-read it per handshake).
  const client = { cert: pki.clientCert, key: pki.clientKey };
  const stranger = { cert: pki.strangerCert, key: pki.strangerKey };
  const policy = (type: string) => writeFileSync(web, `${tlsBase}  client_auth_type: ${type}\n  client_ca_file: ca.crt\n${users}`);
  for (const [type, none, good, bad] of [
    ['RequireAndVerifyClientCert', 'error', 200, 'error'],
    ['RequireAnyClientCert', 'error', 200, 200],
    ['VerifyClientCertIfGiven', 200, 200, 'error'],
    ['RequestClientCert', 200, 200, 200],
  ] as const) {
    policy(type);
    assert.equal((await both(`${type}: no client certificate`, { auth: alice })).status, none, type);
    assert.equal((await both(`${type}: CA-signed client certificate`, { auth: alice, ...client })).status, good, type);
    assert.equal((await both(`${type}: self-signed stranger`, { auth: alice, ...stranger })).status, bad, type);
    assert.equal((await both(`${type}: CA-signed certificate, no password`, client)).status, 401, type);
  }

  // Certificate rotation without restart: the next handshake presents the new certificate.
  writeFileSync(web, tlsBase + users);
  const before = await both('before rotation', { auth: alice });
  const fresh = issueCert(pki, 'server2', 'localhost', 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  copyFileSync(fresh.key, join(dir, 'server.key.new'));
  copyFileSync(fresh.cert, join(dir, 'server.crt.new'));
  writeFileSync(web, `tls_server_config:\n  cert_file: server.crt.new\n  key_file: server.key.new\n${users}`);
  const after = await both('after rotation', { auth: alice });
  assert.notEqual(after.serial, before.serial, 'vigil serves the rotated certificate');
  assert.equal((await tlsRequest(pki, prom.port, { auth: alice })).serial, after.serial, 'prometheus serves the same rotated certificate');

  // Vigil's additions (Prometheus would reject these keys): scopes and bearer tokens, hot-reloaded.
  const token = 'grafana-read-token-0123456789';
  writeFileSync(
    web,
    `${tlsBase}${users}  bob: ${hash}\nbasic_auth_scopes:\n  bob: read\nbearer_tokens:\n  - token_sha256: ${createHash('sha256').update(token).digest('hex')}\n    scope: read\n`,
  );
  const bob = basic('bob', 's3cret');
  assert.equal((await tlsRequest(pki, vigil.port, { auth: bob, path: '/api/v1/status/config' })).status, 200);
  assert.equal((await tlsRequest(pki, vigil.port, { auth: bob, method: 'POST', path: '/-/reload' })).status, 403);
  assert.equal((await tlsRequest(pki, vigil.port, { auth: `Bearer ${token}` })).status, 200);
  assert.equal((await tlsRequest(pki, vigil.port, { auth: `Bearer ${token}`, method: 'POST', path: '/-/quit' })).status, 403);
  assert.equal((await tlsRequest(pki, vigil.port, { auth: `Bearer ${token}x` })).status, 401);
  assert.equal((await tlsRequest(pki, vigil.port, { auth: alice, method: 'POST', path: '/-/reload' })).status, 200);
});
