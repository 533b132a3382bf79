import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DEFAULT_SCRAPE_PROTOCOLS } from '../config.js';
import { acceptHeader, createParser, fallbackFormat, SCRAPE_ACCEPT_HEADER, selectFormat, UnsupportedContentTypeError } from './content_type.js';
import { OpenMetricsParser } from './openmetrics_parser.js';
import { TextParser } from './text_parser.js';

const body = new Uint8Array(Buffer.from('a 1\n# EOF\n'));

describe('content negotiation', () => {
  test('Prometheus 2.42\'s Accept header prefers OpenMetrics 1.0, then 0.0.1, then text 0.0.4, then anything', () => {
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

  test('without a fallback, a missing, unparsable or unknown Content-Type is an error (Prometheus 3)', () => {
    const cases: [string | null | undefined, RegExp][] = [
      [undefined, /^non-compliant scrape target sending blank Content-Type and no fallback_scrape_protocol specified for target$/],
      ['', /blank Content-Type/],
      ['garbage', /^cannot parse Content-Type "garbage" and no fallback_scrape_protocol for target$/],
      ['text/plain/x', /cannot parse Content-Type/],
      ['text/html; charset=utf-8', /^received unsupported Content-Type "text\/html; charset=utf-8" and no fallback_scrape_protocol specified for target$/],
      ['application/json', /unsupported Content-Type "application\/json"/],
    ];
    for (const [ct, re] of cases) {
      assert.throws(() => selectFormat(ct), (e: unknown) => e instanceof UnsupportedContentTypeError && e.code === 'unsupported_content_type' && re.test(e.message), String(ct));
    }
    assert.throws(() => createParser(undefined, body), UnsupportedContentTypeError);
  });

  test('with a fallback, a missing, unparsable or unknown Content-Type uses it and says so', () => {
    assert.deepEqual(selectFormat('', { fallback: 'text' }), {
      format: 'text',
      warning: 'non-compliant scrape target sending blank Content-Type, using fallback_scrape_protocol "text/plain"',
    });
    assert.deepEqual(selectFormat('garbage', { fallback: 'openmetrics' }), {
      format: 'openmetrics',
      warning: 'could not parse received Content-Type "garbage", using fallback_scrape_protocol "application/openmetrics-text"',
    });
    assert.equal(selectFormat('application/json', { fallback: 'text' }).warning, 'received unsupported Content-Type "application/json", using fallback_scrape_protocol "text/plain"');
    // A recognised Content-Type wins over the fallback.
    assert.deepEqual(selectFormat('text/plain; version=0.0.4', { fallback: 'openmetrics' }), { format: 'text', warning: null });
    assert.ok(createParser(undefined, body, { fallback: 'text' }) instanceof TextParser);
    assert.ok(createParser(null, body, { fallback: 'openmetrics' }) instanceof OpenMetricsParser);
    // Vigil has no protobuf parser: a protobuf fallback cannot be used.
    assert.throws(() => selectFormat('', { fallback: 'protobuf' }), /blank Content-Type, using fallback_scrape_protocol "application\/vnd.google.protobuf": the protobuf exposition format is not supported/);
  });

  test('fallback_scrape_protocol names map to formats', () => {
    assert.equal(fallbackFormat(''), null);
    assert.equal(fallbackFormat('PrometheusText0.0.4'), 'text');
    assert.equal(fallbackFormat('PrometheusText1.0.0'), 'text');
    assert.equal(fallbackFormat('OpenMetricsText0.0.1'), 'openmetrics');
    assert.equal(fallbackFormat('OpenMetricsText1.0.0'), 'openmetrics');
    assert.equal(fallbackFormat('PrometheusProto'), 'protobuf');
  });

  test('the Accept header lists scrape_protocols in order with falling q-values, as Prometheus 3 builds it', () => {
    assert.equal(
      acceptHeader(DEFAULT_SCRAPE_PROTOCOLS, 'allow-utf-8'),
      'application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6,application/openmetrics-text;version=0.0.1;q=0.5,' +
        'text/plain;version=1.0.0;escaping=allow-utf-8;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2',
    );
    assert.equal(acceptHeader(['PrometheusText0.0.4'], 'underscores'), 'text/plain;version=0.0.4;q=0.6,*/*;q=0.5');
    assert.equal(
      acceptHeader(['PrometheusText1.0.0', 'OpenMetricsText1.0.0'], 'underscores'),
      'text/plain;version=1.0.0;escaping=underscores;q=0.6,application/openmetrics-text;version=1.0.0;escaping=underscores;q=0.5,*/*;q=0.4',
    );
    // Protobuf is never requested, but keeps its place in the weights.
    assert.equal(acceptHeader(['PrometheusProto', 'OpenMetricsText0.0.1'], 'underscores'), 'application/openmetrics-text;version=0.0.1;q=0.5,*/*;q=0.4');
  });

  test('parser options pass through createParser', () => {
    const p = createParser('application/openmetrics-text', new Uint8Array(Buffer.from('a_total 1 # {x="y"} 1\n# EOF\n')), { exemplars: false });
    p.next();
    assert.equal(p.exemplar(), null);
  });
});
