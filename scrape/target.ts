/**
 * Scrape targets: turning discovered target groups into targets with Prometheus's
 * label rules (`scrape/target.go` `PopulateLabels`, Prometheus 2.42).
 *
 * Before `relabel_configs`, a target gets `job`, `__scrape_interval__`,
 * `__scrape_timeout__`, `__metrics_path__`, `__scheme__` (each unless already set) and
 * `__param_<name>` (first value of each `params` entry). After relabeling: no labels →
 * dropped; an empty `__address__` is an error; a port is added to an address without one
 * (80 for http, 443 for https, as Prometheus 2 does); interval and timeout are re-read
 * from their labels; `__meta_*` labels are removed; `instance` defaults to the address.
 * Labels starting with `__` stay on the target (they make its URL) but are not attached
 * to scraped series.
 */
import { Labels, LabelsBuilder } from '../tsdb/labels.js';
import { formatDuration, parseDuration } from '../tsdb/duration.js';
import type { ScrapeConfig } from './config.js';
import type { TargetGroup } from './discovery/target_group.js';
import { relabel } from './relabel.js';

export const ADDRESS_LABEL = '__address__';
export const SCHEME_LABEL = '__scheme__';
export const METRICS_PATH_LABEL = '__metrics_path__';
export const SCRAPE_INTERVAL_LABEL = '__scrape_interval__';
export const SCRAPE_TIMEOUT_LABEL = '__scrape_timeout__';
export const PARAM_LABEL_PREFIX = '__param_';
export const META_LABEL_PREFIX = '__meta_';
export const INSTANCE_LABEL = 'instance';
export const JOB_LABEL = 'job';

/** A target whose labels are not usable (no address, bad interval, ...). */
export class TargetError extends Error {
  readonly code = 'bad_target';
  constructor(discovered: Labels, detail: string) {
    super(`instance ${discovered.get(ADDRESS_LABEL) || '(no address)'} in group: ${detail}`);
    this.name = 'TargetError';
  }
}

/** The outcome of `populateLabels`: `labels` is null when relabeling dropped the target. */
export interface PopulatedLabels {
  readonly labels: Labels | null;
  /** The labels before relabeling (Prometheus's "discovered labels"). */
  readonly discovered: Labels;
}

/** Applies the target label rules to one discovered label set. Throws `TargetError`. */
export function populateLabels(lset: Labels, cfg: ScrapeConfig): PopulatedLabels {
  const lb = new LabelsBuilder(lset);
  const defaults: [string, string][] = [
    [JOB_LABEL, cfg.jobName],
    [SCRAPE_INTERVAL_LABEL, formatDuration(cfg.scrapeInterval)],
    [SCRAPE_TIMEOUT_LABEL, formatDuration(cfg.scrapeTimeout)],
    [METRICS_PATH_LABEL, cfg.metricsPath],
    [SCHEME_LABEL, cfg.scheme],
  ];
  for (const [n, v] of defaults) if (lset.get(n) === '') lb.set(n, v);
  for (const [k, v] of Object.entries(cfg.params)) if (v.length > 0) lb.set(PARAM_LABEL_PREFIX + k, v[0]!);
  const discovered = lb.labels();
  const res = relabel(discovered, cfg.relabelConfigs);
  if (res === null || res.isEmpty()) return { labels: null, discovered };
  let addr = res.get(ADDRESS_LABEL);
  if (addr === '') throw new TargetError(discovered, 'no address');
  const out = new LabelsBuilder(res);
  if (needsPort(addr)) {
    const scheme = res.get(SCHEME_LABEL);
    if (scheme === 'http' || scheme === '') addr += ':80';
    else if (scheme === 'https') addr += ':443';
    else throw new TargetError(discovered, `invalid scheme: ${JSON.stringify(cfg.scheme)}`);
    out.set(ADDRESS_LABEL, addr);
  }
  if (addr.includes('/')) throw new TargetError(discovered, `${JSON.stringify(addr)} is not a valid hostname`);
  const interval = durationLabel(res, SCRAPE_INTERVAL_LABEL, 'scrape interval', discovered);
  const timeout = durationLabel(res, SCRAPE_TIMEOUT_LABEL, 'scrape timeout', discovered);
  if (timeout > interval) {
    throw new TargetError(discovered, `scrape timeout cannot be greater than scrape interval (${JSON.stringify(res.get(SCRAPE_TIMEOUT_LABEL))} > ${JSON.stringify(res.get(SCRAPE_INTERVAL_LABEL))})`);
  }
  for (let i = 0; i < res.length; i++) if (res.name(i).startsWith(META_LABEL_PREFIX)) out.del(res.name(i));
  if (res.get(INSTANCE_LABEL) === '') out.set(INSTANCE_LABEL, addr);
  return { labels: out.labels(), discovered };
}

function durationLabel(l: Labels, name: string, what: string, discovered: Labels): number {
  let ms: number;
  try {
    ms = parseDuration(l.get(name));
  } catch (e) {
    throw new TargetError(discovered, `error parsing ${what}: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (ms === 0) throw new TargetError(discovered, `${what} cannot be 0`);
  return ms;
}

/** Whether an address has no port but would be valid with one (Go's `net.SplitHostPort` logic). */
function needsPort(addr: string): boolean {
  if (addr.startsWith('[')) return addr.endsWith(']');
  return !addr.includes(':');
}

/** One scrape target: its labels, where to scrape it and how often. Immutable. */
export class Target {
  /** Labels after relabeling, `__` labels included (they build the URL). */
  readonly labels: Labels;
  /** Labels before relabeling. */
  readonly discoveredLabels: Labels;
  /** The labels attached to scraped series: `labels` without those starting with `__`. */
  readonly publicLabels: Labels;
  readonly url: string;
  /** Milliseconds, from `__scrape_interval__`. */
  readonly interval: number;
  /** Milliseconds, from `__scrape_timeout__`. */
  readonly timeout: number;
  /** Identity within a pool (equal for targets with equal labels and URL). */
  readonly key: string;

  constructor(labels: Labels, discoveredLabels: Labels, params: Readonly<Record<string, string[]>>) {
    this.labels = labels;
    this.discoveredLabels = discoveredLabels;
    const pub: string[] = [];
    labels.forEach((n, v) => {
      if (!n.startsWith('__')) pub.push(n, v);
    });
    this.publicLabels = Labels.fromStrings(...pub);
    this.url = targetUrl(labels, params);
    this.interval = parseDuration(labels.get(SCRAPE_INTERVAL_LABEL));
    this.timeout = parseDuration(labels.get(SCRAPE_TIMEOUT_LABEL));
    this.key = `${labels.key()}\u0000${this.url}`;
  }

  /**
   * The scrape offset within the interval (ms), from a hash of the target so targets
   * spread evenly and each keeps its phase across restarts (Prometheus's `Target.offset`:
   * base aligned to absolute time plus hash modulo interval). `now` in ms.
   */
  offset(interval: number, now: number, seed = 0n): number {
    const base = interval - (now % interval);
    const off = Number((fnv64a(this.key) ^ seed) % BigInt(interval));
    let next = base + off;
    if (next > interval) next -= interval;
    return next;
  }
}

/** `scheme://address/path?params`, params from the config overridden by `__param_*` labels. */
export function targetUrl(labels: Labels, params: Readonly<Record<string, string[]>>): string {
  const p = new Map<string, string[]>();
  for (const [k, v] of Object.entries(params)) p.set(k, [...v]);
  labels.forEach((n, v) => {
    if (!n.startsWith(PARAM_LABEL_PREFIX)) return;
    const k = n.slice(PARAM_LABEL_PREFIX.length);
    const cur = p.get(k);
    if (cur !== undefined && cur.length > 0) cur[0] = v;
    else p.set(k, [v]);
  });
  // Go's url.Values.Encode: keys sorted, QueryEscape'd.
  const q: string[] = [];
  for (const k of [...p.keys()].sort()) for (const v of p.get(k)!) q.push(`${queryEscape(k)}=${queryEscape(v)}`);
  let path = labels.get(METRICS_PATH_LABEL);
  if (path !== '' && !path.startsWith('/')) path = `/${path}`;
  return `${labels.get(SCHEME_LABEL)}://${labels.get(ADDRESS_LABEL)}${path}${q.length > 0 ? `?${q.join('&')}` : ''}`;
}

function queryEscape(s: string): string {
  return encodeURIComponent(s).replace(/%20/g, '+').replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

const FNV_OFFSET = 0xcbf29ce484222325n;
const FNV_PRIME = 0x100000001b3n;

/** FNV-1a, 64-bit, over the UTF-16 code units of `s` (used once per target, not per sample). */
export function fnv64a(s: string): bigint {
  let h = FNV_OFFSET;
  for (let i = 0; i < s.length; i++) {
    h ^= BigInt(s.charCodeAt(i));
    h = (h * FNV_PRIME) & 0xffffffffffffffffn;
  }
  return h;
}

/** A target that relabeling dropped, kept for `/api/v1/targets` (`droppedTargets`). */
export interface DroppedTarget {
  readonly discoveredLabels: Labels;
}

/** The targets of one group: active ones, dropped ones, and errors for unusable ones. */
export function targetsFromGroup(
  g: TargetGroup,
  cfg: ScrapeConfig,
): { active: Target[]; dropped: DroppedTarget[]; errors: TargetError[] } {
  const active: Target[] = [];
  const dropped: DroppedTarget[] = [];
  const errors: TargetError[] = [];
  for (const t of g.targets) {
    const lset = Labels.from({ ...g.labels, ...t });
    try {
      const p = populateLabels(lset, cfg);
      if (p.labels === null) dropped.push({ discoveredLabels: p.discovered });
      else active.push(new Target(p.labels, p.discovered, cfg.params));
    } catch (e) {
      if (!(e instanceof TargetError)) throw e;
      errors.push(e);
    }
  }
  return { active, dropped, errors };
}
