import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigDoc, ConfigError } from '../tsdb/config_reader.js';
import { DEFAULT_SCRAPE_PROTOCOLS, parseScrapeConfigs, type ScrapeConfig, scrapeConfigFingerprint, type ScrapeGlobals } from './config.js';
import { parseRelabelConfigs, type RelabelConfig } from './relabel_config.js';

const GLOBALS: ScrapeGlobals = {
  scrapeInterval: 60_000,
  scrapeTimeout: 10_000,
  scrapeProtocols: null,
  bodySizeLimit: 0,
  sampleLimit: 0,
  targetLimit: 0,
  labelLimit: 0,
  labelNameLengthLimit: 0,
  labelValueLengthLimit: 0,
  keepDroppedTargets: 0,
  metricNameValidationScheme: 'utf8',
  metricNameEscapingScheme: '',
  extraScrapeMetrics: false,
};

function jobs(yaml: string, g: Partial<ScrapeGlobals> = {}, dir = ''): { configs: ScrapeConfig[]; warnings: string[] } {
  const doc = ConfigDoc.parse(yaml, 'prometheus.yml');
  const configs = parseScrapeConfigs(doc.root(), { ...GLOBALS, ...g }, dir);
  return { configs, warnings: doc.warnings.map((w) => w.message) };
}

function job(yaml: string, g: Partial<ScrapeGlobals> = {}): ScrapeConfig {
  return jobs(yaml, g).configs[0]!;
}

function fails(yaml: string, message: string | RegExp, code?: string): void {
  assert.throws(
    () => jobs(yaml),
    (e: unknown) => {
      assert.ok(e instanceof ConfigError, String(e));
      if (typeof message === 'string') assert.equal(e.message, message);
      else assert.match(e.message, message);
      if (code !== undefined) assert.equal(e.code, code);
      return true;
    },
  );
}

function relabel(rules: string): RelabelConfig[] {
  const doc = ConfigDoc.parse(`r:\n${rules}`, 'r.yml');
  return parseRelabelConfigs(doc.root(), 'r', 'utf8');
}

test('a scrape config gets Prometheus defaults', () => {
  const c = job('scrape_configs:\n  - job_name: a\n');
  assert.equal(c.jobName, 'a');
  assert.equal(c.metricsPath, '/metrics');
  assert.equal(c.scheme, 'http');
  assert.equal(c.honorLabels, false);
  assert.equal(c.honorTimestamps, true);
  assert.equal(c.enableCompression, true);
  assert.equal(c.scrapeInterval, 60_000);
  assert.equal(c.scrapeTimeout, 10_000);
  assert.deepEqual(c.scrapeProtocols, DEFAULT_SCRAPE_PROTOCOLS);
  assert.equal(c.httpClientConfig.followRedirects, true);
  assert.equal(c.httpClientConfig.enableHttp2, true);
  assert.equal(c.httpClientConfig.basicAuth, null);
  assert.equal(c.metricNameValidationScheme, 'utf8');
  assert.equal(c.metricNameEscapingScheme, 'allow-utf-8');
  assert.deepEqual(c.staticConfigs, []);
  assert.deepEqual(c.relabelConfigs, []);
});

test('interval, timeout and limits fall back to global; the timeout never exceeds the interval', () => {
  const g = { scrapeInterval: 30_000, scrapeTimeout: 20_000, sampleLimit: 500, bodySizeLimit: 1024 };
  const [a, b, c] = jobs(
    'scrape_configs:\n  - job_name: a\n  - job_name: b\n    scrape_interval: 5s\n  - job_name: c\n    sample_limit: 7\n    body_size_limit: 1KB\n',
    g,
  ).configs;
  assert.equal(a!.scrapeInterval, 30_000);
  assert.equal(a!.scrapeTimeout, 20_000);
  assert.equal(a!.sampleLimit, 500);
  // A job interval shorter than the global timeout caps the inherited timeout.
  assert.equal(b!.scrapeInterval, 5_000);
  assert.equal(b!.scrapeTimeout, 5_000);
  assert.equal(c!.sampleLimit, 7);
  assert.equal(c!.bodySizeLimit, 1024);
});

test('an explicit scrape_timeout longer than scrape_interval is located at the timeout', () => {
  fails(
    'scrape_configs:\n  - job_name: a\n  - job_name: b\n    scrape_interval: 15s\n    scrape_timeout: 20s\n',
    'prometheus.yml:5:5: scrape_configs[1].scrape_timeout (20s) is longer than scrape_interval (15s)',
    'invalid',
  );
  // Inherited interval: still an error, the message shows the inherited value.
  fails('scrape_configs:\n  - job_name: a\n    scrape_timeout: 2m\n', 'prometheus.yml:3:5: scrape_configs[0].scrape_timeout (2m) is longer than scrape_interval (1m)');
});

test('job_name is required and unique', () => {
  fails('scrape_configs:\n  - scrape_interval: 1m\n', 'prometheus.yml:2:5: scrape_configs[0].job_name: job_name is required and must not be empty', 'missing_field');
  fails('scrape_configs:\n  - job_name: ""\n', /^prometheus\.yml:2:5: scrape_configs\[0\]\.job_name: job_name is required/);
  fails(
    'scrape_configs:\n  - job_name: x\n  - job_name: y\n  - job_name: x\n',
    'prometheus.yml:4:15: scrape_configs[2].job_name: job name "x" is already used by scrape_configs[0]',
    'duplicate',
  );
});

test('static_configs: targets and labels; URLs are rejected unless relabeling may fix them', () => {
  const c = job("scrape_configs:\n  - job_name: a\n    static_configs:\n      - targets: ['h:1', 'h:2']\n        labels: {env: prod}\n");
  assert.deepEqual(c.staticConfigs, [{ targets: ['h:1', 'h:2'], labels: { env: 'prod' } }]);
  fails(
    "scrape_configs:\n  - job_name: a\n    static_configs:\n      - targets: ['h:1', 'http://h:2/metrics']\n",
    /^prometheus\.yml:4:26: scrape_configs\[0\]\.static_configs\[0\]\.targets\[1\]: expected a host:port address, received "http:\/\/h:2\/metrics"/,
  );
  const ok = job(
    "scrape_configs:\n  - job_name: a\n    static_configs:\n      - targets: ['http://h/x']\n    relabel_configs:\n      - source_labels: [__address__]\n        target_label: __param_target\n",
  );
  assert.deepEqual(ok.staticConfigs[0]!.targets, ['http://h/x']);
  fails("scrape_configs:\n  - job_name: a\n    static_configs:\n      - targets: ['h:1']\n        hosts: [x]\n", /static_configs\[0\]\.hosts: unknown field "hosts"/, 'unknown_field');
});

test('file_sd_configs: defaults, file name rules and paths relative to the config directory', () => {
  const { configs } = jobs("scrape_configs:\n  - job_name: a\n    file_sd_configs:\n      - files: ['t/*.json', '/abs/x.yml']\n", {}, '/etc/prometheus');
  assert.deepEqual(configs[0]!.fileSdConfigs, [{ files: ['/etc/prometheus/t/*.json', '/abs/x.yml'], refreshInterval: 300_000 }]);
  fails("scrape_configs:\n  - job_name: a\n    file_sd_configs:\n      - files: ['t/*.txt']\n", /files\[0\]: expected a \.json, \.yml or \.yaml file name/);
  fails("scrape_configs:\n  - job_name: a\n    file_sd_configs:\n      - files: ['*/t.json']\n", /files\[0\]: expected a \.json/);
  fails('scrape_configs:\n  - job_name: a\n    file_sd_configs:\n      - refresh_interval: 1m\n', /needs at least one file name/);
});

test('http_sd_configs: default refresh 1m, URL must be http(s) with a host', () => {
  const c = job('scrape_configs:\n  - job_name: a\n    http_sd_configs:\n      - url: https://sd.example/targets\n');
  assert.equal(c.httpSdConfigs[0]!.url, 'https://sd.example/targets');
  assert.equal(c.httpSdConfigs[0]!.refreshInterval, 60_000);
  fails('scrape_configs:\n  - job_name: a\n    http_sd_configs:\n      - url: ftp://x/y\n', /http_sd_configs\[0\]\.url: expected an http or https URL, received "ftp:\/\/x\/y"/);
  fails('scrape_configs:\n  - job_name: a\n    http_sd_configs:\n      - refresh_interval: 5s\n', /needs a url/);
});

test('other service discovery mechanisms and HTTP client extras are warnings, not errors', () => {
  const { configs, warnings } = jobs(
    'scrape_configs:\n  - job_name: a\n    kubernetes_sd_configs:\n      - role: pod\n    consul_sd_configs:\n      - server: c:8500\n    proxy_url: http://proxy:3128\n',
  );
  assert.equal(configs.length, 1);
  assert.deepEqual(warnings, [
    'prometheus.yml:3:5: scrape_configs[0].kubernetes_sd_configs: is not implemented in Vigil yet and is ignored',
    'prometheus.yml:5:5: scrape_configs[0].consul_sd_configs: is not implemented in Vigil yet and is ignored',
    'prometheus.yml:7:5: scrape_configs[0].proxy_url: is not implemented in Vigil yet and is ignored',
  ]);
});

test('params, scheme, metrics_path and honor flags are read', () => {
  const c = job(
    'scrape_configs:\n  - job_name: a\n    params:\n      module: [http_2xx, tcp]\n    scheme: https\n    metrics_path: /probe\n    honor_labels: true\n    honor_timestamps: false\n',
  );
  assert.deepEqual(c.params, { module: ['http_2xx', 'tcp'] });
  assert.equal(c.scheme, 'https');
  assert.equal(c.metricsPath, '/probe');
  assert.equal(c.honorLabels, true);
  assert.equal(c.honorTimestamps, false);
});

test('scrape_protocols must be known and distinct; global protocols are inherited', () => {
  const c = job('scrape_configs:\n  - job_name: a\n', { scrapeProtocols: ['PrometheusText0.0.4'] });
  assert.deepEqual(c.scrapeProtocols, ['PrometheusText0.0.4']);
  fails('scrape_configs:\n  - job_name: a\n    scrape_protocols: [Proto9]\n', /scrape_protocols: expected scrape protocols among .*received "Proto9"/);
  fails('scrape_configs:\n  - job_name: a\n    scrape_protocols: [PrometheusProto, PrometheusProto]\n', /listed twice/, 'duplicate');
  fails('scrape_configs:\n  - job_name: a\n    scrape_protocols: []\n', /at least one scrape protocol/);
});

test('HTTP client: auth conflicts, bearer_token sugar, TLS client cert needs a key', () => {
  const bt = job('scrape_configs:\n  - job_name: a\n    bearer_token: tok\n');
  assert.deepEqual(bt.httpClientConfig.authorization, { type: 'Bearer', credentials: 'tok', credentialsFile: '' });
  const az = job('scrape_configs:\n  - job_name: a\n    authorization:\n      credentials: c\n');
  assert.equal(az.httpClientConfig.authorization!.type, 'Bearer');
  fails(
    'scrape_configs:\n  - job_name: a\n    basic_auth: {username: u, password: p}\n    authorization: {credentials: c}\n',
    /^prometheus\.yml:4:5: scrape_configs\[0\]\.authorization: at most one of basic_auth, oauth2 and authorization/,
  );
  fails('scrape_configs:\n  - job_name: a\n    authorization: {type: Basic, credentials: c}\n', /authorization type cannot be set to "basic"/);
  fails('scrape_configs:\n  - job_name: a\n    basic_auth: {username: u, password: p, password_file: f}\n', /at most one of basic_auth password and password_file/);
  fails('scrape_configs:\n  - job_name: a\n    tls_config: {cert_file: c.pem}\n', /exactly one of key or key_file must be configured/);
  fails('scrape_configs:\n  - job_name: a\n    tls_config: {min_version: TLS9}\n', /tls_config\.min_version: expected one of TLS10, TLS11, TLS12, TLS13/);
});

test('relabel rules get Prometheus defaults and anchored regexes', () => {
  const [r] = relabel('  - target_label: x\n');
  assert.deepEqual(r!.sourceLabels, []);
  assert.equal(r!.separator, ';');
  assert.equal(r!.regex.source, '(.*)');
  assert.equal(r!.replacement, '$1');
  assert.equal(r!.action, 'replace');
  const [k] = relabel('  - source_labels: [a, b]\n    regex: foo|bar\n    action: KEEP\n');
  assert.equal(k!.action, 'keep');
  // Fully anchored: "foo" matches, "foox" does not.
  assert.equal(k!.regex.matches('foo'), true);
  assert.equal(k!.regex.matches('foox'), false);
  assert.equal(k!.regex.matches('xbar'), false);
});

test('every relabel action is accepted with a valid rule', () => {
  const ok: Record<string, string> = {
    replace: '    target_label: t\n',
    keep: '    source_labels: [a]\n',
    drop: '    source_labels: [a]\n',
    keepequal: '    source_labels: [a]\n    target_label: b\n',
    dropequal: '    source_labels: [a]\n    target_label: b\n',
    hashmod: '    source_labels: [a]\n    target_label: b\n    modulus: 8\n',
    labelmap: '    regex: __meta_(.+)\n',
    labeldrop: '    regex: tmp_.*\n',
    labelkeep: '    regex: keep_.*\n',
    lowercase: '    source_labels: [a]\n    target_label: b\n',
    uppercase: '    source_labels: [a]\n    target_label: b\n',
  };
  for (const [action, body] of Object.entries(ok)) {
    const [r] = relabel(`  - action: ${action}\n${body}`);
    assert.equal(r!.action, action);
  }
});

test('relabel rules break Prometheus per-action rules with located errors', () => {
  const cases: [string, RegExp][] = [
    ['  - action: remove\n', /^r\.yml:2:13: r\[0\]\.action: unknown relabel action "remove"/],
    ['  - source_labels: [a]\n    regex: "(unclosed"\n', /^r\.yml:3:12: r\[0\]\.regex: expected an RE2 regular expression, received "\(unclosed"/],
    ['  - regex: "(?<=x)y"\n    target_label: t\n', /r\[0\]\.regex: expected an RE2 regular expression/],
    ['  - action: hashmod\n    target_label: t\n', /r\[0\]\.action: relabel action hashmod requires a non-zero modulus/],
    ['  - action: replace\n', /r\[0\]\.action: relabel action replace requires a target_label/],
    ['  - action: lowercase\n    source_labels: [a]\n', /requires a target_label/],
    // Under UTF-8 validation any well-formed string is a label name; a lone surrogate is not.
    ['  - target_label: "\\udc00"\n', /r\[0\]\.target_label: ".*" is not a valid target_label for relabel action replace/],
    ['  - action: uppercase\n    target_label: b\n    replacement: x\n', /r\[0\]\.replacement: replacement cannot be set for relabel action uppercase/],
    ['  - action: keepequal\n    target_label: b\n    regex: "(.*)"\n', /r\[0\]\.regex: relabel action keepequal takes only source_labels and target_label, not regex/],
    ['  - action: dropequal\n    target_label: b\n    separator: ","\n', /not separator/],
    ['  - action: labeldrop\n    regex: x\n    source_labels: [a]\n', /r\[0\]\.source_labels: relabel action labeldrop takes only regex, not source_labels/],
    ['  - action: labelkeep\n    target_label: x\n', /labelkeep takes only regex, not target_label/],
    ['  - source_labels: [""]\n    target_label: t\n', /r\[0\]\.source_labels\[0\]: expected a valid label name, received ""/],
    ['  - target_label: t\n    bogus: 1\n', /r\[0\]\.bogus: unknown field "bogus"/],
    ['  -\n', /empty or null relabel rule/],
  ];
  for (const [rules, want] of cases) {
    assert.throws(() => relabel(rules), (e: unknown) => e instanceof ConfigError && want.test(e.message), `rules ${JSON.stringify(rules)} should fail with ${want}`);
  }
});

test('legacy validation restricts relabel target labels to the classic charset', () => {
  const doc = ConfigDoc.parse('r:\n  - target_label: "a.b"\n', 'r.yml');
  assert.throws(() => parseRelabelConfigs(doc.root(), 'r', 'legacy'), /"a\.b" is not a valid target_label for relabel action replace/);
  assert.equal(parseRelabelConfigs(ConfigDoc.parse('r:\n  - target_label: "a.b"\n', 'r.yml').root(), 'r', 'utf8')[0]!.targetLabel, 'a.b');
  // $-references are allowed in legacy mode.
  // biome-ignore lint/suspicious/noTemplateCurlyInString: Prometheus ${VAR} syntax, not a template
  assert.equal(parseRelabelConfigs(ConfigDoc.parse('r:\n  - target_label: "x_${1}"\n', 'r.yml').root(), 'r', 'legacy').length, 1);
});

test('a legacy job cannot use allow-utf-8 escaping', () => {
  const c = job('scrape_configs:\n  - job_name: a\n    metric_name_validation_scheme: legacy\n');
  assert.equal(c.metricNameValidationScheme, 'legacy');
  assert.equal(c.metricNameEscapingScheme, 'underscores');
  fails(
    'scrape_configs:\n  - job_name: a\n    metric_name_validation_scheme: legacy\n    metric_name_escaping_scheme: allow-utf-8\n',
    /metric_name_escaping_scheme: metric_name_escaping_scheme allow-utf-8 requires metric_name_validation_scheme utf8/,
  );
  fails('scrape_configs:\n  - job_name: a\n    metric_name_validation_scheme: ascii\n', /expected utf8 or legacy, received "ascii"/);
});

test('scrapeConfigFingerprint tells changed jobs from unchanged ones, secrets and regexes included', () => {
  const base = 'scrape_configs:\n  - job_name: a\n    basic_auth: {username: u, password: p1}\n    relabel_configs:\n      - source_labels: [x]\n        regex: "a.*"\n        action: keep\n';
  const fp = (y: string): string => scrapeConfigFingerprint(job(y));
  assert.equal(fp(base), fp(base));
  // Same meaning, different spelling: equal.
  assert.equal(fp(base), fp(base.replace('action: keep', 'action: KEEP')));
  assert.notEqual(fp(base), fp(base.replace('p1', 'p2')));
  assert.notEqual(fp(base), fp(base.replace('a.*', 'b.*')));
  assert.notEqual(fp(base), fp(`${base}    scrape_interval: 30s\n`));
});
