import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createParser, SCRAPE_ACCEPT_HEADER, selectFormat, UnsupportedContentTypeError } from './content_type.js';
import { OpenMetricsParser } from './openmetrics_parser.js';
import { TextParser } from './text_parser.js';

const body = new Uint8Array(Buffer.from('a 1\n# EOF\n'));

describe('content negotiation', () => {
  test('the Accept header prefers OpenMetrics 1.0, then 0.0.1, then text 0.0.4, then anything', () => {
    const ranked = SCRAPE_ACCEPT_HEADER.split(',').map((part) => {
      const [media, ...params] = part.split(';');
      const q = params.find((p) => p.startsWith('q='));
      return { media, version: params.find((p) => p.startsWith('version=')), q: q === undefined ? 1 : Number(q.slice(2)) };
    });
    ranked.sort((x, y) => y.q - x.q);
    assert.deepEqual(
      ranked.map((r) => `${r.media};${r.version ?? ''}`),
      ['application/openmetrics-text;version=1.0.0', 'application/openmetrics-text;version=0.0.1', 'text/plain;version=0.0.4', '*/*;'],
    );
  });

  test('Content-Type selects the parser, case- and parameter-insensitively', () => {
    assert.deepEqual(selectFormat('application/openmetrics-text; version=1.0.0; charset=utf-8'), { format: 'openmetrics', warning: null });
    assert.deepEqual(selectFormat('Application/OpenMetrics-Text;version=0.0.1'), { format: 'openmetrics', warning: null });
    assert.deepEqual(selectFormat('text/plain; version=0.0.4; charset=utf-8'), { format: 'text', warning: null });
    assert.deepEqual(selectFormat('text/plain'), { format: 'text', warning: null });
    assert.ok(createParser('application/openmetrics-text; version=1.0.0', body) instanceof OpenMetricsParser);
    assert.ok(createParser('text/plain; version=0.0.4', body) instanceof TextParser);
  });

  test('missing, malformed or unknown Content-Type falls back to the text format with a warning', () => {
    for (const ct of [undefined, null, '', 'garbage', 'text/html; charset=utf-8', 'application/json', 'text/plain/x']) {
      const c = selectFormat(ct);
      assert.equal(c.format, 'text', String(ct));
      assert.ok(c.warning !== null && c.warning.length > 0, String(ct));
    }
    assert.ok(createParser(undefined, body) instanceof TextParser);
    assert.equal(selectFormat('', { fallback: 'openmetrics' }).format, 'openmetrics');
  });

  test('strict mode and protobuf answers are errors', () => {
    assert.throws(() => selectFormat('application/json', { fallback: null }), UnsupportedContentTypeError);
    assert.throws(() => selectFormat(undefined, { fallback: null }), /blank Content-Type/);
    assert.throws(
      () => selectFormat('application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited'),
      (e: unknown) => e instanceof UnsupportedContentTypeError && e.code === 'unsupported_content_type' && /protobuf/.test(e.message),
    );
  });

  test('parser options pass through createParser', () => {
    const p = createParser('application/openmetrics-text', new Uint8Array(Buffer.from('a_total 1 # {x="y"} 1\n# EOF\n')), { exemplars: false });
    p.next();
    assert.equal(p.exemplar(), null);
  });
});
