/**
 * Annotations: the non-fatal warnings and infos a query produces, rendered as the
 * Prometheus API does: `PromQL warning: <message> (<line>:<col>)`.
 *
 * As in Prometheus, annotations are de-duplicated by message (without position);
 * when the same message is added twice the later position wins.
 */
import type { PosRange } from './ast.js';
import { formatGoG, formatGoGPrec } from './go_float.js';

export type AnnotationKind = 'warning' | 'info';

interface Annotation {
  readonly kind: AnnotationKind;
  readonly message: string;
  readonly pos: PosRange | null;
  /** Details merged across steps (histogram_quantile monotonicity), rendered after the message. */
  detail: MonotonicityDetail | null;
}

interface MonotonicityDetail {
  minTs: number;
  maxTs: number;
  minBucket: number;
  maxBucket: number;
  maxDiff: number;
  count: number;
}

export class Annotations {
  private readonly byMessage: Map<string, Annotation>;

  constructor() {
    this.byMessage = new Map();
  }

  add(kind: AnnotationKind, message: string, pos: PosRange | null): void {
    const key = `${kind}\x00${message}`;
    this.byMessage.delete(key);
    this.byMessage.set(key, { kind, message, pos, detail: null });
  }

  /**
   * The histogram_quantile monotonicity info: one annotation per message, its
   * details (bucket range, largest fix, sample count, time range) merged over steps.
   */
  monotonicity(message: string, pos: PosRange | null, ts: number, minBucket: number, maxBucket: number, maxDiff: number): void {
    const key = `info\x00${message}`;
    const prev = this.byMessage.get(key);
    if (prev?.detail != null) {
      const d = prev.detail;
      d.minTs = Math.min(d.minTs, ts);
      d.maxTs = Math.max(d.maxTs, ts);
      d.minBucket = Math.min(d.minBucket, minBucket);
      d.maxBucket = Math.max(d.maxBucket, maxBucket);
      d.maxDiff = Math.max(d.maxDiff, maxDiff);
      d.count++;
      return;
    }
    this.byMessage.set(key, { kind: 'info', message, pos, detail: { minTs: ts, maxTs: ts, minBucket, maxBucket, maxDiff, count: 0 } });
  }

  warn(message: string, pos: PosRange | null): void {
    this.add('warning', message, pos);
  }

  info(message: string, pos: PosRange | null): void {
    this.add('info', message, pos);
  }

  get size(): number {
    return this.byMessage.size;
  }

  /** Renders every annotation against `query` (for line:column), warnings and infos separately. */
  render(query: string): { warnings: string[]; infos: string[] } {
    const warnings: string[] = [];
    const infos: string[] = [];
    for (const a of this.byMessage.values()) {
      const where = a.pos === null ? '' : ` (${lineCol(query, a.pos.start)})`;
      const d = a.detail;
      const detail =
        d === null
          ? ''
          : `, from buckets ${formatGoG(d.minBucket)} to ${formatGoG(d.maxBucket)}, with a max diff of ${formatGoGPrec(d.maxDiff, 2)}, over ${d.count + 1} samples from ${rfc3339(d.minTs)} to ${rfc3339(d.maxTs)}`;
      const text = `PromQL ${a.kind}: ${a.message}${detail}${where}`;
      if (a.kind === 'warning') warnings.push(text);
      else infos.push(text);
    }
    return { warnings, infos };
  }
}

/** Go's RFC 3339 rendering of a time at whole seconds (UTC): `2024-01-02T03:04:05Z`. */
function rfc3339(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/** 1-based `line:col` of character offset `pos` in `query`; the column counts UTF-8 bytes, as Go does. */
export function lineCol(query: string, pos: number): string {
  let line = 1;
  let lineStart = 0;
  const end = Math.min(pos, query.length);
  for (let i = 0; i < end; i++) {
    if (query.charCodeAt(i) === 0x0a) {
      line++;
      lineStart = i + 1;
    }
  }
  const col = Buffer.byteLength(query.slice(lineStart, end), 'utf8') + 1;
  return `${line}:${col}`;
}

// The annotation texts Prometheus emits for float data (util/annotations/annotations.go).

export function invalidQuantileMsg(q: number): string {
  return `quantile value should be between 0 and 1, got ${formatGoG(q)}`;
}

export function invalidRatioMsg(r: number, to: number): string {
  return `ratio value should be between -1 and 1, got ${formatGoG(r)}, capping to ${formatGoG(to)}`;
}

export function possibleNonCounterMsg(metricName: string): string {
  return `metric might not be a counter, name does not end in _total/_sum/_count/_bucket: ${JSON.stringify(metricName)}`;
}

export const SORT_IN_RANGE_QUERY_MSG = 'sort is ineffective for range queries since results are always ordered by labels';

export function badBucketLabelMsg(metricName: string, le: string): string {
  const base = `bucket label "le" is missing or has a malformed value of ${JSON.stringify(le)}`;
  return metricName === '' ? base : `${base} for metric name ${JSON.stringify(metricName)}`;
}

export function forcedMonotonicityMsg(metricName: string): string {
  const base =
    'input to histogram_quantile needed to be fixed for monotonicity (see https://prometheus.io/docs/prometheus/latest/querying/functions/#histogram_quantile)';
  return metricName === '' ? base : `${base} for metric name ${JSON.stringify(metricName)}`;
}
