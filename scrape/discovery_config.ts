/**
 * Service discovery configuration blocks, shared by `scrape_configs` and
 * `alerting.alertmanagers`: `static_configs`, `file_sd_configs`, `http_sd_configs` and
 * `vigil_sd_configs` (a Vigil cluster's nodes, pods, services, endpoints) are implemented; Prometheus's other mechanisms (`kubernetes_sd_configs`,
 * `consul_sd_configs`, `dns_sd_configs`, `ec2_sd_configs`, ...) are accepted with a
 * warning naming them and discover nothing.
 */
import { ConfigError, type MapReader } from '../tsdb/config_reader.js';
import {
  HTTP_CLIENT_FIELDS,
  HTTP_CLIENT_UNIMPLEMENTED,
  type HttpClientConfig,
  httpClientConfigToYaml,
  joinDir,
  parseHttpClientConfig,
} from './http_client_config.js';
import { formatDuration } from '../tsdb/duration.js';
import type { ClusterRole } from './discovery/cluster_discovery.js';

/** A static target group: `targets` are `host:port` addresses; `labels` apply to all of them. */
export interface StaticConfig {
  targets: string[];
  labels: Record<string, string>;
}

/** `file_sd_configs`: JSON or YAML files of target groups (globs allowed in the last path element). */
export interface FileSdConfig {
  /** Resolved against the configuration file's directory. */
  files: string[];
  /** Milliseconds; default 5m. */
  refreshInterval: number;
}

/** `http_sd_configs`: an HTTP(S) endpoint returning target groups as JSON. */
export interface HttpSdConfig {
  url: string;
  /** Milliseconds; default 1m. */
  refreshInterval: number;
  httpClientConfig: HttpClientConfig;
}

/** `vigil_sd_configs`: objects of a Vigil cluster (see scrape/discovery/cluster_discovery.ts). */
export interface VigilSdConfig {
  role: ClusterRole;
  /** `namespaces: {names: [...]}` (Kubernetes SD's form) or a plain list; empty = all. */
  namespaces: string[];
  /** The cluster's API server URL; '' = this server's own cluster. */
  server: string;
}

/** The discovery blocks of one scrape config or Alertmanager config. */
export interface DiscoveryConfigs {
  staticConfigs: StaticConfig[];
  fileSdConfigs: FileSdConfig[];
  httpSdConfigs: HttpSdConfig[];
  /** Absent in configurations built before cluster discovery existed: read as none. */
  vigilSdConfigs?: VigilSdConfig[];
}

const CLUSTER_ROLES: readonly ClusterRole[] = ['node', 'pod', 'service', 'endpoints'];

export const DEFAULT_FILE_SD_REFRESH_MS = 5 * 60_000;
export const DEFAULT_HTTP_SD_REFRESH_MS = 60_000;

/** Discovery fields Vigil implements. */
export const DISCOVERY_FIELDS: readonly string[] = ['static_configs', 'file_sd_configs', 'http_sd_configs', 'vigil_sd_configs'];

/** Prometheus's other service discovery mechanisms: accepted with a warning. */
export const DISCOVERY_UNIMPLEMENTED: readonly string[] = [
  'aws',
  'azure',
  'consul',
  'digitalocean',
  'docker',
  'dockerswarm',
  'dns',
  'ec2',
  'ecs',
  'elasticache',
  'eureka',
  'gce',
  'hetzner',
  'ionos',
  'kubernetes',
  'kuma',
  'lightsail',
  'linode',
  'marathon',
  'msk',
  'nerve',
  'nomad',
  'oci',
  'openstack',
  'outscale',
  'ovhcloud',
  'puppetdb',
  'rds',
  'scaleway',
  'serverset',
  'stackit',
  'triton',
  'uyuni',
  'vultr',
].map((n) => `${n}_sd_configs`);

/** File SD paths must name .json/.yml/.yaml files, with `*` allowed only in the last element. */
const FILE_SD_NAME = /^[^*]*(\*[^/]*)?\.(json|yml|yaml|JSON|YML|YAML)$/;

/**
 * Reads the discovery blocks of `r`. When `checkAddresses` (no relabel rules could fix
 * them up), static targets containing `/` are rejected, as Prometheus does: users often
 * write URLs there by mistake.
 */
export function parseDiscoveryConfigs(r: MapReader, dir: string, checkAddresses: boolean): DiscoveryConfigs {
  const staticConfigs = r.mapList('static_configs', 'static config').map((s) => {
    s.fields(['targets', 'labels']);
    const targets = s.strList('targets');
    if (checkAddresses) {
      targets.forEach((t, i) => {
        if (t.includes('/')) {
          throw new ConfigError(
            'bad_value',
            s.itemLoc('targets', i),
            `expected a host:port address, received ${JSON.stringify(t)} (put the scheme in "scheme" and the path in "metrics_path")`,
          );
        }
      });
    }
    // Static group labels are a model.LabelSet, always validated as UTF-8 names.
    return { targets, labels: s.labelMap('labels', 'utf8') };
  });
  const fileSdConfigs = r.mapList('file_sd_configs', 'file_sd config').map((f) => {
    f.fields(['files', 'refresh_interval']);
    const files = f.strList('files');
    if (files.length === 0) throw f.errorAt('files', 'missing_field', 'file service discovery needs at least one file name');
    files.forEach((name, i) => {
      if (!FILE_SD_NAME.test(name)) {
        throw new ConfigError(
          'bad_value',
          f.itemLoc('files', i),
          `expected a .json, .yml or .yaml file name (with * only in the last path element), received ${JSON.stringify(name)}`,
        );
      }
    });
    return { files: files.map((p) => joinDir(dir, p)), refreshInterval: f.duration('refresh_interval', DEFAULT_FILE_SD_REFRESH_MS) };
  });
  const httpSdConfigs = r.mapList('http_sd_configs', 'http_sd config').map((h) => {
    h.fields(['url', 'refresh_interval', ...HTTP_CLIENT_FIELDS], HTTP_CLIENT_UNIMPLEMENTED);
    const url = h.str('url');
    if (url === '') throw h.errorAt('url', 'missing_field', 'http service discovery needs a url');
    // Checked on the text, as Go's url.Parse sees it: WHATWG URL parsing would turn "http:///x" into host "x".
    const m = /^([A-Za-z][A-Za-z0-9+.-]*):(?:\/\/([^/?#]*))?/.exec(url);
    const scheme = m?.[1]?.toLowerCase();
    if (m === null || (scheme !== 'http' && scheme !== 'https')) {
      throw h.valueError('url', 'bad_value', `expected an http or https URL, received ${JSON.stringify(url)}`);
    }
    const host = (m[2] ?? '').replace(/^[^@]*@/, '');
    if (host === '') throw h.valueError('url', 'bad_value', `expected a URL with a host, received ${JSON.stringify(url)}`);
    return {
      url,
      refreshInterval: h.duration('refresh_interval', DEFAULT_HTTP_SD_REFRESH_MS),
      httpClientConfig: parseHttpClientConfig(h, dir),
    };
  });
  const vigilSdConfigs = r.mapList('vigil_sd_configs', 'vigil_sd config').map((v): VigilSdConfig => {
    v.fields(['role', 'namespaces', 'server']);
    const role = v.str('role');
    if (role === '') throw v.errorAt('role', 'missing_field', `vigil service discovery needs a role (one of ${CLUSTER_ROLES.join(', ')})`);
    if (!(CLUSTER_ROLES as readonly string[]).includes(role)) {
      throw v.valueError('role', 'bad_value', `expected a role of ${CLUSTER_ROLES.join(', ')}, received ${JSON.stringify(role)}`);
    }
    let namespaces: string[] = [];
    const ns = v.map('namespaces');
    if (ns !== null) {
      ns.fields(['names']);
      namespaces = ns.strList('names');
    }
    const server = v.str('server');
    if (server !== '' && !/^https?:\/\/[^/?#]+/.test(server)) {
      throw v.valueError('server', 'bad_value', `expected an http or https URL with a host, received ${JSON.stringify(server)}`);
    }
    return { role: role as ClusterRole, namespaces, server };
  });
  return { staticConfigs, fileSdConfigs, httpSdConfigs, vigilSdConfigs };
}

/** The discovery blocks as Prometheus prints them (empty ones left out). */
export function discoveryConfigsToYaml(d: DiscoveryConfigs): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  if (d.fileSdConfigs.length > 0) {
    o.file_sd_configs = d.fileSdConfigs.map((f) => ({ files: [...f.files], refresh_interval: formatDuration(f.refreshInterval) }));
  }
  if (d.httpSdConfigs.length > 0) {
    o.http_sd_configs = d.httpSdConfigs.map((h) => ({
      ...httpClientConfigToYaml(h.httpClientConfig),
      refresh_interval: formatDuration(h.refreshInterval),
      url: h.url,
    }));
  }
  if ((d.vigilSdConfigs ?? []).length > 0) {
    o.vigil_sd_configs = (d.vigilSdConfigs ?? []).map((v) => {
      const y: Record<string, unknown> = { role: v.role };
      if (v.namespaces.length > 0) y.namespaces = { names: [...v.namespaces] };
      if (v.server !== '') y.server = v.server;
      return y;
    });
  }
  if (d.staticConfigs.length > 0) {
    o.static_configs = d.staticConfigs.map((s) => {
      const g: Record<string, unknown> = { targets: [...s.targets] };
      if (Object.keys(s.labels).length > 0) g.labels = { ...s.labels };
      return g;
    });
  }
  return o;
}
