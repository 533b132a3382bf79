/**
 * The scrape loop of one target (Prometheus's `scrapeLoop`): every interval, at an
 * offset derived from a hash of the target, fetch the exposition (bounded by the scrape
 * timeout), append its samples and the report series in ONE appender transaction, and
 * write staleness markers for series that vanished.
 *
 * Per scrape (`scrapeAndReport`):
 * - each sample gets the target's labels (`honor_labels: false`: target labels win and
 *   clashing exposed labels are renamed `exported_<name>`; `true`: exposed labels win),
 *   then `metric_relabel_configs`; the result is cached by the exposed series text so an
 *   unchanged series skips all label work;
 * - the timestamp is the scrape time unless the sample has one and `honor_timestamps`;
 * - `sample_limit`, `label_limit`, `label_name_length_limit`, `label_value_length_limit`
 *   and `body_size_limit` fail the whole scrape: nothing of it is kept, `up` is 0, the
 *   reason is the target's last error, and, as for any failed scrape, every series of the
 *   previous scrape gets a staleness marker;
 * - out-of-order and duplicate samples are skipped and counted, not fatal;
 * - report series with the target's labels: `up`, `scrape_duration_seconds`,
 *   `scrape_samples_scraped`, `scrape_samples_post_metric_relabeling`, `scrape_series_added`.
 * When the loop stops because its target went away (`stop(true)`), it waits until the
 * next scrape would have happened, then one more interval plus 10%, and then marks all
 * its series and report series stale at the first of those times (if the target came
 * back, those markers are out of order and ignored).
 *
 * Time comes from an injected `Timers` so tests can drive the schedule.
 */
import { Labels, LabelsBuilder, METRIC_NAME } from '../tsdb/labels.js';
import { StorageError } from '../tsdb/errors.js';
import { type Appendable, type Appender, NO_REF, STALE_NAN, type SeriesRef } from '../tsdb/storage.js';
import type { ScrapeConfig } from './config.js';
import { acceptHeader, type FallbackFormat, fallbackFormat, parserFor, selectFormat } from './parser/content_type.js';
import { Entry } from './parser/parser.js';
import { relabel } from './relabel.js';
import { ScrapeCache } from './scrape_cache.js';
import type { Target } from './target.js';
import { httpScraper, type Scraper } from './target_scraper.js';

/** A clock and timers; the default uses `Date.now` and the global timers. */
export interface Timers {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const REAL_TIMERS: Timers = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => {
    const h = setTimeout(fn, ms);
    h.unref();
    return h;
  },
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

/** Health of a target as `/api/v1/targets` shows it. */
export type TargetHealth = 'up' | 'down' | 'unknown';

/** Counters a scrape pool aggregates into its `prometheus_target_*` metrics. */
export interface ScrapeLoopStats {
  scrapes: number;
  sampleLimitExceeded: number;
  labelLimitExceeded: number;
  bodySizeLimitExceeded: number;
  outOfOrder: number;
  duplicate: number;
  outOfBounds: number;
  timeouts: number;
}

/** What one append pass produced. */
interface AppendResult {
  total: number;
  added: number;
  seriesAdded: number;
  err: Error | null;
}

/** Why a scrape failed because of a configured limit (`code` for metrics, message for users). */
export class ScrapeLimitError extends Error {
  readonly code: 'sample_limit' | 'label_limit' | 'label_name_length_limit' | 'label_value_length_limit';
  constructor(code: ScrapeLimitError['code'], message: string) {
    super(message);
    this.name = 'ScrapeLimitError';
    this.code = code;
  }
}

export interface ScrapeLoopOptions {
  timers?: Timers;
  /** Replaces the HTTP scraper (tests, the demo exporter). */
  scraper?: Scraper;
  /** Called when a scrape or staleness append fails at the storage level. */
  onAppendError?: (err: Error) => void;
  /** Counters to add to (shared by the loops of a manager); default: the loop's own. */
  stats?: ScrapeLoopStats;
  /** The cache of a previous loop of the same target (config reload keeps staleness tracking). */
  cache?: ScrapeCache;
}

/** Fresh zeroed counters. */
export function newScrapeLoopStats(): ScrapeLoopStats {
  return { scrapes: 0, sampleLimitExceeded: 0, labelLimitExceeded: 0, bodySizeLimitExceeded: 0, outOfOrder: 0, duplicate: 0, outOfBounds: 0, timeouts: 0 };
}

const REPORT_NAMES = ['up', 'scrape_duration_seconds', 'scrape_samples_scraped', 'scrape_samples_post_metric_relabeling', 'scrape_series_added'] as const;
/** With `extra_scrape_metrics: true`. */
const EXTRA_REPORT_NAMES = ['scrape_timeout_seconds', 'scrape_sample_limit', 'scrape_body_size_bytes'] as const;

export class ScrapeLoop {
  readonly target: Target;
  private readonly cfg: ScrapeConfig;
  private readonly appendable: Appendable;
  private readonly timers: Timers;
  private readonly scraper: Scraper;
  private readonly onAppendError: (err: Error) => void;
  readonly cache: ScrapeCache;
  private readonly reportLabels: Labels[];
  private readonly reportRefs: SeriesRef[];
  private readonly labelsBuf: string[];
  /** The format for answers without a usable Content-Type (`fallback_scrape_protocol`). */
  private readonly fallback: FallbackFormat | null;
  readonly stats: ScrapeLoopStats;

  health: TargetHealth;
  lastError: string;
  /** When set, every scrape fails with it without fetching (Prometheus's target_limit handling). */
  forcedError: Error | null;
  /** Start of the last scrape (ms), 0 before the first. */
  lastScrape: number;
  /** Seconds. */
  lastScrapeDuration: number;

  private timer: unknown;
  private nextAt: number;
  private inflight: AbortController | null;
  private running: Promise<void> | null;
  private stopped: boolean;
  /** Resolves when the end-of-run staleness markers were written (or skipped). */
  staleDone: Promise<void>;

  constructor(target: Target, cfg: ScrapeConfig, appendable: Appendable, opts: ScrapeLoopOptions = {}) {
    this.target = target;
    this.cfg = cfg;
    this.appendable = appendable;
    this.timers = opts.timers ?? REAL_TIMERS;
    this.scraper =
      opts.scraper ??
      httpScraper({
        url: target.url,
        client: cfg.httpClientConfig,
        timeout: target.timeout,
        bodySizeLimit: cfg.bodySizeLimit,
        enableCompression: cfg.enableCompression,
        accept: acceptHeader(cfg.scrapeProtocols, cfg.metricNameEscapingScheme),
      });
    this.fallback = fallbackFormat(cfg.fallbackScrapeProtocol);
    this.onAppendError = opts.onAppendError ?? (() => {});
    this.cache = opts.cache ?? new ScrapeCache();
    const names: string[] = cfg.extraScrapeMetrics ? [...REPORT_NAMES, ...EXTRA_REPORT_NAMES] : [...REPORT_NAMES];
    this.reportLabels = names.map((n) => target.publicLabels.builder().set(METRIC_NAME, n).labels());
    this.reportRefs = names.map(() => NO_REF);
    this.labelsBuf = [];
    this.stats = opts.stats ?? newScrapeLoopStats();
    this.forcedError = null;
    this.health = 'unknown';
    this.lastError = '';
    this.lastScrape = 0;
    this.lastScrapeDuration = 0;
    this.timer = null;
    this.nextAt = 0;
    this.inflight = null;
    this.running = null;
    this.stopped = false;
    this.staleDone = Promise.resolve();
  }

  /** Starts scraping at the target's offset within the interval. */
  start(): void {
    const now = this.timers.now();
    this.nextAt = now + this.target.offset(this.target.interval, now);
    this.schedule();
  }

  private schedule(): void {
    if (this.stopped) return;
    const delay = Math.max(0, this.nextAt - this.timers.now());
    this.timer = this.timers.setTimeout(() => this.tick(), delay);
  }

  private tick(): void {
    this.timer = null;
    if (this.stopped) return;
    const scheduled = this.nextAt;
    // Like Prometheus's ticker: a scrape that overran skips the ticks it missed.
    const now = this.timers.now();
    this.nextAt += this.target.interval;
    while (this.nextAt <= now) this.nextAt += this.target.interval;
    // Align to the ideal schedule when within 2 ms (Prometheus's timestamp tolerance), for better compression.
    const t = Math.abs(now - scheduled) <= 2 ? scheduled : now;
    this.running = this.scrapeAndReport(t).finally(() => {
      this.running = null;
      this.schedule();
    });
  }

  /**
   * Stops the loop and aborts a scrape in flight. With `markStale` (the target went
   * away, not a shutdown), schedules the end-of-run staleness markers (see file comment).
   */
  stop(markStale: boolean): void {
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer !== null) this.timers.clearTimeout(this.timer);
    this.timer = null;
    this.inflight?.abort();
    if (!markStale || this.lastScrape === 0) return;
    const interval = this.target.interval;
    const staleTime = this.nextAt;
    const writeAt = staleTime + interval + interval / 10;
    const wait = (this.running ?? Promise.resolve()).catch(() => {});
    this.staleDone = wait.then(
      () =>
        new Promise<void>((resolve) => {
          this.timers.setTimeout(() => {
            this.writeEndOfRunStaleness(staleTime).finally(resolve);
          }, Math.max(0, writeAt - this.timers.now()));
        }),
    );
  }

  private async writeEndOfRunStaleness(t: number): Promise<void> {
    const app = this.appendable.appender();
    try {
      this.appendBody(app, new Uint8Array(0), '', t);
      for (let i = 0; i < this.reportLabels.length; i++) this.tryAppend(app, i, this.reportLabels[i]!, t, STALE_NAN, true);
      await app.commit();
    } catch (e) {
      await app.rollback().catch(() => {});
      this.onAppendError(e instanceof Error ? e : new Error(String(e)));
    }
  }

  /** One scrape at time `t` (ms): fetch, append, report, commit. Never rejects. */
  async scrapeAndReport(t: number): Promise<void> {
    const start = this.timers.now();
    const ac = new AbortController();
    this.inflight = ac;
    const timeoutHandle = this.timers.setTimeout(() => ac.abort(), this.target.timeout);
    let scrapeErr: Error | null = null;
    let body: Uint8Array = new Uint8Array(0);
    let contentType = '';
    try {
      if (this.forcedError !== null) throw this.forcedError;
      const r = await this.scraper(ac.signal);
      body = r.body;
      contentType = r.contentType;
    } catch (e) {
      scrapeErr = e instanceof Error ? e : new Error(String(e));
      if (ac.signal.aborted) this.stats.timeouts++;
    } finally {
      this.timers.clearTimeout(timeoutHandle);
      this.inflight = null;
    }
    // A loop stopped while fetching (shutdown, reload, target gone) stores nothing more.
    if (this.stopped) return;
    if (scrapeErr !== null && scrapeErr.message === 'body size limit exceeded') this.stats.bodySizeLimitExceeded++;
    this.stats.scrapes++;
    try {
      await this.appendAndReport(t, start, body, contentType, scrapeErr);
    } catch (e) {
      // Storage refused the whole transaction (closed, invalid series): report, never crash the loop.
      this.onAppendError(e instanceof Error ? e : new Error(String(e)));
    }
  }

  private async appendAndReport(t: number, start: number, body: Uint8Array, contentType: string, fetchErr: Error | null): Promise<void> {
    let scrapeErr = fetchErr;

    let app: Appender = this.appendable.appender();
    let res: AppendResult;
    if (scrapeErr === null) {
      res = this.appendBody(app, body, contentType, t);
      if (res.err !== null) {
        // Nothing of a failed scrape is kept; an empty append writes the staleness markers.
        await app.rollback();
        app = this.appendable.appender();
        this.appendBody(app, new Uint8Array(0), '', t);
        scrapeErr = res.err;
      }
    } else {
      res = this.appendBody(app, new Uint8Array(0), '', t);
      res.total = 0;
    }
    const duration = (this.timers.now() - start) / 1000;
    // scrape_body_size_bytes: the (decompressed) size, -1 when the body size limit was hit, 0 on other failures.
    const bodySize = fetchErr === null ? body.byteLength : fetchErr.message === 'body size limit exceeded' ? -1 : 0;
    this.report(app, t, duration, res, scrapeErr, bodySize);
    try {
      await app.commit();
    } catch (e) {
      await app.rollback().catch(() => {});
      this.onAppendError(e instanceof Error ? e : new Error(String(e)));
    }
    this.health = scrapeErr === null ? 'up' : 'down';
    this.lastError = scrapeErr === null ? '' : scrapeErr.message;
    this.lastScrape = t;
    this.lastScrapeDuration = duration;
  }

  private report(app: Appender, t: number, duration: number, r: AppendResult, err: Error | null, bodySize: number): void {
    const values = [err === null ? 1 : 0, duration, r.total, r.added, r.seriesAdded];
    if (this.cfg.extraScrapeMetrics) values.push(this.target.timeout / 1000, this.cfg.sampleLimit, bodySize);
    for (let i = 0; i < values.length; i++) this.tryAppend(app, i, this.reportLabels[i]!, t, values[i]!, true);
  }

  /** Appends a report sample, remembering its ref; storage rejections are counted, not thrown. */
  private tryAppend(app: Appender, i: number, l: Labels, t: number, v: number, report: boolean): void {
    try {
      const ref = app.append(report ? this.reportRefs[i]! : NO_REF, l, t, v);
      if (report) this.reportRefs[i] = ref;
    } catch (e) {
      if (!(e instanceof StorageError)) throw e;
      this.countStorageError(e);
    }
  }

  private countStorageError(e: StorageError): void {
    if (e.code === 'out_of_order_sample') this.stats.outOfOrder++;
    else if (e.code === 'duplicate_sample_for_timestamp') this.stats.duplicate++;
    else if (e.code === 'out_of_bounds' || e.code === 'too_old_sample') this.stats.outOfBounds++;
  }

  /**
   * Parses `body` and appends its samples at default time `t`. An empty body is an empty
   * scrape (used for failures: it only writes staleness markers). Never throws for bad
   * input: the error is returned and the caller rolls back.
   */
  appendBody(app: Appender, body: Uint8Array, contentType: string, t: number): AppendResult {
    const cache = this.cache;
    cache.beginIter();
    const res: AppendResult = { total: 0, added: 0, seriesAdded: 0, err: null };
    let sampleLimitErr: ScrapeLimitError | null = null;
    const cfg = this.cfg;
    const sampleLimit = cfg.sampleLimit;
    let appended = 0;
    if (body.byteLength > 0) {
      try {
        const format = selectFormat(contentType, { fallback: this.fallback }).format;
        const p = parserFor(format, body, {});
        const buf = this.labelsBuf;
        // The parser may skip lexing a series identity that is exactly the one expected next.
        p.expect(cache.expectedKey(format));
        for (let e = p.next(); e !== Entry.EOF; e = p.next()) {
          if (e !== Entry.Series) {
            if (e === Entry.Comment) continue;
            const ms = p.metaStart();
            const me = p.metaEnd();
            // An unchanged TYPE/HELP/UNIT line costs a hash and a comparison, no decoding.
            if (cache.metaUnchanged(body, ms, me, e)) continue;
            const name = p.metaName();
            if (e === Entry.Type) cache.setType(name, p.metricType());
            else if (e === Entry.Help) cache.setHelp(name, p.helpText());
            else if (e === Entry.Unit) cache.setUnit(name, p.unit());
            cache.rememberMeta(body, ms, me, e, name);
            continue;
          }
          res.total++;
          const start = p.seriesStart();
          const end = p.seriesEnd();
          // Usually the series that followed the previous one last time: no hash needed.
          let ce = p.expectedHit() ? cache.takeExpected() : cache.predict(body, start, end);
          let hash = 0;
          if (ce === undefined) {
            hash = p.seriesHash();
            ce = cache.get(body, start, end, hash);
          }
          if (ce !== undefined) {
            if (ce.format !== format) ce.format = format;
            p.expect(cache.expectedKey(format));
          }
          if (ce?.dropped) continue;
          const hasTs = cfg.honorTimestamps && p.hasTimestamp();
          const ts = hasTs ? p.timestamp() : t;
          const v = p.value();
          let isNew = false;
          if (ce === undefined) {
            p.labelsInto(buf);
            const exposed = Labels.unsafeFromSorted(buf.slice());
            const lset = this.mutateSampleLabels(exposed);
            if (lset === null || lset.isEmpty()) {
              cache.add(body, start, end, hash, null).format = format;
              p.expect(cache.expectedKey(format));
              continue;
            }
            if (!lset.has(METRIC_NAME)) throw new Error(`missing metric name (${METRIC_NAME} label)`);
            this.verifyLabelLimits(lset, p.metricName());
            ce = cache.add(body, start, end, hash, lset);
            ce.format = format;
            p.expect(cache.expectedKey(format));
            isNew = true;
          }
          res.added++;
          if (sampleLimit > 0 && ++appended > sampleLimit) {
            // Keep parsing so scrape_samples_scraped reports the full count.
            sampleLimitErr ??= new ScrapeLimitError('sample_limit', 'sample limit exceeded');
            continue;
          }
          if (sampleLimitErr !== null) continue;
          if (!hasTs || cfg.trackTimestampsStaleness) cache.trackStaleness(ce);
          if (this.appendSample(app, ce.labels, ce.ref, ts, v, ce) && isNew) res.seriesAdded++;
        }
      } catch (e) {
        res.err = e instanceof Error ? e : new Error(String(e));
        if (e instanceof ScrapeLimitError) this.stats.labelLimitExceeded++;
        return res;
      }
    }
    if (sampleLimitErr !== null) {
      this.stats.sampleLimitExceeded++;
      res.err = sampleLimitErr;
      return res;
    }
    cache.forEachStale((l) => {
      this.appendSample(app, l, NO_REF, t, STALE_NAN, null);
    });
    cache.iterDone(body.byteLength > 0);
    return res;
  }

  /** Appends one sample; storage rejections are counted and skipped. Returns whether it was stored. */
  private appendSample(app: Appender, l: Labels, ref: SeriesRef, t: number, v: number, ce: { ref: SeriesRef } | null): boolean {
    try {
      const r = app.append(ref, l, t, v);
      if (ce !== null) ce.ref = r;
      return true;
    } catch (e) {
      if (!(e instanceof StorageError) || e.code === 'invalid_sample' || e.code === 'storage_closed') throw e;
      this.countStorageError(e);
      return false;
    }
  }

  /** Target labels merged into exposed labels (Prometheus's `mutateSampleLabels`), then metric relabeling. */
  private mutateSampleLabels(exposed: Labels): Labels | null {
    const target = this.target.publicLabels;
    const lb = new LabelsBuilder(exposed);
    if (this.cfg.honorLabels) {
      target.forEach((n, v) => {
        if (!exposed.has(n)) lb.set(n, v);
      });
    } else {
      const conflicts: [string, string][] = [];
      target.forEach((n, v) => {
        const existing = exposed.get(n);
        if (existing !== '') conflicts.push([n, existing]);
        lb.set(n, v);
      });
      if (conflicts.length > 0) {
        // Shorter names first, each prefixed with exported_ until the name is free.
        conflicts.sort((a, b) => a[0].length - b[0].length);
        const taken = new Set<string>();
        for (const c of conflicts) {
          let name = c[0];
          do name = `exported_${name}`;
          while (exposed.has(name) || target.has(name) || taken.has(name));
          taken.add(name);
          c[0] = name;
        }
        for (const [n, v] of conflicts) lb.set(n, v);
      }
    }
    const res = lb.labels();
    return this.cfg.metricRelabelConfigs.length > 0 ? relabel(res, this.cfg.metricRelabelConfigs) : res;
  }

  private verifyLabelLimits(l: Labels, metric: string): void {
    const cfg = this.cfg;
    const met = metric.slice(0, 50);
    if (cfg.labelLimit > 0 && l.length > cfg.labelLimit) {
      throw new ScrapeLimitError('label_limit', `label_limit exceeded (metric: ${met}, number of labels: ${l.length}, limit: ${cfg.labelLimit})`);
    }
    if (cfg.labelNameLengthLimit === 0 && cfg.labelValueLengthLimit === 0) return;
    for (let i = 0; i < l.length; i++) {
      const n = l.name(i);
      const v = l.value(i);
      // Go measures lengths in bytes.
      const nLen = Buffer.byteLength(n);
      const vLen = Buffer.byteLength(v);
      if (cfg.labelNameLengthLimit > 0 && nLen > cfg.labelNameLengthLimit) {
        throw new ScrapeLimitError(
          'label_name_length_limit',
          `label_name_length_limit exceeded (metric: ${met}, label name: ${n.slice(0, 50)}, length: ${nLen}, limit: ${cfg.labelNameLengthLimit})`,
        );
      }
      if (cfg.labelValueLengthLimit > 0 && vLen > cfg.labelValueLengthLimit) {
        throw new ScrapeLimitError(
          'label_value_length_limit',
          `label_value_length_limit exceeded (metric: ${met}, label name: ${n.slice(0, 50)}, value: ${JSON.stringify(v.slice(0, 50))}, length: ${vLen}, limit: ${cfg.labelValueLengthLimit})`,
        );
      }
    }
  }
}
