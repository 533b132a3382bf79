/**
 * `http_sd_configs`: target groups from an HTTP endpoint, fetched at start and every
 * `refresh_interval`, with Prometheus's checks (`discovery/http`): status 200, a
 * `Content-Type` of `application/json`, a JSON list of `{targets, labels}`. Each group
 * gets `__meta_url` and the source `<url>:<index>`; sources missing from a newer answer
 * are cleared. A failed refresh keeps the last good groups.
 */
import { readBody } from '../parser/body_reader.js';
import type { HttpSdConfig } from '../discovery_config.js';
import { httpGet } from '../http_client.js';
import { type Discoverer, parseTargetGroups, type TargetGroup, type TargetGroupsHandler, TargetGroupError } from './target_group.js';

/** Largest HTTP SD answer read (bytes). */
export const MAX_HTTP_SD_BYTES = 64 << 20;
/** Time limit of one refresh request. */
export const HTTP_SD_TIMEOUT_MS = 30_000;

const CONTENT_TYPE = /^application\/json(;.*)?$/i;

export class HttpDiscoverer implements Discoverer {
  readonly mechanism = 'http';
  private readonly cfg: HttpSdConfig;
  private lastCount: number;
  private timer: ReturnType<typeof setInterval> | null;
  private onUpdate: TargetGroupsHandler | null;
  private onError: (err: Error) => void;
  private running: Promise<void> | null;
  private readonly abort: AbortController;

  constructor(cfg: HttpSdConfig) {
    this.cfg = cfg;
    this.lastCount = 0;
    this.timer = null;
    this.onUpdate = null;
    this.onError = () => {};
    this.running = null;
    this.abort = new AbortController();
  }

  start(onUpdate: TargetGroupsHandler, onError: (err: Error) => void): void {
    this.onUpdate = onUpdate;
    this.onError = onError;
    this.timer = setInterval(() => void this.refresh(), this.cfg.refreshInterval);
    this.timer.unref();
    void this.refresh();
  }

  stop(): void {
    this.abort.abort();
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    this.onUpdate = null;
  }

  /** Fetches the endpoint now (joins a fetch already in flight). Never rejects. */
  refresh(): Promise<void> {
    if (this.running === null) {
      this.running = this.fetchOnce().then(
        (groups) => {
          // Cleared before reporting, so a refresh asked for by the consumer starts a new fetch.
          this.running = null;
          const out = [...groups];
          for (let i = groups.length; i < this.lastCount; i++) out.push({ targets: [], labels: {}, source: `${this.cfg.url}:${i}` });
          this.lastCount = groups.length;
          this.onUpdate?.(out);
        },
        (e: unknown) => {
          this.running = null;
          if (!this.abort.signal.aborted) this.onError(e instanceof Error ? e : new Error(String(e)));
        },
      );
    }
    return this.running;
  }

  private async fetchOnce(): Promise<TargetGroup[]> {
    const signal = AbortSignal.any([this.abort.signal, AbortSignal.timeout(HTTP_SD_TIMEOUT_MS)]);
    const res = await httpGet(this.cfg.url, this.cfg.httpClientConfig, {
      headers: { Accept: 'application/json', 'User-Agent': 'Vigil', 'X-Prometheus-Refresh-Interval-Seconds': String(this.cfg.refreshInterval / 1000) },
      signal,
    });
    if (res.status !== 200) {
      res.body.resume();
      throw new TargetGroupError(this.cfg.url, `server returned HTTP status ${res.statusText}`);
    }
    const ct = res.headers['content-type'] ?? '';
    if (!CONTENT_TYPE.test(ct)) {
      res.body.resume();
      throw new TargetGroupError(this.cfg.url, `unsupported content type ${JSON.stringify(ct)}`);
    }
    const body = await readBody(res.body, { contentEncoding: res.headers['content-encoding'] ?? null, limit: MAX_HTTP_SD_BYTES, signal });
    return parseTargetGroups(Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8'), 'json', this.cfg.url, { __meta_url: this.cfg.url });
  }
}
