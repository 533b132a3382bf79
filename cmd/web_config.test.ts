import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import bcrypt from 'bcryptjs';
import { ConfigError } from '../tsdb/config_reader.js';
import { makeTestPki, type TestPki } from './_test_certs.js';
import { authRequired, loadWebConfig, parseWebConfig } from './web_config.js';

const dir = mkdtempSync(join(tmpdir(), 'vigil-webcfg-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
const pki: TestPki = makeTestPki(dir);
const HASH = bcrypt.hashSync('s3cret', 4);
const FILE = join(dir, 'web.yml');

function parse(text: string) {
  return parseWebConfig(text, FILE);
}

function rejects(text: string, code: string, where: RegExp): ConfigError {
  try {
    parse(text);
  } catch (e) {
    assert.ok(e instanceof ConfigError, String(e));
    assert.equal(e.code, code, e.message);
    assert.match(e.message, where);
    return e;
  }
  assert.fail(`accepted:\n${text}`);
}

describe('web config', () => {
  test('an empty file means plain HTTP and no authentication', () => {
    const c = parse('');
    assert.equal(c.tls, null);
    assert.equal(authRequired(c), false);
    assert.equal(c.http2, true);
  });

  test('a full TLS section maps Go names to Node/OpenSSL settings; relative paths follow the file', () => {
    const c = parse(`tls_server_config:
  cert_file: server.crt
  key_file: ${pki.serverKey}
  client_auth_type: RequireAndVerifyClientCert
  client_ca_file: ca.crt
  min_version: TLS13
  cipher_suites: [TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, TLS_AES_128_GCM_SHA256]
  curve_preferences: [X25519, CurveP256]
  prefer_server_cipher_suites: false
`);
    assert.ok(c.tls !== null);
    assert.equal(c.tls.certFile, pki.serverCert);
    assert.equal(c.tls.clientCaFile, pki.caCert);
    assert.equal(c.tls.clientAuthType, 'RequireAndVerifyClientCert');
    assert.equal(c.tls.minVersion, 'TLSv1.3');
    assert.equal(c.tls.maxVersion, 'TLSv1.3');
    assert.match(c.tls.ciphers, /^ECDHE-ECDSA-AES128-GCM-SHA256:TLS_AES/);
    assert.equal(c.tls.ecdhCurve, 'X25519:P-256');
    assert.equal(c.tls.honorCipherOrder, false);
    assert.deepEqual([...c.files], [FILE, pki.serverCert, pki.serverKey, pki.caCert]);
  });

  test('the legacy RequireClientCert is RequireAnyClientCert', () => {
    const c = parse(`tls_server_config: {cert_file: server.crt, key_file: server.key, client_auth_type: RequireClientCert}`);
    assert.equal(c.tls?.clientAuthType, 'RequireAnyClientCert');
  });

  test('users default to admin, basic_auth_scopes narrows them; tokens from a file or as SHA-256', () => {
    const tokenFile = join(dir, 'grafana.token');
    writeFileSync(tokenFile, 'grafana-token-0123456789abcdef\n');
    const sum = createHash('sha256').update('an-admin-token-0123456789').digest('hex');
    const c = parse(`basic_auth_users:
  alice: ${HASH}
  bob: ${HASH}
basic_auth_scopes:
  bob: read
bearer_tokens:
  - {token_file: grafana.token, scope: read}
  - {token_sha256: ${sum}, scope: admin}
http_server_config:
  http2: false
  headers:
    X-Frame-Options: deny
    X-Content-Type-Options: nosniff
    Content-Security-Policy: ""
`);
    assert.equal(c.users.get('alice')?.scope, 'admin');
    assert.equal(c.users.get('bob')?.scope, 'read');
    assert.equal(c.tokens.length, 2);
    assert.equal(c.tokens[0]?.scope, 'read');
    assert.equal(c.tokens[0]?.sha256.toString('hex'), createHash('sha256').update('grafana-token-0123456789abcdef').digest('hex'));
    assert.equal(c.tokens[1]?.sha256.toString('hex'), sum);
    assert.ok(c.files.includes(tokenFile));
    assert.deepEqual(c.headers, { 'X-Frame-Options': 'deny', 'X-Content-Type-Options': 'nosniff' }, 'blank headers are unset');
    assert.equal(c.http2, false);
    assert.equal(authRequired(c), true);
  });

  test('invalid files are ConfigErrors at file:line:column naming the field', () => {
    rejects('foo: 1\n', 'unknown_field', /web\.yml:1:1: foo: unknown field "foo"/);
    rejects(`basic_auth_users:\n  alice: notahash\n`, 'bad_value', /web\.yml:2:10: basic_auth_users\.alice: expected a bcrypt hash/);
    rejects(`tls_server_config:\n  cert_file: server.crt\n`, 'missing_field', /web\.yml:\d+:\d+: tls_server_config: missing key_file/);
    rejects(`tls_server_config:\n  key_file: server.key\n`, 'missing_field', /missing cert_file/);
    rejects(`tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  client_ca_file: ca.crt\n`, 'invalid', /web\.yml:4:3: tls_server_config\.client_ca_file: client CA's have been configured without a client auth policy/);
    rejects(`tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  client_auth_type: Maybe\n`, 'bad_value', /web\.yml:4:21: .*invalid ClientAuth/);
    rejects(`tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  min_version: TLS15\n`, 'bad_value', /web\.yml:4:16: tls_server_config\.min_version: expected one of TLS10/);
    rejects(`tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  cipher_suites: [TLS_RSA_WITH_RC4_128_SHA]\n`, 'bad_value', /web\.yml:4:19: tls_server_config\.cipher_suites\[0\]: unknown cipher/);
    rejects(`tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  curve_preferences: [CurveP224]\n`, 'bad_value', /unknown curve: CurveP224/);
    rejects(`tls_server_config:\n  cert_file: nope.crt\n  key_file: server.key\n`, 'read_failed', /web\.yml:2:14: tls_server_config\.cert_file: cannot read .*nope\.crt/);
    rejects(`tls_server_config:\n  cert_file: server.crt\n  key_file: client.key\n`, 'bad_value', /failed to load the X509 key pair/);
    rejects(`http_server_config:\n  headers:\n    Server: nginx\n`, 'bad_value', /web\.yml:3:5: .*HTTP header "Server" can not be configured/);
    rejects(`http_server_config:\n  headers:\n    X-Frame-Options: allow\n`, 'bad_value', /web\.yml:3:22: .*expected one of deny, sameorigin, received "allow"/);
    rejects(`basic_auth_users:\n  alice: ${HASH}\nbasic_auth_scopes:\n  carol: read\n`, 'invalid', /web\.yml:4:3: basic_auth_scopes\.carol: user "carol" has a scope/);
    rejects(`basic_auth_users:\n  alice: ${HASH}\nbasic_auth_scopes:\n  alice: root\n`, 'bad_value', /expected a scope \(read or admin\), received "root"/);
    writeFileSync(join(dir, 'short.token'), 'abc\n');
    rejects(`bearer_tokens:\n  - {token_file: short.token, scope: read}\n`, 'bad_value', /3 characters long; at least 16/);
    rejects(`bearer_tokens:\n  - {token_sha256: abcd, scope: read}\n`, 'bad_value', /64 hexadecimal digits/);
    rejects(`tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  client_allowed_sans: [a]\n`, 'bad_value', /web\.yml:4:3: tls_server_config\.client_allowed_sans is not supported by Vigil yet/);
    rejects(`tls_server_config:\n  cert: "-----BEGIN"\n`, 'bad_value', /tls_server_config\.cert is not supported by Vigil yet \(use cert_file\)/);
    rejects(`bearer_tokens:\n  - {scope: read}\n`, 'invalid', /exactly one of token_file and token_sha256/);
    rejects(`bearer_tokens:\n  - {token_sha256: ${'a'.repeat(64)}}\n`, 'missing_field', /web\.yml:2:5: bearer_tokens\[0\]: scope is required/);
  });

  test('rate_limit is accepted with a located warning (it only bounds load)', () => {
    const c = parse('rate_limit:\n  interval: 1s\n  burst: 5\n');
    assert.equal(c.warnings.length, 1);
    assert.match(c.warnings[0] ?? '', /web\.yml:1:1: rate_limit: is not implemented/);
  });

  test('loadWebConfig reports a missing file', async () => {
    await assert.rejects(loadWebConfig(join(dir, 'missing.yml')), (e: unknown) => e instanceof ConfigError && e.code === 'read_failed');
  });
});
