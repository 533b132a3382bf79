import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import Fastify from 'fastify';
import { openClusterApi } from '../api/api_server.js';
import { runCtl } from './ctl_command.js';

async function ctl(words: string[], env: Record<string, string>): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCtl(words, { log: (s) => out.push(s), err: (s) => err.push(s) }, { env });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

test('--token is sent as a bearer token over HTTPS verified with --certificate-authority; the config file can hold both', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-ctl-tls-'));
  const key = join(dir, 'key.pem');
  const cert = join(dir, 'cert.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
  const api = await openClusterApi(`sqlite://${join(dir, 'c.db')}`, {
    store: { sqlite: { pollIntervalMs: 0, leaseSweepIntervalMs: 0 } },
    compactIntervalMs: 0,
    quotaResyncMs: 0,
    authenticate: (req) => (req.headers.authorization === 'Bearer s3cret' ? { name: 'alice', groups: [] } : null),
  });
  const app = Fastify({ https: { key: readFileSync(key), cert: readFileSync(cert) } });
  await api.register(app);
  await app.listen({ host: '127.0.0.1', port: 0 });
  t.after(async () => {
    await app.close();
    await api.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const a = app.server.address();
  const url = `https://127.0.0.1:${typeof a === 'object' && a !== null ? a.port : 0}`;
  const env = { VIGIL_CONFIG: join(dir, 'config') };

  const untrusted = await ctl(['get', 'ns', `--server=${url}`, '--token=s3cret'], env);
  assert.equal(untrusted.code, 1);
  assert.match(untrusted.err, /cannot reach the server 127\.0\.0\.1:[0-9]+: self[- ]signed certificate/);

  const noToken = await ctl(['get', 'ns', `--server=${url}`, `--certificate-authority=${cert}`], env);
  assert.deepEqual(noToken, { code: 1, out: '', err: 'error: You must be logged in to the server (Unauthorized)' });

  const ok = await ctl(['get', 'ns', 'default', '-o', 'name', `--server=${url}`, `--certificate-authority=${cert}`, '--token=s3cret'], env);
  assert.deepEqual(ok, { code: 0, out: 'namespace/default', err: '' });

  assert.equal((await ctl(['config', 'set-context', `--server=${url}`, `--certificate-authority=${cert}`, '--token=s3cret'], env)).code, 0);
  const fromFile = await ctl(['get', 'ns', 'kube-system', '-o', 'name'], env);
  assert.deepEqual(fromFile, { code: 0, out: 'namespace/kube-system', err: '' });
});
