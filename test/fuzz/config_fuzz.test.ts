/**
 * Fuzz: the configuration loader (cmd/config.ts `parseConfig`, which reaches every part's
 * section parser: global, scrape, relabel, discovery, alerting, remote storage) and the
 * web config parser. Any input may only fail with a `ConfigError`, never hang.
 */
import { parseConfig } from '../../cmd/config.js';
import { parseWebConfig } from '../../cmd/web_config.js';
import { ConfigError } from '../../tsdb/config_reader.js';
import { fragmentText, fuzzTarget, mutated } from './fuzz_target.js';

const VALID = `global:
  scrape_interval: 15s
  evaluation_interval: 30s
  external_labels:
    site: eu-1
rule_files: ['rules/*.yml']
scrape_configs:
  - job_name: node
    scrape_timeout: 5s
    metrics_path: /metrics
    honor_labels: true
    body_size_limit: 10MB
    sample_limit: 1000
    static_configs:
      - targets: ['localhost:9100', 'h:1']
        labels: {env: prod}
    relabel_configs:
      - source_labels: [__address__]
        regex: '(.*):\\d+'
        target_label: instance
        replacement: '$1'
      - action: hashmod
        source_labels: [__address__]
        modulus: 4
        target_label: __tmp_shard
      - action: labelmap
        regex: '__meta_(.+)'
    metric_relabel_configs:
      - action: drop
        source_labels: [__name__]
        regex: 'go_.*|process_.*'
    file_sd_configs:
      - files: ['sd/*.json']
        refresh_interval: 1m
alerting:
  alertmanagers:
    - static_configs:
        - targets: ['am:9093']
remote_write:
  - url: http://rw.example/api/v1/write
    queue_config: {max_shards: 10}
`;

const FRAGMENTS = [
  'global:\n', '  scrape_interval: ', '15s', '1m30s', '0s', '-1s', '5 minutes', '\n', 'scrape_configs:\n', '  - job_name: ',
  'a', '"b"', '    static_configs:\n', '      - targets: [', "'x:1'", ']\n', '    relabel_configs:\n', '      - action: ',
  'replace', 'keep', 'drop', 'hashmod', 'labelmap', 'labeldrop', 'keepequal', 'lowercase', '        regex: ', '(.*)', '(a+)+$',
  '[', '\\', '(?P<n>x)', '        source_labels: [a, b]\n', '        modulus: ', '0', '18446744073709551616', '        target_label: ',
  '$' + '{1}', '$$', '        replacement: ', '&a ', '*a', '<<: *a\n', '!!binary ', 'AAAA', '~', 'null', 'true', 'yes', '{', '}',
  '- ', ': ', '  ', '    ', '#c\n', '---\n', '...\n', '%YAML 1.1\n', '"\\u0000"', "'", 'remote_write:\n', '  - url: ', 'http://x',
  'alerting:\n', '  alertmanagers:\n', 'rule_files: [', 'body_size_limit: ', '1KB', '10XB', 'scrape_timeout: ',
];

fuzzTarget('config loader (fragments)', (s: string) => parseConfig(s, '/fuzz/prometheus.yml', { env: {} }), fragmentText(FRAGMENTS, 80), [ConfigError]);
fuzzTarget('config loader (mutations)', (s: string) => parseConfig(s, '/fuzz/prometheus.yml', { env: {} }), mutated(VALID, 8), [ConfigError]);

const WEB_FRAGMENTS = [
  'tls_server_config:\n', '  cert_file: ', '/nonexistent.crt', '  key_file: ', '  client_auth_type: ', 'RequireAndVerifyClientCert',
  '  min_version: ', 'TLS13', '  cipher_suites: [', 'TLS_AES_128_GCM_SHA256', ']\n', 'http_server_config:\n', '  headers:\n',
  '    X-Frame-Options: ', 'deny', 'basic_auth_users:\n', '  alice: ', '$2y$10$QOauhQNbBCuQDKes6eFzPeMqBSjb7Mr5DUmpZ/VcEd00UAV/LDeSi',
  'basic_auth_scopes:\n', 'read', 'admin', 'bearer_tokens:\n', '  - token_sha256: ', 'a'.repeat(64), '    scope: ', '\n', '{', '}', ': ',
];
fuzzTarget('web config parser (fragments)', (s: string) => parseWebConfig(s, '/fuzz/web.yml'), fragmentText(WEB_FRAGMENTS, 40), [ConfigError]);
