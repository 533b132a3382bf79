/**
 * Prometheus's exposition conformance files (shared/conformance/exposition) parse fully,
 * with series/metadata counts equal to an independent line count and spot-checked
 * labels and values.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { Labels } from '../../tsdb/labels.js';
import { conformanceDir } from './_test_bodies.js';
import { OpenMetricsParser } from './openmetrics_parser.js';
import { Entry, type ExpositionParser, type Exemplar } from './parser.js';
import { TextParser } from './text_parser.js';

const dir = join(conformanceDir(), 'exposition');

interface Parsed {
  series: { labels: Labels; value: number; ts: number | null; exemplar: Exemplar | null }[];
  help: number;
  type: number;
  unit: number;
  comment: number;
}

function parseAll(p: ExpositionParser): Parsed {
  const out: Parsed = { series: [], help: 0, type: 0, unit: 0, comment: 0 };
  for (let e = p.next(); e !== Entry.EOF; e = p.next()) {
    if (e === Entry.Series) out.series.push({ labels: p.labels(), value: p.value(), ts: p.hasTimestamp() ? p.timestamp() : null, exemplar: p.exemplar() });
    else if (e === Entry.Help) out.help++;
    else if (e === Entry.Type) out.type++;
    else if (e === Entry.Unit) out.unit++;
    else out.comment++;
  }
  return out;
}

/** The oracle: counts by line prefix, without any parsing. */
function lineCounts(body: Buffer): { samples: number; help: number; type: number; unit: number } {
  const lines = body.toString('utf8').split('\n').filter((l) => l !== '');
  return {
    samples: lines.filter((l) => !l.startsWith('#')).length,
    help: lines.filter((l) => l.startsWith('# HELP ')).length,
    type: lines.filter((l) => l.startsWith('# TYPE ')).length,
    unit: lines.filter((l) => l.startsWith('# UNIT ')).length,
  };
}

function find(p: Parsed, selector: Record<string, string>): Parsed['series'][number] {
  const want = Labels.from(selector);
  const s = p.series.find((x) => x.labels.equals(want));
  assert.ok(s, `no series ${want.toString()}`);
  return s;
}

describe('exposition conformance files', () => {
  const files = [
    ...readdirSync(join(dir, 'textparse')).map((f) => join('textparse', f)),
    ...readdirSync(join(dir, 'promtool')).map((f) => join('promtool', f)),
  ];

  test('the folder holds the seven files this suite knows', () => {
    assert.equal(files.length, 7, files.join(', '));
  });

  for (const f of files) {
    const openMetrics = f.includes('.om.') || f.includes('dump-openmetrics');
    test(`${f} parses fully as ${openMetrics ? 'OpenMetrics' : 'text'} with the line-counted entries`, () => {
      const body = readFileSync(join(dir, f));
      const got = parseAll(openMetrics ? new OpenMetricsParser(body) : new TextParser(body));
      const want = lineCounts(body);
      assert.equal(got.series.length, want.samples);
      assert.equal(got.help, want.help);
      assert.equal(got.type, want.type);
      assert.equal(got.unit, want.unit);
    });
  }

  test('alltypes.237mfs.prom.txt: counts and spot checks', () => {
    const p = parseAll(new TextParser(readFileSync(join(dir, 'textparse', 'alltypes.237mfs.prom.txt'))));
    assert.equal(p.series.length, 1857);
    assert.equal(p.help, 237);
    assert.equal(p.type, 237);
    assert.equal(p.comment, 1, 'the trailing "# EOF" is a comment in the text format');
    assert.equal(find(p, { __name__: 'go_gc_duration_seconds', quantile: '0' }).value, 7.6238e-5);
    assert.equal(find(p, { __name__: 'prometheus_http_request_duration_seconds_count', handler: '/-/ready' }).value, 49);
    assert.equal(find(p, { __name__: 'prometheus_http_response_size_bytes_bucket', handler: '/api/v1/labels', le: '10000' }).value, 4921);
    assert.equal(find(p, { __name__: 'go_gc_heap_allocs_by_size_bytes_bucket', le: '+Inf' }).value, 4.4046288803e10);
    assert.equal(find(p, { __name__: 'prometheus_target_scrape_pool_sync_total', scrape_job: 'prometheus' }).value, 2953);
    assert.equal(p.series.filter((s) => s.labels.get('quantile') !== '').length, 88);
    assert.equal(p.series.filter((s) => s.labels.metricName().endsWith('_bucket')).length, 999);
    assert.ok(p.series.every((s) => s.ts === null && s.exemplar === null));
  });

  test('alltypes.5mfs.om.txt: exemplars, _created series and float label values', () => {
    const p = parseAll(new OpenMetricsParser(readFileSync(join(dir, 'textparse', 'alltypes.5mfs.om.txt'))));
    const withEx = p.series.filter((s) => s.exemplar !== null);
    assert.equal(withEx.length, 6);
    const b = find(p, { __name__: 'rpc_durations_histogram_seconds_bucket', le: '-0.0002899999999999998' });
    assert.equal(b.value, 3);
    assert.deepEqual(b.exemplar?.labels.toRecord(), { dummyID: '17783' });
    assert.equal(b.exemplar?.value, -0.0003825067330956884);
    assert.equal(b.exemplar?.hasTimestamp, true);
    assert.equal(b.exemplar?.timestamp, Math.trunc(1.7268398142239082e9 * 1000));
    // _created lines are ordinary series by default, as in Prometheus.
    assert.equal(find(p, { __name__: 'promhttp_metric_handler_errors_created', cause: 'encoding' }).value, 1.726839813016397e9);
    assert.equal(find(p, { __name__: 'go_build_info', checksum: '', path: '', version: '' }).value, 1);
  });

  test('1histogram.om.txt: le values are kept as exposed', () => {
    const p = parseAll(new OpenMetricsParser(readFileSync(join(dir, 'textparse', '1histogram.om.txt'))));
    const les = p.series.filter((s) => s.labels.get('port') === '5001' && s.labels.has('le')).map((s) => s.labels.get('le'));
    assert.deepEqual(les, ['0.005', '0.01', '0.025', '0.05', '0.1', '0.25', '0.5', '1.0', '2.5', '5.0', '10.0', '+Inf']);
    assert.equal(find(p, { __name__: 'golang_manual_histogram_seconds_sum', address: '0.0.0.0', generation: '20', port: '5003' }).value, 10);
  });

  test('promtool dumps: OpenMetrics timestamps in seconds become milliseconds', () => {
    const p = parseAll(new OpenMetricsParser(readFileSync(join(dir, 'promtool', 'dump-openmetrics-test.prom'))));
    const counter = p.series.filter((s) => s.labels.metricName() === 'my_counter');
    assert.deepEqual(
      counter.map((s) => [s.value, s.ts]),
      [
        [1, 0],
        [2, 60000],
        [3, 120000],
        [4, 180000],
        [5, 240000],
      ],
    );
    const rt = parseAll(new OpenMetricsParser(readFileSync(join(dir, 'promtool', 'dump-openmetrics-roundtrip-test.prom'))));
    const up = rt.series.find((s) => s.labels.metricName() === 'up' && s.labels.get('job') === 'example2');
    assert.equal(up?.ts, 1700226034330);
    const h = rt.series.find((s) => s.labels.metricName() === 'my_histogram_bucket' && s.labels.get('le') === '+Inf');
    assert.equal(h?.value, 1.0267820369e10);
  });

  test('metrics-test.prom: summary and histogram', () => {
    const p = parseAll(new TextParser(readFileSync(join(dir, 'promtool', 'metrics-test.prom'))));
    assert.equal(find(p, { __name__: 'go_gc_duration_seconds', quantile: '0.25' }).value, 9.4402e-5);
    assert.equal(find(p, { __name__: 'prometheus_tsdb_compaction_chunk_size_bytes_bucket', le: '1845.28125' }).value, 13806);
    assert.equal(find(p, { __name__: 'prometheus_tsdb_compaction_chunk_size_bytes_sum' }).value, 3.886707e6);
    assert.equal(find(p, { __name__: 'go_info', version: 'go1.17' }).value, 1);
  });
});
