/**
 * The exposition parser contract, modelled on Prometheus's `textparse.Parser`.
 *
 * A parser is a pull iterator over one scrape body (a `Uint8Array` it never copies
 * or mutates). `next()` moves to the next entry and returns its kind; the accessors
 * then describe that entry and stay valid until the following `next()`. Nothing is
 * decoded that the caller does not ask for: a scrape loop that caches series by
 * their exposed text (`seriesKey()`/`seriesHash()`) reads only `value()` and
 * `timestamp()` for series it has seen before, and builds labels only on a miss.
 *
 * Errors: `next()` throws a `ParseError` (scrape/parser/parse_error.ts) naming the
 * line; after that the parser is finished and every further `next()` rethrows it.
 * Implementations: `TextParser` (Prometheus text 0.0.4, scrape/parser/text_parser.ts)
 * and `OpenMetricsParser` (OpenMetrics 1.0, scrape/parser/openmetrics_parser.ts);
 * `createParser` (scrape/parser/content_type.ts) picks one by Content-Type.
 */
import type { Labels } from '../../tsdb/labels.js';

/** What `next()` found. */
export const Entry = {
  /** The body is exhausted (for OpenMetrics: `# EOF` was read and nothing follows). */
  EOF: 0,
  /** A sample line: name, labels, value, optional timestamp (and for OpenMetrics an optional exemplar). */
  Series: 1,
  /** `# TYPE <name> <type>`: read `metaName()` and `metricType()`. */
  Type: 2,
  /** `# HELP <name> <text>`: read `metaName()` and `helpText()`. */
  Help: 3,
  /** `# UNIT <name> <unit>` (OpenMetrics only): read `metaName()` and `unit()`. */
  Unit: 4,
  /** Any other `#` line (text format only): read `comment()`. */
  Comment: 5,
} as const;
export type Entry = (typeof Entry)[keyof typeof Entry];

/**
 * Metric types as Prometheus names them (`model.MetricType`). The text format's
 * `untyped` and OpenMetrics' `unknown` both map to `unknown`.
 */
export type MetricType =
  | 'unknown'
  | 'counter'
  | 'gauge'
  | 'histogram'
  | 'gaugehistogram'
  | 'summary'
  | 'info'
  | 'stateset';

/** An OpenMetrics exemplar attached to the current sample. */
export interface Exemplar {
  readonly labels: Labels;
  readonly value: number;
  /** Whether the exemplar carried a timestamp. */
  readonly hasTimestamp: boolean;
  /** Milliseconds since the epoch (truncated from OpenMetrics seconds, as Prometheus does); 0 when absent. */
  readonly timestamp: number;
}

/** Options shared by both parsers. Every field is optional; defaults are Prometheus 2.42's behaviour. */
export interface ParserOptions {
  /**
   * Rewrite `le` (histogram) and `quantile` (summary) label values into OpenMetrics' canonical
   * float form (`"1"` → `"1.0"`, `"1000000"` → `"1e+06"`), as Prometheus 3 does. Default false:
   * Prometheus 2.42 stores the values as exposed.
   */
  normalizeFloatLabels?: boolean;
  /** OpenMetrics: parse exemplars and expose them via `exemplar()`. Default true; false skips them (still syntax-checked). */
  exemplars?: boolean;
  /**
   * OpenMetrics: skip `<name>_created` samples of counters, histograms and summaries instead of
   * returning them as ordinary series. Default false (Prometheus 2.42 and Prometheus 3 without
   * `created-timestamp-zero-ingestion` store them as ordinary series).
   */
  skipCreatedSeries?: boolean;
}

/** A pull parser over one exposition body. See the file comment for the contract. */
export interface ExpositionParser {
  /** Advances to the next entry. Throws `ParseError` on malformed input. */
  next(): Entry;

  /** 1-based line number of the current entry (for messages and diagnostics). */
  line(): number;

  // ---- Series entries ----

  /** Byte offset where the current series' identity (name and label block) starts in the body. */
  seriesStart(): number;
  /** Byte offset just past the current series' identity (the closing `}` or the end of the name). */
  seriesEnd(): number;
  /**
   * The exposed series text (`name{labels}` exactly as in the body) as a byte-per-char string.
   * Equal exposed text gives equal keys, so this is a cheap cache key that needs no label decoding.
   */
  seriesKey(): string;
  /** A 32-bit hash of the exposed series text; equal text hashes equally. */
  seriesHash(): number;
  /**
   * Hint for the next series entry: its identity (`seriesStart()`..`seriesEnd()`) is probably
   * exactly `key`, bytes that a parser of the same format accepted as a series identity before
   * (e.g. a scrape cache's entry for the series that followed last time). When it is, `next()`
   * may skip lexing and checking the identity again, and `expectedHit()` is true; the hint is
   * used up by the next series entry. Parsers may ignore hints (OpenMetrics does).
   */
  expect(key: Uint8Array | null): void;
  /** Whether the current series entry's identity is exactly the key given to `expect`. */
  expectedHit(): boolean;
  /** The metric name (decoded and unescaped). */
  metricName(): string;
  /** Number of labels as exposed (`__name__` included, empty-valued ones too), known without decoding. */
  labelCount(): number;
  /**
   * Writes the labels, `__name__` included, as flat `[name0, value0, name1, value1, …]` into `out`
   * (whose length is set to exactly that), sorted by name, empty values left out — the invariants
   * of `Labels`. Reuse `out` across calls to avoid allocating an array per sample.
   */
  labelsInto(out: string[]): void;
  /** The labels as an immutable label set (allocates; see `labelsInto`). */
  labels(): Labels;
  /** The sample value; every NaN is returned as the canonical quiet NaN. */
  value(): number;
  /** Whether the sample carried a timestamp. */
  hasTimestamp(): boolean;
  /** The sample timestamp in milliseconds since the epoch, or 0 when `hasTimestamp()` is false. */
  timestamp(): number;
  /** The exemplar of the current sample, or null (always null for the text format or when disabled). */
  exemplar(): Exemplar | null;
  /**
   * OpenMetrics: the creation time (ms) of the current counter, histogram or summary series, taken
   * from its family's matching `<family>_created` sample found by reading ahead — what Prometheus 3
   * calls the start timestamp. 0 when there is none, and always 0 for the text format. Costs a
   * look-ahead per label set of a family (cached for the family's other series).
   */
  createdTimestamp(): number;

  // ---- Metadata entries ----

  /** The metric family name of the current TYPE, HELP or UNIT entry. */
  metaName(): string;
  /**
   * Byte range `[metaStart(), metaEnd())` of the current TYPE, HELP or UNIT entry in the body:
   * from its metric name to the end of its line. Two entries of the same kind with equal bytes
   * there have equal names and texts, so a caller can skip decoding an unchanged entry.
   */
  metaStart(): number;
  metaEnd(): number;
  /** The type of the most recent TYPE entry (`unknown` before any); for series this is the type in force. */
  metricType(): MetricType;
  /** The text of the current HELP entry, unescaped. */
  helpText(): string;
  /** The unit of the current UNIT entry, or of the most recent one for series (`''` if none). */
  unit(): string;
  /** The text of the current comment entry, including the leading `#`. */
  comment(): string;
}
