import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  ConfigError,
  configToYaml,
  EMBEDDED_CONFIG_FILE,
  embeddedDefaultConfig,
  embeddedDefaultConfigText,
  expandEnv,
  loadConfigFile,
  parseConfig,
} from './config.js';

const ROOT = process.env.VIGIL_REPO_ROOT ?? fileURLToPath(new URL('../../', import.meta.url));
const VALID = join(ROOT, 'test/configs/valid');
const INVALID = join(ROOT, 'test/configs/invalid');

/**
 * Where each invalid example must be reported: line, column (1-based) and field path,
 * read off the files by hand.
 */
const INVALID_EXPECTED: Record<string, [number, number, string, string]> = {
  'alertmanager_api_v1.yml': [3, 20, 'alerting.alertmanagers[0].api_version', 'bad_value'],
  'bad_duration.yml': [5, 22, 'scrape_configs[0].scrape_interval', 'bad_value'],
  'bad_duration_unit_order.yml': [2, 20, 'global.scrape_interval', 'bad_value'],
  'bad_external_label.yml': [3, 5, 'global.external_labels[""]', 'bad_value'],
  'bad_label_name.yml': [7, 11, 'scrape_configs[0].static_configs[0].labels[""]', 'bad_value'],
  'bad_regex.yml': [9, 16, 'scrape_configs[0].relabel_configs[1].regex', 'bad_value'],
  'bad_relabel_action.yml': [8, 17, 'scrape_configs[0].metric_relabel_configs[0].action', 'bad_value'],
  // The unclosed "[" of line 6 is noticed where the next entry starts.
  'bad_yaml_syntax.yml': [7, 3, '', 'yaml_syntax'],
  'duplicate_job_name.yml': [5, 15, 'scrape_configs[1].job_name', 'duplicate'],
  'file_sd_bad_extension.yml': [4, 17, 'scrape_configs[0].file_sd_configs[0].files[0]', 'bad_value'],
  'global_timeout_too_long.yml': [3, 3, 'global.scrape_timeout', 'invalid'],
  'hashmod_without_modulus.yml': [8, 9, 'scrape_configs[0].relabel_configs[0].action', 'missing_field'],
  'keepequal_with_regex.yml': [8, 9, 'scrape_configs[0].relabel_configs[0].regex', 'invalid'],
  'missing_job_name.yml': [5, 5, 'scrape_configs[1].job_name', 'missing_field'],
  'null_scrape_config.yml': [2, 4, 'scrape_configs[0]', 'missing_field'],
  'remote_write_shards.yml': [4, 7, 'remote_write[0].queue_config.min_shards', 'invalid'],
  'remote_write_without_url.yml': [2, 5, 'remote_write[0].url', 'missing_field'],
  'replace_without_target.yml': [6, 9, 'scrape_configs[0].relabel_configs[0].action', 'missing_field'],
  'scrape_timeout_too_long.yml': [13, 5, 'scrape_configs[1].scrape_timeout', 'invalid'],
  'unknown_field.yml': [5, 5, 'scrape_configs[0].scrape_intervall', 'unknown_field'],
  'unknown_top_level.yml': [3, 1, 'scrape_config', 'unknown_field'],
  'url_as_target.yml': [4, 19, 'scrape_configs[0].static_configs[0].targets[0]', 'bad_value'],
  'wrong_type.yml': [3, 19, 'scrape_configs[0].sample_limit', 'wrong_type'],
  'wrong_type_list.yml': [4, 18, 'scrape_configs[0].static_configs[0].targets', 'wrong_type'],
};

/** Invalid only because of files they refer to, which parsing (pure) does not read. */
const INVALID_ONLY_ON_CHECK = new Set(['missing_rule_file.yml', 'missing_credentials_file.yml']);

test('every invalid example is rejected at its exact file:line:column and field', async () => {
  const files = readdirSync(INVALID).filter((f) => f.endsWith('.yml'));
  assert.ok(files.length >= 10);
  for (const f of files) {
    if (INVALID_ONLY_ON_CHECK.has(f)) continue;
    const want = INVALID_EXPECTED[f];
    assert.ok(want !== undefined, `no expectation for ${f}: add one`);
    const path = join(INVALID, f);
    await assert.rejects(loadConfigFile(path), (e: unknown) => {
      assert.ok(e instanceof ConfigError, `${f}: ${String(e)}`);
      const [line, column, fieldPath, code] = want;
      assert.deepEqual([e.line, e.column, e.fieldPath, e.code], [line, column, fieldPath, code], `${f}: ${e.message}`);
      const where = `${path}:${line}:${column}: `;
      assert.ok(e.message.startsWith(fieldPath === '' ? where : `${where}${fieldPath}`), e.message);
      return true;
    });
  }
});

test('the scrape timeout example reads as in the issue', async () => {
  await assert.rejects(loadConfigFile(join(INVALID, 'scrape_timeout_too_long.yml')), {
    message: `${join(INVALID, 'scrape_timeout_too_long.yml')}:13:5: scrape_configs[1].scrape_timeout (20s) is longer than scrape_interval (15s)`,
  });
  assert.throws(() => parseConfig('global:\n  scrape_interval: 15s\nscrape_configs:\n  - job_name: a\n    scrape_timeout: 20s\n', 'prometheus.yml'), {
    message: 'prometheus.yml:5:5: scrape_configs[0].scrape_timeout (20s) is longer than scrape_interval (15s)',
  });
});

test('every valid example loads', async () => {
  for (const f of readdirSync(VALID).filter((x) => x.endsWith('.yml'))) {
    const { config } = await loadConfigFile(join(VALID, f));
    assert.equal(config.file, resolve(VALID, f));
    assert.equal(config.original, readFileSync(join(VALID, f), 'utf8'));
  }
});

test('the realistic example has every section with its values and defaults', async () => {
  const { config, warnings } = await loadConfigFile(join(VALID, 'prometheus.yml'));
  assert.deepEqual(warnings, []);
  const g = config.global;
  assert.equal(g.scrapeInterval, 15_000);
  assert.equal(g.scrapeTimeout, 10_000);
  assert.equal(g.evaluationInterval, 30_000);
  assert.equal(g.ruleQueryOffset, 0);
  assert.equal(g.externalLabels.toString(), '{cluster="eu-west-1", replica="a"}');
  assert.deepEqual(config.ruleFiles, [join(VALID, 'rules/*.yml'), join(VALID, 'rules/recording.yml')]);
  assert.deepEqual(
    config.scrapeConfigs.map((s) => [s.jobName, s.scrapeInterval, s.scrapeTimeout]),
    [
      ['prometheus', 15_000, 10_000],
      ['node', 30_000, 20_000],
      ['blackbox', 15_000, 10_000],
      ['api', 5_000, 5_000],
    ],
  );
  const blackbox = config.scrapeConfigs[2]!;
  assert.equal(blackbox.bodySizeLimit, 10 * 1024 * 1024);
  assert.equal(blackbox.httpClientConfig.basicAuth?.password, 's3cret');
  assert.equal(blackbox.httpClientConfig.tlsConfig.insecureSkipVerify, true);
  assert.deepEqual(
    blackbox.relabelConfigs.map((r) => r.action),
    ['replace', 'replace', 'replace', 'hashmod', 'uppercase', 'keepequal'],
  );
  assert.equal(config.scrapeConfigs[3]!.httpClientConfig.followRedirects, false);
  const am = config.alerting.alertmanagers[0]!;
  assert.equal(am.pathPrefix, '/alertmanager');
  assert.equal(am.timeout, 5_000);
  assert.equal(am.apiVersion, 'v2');
  assert.equal(config.alerting.alertRelabelConfigs[0]!.action, 'labeldrop');
  const rw = config.remoteWrite[0]!;
  assert.equal(rw.remoteTimeout, 15_000);
  assert.deepEqual(rw.headers, { 'X-Scope-OrgID': 'tenant-1' });
  // Given queue fields replace the defaults; the rest keep Prometheus's defaults.
  assert.deepEqual(rw.queueConfig, {
    capacity: 20_000,
    maxShards: 30,
    minShards: 1,
    maxSamplesPerSend: 5000,
    batchSendDeadline: 10_000,
    minBackoff: 30,
    maxBackoff: 5_000,
    retryOnHttp429: false,
    sampleAgeLimit: 0,
  });
  assert.equal(rw.metadataConfig.send, false);
  assert.equal(rw.httpClientConfig.enableHttp2, false);
  const rr = config.remoteRead[0]!;
  assert.equal(rr.remoteTimeout, 60_000);
  assert.equal(rr.readRecent, true);
  assert.equal(rr.filterExternalLabels, true);
  assert.deepEqual(rr.requiredMatchers, { source: 'cortex' });
});

test('anchors and merge keys share job settings; secret file paths are relative to the file', async () => {
  const { config } = await loadConfigFile(join(VALID, 'anchors_and_secret_files.yml'));
  const [app, admin, bearer] = config.scrapeConfigs;
  assert.equal(app!.metricsPath, '/internal/metrics');
  assert.equal(admin!.jobName, 'app-admin');
  // Merged from the first job, with its own interval and authorization.
  assert.equal(admin!.metricsPath, '/internal/metrics');
  assert.equal(admin!.scrapeTimeout, 5_000);
  assert.equal(admin!.scrapeInterval, 60_000);
  assert.equal(admin!.httpClientConfig.authorization!.credentialsFile, join(VALID, 'secrets/password'));
  assert.deepEqual(admin!.staticConfigs, app!.staticConfigs);
  assert.equal(bearer!.httpClientConfig.authorization!.credentialsFile, join(VALID, 'secrets/token'));
  assert.equal(bearer!.httpClientConfig.tlsConfig.certFile, join(VALID, 'secrets/client.crt'));
  assert.deepEqual(bearer!.staticConfigs[0]!.targets, ['app-1:8443', 'app-2:8443']);
});

test('an empty configuration has Prometheus global defaults', () => {
  const { config } = parseConfig('', 'prometheus.yml');
  assert.equal(config.global.scrapeInterval, 60_000);
  assert.equal(config.global.scrapeTimeout, 10_000);
  assert.equal(config.global.evaluationInterval, 60_000);
  assert.equal(config.global.ruleQueryOffset, 0);
  assert.equal(config.global.queryLogFile, '');
  assert.ok(config.global.externalLabels.isEmpty());
  assert.deepEqual(config.scrapeConfigs, []);
  assert.deepEqual(config.ruleFiles, []);
  assert.deepEqual(config.alerting, { alertRelabelConfigs: [], alertmanagers: [] });
  // A short global interval caps the default timeout.
  assert.equal(parseConfig('global:\n  scrape_interval: 5s\n', 'p.yml').config.global.scrapeTimeout, 5_000);
});

test('remote write and read defaults are Prometheus defaults', () => {
  const { config } = parseConfig('remote_write:\n  - url: http://w/push\nremote_read:\n  - url: http://r/read\n', 'p.yml');
  const w = config.remoteWrite[0]!;
  assert.equal(w.remoteTimeout, 30_000);
  assert.deepEqual(
    [w.queueConfig.capacity, w.queueConfig.maxShards, w.queueConfig.minShards, w.queueConfig.maxSamplesPerSend],
    [10_000, 50, 1, 2000],
  );
  assert.deepEqual([w.queueConfig.batchSendDeadline, w.queueConfig.minBackoff, w.queueConfig.maxBackoff], [5_000, 30, 5_000]);
  assert.equal(w.protobufMessage, 'prometheus.WriteRequest');
  assert.deepEqual(w.metadataConfig, { send: true, sendInterval: 60_000, maxSamplesPerSend: 2000 });
  const r = config.remoteRead[0]!;
  assert.equal(r.remoteTimeout, 60_000);
  assert.equal(r.chunkedReadLimit, 50_000_000);
  assert.throws(() => parseConfig('remote_write:\n  - url: http://w\n    headers:\n      Authorization: x\n', 'p.yml'), /remote_write\[0\]\.headers\.Authorization: the Authorization header/);
  assert.throws(() => parseConfig('remote_write:\n  - url: http://w\n    headers:\n      User-Agent: x\n', 'p.yml'), /User-Agent is a reserved header/);
  assert.throws(
    () => parseConfig('remote_write:\n  - url: http://a\n    name: x\n  - url: http://b\n    name: x\n', 'p.yml'),
    /: p\.yml:5:11: remote_write\[1\]\.name: name "x" is already used by remote_write\[0\]/,
  );
  assert.throws(() => parseConfig('remote_write:\n  - url: http://a\n    queue_config:\n      capacity: 0\n', 'p.yml'), /capacity: expected a positive integer, received 0/);
});

test('unimplemented Prometheus sections and fields are warnings naming them', async () => {
  const { warnings } = await loadConfigFile(join(VALID, 'unimplemented_sd.yml'));
  assert.deepEqual(
    warnings.map((w) => [w.line, w.fieldPath]),
    [
      [5, 'scrape_configs[0].dns_sd_configs'],
      [8, 'scrape_configs[1].ec2_sd_configs'],
      [15, 'scrape_configs[2].oauth2'],
    ],
  );
  const top = parseConfig('otlp:\n  translation_strategy: NoTranslation\ntracing:\n  endpoint: x\n', 'p.yml');
  assert.deepEqual(top.warnings.map((w) => w.message), [
    'p.yml:1:1: otlp: is not implemented in Vigil yet and is ignored',
    'p.yml:3:1: tracing: is not implemented in Vigil yet and is ignored',
  ]);
});

test('Prometheus 3 features: UTF-8 names, protocols, escaping', async () => {
  const { config } = await loadConfigFile(join(VALID, 'prometheus3_features.yml'));
  assert.equal(config.global.externalLabels.get('k8s.cluster.name'), 'prod');
  assert.deepEqual(config.global.scrapeProtocols, ['PrometheusText0.0.4', 'OpenMetricsText1.0.0']);
  assert.equal(config.global.ruleQueryOffset, 10_000);
  const [otel, legacy] = config.scrapeConfigs;
  assert.deepEqual(otel!.scrapeProtocols, ['PrometheusText0.0.4', 'OpenMetricsText1.0.0']);
  assert.equal(otel!.fallbackScrapeProtocol, 'PrometheusText0.0.4');
  assert.equal(otel!.metricNameEscapingScheme, 'underscores');
  assert.equal(otel!.enableCompression, false);
  assert.deepEqual(otel!.staticConfigs[0]!.labels, { 'service.name': 'collector' });
  assert.equal(legacy!.metricNameValidationScheme, 'legacy');
  assert.equal(legacy!.metricNameEscapingScheme, 'underscores');
  // Legacy global validation rejects UTF-8 external label names.
  assert.throws(
    () => parseConfig('global:\n  metric_name_validation_scheme: legacy\n  external_labels:\n    a.b: x\n', 'p.yml'),
    /: p\.yml:4:5: global\.external_labels\["a\.b"\]: expected a valid label name/,
  );
});

test('the storage section is validated (and reported as not applied yet)', () => {
  const text = 'storage:\n  tsdb:\n    out_of_order_time_window: 30m\n    retention:\n      time: 30d\n      size: 512MB\n      percentage: 0.5\n    chunk_encoding:\n      floats: xor2\n  exemplars:\n    max_exemplars: 5\n';
  const { config, warnings } = parseConfig(text, 'p.yml');
  assert.deepEqual(config.storage, {
    tsdb: {
      outOfOrderTimeWindow: 30 * 60_000,
      staleSeriesCompactionThreshold: 0,
      chunkEncodingFloats: 'xor2',
      retention: { time: 30 * 86_400_000, size: 512 * 1024 * 1024, percentage: 0.5 },
    },
    exemplars: { maxExemplars: 5 },
  });
  assert.deepEqual(warnings.map((w) => w.message), ['p.yml:1:1: storage: is validated but not applied by Vigil yet']);
  assert.equal(parseConfig('', 'p.yml').config.storage.exemplars.maxExemplars, 100_000);
  const again = parseConfig(configToYaml(config), EMBEDDED_CONFIG_FILE).config;
  assert.deepEqual(again.storage, config.storage);
  const bad: [string, RegExp][] = [
    ['storage:\n  tsdb:\n    retention:\n      percentage: 101\n', /p\.yml:4:19: storage\.tsdb\.retention\.percentage: expected a percentage between 0 and 100, received 101/],
    ['storage:\n  tsdb:\n    retention:\n      size: -1GB\n', /storage\.tsdb\.retention\.size: expected a size of at least 0/],
    ['storage:\n  tsdb:\n    retention:\n      time: -1h\n', /storage\.tsdb\.retention\.time: expected a duration/],
    ['storage:\n  tsdb:\n    chunk_encoding:\n      floats: XOR\n', /storage\.tsdb\.chunk_encoding\.floats: expected xor or xor2 \(or no value\), received "XOR"/],
    ['storage:\n  tsdb:\n    retention_time: 1d\n', /storage\.tsdb\.retention_time: unknown field/],
  ];
  for (const [t, want] of bad) assert.throws(() => parseConfig(t, 'p.yml'), want);
});

test('!!binary scalars must be base64 of UTF-8 text', () => {
  assert.equal(parseConfig('global:\n  external_labels:\n    a: !!binary aGVsbG8=\n', 'p.yml').config.global.externalLabels.get('a'), 'hello');
  assert.throws(() => parseConfig('global:\n  external_labels:\n    a: !!binary "/w=="\n', 'p.yml'), /global\.external_labels\.a: expected valid UTF-8 text/);
  assert.throws(
    () => parseConfig('scrape_configs:\n  - job_name: a\n    relabel_configs:\n      - action: labelmap\n        replacement: !!binary "/w==$1"\n', 'p.yml'),
    /relabel_configs\[0\]\.replacement: !!binary value contains invalid base64 data/,
  );
});

test('external label values expand environment variables as Prometheus does', () => {
  const env = { REGION: 'eu', EMPTY: '' };
  // biome-ignore lint/suspicious/noTemplateCurlyInString: Prometheus ${VAR} syntax, not a template
  assert.equal(expandEnv('$REGION-${REGION}', env), 'eu-eu');
  assert.equal(expandEnv('cost $$5', env), 'cost $5');
  assert.equal(expandEnv('$UNSET|$EMPTY|', env), '||');
  assert.equal(expandEnv('a$', env), 'a$');
  // biome-ignore lint/suspicious/noTemplateCurlyInString: Prometheus ${VAR} syntax, not a template
  assert.equal(expandEnv('x${}y', env), 'xy');
  // biome-ignore lint/suspicious/noTemplateCurlyInString: Prometheus ${VAR} syntax, not a template
  const { config } = parseConfig('global:\n  external_labels:\n    region: ${REGION}\n', 'p.yml', { env });
  assert.equal(config.global.externalLabels.get('region'), 'eu');
});

test('the embedded default scrapes Vigil itself and its cluster; without the cluster jobs it matches its dumped example', () => {
  const c = embeddedDefaultConfig(9123);
  assert.equal(c.file, EMBEDDED_CONFIG_FILE);
  assert.equal(c.global.scrapeInterval, 15_000);
  assert.equal(c.global.evaluationInterval, 15_000);
  assert.deepEqual(
    c.scrapeConfigs.map((j) => [j.jobName, j.metricsPath]),
    [
      ['vigil', '/metrics'],
      ['demo', '/demo/metrics'],
      ['vigil-nodes', '/metrics'],
      ['vigil-pods', '/metrics'],
    ],
  );
  assert.deepEqual(c.scrapeConfigs[2]!.vigilSdConfigs, [{ role: 'node', namespaces: [], server: '' }]);
  assert.deepEqual(c.scrapeConfigs[3]!.vigilSdConfigs, [{ role: 'pod', namespaces: [], server: '' }]);
  assert.deepEqual(
    embeddedDefaultConfig(9123, { cluster: false }).scrapeConfigs.map((j) => j.jobName),
    ['vigil', 'demo'],
  );
  assert.deepEqual(c.scrapeConfigs[0]!.staticConfigs, [{ targets: ['localhost:9123'], labels: {} }]);
  assert.deepEqual(c.scrapeConfigs[1]!.staticConfigs, [{ targets: ['localhost:9123'], labels: {} }]);
  assert.equal(c.original, embeddedDefaultConfigText(9123));
  // The dumped example is plain Prometheus configuration (real Prometheus reads it in the differential tests).
  assert.equal(readFileSync(join(VALID, 'embedded_default.yml'), 'utf8'), embeddedDefaultConfigText(9090, { cluster: false }));
});

test('configToYaml prints the effective configuration, which parses back to the same configuration', async () => {
  for (const f of ['prometheus3_features.yml', 'minimal.yml', 'embedded_default.yml', 'empty.yml']) {
    const { config } = await loadConfigFile(join(VALID, f));
    const yaml = configToYaml(config);
    const again = parseConfig(yaml, EMBEDDED_CONFIG_FILE).config;
    assert.equal(configToYaml(again), yaml, f);
    assert.deepEqual(again.global, config.global, f);
    assert.deepEqual(JSON.stringify(again.scrapeConfigs), JSON.stringify(config.scrapeConfigs), f);
  }
  const y = configToYaml((await loadConfigFile(join(VALID, 'minimal.yml'))).config);
  // Defaults are filled in.
  assert.match(y, /scrape_interval: 1m/);
  assert.match(y, /scrape_timeout: 10s/);
  assert.match(y, /metrics_path: \/metrics/);
  assert.match(y, /honor_timestamps: true/);
});

test('configToYaml masks secrets', async () => {
  const y = configToYaml((await loadConfigFile(join(VALID, 'prometheus.yml'))).config);
  assert.doesNotMatch(y, /s3cret|abc123/);
  // Headers are not secrets in Prometheus either.
  assert.match(y, /X-Scope-OrgID: tenant-1/);
  assert.match(y, /password: <secret>/);
  assert.match(y, /credentials: <secret>/);
  // Relabel source labels print in flow style, as Prometheus prints them.
  assert.match(y, /- source_labels: \[__address__\]\n/);
});

test('loadConfigFile names the path of a missing, unreadable or oversized file', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-config-'));
  try {
    const missing = join(dir, 'nope.yml');
    await assert.rejects(loadConfigFile(missing), (e: unknown) => {
      assert.ok(e instanceof ConfigError);
      assert.equal(e.code, 'read_failed');
      assert.equal(e.message, `${missing}: cannot read configuration file: no such file`);
      return true;
    });
    await assert.rejects(loadConfigFile(dir), { code: 'read_failed', message: `${dir}: cannot read configuration file: it is a directory` });
    const big = join(dir, 'big.yml');
    writeFileSync(big, `# ${'x'.repeat(33 * 1024 * 1024)}\n`);
    await assert.rejects(loadConfigFile(big), { code: 'too_large' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('scrape_config_files: jobs from other files are validated against global and appended', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-scf-'));
  try {
    mkdirSync(join(dir, 'jobs'));
    writeFileSync(join(dir, 'jobs/a.yml'), "scrape_configs:\n  - job_name: a\n    file_sd_configs:\n      - files: ['sd/*.json']\n");
    writeFileSync(join(dir, 'jobs/b.yml'), 'scrape_configs:\n  - job_name: b\n    scrape_interval: 5s\n');
    const main = join(dir, 'prometheus.yml');
    writeFileSync(main, 'global:\n  scrape_interval: 20s\nscrape_config_files: [jobs/*.yml]\nscrape_configs:\n  - job_name: main\n');
    const { config } = await loadConfigFile(main);
    assert.deepEqual(config.scrapeConfigFiles, [join(dir, 'jobs/*.yml')]);
    assert.deepEqual(
      config.scrapeConfigs.map((s) => [s.jobName, s.scrapeInterval]),
      [
        ['main', 20_000],
        ['a', 20_000],
        ['b', 5_000],
      ],
    );
    // Paths in an included file are relative to that file.
    assert.deepEqual(config.scrapeConfigs[1]!.fileSdConfigs[0]!.files, [join(dir, 'jobs/sd/*.json')]);
    // parseConfig alone reads no files.
    assert.deepEqual(parseConfig(readFileSync(main, 'utf8'), main).config.scrapeConfigs.map((s) => s.jobName), ['main']);
    // The effective configuration lists the included jobs inline and stands alone.
    const again = parseConfig(configToYaml(config), EMBEDDED_CONFIG_FILE).config;
    assert.deepEqual(again.scrapeConfigs.map((s) => s.jobName), ['main', 'a', 'b']);
    assert.deepEqual(again.scrapeConfigFiles, []);

    writeFileSync(join(dir, 'jobs/c.yml'), 'scrape_configs:\n  - job_name: main\n');
    await assert.rejects(loadConfigFile(main), {
      code: 'duplicate',
      message: `${join(dir, 'jobs/c.yml')}:2:15: scrape_configs[0].job_name: job name "main" is already used by scrape_configs[0] of ${main}`,
    });
    writeFileSync(join(dir, 'jobs/c.yml'), 'global:\n  scrape_interval: 1s\n');
    await assert.rejects(loadConfigFile(main), { code: 'unknown_field', message: new RegExp(`^${join(dir, 'jobs/c.yml')}:1:1: global: unknown field`) });
    writeFileSync(join(dir, 'jobs/c.yml'), 'scrape_configs:\n  - job_name: c\n    scrape_timeout: 1m\n');
    // The global interval (20s) applies to included jobs too.
    await assert.rejects(loadConfigFile(main), { message: /c\.yml:3:5: scrape_configs\[0\]\.scrape_timeout \(1m\) is longer than scrape_interval \(20s\)/ });
    assert.throws(() => parseConfig('scrape_config_files: ["a/*/b.yml"]\n', 'p.yml'), /p\.yml:1:23: scrape_config_files\[0\]: expected a file path or glob/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('parseConfig is pure: it reads no files and repeated calls give equal results', () => {
  const text = 'rule_files: [does/not/exist.yml]\nscrape_configs:\n  - job_name: a\n    file_sd_configs:\n      - files: [missing/*.json]\n';
  const a = parseConfig(text, '/nowhere/prometheus.yml');
  const b = parseConfig(text, '/nowhere/prometheus.yml');
  assert.deepEqual(a.config.ruleFiles, ['/nowhere/does/not/exist.yml']);
  assert.equal(configToYaml(a.config), configToYaml(b.config));
  // A failing parse leaves a previously parsed configuration untouched.
  const before = configToYaml(a.config);
  assert.throws(() => parseConfig(`${text}  - job_name: a\n`, '/nowhere/prometheus.yml'), /already used/);
  assert.equal(configToYaml(a.config), before);
});

test('rule_files entries may use * only in the last path element', () => {
  assert.throws(() => parseConfig('rule_files:\n  - ok.yml\n  - "rules/*/x.yml"\n', 'p.yml'), /: p\.yml:3:5: rule_files\[1\]: expected a file path or glob/);
});
