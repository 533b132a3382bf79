/**
 * The Alertmanager client (`notifier/`): external labels and `alert_relabel_configs`
 * are applied to every alert, then the alert is queued for each Alertmanager
 * (after that Alertmanager set's own `alert_relabel_configs`). Each Alertmanager
 * has its own bounded queue (`--alertmanager.notification-queue-capacity`, oldest
 * dropped on overflow) and its own send loop posting batches of at most 256 alerts
 * to `<scheme>://<address><path_prefix>/api/v2/alerts`, so a slow or dead
 * Alertmanager never delays another one, nor rule evaluation (`send` only queues).
 *
 * A failed batch is counted as dropped, not retried: the rule manager re-sends
 * firing alerts every `--rules.alert.resend-delay`, as in Prometheus.
 */
import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { expandGlob } from '../cmd/file_glob.js';
import type { RelabelConfig } from '../scrape/relabel_config.js';
import type { HttpClientConfig } from '../scrape/http_client_config.js';
import { Labels, LabelsBuilder } from '../tsdb/labels.js';
import type { AlertingConfig, AlertmanagerConfig } from './config.js';
import { type NotifierAlert, type PostableAlert, toPostable } from './notifier_alert.js';

/** Applies relabel rules; null = dropped. (scrape/relabel.ts `relabel` has this shape.) */
export type RelabelFn = (labels: Labels, configs: readonly RelabelConfig[]) => Labels | null;

export const DEFAULT_QUEUE_CAPACITY = 10_000;
export const MAX_BATCH_SIZE = 256;

/** Options of a `Notifier`. */
export interface NotifierOptions {
  /** Per-Alertmanager queue capacity. Default 10,000. */
  readonly queueCapacity?: number;
  /** Default 256. */
  readonly maxBatchSize?: number;
  /** Needed for `alert_relabel_configs` and Alertmanager `relabel_configs`; without it, configs with rules are rejected. */
  readonly relabel?: RelabelFn | null;
  /** Overrides every Alertmanager config's timeout (`--alertmanager.timeout`), ms. */
  readonly timeoutMs?: number;
  readonly logger: { warn(msg: string, fields?: Readonly<Record<string, unknown>>): void; debug?(msg: string, fields?: Readonly<Record<string, unknown>>): void };
}

/** A configuration the notifier cannot apply. */
export class NotifierConfigError extends Error {
  readonly code = 'notifier_config';
  constructor(message: string) {
    super(message);
    this.name = 'NotifierConfigError';
  }
}

/** Counters of one Alertmanager (`prometheus_notifications_*` by `alertmanager`). */
export interface SendStats {
  sent: number;
  errors: number;
  dropped: number;
  queueLength: number;
}

async function authHeaders(c: HttpClientConfig): Promise<Record<string, string>> {
  const h: Record<string, string> = {};
  if (c.basicAuth !== null) {
    const user = c.basicAuth.usernameFile !== '' ? (await readFile(c.basicAuth.usernameFile, 'utf8')).trim() : c.basicAuth.username;
    const pass = c.basicAuth.passwordFile !== '' ? (await readFile(c.basicAuth.passwordFile, 'utf8')).trim() : c.basicAuth.password;
    h.authorization = `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
  } else if (c.authorization !== null) {
    const cred = c.authorization.credentialsFile !== '' ? (await readFile(c.authorization.credentialsFile, 'utf8')).trim() : c.authorization.credentials;
    h.authorization = `${c.authorization.type || 'Bearer'} ${cred}`;
  }
  return h;
}

/** The queue and send loop of one Alertmanager. */
export class AlertmanagerLoop {
  private queue: PostableAlert[] = [];
  private wake: (() => void) | null = null;
  private stopped = false;
  /** Aborts an in-flight request on stop, so shutdown never waits for a hanging Alertmanager. */
  private readonly abort = new AbortController();
  private running: Promise<void>;
  readonly stats: SendStats = { sent: 0, errors: 0, dropped: 0, queueLength: 0 };

  constructor(
    readonly url: string,
    private readonly cfg: AlertmanagerConfig,
    private readonly capacity: number,
    private readonly batch: number,
    private readonly timeoutMs: number,
    private readonly logger: NotifierOptions['logger'],
  ) {
    this.running = this.loop();
  }

  /** Queues alerts; drops the oldest beyond capacity. Never blocks. */
  enqueue(alerts: readonly PostableAlert[]): void {
    if (this.stopped) return;
    this.queue.push(...alerts);
    const over = this.queue.length - this.capacity;
    if (over > 0) {
      this.queue.splice(0, over);
      this.stats.dropped += over;
      this.logger.warn('Alert notification queue full, dropping alerts', { alertmanager: this.url, num_dropped: over });
    }
    this.stats.queueLength = this.queue.length;
    this.wake?.();
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      if (this.queue.length === 0) {
        await new Promise<void>((r) => {
          this.wake = r;
        });
        this.wake = null;
        continue;
      }
      const batch = this.queue.splice(0, this.batch);
      this.stats.queueLength = this.queue.length;
      try {
        const res = await fetch(this.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'user-agent': 'Vigil', ...(await authHeaders(this.cfg.httpClientConfig)) },
          body: JSON.stringify(batch),
          signal: AbortSignal.any([this.abort.signal, AbortSignal.timeout(this.timeoutMs)]),
          redirect: this.cfg.httpClientConfig.followRedirects ? 'follow' : 'manual',
        });
        await res.arrayBuffer().catch(() => undefined);
        if (res.status < 200 || res.status > 299) throw new Error(`bad response status ${res.status} ${res.statusText}`);
        this.stats.sent += batch.length;
      } catch (e) {
        this.stats.errors++;
        this.stats.dropped += batch.length;
        this.logger.warn('Error sending alerts', { alertmanager: this.url, count: batch.length, err: e instanceof Error ? (e.cause instanceof Error ? `${e.message}: ${e.cause.message}` : e.message) : String(e) });
      }
    }
  }

  /** Stops the loop; queued alerts are discarded. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.abort.abort();
    this.wake?.();
    await this.running;
  }
}

interface AmSet {
  readonly cfg: AlertmanagerConfig;
  loops: AlertmanagerLoop[];
  dropped: string[];
  timer: NodeJS.Timeout | null;
}

/** Reads file SD target groups (JSON or YAML lists of `{targets, labels}`). */
async function readTargetGroups(pattern: string): Promise<{ targets: string[]; labels: Record<string, string> }[]> {
  const out: { targets: string[]; labels: Record<string, string> }[] = [];
  for (const f of await expandGlob(pattern)) {
    const text = await readFile(f, 'utf8');
    const v: unknown = f.toLowerCase().endsWith('.json') ? JSON.parse(text) : parseYaml(text);
    if (!Array.isArray(v)) continue;
    for (const g of v) {
      if (g === null || typeof g !== 'object') continue;
      const { targets, labels } = g as { targets?: unknown; labels?: unknown };
      const ts = Array.isArray(targets) ? targets.filter((t): t is string => typeof t === 'string') : [];
      const ls: Record<string, string> = {};
      if (labels !== null && typeof labels === 'object') for (const [k, val] of Object.entries(labels)) if (typeof val === 'string') ls[k] = val;
      out.push({ targets: ts, labels: ls });
    }
  }
  return out;
}

function joinPath(...parts: string[]): string {
  const p = `/${parts.join('/')}`.replace(/\/+/g, '/');
  return p.length > 1 ? p.replace(/\/$/, '') : p;
}

export class Notifier {
  private sets: AmSet[] = [];
  private externalLabels: Labels = Labels.EMPTY;
  private globalRelabel: readonly RelabelConfig[] = [];
  private readonly relabelFn: RelabelFn | null;

  constructor(readonly opts: NotifierOptions) {
    this.relabelFn = opts.relabel ?? null;
  }

  private relabel(l: Labels, cfgs: readonly RelabelConfig[]): Labels | null {
    if (cfgs.length === 0) return l;
    if (this.relabelFn === null) throw new NotifierConfigError('relabel rules configured but no relabel engine wired');
    return this.relabelFn(l, cfgs);
  }

  /** Applies a new `alerting` section and external labels (reload). Rejects on an unusable config. */
  async applyConfig(cfg: AlertingConfig, externalLabels: Labels): Promise<void> {
    const needsRelabel = cfg.alertRelabelConfigs.length > 0 || cfg.alertmanagers.some((a) => a.relabelConfigs.length > 0 || a.alertRelabelConfigs.length > 0);
    if (needsRelabel && this.relabelFn === null) throw new NotifierConfigError('alert relabeling is configured but no relabel engine is wired into the notifier');
    const old = this.sets;
    const oldLoops = new Map<string, AlertmanagerLoop>();
    for (const s of old) {
      if (s.timer !== null) clearInterval(s.timer);
      for (const l of s.loops) oldLoops.set(`${JSON.stringify(s.cfg.httpClientConfig)}|${l.url}`, l);
    }
    const sets: AmSet[] = [];
    for (const c of cfg.alertmanagers) {
      const set: AmSet = { cfg: c, loops: [], dropped: [], timer: null };
      await this.resolveTargets(set, oldLoops);
      const refresh = Math.min(...c.fileSdConfigs.map((f) => f.refreshInterval));
      if (Number.isFinite(refresh) && refresh > 0) {
        set.timer = setInterval(() => {
          this.resolveTargets(set, new Map()).catch((e: unknown) => this.opts.logger.warn('Alertmanager discovery failed', { err: String(e) }));
        }, refresh);
        set.timer.unref();
      }
      sets.push(set);
    }
    this.sets = sets;
    this.externalLabels = externalLabels;
    this.globalRelabel = cfg.alertRelabelConfigs;
    const kept = new Set(sets.flatMap((s) => s.loops));
    await Promise.all([...oldLoops.values()].filter((l) => !kept.has(l)).map((l) => l.stop()));
  }

  private async resolveTargets(set: AmSet, reuse: Map<string, AlertmanagerLoop>): Promise<void> {
    const c = set.cfg;
    const groups: { targets: string[]; labels: Record<string, string> }[] = [...c.staticConfigs];
    for (const f of c.fileSdConfigs) for (const pat of f.files) groups.push(...(await readTargetGroups(pat)));
    const urls: string[] = [];
    const dropped: string[] = [];
    for (const g of groups) {
      for (const t of g.targets) {
        const b = new LabelsBuilder(Labels.from(g.labels));
        b.set('__address__', t);
        b.set('__scheme__', c.scheme);
        b.set('__alerts_path__', joinPath(c.pathPrefix, 'api/v2/alerts'));
        const base = b.labels();
        const l = this.relabel(base, c.relabelConfigs);
        const url = (x: Labels): string => `${x.get('__scheme__')}://${x.get('__address__')}${x.get('__alerts_path__')}`;
        if (l === null || l.get('__address__') === '') {
          dropped.push(url(base));
          continue;
        }
        if (!urls.includes(url(l))) urls.push(url(l));
      }
    }
    const key = (u: string): string => `${JSON.stringify(c.httpClientConfig)}|${u}`;
    const current = new Map(set.loops.map((l) => [key(l.url), l]));
    const loops: AlertmanagerLoop[] = [];
    for (const u of urls) {
      const existing = current.get(key(u)) ?? reuse.get(key(u));
      current.delete(key(u));
      loops.push(
        existing ??
          new AlertmanagerLoop(u, c, this.opts.queueCapacity ?? DEFAULT_QUEUE_CAPACITY, this.opts.maxBatchSize ?? MAX_BATCH_SIZE, this.opts.timeoutMs ?? c.timeout, this.opts.logger),
      );
    }
    set.loops = loops;
    set.dropped = dropped;
    // Loops of targets that disappeared on a refresh.
    await Promise.all([...current.values()].map((l) => l.stop()));
  }

  /** Queues `alerts` for every Alertmanager. Never blocks. */
  send(alerts: readonly NotifierAlert[]): void {
    const prepared: NotifierAlert[] = [];
    for (const a of alerts) {
      const b = new LabelsBuilder(a.labels);
      this.externalLabels.forEach((n, v) => {
        if (a.labels.get(n) === '') b.set(n, v);
      });
      const l = this.relabel(b.labels(), this.globalRelabel);
      if (l === null) continue;
      prepared.push({ ...a, labels: l });
    }
    for (const s of this.sets) {
      const out: PostableAlert[] = [];
      for (const a of prepared) {
        const l = this.relabel(a.labels, s.cfg.alertRelabelConfigs);
        if (l !== null) out.push(toPostable({ ...a, labels: l }));
      }
      if (out.length === 0) continue;
      for (const loop of s.loops) loop.enqueue(out);
    }
  }

  /** Active and dropped Alertmanager URLs (for `/api/v1/alertmanagers`). */
  alertmanagers(): { active: string[]; dropped: string[] } {
    return { active: this.sets.flatMap((s) => s.loops.map((l) => l.url)), dropped: this.sets.flatMap((s) => s.dropped) };
  }

  /** Per-Alertmanager counters. */
  stats(): { url: string; stats: SendStats }[] {
    return this.sets.flatMap((s) => s.loops.map((l) => ({ url: l.url, stats: { ...l.stats } })));
  }

  async stop(): Promise<void> {
    for (const s of this.sets) if (s.timer !== null) clearInterval(s.timer);
    await Promise.all(this.sets.flatMap((s) => s.loops.map((l) => l.stop())));
    this.sets = [];
  }
}
