import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { MemoryStorage } from '../tsdb/memory_storage.js';
import { scrapeConfigs } from './_test_support.js';
import { ScrapeLoop } from './scrape_loop.js';
import { targetsFromGroup } from './target.js';

test('scrapes over TLS with ca_file, insecure_skip_verify and server_name', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-tls-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const key = join(dir, 'key.pem');
  const cert = join(dir, 'cert.pem');
  // A real self-signed certificate for 127.0.0.1 and the name "metrics.test".
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=metrics.test', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:metrics.test'], {
    stdio: 'ignore',
  });
  const server = https.createServer({ key: readFileSync(key), cert: readFileSync(cert) }, (_req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4' });
    res.end('secure_metric 1\n');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => {
    server.closeAllConnections();
    server.close();
  });
  const addr = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  const scrape = async (tls: string): Promise<ScrapeLoop> => {
    const cfg = scrapeConfigs(`scrape_configs:\n  - job_name: tls\n    scheme: https\n${tls}`, dir)[0]!;
    const target = targetsFromGroup({ targets: [{ __address__: addr }], labels: {}, source: '0' }, cfg).active[0]!;
    const loop = new ScrapeLoop(target, cfg, new MemoryStorage());
    await loop.scrapeAndReport(1000);
    return loop;
  };
  const withCa = await scrape('    tls_config: {ca_file: cert.pem}\n');
  assert.equal(withCa.lastError, '');
  assert.equal(withCa.health, 'up');
  const noCa = await scrape('');
  assert.equal(noCa.health, 'down');
  assert.match(noCa.lastError, new RegExp(`^Get "https://${addr}/metrics": self[- ]signed certificate`));
  const skip = await scrape('    tls_config: {insecure_skip_verify: true}\n');
  assert.equal(skip.health, 'up');
  const name = await scrape('    tls_config: {ca_file: cert.pem, server_name: metrics.test}\n');
  assert.equal(name.health, 'up', name.lastError);
  const wrongName = await scrape('    tls_config: {ca_file: cert.pem, server_name: other.test}\n');
  assert.match(wrongName.lastError, /other\.test/);
});
