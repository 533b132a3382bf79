/**
 * `--web.config.file`: Prometheus's exporter-toolkit web configuration (TLS, HTTP
 * headers, basic auth with bcrypt hashes) plus Vigil's additions (bearer tokens and
 * read/admin scopes), parsed and validated into a `WebConfig`.
 *
 * Same file, same meaning as Prometheus (exporter-toolkit `docs/web-configuration.md`):
 * - `tls_server_config`: TLS is on when any of cert_file, key_file, client_auth_type,
 *   client_ca_file is set; then cert_file and key_file are required and must load.
 *   Relative paths are relative to the web config file's directory.
 * - `http_server_config.headers`: only the five security headers may be set;
 *   X-Content-Type-Options must be `nosniff`, X-Frame-Options `deny` or `sameorigin`.
 * - `basic_auth_users`: `user: <bcrypt hash>`; when any user or token exists, every
 *   request needs credentials.
 * Vigil only (Prometheus rejects these keys, so a file using them is Vigil's own):
 * - `basic_auth_scopes: {user: read|admin}`: users not listed get `admin`, as in
 *   Prometheus where any valid user may do everything the flags allow.
 * - `bearer_tokens: [{token_file | token_sha256, scope}]` (`Authorization: Bearer …`).
 *
 * Errors are `ConfigError`s located at `FILE:LINE:COL` with the field's path.
 */
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { createSecureContext } from 'node:tls';
import bcrypt from 'bcryptjs';
import { ConfigDoc, ConfigError, joinDir, type MapReader } from '../tsdb/config_reader.js';

/** What a credential may do: `read` everything but lifecycle/admin/write endpoints; `admin` everything. */
export type AuthScope = 'read' | 'admin';
export const AUTH_SCOPES: readonly AuthScope[] = ['read', 'admin'];

/** Go's `tls.ClientAuthType` names (plus the legacy alias `RequireClientCert` = `RequireAnyClientCert`). */
export type ClientAuthType =
  | 'NoClientCert'
  | 'RequestClientCert'
  | 'RequireAnyClientCert'
  | 'VerifyClientCertIfGiven'
  | 'RequireAndVerifyClientCert';

const CLIENT_AUTH_TYPES: readonly string[] = [
  'NoClientCert',
  'RequestClientCert',
  'RequireAnyClientCert',
  'VerifyClientCertIfGiven',
  'RequireAndVerifyClientCert',
];

/** Node's names of TLS versions. */
export type TlsVersion = 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3';
const TLS_VERSIONS: Readonly<Record<string, TlsVersion>> = { TLS10: 'TLSv1', TLS11: 'TLSv1.1', TLS12: 'TLSv1.2', TLS13: 'TLSv1.3' };
const VERSION_ORDER: readonly TlsVersion[] = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'];

/**
 * Go cipher suite names (crypto/tls) → OpenSSL names. TLS 1.3 suites are accepted and,
 * as in Go, not configurable (they stay enabled).
 */
const CIPHERS: Readonly<Record<string, string | null>> = {
  TLS_RSA_WITH_AES_128_CBC_SHA: 'AES128-SHA',
  TLS_RSA_WITH_AES_256_CBC_SHA: 'AES256-SHA',
  TLS_RSA_WITH_AES_128_GCM_SHA256: 'AES128-GCM-SHA256',
  TLS_RSA_WITH_AES_256_GCM_SHA384: 'AES256-GCM-SHA384',
  TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA: 'ECDHE-ECDSA-AES128-SHA',
  TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA: 'ECDHE-ECDSA-AES256-SHA',
  TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA: 'ECDHE-RSA-AES128-SHA',
  TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA: 'ECDHE-RSA-AES256-SHA',
  TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256: 'ECDHE-ECDSA-AES128-GCM-SHA256',
  TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384: 'ECDHE-ECDSA-AES256-GCM-SHA384',
  TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256: 'ECDHE-RSA-AES128-GCM-SHA256',
  TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384: 'ECDHE-RSA-AES256-GCM-SHA384',
  TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256: 'ECDHE-RSA-CHACHA20-POLY1305',
  TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256: 'ECDHE-ECDSA-CHACHA20-POLY1305',
  TLS_AES_128_GCM_SHA256: null,
  TLS_AES_256_GCM_SHA384: null,
  TLS_CHACHA20_POLY1305_SHA256: null,
};
const TLS13_SUITES = 'TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256';

/** Go curve names → OpenSSL group names. */
const CURVES: Readonly<Record<string, string>> = { CurveP256: 'P-256', CurveP384: 'P-384', CurveP521: 'P-521', X25519: 'X25519' };

/** Response headers a web config may set, with their allowed values (empty = any). */
const HEADERS: Readonly<Record<string, readonly string[]>> = {
  'Strict-Transport-Security': [],
  'X-Content-Type-Options': ['nosniff'],
  'X-Frame-Options': ['deny', 'sameorigin'],
  'X-XSS-Protection': [],
  'Content-Security-Policy': [],
};

/** Bearer tokens from `token_file` shorter than this are refused (guessable). */
export const MIN_TOKEN_LENGTH = 16;
/** Web config, token and certificate files larger than this are refused. */
const MAX_FILE_BYTES = 1 << 20;

/** `tls_server_config`, resolved: absolute paths and Node option values. */
export interface TlsServerConfig {
  readonly certFile: string;
  readonly keyFile: string;
  readonly clientAuthType: ClientAuthType;
  /** '' when not set. */
  readonly clientCaFile: string;
  readonly minVersion: TlsVersion;
  readonly maxVersion: TlsVersion;
  /** OpenSSL cipher list for TLS ≤ 1.2 followed by the TLS 1.3 suites; '' = Node's default. */
  readonly ciphers: string;
  /** OpenSSL group list (`P-256:X25519`); '' = Node's default. */
  readonly ecdhCurve: string;
  readonly honorCipherOrder: boolean;
}

/** One configured bearer token; only its SHA-256 is kept. */
export interface BearerToken {
  readonly sha256: Buffer;
  readonly scope: AuthScope;
  /** Where it came from, for logs: the token file or `token_sha256[i]`. */
  readonly source: string;
}

/** One basic-auth user. */
export interface BasicAuthUser {
  readonly hash: string;
  readonly scope: AuthScope;
}

/** A validated web configuration. */
export interface WebConfig {
  /** The file it was read from. */
  readonly file: string;
  /** null: plain HTTP. */
  readonly tls: TlsServerConfig | null;
  /** `http_server_config.http2` (accepted; Vigil serves HTTP/1.1). */
  readonly http2: boolean;
  /** Headers added to every response. */
  readonly headers: Readonly<Record<string, string>>;
  readonly users: ReadonlyMap<string, BasicAuthUser>;
  readonly tokens: readonly BearerToken[];
  /** Every file the configuration depends on (itself, certificates, token files), for change detection. */
  readonly files: readonly string[];
  /** Fields accepted but not implemented (`rate_limit`), located. */
  readonly warnings: readonly string[];
}

/** Whether requests must carry credentials. */
export function authRequired(cfg: WebConfig): boolean {
  return cfg.users.size > 0 || cfg.tokens.length > 0;
}

const BCRYPT_HASH = /^\$2[abxy]?\$\d\d\$[./A-Za-z0-9]{53}$/;

/** Reads and validates `file` (also loading the certificates, as Prometheus does at start). Throws `ConfigError`. */
export async function loadWebConfig(file: string): Promise<WebConfig> {
  let text: string;
  try {
    const buf = await readFile(file);
    if (buf.byteLength > MAX_FILE_BYTES) throw new Error(`file is larger than ${MAX_FILE_BYTES} bytes`);
    text = buf.toString('utf8');
  } catch (e) {
    throw new ConfigError('read_failed', { file, line: 0, column: 0, fieldPath: '' }, `cannot read web config: ${errText(e)}`);
  }
  return parseWebConfig(text, file);
}

/**
 * Parses web config `text` (`file` names it in errors and anchors relative paths).
 * Reads the files it refers to (certificates, token files) synchronously.
 */
export function parseWebConfig(text: string, file: string): WebConfig {
  const doc = ConfigDoc.parse(text, file);
  const root = doc.root();
  root.fields(['tls_server_config', 'http_server_config', 'basic_auth_users', 'basic_auth_scopes', 'bearer_tokens'], ['rate_limit']);
  const dir = dirname(file);
  const files = [file];

  const tlsR = root.map('tls_server_config');
  const tls = tlsR === null ? null : parseTls(tlsR, dir);
  if (tls !== null) files.push(...[tls.certFile, tls.keyFile, tls.clientCaFile].filter((f) => f !== ''));

  let http2 = true;
  let headers: Record<string, string> = {};
  const httpR = root.map('http_server_config');
  if (httpR !== null) {
    httpR.fields(['http2', 'headers']);
    http2 = httpR.bool('http2', true);
    headers = httpR.strMap('headers');
    const hm = httpR.map('headers');
    for (const [k, v] of Object.entries(headers)) {
      const allowed = HEADERS[k];
      if (allowed === undefined) {
        throw hm!.errorAt(k, 'bad_value', `HTTP header ${JSON.stringify(k)} can not be configured; allowed: ${Object.keys(HEADERS).join(', ')}`);
      }
      if (allowed.length > 0 && !allowed.includes(v)) {
        throw hm!.valueError(k, 'bad_value', `expected one of ${allowed.join(', ')}, received ${JSON.stringify(v)}`);
      }
      if (/[\r\n]/.test(v)) throw hm!.valueError(k, 'bad_value', 'header values cannot contain line breaks');
    }
    headers = Object.fromEntries(Object.entries(headers).filter(([, v]) => v !== '')); // "Unset if blank"
  }

  const scopes = new Map<string, AuthScope>();
  const scopeR = root.map('basic_auth_scopes');
  if (scopeR !== null) {
    for (const [u, s] of Object.entries(root.strMap('basic_auth_scopes'))) scopes.set(u, checkScope(scopeR, u, s));
  }
  const users = new Map<string, BasicAuthUser>();
  const usersR = root.map('basic_auth_users');
  if (usersR !== null) {
    for (const [u, hash] of Object.entries(root.strMap('basic_auth_users'))) {
      if (!BCRYPT_HASH.test(hash) || !Number.isFinite(bcrypt.getRounds(hash))) {
        throw usersR.valueError(u, 'bad_value', `expected a bcrypt hash such as $2y$10$…(53 characters), received a value of ${hash.length} characters`);
      }
      users.set(u, { hash, scope: scopes.get(u) ?? 'admin' });
    }
  }
  for (const u of scopes.keys()) {
    if (!users.has(u)) throw scopeR!.errorAt(u, 'invalid', `user ${JSON.stringify(u)} has a scope but is not in basic_auth_users`);
  }

  const tokens: BearerToken[] = [];
  root.mapList('bearer_tokens', 'bearer token').forEach((t, i) => {
    t.fields(['token_file', 'token_sha256', 'scope']);
    const scope = t.has('scope') ? checkScope(t, 'scope', t.str('scope')) : null;
    if (scope === null) throw t.error('missing_field', 'scope is required (read or admin)');
    const tf = t.str('token_file');
    const th = t.str('token_sha256');
    if ((tf === '') === (th === '')) throw t.error('invalid', 'exactly one of token_file and token_sha256 must be set');
    if (tf !== '') {
      const path = joinDir(dir, tf);
      const token = readSmallFile(t, 'token_file', path).toString('utf8').trim();
      if (token.length < MIN_TOKEN_LENGTH) {
        throw t.valueError('token_file', 'bad_value', `the token in ${path} is ${token.length} characters long; at least ${MIN_TOKEN_LENGTH} are required`);
      }
      files.push(path);
      tokens.push({ sha256: sha256(token), scope, source: path });
    } else {
      if (!/^[0-9a-fA-F]{64}$/.test(th)) throw t.valueError('token_sha256', 'bad_value', 'expected 64 hexadecimal digits (the SHA-256 of the token)');
      tokens.push({ sha256: Buffer.from(th, 'hex'), scope, source: `bearer_tokens[${i}].token_sha256` });
    }
  });

  return { file, tls, http2, headers, users, tokens, files, warnings: doc.warnings.map((w) => w.message) };
}

function parseTls(r: MapReader, dir: string): TlsServerConfig | null {
  r.fields(
    [
      'cert_file',
      'key_file',
      'client_auth_type',
      'client_ca_file',
      'min_version',
      'max_version',
      'cipher_suites',
      'curve_preferences',
      'prefer_server_cipher_suites',
      'cert',
      'key',
      'client_ca',
      'client_allowed_sans',
    ],
  );
  // Ignoring these would silently weaken security (no TLS, or no SAN allow-list): refuse them.
  for (const k of ['cert', 'key', 'client_ca', 'client_allowed_sans']) {
    if (r.keys().includes(k)) {
      const hint = k === 'client_allowed_sans' ? '' : ` (use ${k}_file)`;
      throw r.errorAt(k, 'bad_value', `is not supported by Vigil yet${hint}`, true);
    }
  }
  const certFile = joinDir(dir, r.str('cert_file'));
  const keyFile = joinDir(dir, r.str('key_file'));
  const authText = r.str('client_auth_type');
  const clientCaFile = joinDir(dir, r.str('client_ca_file'));
  const version = (key: string, def: TlsVersion): TlsVersion => {
    if (!r.has(key)) return def;
    const v = TLS_VERSIONS[r.str(key)];
    if (v === undefined) throw r.valueError(key, 'bad_value', `expected one of ${Object.keys(TLS_VERSIONS).join(', ')}, received ${JSON.stringify(r.str(key))}`);
    return v;
  };
  const minVersion = version('min_version', 'TLSv1.2');
  const maxVersion = version('max_version', 'TLSv1.3');
  const suites = r.strList('cipher_suites');
  const ciphers: string[] = [];
  suites.forEach((s, i) => {
    const c = CIPHERS[s];
    if (c === undefined) throw new ConfigError('bad_value', r.itemLoc('cipher_suites', i), `unknown cipher: ${s}`);
    if (c !== null) ciphers.push(c);
  });
  const curves = r.strList('curve_preferences').map((s, i) => {
    const c = CURVES[s];
    if (c === undefined) throw new ConfigError('bad_value', r.itemLoc('curve_preferences', i), `unknown curve: ${s}; expected one of ${Object.keys(CURVES).join(', ')}`);
    return c;
  });
  const honorCipherOrder = r.bool('prefer_server_cipher_suites', true);

  if (certFile === '' && keyFile === '' && authText === '' && clientCaFile === '') return null;
  if (certFile === '') throw r.error('missing_field', 'missing cert_file');
  if (keyFile === '') throw r.error('missing_field', 'missing key_file');
  let clientAuthType: ClientAuthType = 'NoClientCert';
  if (authText === 'RequireClientCert') clientAuthType = 'RequireAnyClientCert';
  else if (authText !== '') {
    if (!CLIENT_AUTH_TYPES.includes(authText)) {
      throw r.valueError('client_auth_type', 'bad_value', `invalid ClientAuth: expected one of ${CLIENT_AUTH_TYPES.join(', ')}, received ${JSON.stringify(authText)}`);
    }
    clientAuthType = authText as ClientAuthType;
  }
  if (clientCaFile !== '' && clientAuthType === 'NoClientCert') {
    throw r.errorAt('client_ca_file', 'invalid', "client CA's have been configured without a client auth policy (client_auth_type)");
  }
  if (VERSION_ORDER.indexOf(minVersion) > VERSION_ORDER.indexOf(maxVersion)) throw r.errorAt('min_version', 'invalid', 'min_version is above max_version');
  const cfg: TlsServerConfig = {
    certFile,
    keyFile,
    clientAuthType,
    clientCaFile,
    minVersion,
    maxVersion,
    ciphers: ciphers.length > 0 ? `${ciphers.join(':')}:${TLS13_SUITES}` : '',
    ecdhCurve: curves.join(':'),
    honorCipherOrder,
  };
  // Like Prometheus at start-up: the certificate, key and CA must load now.
  const cert = readSmallFile(r, 'cert_file', certFile);
  const key = readSmallFile(r, 'key_file', keyFile);
  const ca = clientCaFile === '' ? undefined : readSmallFile(r, 'client_ca_file', clientCaFile);
  try {
    createSecureContext(secureContextOptions(cfg, { cert, key, ca }));
  } catch (e) {
    throw r.error('bad_value', `failed to load the X509 key pair or TLS settings: ${errText(e)}`);
  }
  return cfg;
}

/** The PEM material of a TLS config. */
export interface TlsMaterial {
  readonly cert: Buffer;
  readonly key: Buffer;
  readonly ca: Buffer | undefined;
}

/** Reads the certificate, key and CA files of `tls` now. */
export function readTlsMaterial(tls: TlsServerConfig): TlsMaterial {
  return {
    cert: readFileSync(tls.certFile),
    key: readFileSync(tls.keyFile),
    ca: tls.clientCaFile === '' ? undefined : readFileSync(tls.clientCaFile),
  };
}

/** Options for `tls.createSecureContext` / `Server.setSecureContext`. */
export function secureContextOptions(tls: TlsServerConfig, m: TlsMaterial) {
  return {
    cert: m.cert,
    key: m.key,
    ...(m.ca !== undefined ? { ca: m.ca } : {}),
    minVersion: tls.minVersion,
    maxVersion: tls.maxVersion,
    ...(tls.ciphers !== '' ? { ciphers: tls.ciphers } : {}),
    ...(tls.ecdhCurve !== '' ? { ecdhCurve: tls.ecdhCurve } : {}),
    honorCipherOrder: tls.honorCipherOrder,
  };
}

/** SHA-256 of a UTF-8 string. */
export function sha256(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest();
}

function checkScope(r: MapReader, key: string, s: string): AuthScope {
  if (s === 'read' || s === 'admin') return s;
  throw r.valueError(key, 'bad_value', `expected a scope (read or admin), received ${JSON.stringify(s)}`);
}

function readSmallFile(r: MapReader, key: string, path: string): Buffer {
  try {
    const st = statSync(path);
    if (!st.isFile()) throw new Error('not a regular file');
    if (st.size > MAX_FILE_BYTES) throw new Error(`larger than ${MAX_FILE_BYTES} bytes`);
    return readFileSync(path);
  } catch (e) {
    throw r.valueError(key, 'read_failed', `cannot read ${path}: ${errText(e)}`);
  }
}

function errText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
