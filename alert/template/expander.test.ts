import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Labels } from '../../tsdb/labels.js';
import { checkAlertTemplate, expandAlertTemplate, expandTemplate } from './expander.js';
import type { FunctionContext } from './functions.js';
import type { TValue } from './value.js';

// Expected outputs are Prometheus's (template/template_test.go), so these check behaviour, not this code.
const MAX_INT64 = 9223372036854775807n;
const MAX_UINT64 = 18446744073709551615n;

const fctx: FunctionContext = {
  timeMs: 1353755652000,
  externalUrl: 'http://prom.example:9090/path',
  queryFn: async (expr) => {
    if (expr === '1.5') return [{ labels: Labels.EMPTY, t: 0, v: 1.5 }];
    if (expr === 'metric') {
      return [
        { labels: Labels.from({ __name__: 'metric', instance: 'b' }), t: 0, v: 21 },
        { labels: Labels.from({ __name__: 'metric', instance: 'a' }), t: 0, v: 11 },
      ];
    }
    if (expr === "metric{__value__='a'}") return [{ labels: Labels.from({ __name__: 'metric', __value__: 'a' }), t: 0, v: 11 }];
    if (expr === "metric{instance='a'}") return [{ labels: Labels.from({ __name__: 'metric', instance: 'a' }), t: 0, v: 11 }];
    return [];
  },
};

const cases: { text: string; input?: TValue; output?: string; fail?: boolean }[] = [
  { text: 'plain text', output: 'plain text' },
  { text: '{{ 1 }}', output: '1' },
  { text: '{{ }}', fail: true },
  { text: '{{', fail: true },
  { text: '{{ "<b>" | safeHtml }}', output: '<b>' },
  { text: '{{ "<b>" }}', output: '<b>' },
  { text: '{{ query "1.5" | first | value }}', output: '1.5' },
  { text: `{{ query "metric{instance='a'}" | first | value }}`, output: '11' },
  { text: `{{ query "metric{instance='a'}" | first | label "instance" }}`, output: 'a' },
  { text: `{{ query "metric{instance='a'}" | first | label "foo" }}`, output: '' },
  { text: '{{ $x := query "metric" | first }}{{ $x.Labels.foo }}', output: '' },
  { text: '{{ range query "metric" | sortByLabel "instance" }}{{.Labels.instance}}:{{.Value}}: {{end}}', output: 'a:11: b:21: ' },
  { text: '{{ query "missing" | first }}', fail: true },
  { text: '{{ (query "missing").banana }}', fail: true },
  { text: '{{ "foo.example.com" | stripPort }}', output: 'foo.example.com' },
  { text: '{{ "foo.example.com:12345" | stripPort }}', output: 'foo.example.com' },
  { text: '{{ "192.0.2.1" | stripPort }}', output: '192.0.2.1' },
  { text: '{{ "192.0.2.1:12345" | stripPort }}', output: '192.0.2.1' },
  { text: '{{ "2001:0DB8::1" | stripPort }}', output: '2001:0DB8::1' },
  { text: '{{ "[2001:0DB8::1]:12345" | stripPort }}', output: '2001:0DB8::1' },
  { text: '{{ "[2001:0DB8::1]::12345" | stripPort }}', output: '[2001:0DB8::1]::12345' },
  { text: '{{ "foo.example.com" | stripDomain }}', output: 'foo' },
  { text: '{{ "foo.example.com:12345" | stripDomain }}', output: 'foo:12345' },
  { text: '{{ "192.0.2.1:12345" | stripDomain }}', output: '192.0.2.1:12345' },
  { text: '{{ reReplaceAll "(a)b" "x$1" "ab" }}', output: 'xa' },
  { text: '{{ range . }}{{ humanize . }}:{{ end }}', input: [0, 1, 1234567, 0.12], output: '0:1:1.235M:120m:' },
  { text: '{{ range . }}{{ humanize . }}:{{ end }}', input: ['0.0', '1.0', '1234567.0', '.12'], output: '0:1:1.235M:120m:' },
  { text: '{{ humanize "one" }}', fail: true },
  { text: '{{ range . }}{{ humanize . }}:{{ end }}', input: [0n, -1n, 1n, 1234567n, MAX_INT64], output: '0:-1:1:1.235M:9.223E:' },
  { text: '{{ range . }}{{ humanize . }}:{{ end }}', input: [0n, 1n, 1234567n, MAX_UINT64], output: '0:1:1.235M:18.45E:' },
  { text: '{{ range . }}{{ humanize1024 . }}:{{ end }}', input: [0, 1, 1048576, 0.12], output: '0:1:1Mi:0.12:' },
  { text: '{{ range . }}{{ humanize1024 . }}:{{ end }}', input: [0n, -1n, 1n, 1234567n, MAX_INT64], output: '0:-1:1:1.177Mi:8Ei:' },
  { text: '{{ range . }}{{ humanize1024 . }}:{{ end }}', input: [0n, 1n, 1234567n, MAX_UINT64], output: '0:1:1.177Mi:16Ei:' },
  {
    text: '{{ range . }}{{ humanizeDuration . }}:{{ end }}',
    input: [0, 1, 60, 3600, 86400, 86400 + 3600, -(86400 * 2 + 3600 * 3 + 60 * 4 + 5), 899.99],
    output: '0s:1s:1m 0s:1h 0m 0s:1d 0h 0m 0s:1d 1h 0m 0s:-2d 3h 4m 5s:14m 59s:',
  },
  { text: '{{ range . }}{{ humanizeDuration . }}:{{ end }}', input: [0.1, 0.0001, 0.12345, 60.1, 60.5, 1.2345, 12.345], output: '100ms:100us:123.5ms:1m 0s:1m 0s:1.234s:12.35s:' },
  { text: '{{ range . }}{{ humanizeDuration . }}:{{ end }}', input: ['0', '1', '60', '3600', '86400'], output: '0s:1s:1m 0s:1h 0m 0s:1d 0h 0m 0s:' },
  { text: '{{ range . }}{{ humanizeDuration . }}:{{ end }}', input: [0n, -1n, 1n, 1234567n], output: '0s:-1s:1s:14d 6h 56m 7s:' },
  { text: '{{ humanizeDuration "one" }}', fail: true },
  {
    text: '{{ range . }}{{ humanize . }}:{{ humanize1024 . }}:{{ humanizeDuration . }}:{{humanizeTimestamp .}}:{{ end }}',
    input: [Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, Number.NaN],
    output: '+Inf:+Inf:+Inf:+Inf:-Inf:-Inf:-Inf:-Inf:NaN:NaN:NaN:NaN:',
  },
  {
    text: '{{ range . }}{{ humanize . }}:{{ humanize1024 . }}:{{ humanizeDuration . }}:{{humanizeTimestamp .}}:{{ end }}',
    input: ['+Inf', '-Inf', 'NaN'],
    output: '+Inf:+Inf:+Inf:+Inf:-Inf:-Inf:-Inf:-Inf:NaN:NaN:NaN:NaN:',
  },
  { text: '{{ -0.22222 | humanizePercentage }}:{{ 0.0 | humanizePercentage }}:{{ 0.1234567 | humanizePercentage }}:{{ 1.23456 | humanizePercentage }}', output: '-22.22%:0%:12.35%:123.5%' },
  { text: '{{ range . }}{{ humanizePercentage . }}:{{ end }}', input: [0n, -1n, 1n, 1234567n, MAX_INT64], output: '0%:-100%:100%:1.235e+08%:9.223e+20%:' },
  { text: '{{ "one" | humanizePercentage }}', fail: true },
  {
    text: '{{ range . }}{{ humanizeTimestamp . }}:{{ end }}',
    input: [0n, -1n, 1n, 1234567n, 9223372036n],
    output: '1970-01-01 00:00:00 +0000 UTC:1969-12-31 23:59:59 +0000 UTC:1970-01-01 00:00:01 +0000 UTC:1970-01-15 06:56:07 +0000 UTC:2262-04-11 23:47:16 +0000 UTC:',
  },
  { text: '{{ range . }}{{ humanizeTimestamp . }}:{{ end }}', input: [-9223372036854775808n, MAX_INT64], fail: true },
  { text: '{{ 1435065584.128 | humanizeTimestamp }}', output: '2015-06-23 13:19:44.128 +0000 UTC' },
  { text: '{{ "1435065584.128" | humanizeTimestamp }}', output: '2015-06-23 13:19:44.128 +0000 UTC' },
  { text: '{{ now }}', output: '1.353755652e+09' },
  { text: '{{ "aa bb CC" | title }}', output: 'Aa Bb CC' },
  { text: '{{ "aa bb CC" | toUpper }}', output: 'AA BB CC' },
  { text: '{{ "aA bB CC" | toLower }}', output: 'aa bb cc' },
  { text: '{{ match "a+" "aa" }} {{ match "a+" "b" }}', output: 'true false' },
  { text: '{{ graphLink "up" }}', output: '/graph?g0.expr=up&g0.tab=0' },
  { text: '{{ tableLink "up" }}', output: '/graph?g0.expr=up&g0.tab=1' },
  { text: '{{ externalURL }}', output: 'http://prom.example:9090/path' },
  { text: '{{ pathPrefix }}', output: '/path' },
  { text: '{{ parseDuration "1h2m10ms" }}', output: '3720.01' },
  { text: '{{ urlQueryEscape "a b&c=d/é" }}', output: 'a+b%26c%3Dd%2F%C3%A9' },
  { text: '{{ (args 1 "2").arg1 }}', output: '2' },
  { text: '{{ 1800 | toDuration }}', output: '30m0s' },
  { text: '{{ (1435065584.128 | toTime).Format "2006" }}', output: '2015' },
  { text: '{{ ("1435065584.128" | toTime).Format "2006" }}', output: '2015' },
  { text: '{{ (1800 | toDuration).String }}', output: '30m0s' },
  { text: '{{ ("1800" | toDuration).String }}', output: '30m0s' },
  { text: '{{ (now | toTime).Format "Mon Jan 2 15:04:05 2006" }}', output: 'Sat Nov 24 11:14:12 2012' },
  { text: '{{ ("-30m" | parseDuration | toDuration | (now | toTime).Add).UnixMilli }}', output: '1353753852000' },
  { text: '{{ (1435065584.128 | toTime).Format "2006-01-02T15:04:05.000Z07:00 _2 pm 002" }}', output: '2015-06-23T13:19:44.128Z 23 pm 174' },
  { text: '{{ 1435065584.128 | toTime }}', output: '2015-06-23 13:19:44.128 +0000 UTC' },
  { text: `{{ query "metric{__value__='a'}" | first | strvalue }}`, output: 'a' },
];

for (const c of cases) {
  test(`template ${c.text} ${c.input === undefined ? '' : JSON.stringify(c.input, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v))}`, async () => {
    const p = expandTemplate('test', c.text, c.input ?? null, fctx);
    if (c.fail === true) {
      await assert.rejects(p);
      return;
    }
    assert.equal(await p, c.output);
  });
}

test('template control structures: if/else if/else, with/else, range/else with break and continue, variables', async () => {
  const data = { labels: { job: 'api', instance: 'h1:9100', env: '' }, externalLabels: { cluster: 'eu1' }, externalUrl: 'http://x', value: 0.5 };
  const run = (t: string) => expandAlertTemplate('A', t, data, fctx);
  assert.equal(await run('{{ if gt $value 1.0 }}big{{ else if gt $value 0.25 }}mid{{ else }}small{{ end }}'), 'mid');
  assert.equal(await run('{{ with $labels.env }}env={{ . }}{{ else }}no env{{ end }}'), 'no env');
  assert.equal(await run('{{ range $i, $k := args "a" "b" "c" }}{{ if eq $i "arg1" }}{{ continue }}{{ end }}{{ $k }}{{ end }}'), 'ac');
  assert.equal(await run('{{ range $n, $v := $labels }}{{ $n }}={{ $v }};{{ end }}'), 'env=;instance=h1:9100;job=api;');
  assert.equal(await run('{{ $x := 1 }}{{ if true }}{{ $x = 2 }}{{ end }}{{ $x }}'), '2');
  assert.equal(await run('{{ $externalLabels.cluster }} {{ $externalURL }} {{ .Labels.job }}'), 'eu1 http://x api');
  assert.equal(await run('{{- " a " -}} b {{- /* comment */ -}} c'), ' a bc');
  assert.equal(await run('{{ printf "%s has %.1f%% errors (%d)" $labels.job 12.345 3 }}'), 'api has 12.3% errors (3)');
  assert.equal(await run('{{ len $labels }} {{ index $labels "job" }} {{ not false }} {{ and 1 0 }} {{ or 0 "x" }}'), '3 api true 0 x');
});

test('template errors become the expansion error text, as in Prometheus', async () => {
  const data = { labels: {}, externalLabels: {}, externalUrl: '', value: 2 };
  const out = await expandAlertTemplate('Rule', '{{ if gt $value 1 }}x{{ end }}', data, fctx);
  assert.match(out, /^<error expanding template: error executing template __alert_Rule: template: __alert_Rule:1:\d+: executing "__alert_Rule" at <gt \$value 1>: error calling gt: incompatible types for comparison>$/);
  const bad = await expandAlertTemplate('Rule', '{{ $label.x }}', data, fctx);
  assert.equal(bad, '<error expanding template: error parsing template __alert_Rule: template: __alert_Rule:1: undefined variable "$label">');
  assert.equal(checkAlertTemplate('__alert_R', '{{ nosuchfn 1 }}'), 'template: __alert_R:1: function "nosuchfn" not defined');
  assert.equal(checkAlertTemplate('__alert_R', '{{ $labels.x }}'), null);
});
