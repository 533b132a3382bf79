/**
 * The `remote_write` and `remote_read` sections of prometheus.yml, with Prometheus's
 * defaults (`config/config.go`): remote write timeout 30s, HTTP/2 off, queue capacity
 * 10000, 1..50 shards, 2000 samples per send, 5s batch deadline, 30ms..5s backoff,
 * metadata sent every 1m; remote read timeout 1m, 50MB chunked read limit, external
 * labels used as filters.
 */
import type { MapReader, NameValidationScheme } from '../config_reader.js';
import { formatDuration } from '../duration.js';
import {
  HTTP_CLIENT_FIELDS,
  HTTP_CLIENT_UNIMPLEMENTED,
  type HttpClientConfig,
  httpClientConfigToYaml,
  parseHttpClientConfig,
} from '../../scrape/http_client_config.js';
import { parseRelabelConfigs, type RelabelConfig, relabelConfigToYaml } from '../../scrape/relabel_config.js';

/** Sharded send queue settings of one remote write endpoint. Durations in milliseconds. */
export interface QueueConfig {
  /** Samples buffered per shard before appends block. */
  capacity: number;
  maxShards: number;
  minShards: number;
  maxSamplesPerSend: number;
  batchSendDeadline: number;
  minBackoff: number;
  maxBackoff: number;
  /** Retry on HTTP 429 instead of dropping the batch. */
  retryOnHttp429: boolean;
  /** Samples older than this are dropped instead of sent; 0 = no limit. */
  sampleAgeLimit: number;
}

/** Metric metadata sending. */
export interface MetadataConfig {
  send: boolean;
  sendInterval: number;
  maxSamplesPerSend: number;
}

/** Remote write protobuf messages (Remote-Write 1.0 and 2.0). */
export type RemoteWriteMessage = 'prometheus.WriteRequest' | 'io.prometheus.write.v2.Request';

/** One `remote_write` endpoint with every default filled in. */
export interface RemoteWriteConfig {
  url: string;
  /** Milliseconds; default 30s. */
  remoteTimeout: number;
  headers: Record<string, string>;
  writeRelabelConfigs: RelabelConfig[];
  /** `''` when unset (Prometheus then names the queue by a hash of the config). */
  name: string;
  sendExemplars: boolean;
  sendNativeHistograms: boolean;
  protobufMessage: RemoteWriteMessage;
  httpClientConfig: HttpClientConfig;
  queueConfig: QueueConfig;
  metadataConfig: MetadataConfig;
}

/** One `remote_read` endpoint with every default filled in. */
export interface RemoteReadConfig {
  url: string;
  /** Milliseconds; default 1m. */
  remoteTimeout: number;
  /** Bytes of one streamed response frame; default 50,000,000. */
  chunkedReadLimit: number;
  headers: Record<string, string>;
  /** Also query this endpoint for time ranges the local storage has complete data for. */
  readRecent: boolean;
  name: string;
  /** Equality matchers a selector must contain for this endpoint to be queried. */
  requiredMatchers: Record<string, string>;
  /** Add the external labels as equality matchers to remote queries. Default true. */
  filterExternalLabels: boolean;
  httpClientConfig: HttpClientConfig;
}

export const DEFAULT_QUEUE_CONFIG: Readonly<QueueConfig> = {
  capacity: 10_000,
  maxShards: 50,
  minShards: 1,
  maxSamplesPerSend: 2000,
  batchSendDeadline: 5000,
  minBackoff: 30,
  maxBackoff: 5000,
  retryOnHttp429: false,
  sampleAgeLimit: 0,
};

export const DEFAULT_METADATA_CONFIG: Readonly<MetadataConfig> = { send: true, sendInterval: 60_000, maxSamplesPerSend: 2000 };
export const DEFAULT_REMOTE_WRITE_TIMEOUT_MS = 30_000;
export const DEFAULT_REMOTE_READ_TIMEOUT_MS = 60_000;
export const DEFAULT_CHUNKED_READ_LIMIT = 50_000_000;

/** Headers Prometheus sets itself; configuring them is an error. */
const RESERVED_HEADERS = new Set([
  'host',
  'content-encoding',
  'content-length',
  'content-type',
  'user-agent',
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'www-authenticate',
  'accept-encoding',
  'x-prometheus-remote-write-version',
  'x-prometheus-remote-read-version',
  'x-amz-date',
  'x-amz-security-token',
  'x-amz-content-sha256',
]);

function parseHeaders(r: MapReader): Record<string, string> {
  const headers = r.strMap('headers');
  const m = r.map('headers');
  for (const h of Object.keys(headers)) {
    const lower = h.toLowerCase();
    if (lower === 'authorization') {
      throw m!.errorAt(h, 'bad_value', 'the Authorization header must be set with basic_auth or authorization, not headers');
    }
    if (RESERVED_HEADERS.has(lower)) throw m!.errorAt(h, 'bad_value', `${h} is a reserved header and cannot be set`);
  }
  return headers;
}

function parseUrl(r: MapReader, section: string): string {
  const url = r.str('url');
  if (url === '') throw r.errorAt('url', 'missing_field', `url for ${section} is required`);
  try {
    new URL(url);
  } catch {
    throw r.valueError('url', 'bad_value', `expected an absolute URL such as http://host:9201/write, received ${JSON.stringify(url)}`);
  }
  return url;
}

function parseQueueConfig(r: MapReader | null): QueueConfig {
  const q: QueueConfig = { ...DEFAULT_QUEUE_CONFIG };
  if (r === null) return q;
  r.fields([
    'capacity',
    'max_shards',
    'min_shards',
    'max_samples_per_send',
    'batch_send_deadline',
    'min_backoff',
    'max_backoff',
    'retry_on_http_429',
    'sample_age_limit',
  ]);
  // An explicit 0 is kept (and then rejected below), as in Prometheus.
  const int = (key: string, def: number): number => r.int(key, def);
  q.capacity = int('capacity', q.capacity);
  q.maxShards = int('max_shards', q.maxShards);
  q.minShards = int('min_shards', q.minShards);
  q.maxSamplesPerSend = int('max_samples_per_send', q.maxSamplesPerSend);
  q.batchSendDeadline = r.duration('batch_send_deadline', q.batchSendDeadline);
  q.minBackoff = r.duration('min_backoff', q.minBackoff);
  q.maxBackoff = r.duration('max_backoff', q.maxBackoff);
  q.retryOnHttp429 = r.bool('retry_on_http_429', false);
  q.sampleAgeLimit = r.duration('sample_age_limit', 0);
  for (const [key, v] of [
    ['max_shards', q.maxShards],
    ['min_shards', q.minShards],
    ['max_samples_per_send', q.maxSamplesPerSend],
    ['capacity', q.capacity],
  ] as const) {
    if (v <= 0) throw r.valueError(key, 'bad_value', `expected a positive integer, received ${v}`);
  }
  if (q.minShards > q.maxShards) {
    throw r.errorAt('min_shards', 'invalid', `(${q.minShards}) is greater than max_shards (${q.maxShards})`, true);
  }
  if (q.maxBackoff < q.minBackoff) {
    throw r.errorAt('max_backoff', 'invalid', `(${formatDuration(q.maxBackoff)}) is less than min_backoff (${formatDuration(q.minBackoff)})`, true);
  }
  return q;
}

function parseMetadataConfig(r: MapReader | null): MetadataConfig {
  const m: MetadataConfig = { ...DEFAULT_METADATA_CONFIG };
  if (r === null) return m;
  r.fields(['send', 'send_interval', 'max_samples_per_send']);
  m.send = r.bool('send', m.send);
  m.sendInterval = r.duration('send_interval', m.sendInterval);
  m.maxSamplesPerSend = r.int('max_samples_per_send', m.maxSamplesPerSend);
  return m;
}

const RW_FIELDS = [
  'url',
  'remote_timeout',
  'headers',
  'write_relabel_configs',
  'name',
  'send_exemplars',
  'send_native_histograms',
  'protobuf_message',
  'queue_config',
  'metadata_config',
  ...HTTP_CLIENT_FIELDS,
];
const RW_UNIMPLEMENTED = ['round_robin_dns', 'failed_request_logging', 'sigv4', 'azuread', 'google_iam', ...HTTP_CLIENT_UNIMPLEMENTED];
const MESSAGES: readonly RemoteWriteMessage[] = ['prometheus.WriteRequest', 'io.prometheus.write.v2.Request'];

function parseRemoteWrite(r: MapReader, dir: string, scheme: NameValidationScheme): RemoteWriteConfig {
  r.fields(RW_FIELDS, RW_UNIMPLEMENTED);
  const url = parseUrl(r, 'remote_write');
  const protobufMessage = r.str('protobuf_message', 'prometheus.WriteRequest');
  if (!(MESSAGES as readonly string[]).includes(protobufMessage)) {
    throw r.valueError('protobuf_message', 'bad_value', `expected one of ${MESSAGES.join(', ')}, received ${JSON.stringify(protobufMessage)}`);
  }
  const httpClientConfig = parseHttpClientConfig(r, dir, { followRedirects: true, enableHttp2: false });
  const auths = [
    httpClientConfig.basicAuth !== null ? 'basic_auth' : '',
    httpClientConfig.authorization !== null ? 'authorization' : '',
    ...['oauth2', 'sigv4', 'azuread', 'google_iam'].filter((k) => r.has(k)),
  ].filter((a) => a !== '');
  if (auths.length > 1) {
    throw r.error('invalid', `at most one of basic_auth, authorization, oauth2, sigv4, azuread and google_iam must be configured, received ${auths.join(', ')}`);
  }
  return {
    url,
    remoteTimeout: r.duration('remote_timeout', DEFAULT_REMOTE_WRITE_TIMEOUT_MS),
    headers: parseHeaders(r),
    writeRelabelConfigs: parseRelabelConfigs(r, 'write_relabel_configs', scheme),
    name: r.str('name'),
    sendExemplars: r.bool('send_exemplars', false),
    sendNativeHistograms: r.bool('send_native_histograms', false),
    protobufMessage: protobufMessage as RemoteWriteMessage,
    httpClientConfig,
    queueConfig: parseQueueConfig(r.map('queue_config')),
    metadataConfig: parseMetadataConfig(r.map('metadata_config')),
  };
}

const RR_FIELDS = [
  'url',
  'remote_timeout',
  'chunked_read_limit',
  'headers',
  'read_recent',
  'name',
  'required_matchers',
  'filter_external_labels',
  ...HTTP_CLIENT_FIELDS,
];

function parseRemoteRead(r: MapReader, dir: string): RemoteReadConfig {
  r.fields(RR_FIELDS, HTTP_CLIENT_UNIMPLEMENTED);
  return {
    url: parseUrl(r, 'remote_read'),
    remoteTimeout: r.duration('remote_timeout', DEFAULT_REMOTE_READ_TIMEOUT_MS),
    chunkedReadLimit: r.uint('chunked_read_limit', DEFAULT_CHUNKED_READ_LIMIT),
    headers: parseHeaders(r),
    readRecent: r.bool('read_recent', false),
    name: r.str('name'),
    requiredMatchers: r.labelMap('required_matchers', 'utf8'),
    filterExternalLabels: r.bool('filter_external_labels', true),
    httpClientConfig: parseHttpClientConfig(r, dir),
  };
}

function checkUniqueNames(r: MapReader, key: string, list: MapReader[], names: string[]): void {
  const seen = new Map<string, number>();
  names.forEach((n, i) => {
    if (n === '') return;
    const first = seen.get(n);
    if (first !== undefined) {
      throw list[i]!.valueError('name', 'duplicate', `name ${JSON.stringify(n)} is already used by ${r.childPath(key)}[${first}]`);
    }
    seen.set(n, i);
  });
}

/** Parses `remote_write` of the document root; non-empty names must be unique. */
export function parseRemoteWriteConfigs(root: MapReader, dir: string, scheme: NameValidationScheme): RemoteWriteConfig[] {
  const list = root.mapList('remote_write', 'remote_write config');
  const out = list.map((r) => parseRemoteWrite(r, dir, scheme));
  checkUniqueNames(root, 'remote_write', list, out.map((c) => c.name));
  return out;
}

/** Parses `remote_read` of the document root; non-empty names must be unique. */
export function parseRemoteReadConfigs(root: MapReader, dir: string): RemoteReadConfig[] {
  const list = root.mapList('remote_read', 'remote_read config');
  const out = list.map((r) => parseRemoteRead(r, dir));
  checkUniqueNames(root, 'remote_read', list, out.map((c) => c.name));
  return out;
}

/** A remote write endpoint as Prometheus prints it (the URL's password, if any, is masked). */
export function remoteWriteConfigToYaml(c: RemoteWriteConfig): Record<string, unknown> {
  const o: Record<string, unknown> = { url: redactUrl(c.url), remote_timeout: formatDuration(c.remoteTimeout) };
  if (Object.keys(c.headers).length > 0) o.headers = { ...c.headers };
  if (c.writeRelabelConfigs.length > 0) o.write_relabel_configs = c.writeRelabelConfigs.map(relabelConfigToYaml);
  if (c.name !== '') o.name = c.name;
  if (c.sendExemplars) o.send_exemplars = true;
  if (c.sendNativeHistograms) o.send_native_histograms = true;
  o.protobuf_message = c.protobufMessage;
  Object.assign(o, httpClientConfigToYaml(c.httpClientConfig));
  const q = c.queueConfig;
  const queue: Record<string, unknown> = {
    capacity: q.capacity,
    max_shards: q.maxShards,
    min_shards: q.minShards,
    max_samples_per_send: q.maxSamplesPerSend,
    batch_send_deadline: formatDuration(q.batchSendDeadline),
    min_backoff: formatDuration(q.minBackoff),
    max_backoff: formatDuration(q.maxBackoff),
  };
  if (q.retryOnHttp429) queue.retry_on_http_429 = true;
  if (q.sampleAgeLimit !== 0) queue.sample_age_limit = formatDuration(q.sampleAgeLimit);
  o.queue_config = queue;
  o.metadata_config = {
    send: c.metadataConfig.send,
    send_interval: formatDuration(c.metadataConfig.sendInterval),
    max_samples_per_send: c.metadataConfig.maxSamplesPerSend,
  };
  return o;
}

/** A remote read endpoint as Prometheus prints it. */
export function remoteReadConfigToYaml(c: RemoteReadConfig): Record<string, unknown> {
  const o: Record<string, unknown> = {
    url: redactUrl(c.url),
    remote_timeout: formatDuration(c.remoteTimeout),
    chunked_read_limit: c.chunkedReadLimit,
  };
  if (Object.keys(c.headers).length > 0) o.headers = { ...c.headers };
  if (c.readRecent) o.read_recent = true;
  if (c.name !== '') o.name = c.name;
  Object.assign(o, httpClientConfigToYaml(c.httpClientConfig));
  if (Object.keys(c.requiredMatchers).length > 0) o.required_matchers = { ...c.requiredMatchers };
  o.filter_external_labels = c.filterExternalLabels;
  return o;
}

/** Replaces the password of a URL's userinfo with `xxxxx`, as Prometheus's config.URL does when printed. */
function redactUrl(u: string): string {
  try {
    const p = new URL(u);
    if (p.password === '') return u;
    p.password = 'xxxxx';
    return p.toString();
  } catch {
    return u;
  }
}
