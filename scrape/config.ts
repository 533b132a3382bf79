/**
 * The `scrape_configs` section of prometheus.yml: types, Prometheus's defaults
 * (`config/config.go` `DefaultScrapeConfig` and the global fallbacks) and validation.
 *
 * Each scrape config inherits `scrape_interval`, `scrape_timeout`, the limits,
 * `scrape_protocols`, the name validation/escaping schemes and `extra_scrape_metrics`
 * from `global` when it does not set them; an unset timeout becomes
 * `min(global timeout, interval)`; an explicit timeout longer than the interval is an error.
 */
import type { MapReader, NameValidationScheme } from '../tsdb/config_reader.js';
import { formatDuration } from '../tsdb/duration.js';
import { FastRegexMatcher } from '../tsdb/matcher.js';
import { formatSize } from '../tsdb/size.js';
import {
  DISCOVERY_FIELDS,
  DISCOVERY_UNIMPLEMENTED,
  type DiscoveryConfigs,
  discoveryConfigsToYaml,
  parseDiscoveryConfigs,
} from './discovery_config.js';
import {
  HTTP_CLIENT_FIELDS,
  HTTP_CLIENT_UNIMPLEMENTED,
  type HttpClientConfig,
  httpClientConfigToYaml,
  parseHttpClientConfig,
} from './http_client_config.js';
import { parseRelabelConfigs, type RelabelConfig, relabelConfigToYaml } from './relabel_config.js';

/** Exposition formats a scrape may negotiate (the `Accept` header), as named in the configuration. */
export type ScrapeProtocol =
  | 'PrometheusProto'
  | 'PrometheusText0.0.4'
  | 'PrometheusText1.0.0'
  | 'OpenMetricsText0.0.1'
  | 'OpenMetricsText1.0.0';

/** Media type of each protocol, for building the `Accept` header. */
export const SCRAPE_PROTOCOL_HEADERS: Readonly<Record<ScrapeProtocol, string>> = {
  PrometheusProto: 'application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited',
  'PrometheusText0.0.4': 'text/plain;version=0.0.4',
  'PrometheusText1.0.0': 'text/plain;version=1.0.0',
  'OpenMetricsText0.0.1': 'application/openmetrics-text;version=0.0.1',
  'OpenMetricsText1.0.0': 'application/openmetrics-text;version=1.0.0',
};

/** Prometheus's default preference order (native histograms off). */
export const DEFAULT_SCRAPE_PROTOCOLS: readonly ScrapeProtocol[] = [
  'OpenMetricsText1.0.0',
  'OpenMetricsText0.0.1',
  'PrometheusText1.0.0',
  'PrometheusText0.0.4',
];

/** Metric name escaping schemes a scrape may request. */
export const ESCAPING_SCHEMES = ['allow-utf-8', 'underscores', 'dots', 'values'] as const;

/** The global settings a scrape config falls back to (a subset of the global section). */
export interface ScrapeGlobals {
  /** Milliseconds; default 1m. */
  scrapeInterval: number;
  /** Milliseconds; default 10s (never longer than the interval). */
  scrapeTimeout: number;
  /** `null` when not set globally: each job then uses `DEFAULT_SCRAPE_PROTOCOLS`. */
  scrapeProtocols: ScrapeProtocol[] | null;
  /** Bytes; 0 = no limit. */
  bodySizeLimit: number;
  sampleLimit: number;
  targetLimit: number;
  labelLimit: number;
  labelNameLengthLimit: number;
  labelValueLengthLimit: number;
  keepDroppedTargets: number;
  metricNameValidationScheme: NameValidationScheme;
  /** `''` when not set: derived from the validation scheme. */
  metricNameEscapingScheme: string;
  extraScrapeMetrics: boolean;
}

/** One scrape job with every default filled in. Durations are milliseconds, sizes bytes. */
export interface ScrapeConfig extends DiscoveryConfigs {
  jobName: string;
  honorLabels: boolean;
  honorTimestamps: boolean;
  trackTimestampsStaleness: boolean;
  /** URL query parameters; each name may repeat. */
  params: Record<string, string[]>;
  scrapeInterval: number;
  scrapeTimeout: number;
  scrapeProtocols: ScrapeProtocol[];
  /** Used when a target's Content-Type is missing, unparsable or unknown; `''` = none: such a scrape fails (Prometheus 3). */
  fallbackScrapeProtocol: ScrapeProtocol | '';
  metricsPath: string;
  scheme: string;
  enableCompression: boolean;
  bodySizeLimit: number;
  sampleLimit: number;
  targetLimit: number;
  labelLimit: number;
  labelNameLengthLimit: number;
  labelValueLengthLimit: number;
  keepDroppedTargets: number;
  metricNameValidationScheme: NameValidationScheme;
  metricNameEscapingScheme: string;
  extraScrapeMetrics: boolean;
  httpClientConfig: HttpClientConfig;
  relabelConfigs: RelabelConfig[];
  metricRelabelConfigs: RelabelConfig[];
}

const SCRAPE_FIELDS = [
  'job_name',
  'honor_labels',
  'honor_timestamps',
  'track_timestamps_staleness',
  'params',
  'scrape_interval',
  'scrape_timeout',
  'scrape_protocols',
  'fallback_scrape_protocol',
  'metrics_path',
  'scheme',
  'enable_compression',
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
  'relabel_configs',
  'metric_relabel_configs',
  ...HTTP_CLIENT_FIELDS,
  ...DISCOVERY_FIELDS,
];

const SCRAPE_UNIMPLEMENTED = [
  'scrape_native_histograms',
  'always_scrape_classic_histograms',
  'convert_classic_histograms_to_nhcb',
  'native_histogram_bucket_limit',
  'native_histogram_min_bucket_factor',
  'scrape_failure_log_file',
  ...HTTP_CLIENT_UNIMPLEMENTED,
  ...DISCOVERY_UNIMPLEMENTED,
];

/** Reads a `scrape_protocols` list: known names, no duplicates (case-insensitively), not empty. */
export function parseScrapeProtocols(r: MapReader, key: string): ScrapeProtocol[] | null {
  if (!r.has(key)) return null;
  const list = r.strList(key);
  if (list.length === 0) throw r.valueError(key, 'bad_value', 'expected at least one scrape protocol, received an empty list');
  const seen = new Set<string>();
  list.forEach((p) => {
    if (!(p in SCRAPE_PROTOCOL_HEADERS)) {
      throw r.valueError(key, 'bad_value', `expected scrape protocols among ${Object.keys(SCRAPE_PROTOCOL_HEADERS).sort().join(', ')}, received ${JSON.stringify(p)}`);
    }
    if (seen.has(p.toLowerCase())) throw r.valueError(key, 'duplicate', `scrape protocol ${JSON.stringify(p)} is listed twice`);
    seen.add(p.toLowerCase());
  });
  return list as ScrapeProtocol[];
}

/** Reads a `metric_name_validation_scheme` value (`''` when absent). */
export function parseValidationScheme(r: MapReader): NameValidationScheme | '' {
  const v = r.str('metric_name_validation_scheme');
  if (v !== '' && v !== 'utf8' && v !== 'legacy') {
    throw r.valueError('metric_name_validation_scheme', 'bad_value', `expected utf8 or legacy, received ${JSON.stringify(v)}`);
  }
  return v;
}

/** Reads a `metric_name_escaping_scheme` value (`''` when absent). */
export function parseEscapingScheme(r: MapReader): string {
  const v = r.str('metric_name_escaping_scheme');
  if (v !== '' && !(ESCAPING_SCHEMES as readonly string[]).includes(v)) {
    throw r.valueError('metric_name_escaping_scheme', 'bad_value', `expected one of ${ESCAPING_SCHEMES.join(', ')}, received ${JSON.stringify(v)}`);
  }
  return v;
}

/**
 * Parses one scrape config mapping against the global settings. `dir` is the
 * configuration file's directory (for relative file paths; `''` leaves them as written).
 */
export function parseScrapeConfig(r: MapReader, g: ScrapeGlobals, dir: string): ScrapeConfig {
  r.fields(SCRAPE_FIELDS, SCRAPE_UNIMPLEMENTED);
  const jobName = r.str('job_name');
  if (jobName === '') throw r.errorAt('job_name', 'missing_field', 'job_name is required and must not be empty');

  const scrapeInterval = r.has('scrape_interval') ? r.duration('scrape_interval', 0) || g.scrapeInterval : g.scrapeInterval;
  const explicitTimeout = r.duration('scrape_timeout', 0);
  if (explicitTimeout > scrapeInterval) {
    throw r.errorAt(
      'scrape_timeout',
      'invalid',
      `(${formatDuration(explicitTimeout)}) is longer than scrape_interval (${formatDuration(scrapeInterval)})`,
      true,
    );
  }
  const scrapeTimeout = explicitTimeout === 0 ? Math.min(g.scrapeTimeout, scrapeInterval) : explicitTimeout;

  const scrapeProtocols = parseScrapeProtocols(r, 'scrape_protocols') ?? g.scrapeProtocols ?? [...DEFAULT_SCRAPE_PROTOCOLS];
  const fallback = r.str('fallback_scrape_protocol');
  if (fallback !== '' && !(fallback in SCRAPE_PROTOCOL_HEADERS)) {
    throw r.valueError('fallback_scrape_protocol', 'bad_value', `expected one of ${Object.keys(SCRAPE_PROTOCOL_HEADERS).sort().join(', ')}, received ${JSON.stringify(fallback)}`);
  }

  const localScheme = parseValidationScheme(r);
  const validation: NameValidationScheme = localScheme === '' ? g.metricNameValidationScheme : localScheme;
  let escaping = parseEscapingScheme(r);
  if (escaping === '') {
    if (localScheme === '') escaping = g.metricNameEscapingScheme || (g.metricNameValidationScheme === 'legacy' ? 'underscores' : 'allow-utf-8');
    else escaping = validation === 'legacy' ? 'underscores' : 'allow-utf-8';
  }
  if (escaping === 'allow-utf-8' && validation !== 'utf8') {
    throw r.errorAt(r.has('metric_name_escaping_scheme') ? 'metric_name_escaping_scheme' : 'metric_name_validation_scheme', 'invalid', 'metric_name_escaping_scheme allow-utf-8 requires metric_name_validation_scheme utf8');
  }

  const relabelConfigs = parseRelabelConfigs(r, 'relabel_configs', validation);
  const limit = (key: string, inherited: number): number => r.uint(key, 0) || inherited;
  const params: Record<string, string[]> = {};
  const pm = r.map('params');
  if (pm !== null) {
    for (const k of pm.keys()) params[k] = pm.strList(k);
  }
  return {
    jobName,
    honorLabels: r.bool('honor_labels', false),
    honorTimestamps: r.bool('honor_timestamps', true),
    trackTimestampsStaleness: r.bool('track_timestamps_staleness', false),
    params,
    scrapeInterval,
    scrapeTimeout,
    scrapeProtocols,
    fallbackScrapeProtocol: fallback as ScrapeProtocol | '',
    metricsPath: r.str('metrics_path') || '/metrics',
    scheme: r.str('scheme') || 'http',
    enableCompression: r.bool('enable_compression', true),
    bodySizeLimit: r.has('body_size_limit') ? r.size('body_size_limit', 0) || g.bodySizeLimit : g.bodySizeLimit,
    sampleLimit: limit('sample_limit', g.sampleLimit),
    targetLimit: limit('target_limit', g.targetLimit),
    labelLimit: limit('label_limit', g.labelLimit),
    labelNameLengthLimit: limit('label_name_length_limit', g.labelNameLengthLimit),
    labelValueLengthLimit: limit('label_value_length_limit', g.labelValueLengthLimit),
    keepDroppedTargets: limit('keep_dropped_targets', g.keepDroppedTargets),
    metricNameValidationScheme: validation,
    metricNameEscapingScheme: escaping,
    extraScrapeMetrics: r.bool('extra_scrape_metrics', g.extraScrapeMetrics),
    httpClientConfig: parseHttpClientConfig(r, dir),
    ...parseDiscoveryConfigs(r, dir, relabelConfigs.length === 0),
    relabelConfigs,
    metricRelabelConfigs: parseRelabelConfigs(r, 'metric_relabel_configs', validation),
  };
}

/**
 * Parses the `scrape_configs` list of the document root `root`; job names must be unique.
 */
export function parseScrapeConfigs(root: MapReader, g: ScrapeGlobals, dir: string): ScrapeConfig[] {
  const seen = new Map<string, number>();
  return root.mapList('scrape_configs', 'scrape config').map((r, i) => {
    const c = parseScrapeConfig(r, g, dir);
    const first = seen.get(c.jobName);
    if (first !== undefined) {
      throw r.valueError('job_name', 'duplicate', `job name ${JSON.stringify(c.jobName)} is already used by scrape_configs[${first}]`);
    }
    seen.set(c.jobName, i);
    return c;
  });
}

/** A scrape config as Prometheus prints it in the effective configuration (field order as there). */
export function scrapeConfigToYaml(c: ScrapeConfig): Record<string, unknown> {
  const o: Record<string, unknown> = { job_name: c.jobName, honor_labels: c.honorLabels, honor_timestamps: c.honorTimestamps };
  o.track_timestamps_staleness = c.trackTimestampsStaleness;
  if (Object.keys(c.params).length > 0) o.params = Object.fromEntries(Object.entries(c.params).map(([k, v]) => [k, [...v]]));
  o.scrape_interval = formatDuration(c.scrapeInterval);
  o.scrape_timeout = formatDuration(c.scrapeTimeout);
  o.scrape_protocols = [...c.scrapeProtocols];
  if (c.fallbackScrapeProtocol !== '') o.fallback_scrape_protocol = c.fallbackScrapeProtocol;
  o.metrics_path = c.metricsPath;
  o.scheme = c.scheme;
  o.enable_compression = c.enableCompression;
  if (c.bodySizeLimit !== 0) o.body_size_limit = formatSize(c.bodySizeLimit);
  if (c.sampleLimit !== 0) o.sample_limit = c.sampleLimit;
  if (c.targetLimit !== 0) o.target_limit = c.targetLimit;
  if (c.labelLimit !== 0) o.label_limit = c.labelLimit;
  if (c.labelNameLengthLimit !== 0) o.label_name_length_limit = c.labelNameLengthLimit;
  if (c.labelValueLengthLimit !== 0) o.label_value_length_limit = c.labelValueLengthLimit;
  if (c.keepDroppedTargets !== 0) o.keep_dropped_targets = c.keepDroppedTargets;
  o.metric_name_validation_scheme = c.metricNameValidationScheme;
  o.metric_name_escaping_scheme = c.metricNameEscapingScheme;
  o.extra_scrape_metrics = c.extraScrapeMetrics;
  Object.assign(o, httpClientConfigToYaml(c.httpClientConfig));
  if (c.relabelConfigs.length > 0) o.relabel_configs = c.relabelConfigs.map(relabelConfigToYaml);
  if (c.metricRelabelConfigs.length > 0) o.metric_relabel_configs = c.metricRelabelConfigs.map(relabelConfigToYaml);
  // Prometheus prints the discovery blocks last.
  Object.assign(o, discoveryConfigsToYaml(c));
  return o;
}

/**
 * A string that is equal for two scrape configs exactly when they configure the same
 * scraping (secrets and regexes included), so a reload can keep unchanged jobs running.
 */
export function scrapeConfigFingerprint(c: ScrapeConfig): string {
  return JSON.stringify(c, (_key, v: unknown) => (v instanceof FastRegexMatcher ? `re:${v.source}` : v));
}
