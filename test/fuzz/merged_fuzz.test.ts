/**
 * Fuzz: the PromQL parser, the rule-file loader and the remote-write decoder.
 * Any input may only fail with the part's own typed error (the rule loader
 * reports problems in its result and must not throw at all), never hang.
 */
import fc from 'fast-check';
import { parseRules } from '../../alert/rule_file.js';
import { ParseError as PromQLParseError } from '../../query/errors.js';
import { parseExpr } from '../../query/parser.js';
import { decodeWriteRequest } from '../../tsdb/remote/codec.js';
import { RemoteError } from '../../tsdb/remote/remote_error.js';
import { snappyDecode } from '../../tsdb/remote/snappy.js';
import { fragmentText, fuzzTarget } from './fuzz_target.js';

fuzzTarget(
  'PromQL parser',
  (s: string) => parseExpr(s),
  fragmentText(['rate(', 'sum by (job) (', 'x{a=~"(a+)+$"}', '[5m]', ' offset 1h', '@ 100', ')', ' + ', ' and on(a) ', '1e309', '"\\u00"', 'histogram_quantile(0.9, ', '{', '}', ',', ':', '[1m:]']),
  [PromQLParseError],
);
fuzzTarget(
  'rule file loader',
  (s: string) => parseRules(s),
  fragmentText(['groups:\n', '- name: g\n', '  rules:\n', '  - alert: A\n', '    expr: up == 0\n', '    for: 5m\n', '    labels: {severity: page}\n', '    annotations: {summary: "{{ $labels.x }}"}\n', '  - record: r\n', '    interval: ', 'x', '\n', ': ', '- ']),
  [],
);
fuzzTarget('remote-write snappy', (b: Uint8Array) => snappyDecode(b, 1 << 20), fc.uint8Array({ maxLength: 2048 }), [RemoteError]);
fuzzTarget('remote-write decoder', (b: Uint8Array) => decodeWriteRequest(b), fc.uint8Array({ maxLength: 2048 }), [RemoteError]);
