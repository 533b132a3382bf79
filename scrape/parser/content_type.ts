/**
 * Content negotiation for scrapes: the `Accept` header to send and the parser to use
 * for the `Content-Type` a target answers with, as Prometheus 2.42 does it.
 *
 * Vigil parses OpenMetrics 1.0 and the text format 0.0.4 (no protobuf), so it sends
 * Prometheus 2's default header (OpenMetrics preferred). A missing, malformed or
 * unknown Content-Type falls back to the text format (Prometheus 2 behaviour; a
 * Prometheus 3 `fallback_scrape_protocol` maps onto `fallback`), and the fallback is
 * reported as a warning. Protobuf answers are refused with a clear error.
 */
import { OpenMetricsParser } from './openmetrics_parser.js';
import type { ExpositionParser, ParserOptions } from './parser.js';
import { TextParser } from './text_parser.js';

/** The `Accept` header Prometheus 2.42 sends on every scrape (`scrapeAcceptHeader`). */
export const SCRAPE_ACCEPT_HEADER =
  'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1';

/** The exposition formats Vigil parses. */
export type ExpositionFormat = 'text' | 'openmetrics';

/** The Content-Type cannot be parsed by any parser Vigil has (protobuf, or strict mode without fallback). */
export class UnsupportedContentTypeError extends Error {
  readonly code = 'unsupported_content_type';
  readonly contentType: string;
  constructor(contentType: string, why: string) {
    super(`received unsupported Content-Type ${JSON.stringify(contentType)}: ${why}`);
    this.name = 'UnsupportedContentTypeError';
    this.contentType = contentType;
  }
}

/** The outcome of `selectFormat`. */
export interface FormatChoice {
  readonly format: ExpositionFormat;
  /** Set when the Content-Type was missing, malformed or unknown and the fallback was used. */
  readonly warning: string | null;
}

export interface SelectFormatOptions {
  /**
   * Format to use when the Content-Type is missing, malformed or unknown. Default `text`
   * (Prometheus 2). `null` makes such answers an error (Prometheus 3 without
   * `fallback_scrape_protocol`).
   */
  fallback?: ExpositionFormat | null;
}

/**
 * Chooses the format for a response's Content-Type (`null`/`undefined`/`''` when absent).
 * Throws `UnsupportedContentTypeError` for protobuf, or when no fallback is allowed.
 */
export function selectFormat(contentType: string | null | undefined, opts: SelectFormatOptions = {}): FormatChoice {
  const fallback = opts.fallback === undefined ? 'text' : opts.fallback;
  const ct = contentType ?? '';
  const media = mediaType(ct);
  if (media === 'application/openmetrics-text') return { format: 'openmetrics', warning: null };
  if (media === 'text/plain') return { format: 'text', warning: null };
  if (media === 'application/vnd.google.protobuf') {
    throw new UnsupportedContentTypeError(ct, 'the protobuf exposition format is not supported (Vigil does not ask for it)');
  }
  const why = ct === '' ? 'blank Content-Type' : media === null ? `cannot parse Content-Type ${JSON.stringify(ct)}` : `unknown Content-Type ${JSON.stringify(ct)}`;
  if (fallback === null) throw new UnsupportedContentTypeError(ct, `${why} and no fallback format configured`);
  return { format: fallback, warning: `${why}, parsing as ${fallback === 'text' ? 'Prometheus text format 0.0.4' : 'OpenMetrics'}` };
}

/** Creates the parser for a body of the given format. */
export function parserFor(format: ExpositionFormat, body: Uint8Array, opts: ParserOptions = {}): ExpositionParser {
  return format === 'openmetrics' ? new OpenMetricsParser(body, opts) : new TextParser(body, opts);
}

/**
 * Creates the parser for a scrape body by its Content-Type, falling back like Prometheus 2
 * (see `selectFormat`; use it directly to see the fallback warning).
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
