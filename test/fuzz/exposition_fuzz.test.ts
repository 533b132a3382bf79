/**
 * Fuzz: the Prometheus text and OpenMetrics parsers (scrape/parser/) on generated bodies
 * built from exposition fragments, and on mutations of a valid body. They may only throw
 * their `ParseError`, never hang, and every series they accept has a name and sorted labels.
 */
import assert from 'node:assert/strict';
import { OpenMetricsParser } from '../../scrape/parser/openmetrics_parser.js';
import { ParseError } from '../../scrape/parser/parse_error.js';
import { Entry, type ExpositionParser } from '../../scrape/parser/parser.js';
import { TextParser } from '../../scrape/parser/text_parser.js';
import { fragmentText, fuzzTarget, mutated } from './fuzz_target.js';

const FRAGMENTS = [
  'http_requests_total', 'up', 'a_bucket', 'a_sum', 'a_count', 'a_created', 'x_total', '"quoted.name"', '{"utf8.name"}',
  '{', '}', '{job="api"}', '{le="+Inf"}', '{le="0.5"}', '{quantile="0.99"}', 'a="1"', ',b="\\n\\"\\\\"', ',', '=',
  ' 1', ' -1.5e-3', ' NaN', ' +Inf', ' -Inf', ' 0x1p3', ' 1e309', ' 12345678901234567890', ' 1700000000000', ' 1700000000.123',
  '\n', '# HELP x_total Some help with \\\\ and \\n\n', '# TYPE x counter\n', '# TYPE a histogram\n', '# TYPE s summary\n',
  '# TYPE g gaugehistogram\n', '# TYPE i info\n', '# TYPE ss stateset\n', '# UNIT x seconds\n', '# EOF\n', '# EOF',
  ' # {trace_id="abc"} 1.0 1700000000.5', ' # {} 2', '# comment\n', 'x_total 1\n', 'a_bucket{le="1"} 2\n',
];

const VALID_TEXT = `# HELP http_requests_total The total number of HTTP requests.
# TYPE http_requests_total counter
http_requests_total{method="post",code="200"} 1027 1395066363000
http_requests_total{method="post",code="400"}    3 1395066363000
msdos_file_access_time_seconds{path="C:\\\\DIR\\\\FILE.TXT",error="Cannot find file:\\n\\"FILE.TXT\\""} 1.458255915e9
# TYPE rpc_duration_seconds summary
rpc_duration_seconds{quantile="0.5"} 4773
rpc_duration_seconds_sum 1.7560473e+07
rpc_duration_seconds_count 2693
`;
const VALID_OM = `# TYPE foo counter
# HELP foo A counter.
foo_total{a="b"} 17.0 1520879607.789 # {id="counter-test"} 5
foo_created{a="b"} 1520872607.123
# TYPE h histogram
h_bucket{le="0.1"} 8
h_bucket{le="+Inf"} 17 # {id="x"} 1.5 1520879607.789
h_count 17
h_sum 324789.3
# EOF
`;

function drain(p: ExpositionParser): void {
  const kv: string[] = [];
  for (let e = p.next(); e !== Entry.EOF; e = p.next()) {
    if (e !== Entry.Series) continue;
    p.labelsInto(kv);
    assert.ok(kv.length >= 2 && kv.length % 2 === 0);
    for (let k = 2; k < kv.length; k += 2) assert.ok(kv[k - 2]! < kv[k]!, 'labels sorted and unique');
    assert.ok(p.metricName() !== '');
    assert.equal(typeof p.value(), 'number');
    p.exemplar();
  }
}

const enc = new TextEncoder();
const body = fragmentText(FRAGMENTS, 60);

fuzzTarget('text exposition parser (fragments)', (s: string) => drain(new TextParser(enc.encode(s))), body, [ParseError]);
fuzzTarget('OpenMetrics parser (fragments)', (s: string) => drain(new OpenMetricsParser(enc.encode(s))), body, [ParseError]);
fuzzTarget('text exposition parser (mutations)', (s: string) => drain(new TextParser(enc.encode(s))), mutated(VALID_TEXT), [ParseError]);
fuzzTarget('OpenMetrics parser (mutations)', (s: string) => drain(new OpenMetricsParser(enc.encode(s))), mutated(VALID_OM), [ParseError]);
