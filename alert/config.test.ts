import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigDoc, ConfigError } from '../tsdb/config_reader.js';
import { type AlertingConfig, parseAlertingConfig, parseRuleFiles } from './config.js';

function alerting(yaml: string, dir = ''): { config: AlertingConfig; warnings: string[] } {
  const doc = ConfigDoc.parse(yaml, 'prometheus.yml');
  return { config: parseAlertingConfig(doc.root(), dir, 'utf8'), warnings: doc.warnings.map((w) => w.message) };
}

function fails(yaml: string, want: RegExp): void {
  assert.throws(
    () => alerting(yaml),
    (e: unknown) => e instanceof ConfigError && want.test(e.message),
    `expected ${want}`,
  );
}

test('no alerting section: no Alertmanagers and no relabeling', () => {
  assert.deepEqual(alerting('').config, { alertRelabelConfigs: [], alertmanagers: [] });
  assert.deepEqual(alerting('alerting:\n').config, { alertRelabelConfigs: [], alertmanagers: [] });
});

test('an Alertmanager config gets Prometheus defaults: http, 10s, api v2', () => {
  const am = alerting("alerting:\n  alertmanagers:\n    - static_configs:\n        - targets: ['am:9093']\n").config.alertmanagers[0]!;
  assert.equal(am.scheme, 'http');
  assert.equal(am.pathPrefix, '');
  assert.equal(am.timeout, 10_000);
  assert.equal(am.apiVersion, 'v2');
  assert.equal(am.httpClientConfig.followRedirects, true);
  assert.deepEqual(am.staticConfigs, [{ targets: ['am:9093'], labels: {} }]);
  assert.deepEqual(am.relabelConfigs, []);
});

test('Alertmanager fields, relabeling and file SD are read', () => {
  const { config } = alerting(
    [
      'alerting:',
      '  alert_relabel_configs:',
      '    - action: labeldrop',
      '      regex: replica',
      '  alertmanagers:',
      '    - scheme: https',
      '      path_prefix: /am',
      '      timeout: 3s',
      '      basic_auth: {username: u, password: p}',
      "      file_sd_configs: [{files: ['am/*.json']}]",
      '      relabel_configs:',
      '        - source_labels: [__meta_x]',
      '          action: keep',
      '      alert_relabel_configs:',
      '        - source_labels: [severity]',
      '          regex: debug',
      '          action: drop',
      '',
    ].join('\n'),
    '/etc/prometheus',
  );
  assert.equal(config.alertRelabelConfigs[0]!.action, 'labeldrop');
  const am = config.alertmanagers[0]!;
  assert.equal(am.scheme, 'https');
  assert.equal(am.pathPrefix, '/am');
  assert.equal(am.timeout, 3_000);
  assert.equal(am.httpClientConfig.basicAuth!.username, 'u');
  assert.deepEqual(am.fileSdConfigs[0]!.files, ['/etc/prometheus/am/*.json']);
  assert.equal(am.relabelConfigs[0]!.action, 'keep');
  assert.equal(am.alertRelabelConfigs[0]!.action, 'drop');
});

test('Alertmanager errors are located', () => {
  fails('alerting:\n  alertmanagers:\n    - api_version: v1\n', /prometheus\.yml:3:20: alerting\.alertmanagers\[0\]\.api_version: expected Alertmanager api_version v2/);
  fails('alerting:\n  alertmanagers:\n    - timeout: soon\n', /alerting\.alertmanagers\[0\]\.timeout: expected a duration/);
  fails("alerting:\n  alertmanagers:\n    - static_configs:\n        - targets: ['http://am:9093']\n", /alertmanagers\[0\]\.static_configs\[0\]\.targets\[0\]: expected a host:port address/);
  fails('alerting:\n  managers: []\n', /alerting\.managers: unknown field "managers"/);
  fails('alerting:\n  alert_relabel_configs:\n    - action: hashmod\n      target_label: x\n', /alerting\.alert_relabel_configs\[0\]\.action: relabel action hashmod requires a non-zero modulus/);
  fails('alerting:\n  alertmanagers:\n    -\n', /empty or null alertmanager config/);
  fails(
    'alerting:\n  alertmanagers:\n    - basic_auth: {username: u}\n      sigv4: {region: eu-west-1}\n',
    /alerting\.alertmanagers\[0\]\.sigv4: at most one of basic_auth, authorization, oauth2 and sigv4/,
  );
});

test('Alertmanager service discovery Vigil lacks is a warning', () => {
  const { config, warnings } = alerting('alerting:\n  alertmanagers:\n    - dns_sd_configs:\n        - names: [am.example]\n');
  assert.equal(config.alertmanagers.length, 1);
  assert.deepEqual(warnings, ['prometheus.yml:3:7: alerting.alertmanagers[0].dns_sd_configs: is not implemented in Vigil yet and is ignored']);
});

test('rule_files are globs joined with the configuration directory', () => {
  const root = ConfigDoc.parse("rule_files: ['rules/*.yml', '/abs/x.yml', 'r.yml']\n", 'p.yml').root();
  assert.deepEqual(parseRuleFiles(root, '/etc/prometheus'), ['/etc/prometheus/rules/*.yml', '/abs/x.yml', '/etc/prometheus/r.yml']);
  assert.deepEqual(parseRuleFiles(ConfigDoc.parse("rule_files: ['rules/*.yml']\n", 'p.yml').root(), ''), ['rules/*.yml']);
});
