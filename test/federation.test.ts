import assert from 'node:assert/strict';
import { test } from 'node:test';
import Fastify from 'fastify';
import { parseMetricSelector } from '../query/parser.js';
import { Labels } from '../tsdb/labels.js';
import { MemoryStorage } from '../tsdb/memory_storage.js';
import { federateRoutes, formatGoFloat, TEXT_FORMAT_CONTENT_TYPE } from '../tsdb/remote/federate.js';
import { NO_REF, STALE_NAN } from '../tsdb/storage.js';

test('formatGoFloat matches Go strconv.FormatFloat(v, \'g\', -1, 64)', () => {
  const cases: [number, string][] = [
    [0, '0'],
    [-0, '-0'],
    [1, '1'],
    [0.1, '0.1'],
    [123456, '123456'],
    [1234567, '1.234567e+06'],
    [0.0001, '0.0001'],
    [0.00001, '1e-05'],
    [1e21, '1e+21'],
    [-2.5e-300, '-2.5e-300'],
    [Number.POSITIVE_INFINITY, '+Inf'],
    [Number.NEGATIVE_INFINITY, '-Inf'],
    [Number.NaN, 'NaN'],
  ];
  for (const [v, want] of cases) assert.equal(formatGoFloat(v), want, String(v));
});

test('GET /federate: latest samples, TYPE lines, external labels, instance="" and no stale series', async (t) => {
  const now = 1_700_000_000_000;
  const storage = new MemoryStorage();
  const app = storage.appender();
  const l = (...nv: string[]) => Labels.fromStrings(...nv);
  app.append(NO_REF, l('__name__', 'b_metric', 'job', 'x', 'instance', 'h:1'), now - 20_000, 1);
  app.append(NO_REF, l('__name__', 'b_metric', 'job', 'x', 'instance', 'h:1'), now - 10_000, 2.5);
  app.append(NO_REF, l('__name__', 'a_metric', 'job', 'x', 'path', 'say "hi"\n'), now - 1_000, 1234567);
  app.append(NO_REF, l('__name__', 'a_metric', 'job', 'x', 'site', 'own'), now - 1_000, 3);
  app.append(NO_REF, l('__name__', 'gone', 'job', 'x'), now - 5_000, 1);
  app.append(NO_REF, l('__name__', 'gone', 'job', 'x'), now - 4_000, STALE_NAN);
  app.append(NO_REF, l('__name__', 'old', 'job', 'x'), now - 600_000, 1);
  await app.commit();
  const srv = Fastify();
  await federateRoutes(srv, { queryable: () => storage, externalLabels: () => l('site', 'eu', 'zone', 'z1'), lookbackDeltaMs: 300_000, parseSelector: parseMetricSelector, now: () => now });
  t.after(() => srv.close());
  const res = await srv.inject({ method: 'GET', url: `/federate?match[]=${encodeURIComponent('{job="x"}')}&match[]=b_metric` });
  assert.equal(res.statusCode, 200);
  assert.equal(res.headers['content-type'], TEXT_FORMAT_CONTENT_TYPE);
  assert.equal(
    res.body,
    [
      '# TYPE a_metric untyped',
      `a_metric{job="x",path="say \\"hi\\"\\n",instance="",site="eu",zone="z1"} 1.234567e+06 ${now - 1000}`,
      `a_metric{job="x",site="own",instance="",zone="z1"} 3 ${now - 1000}`,
      '# TYPE b_metric untyped',
      `b_metric{instance="h:1",job="x",site="eu",zone="z1"} 2.5 ${now - 10_000}`,
      '',
    ].join('\n'),
  );
  assert.equal((await srv.inject({ method: 'GET', url: '/federate' })).body, '');
  const bad = await srv.inject({ method: 'GET', url: `/federate?match[]=${encodeURIComponent('{job=~".*"}')}` });
  assert.equal(bad.statusCode, 400);
});
