/**
 * The `rule_files` and `alerting` sections of prometheus.yml, with Prometheus's
 * defaults (`config/config.go` `DefaultAlertmanagerConfig`): scheme `http`, timeout
 * 10s, API version `v2` (the only one Prometheus 3 supports).
 *
 * Rule file entries are kept as glob strings (resolved against the configuration
 * file's directory); reading the files is the rule manager's job.
 */
import type { MapReader, NameValidationScheme } from '../tsdb/config_reader.js';
import { formatDuration } from '../tsdb/duration.js';
import {
  DISCOVERY_FIELDS,
  DISCOVERY_UNIMPLEMENTED,
  type DiscoveryConfigs,
  discoveryConfigsToYaml,
  parseDiscoveryConfigs,
} from '../scrape/discovery_config.js';
import {
  HTTP_CLIENT_FIELDS,
  HTTP_CLIENT_UNIMPLEMENTED,
  type HttpClientConfig,
  httpClientConfigToYaml,
  parseHttpClientConfig,
} from '../scrape/http_client_config.js';
import { parseRelabelConfigs, type RelabelConfig, relabelConfigToYaml } from '../scrape/relabel_config.js';

/** How to discover and reach one set of Alertmanagers. */
export interface AlertmanagerConfig extends DiscoveryConfigs {
  /** `http` or `https`. */
  scheme: string;
  /** Prefix of the push path (`<path_prefix>/api/v2/alerts`); default `''`. */
  pathPrefix: string;
  /** Milliseconds per request; default 10s. */
  timeout: number;
  /** Always `v2`. */
  apiVersion: 'v2';
  httpClientConfig: HttpClientConfig;
  /** Applied to discovered Alertmanager targets. */
  relabelConfigs: RelabelConfig[];
  /** Applied to alerts sent to these Alertmanagers only. */
  alertRelabelConfigs: RelabelConfig[];
}

/** The `alerting` section. */
export interface AlertingConfig {
  /** Applied to every alert before it is sent (after external labels are added). */
  alertRelabelConfigs: RelabelConfig[];
  alertmanagers: AlertmanagerConfig[];
}

export const DEFAULT_ALERTMANAGER_TIMEOUT_MS = 10_000;

/** Parses `rule_files` of the document root: globs (`*` only in the last path element), joined with the configuration directory. */
export function parseRuleFiles(root: MapReader, dir: string): string[] {
  return root.globList('rule_files', dir);
}

const AM_FIELDS = ['scheme', 'path_prefix', 'timeout', 'api_version', 'relabel_configs', 'alert_relabel_configs', ...HTTP_CLIENT_FIELDS, ...DISCOVERY_FIELDS];
const AM_UNIMPLEMENTED = ['sigv4', ...HTTP_CLIENT_UNIMPLEMENTED, ...DISCOVERY_UNIMPLEMENTED];

function parseAlertmanager(r: MapReader, dir: string, scheme: NameValidationScheme): AlertmanagerConfig {
  r.fields(AM_FIELDS, AM_UNIMPLEMENTED);
  const api = r.str('api_version', 'v2');
  if (api !== 'v2') throw r.valueError('api_version', 'bad_value', `expected Alertmanager api_version v2 (the only one supported), received ${JSON.stringify(api)}`);
  const httpClientConfig = parseHttpClientConfig(r, dir);
  if (r.has('sigv4') && (httpClientConfig.basicAuth !== null || httpClientConfig.authorization !== null || r.has('oauth2'))) {
    throw r.errorAt('sigv4', 'invalid', 'at most one of basic_auth, authorization, oauth2 and sigv4 must be configured');
  }
  const relabelConfigs = parseRelabelConfigs(r, 'relabel_configs', scheme);
  return {
    scheme: r.str('scheme') || 'http',
    pathPrefix: r.str('path_prefix'),
    timeout: r.duration('timeout', DEFAULT_ALERTMANAGER_TIMEOUT_MS),
    apiVersion: 'v2',
    httpClientConfig,
    ...parseDiscoveryConfigs(r, dir, relabelConfigs.length === 0),
    relabelConfigs,
    alertRelabelConfigs: parseRelabelConfigs(r, 'alert_relabel_configs', scheme),
  };
}

/** Parses the `alerting` section of the document root (absent: no Alertmanagers). */
export function parseAlertingConfig(root: MapReader, dir: string, scheme: NameValidationScheme): AlertingConfig {
  const r = root.map('alerting');
  if (r === null) return { alertRelabelConfigs: [], alertmanagers: [] };
  r.fields(['alert_relabel_configs', 'alertmanagers']);
  return {
    alertRelabelConfigs: parseRelabelConfigs(r, 'alert_relabel_configs', scheme),
    alertmanagers: r.mapList('alertmanagers', 'alertmanager config').map((am) => parseAlertmanager(am, dir, scheme)),
  };
}

/** The `alerting` section as Prometheus prints it. */
export function alertingConfigToYaml(c: AlertingConfig): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  if (c.alertRelabelConfigs.length > 0) o.alert_relabel_configs = c.alertRelabelConfigs.map(relabelConfigToYaml);
  if (c.alertmanagers.length > 0) {
    o.alertmanagers = c.alertmanagers.map((a) => {
      const m: Record<string, unknown> = {
        ...httpClientConfigToYaml(a.httpClientConfig),
        scheme: a.scheme,
      };
      if (a.pathPrefix !== '') m.path_prefix = a.pathPrefix;
      m.timeout = formatDuration(a.timeout);
      m.api_version = a.apiVersion;
      if (a.relabelConfigs.length > 0) m.relabel_configs = a.relabelConfigs.map(relabelConfigToYaml);
      if (a.alertRelabelConfigs.length > 0) m.alert_relabel_configs = a.alertRelabelConfigs.map(relabelConfigToYaml);
      Object.assign(m, discoveryConfigsToYaml(a));
      return m;
    });
  }
  return o;
}
