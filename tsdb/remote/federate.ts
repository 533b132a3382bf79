/**
 * `GET /federate?match[]=…`: the latest sample of every series matching any of the
 * selectors, within the lookback delta, in the Prometheus text format 0.0.4, as
 * Prometheus's web/federate.go writes it:
 * - each metric name starts a family with `# TYPE <name> untyped`; families are sorted by
 *   metric name (series within a family by labels); nameless series are skipped;
 * - staleness markers are left out (the format cannot carry them);
 * - external labels are appended after the series' own labels, unless the series already
 *   has that label; `instance=""` is appended when neither has an instance label, so a
 *   scraper with `honor_labels: true` does not attach its own target's instance;
 * - every sample carries its timestamp (ms).
 * Without `match[]` the response is empty.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Counter, type Registry } from 'prom-client';
import { Labels, METRIC_NAME } from '../labels.js';
import type { Matcher } from '../matcher.js';
import { MergeSeriesSet } from '../fanout.js';
import { isStaleNaN, type Queryable, type SeriesSet, ValueType } from '../storage.js';

export const TEXT_FORMAT_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** Options of `federateRoutes`. */
export interface FederateOptions {
  queryable: () => Queryable;
  /**
   * Parses one `match[]` selector into matchers (PromQL's `parseMetricSelector`, injected by the
   * composition root so that tsdb does not depend on the query language). Its error message is
   * sent to the client with status 400.
   */
  parseSelector: (selector: string) => Matcher[];
  externalLabels: () => Labels;
  /** `--query.lookback-delta` (ms). */
  lookbackDeltaMs: number;
  metrics?: Registry;
  now?: () => number;
}

/** Formats a float as Go's strconv.FormatFloat(v, 'g', -1, 64) does (the exposition format's rule). */
export function formatGoFloat(v: number): string {
  if (v === Number.POSITIVE_INFINITY) return '+Inf';
  if (v === Number.NEGATIVE_INFINITY) return '-Inf';
  if (Number.isNaN(v)) return 'NaN';
  if (v === 0) return Object.is(v, -0) ? '-0' : '0';
  const e = v.toExponential();
  const at = e.indexOf('e');
  const exp = Number(e.slice(at + 1));
  if (exp < -4 || exp >= 6) {
    const abs = Math.abs(exp);
    return `${e.slice(0, at)}e${exp < 0 ? '-' : '+'}${abs < 10 ? '0' : ''}${abs}`;
  }
  return String(v);
}

function escapeLabelValue(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

interface Latest {
  labels: Labels;
  t: number;
  v: number;
}

/** The latest non-stale sample of every series in `ss`. */
function latestSamples(ss: SeriesSet): Latest[] {
  const out: Latest[] = [];
  const vbuf = new Float64Array(1);
  while (ss.next()) {
    const s = ss.at();
    const it = s.iterator();
    let t = Number.NaN;
    while (it.next() !== ValueType.None) {
      t = it.atT();
      vbuf[0] = it.atV();
    }
    if (Number.isNaN(t) || isStaleNaN(vbuf[0]!)) continue;
    if (s.labels.metricName() === '') continue;
    out.push({ labels: s.labels, t, v: vbuf[0]! });
  }
  const err = ss.err();
  if (err !== null) throw err;
  return out;
}

/** Renders the samples in the text format (see the file comment). */
export function renderFederation(samples: Latest[], external: Labels): string {
  samples.sort((a, b) => {
    const na = a.labels.metricName();
    const nb = b.labels.metricName();
    return na < nb ? -1 : na > nb ? 1 : Labels.compare(a.labels, b.labels);
  });
  const ext: [string, string][] = [];
  external.forEach((n, v) => {
    ext.push([n, v]);
  });
  if (!external.has('instance')) ext.push(['instance', '']);
  ext.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  let out = '';
  let last = '';
  for (const s of samples) {
    const name = s.labels.metricName();
    if (name !== last) {
      out += `# TYPE ${name} untyped\n`;
      last = name;
    }
    const parts: string[] = [];
    s.labels.forEach((n, v) => {
      if (n !== METRIC_NAME) parts.push(`${n}="${escapeLabelValue(v)}"`);
    });
    for (const [n, v] of ext) if (!s.labels.has(n)) parts.push(`${n}="${escapeLabelValue(v)}"`);
    out += `${name}${parts.length > 0 ? `{${parts.join(',')}}` : ''} ${formatGoFloat(s.v)} ${s.t}\n`;
  }
  return out;
}

/** Registers `GET /federate`. */
export async function federateRoutes(app: FastifyInstance, opts: FederateOptions): Promise<void> {
  const now = opts.now ?? Date.now;
  const errors = new Counter({
    name: 'prometheus_web_federation_errors_total',
    help: 'Total number of errors that occurred while sending federation responses.',
    registers: opts.metrics ? [opts.metrics] : [],
  });
  const warnings = new Counter({
    name: 'prometheus_web_federation_warnings_total',
    help: 'Total number of warnings that occurred while sending federation responses.',
    registers: opts.metrics ? [opts.metrics] : [],
  });
  app.get('/federate', async (req: FastifyRequest, reply: FastifyReply) => {
    const q = req.query as Record<string, string | string[] | undefined>;
    const raw = q['match[]'];
    const selectors = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
    let matcherSets: Matcher[][];
    try {
      matcherSets = selectors.map((s) => opts.parseSelector(s));
    } catch (e) {
      if (!(e instanceof Error)) throw e;
      return reply.code(400).type('text/plain; charset=utf-8').send(`${e.message}\n`);
    }
    const maxt = now();
    const mint = maxt - opts.lookbackDeltaMs;
    const querier = await opts.queryable().querier(mint, maxt);
    try {
      const hints = { start: mint, end: maxt, step: 0, func: '', range: 0, grouping: [], by: false, limit: 0 };
      const sets = await Promise.all(matcherSets.map((m) => querier.select(true, hints, m)));
      const merged = new MergeSeriesSet(sets);
      const samples = latestSamples(merged);
      if (merged.warnings().length > 0) warnings.inc(merged.warnings().length);
      return reply.code(200).type(TEXT_FORMAT_CONTENT_TYPE).send(renderFederation(samples, opts.externalLabels()));
    } catch (e) {
      errors.inc();
      return reply.code(500).type('text/plain; charset=utf-8').send(`${e instanceof Error ? e.message : String(e)}\n`);
    } finally {
      await querier.close();
    }
  });
}
