/**
 * The HTTP client settings Prometheus inlines into scrape configs, HTTP SD configs,
 * Alertmanager configs and remote read/write configs (`basic_auth`, `authorization`,
 * `tls_config`, `follow_redirects`, `enable_http2`, ...), with the validation rules of
 * Prometheus's `common/config.HTTPClientConfig`.
 *
 * Relative file paths (`password_file`, `credentials_file`, `ca_file`, ...) are resolved
 * against the directory of the configuration file, as Prometheus does.
 */
import { joinDir, type MapReader } from '../tsdb/config_reader.js';

/** `basic_auth`: at most one of `username`/`username_file`, and of `password`/`password_file`. */
export interface BasicAuth {
  username: string;
  usernameFile: string;
  /** A secret: never logged; shown as `<secret>` in the effective configuration. */
  password: string;
  passwordFile: string;
}

/** `authorization`: an `Authorization: <type> <credentials>` header (type defaults to `Bearer`). */
export interface Authorization {
  type: string;
  /** A secret. */
  credentials: string;
  credentialsFile: string;
}

/** `tls_config`. Certificates and keys are either inline PEM or file paths, never both. */
export interface TlsConfig {
  ca: string;
  caFile: string;
  cert: string;
  certFile: string;
  /** A secret. */
  key: string;
  keyFile: string;
  serverName: string;
  insecureSkipVerify: boolean;
  /** `TLS10` .. `TLS13`, or `''` for the default. */
  minVersion: string;
  maxVersion: string;
}

/** The inlined HTTP client configuration. */
export interface HttpClientConfig {
  basicAuth: BasicAuth | null;
  /** Also set from the legacy `bearer_token` / `bearer_token_file` fields. */
  authorization: Authorization | null;
  tlsConfig: TlsConfig;
  followRedirects: boolean;
  enableHttp2: boolean;
}

/** Field names of the inlined HTTP client configuration that Vigil implements. */
export const HTTP_CLIENT_FIELDS: readonly string[] = [
  'basic_auth',
  'authorization',
  'bearer_token',
  'bearer_token_file',
  'tls_config',
  'follow_redirects',
  'enable_http2',
];

/** Prometheus HTTP client fields that are accepted with a warning (not implemented yet). */
export const HTTP_CLIENT_UNIMPLEMENTED: readonly string[] = [
  'oauth2',
  'proxy_url',
  'no_proxy',
  'proxy_from_environment',
  'proxy_connect_header',
  'http_headers',
];

const TLS_VERSIONS = ['TLS10', 'TLS11', 'TLS12', 'TLS13'];

export { joinDir } from '../tsdb/config_reader.js';

/** An empty TLS configuration (system roots, no client certificate). */
export function defaultTlsConfig(): TlsConfig {
  return {
    ca: '',
    caFile: '',
    cert: '',
    certFile: '',
    key: '',
    keyFile: '',
    serverName: '',
    insecureSkipVerify: false,
    minVersion: '',
    maxVersion: '',
  };
}

/** Parses a `tls_config` mapping (also used outside HTTP client configs). */
export function parseTlsConfig(r: MapReader | null, dir: string): TlsConfig {
  const c = defaultTlsConfig();
  if (r === null) return c;
  r.fields(
    ['ca', 'ca_file', 'cert', 'cert_file', 'key', 'key_file', 'server_name', 'insecure_skip_verify', 'min_version', 'max_version'],
    ['ca_ref', 'cert_ref', 'key_ref'],
  );
  c.ca = r.str('ca');
  c.caFile = joinDir(dir, r.str('ca_file'));
  c.cert = r.str('cert');
  c.certFile = joinDir(dir, r.str('cert_file'));
  c.key = r.str('key');
  c.keyFile = joinDir(dir, r.str('key_file'));
  c.serverName = r.str('server_name');
  c.insecureSkipVerify = r.bool('insecure_skip_verify', false);
  for (const [k, set] of [
    ['min_version', (v: string) => (c.minVersion = v)],
    ['max_version', (v: string) => (c.maxVersion = v)],
  ] as const) {
    const v = r.str(k);
    if (v !== '' && !TLS_VERSIONS.includes(v)) {
      throw r.valueError(k, 'bad_value', `expected one of ${TLS_VERSIONS.join(', ')}, received ${JSON.stringify(v)}`);
    }
    set(v);
  }
  if (c.ca !== '' && c.caFile !== '') throw r.errorAt('ca_file', 'invalid', 'at most one of ca and ca_file must be configured');
  if (c.cert !== '' && c.certFile !== '') throw r.errorAt('cert_file', 'invalid', 'at most one of cert and cert_file must be configured');
  if (c.key !== '' && c.keyFile !== '') throw r.errorAt('key_file', 'invalid', 'at most one of key and key_file must be configured');
  const hasCert = c.cert !== '' || c.certFile !== '';
  const hasKey = c.key !== '' || c.keyFile !== '';
  if (hasCert && !hasKey) {
    throw r.error('invalid', 'exactly one of key or key_file must be configured when a client certificate is configured');
  }
  if (hasKey && !hasCert) {
    throw r.error('invalid', 'exactly one of cert or cert_file must be configured when a client key is configured');
  }
  return c;
}

/**
 * Reads the inlined HTTP client fields of `r` (the caller has already checked field
 * names against `HTTP_CLIENT_FIELDS`). `defaults` differ per use: remote write turns
 * HTTP/2 off by default.
 */
export function parseHttpClientConfig(
  r: MapReader,
  dir: string,
  defaults: { followRedirects: boolean; enableHttp2: boolean } = { followRedirects: true, enableHttp2: true },
): HttpClientConfig {
  let basicAuth: BasicAuth | null = null;
  const ba = r.map('basic_auth');
  if (ba !== null) {
    ba.fields(['username', 'username_file', 'password', 'password_file'], ['username_ref', 'password_ref']);
    basicAuth = {
      username: ba.str('username'),
      usernameFile: joinDir(dir, ba.str('username_file')),
      password: ba.str('password'),
      passwordFile: joinDir(dir, ba.str('password_file')),
    };
    if (basicAuth.username !== '' && basicAuth.usernameFile !== '') {
      throw ba.error('invalid', 'at most one of basic_auth username and username_file must be configured');
    }
    if (basicAuth.password !== '' && basicAuth.passwordFile !== '') {
      throw ba.error('invalid', 'at most one of basic_auth password and password_file must be configured');
    }
  }
  const bearerToken = r.str('bearer_token');
  const bearerTokenFile = joinDir(dir, r.str('bearer_token_file'));
  if (bearerToken !== '' && bearerTokenFile !== '') {
    throw r.errorAt('bearer_token_file', 'invalid', 'at most one of bearer_token and bearer_token_file must be configured');
  }
  if (basicAuth !== null && (bearerToken !== '' || bearerTokenFile !== '')) {
    throw r.errorAt(bearerToken !== '' ? 'bearer_token' : 'bearer_token_file', 'invalid', 'at most one of basic_auth, oauth2, bearer_token and bearer_token_file must be configured');
  }
  let authorization: Authorization | null = null;
  const az = r.map('authorization');
  if (az !== null) {
    az.fields(['type', 'credentials', 'credentials_file'], ['credentials_ref']);
    authorization = {
      type: az.str('type').trim() || 'Bearer',
      credentials: az.str('credentials'),
      credentialsFile: joinDir(dir, az.str('credentials_file')),
    };
    if (bearerToken !== '' || bearerTokenFile !== '') {
      throw r.errorAt('authorization', 'invalid', 'authorization is not compatible with bearer_token and bearer_token_file');
    }
    if (authorization.credentials !== '' && authorization.credentialsFile !== '') {
      throw az.error('invalid', 'at most one of authorization credentials and credentials_file must be configured');
    }
    if (authorization.type.toLowerCase() === 'basic') {
      throw az.valueError('type', 'bad_value', 'authorization type cannot be set to "basic", use "basic_auth" instead');
    }
    if (basicAuth !== null) throw r.errorAt('authorization', 'invalid', 'at most one of basic_auth, oauth2 and authorization must be configured');
  } else if (bearerToken !== '' || bearerTokenFile !== '') {
    // The legacy fields are sugar for an authorization of type Bearer.
    authorization = { type: 'Bearer', credentials: bearerToken, credentialsFile: bearerTokenFile };
  }
  if (r.has('oauth2') && basicAuth !== null) {
    throw r.errorAt('oauth2', 'invalid', 'at most one of basic_auth, oauth2 and authorization must be configured');
  }
  if (r.has('oauth2') && authorization !== null) {
    throw r.errorAt('oauth2', 'invalid', 'at most one of basic_auth, oauth2, authorization, bearer_token and bearer_token_file must be configured');
  }
  return {
    basicAuth,
    authorization,
    tlsConfig: parseTlsConfig(r.map('tls_config'), dir),
    followRedirects: r.bool('follow_redirects', defaults.followRedirects),
    enableHttp2: r.bool('enable_http2', defaults.enableHttp2),
  };
}

const SECRET = '<secret>';

/** The TLS configuration as Prometheus prints it (secrets masked, empty fields left out). */
export function tlsConfigToYaml(c: TlsConfig): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  if (c.ca !== '') o.ca = c.ca;
  if (c.cert !== '') o.cert = c.cert;
  if (c.key !== '') o.key = SECRET;
  if (c.caFile !== '') o.ca_file = c.caFile;
  if (c.certFile !== '') o.cert_file = c.certFile;
  if (c.keyFile !== '') o.key_file = c.keyFile;
  if (c.serverName !== '') o.server_name = c.serverName;
  o.insecure_skip_verify = c.insecureSkipVerify;
  if (c.minVersion !== '') o.min_version = c.minVersion;
  if (c.maxVersion !== '') o.max_version = c.maxVersion;
  return o;
}

/** The inlined HTTP client fields as Prometheus prints them, to be merged into the parent object. */
export function httpClientConfigToYaml(c: HttpClientConfig): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  if (c.basicAuth !== null) {
    const b: Record<string, unknown> = {};
    if (c.basicAuth.username !== '') b.username = c.basicAuth.username;
    if (c.basicAuth.usernameFile !== '') b.username_file = c.basicAuth.usernameFile;
    if (c.basicAuth.password !== '') b.password = SECRET;
    if (c.basicAuth.passwordFile !== '') b.password_file = c.basicAuth.passwordFile;
    o.basic_auth = b;
  }
  if (c.authorization !== null) {
    const a: Record<string, unknown> = { type: c.authorization.type };
    if (c.authorization.credentials !== '') a.credentials = SECRET;
    if (c.authorization.credentialsFile !== '') a.credentials_file = c.authorization.credentialsFile;
    o.authorization = a;
  }
  // Like Prometheus, an all-default TLS configuration is left out.
  const tls = tlsConfigToYaml(c.tlsConfig);
  if (Object.keys(tls).length > 1 || c.tlsConfig.insecureSkipVerify) o.tls_config = tls;
  o.follow_redirects = c.followRedirects;
  o.enable_http2 = c.enableHttp2;
  return o;
}
