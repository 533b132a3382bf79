/**
 * The alert as the notifier sends it (`notifier/alert.go`) and its Alertmanager
 * API v2 JSON form (`POST /api/v2/alerts` body element).
 */
import type { Labels } from '../tsdb/labels.js';

/** An alert to send. Times are ms since the epoch; 0 = unset (Go's zero time). */
export interface NotifierAlert {
  readonly labels: Labels;
  readonly annotations: Labels;
  readonly startsAtMs: number;
  readonly endsAtMs: number;
  readonly generatorUrl: string;
}

/** One element of the API v2 `postableAlerts` body. */
export interface PostableAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt?: string;
  endsAt?: string;
  generatorURL: string;
}

/** RFC 3339 with trimmed fractional seconds, in UTC, as Go marshals `time.Time`. */
export function rfc3339(ms: number): string {
  const iso = new Date(ms).toISOString();
  return iso.replace(/\.000Z$/, 'Z').replace(/(\.\d*?)0+Z$/, '$1Z');
}

/** The API v2 JSON of `a`; unset times are omitted (Alertmanager then fills them in). */
export function toPostable(a: NotifierAlert): PostableAlert {
  const p: PostableAlert = { labels: a.labels.toRecord(), annotations: a.annotations.toRecord(), generatorURL: a.generatorUrl };
  if (a.startsAtMs !== 0) p.startsAt = rfc3339(a.startsAtMs);
  if (a.endsAtMs !== 0) p.endsAt = rfc3339(a.endsAtMs);
  return p;
}
