/**
 * Loads prometheus.yml: the `global` section and the assembly of every part's section
 * (`scrape_configs`, `rule_files`, `alerting`, `remote_write`, `remote_read`) into one
 * `VigilConfig`, with Prometheus's defaults and validation.
 *
 * `parseConfig` is pure (no I/O, no shared state), so a reload that fails simply keeps
 * the previous `VigilConfig`. Errors are `ConfigError`s whose message reads
 * `FILE:LINE:COL: field.path: what was expected, what was received`; fields Prometheus
 * knows but Vigil does not implement yet come back as `ConfigWarning`s.
 */
import { readFile, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { Document, isScalar, isSeq, visit } from 'yaml';
import { type AlertingConfig, alertingConfigToYaml, parseAlertingConfig, parseRuleFiles } from '../alert/config.js';
import { joinDir } from '../scrape/http_client_config.js';
import { parseScrapeConfigs, type ScrapeConfig, type ScrapeGlobals, scrapeConfigToYaml } from '../scrape/config.js';
import { parseEscapingScheme, parseScrapeProtocols, parseValidationScheme } from '../scrape/config.js';
import { ConfigDoc, ConfigError, type ConfigWarning, type MapReader, validLabelName, validLabelValue } from '../tsdb/config_reader.js';
import { formatDuration } from '../tsdb/duration.js';
import { withScrapeConfigFiles } from './scrape_config_files.js';
import { Labels } from '../tsdb/labels.js';
import {
  parseRemoteReadConfigs,
  parseRemoteWriteConfigs,
  type RemoteReadConfig,
  remoteReadConfigToYaml,
  type RemoteWriteConfig,
  remoteWriteConfigToYaml,
} from '../tsdb/remote/config.js';
import { formatSize } from '../tsdb/size.js';
import { defaultStorageConfig, parseStorageConfig, type StorageConfig, storageConfigToYaml } from '../tsdb/storage_config.js';

export { ConfigError, ConfigWarning } from '../tsdb/config_reader.js';

/** The whole configuration, every default filled in. Durations are milliseconds, sizes bytes. */
export interface VigilConfig {
  global: GlobalConfig;
  /**
   * Every scrape config: those of the file itself, then (after `loadConfigFile`) those
   * of the files `scrapeConfigFiles` matched. `parseConfig` reads no files, so there only the former.
   */
  scrapeConfigs: ScrapeConfig[];
  /** `scrape_config_files` globs, resolved against the configuration file's directory. */
  scrapeConfigFiles: string[];
  /** Globs, resolved against the configuration file's directory. */
  ruleFiles: string[];
  alerting: AlertingConfig;
  remoteWrite: RemoteWriteConfig[];
  remoteRead: RemoteReadConfig[];
  /** The `storage` section (TSDB retention and out-of-order window, exemplars); zero values = flags apply. */
  storage: StorageConfig;
  /** original YAML text, for /api/v1/status/config */
  original: string;
  /** absolute path of the file, or '<embedded default>' */
  file: string;
}

/** The `global` section. Scrape-related fields are the fallbacks of every scrape config. */
export interface GlobalConfig extends ScrapeGlobals {
  /** Milliseconds; default 1m. */
  evaluationInterval: number;
  /** Added to series and alerts sent outside (federation, remote write, Alertmanager). */
  externalLabels: Labels;
  /** File PromQL queries are logged to; `''` = none. */
  queryLogFile: string;
  /** Milliseconds rule evaluation looks back by default; default 0. */
  ruleQueryOffset: number;
}

/** The `file` of a configuration that did not come from a file. */
export const EMBEDDED_CONFIG_FILE = '<embedded default>';

/** Configuration files larger than this are refused (they are read into memory whole). */
export const MAX_CONFIG_FILE_BYTES = 32 * 1024 * 1024;

export const DEFAULT_SCRAPE_INTERVAL_MS = 60_000;
export const DEFAULT_SCRAPE_TIMEOUT_MS = 10_000;
export const DEFAULT_EVALUATION_INTERVAL_MS = 60_000;

const TOP_FIELDS = ['global', 'alerting', 'rule_files', 'scrape_config_files', 'scrape_configs', 'storage', 'remote_write', 'remote_read'];
const TOP_UNIMPLEMENTED = ['runtime', 'tracing', 'otlp'];

const GLOBAL_FIELDS = [
  'scrape_interval',
  'scrape_timeout',
  'scrape_protocols',
  'evaluation_interval',
  'rule_query_offset',
  'query_log_file',
  'external_labels',
  'body_size_limit',
  'sample_limit',
  'target_limit',
  'label_limit',
  'label_name_length_limit',
  'label_value_length_limit',
  'keep_dropped_targets',
  'metric_name_validation_scheme',
  'metric_name_escaping_scheme',
  'extra_scrape_metrics',
];
const GLOBAL_UNIMPLEMENTED = [
  'scrape_failure_log_file',
  'scrape_native_histograms',
  'convert_classic_histograms_to_nhcb',
  'always_scrape_classic_histograms',
];

/** Options of `parseConfig`. */
export interface ParseConfigOptions {
  /** Environment for `$VAR` expansion in external label values; default `process.env`. */
  env?: Readonly<Record<string, string | undefined>>;
}

/**
 * Expands `$VAR` and `${VAR}` as Go's os.Expand does for Prometheus's external labels:
 * `$$` is a literal `$`, unset variables expand to `''`, a `$` not followed by a name stays.
 */
export function expandEnv(s: string, env: Readonly<Record<string, string | undefined>>): string {
  return s.replace(
    /\$(?:\{([^}]*)\}|(\{)|([*#$@!?\-0-9])|([A-Za-z_][A-Za-z0-9_]*))?/g,
    (whole: string, braced?: string, open?: string, special?: string, plain?: string) => {
      // Prometheus maps "$$" to a literal "$".
      if (special === '$') return '$';
      // "${}" and an unclosed "${" are bad syntax, which Go's os.Expand swallows.
      if (open !== undefined || braced === '') return '';
      const name = braced ?? special ?? plain;
      if (name === undefined) return whole; // a lone '$' stays
      return env[name] ?? '';
    },
  );
}

function parseGlobal(root: MapReader, dir: string, env: Readonly<Record<string, string | undefined>>): GlobalConfig {
  const r = root.map('global');
  const g: GlobalConfig = {
    scrapeInterval: DEFAULT_SCRAPE_INTERVAL_MS,
    scrapeTimeout: DEFAULT_SCRAPE_TIMEOUT_MS,
    scrapeProtocols: null,
    evaluationInterval: DEFAULT_EVALUATION_INTERVAL_MS,
    ruleQueryOffset: 0,
    queryLogFile: '',
    externalLabels: Labels.EMPTY,
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
  if (r === null) return g;
  r.fields(GLOBAL_FIELDS, GLOBAL_UNIMPLEMENTED);
  g.metricNameValidationScheme = parseValidationScheme(r) || 'utf8';
  g.metricNameEscapingScheme = parseEscapingScheme(r);
  const labels = r.strMap('external_labels');
  const lm = r.map('external_labels');
  for (const [name, value] of Object.entries(labels)) {
    if (!validLabelName(name, g.metricNameValidationScheme)) {
      throw lm!.errorAt(name, 'bad_value', `expected a valid label name, received ${JSON.stringify(name)}`);
    }
    if (!validLabelValue(value)) throw lm!.valueError(name, 'bad_value', `expected a valid UTF-8 label value, received ${JSON.stringify(value)}`);
  }
  g.externalLabels = Labels.from(Object.entries(labels).map(([n, v]) => [n, expandEnv(v, env)] as const));
  // First the interval, then the timeout (explicit or inferred) must not exceed it.
  g.scrapeInterval = r.duration('scrape_interval', 0) || DEFAULT_SCRAPE_INTERVAL_MS;
  const timeout = r.duration('scrape_timeout', 0);
  if (timeout > g.scrapeInterval) {
    throw r.errorAt(
      'scrape_timeout',
      'invalid',
      `(${formatDuration(timeout)}) is longer than scrape_interval (${formatDuration(g.scrapeInterval)})`,
      true,
    );
  }
  g.scrapeTimeout = timeout === 0 ? Math.min(DEFAULT_SCRAPE_TIMEOUT_MS, g.scrapeInterval) : timeout;
  g.evaluationInterval = r.duration('evaluation_interval', 0) || DEFAULT_EVALUATION_INTERVAL_MS;
  g.ruleQueryOffset = r.duration('rule_query_offset', 0);
  g.scrapeProtocols = parseScrapeProtocols(r, 'scrape_protocols');
  g.queryLogFile = joinDir(dir, r.str('query_log_file'));
  g.bodySizeLimit = r.size('body_size_limit', 0);
  g.sampleLimit = r.uint('sample_limit', 0);
  g.targetLimit = r.uint('target_limit', 0);
  g.labelLimit = r.uint('label_limit', 0);
  g.labelNameLengthLimit = r.uint('label_name_length_limit', 0);
  g.labelValueLengthLimit = r.uint('label_value_length_limit', 0);
  g.keepDroppedTargets = r.uint('keep_dropped_targets', 0);
  g.extraScrapeMetrics = r.bool('extra_scrape_metrics', false);
  return g;
}

/**
 * Parses and validates a configuration. `file` names the source in messages (as given)
 * and is the base for relative paths; pass `EMBEDDED_CONFIG_FILE` for built-in text.
 * Pure: reads no files. Throws `ConfigError`.
 */
export function parseConfig(
  text: string,
  file: string,
  options: ParseConfigOptions = {},
): { config: VigilConfig; warnings: ConfigWarning[] } {
  const doc = ConfigDoc.parse(text, file);
  const root = doc.root();
  root.fields(TOP_FIELDS, TOP_UNIMPLEMENTED);
  // Validated now, applied once the TSDB supports these settings.
  if (root.has('storage')) root.warn('storage', 'is validated but not applied by Vigil yet');
  const embedded = file === EMBEDDED_CONFIG_FILE;
  const dir = embedded ? '' : dirname(file);
  const global = parseGlobal(root, dir, options.env ?? process.env);
  const scheme = global.metricNameValidationScheme;
  const config: VigilConfig = {
    global,
    ruleFiles: parseRuleFiles(root, dir),
    scrapeConfigs: parseScrapeConfigs(root, global, dir),
    scrapeConfigFiles: root.globList('scrape_config_files', dir),
    alerting: parseAlertingConfig(root, dir, scheme),
    remoteWrite: parseRemoteWriteConfigs(root, dir, scheme),
    remoteRead: parseRemoteReadConfigs(root, dir),
    storage: parseStorageConfig(root),
    original: text,
    file: embedded ? EMBEDDED_CONFIG_FILE : resolve(file),
  };
  // In document order, whatever order the sections were read in.
  const warnings = [...doc.warnings].sort((x, y) => x.line - y.line || x.column - y.column);
  return { config, warnings };
}

/**
 * Reads and parses the configuration file at `path`. Throws `ConfigError` for an
 * invalid configuration, and (code `read_failed` / `too_large`, message naming the
 * path) for a file that is missing, unreadable or too large.
 */
export async function loadConfigFile(path: string): Promise<{ config: VigilConfig; warnings: ConfigWarning[] }> {
  const where = { file: path, line: 0, column: 0, fieldPath: '' };
  let text: string;
  try {
    const st = await stat(path);
    if (st.isDirectory()) throw new ConfigError('read_failed', where, 'cannot read configuration file: it is a directory');
    if (st.size > MAX_CONFIG_FILE_BYTES) {
      throw new ConfigError('too_large', where, `configuration file is ${st.size} bytes, more than the limit of ${MAX_CONFIG_FILE_BYTES}`);
    }
    text = await readFile(path, 'utf8');
  } catch (e) {
    if (e instanceof ConfigError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : e instanceof Error ? e.message : String(e);
    throw new ConfigError('read_failed', where, `cannot read configuration file: ${reason}`);
  }
  const parsed = parseConfig(text, path);
  const merged = await withScrapeConfigFiles(parsed.config);
  return { config: merged.config, warnings: [...parsed.warnings, ...merged.warnings] };
}

/**
 * The jobs of the embedded default that scrape the server's own cluster through
 * `vigil_sd_configs`: every node agent's `/metrics`, and pods annotated
 * `prometheus.io/scrape: "true"` with `prometheus.io/path`, `prometheus.io/port` and
 * `prometheus.io/scheme` overriding path, port and scheme, as in Prometheus's classic
 * Kubernetes example configuration.
 */
const CLUSTER_JOBS: readonly string[] = [
  "  # The cluster's nodes: each node agent's /metrics.",
  '  - job_name: vigil-nodes',
  '    vigil_sd_configs:',
  '      - role: node',
  '    relabel_configs:',
  '      - action: labelmap',
  '        regex: __meta_vigil_node_label_(.+)',
  '  # Pods that ask for it with the annotation prometheus.io/scrape: "true".',
  '  - job_name: vigil-pods',
  '    vigil_sd_configs:',
  '      - role: pod',
  '    relabel_configs:',
  '      - source_labels: [__meta_vigil_pod_annotation_prometheus_io_scrape]',
  '        action: keep',
  "        regex: 'true'",
  '      - source_labels: [__meta_vigil_pod_phase]',
  '        action: drop',
  '        regex: Pending|Succeeded|Failed',
  '      - source_labels: [__meta_vigil_pod_annotation_prometheus_io_scheme]',
  '        action: replace',
  '        regex: (https?)',
  '        target_label: __scheme__',
  '      - source_labels: [__meta_vigil_pod_annotation_prometheus_io_path]',
  '        action: replace',
  '        regex: (.+)',
  '        target_label: __metrics_path__',
  '      - source_labels: [__address__, __meta_vigil_pod_annotation_prometheus_io_port]',
  '        action: replace',
  "        regex: '([^:]+)(?::\\d+)?;(\\d+)'",
  '        replacement: $1:$2',
  '        target_label: __address__',
  '      - action: labelmap',
  '        regex: __meta_vigil_pod_label_(.+)',
  '      - source_labels: [__meta_vigil_namespace]',
  '        target_label: namespace',
  '      - source_labels: [__meta_vigil_pod_name]',
  '        target_label: pod',
  '      - source_labels: [__meta_vigil_pod_node_name]',
  '        target_label: node',
];

/** The quick-start demo's Deployment: namespace, name and replica bounds (cluster/demo/ creates it). */
export const DEMO_NAMESPACE = 'demo';
export const DEMO_DEPLOYMENT = 'web';

/**
 * The alerting rules of the quick-start demo (written by cluster/demo/ to
 * `<storage.tsdb.path>/demo/rules.yml`, which the embedded default then lists in
 * `rule_files`). The load per ready replica of `demo/web` is its scraped request
 * rate (`http_requests_total`, job `vigil-pods`) divided by the replicas being
 * scraped; above 5 requests/s per replica for 15 s the rule scales the Deployment
 * up by one, below 2 for 30 s down by one, each at most every 30 s while it fires.
 * The cluster actions clamp the count to the Deployment's `vigil.dev/min-replicas`
 * / `vigil.dev/max-replicas` annotations (2 and 6 for the demo).
 */
export function demoRulesText(): string {
  const sel = `namespace="${DEMO_NAMESPACE}", app="${DEMO_DEPLOYMENT}"`;
  const perReplica = `sum(rate(http_requests_total{${sel}}[1m])) / count(up{job="vigil-pods", ${sel}} == 1)`;
  const target = `deployment/${DEMO_NAMESPACE}/${DEMO_DEPLOYMENT}`;
  return [
    '# Vigil quick-start demo: autoscaling of deployment demo/web by its request rate per replica.',
    'groups:',
    '  - name: demo-autoscaling',
    '    interval: 15s',
    '    rules:',
    '      - record: demo:http_requests:rate1m_per_replica',
    `        expr: ${perReplica}`,
    '      - alert: DemoWebBusy',
    '        expr: demo:http_requests:rate1m_per_replica > 5',
    '        for: 15s',
    '        labels:',
    '          severity: info',
    `          namespace: ${DEMO_NAMESPACE}`,
    `          deployment: ${DEMO_DEPLOYMENT}`,
    '        annotations:',
    '          summary: "demo/web serves {{ $value | humanize }} requests/s per replica: scaling up"',
    `          action: "scale ${target} +1"`,
    '          action_cooldown: 30s',
    '      - alert: DemoWebIdle',
    '        expr: demo:http_requests:rate1m_per_replica < 2',
    '        for: 30s',
    '        labels:',
    '          severity: info',
    `          namespace: ${DEMO_NAMESPACE}`,
    `          deployment: ${DEMO_DEPLOYMENT}`,
    '        annotations:',
    '          summary: "demo/web serves {{ $value | humanize }} requests/s per replica: scaling down"',
    `          action: "scale ${target} -1"`,
    '          action_cooldown: 30s',
    '',
  ].join('\n');
}

/**
 * The YAML of the built-in default configuration (see `embeddedDefaultConfig`).
 * `cluster: false` leaves out the cluster jobs: what remains is plain Prometheus
 * configuration (test/configs/valid/embedded_default.yml). `demoRulesFile` (an
 * absolute path) adds it to `rule_files`: the quick-start demo's rules (`demoRulesText`).
 */
export function embeddedDefaultConfigText(listenPort: number, opts: { cluster?: boolean; demoRulesFile?: string | undefined } = {}): string {
  const rules = opts.demoRulesFile === undefined || opts.demoRulesFile === '' ? [] : ['rule_files:', '  # The quick-start demo\'s autoscaling rules (--no-demo leaves them out).', `  - ${JSON.stringify(opts.demoRulesFile)}`];
  return [
    '# Vigil built-in default configuration, used when --config.file was not given',
    '# and ./prometheus.yml does not exist.',
    'global:',
    "  # As Prometheus's shipped prometheus.yml: graphs fill within a minute.",
    '  scrape_interval: 15s',
    '  evaluation_interval: 15s',
    ...rules,
    'scrape_configs:',
    '  # Vigil scrapes its own /metrics, so a fresh server already has data.',
    '  - job_name: vigil',
    '    static_configs:',
    `      - targets: ['localhost:${listenPort}']`,
    '  # A simulated web application served by Vigil itself, for the quick start.',
    '  - job_name: demo',
    '    metrics_path: /demo/metrics',
    '    static_configs:',
    `      - targets: ['localhost:${listenPort}']`,
    ...(opts.cluster === false ? [] : CLUSTER_JOBS),
    '',
  ].join('\n');
}

/**
 * The configuration used when `--config.file` was not given and ./prometheus.yml does
 * not exist: Prometheus's global defaults and jobs scraping this server at
 * `localhost:<listenPort>`: `vigil` (its own `/metrics`) and `demo` (the built-in demo
 * exporter at `/demo/metrics`); unless `cluster: false`, also `vigil-nodes` (the
 * cluster's node agents) and `vigil-pods` (annotated pods); with `demoRulesFile`, the
 * quick-start demo's rules.
 */
export function embeddedDefaultConfig(listenPort: number, opts: { cluster?: boolean; demoRulesFile?: string | undefined } = {}): VigilConfig {
  return parseConfig(embeddedDefaultConfigText(listenPort, opts), EMBEDDED_CONFIG_FILE).config;
}

/** The `global` section as Prometheus prints it. */
function globalToYaml(g: GlobalConfig): Record<string, unknown> {
  const o: Record<string, unknown> = {
    scrape_interval: formatDuration(g.scrapeInterval),
    scrape_timeout: formatDuration(g.scrapeTimeout),
  };
  if (g.scrapeProtocols !== null) o.scrape_protocols = [...g.scrapeProtocols];
  o.evaluation_interval = formatDuration(g.evaluationInterval);
  o.rule_query_offset = formatDuration(g.ruleQueryOffset);
  if (g.queryLogFile !== '') o.query_log_file = g.queryLogFile;
  if (!g.externalLabels.isEmpty()) o.external_labels = g.externalLabels.toRecord();
  if (g.bodySizeLimit !== 0) o.body_size_limit = formatSize(g.bodySizeLimit);
  if (g.sampleLimit !== 0) o.sample_limit = g.sampleLimit;
  if (g.targetLimit !== 0) o.target_limit = g.targetLimit;
  if (g.labelLimit !== 0) o.label_limit = g.labelLimit;
  if (g.labelNameLengthLimit !== 0) o.label_name_length_limit = g.labelNameLengthLimit;
  if (g.labelValueLengthLimit !== 0) o.label_value_length_limit = g.labelValueLengthLimit;
  if (g.keepDroppedTargets !== 0) o.keep_dropped_targets = g.keepDroppedTargets;
  o.metric_name_validation_scheme = g.metricNameValidationScheme;
  if (g.metricNameEscapingScheme !== '') o.metric_name_escaping_scheme = g.metricNameEscapingScheme;
  o.extra_scrape_metrics = g.extraScrapeMetrics;
  return o;
}

/**
 * The effective configuration as YAML with every default filled in and secrets shown
 * as `<secret>`, like Prometheus's `/api/v1/status/config`. Scrape configs read from
 * `scrape_config_files` are listed inline (and the file list left out), so the output
 * stands alone: parsing it again yields an equivalent configuration (except for masked
 * secrets).
 */
export function configToYaml(cfg: VigilConfig): string {
  const o: Record<string, unknown> = { global: globalToYaml(cfg.global) };
  const alerting = alertingConfigToYaml(cfg.alerting);
  if (Object.keys(alerting).length > 0) o.alerting = alerting;
  if (cfg.ruleFiles.length > 0) o.rule_files = [...cfg.ruleFiles];
  if (cfg.scrapeConfigs.length > 0) o.scrape_configs = cfg.scrapeConfigs.map(scrapeConfigToYaml);
  if (cfg.remoteWrite.length > 0) o.remote_write = cfg.remoteWrite.map(remoteWriteConfigToYaml);
  if (cfg.remoteRead.length > 0) o.remote_read = cfg.remoteRead.map(remoteReadConfigToYaml);
  if (JSON.stringify(cfg.storage) !== JSON.stringify(defaultStorageConfig())) o.storage = storageConfigToYaml(cfg.storage);
  const doc = new Document(o, { aliasDuplicateObjects: false });
  // Prometheus prints relabel source labels in flow style: `source_labels: [__address__]`.
  visit(doc, {
    Pair(_, pair) {
      if (isScalar(pair.key) && pair.key.value === 'source_labels' && isSeq(pair.value)) pair.value.flow = true;
    },
  });
  return doc.toString({ lineWidth: 0, flowCollectionPadding: false });
}
