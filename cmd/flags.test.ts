import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { UsageError } from './cli.js';
import { parseListenAddress, parseServerFlags, SERVER_FLAGS, type ServerFlags } from './flags.js';

const MIN = 60_000;
const DAY = 24 * 60 * MIN;

function flags(...argv: string[]): ServerFlags {
  return parseServerFlags(argv);
}

function usageError(argv: string[], pattern: RegExp): void {
  assert.throws(
    () => flags(...argv),
    (e: unknown) => {
      assert.ok(e instanceof UsageError, `expected UsageError, got ${String(e)}`);
      assert.match(e.message, pattern);
      return true;
    },
  );
}

describe('server flags', () => {
  test('defaults are Prometheus defaults', () => {
    const f = flags();
    assert.equal(f.configFile, 'prometheus.yml');
    assert.equal(f.configFileGiven, false);
    assert.equal(f.storagePath, 'data/');
    assert.equal(f.retentionTimeMs, 15 * DAY);
    assert.equal(f.retentionSizeBytes, 0);
    assert.deepEqual(f.listenAddress, { host: '0.0.0.0', port: 9090 });
    assert.equal(f.enableLifecycle, false);
    assert.equal(f.enableAdminApi, false);
    assert.equal(f.externalUrl, '');
    assert.equal(f.routePrefix, '/');
    assert.equal(f.readTimeoutMs, 5 * MIN);
    assert.equal(f.maxConnections, 512);
    assert.equal(f.logLevel, 'info');
    assert.equal(f.logFormat, 'logfmt');
    assert.equal(f.queryTimeoutMs, 2 * MIN);
    assert.equal(f.queryMaxSamples, 50_000_000);
    assert.equal(f.queryLookbackDeltaMs, 5 * MIN);
    assert.equal(f.queryMaxConcurrency, 20);
  });

  test('values are accepted both as --flag=value and --flag value', () => {
    const a = flags('--config.file=a.yml', '--query.timeout', '30s', '--web.listen-address', '127.0.0.1:0');
    assert.equal(a.configFile, 'a.yml');
    assert.equal(a.configFileGiven, true);
    assert.equal(a.queryTimeoutMs, 30_000);
    assert.deepEqual(a.listenAddress, { host: '127.0.0.1', port: 0 });
    const b = flags('--query.lookback-delta=1h30m', '--query.max-samples', '1000', '--log.level=debug', '--log.format', 'json');
    assert.equal(b.queryLookbackDeltaMs, 90 * MIN);
    assert.equal(b.queryMaxSamples, 1000);
    assert.equal(b.logLevel, 'debug');
    assert.equal(b.logFormat, 'json');
  });

  test('boolean flags accept --flag, --no-flag and --flag=true|false', () => {
    assert.equal(flags('--web.enable-lifecycle').enableLifecycle, true);
    assert.equal(flags('--no-web.enable-lifecycle').enableLifecycle, false);
    assert.equal(flags('--web.enable-admin-api=true').enableAdminApi, true);
    assert.equal(flags('--web.enable-admin-api=false').enableAdminApi, false);
    usageError(['--web.enable-lifecycle=maybe'], /--web\.enable-lifecycle expects true or false, got "maybe"/);
    usageError(['--no-web.enable-lifecycle=true'], /--no-web\.enable-lifecycle takes no value/);
  });

  test('an unknown flag is named, with a suggestion for a near miss', () => {
    usageError(['--config.fil=x'], /unknown flag --config\.fil; did you mean --config\.file\?/);
    usageError(['--frobnicate'], /^unknown flag --frobnicate$/);
    usageError(['-x'], /unknown flag -x/);
    // --no- only negates booleans.
    usageError(['--no-config.file'], /unknown flag --no-config\.file/);
  });

  test('bad durations name the flag, the expectation and the value', () => {
    usageError(['--query.timeout=5 minutes'], /--query\.timeout expects a duration such as 5m or 1h30m .*got "5 minutes"/);
    usageError(['--storage.tsdb.retention.time', '1.5d'], /--storage\.tsdb\.retention\.time expects a duration.*"1\.5d"/);
    usageError(['--web.read-timeout=0'], /--web\.read-timeout must be greater than 0/);
    usageError(['--query.lookback-delta=0'], /--query\.lookback-delta must be greater than 0/);
  });

  test('bad numbers and enum values are rejected', () => {
    usageError(['--query.max-concurrency=0'], /--query\.max-concurrency expects a whole number >= 1, got "0"/);
    usageError(['--web.max-connections=-1'], /--web\.max-connections expects a whole number/);
    usageError(['--query.max-samples=1e6'], /--query\.max-samples expects a whole number/);
    usageError(['--log.level=verbose'], /--log\.level expects one of debug, info, warn, error; got "verbose"/);
    usageError(['--log.format=xml'], /--log\.format expects one of logfmt, json; got "xml"/);
  });

  test('a string flag without a value, or followed by another flag, is an error', () => {
    usageError(['--config.file'], /--config\.file expects a value \(FILE\)/);
    usageError(['--config.file', '--web.enable-lifecycle'], /--config\.file expects a value \(FILE\), got the flag --web\.enable-lifecycle/);
    // Explicitly inline it is allowed.
    assert.equal(flags('--config.file=--odd.yml').configFile, '--odd.yml');
  });

  test('a flag given twice is an error; positionals are rejected', () => {
    usageError(['--query.timeout=1m', '--query.timeout=2m'], /--query\.timeout given more than once/);
    usageError(['extra'], /unexpected argument "extra"/);
  });

  test('retention: the 15d default applies only when no size limit is set', () => {
    const sizeOnly = flags('--storage.tsdb.retention.size=512MB');
    assert.equal(sizeOnly.retentionSizeBytes, 512 * 1024 * 1024);
    assert.equal(sizeOnly.retentionTimeMs, 0);
    assert.equal(sizeOnly.asStrings['storage.tsdb.retention.time'], '0s');
    const both = flags('--storage.tsdb.retention.size=1GB', '--storage.tsdb.retention.time=30d');
    assert.equal(both.retentionTimeMs, 30 * DAY);
    assert.equal(flags('--storage.tsdb.retention.time=0s').retentionTimeMs, 15 * DAY);
    usageError(['--storage.tsdb.retention.size=lots'], /--storage\.tsdb\.retention\.size expects a size such as 512MB.*"lots"/);
  });

  test('listen addresses: host:port, :port, [v6]:port; errors say why', () => {
    assert.deepEqual(parseListenAddress(':9090'), { host: '', port: 9090 });
    assert.deepEqual(parseListenAddress('[::1]:80'), { host: '::1', port: 80 });
    assert.deepEqual(parseListenAddress('localhost:65535'), { host: 'localhost', port: 65535 });
    usageError(['--web.listen-address=9090'], /expects HOST:PORT .*got "9090": missing port/);
    usageError(['--web.listen-address=host:http'], /port "http" is not a number/);
    usageError(['--web.listen-address=host:70000'], /port 70000 is above 65535/);
    usageError(['--web.listen-address=::1:80'], /IPv6 host must be written \[addr\]:port/);
  });

  test('route prefix comes from the flag or the external URL path', () => {
    assert.equal(flags('--web.external-url=http://example.com/vigil/').routePrefix, '/vigil');
    assert.equal(flags('--web.route-prefix=api/').routePrefix, '/api');
    assert.equal(flags('--web.external-url=http://example.com/a', '--web.route-prefix=/').routePrefix, '/');
    usageError(['--web.external-url=not a url'], /--web\.external-url expects an absolute URL/);
    usageError(['--web.external-url=ftp://x/'], /expects an http or https URL/);
  });

  test('asStrings has every flag by its Prometheus name with the effective value', () => {
    const f = flags('--web.enable-lifecycle', '--query.timeout=1m');
    assert.deepEqual(Object.keys(f.asStrings).sort(), SERVER_FLAGS.map((s) => s.name).sort());
    assert.equal(f.asStrings['web.enable-lifecycle'], 'true');
    assert.equal(f.asStrings['web.enable-admin-api'], 'false');
    assert.equal(f.asStrings['query.timeout'], '1m');
    assert.equal(f.asStrings['config.file'], 'prometheus.yml');
    assert.equal(f.asStrings['storage.tsdb.retention.time'], '15d');
  });
});
