/**
 * A `remote_read` endpoint as a secondary `Queryable` (Prometheus storage/remote/read.go):
 * - `required_matchers`: a select is sent only when its matchers include every required
 *   equality matcher; otherwise it returns nothing;
 * - external labels (when `filter_external_labels`) are added as equality matchers for
 *   labels the select does not constrain, and removed again from the returned series;
 * - without `read_recent`, only the time before the local storage's oldest sample is
 *   asked for (a querier that starts later asks nothing);
 * - failures never fail the query: they come back as a warning on an empty SeriesSet.
 * Label name/value lookups are not sent to remote read endpoints (the protocol has none).
 */
import { Labels } from '../labels.js';
import { MatchType, type Matcher } from '../matcher.js';
import { EmptySeriesSet, ListSeriesSet } from '../series_set.js';
import type { LabelHints, Querier, Queryable, SelectHints, Series, SeriesSet } from '../storage.js';
import { ArraySeries } from '../memory_storage.js';
import type { ReadClient } from './read_client.js';
import type { ReadQuery, WireMatcher } from './read_codec.js';

/** Options of `RemoteQueryable`. */
export interface RemoteQueryableOptions {
  /** For warnings: `remote_read` name or hash. */
  name: string;
  /** External labels to add as matchers and strip from results, or null (`filter_external_labels: false`). */
  externalLabels: Labels | null;
  requiredMatchers: Readonly<Record<string, string>>;
  readRecent: boolean;
  /** The local storage's oldest timestamp (ms). */
  localStartTime: () => Promise<number>;
}

export class RemoteQueryable implements Queryable {
  readonly client: ReadClient;
  private readonly opts: RemoteQueryableOptions;

  constructor(client: ReadClient, opts: RemoteQueryableOptions) {
    this.client = client;
    this.opts = opts;
  }

  async querier(mint: number, maxt: number): Promise<Querier> {
    if (!this.opts.readRecent) {
      const local = await this.opts.localStartTime();
      if (mint > local) return new RemoteQuerier(this.client, this.opts, mint, maxt, true);
      if (maxt > local) maxt = local;
    }
    return new RemoteQuerier(this.client, this.opts, mint, maxt, false);
  }
}

class RemoteQuerier implements Querier {
  constructor(
    private readonly client: ReadClient,
    private readonly opts: RemoteQueryableOptions,
    private readonly mint: number,
    private readonly maxt: number,
    private readonly noop: boolean,
  ) {}

  async select(sortSeries: boolean, hints: SelectHints | null, matchers: readonly Matcher[]): Promise<SeriesSet> {
    if (this.noop) return new EmptySeriesSet();
    for (const [name, value] of Object.entries(this.opts.requiredMatchers)) {
      if (!matchers.some((m) => m.type === MatchType.Equal && m.name === name && m.value === value)) return new EmptySeriesSet();
    }
    const wire: WireMatcher[] = matchers.map((m) => ({ type: m.type, name: m.name, value: m.value }));
    const added: string[] = [];
    const ext = this.opts.externalLabels;
    if (ext !== null) {
      for (let i = 0; i < ext.length; i++) {
        const n = ext.name(i);
        if (matchers.some((m) => m.name === n)) continue;
        wire.push({ type: MatchType.Equal, name: n, value: ext.value(i) });
        added.push(n);
      }
    }
    const query: ReadQuery = {
      startMs: this.mint,
      endMs: this.maxt,
      matchers: wire,
      hints:
        hints === null
          ? null
          : { stepMs: hints.step, func: hints.func, startMs: hints.start, endMs: hints.end, grouping: [...hints.grouping], by: hints.by, rangeMs: hints.range },
    };
    try {
      const res = await this.client.read(query);
      const series: Series[] = [];
      for (let i = 0; i < res.labels.length; i++) {
        let labels = res.labels[i]!;
        if (added.length > 0) labels = labels.builder().del(...added).labels();
        series.push(new ArraySeries(labels, res.ts.subarray(res.starts[i]!, res.starts[i + 1]!), res.vs.subarray(res.starts[i]!, res.starts[i + 1]!)));
      }
      if (sortSeries) series.sort((a, b) => Labels.compare(a.labels, b.labels));
      const warnings = res.invalid.map((why) => `remote_read ${this.opts.name}: series left out: ${why}`);
      return new ListSeriesSet(series, warnings);
    } catch (e) {
      return new EmptySeriesSet(null, [`remote_read ${this.opts.name} (${this.client.url}): ${e instanceof Error ? e.message : String(e)}`]);
    }
  }

  async labelNames(_matchers: readonly Matcher[], _hints?: LabelHints): Promise<string[]> {
    return [];
  }

  async labelValues(_name: string, _matchers: readonly Matcher[], _hints?: LabelHints): Promise<string[]> {
    return [];
  }

  async close(): Promise<void> {}
}
