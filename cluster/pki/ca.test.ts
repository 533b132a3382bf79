import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:https';
import { connect } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { caCertHash, caPaths, issueCert, loadOrCreateCa, PkiError } from './ca.js';
import { certStillGood, defaultSans, ensureServingCert } from './serving_cert.js';

test('the CA is created once with a 0600 key, reused on restart, and checked for consistency', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-ca-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const first = loadOrCreateCa(join(dir, 'pki'));
  assert.equal(first.created, true);
  const p = caPaths(join(dir, 'pki'));
  assert.equal(statSync(p.key).mode & 0o777, 0o600);
  const x = new X509Certificate(first.ca.certPem);
  assert.equal(x.ca, true);
  assert.equal(x.subject, 'CN=vigil-ca');
  const again = loadOrCreateCa(join(dir, 'pki'));
  assert.equal(again.created, false);
  assert.equal(again.ca.certPem, first.ca.certPem);
  // A key from another CA does not match the certificate.
  const other = loadOrCreateCa(join(dir, 'other')).ca;
  writeFileSync(p.key, other.keyPem);
  assert.throws(() => loadOrCreateCa(join(dir, 'pki')), (e: unknown) => e instanceof PkiError && e.message.includes('the key does not belong to'));
  unlinkSync(p.key);
  assert.throws(() => loadOrCreateCa(join(dir, 'pki')), /found ca\.crt without ca\.key/);
});

test('caCertHash is the SHA-256 of the DER SubjectPublicKeyInfo, as openssl computes it', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-ca-hash-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const { ca } = loadOrCreateCa(dir);
  const pub = execFileSync('openssl', ['x509', '-pubkey', '-noout', '-in', caPaths(dir).cert]);
  const der = execFileSync('openssl', ['pkey', '-pubin', '-outform', 'der'], { input: pub });
  const hex = execFileSync('openssl', ['dgst', '-sha256', '-hex'], { input: der }).toString().trim().split(/\s+/).pop();
  assert.equal(caCertHash(ca.certPem), `sha256:${hex}`);
  assert.match(caCertHash(ca.certPem), /^sha256:[0-9a-f]{64}$/);
});

test('a serving certificate verifies against the CA for every SAN over a real TLS handshake and is renewed near expiry', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-serving-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const { ca } = loadOrCreateCa(dir);
  const sans = defaultSans(['vigil.example', '10.1.2.3']);
  const now = Date.parse('2026-11-27T00:00:00Z');
  const s1 = ensureServingCert(dir, ca, { sans, now });
  assert.equal(s1.issued, true);
  assert.equal(statSync(join(dir, 'apiserver.key')).mode & 0o777, 0o600);
  const x = new X509Certificate(s1.pair.certPem);
  for (const s of ['IP Address:127.0.0.1', 'DNS:localhost', 'DNS:vigil.example', 'IP Address:10.1.2.3']) assert.ok(x.subjectAltName?.includes(s), `${s} in ${x.subjectAltName}`);
  assert.ok(x.checkIssued(new X509Certificate(ca.certPem)));
  // Reused while good; renewed within 30 days of expiry, when a SAN is missing, or for another CA.
  assert.equal(ensureServingCert(dir, ca, { sans, now: now + 86_400_000 }).issued, false);
  assert.equal(certStillGood(s1.pair.certPem, ca, sans, Date.parse(x.validTo) - 10 * 86_400_000), false);
  assert.equal(certStillGood(s1.pair.certPem, ca, [...sans, 'new.example'], now), false);
  assert.equal(certStillGood(s1.pair.certPem, loadOrCreateCa(join(dir, 'other')).ca, sans, now), false);
  const renewed = ensureServingCert(dir, ca, { sans, now: Date.parse(x.validTo) - 86_400_000 });
  assert.equal(renewed.issued, true);
  assert.notEqual(renewed.pair.certPem, s1.pair.certPem);
  assert.equal(readFileSync(join(dir, 'apiserver.crt'), 'utf8'), renewed.pair.certPem);

  // A real handshake: trusted with the CA for 127.0.0.1 and localhost; refused without it.
  const srv = createServer({ key: s1.pair.keyPem, cert: s1.pair.certPem }, (_req, res) => res.end('ok'));
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  t.after(() => srv.close());
  const port = (srv.address() as { port: number }).port;
  const handshake = (servername: string | undefined, trust: string | undefined) =>
    new Promise<string>((resolve) => {
      const s = connect({ host: '127.0.0.1', port, ...(servername ? { servername } : {}), ...(trust ? { ca: trust } : {}) }, () => {
        resolve(s.authorized ? 'ok' : String(s.authorizationError));
        s.destroy();
      });
      s.on('error', (e) => resolve(e.message));
    });
  assert.equal(await handshake(undefined, ca.certPem), 'ok');
  assert.equal(await handshake('localhost', ca.certPem), 'ok');
  assert.match(await handshake('localhost', undefined), /self[- ]signed|unable to (get|verify)/);
  assert.match(await handshake('elsewhere.example', ca.certPem), /does not match|not in the cert/i);
});

test('client certificates carry the client usage and organisations', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-client-'));
  try {
    const { ca } = loadOrCreateCa(dir);
    const c = issueCert(ca, { commonName: 'vigil-apiserver-client', organizations: ['system:masters'], usages: ['client'] });
    const x = new X509Certificate(c.certPem);
    assert.equal(x.subject, 'CN=vigil-apiserver-client\nO=system:masters');
    assert.ok(x.keyUsage?.includes('1.3.6.1.5.5.7.3.2'), 'clientAuth');
    assert.ok(!x.keyUsage?.includes('1.3.6.1.5.5.7.3.1'), 'not serverAuth');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
