/**
 * Annotations: the non-fatal warnings and infos a query produces, rendered as the
 * Prometheus API does: `PromQL warning: <message> (<line>:<col>)`.
 *
 * As in Prometheus, annotations are de-duplicated by message (without position);
 * when the same message is added twice the later position wins.
 */
import type { PosRange } from './ast.js';
import { formatGoG } from './go_float.js';

export type AnnotationKind = 'warning' | 'info';

interface Annotation {
  readonly kind: AnnotationKind;
  readonly message: string;
  readonly pos: PosRange | null;
}

export class Annotations {
  private readonly byMessage: Map<string, Annotation>;

  constructor() {
    this.byMessage = new Map();
  }

  add(kind: AnnotationKind, message: string, pos: PosRange | null): void {
    const key = `${kind}\x00${message}`;
    this.byMessage.delete(key);
    this.byMessage.set(key, { kind, message, pos });
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
      const text = `PromQL ${a.kind}: ${a.message}${where}`;
      if (a.kind === 'warning') warnings.push(text);
      else infos.push(text);
    }
    return { warnings, infos };
  }
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
