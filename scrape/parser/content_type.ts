/**
 * Content negotiation for scrapes, as Prometheus 3 does it: the `Accept` header is built
 * from the job's `scrape_protocols` (preference order, q-values counting down), and the
 * parser is chosen by the `Content-Type` of the answer. A missing, unparsable or unknown
 * Content-Type uses the job's `fallback_scrape_protocol` (with a warning), or fails the
 * scrape when none is configured.
 *
 * Vigil parses OpenMetrics (0.0.1 and 1.0.0) and the text format (0.0.4 and 1.0.0), not
 * protobuf: `PrometheusProto` is accepted in the configuration but never requested (it is
 * left out of the `Accept` header, keeping the other entries' weights), and a protobuf
 * answer fails the scrape with a clear error.
 */
import { SCRAPE_PROTOCOL_HEADERS, type ScrapeProtocol } from '../config.js';
import { OpenMetricsParser } from './openmetrics_parser.js';
import type { ExpositionParser, ParserOptions } from './parser.js';
import { TextParser } from './text_parser.js';

/** The `Accept` header Prometheus 2.42 sent on every scrape (`scrapeAcceptHeader`). */
export const SCRAPE_ACCEPT_HEADER =
  'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1';

const PROTOCOL_COUNT = Object.keys(SCRAPE_PROTOCOL_HEADERS).length;

/**
 * The `Accept` header for a `scrape_protocols` list: each protocol in order with
 * `q=0.<w>`, `w` counting down from (number of known protocols + 1), then `*\/*` with the
 * next weight. The 1.0.0 text formats carry `escaping=<escaping>` (the job's
 * `metric_name_escaping_scheme`), as Prometheus 3 sends. `PrometheusProto` is skipped
 * (see the file comment) but still uses up its weight.
 */
export function acceptHeader(protocols: readonly ScrapeProtocol[], escaping: string): string {
  const parts: string[] = [];
  let weight = PROTOCOL_COUNT + 1;
  for (const p of protocols) {
    if (p !== 'PrometheusProto') {
      let v = SCRAPE_PROTOCOL_HEADERS[p];
      if ((p === 'PrometheusText1.0.0' || p === 'OpenMetricsText1.0.0') && escaping !== '') v += `;escaping=${escaping}`;
      parts.push(`${v};q=0.${weight}`);
    }
    weight--;
  }
  parts.push(`*/*;q=0.${weight}`);
  return parts.join(',');
}

/** The exposition formats Vigil parses. */
export type ExpositionFormat = 'text' | 'openmetrics';

/** A format a fallback may name: what Vigil parses, or protobuf (which it refuses). */
export type FallbackFormat = ExpositionFormat | 'protobuf';

/** The format of a configured `fallback_scrape_protocol` (`''` = none: `null`). */
export function fallbackFormat(p: ScrapeProtocol | ''): FallbackFormat | null {
  if (p === '') return null;
  if (p === 'PrometheusProto') return 'protobuf';
  return p.startsWith('OpenMetrics') ? 'openmetrics' : 'text';
}

const FORMAT_MEDIA: Readonly<Record<FallbackFormat, string>> = {
  text: 'text/plain',
  openmetrics: 'application/openmetrics-text',
  protobuf: 'application/vnd.google.protobuf',
};

/** The answer cannot be parsed: protobuf, or an unusable Content-Type and no fallback. */
export class UnsupportedContentTypeError extends Error {
  readonly code = 'unsupported_content_type';
  readonly contentType: string;
  constructor(contentType: string, message: string) {
    super(message);
    this.name = 'UnsupportedContentTypeError';
    this.contentType = contentType;
  }
}

/** The outcome of `selectFormat`. */
export interface FormatChoice {
  readonly format: ExpositionFormat;
  /** Set when the Content-Type was missing, unparsable or unknown and the fallback was used. */
  readonly warning: string | null;
}

export interface SelectFormatOptions {
  /**
   * Format to use when the Content-Type is missing, unparsable or unknown (the job's
   * `fallback_scrape_protocol`, see `fallbackFormat`). Default `null`: such answers are an
   * error, as in Prometheus 3.
   */
  fallback?: FallbackFormat | null;
}

/**
 * Chooses the format for a response's Content-Type (`null`/`undefined`/`''` when absent),
 * with Prometheus 3's messages. Throws `UnsupportedContentTypeError` for protobuf (answered
 * or as the fallback), or when the fallback is needed and there is none.
 */
export function selectFormat(contentType: string | null | undefined, opts: SelectFormatOptions = {}): FormatChoice {
  const fallback = opts.fallback ?? null;
  const ct = contentType ?? '';
  const media = ct === '' ? '' : mediaType(ct);
  if (media === 'application/openmetrics-text') return { format: 'openmetrics', warning: null };
  if (media === 'text/plain') return { format: 'text', warning: null };
  if (media === 'application/vnd.google.protobuf') {
    throw new UnsupportedContentTypeError(ct, `received Content-Type ${JSON.stringify(ct)}: the protobuf exposition format is not supported (remove PrometheusProto from scrape_protocols)`);
  }
  let failure: string;
  let warning: string;
  if (fallback === null) {
    if (ct === '') failure = 'non-compliant scrape target sending blank Content-Type and no fallback_scrape_protocol specified for target';
    else if (media === null) failure = `cannot parse Content-Type ${JSON.stringify(ct)} and no fallback_scrape_protocol for target`;
    else failure = `received unsupported Content-Type ${JSON.stringify(ct)} and no fallback_scrape_protocol specified for target`;
    throw new UnsupportedContentTypeError(ct, failure);
  }
  const fb = JSON.stringify(FORMAT_MEDIA[fallback]);
  if (ct === '') warning = `non-compliant scrape target sending blank Content-Type, using fallback_scrape_protocol ${fb}`;
  else if (media === null) warning = `could not parse received Content-Type ${JSON.stringify(ct)}, using fallback_scrape_protocol ${fb}`;
  else warning = `received unsupported Content-Type ${JSON.stringify(ct)}, using fallback_scrape_protocol ${fb}`;
  if (fallback === 'protobuf') {
    throw new UnsupportedContentTypeError(ct, `${warning}: the protobuf exposition format is not supported`);
  }
  return { format: fallback, warning };
}

/** Creates the parser for a body of the given format. */
export function parserFor(format: ExpositionFormat, body: Uint8Array, opts: ParserOptions = {}): ExpositionParser {
  return format === 'openmetrics' ? new OpenMetricsParser(body, opts) : new TextParser(body, opts);
}

/**
 * Creates the parser for a scrape body by its Content-Type (see `selectFormat`; use it
 * directly to see the fallback warning).
 */
export function createParser(
  contentType: string | null | undefined,
  body: Uint8Array,
  opts: ParserOptions & SelectFormatOptions = {},
): ExpositionParser {
  return parserFor(selectFormat(contentType, opts).format, body, opts);
}

/**
 * The lower-cased media type of a Content-Type (`type/subtype` before any `;`), or null when it
 * is not of that shape (Go's `mime.ParseMediaType` would reject it).
 */
function mediaType(ct: string): string | null {
  const semi = ct.indexOf(';');
  const mt = (semi < 0 ? ct : ct.slice(0, semi)).trim().toLowerCase();
  const slash = mt.indexOf('/');
  if (slash <= 0 || slash === mt.length - 1 || mt.indexOf('/', slash + 1) >= 0) return null;
  for (let i = 0; i < mt.length; i++) {
    const c = mt.charCodeAt(i);
    // RFC 2045 token characters (and the slash).
    if (c <= 0x20 || c >= 0x7f || '()<>@,;:\\"[]?='.includes(mt[i]!)) return null;
  }
  return mt;
}
