import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigDoc, ConfigError } from '../config_reader.js';
import { parseRemoteReadConfigs, parseRemoteWriteConfigs, type RemoteReadConfig, type RemoteWriteConfig } from './config.js';

function rw(yaml: string): RemoteWriteConfig[] {
  return parseRemoteWriteConfigs(ConfigDoc.parse(yaml, 'p.yml').root(), '', 'utf8');
}

function rr(yaml: string): RemoteReadConfig[] {
  return parseRemoteReadConfigs(ConfigDoc.parse(yaml, 'p.yml').root(), '');
}

function fails(fn: () => unknown, want: RegExp): void {
  assert.throws(fn, (e: unknown) => e instanceof ConfigError && want.test(e.message), `expected ${want}`);
}

test('remote write: queue fields override defaults one by one', () => {
  const [c] = rw('remote_write:\n  - url: http://w/push\n    queue_config:\n      max_shards: 10\n      min_backoff: 100ms\n      retry_on_http_429: true\n      sample_age_limit: 5m\n');
  assert.equal(c!.queueConfig.maxShards, 10);
  assert.equal(c!.queueConfig.minShards, 1);
  assert.equal(c!.queueConfig.capacity, 10_000);
  assert.equal(c!.queueConfig.minBackoff, 100);
  assert.equal(c!.queueConfig.maxBackoff, 5_000);
  assert.equal(c!.queueConfig.retryOnHttp429, true);
  assert.equal(c!.queueConfig.sampleAgeLimit, 300_000);
});

test('remote write: relabeling, name, flags, protobuf message, HTTP/2 off by default', () => {
  const [c] = rw(
    'remote_write:\n  - url: https://w/push\n    name: main\n    send_exemplars: true\n    protobuf_message: io.prometheus.write.v2.Request\n    write_relabel_configs:\n      - source_labels: [__name__]\n        regex: debug_.*\n        action: drop\n',
  );
  assert.equal(c!.name, 'main');
  assert.equal(c!.sendExemplars, true);
  assert.equal(c!.protobufMessage, 'io.prometheus.write.v2.Request');
  assert.equal(c!.writeRelabelConfigs[0]!.action, 'drop');
  assert.equal(c!.httpClientConfig.enableHttp2, false);
  assert.equal(c!.httpClientConfig.followRedirects, true);
});

test('remote write: invalid settings are located', () => {
  fails(() => rw('remote_write:\n  - name: x\n'), /p\.yml:2:5: remote_write\[0\]\.url: url for remote_write is required/);
  fails(() => rw('remote_write:\n  - url: not a url\n'), /remote_write\[0\]\.url: expected an absolute URL/);
  fails(() => rw('remote_write:\n  - url: http://w\n    protobuf_message: v3\n'), /remote_write\[0\]\.protobuf_message: expected one of prometheus\.WriteRequest/);
  fails(() => rw('remote_write:\n  - url: http://w\n    queue_config:\n      max_shards: -1\n'), /queue_config\.max_shards: expected a positive integer, received -1/);
  fails(() => rw('remote_write:\n  - url: http://w\n    queue_config:\n      min_backoff: 1s\n      max_backoff: 10ms\n'), /queue_config\.max_backoff \(10ms\) is less than min_backoff \(1s\)/);
  fails(() => rw('remote_write:\n  - url: http://w\n    basic_auth: {username: u}\n    sigv4: {region: x}\n'), /at most one of basic_auth, authorization, oauth2, sigv4, azuread and google_iam must be configured, received basic_auth, sigv4/);
  fails(() => rw('remote_write:\n  - url: http://w\n    metadata_config:\n      every: 1m\n'), /metadata_config\.every: unknown field/);
  fails(() => rw('remote_write:\n  - url: http://w\n    write_relabel_configs:\n      - action: nope\n'), /write_relabel_configs\[0\]\.action: unknown relabel action "nope"/);
});

test('remote write: known but unimplemented options are warnings', () => {
  const doc = ConfigDoc.parse('remote_write:\n  - url: http://w\n    round_robin_dns: true\n', 'p.yml');
  parseRemoteWriteConfigs(doc.root(), '', 'utf8');
  assert.deepEqual(doc.warnings.map((w) => w.message), ['p.yml:3:5: remote_write[0].round_robin_dns: is not implemented in Vigil yet and is ignored']);
});

test('remote read: defaults and fields', () => {
  const [d] = rr('remote_read:\n  - url: http://r/read\n');
  assert.equal(d!.remoteTimeout, 60_000);
  assert.equal(d!.chunkedReadLimit, 50_000_000);
  assert.equal(d!.readRecent, false);
  assert.equal(d!.filterExternalLabels, true);
  assert.equal(d!.httpClientConfig.enableHttp2, true);
  const [c] = rr('remote_read:\n  - url: http://r/read\n    remote_timeout: 5s\n    filter_external_labels: false\n    required_matchers: {job: x}\n    headers: {X-Tenant: t}\n');
  assert.equal(c!.remoteTimeout, 5_000);
  assert.equal(c!.filterExternalLabels, false);
  assert.deepEqual(c!.requiredMatchers, { job: 'x' });
  assert.deepEqual(c!.headers, { 'X-Tenant': 't' });
  fails(() => rr('remote_read:\n  - read_recent: true\n'), /remote_read\[0\]\.url: url for remote_read is required/);
  fails(() => rr('remote_read:\n  - url: http://r\n    headers: {Host: h}\n'), /remote_read\[0\]\.headers\.Host: Host is a reserved header/);
  fails(() => rr('remote_read:\n  - url: http://r\n    required_matchers: {"": x}\n'), /required_matchers\[""\]: expected a valid label name/);
});
